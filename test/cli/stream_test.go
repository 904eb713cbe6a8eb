package cli_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// TestStreamPublishSubscribe: `concord stream publish` appends and prints
// the index; `subscribe` prints the messages in order from -after on.
func TestStreamPublishSubscribe(t *testing.T) {
	a := startDevAgent(t)
	re := regexp.MustCompile(`^Published to jobs at index (\d+)\n$`)
	var idx []string
	for _, v := range []string{"one", "two", "three"} {
		res := concord(t, "stream", "publish", "-http-addr="+a.Addr, "jobs", v)
		m := re.FindStringSubmatch(res.stdout)
		if res.code != 0 || m == nil {
			t.Fatalf("stream publish %s = exit %d, stdout %q, stderr %q", v, res.code, res.stdout, res.stderr)
		}
		idx = append(idx, m[1])
	}
	res := concord(t, "stream", "subscribe", "-http-addr="+a.Addr, "-count=3", "jobs")
	want := fmt.Sprintf("%s one\n%s two\n%s three\n", idx[0], idx[1], idx[2])
	res.want(t, "stream subscribe -count=3 jobs", 0, want, "")

	res = concord(t, "stream", "subscribe", "-http-addr="+a.Addr, "-after="+idx[1], "-count=1", "jobs")
	res.want(t, "stream subscribe -after", 0, idx[2]+" three\n", "")

	res = concord(t, "stream", "publish", "-http-addr="+a.Addr)
	if res.code != 1 || !strings.Contains(res.stderr, "usage: concord stream") {
		t.Errorf("stream publish without a topic = exit %d, stderr %q; want 1 and the usage", res.code, res.stderr)
	}
}

package cli_test

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/concordhq/concord/internal/testutil"
)

// benchLine matches the one-line report of `concord bench`.
var benchLine = regexp.MustCompile(`^op=(\S+) clients=4 ops=(\d+) ops/s=(\d+) p50=\S+ms p99=\S+ms p99\.9=\S+ms errors=(\d+)\n$`)

// TestBenchEveryOp runs a few hundred operations of every op against one
// agent and wants each to finish on its own, with no error.
func TestBenchEveryOp(t *testing.T) {
	httpPort, dnsPort := testutil.FreePort(t), testutil.FreePort(t)
	a := startAgent(t, httpPort, "-dev", "-node=bench", "-log-level=warn",
		"-http-port="+strconv.Itoa(httpPort), "-server-port="+strconv.Itoa(testutil.FreePort(t)),
		"-dns-port="+strconv.Itoa(dnsPort))
	dnsAddr := "127.0.0.1:" + strconv.Itoa(dnsPort)
	for _, op := range []string{"put", "get", "get-consistent", "get-stale", "cas", "txn", "session", "lock",
		"register", "health", "dns"} {
		t.Run(op, func(t *testing.T) {
			res := concord(t, "bench", "-http-addr="+a.Addr, "-dns-addr="+dnsAddr, "-op="+op,
				"-count=200", "-clients=4", "-duration=15s", "-keys=10")
			if res.code != 0 {
				t.Fatalf("concord bench -op %s = exit %d, stderr %q", op, res.code, res.stderr)
			}
			m := benchLine.FindStringSubmatch(res.stdout)
			if m == nil {
				t.Fatalf("concord bench -op %s printed %q, stderr %q; want one report line", op, res.stdout, res.stderr)
			}
			ops, _ := strconv.Atoi(m[2])
			rate, _ := strconv.Atoi(m[3])
			if m[1] != op || m[4] != "0" || ops != 200 || rate <= 0 {
				t.Errorf("concord bench -op %s: op=%s ops=%d ops/s=%d errors=%s (stderr %q); want op=%s ops=200, ops/s > 0, errors=0",
					op, m[1], ops, rate, m[4], res.stderr, op)
			}
		})
	}
}

func TestBenchJSON(t *testing.T) {
	a := startDevAgent(t)
	res := concord(t, "bench", "-http-addr="+a.Addr, "-op=put", "-count=50", "-clients=2", "-json")
	if res.code != 0 {
		t.Fatalf("concord bench -json = exit %d, stderr %q", res.code, res.stderr)
	}
	var got struct {
		Op        string  `json:"op"`
		Ops       int64   `json:"ops"`
		Errors    int64   `json:"errors"`
		OpsPerSec float64 `json:"ops_per_s"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &got); err != nil {
		t.Fatalf("concord bench -json printed %q: %v", res.stdout, err)
	}
	if got.Op != "put" || got.Ops != 50 || got.Errors != 0 || got.OpsPerSec <= 0 {
		t.Errorf("concord bench -json = %+v; want op put, 50 ops, no errors, positive ops/s", got)
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-op=nope"},
		{"-op=put", "-clients=0"},
		{"-op=put", "-duration=0s"},
		{"-op=put", "extra"},
		{"-op=put", "-duration=200ms"}, // nothing listens: every operation fails
	} {
		res := concord(t, append([]string{"bench", "-http-addr=127.0.0.1:1"}, args...)...)
		if res.code != 1 || res.stderr == "" {
			t.Errorf("concord bench %s = exit %d, stdout %q, stderr %q; want exit 1 and an error on stderr",
				strings.Join(args, " "), res.code, res.stdout, res.stderr)
		}
	}
}

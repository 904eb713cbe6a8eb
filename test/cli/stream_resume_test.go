package cli_test

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/testutil"
)

// streamLines parses `concord stream subscribe` output ("<index> <value>"
// lines), ignoring a trailing partial line.
func streamLines(t *testing.T, out string) (indexes []uint64, values []string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	for _, l := range lines[:len(lines)-1] {
		idx, v, ok := strings.Cut(l, " ")
		n, err := strconv.ParseUint(idx, 10, 64)
		if !ok || err != nil {
			t.Fatalf("bad subscribe line %q", l)
		}
		indexes, values = append(indexes, n), append(values, v)
	}
	return indexes, values
}

// TestStreamSubscriberKilledAndRestarted: messages are published while a
// `concord stream subscribe` process is killed (SIGKILL) and another
// resumes after the last index the first printed. Together they get every
// message exactly once, in order. Then retention: with max_messages 40,
// a subscriber from the start gets only the newest 40.
func TestStreamSubscriberKilledAndRestarted(t *testing.T) {
	httpPort := testutil.FreePort(t)
	a := startAgent(t, httpPort, "-dev", "-node=cli", "-log-level=warn", "-hcl=stream { max_messages = 40 }",
		"-http-port="+strconv.Itoa(httpPort), "-server-port="+strconv.Itoa(testutil.FreePort(t)))
	c, err := api.NewClient(&api.Config{Address: a.Addr})
	if err != nil {
		t.Fatal(err)
	}
	const n = 30
	published := make(chan error, 1)
	var pubMu sync.Mutex
	var pubIdx []uint64 // guarded by pubMu
	go func() {
		for i := 0; i < n; i++ {
			idx, err := c.Stream().Publish("jobs", []byte(fmt.Sprintf("m%02d", i)))
			if err != nil {
				published <- err
				return
			}
			pubMu.Lock()
			pubIdx = append(pubIdx, idx)
			pubMu.Unlock()
			time.Sleep(30 * time.Millisecond)
		}
		published <- nil
	}()

	// The first subscriber reads until it has printed a few messages, and
	// is killed while the publisher is still going.
	first := &testutil.SyncBuffer{}
	sub := exec.Command(binary, "stream", "subscribe", "-http-addr="+a.Addr, "jobs")
	sub.Env, sub.Stdout = cleanEnv(), first
	if err := sub.Start(); err != nil {
		t.Fatal(err)
	}
	testutil.Run(t, watchWait, func(r *testutil.R) {
		if idx, _ := streamLines(t, first.String()); len(idx) < 8 {
			r.Fatalf("first subscriber printed %d messages, want 8", len(idx))
		}
	})
	sub.Process.Kill()
	sub.Wait()
	pubMu.Lock()
	inFlight := len(pubIdx) < n
	pubMu.Unlock()
	if !inFlight {
		t.Fatal("the publisher finished before the subscriber was killed; the test proves nothing")
	}
	idx1, got := streamLines(t, first.String())
	last := idx1[len(idx1)-1]

	// The second resumes after the last index it saw.
	res := concord(t, "stream", "subscribe", "-http-addr="+a.Addr, "-after="+strconv.FormatUint(last, 10),
		"-count="+strconv.Itoa(n-len(got)), "jobs")
	if res.code != 0 {
		t.Fatalf("second subscriber = %+v", res)
	}
	idx2, more := streamLines(t, res.stdout)
	got = append(got, more...)
	if err := <-published; err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := 0; i < n; i++ {
		want = append(want, fmt.Sprintf("m%02d", i))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("subscribers got %v, want each of %v once, in order", got, want)
	}
	all := append(idx1, idx2...)
	pubMu.Lock()
	if fmt.Sprint(all) != fmt.Sprint(pubIdx) {
		t.Errorf("indexes seen %v, want the published %v", all, pubIdx)
	}
	pubMu.Unlock()

	// Retention: 20 more make 50, of which the topic keeps the newest 40.
	for i := n; i < n+20; i++ {
		if _, err := c.Stream().Publish("jobs", []byte(fmt.Sprintf("m%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	res = concord(t, "stream", "subscribe", "-http-addr="+a.Addr, "-count=40", "jobs")
	_, kept := streamLines(t, res.stdout)
	if res.code != 0 || len(kept) != 40 || kept[0] != "m10" || kept[39] != "m49" {
		t.Errorf("subscribe from the start after 50 publishes = %d messages %v, want m10..m49", len(kept), kept)
	}
}

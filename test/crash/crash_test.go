// Package crash_test proves that a durable Concord agent keeps every write it
// acknowledged: it runs the real concord binary, kills it with SIGKILL while
// writes are in flight, restarts it on the same data directory and compares
// the KV tree with the ledger of acknowledged writes. It also checks that
// SIGTERM shuts the agent down cleanly and promptly, even with a blocking
// query waiting.
package crash_test

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/testutil"
)

const (
	writers   = 8     // concurrent writer goroutines per round
	maxWrites = 20000 // cap on writes issued per round
	rounds    = 20    // kill/restart cycles over one data dir
)

// writeFor is how long writes run before SIGKILL in a round: 100 to 500ms,
// so that the kill lands at a different point each time.
func writeFor() time.Duration { return 100*time.Millisecond + mrand.N(400*time.Millisecond) }

// ledger is what the writers did, across all rounds. Keys are never reused,
// so each key maps to the one value ever sent for it.
type ledger struct {
	sent  map[string]string // every write issued, acknowledged or not
	acked map[string]string // writes answered 200 "true"
}

// writerLog is one writer goroutine's record for one round.
type writerLog struct {
	sent, acked map[string]string
	err         error // a failure seen before SIGKILL was sent
}

// TestSIGKILLKeepsAcknowledgedWrites kills a durable agent with SIGKILL in
// the middle of a burst of concurrent writes, restarts it over the same data
// dir, and requires every acknowledged write to be there with its exact
// value, for this round and every earlier one. Unacknowledged writes may or
// may not have landed, but nothing may appear that was never sent.
func TestSIGKILLKeepsAcknowledgedWrites(t *testing.T) {
	dir := t.TempDir()
	l := ledger{sent: make(map[string]string), acked: make(map[string]string)}
	p := startDurable(t, dir)
	for round := 1; round <= rounds; round++ {
		logs, inFlight := writeUntilKilled(t, p, round)
		var sent, acked int
		for w, wl := range logs {
			if wl.err != nil {
				t.Errorf("round %d: writer %d failed before SIGKILL: %v", round, w, wl.err)
			}
			sent += len(wl.sent)
			acked += len(wl.acked)
			for k, v := range wl.sent {
				l.sent[k] = v
			}
			for k, v := range wl.acked {
				l.acked[k] = v
			}
		}
		t.Logf("round %d: %d writes sent, %d acknowledged, %d in flight at SIGKILL",
			round, sent, acked, inFlight)
		if acked == 0 {
			t.Fatalf("round %d: no write was acknowledged before SIGKILL; the test proves nothing", round)
		}

		p = startDurable(t, dir)
		// First what a client sees once the agent reports a leader (the
		// default read mode), then the state after a consistent read, which
		// waits for the new leader to apply its whole log: a loss in both is
		// lost data, a loss in the first only is a stale read.
		// Values are compared in full on a few rounds only (keys are never
		// rewritten); the other rounds compare keys, which is much cheaper.
		full := round == 1 || round%5 == 0
		checkLedger(t, p.Addr, round, "", l, full)
		waitConsistent(t, p.Addr)
		checkLedger(t, p.Addr, round, "consistent", l, full)
	}
}

// writeUntilKilled runs the writers against p until writeFor() passes or the
// write cap is nearly reached, then sends SIGKILL with writes still in
// flight. It returns each writer's log and how many requests were in flight
// when the signal went out.
func writeUntilKilled(t *testing.T, p *agentProc, round int) ([]writerLog, int64) {
	t.Helper()
	client := &http.Client{
		Timeout:   10 * time.Second, // bounds every writer once the agent is gone
		Transport: &http.Transport{MaxIdleConnsPerHost: writers},
	}
	defer client.CloseIdleConnections()

	var (
		issued, inFlight atomic.Int64
		killed           atomic.Bool
		nearCap          = make(chan struct{})
		nearCapOnce      sync.Once
		wg               sync.WaitGroup
	)
	logs := make([]writerLog, writers)
	for w := range logs {
		logs[w] = writerLog{sent: make(map[string]string), acked: make(map[string]string)}
		wg.Add(1)
		go func(wl *writerLog) {
			defer wg.Done()
			random := make([]byte, 200)
			for {
				n := issued.Add(1)
				if n > maxWrites {
					return
				}
				if n >= maxWrites*9/10 {
					nearCapOnce.Do(func() { close(nearCap) })
				}
				rand.Read(random)
				key := fmt.Sprintf("crash/w%d/r%d-%06d", w, round, n)
				value := fmt.Sprintf("w%d-n%d-%s", w, n, hex.EncodeToString(random))
				wl.sent[key] = value
				inFlight.Add(1)
				ok, err := put(client, p.Addr, key, value)
				inFlight.Add(-1)
				switch {
				case err != nil:
					if !killed.Load() {
						wl.err = err
					}
					return
				case !ok:
					wl.err = fmt.Errorf("PUT %s answered 200 but not true", key)
					return
				}
				wl.acked[key] = value
			}
		}(&logs[w])
	}

	select {
	case <-time.After(writeFor()):
	case <-nearCap:
	}
	killed.Store(true)
	atKill := inFlight.Load()
	kill(t, p)
	wg.Wait()
	return logs, atKill
}

// checkLedger reads crash/ from the restarted agent at addr in read mode
// ("" for the default) and compares it with l: every acknowledged write
// present with its value, and every key present one that was sent, with the
// value sent. Unless full, it reads and compares only the keys.
func checkLedger(t *testing.T, addr string, round int, mode string, l ledger, full bool) {
	t.Helper()
	var tree map[string]api.KVPair
	if full {
		tree, _ = listTree(t, addr, "crash/", mode)
	} else {
		tree = listKeys(t, addr, "crash/", mode)
	}
	var missing, wrong, phantom []string
	for k, v := range l.acked {
		switch p, ok := tree[k]; {
		case !ok:
			missing = append(missing, k)
		case full && string(p.Value) != v:
			wrong = append(wrong, k)
		}
	}
	unacked := 0
	for k, p := range tree {
		v, sent := l.sent[k]
		if !sent || (full && string(p.Value) != v) {
			phantom = append(phantom, k)
			continue
		}
		if _, ok := l.acked[k]; !ok {
			unacked++
		}
	}
	what := fmt.Sprintf("restart %d, %s read of %s", round, cmp.Or(mode, "default"), map[bool]string{true: "values", false: "keys"}[full])
	t.Logf("%s: checked %d acknowledged writes (all rounds): %d missing, %d wrong; "+
		"%d keys present, of which %d were sent but not acknowledged",
		what, len(l.acked), len(missing), len(wrong), len(tree), unacked)
	if len(missing) > 0 {
		t.Errorf("%s: %d of %d acknowledged writes are missing, e.g. %q",
			what, len(missing), len(l.acked), firstFew(missing))
	}
	if len(wrong) > 0 {
		k := firstFew(wrong)[0]
		t.Errorf("%s: %d acknowledged writes have another value, e.g. %s = %.40q..., want %.40q...",
			what, len(wrong), k, tree[k].Value, l.acked[k])
	}
	if len(phantom) > 0 {
		t.Errorf("%s: %d keys hold a value that was never sent for them, e.g. %q",
			what, len(phantom), firstFew(phantom))
	}
}

// waitConsistent waits until the agent at addr serves consistent reads,
// which it does once its leader barrier has applied the whole log.
func waitConsistent(t *testing.T, addr string) {
	t.Helper()
	testutil.Run(t, 20*time.Second, func(r *testutil.R) {
		resp, err := http.Get("http://" + addr + "/v1/kv/?keys&consistent")
		if err != nil {
			r.Fatalf("consistent read: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			r.Fatalf("consistent read = %d, want 200", resp.StatusCode)
		}
	})
}

// firstFew returns up to five of keys, sorted, for error messages.
func firstFew(keys []string) []string {
	sort.Strings(keys)
	return keys[:min(5, len(keys))]
}

// TestSIGTERMShutsDownCleanly stops a durable agent with SIGTERM: it must
// exit with code 0 within 10s, and a restart over the same data dir must
// find every key written before.
func TestSIGTERMShutsDownCleanly(t *testing.T) {
	dir := t.TempDir()
	p := startDurable(t, dir)
	want := writeKeys(t, p.Addr, "term/", 200)

	start := time.Now()
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("cannot send SIGTERM: %v", err)
	}
	if !p.WaitExit(10 * time.Second) {
		t.Fatalf("agent still running 10s after SIGTERM")
	}
	t.Logf("agent exited %v after SIGTERM", time.Since(start).Round(time.Millisecond))
	if code := p.Cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("agent exit code after SIGTERM = %d (%v), want 0", code, p.Cmd.ProcessState)
	}
	const caught = "==> Caught signal, gracefully shutting down agent...\n"
	if !strings.Contains(p.Out.String(), caught) {
		t.Errorf("agent output lacks %q", caught)
	}

	p = startDurable(t, dir)
	tree, _ := listTree(t, p.Addr, "term/", "")
	if len(tree) != len(want) {
		t.Errorf("after SIGTERM and restart, term/ holds %d keys, want %d", len(tree), len(want))
	}
	for k, v := range want {
		if got, ok := tree[k]; !ok || string(got.Value) != v {
			t.Errorf("after SIGTERM and restart, %s = %q (present %t), want %q", k, got.Value, ok, v)
		}
	}
}

// TestSIGTERMAnswersBlockingQuery sends SIGTERM while a blocking query with
// a five-minute wait is open: the query must be answered with the current
// result and the agent must exit, both within 10s.
func TestSIGTERMAnswersBlockingQuery(t *testing.T) {
	p := startDurable(t, t.TempDir())
	writeKeys(t, p.Addr, "watch/", 10)
	_, index := listTree(t, p.Addr, "watch/", "")
	if index == 0 {
		t.Fatalf("GET /v1/kv/watch/?recurse gave no X-Consul-Index")
	}

	type answer struct {
		status int
		index  uint64
		pairs  int
		err    error
	}
	answered := make(chan answer, 1)
	sent := make(chan struct{})
	go func() {
		url := fmt.Sprintf("http://%s/v1/kv/watch/?recurse&index=%d&wait=5m", p.Addr, index)
		var once sync.Once
		trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) {
			once.Do(func() { close(sent) })
		}}
		ctx := httptrace.WithClientTrace(context.Background(), trace)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		var pairs []api.KVPair
		if err == nil && resp.StatusCode == http.StatusOK {
			err = json.Unmarshal(body, &pairs)
		}
		idx, _ := strconv.ParseUint(resp.Header.Get("X-Consul-Index"), 10, 64)
		answered <- answer{status: resp.StatusCode, index: idx, pairs: len(pairs), err: err}
	}()

	select {
	case <-sent:
	case a := <-answered:
		t.Fatalf("blocking query failed before it was sent: %+v", a)
	case <-time.After(10 * time.Second):
		t.Fatalf("blocking query not sent within 10s")
	}
	// The query must still be waiting a moment later: it blocks for minutes.
	select {
	case a := <-answered:
		t.Fatalf("blocking query at index %d answered before SIGTERM: %+v", index, a)
	case <-time.After(300 * time.Millisecond):
	}

	start := time.Now()
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("cannot send SIGTERM: %v", err)
	}
	select {
	case a := <-answered:
		t.Logf("blocking query answered %v after SIGTERM: %+v", time.Since(start).Round(time.Millisecond), a)
		if a.err != nil || a.status != http.StatusOK || a.pairs != 10 || a.index < index {
			t.Errorf("blocking query answered %+v after SIGTERM, want status 200 with 10 pairs at index >= %d",
				a, index)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("blocking query still unanswered 10s after SIGTERM")
	}
	if !p.WaitExit(10 * time.Second) {
		t.Fatalf("agent still running 10s after SIGTERM with a blocking query open")
	}
	t.Logf("agent exited %v after SIGTERM", time.Since(start).Round(time.Millisecond))
	if code := p.Cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("agent exit code after SIGTERM = %d (%v), want 0", code, p.Cmd.ProcessState)
	}
}

// writeKeys writes n keys under prefix one by one, each acknowledged, and
// returns them with their values.
func writeKeys(t *testing.T, addr, prefix string, n int) map[string]string {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	want := make(map[string]string, n)
	for i := range n {
		key, value := fmt.Sprintf("%s%04d", prefix, i), fmt.Sprintf("value-%d", i)
		ok, err := put(client, addr, key, value)
		if err != nil || !ok {
			t.Fatalf("PUT %s = %t, %v; want true", key, ok, err)
		}
		want[key] = value
	}
	return want
}

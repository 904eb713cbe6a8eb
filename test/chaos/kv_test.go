package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/concordhq/concord/internal/testutil"
	consul "github.com/hashicorp/consul/api"
)

const (
	kvBound   = 6     // KV clients that each keep to one server (two per server)
	kvRoaming = 2     // KV clients that pick a server at random for each call
	kvKeys    = 5     // keys they share in an epoch
	opsPerSec = 2500  // cap on KV operations per second of fault phase...
	minOps    = 50000 // ...but at least this many per run

	// epoch is how long the workers use one set of keys before moving to
	// fresh ones. Porcupine checks each key on its own, and the time to
	// check a key grows faster than its history, so a long run stays
	// cheap to check.
	epoch = 30 * time.Second
)

// maxOps caps the operations of a run whose fault phase lasts d, so that
// the history stays small enough to check.
func maxOps(d time.Duration) int { return max(minOps, int(d.Seconds())*opsPerSec) }

// kvKey is key k of the epoch that time at (since the history began) falls in.
func kvKey(at int64, k int) string {
	return fmt.Sprintf("kv/e%d/k%d", at/int64(epoch), k)
}

// TestKVLinearizableUnderFaults runs puts, default and ?consistent gets and
// CAS on a few keys through every server while the nemesis kills, pauses
// and partitions servers, and checks that the history is linearizable.
// A ledger of writes to distinct keys runs alongside: every acknowledged
// one must be there at the end.
func TestKVLinearizableUnderFaults(t *testing.T) {
	var extra []string
	if *readFaultFlag != "" {
		extra = append(extra, "-test-read-fault="+*readFaultFlag)
		t.Logf("servers run with -test-read-fault=%s: the history should not be linearizable", *readFaultFlag)
	}
	c := testutil.StartProxiedCluster(t, binary, 3, extra...)
	r := runKV(t, c, phase(t, shortPhase), faultKinds(t), false)
	t.Logf("%d operations checked (%d pending: failed or timed out), %s, in %v; check took %v: %s",
		r.check.Ops, r.check.Pending, r.faults, r.ran.Round(time.Millisecond),
		r.check.Took.Round(time.Millisecond), r.check.Result)
	t.Logf("ledger: %d writes acknowledged, %d lost, %d unknown of which %d applied",
		r.ledger.acked, r.ledger.lost, r.ledger.unknown, r.ledger.unknownApplied)
	switch r.check.Result {
	case porcupine.Illegal:
		t.Errorf("the history is not linearizable; history and visualization in %s", r.check.Artifact)
	case porcupine.Unknown:
		t.Logf("the checker gave up after %v: no verdict on linearizability", checkTimeout)
	}
	if r.check.Ops < 500 {
		t.Errorf("only %d operations recorded: the test proves little", r.check.Ops)
	}
	if r.faultCount == 0 {
		t.Errorf("no fault was injected")
	}
}

// TestCheckerFindsStaleReads starts the servers with a fault on purpose
// (-test-read-fault=stale-default: followers answer default reads from
// their own, possibly stale, state) and isolates a follower at a time
// while the workload runs: the checker must find the history not
// linearizable. It proves that the checks above can fail.
func TestCheckerFindsStaleReads(t *testing.T) {
	c := testutil.StartProxiedCluster(t, binary, 3, "-test-read-fault=stale-default")
	for _, s := range c.Servers() {
		if !strings.Contains(s.Proc.Out.String(), "read_fault=stale-default") {
			t.Fatalf("server %s did not announce the stale-read fault: the switch is not on", s.Name)
		}
	}
	r := runKV(t, c, 10*time.Second, []faultKind{faultIsolateFollow}, true)
	t.Logf("with stale default reads on purpose: %d operations checked (%d pending), %s, in %v; check took %v: %s",
		r.check.Ops, r.check.Pending, r.faults, r.ran.Round(time.Millisecond),
		r.check.Took.Round(time.Millisecond), r.check.Result)
	if r.check.Result != porcupine.Illegal {
		t.Fatalf("the checker found the history %s, want %s: it misses stale reads", r.check.Result, porcupine.Illegal)
	}
	t.Logf("found, as it should: history and visualization in %s", r.check.Artifact)
}

// kvRun is what runKV measured.
type kvRun struct {
	check      checkResult
	ledger     ledgerResult
	faults     string // the nemesis's summary
	faultCount int
	ran        time.Duration
}

// runKV runs the KV workload and the ledger writer against c for d under
// a nemesis injecting kinds, then heals the cluster, reads every key
// ?consistent into the history, and checks it. With expectIllegal (a
// fault on purpose) the history files are written in any case, under
// t.TempDir() unless $CONCORD_ARTIFACTS is set.
func runKV(t *testing.T, c *testutil.ProxiedCluster, d time.Duration, kinds []faultKind, expectIllegal bool) kvRun {
	t.Helper()
	cls := clients(t, c)
	names := make([]string, len(cls))
	for i, s := range c.Servers() {
		names[i] = s.Name
	}
	h := newHistory()
	nem := newNemesis(t, c, h, kinds)
	led := newLedger()
	workers := []func(context.Context){func(ctx context.Context) { led.write(ctx, cls, maxOps(d)) }}
	for w := range kvBound + kvRoaming {
		workers = append(workers, func(ctx context.Context) { kvWorker(ctx, h, cls, names, w, maxOps(d)) })
	}
	ran := underFaults(t, c, nem, d, workers...)
	finalReads(t, h, cls, names)
	r := kvRun{faults: nem.summary(), faultCount: nem.total(), ran: ran}
	r.ledger = led.verify(t, cls)
	t.Logf("operations completed per second, and faults: %s", h.timeline())
	r.check = check(t, h, expectIllegal)
	return r
}

// kvWorker is one client: random operations on random keys until ctx ends
// or the run has limit operations.
func kvWorker(ctx context.Context, h *history, cls []*consul.Client, names []string, w, limit int) {
	rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
	client := h.newClient()
	type seen struct {
		value string
		index uint64
	}
	last := map[string]seen{} // per key, the last value this worker read, and its ModifyIndex
	// Most workers keep to one server, as a client bound to a node would,
	// so that a server in trouble stalls only its own clients. The others
	// roam: they also send new calls to a server that is paused or cut off.
	i := w % len(cls)
	roam := w >= kvBound
	for seq := 0; ctx.Err() == nil && h.len() < limit; seq++ {
		if roam {
			i = rng.IntN(len(cls))
		}
		kv := cls[i].KV()
		call := h.now()
		in := kvInput{Key: kvKey(call, rng.IntN(kvKeys)), Server: names[i]}
		var out kvOutput
		var err error
		switch p := rng.IntN(100); {
		case p < 25:
			in.Kind, in.Value = opPut, fmt.Sprintf("w%d-%d", w, seq)
			_, err = kv.Put(&consul.KVPair{Key: in.Key, Value: []byte(in.Value)}, nil)
		case p < 75:
			in.Kind, in.Mode = opGet, "default"
			q := &consul.QueryOptions{}
			if p >= 50 {
				in.Mode, q.RequireConsistent = "consistent", true
			}
			var pair *consul.KVPair
			pair, _, err = kv.Get(in.Key, q)
			if err == nil && pair != nil {
				out.Value = string(pair.Value)
				last[in.Key] = seen{out.Value, pair.ModifyIndex}
			}
		default:
			prev := last[in.Key] // zero: the key must be missing (cas=0)
			in.Kind, in.Value, in.Expect = opCAS, fmt.Sprintf("w%d-%d", w, seq), prev.value
			out.OK, _, err = kv.CAS(&consul.KVPair{Key: in.Key, Value: []byte(in.Value), ModifyIndex: prev.index}, nil)
		}
		if err != nil && notSent(err) {
			time.Sleep(50 * time.Millisecond) // that server is down: the call did nothing
			continue
		}
		if err != nil {
			out = outcome(err)
		}
		h.add(client, in, call, out)
		if out.Unknown {
			client = h.newClient() // the call may still be in flight
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// outcome is the output of a call that returned err.
func outcome(err error) kvOutput {
	if err == nil {
		return kvOutput{}
	}
	msg := err.Error()
	if len(msg) > 80 {
		msg = msg[:80] + "..."
	}
	return kvOutput{Unknown: true, Err: msg}
}

// finalReads reads every key of every epoch ?consistent once the cluster
// has settled, so that the history ends with the state every acknowledged
// write must have led to.
func finalReads(t *testing.T, h *history, cls []*consul.Client, names []string) {
	t.Helper()
	client := h.newClient()
	epochs := int(h.now()/int64(epoch)) + 1
	for k := range epochs * kvKeys {
		key := kvKey(int64(k/kvKeys)*int64(epoch), k%kvKeys)
		err := retryFor(30*time.Second, func() error {
			i := k % len(cls)
			call := h.now()
			pair, _, err := cls[i].KV().Get(key, &consul.QueryOptions{RequireConsistent: true})
			if err != nil {
				return err
			}
			out := kvOutput{}
			if pair != nil {
				out.Value = string(pair.Value)
			}
			h.add(client, kvInput{Kind: opGet, Key: key, Mode: "consistent", Server: names[i]}, call, out)
			return nil
		})
		if err != nil {
			t.Fatalf("final consistent read of %s: %v", key, err)
		}
	}
}

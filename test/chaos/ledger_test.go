package chaos

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	consul "github.com/hashicorp/consul/api"
)

// ledger is a writer of distinct keys (ledger/000000, ...), each written
// once, through the servers in turn: at the end every acknowledged write
// must be there, with its value.
type ledger struct {
	acked   map[string]bool // the writer's goroutine only, until verify
	unknown map[string]bool // failed or timed out: may or may not be there
}

// ledgerResult counts what verify found.
type ledgerResult struct {
	acked, lost, unknown, unknownApplied int
}

func newLedger() *ledger { return &ledger{acked: map[string]bool{}, unknown: map[string]bool{}} }

// write writes until ctx ends or limit keys were sent, through one server
// until a write fails, then through the next.
func (l *ledger) write(ctx context.Context, cls []*consul.Client, limit int) {
	srv := 0
	for n := 0; ctx.Err() == nil && n < limit; n++ {
		key := fmt.Sprintf("ledger/%06d", n)
		_, err := cls[srv].KV().Put(&consul.KVPair{Key: key, Value: []byte(key)}, nil)
		switch {
		case err == nil:
			l.acked[key] = true
			continue
		case !notSent(err):
			l.unknown[key] = true
		}
		srv = (srv + 1) % len(cls)
		time.Sleep(50 * time.Millisecond)
	}
}

// verify lists ledger/ ?consistent and compares it with what was sent.
func (l *ledger) verify(t *testing.T, cls []*consul.Client) ledgerResult {
	t.Helper()
	pairs := listConsistent(t, cls[0], "ledger/")
	r := ledgerResult{acked: len(l.acked), unknown: len(l.unknown)}
	present := map[string]bool{}
	for _, p := range pairs {
		present[p.Key] = true
		switch {
		case string(p.Value) != p.Key:
			t.Errorf("ledger: %s = %q, want %q", p.Key, p.Value, p.Key)
		case l.unknown[p.Key]:
			r.unknownApplied++
		case !l.acked[p.Key]:
			t.Errorf("ledger: %s is there but was never sent, or its write was refused", p.Key)
		}
	}
	var lost []string
	for k := range l.acked {
		if !present[k] {
			lost = append(lost, k)
		}
	}
	r.lost = len(lost)
	if len(lost) > 0 {
		t.Errorf("ledger: %d of %d acknowledged writes are lost, e.g. %q", len(lost), len(l.acked), firstFew(lost))
	}
	return r
}

// notSent reports whether err says the request never reached a server
// (the connection was refused), so it cannot have taken effect.
func notSent(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// firstFew returns up to five of keys, for error messages.
func firstFew(keys []string) []string { return keys[:min(5, len(keys))] }

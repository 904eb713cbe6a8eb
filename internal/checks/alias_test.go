package checks_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/checks"
)

// aliasBoard is a fake catalog for alias checks: one status with an
// index, and blocking reads on it.
type aliasBoard struct {
	mu      sync.Mutex
	status  string        // guarded by mu
	index   uint64        // guarded by mu
	err     error         // guarded by mu; returned once, then cleared
	changed chan struct{} // guarded by mu; closed and replaced on each set
	calls   []string      // guarded by mu; "node/service@waitIndex"
}

func newAliasBoard(status string) *aliasBoard {
	return &aliasBoard{status: status, index: 5, changed: make(chan struct{})}
}

func (b *aliasBoard) set(status string, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.status, b.err = status, err
	b.index++
	close(b.changed)
	b.changed = make(chan struct{})
}

func (b *aliasBoard) source() *mockAliasSource {
	return &mockAliasSource{AliasStatusFunc: func(ctx context.Context, node, serviceID string, waitIndex uint64) (string, uint64, error) {
		for {
			b.mu.Lock()
			b.calls = append(b.calls, node+"/"+serviceID)
			if err := b.err; err != nil {
				b.err = nil
				b.mu.Unlock()
				return "", 0, err
			}
			if b.index > waitIndex {
				s, i := b.status, b.index
				b.mu.Unlock()
				return s, i, nil
			}
			ch := b.changed
			b.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return "", 0, ctx.Err()
			}
		}
	}}
}

func TestAlias(t *testing.T) {
	t.Parallel()
	board := newAliasBoard(api.HealthPassing)
	rec := newRecorder()
	r := newRunner(t, rec, func(c *checks.Config) { c.Alias = board.source() })
	mustAdd(t, r, "alias", &api.AgentServiceCheck{AliasNode: "n1", AliasService: "web"})

	u := waitStatus(t, rec, "alias", api.HealthPassing)
	if !strings.Contains(u.output, `service "web" on node "n1"`) {
		t.Errorf("output = %q, want it to name what it mirrors", u.output)
	}
	board.set(api.HealthWarning, nil)
	waitStatus(t, rec, "alias", api.HealthWarning)
	board.set("maintenance", nil)
	waitStatus(t, rec, "alias", api.HealthCritical)
	board.set(api.HealthPassing, nil)
	waitStatus(t, rec, "alias", api.HealthPassing)

	// An error turns the check critical; it recovers after a backoff.
	board.set(api.HealthPassing, errors.New("no leader"))
	if u := waitStatus(t, rec, "alias", api.HealthCritical); !strings.Contains(u.output, "no leader") {
		t.Errorf("output after an error = %q, want the error", u.output)
	}
	waitStatus(t, rec, "alias", api.HealthPassing)

	board.mu.Lock()
	calls := board.calls
	board.mu.Unlock()
	for _, c := range calls {
		if c != "n1/web" {
			t.Fatalf("AliasStatus called for %q, want n1/web", c)
		}
	}
	// The loop blocks between changes: a few calls per change, not a spin.
	if len(calls) > 30 {
		t.Errorf("AliasStatus called %d times for 5 changes, want a blocking loop", len(calls))
	}
}

func TestAliasNeedsSource(t *testing.T) {
	t.Parallel()
	r := newRunner(t, newRecorder(), nil)
	err := r.Add("alias", &api.AgentServiceCheck{AliasService: "web"}, false)
	if !errors.Is(err, checks.ErrInvalidCheck) {
		t.Errorf("Add(alias) without an AliasSource = %v, want ErrInvalidCheck", err)
	}
}

package state_test

import (
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/state"
)

// TestCheckServiceNodesCacheFollowsChanges: non-blocking health reads are
// cached, and every change that matters to the service — a check turning
// critical, a node check, a new instance, a deregistration — is seen at once.
func TestCheckServiceNodesCacheFollowsChanges(t *testing.T) {
	s := state.New()
	idx := uint64(0)
	apply := func(fn func(tx *state.Txn) error) {
		t.Helper()
		idx++
		tx := s.WriteTxn()
		if err := fn(tx); err != nil {
			tx.Abort()
			t.Fatalf("write %d: %v", idx, err)
		}
		tx.Commit()
	}
	register := func(node, svc, checkID, status string) {
		apply(func(tx *state.Txn) error {
			req := &api.CatalogRegistration{Node: node, Address: "10.0.0.1"}
			if svc != "" {
				req.Service = &api.NodeService{ID: svc, Service: "web"}
			}
			if checkID != "" {
				req.Check = &api.HealthCheck{CheckID: checkID, Name: checkID, Status: status, ServiceID: svc}
			}
			return tx.EnsureRegistration(idx, time.Unix(0, 0), req)
		})
	}
	passing := func() int {
		t.Helper()
		_, out, err := s.CheckServiceNodes(nil, "web", nil, true)
		if err != nil {
			t.Fatal(err)
		}
		return len(out)
	}

	register("n1", "web1", "c1", api.HealthPassing)
	register("n2", "web2", "c2", api.HealthPassing)
	if got := passing(); got != 2 {
		t.Fatalf("passing instances = %d, want 2", got)
	}
	if got := passing(); got != 2 { // from the cache
		t.Fatalf("passing instances again = %d, want 2", got)
	}
	register("n1", "web1", "c1", api.HealthCritical)
	if got := passing(); got != 1 {
		t.Fatalf("after a service check went critical, passing = %d, want 1", got)
	}
	register("n2", "", "node-check", api.HealthCritical)
	if got := passing(); got != 0 {
		t.Fatalf("after a node check went critical, passing = %d, want 0", got)
	}
	register("n3", "web3", "", "")
	if _, out, _ := s.CheckServiceNodes(nil, "web", nil, false); len(out) != 3 {
		t.Fatalf("after a new instance, instances = %d, want 3", len(out))
	}
	apply(func(tx *state.Txn) error {
		return tx.Deregister(idx, time.Unix(0, 0), &api.CatalogDeregistration{Node: "n3"})
	})
	if _, out, _ := s.CheckServiceNodes(nil, "web", nil, false); len(out) != 2 {
		t.Fatalf("after deregistering a node, instances = %d, want 2", len(out))
	}
}

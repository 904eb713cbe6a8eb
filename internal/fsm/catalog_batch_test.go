package fsm_test

import (
	"testing"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/hashicorp/raft"
)

// memberReg is a registration as the leader writes it for a gossip member:
// the node and its serfHealth check.
func memberReg(node, status string) *api.CatalogRegistration {
	return &api.CatalogRegistration{
		Node: node, Address: "10.0.0.1", Datacenter: "dc1",
		Check: &api.HealthCheck{Node: node, CheckID: api.SerfCheckID, Name: "Serf Health Status", Status: status},
	}
}

// serfStatus is the status of node's serfHealth check, or "" if the node
// has none.
func serfStatus(t *testing.T, f *fsm.FSM, node string) string {
	t.Helper()
	_, checks, err := f.State().NodeChecks(nil, node)
	if err != nil {
		t.Fatalf("NodeChecks(%q) = %v", node, err)
	}
	for _, c := range checks {
		if c.CheckID == api.SerfCheckID {
			return c.Status
		}
	}
	return ""
}

// TestApplyCatalogBatch: the writes of a batch apply in order at the
// entry's index; one that fails (a check naming a missing service) is
// dropped whole, node included, and the others still apply; a write that
// is neither a registration nor a deregistration is an error result.
func TestApplyCatalogBatch(t *testing.T) {
	f := newFSM()
	f.Apply(&raft.Log{Index: 1, Type: raft.LogCommand, Data: fsm.EncodeRegister(memberReg("old", api.HealthPassing), t0)})

	bad := memberReg("bad", api.HealthPassing)
	bad.Check.ServiceID = "missing"
	ops := []fsm.CatalogOp{
		{Register: memberReg("a", api.HealthPassing)},
		{Register: bad},
		{Register: memberReg("b", api.HealthPassing)},
		{Register: memberReg("b", api.HealthCritical)}, // a later write of the same node wins
		{Deregister: &api.CatalogDeregistration{Node: "old"}},
		{},
	}
	res := f.Apply(&raft.Log{Index: 2, Type: raft.LogCommand, Data: fsm.EncodeCatalogBatch(ops, t0)})
	errs, ok := res.([]error)
	if !ok || len(errs) != len(ops) {
		t.Fatalf("Apply(batch of %d) = %#v, want %d errors", len(ops), res, len(ops))
	}
	for i, err := range errs {
		if wantErr := i == 1 || i == 5; (err != nil) != wantErr {
			t.Errorf("write %d: error %v, want error %v", i, err, wantErr)
		}
	}
	for node, want := range map[string]string{"a": api.HealthPassing, "b": api.HealthCritical, "bad": "", "old": ""} {
		if got := serfStatus(t, f, node); got != want {
			t.Errorf("serfHealth of %q = %q, want %q", node, got, want)
		}
	}
	if _, n, err := f.State().Node(nil, "bad"); err != nil || n != nil {
		t.Errorf("Node(%q) = %+v, %v; want none: its write failed", "bad", n, err)
	}
	_, n, err := f.State().Node(nil, "a")
	if err != nil || n == nil || n.CreateIndex != 2 || n.ModifyIndex != 2 {
		t.Errorf("Node(%q) = %+v, %v; want it made at index 2", "a", n, err)
	}
}

// TestApplyCatalogBatchAllGood: a batch without failures gives the same
// catalog as the same writes sent one command each.
func TestApplyCatalogBatchAllGood(t *testing.T) {
	ops := []fsm.CatalogOp{
		{Register: memberReg("a", api.HealthPassing)},
		{Register: memberReg("b", api.HealthPassing)},
		{Deregister: &api.CatalogDeregistration{Node: "a"}},
		{Register: memberReg("c", api.HealthCritical)},
	}
	batch := newFSM()
	res := batch.Apply(&raft.Log{Index: 1, Type: raft.LogCommand, Data: fsm.EncodeCatalogBatch(ops, t0)})
	for i, err := range res.([]error) {
		if err != nil {
			t.Errorf("write %d: %v", i, err)
		}
	}
	one := newFSM()
	for _, op := range ops {
		// The same writes at the same index, in one run of entries.
		var cmd []byte
		if op.Register != nil {
			cmd = fsm.EncodeRegister(op.Register, t0)
		} else {
			cmd = fsm.EncodeDeregister(op.Deregister, t0)
		}
		one.Apply(&raft.Log{Index: 1, Type: raft.LogCommand, Data: cmd})
	}
	for _, node := range []string{"a", "b", "c"} {
		if got, want := serfStatus(t, batch, node), serfStatus(t, one, node); got != want {
			t.Errorf("serfHealth of %q after the batch = %q, after single commands = %q", node, got, want)
		}
	}
}

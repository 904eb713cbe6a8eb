package state

import (
	"strings"
	"testing"

	"github.com/concordhq/concord/api"
)

// TestACLWritesCheckBeforeWriting: every ACL write finds its problem
// before it writes, since the FSM applies it in a transaction it shares
// with other commands.
func TestACLWritesCheckBeforeWriting(t *testing.T) {
	s := New()
	tx := s.WriteTxn()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(tx.ACLPolicySet(1, &api.ACLPolicy{ID: "p1", Name: "Readers"}, true))
	must(tx.ACLRoleSet(2, &api.ACLRole{ID: "r1", Name: "Ops", Policies: []*api.ACLLink{{ID: "p1"}}}, true))
	must(tx.ACLTokenSet(3, &api.ACLToken{AccessorID: "t1", SecretID: "s1", Roles: []*api.ACLLink{{ID: "r1"}}}, true))
	for _, tc := range []struct {
		name  string
		write func() error
		want  string
	}{
		{"token with a missing policy", func() error {
			return tx.ACLTokenSet(4, &api.ACLToken{AccessorID: "t2", SecretID: "s2", Policies: []*api.ACLLink{{ID: "nope"}}}, true)
		}, "No such ACL policy"},
		{"update of a missing token", func() error {
			return tx.ACLTokenSet(4, &api.ACLToken{AccessorID: "t9", SecretID: "s9"}, false)
		}, `Cannot find token "t9"`},
		{"role named as another in other case", func() error {
			return tx.ACLRoleSet(4, &api.ACLRole{ID: "r2", Name: "OPS"}, true)
		}, `A Role with Name "OPS" already exists`},
		{"bootstrap twice", func() error {
			must(tx.ACLBootstrap(5, 0, &api.ACLToken{AccessorID: "b1", SecretID: "bs1"}))
			return tx.ACLBootstrap(6, 0, &api.ACLToken{AccessorID: "b2", SecretID: "bs2"})
		}, ErrACLBootstrapped.Error()},
	} {
		if err := tc.write(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	tx.Commit()

	if _, toks, _ := s.ACLTokenList(nil); len(toks) != 2 {
		t.Errorf("%d tokens, want t1 and the bootstrap token b1", len(toks))
	}
	if _, r, _ := s.ACLRoleByName(nil, "ops"); r == nil || r.ID != "r1" || r.Policies[0].Name != "Readers" {
		t.Errorf("ACLRoleByName(ops) = %+v, want r1 with its policy's name", r)
	}
	if done, reset, err := s.ACLBootstrapped(); !done || reset != 5 || err != nil {
		t.Errorf("ACLBootstrapped() = %v, %d, %v; want true, 5", done, reset, err)
	}
	if _, tok, _ := s.ACLTokenGet(nil, "t2"); tok != nil {
		t.Errorf("refused token t2 was written: %+v", tok)
	}
}

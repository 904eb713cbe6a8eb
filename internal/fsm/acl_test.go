package fsm_test

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/concordhq/concord/internal/state"
	"github.com/hashicorp/raft"
)

const (
	polID  = "bbbbbbbb-0000-0000-0000-000000000001"
	roleID = "bbbbbbbb-0000-0000-0000-000000000002"
	tokA   = "bbbbbbbb-0000-0000-0000-00000000000a"
	tokB   = "bbbbbbbb-0000-0000-0000-00000000000b"
)

func aclLog(idx uint64, op *fsm.ACLOp) *raft.Log {
	return &raft.Log{Index: idx, Type: raft.LogCommand, Data: fsm.EncodeACL(op, t0)}
}

// aclFSM holds a policy, a role linking it, a bootstrap token and a token
// linking the policy and the role, with an expiry.
func aclFSM(t *testing.T) *fsm.FSM {
	t.Helper()
	f := newFSM()
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	mustApply(t, f,
		aclLog(1, &fsm.ACLOp{Op: fsm.ACLPolicySet, Create: true, Policy: &api.ACLPolicy{ID: polID, Name: "kv-read", Rules: `key_prefix "" { policy = "read" }`}}),
		aclLog(2, &fsm.ACLOp{Op: fsm.ACLRoleSet, Create: true, Role: &api.ACLRole{ID: roleID, Name: "reader",
			Policies: []*api.ACLLink{{ID: polID}}, ServiceIdentities: []*api.ACLServiceIdentity{{ServiceName: "web"}}}}),
		aclLog(3, &fsm.ACLOp{Op: fsm.ACLBootstrap, Token: &api.ACLToken{AccessorID: tokA, SecretID: "secret-a", Description: "boot"}}),
		aclLog(4, &fsm.ACLOp{Op: fsm.ACLTokenSet, Create: true, Token: &api.ACLToken{AccessorID: tokB, SecretID: "secret-b",
			Policies: []*api.ACLLink{{ID: polID, Name: "old name"}}, Roles: []*api.ACLLink{{ID: roleID}},
			ExpirationTime: &exp, CreateTime: t0, Hash: []byte{1, 2}}}),
	)
	return f
}

// mustApply applies logs to f as one batch; each must succeed.
func mustApply(t *testing.T, f *fsm.FSM, logs ...*raft.Log) {
	t.Helper()
	for i, res := range f.ApplyBatch(logs) {
		if res != nil {
			t.Fatalf("entry %d (index %d) = %v, want nil", i+1, logs[i].Index, res)
		}
	}
}

// TestACLApply: each operation's checks, with Consul's texts, and
// indexes as Consul keeps them.
func TestACLApply(t *testing.T) {
	f := aclFSM(t)
	st := f.State()
	for _, tc := range []struct {
		name string
		op   *fsm.ACLOp
		want string
	}{
		{"policy name taken in any case", &fsm.ACLOp{Op: fsm.ACLPolicySet, Create: true, Policy: &api.ACLPolicy{ID: "p2", Name: "KV-READ"}},
			`A Policy with Name "KV-READ" already exists`},
		{"policy update of missing", &fsm.ACLOp{Op: fsm.ACLPolicySet, Policy: &api.ACLPolicy{ID: "p3", Name: "x"}}, "Cannot find policy p3"},
		{"role links a missing policy", &fsm.ACLOp{Op: fsm.ACLRoleSet, Create: true, Role: &api.ACLRole{ID: "r2", Name: "r2",
			Policies: []*api.ACLLink{{ID: "nope"}}}}, `No such ACL policy with ID "nope"`},
		{"token secret taken", &fsm.ACLOp{Op: fsm.ACLTokenSet, Create: true, Token: &api.ACLToken{AccessorID: "t3", SecretID: "secret-a"}},
			"SecretID is already in use"},
		{"token accessor taken", &fsm.ACLOp{Op: fsm.ACLTokenSet, Create: true, Token: &api.ACLToken{AccessorID: tokA, SecretID: "s"}},
			"AccessorID is already in use"},
		{"token links a missing role", &fsm.ACLOp{Op: fsm.ACLTokenSet, Create: true, Token: &api.ACLToken{AccessorID: "t4", SecretID: "s4",
			Roles: []*api.ACLLink{{ID: "nope"}}}}, `No such ACL role with ID "nope"`},
		{"second bootstrap", &fsm.ACLOp{Op: fsm.ACLBootstrap, Token: &api.ACLToken{AccessorID: "t5", SecretID: "s5"}},
			state.ErrACLBootstrapped.Error()},
		{"unknown op", &fsm.ACLOp{Op: "frobnicate"}, `unknown or incomplete ACL operation "frobnicate"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := f.Apply(aclLog(10, tc.op))
			err, _ := res.(error)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Apply(%s) = %v, want an error containing %q", tc.op.Op, res, tc.want)
			}
		})
	}
	// Nothing above was written.
	if _, toks, _ := st.ACLTokenList(nil); len(toks) != 2 {
		t.Errorf("%d tokens after refused writes, want 2", len(toks))
	}
	if done, reset, _ := st.ACLBootstrapped(); !done || reset != 3 {
		t.Errorf("ACLBootstrapped() = %v, %d; want true, 3", done, reset)
	}
	// A bootstrap naming the reset index runs again.
	if res := f.Apply(aclLog(11, &fsm.ACLOp{Op: fsm.ACLBootstrap, ResetIndex: 3,
		Token: &api.ACLToken{AccessorID: "t6", SecretID: "s6"}})); res != nil {
		t.Fatalf("bootstrap with the reset index = %v, want nil", res)
	}
	if _, reset, _ := st.ACLBootstrapped(); reset != 11 {
		t.Errorf("reset index after a reset bootstrap = %d, want 11", reset)
	}
}

// TestACLLinksFollowRenamesAndDeletes: reads give a link its policy's
// current name, and drop links to deleted policies and roles.
func TestACLLinksFollowRenamesAndDeletes(t *testing.T) {
	f := aclFSM(t)
	st := f.State()
	_, tok, _ := st.ACLTokenGet(nil, tokB)
	if got := tok.Policies[0].Name; got != "kv-read" {
		t.Errorf("token's policy link name = %q, want the policy's name kv-read", got)
	}
	if tok.CreateIndex != 4 || tok.ModifyIndex != 4 {
		t.Errorf("token indexes = %d/%d, want 4/4", tok.CreateIndex, tok.ModifyIndex)
	}
	f.Apply(aclLog(5, &fsm.ACLOp{Op: fsm.ACLPolicySet, Policy: &api.ACLPolicy{ID: polID, Name: "renamed"}}))
	_, tok, _ = st.ACLTokenGet(nil, tokB)
	if got := tok.Policies[0].Name; got != "renamed" {
		t.Errorf("after a rename, link name = %q, want renamed", got)
	}
	_, p, _ := st.ACLPolicyGet(nil, polID)
	if p.CreateIndex != 1 || p.ModifyIndex != 5 {
		t.Errorf("policy indexes = %d/%d, want 1/5", p.CreateIndex, p.ModifyIndex)
	}
	f.Apply(aclLog(6, &fsm.ACLOp{Op: fsm.ACLPolicyDelete, IDs: []string{polID}}))
	f.Apply(aclLog(7, &fsm.ACLOp{Op: fsm.ACLRoleDelete, IDs: []string{roleID}}))
	idx, tok, _ := st.ACLTokenGet(nil, tokB)
	if len(tok.Policies) != 0 || len(tok.Roles) != 0 {
		t.Errorf("after deletes, token links = %+v / %+v, want none", tok.Policies, tok.Roles)
	}
	if idx != 7 {
		t.Errorf("token read index = %d, want 7 (a link changed)", idx)
	}
	if res, _ := st.ACLResolve("secret-b"); res == nil || len(res.Policies) != 0 || len(res.Roles) != 0 {
		t.Errorf("ACLResolve after deletes = %+v, want the token alone", res)
	}
}

// TestACLResolveCollectsPolicies: a token's own policies and its roles'
// policies, each once.
func TestACLResolveCollectsPolicies(t *testing.T) {
	st := aclFSM(t).State()
	res, err := st.ACLResolve("secret-b")
	if err != nil || res == nil {
		t.Fatalf("ACLResolve = %v, %v", res, err)
	}
	if len(res.Policies) != 1 || res.Policies[0].ID != polID || len(res.Roles) != 1 || res.Roles[0].ID != roleID {
		t.Errorf("ACLResolve = policies %+v roles %+v, want the one policy once and the role", res.Policies, res.Roles)
	}
	if res, _ := st.ACLResolve("no such secret"); res != nil {
		t.Errorf("ACLResolve(unknown) = %+v, want nil", res)
	}
	if ids := st.ACLTokensExpired(time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC), 10); !reflect.DeepEqual(ids, []string{tokB}) {
		t.Errorf("ACLTokensExpired(2031) = %v, want [%s]", ids, tokB)
	}
	if ids := st.ACLTokensExpired(time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC), 10); len(ids) != 0 {
		t.Errorf("ACLTokensExpired(2029) = %v, want none", ids)
	}
}

// TestACLSnapshotRoundTrip: tokens, policies, roles and the bootstrap
// record survive a snapshot, indexes included.
func TestACLSnapshotRoundTrip(t *testing.T) {
	src := aclFSM(t)
	dst := newFSM()
	if err := dst.Restore(io.NopCloser(bytes.NewReader(persist(t, src)))); err != nil {
		t.Fatalf("Restore = %v", err)
	}
	for _, read := range []func(*state.Store) any{
		func(st *state.Store) any { _, v, _ := st.ACLTokenList(nil); return v },
		func(st *state.Store) any { _, v, _ := st.ACLPolicyList(nil); return v },
		func(st *state.Store) any { _, v, _ := st.ACLRoleList(nil); return v },
		func(st *state.Store) any { _, v, _ := st.ACLTokenBySecret(nil, "secret-b"); return v },
		func(st *state.Store) any { _, v, _ := st.ACLPolicyByName(nil, "KV-read"); return v },
		func(st *state.Store) any { _, v, _ := st.ACLRoleByName(nil, "reader"); return v },
		func(st *state.Store) any { done, reset, _ := st.ACLBootstrapped(); return []any{done, reset} },
	} {
		if got, want := read(dst.State()), read(src.State()); !reflect.DeepEqual(got, want) {
			t.Errorf("restored %+v, want %+v", got, want)
		}
	}
	// The restored bootstrap record still refuses a second bootstrap.
	res := dst.Apply(aclLog(9, &fsm.ACLOp{Op: fsm.ACLBootstrap, Token: &api.ACLToken{AccessorID: "x", SecretID: "y"}}))
	if err, _ := res.(error); !errors.Is(err, state.ErrACLBootstrapped) {
		t.Errorf("bootstrap after restore = %v, want ErrACLBootstrapped", res)
	}
}

package fsm_test

import (
	"bytes"
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/concordhq/concord/internal/state"
)

const (
	ruleA    = "cccccccc-0000-0000-0000-00000000000a"
	ruleB    = "cccccccc-0000-0000-0000-00000000000b"
	loginTok = "cccccccc-0000-0000-0000-0000000000ff"
	otherTok = "cccccccc-0000-0000-0000-0000000000fe"
)

// authFSM holds aclFSM's objects, two auth methods (one with a token a
// login made), and a binding rule of each.
func authFSM(t *testing.T) *fsm.FSM {
	t.Helper()
	f := aclFSM(t)
	mustApply(t, f,
		aclLog(5, &fsm.ACLOp{Op: fsm.ACLAuthMethodSet, AuthMethod: &api.ACLAuthMethod{Name: "k8s", Type: "kubernetes",
			MaxTokenTTL: time.Hour, TokenLocality: "global", Config: map[string]any{"Host": "https://k8s", "N": 1.5}}}),
		aclLog(6, &fsm.ACLOp{Op: fsm.ACLAuthMethodSet, AuthMethod: &api.ACLAuthMethod{Name: "jwt", Type: "jwt"}}),
		aclLog(7, &fsm.ACLOp{Op: fsm.ACLBindingRuleSet, BindingRule: &api.ACLBindingRule{ID: ruleA, AuthMethod: "k8s",
			Selector: `serviceaccount.name == "web"`, BindType: "service", BindName: "${serviceaccount.name}"}}),
		aclLog(8, &fsm.ACLOp{Op: fsm.ACLBindingRuleSet, BindingRule: &api.ACLBindingRule{ID: ruleB, AuthMethod: "jwt",
			BindType: "role", BindName: "reader"}}),
		aclLog(9, &fsm.ACLOp{Op: fsm.ACLTokenSet, Create: true, Token: &api.ACLToken{AccessorID: loginTok, SecretID: "secret-login",
			AuthMethod: "k8s", ServiceIdentities: []*api.ACLServiceIdentity{{ServiceName: "web"}}}}),
		// A local token of a method of the same name (another
		// datacenter's, say): not k8s's, a global method's.
		aclLog(10, &fsm.ACLOp{Op: fsm.ACLTokenSet, Create: true, Token: &api.ACLToken{AccessorID: otherTok, SecretID: "secret-other",
			AuthMethod: "k8s", Local: true, ServiceIdentities: []*api.ACLServiceIdentity{{ServiceName: "web"}}}}),
	)
	return f
}

// TestAuthMethodApply: rules need their method; deleting a method
// deletes its rules and its logins' tokens of its locality, and nothing
// of the other method.
func TestAuthMethodApply(t *testing.T) {
	f := authFSM(t)
	st := f.State()
	res := f.Apply(aclLog(11, &fsm.ACLOp{Op: fsm.ACLBindingRuleSet, BindingRule: &api.ACLBindingRule{ID: "x", AuthMethod: "gone"}}))
	if err, _ := res.(error); err == nil || err.Error() != `cannot find auth method with name "gone"` {
		t.Errorf("rule of a missing method = %v", res)
	}
	if _, m, _ := st.ACLAuthMethodGet(nil, "k8s"); m == nil || m.CreateIndex != 5 || m.MaxTokenTTL != time.Hour {
		t.Errorf("ACLAuthMethodGet(k8s) = %+v", m)
	}
	if res := f.Apply(aclLog(12, &fsm.ACLOp{Op: fsm.ACLAuthMethodDelete, IDs: []string{"k8s"}})); res != nil {
		t.Fatalf("delete k8s = %v", res)
	}
	if _, m, _ := st.ACLAuthMethodGet(nil, "k8s"); m != nil {
		t.Errorf("k8s after delete = %+v", m)
	}
	if idx, rules, _ := st.ACLBindingRuleList(nil, ""); len(rules) != 1 || rules[0].ID != ruleB || idx != 12 {
		t.Errorf("rules after deleting k8s = %+v at %d, want jwt's only, index 12", rules, idx)
	}
	if _, tok, _ := st.ACLTokenGet(nil, otherTok); tok == nil {
		t.Error("a local token was deleted with a global method of its name")
	}
	if _, tok, _ := st.ACLTokenGet(nil, loginTok); tok != nil {
		t.Errorf("login token after deleting its method = %+v", tok)
	}
	if _, tok, _ := st.ACLTokenGet(nil, tokB); tok == nil {
		t.Error("an unrelated token was deleted with the method")
	}
}

// TestAuthMethodSnapshotRoundTrip: auth methods (Config and TTL kept)
// and binding rules survive a snapshot, with their own indexes.
func TestAuthMethodSnapshotRoundTrip(t *testing.T) {
	src := authFSM(t)
	dst := newFSM()
	if err := dst.Restore(io.NopCloser(bytes.NewReader(persist(t, src)))); err != nil {
		t.Fatalf("Restore = %v", err)
	}
	for _, read := range []func(*state.Store) any{
		func(st *state.Store) any { _, v, _ := st.ACLAuthMethodList(nil); return v },
		func(st *state.Store) any { _, v, _ := st.ACLBindingRuleList(nil, "k8s"); return v },
		func(st *state.Store) any { _, v, _ := st.ACLTokenGet(nil, loginTok); return v },
	} {
		if got, want := read(dst.State()), read(src.State()); !reflect.DeepEqual(got, want) {
			t.Errorf("restored %+v, want %+v", got, want)
		}
	}
	if _, m, _ := dst.State().ACLAuthMethodGet(nil, "k8s"); m == nil || m.Config["N"] != 1.5 || m.TokenLocality != "global" {
		t.Errorf("restored k8s = %+v", m)
	}
}

package server

import (
	"slices"
	"testing"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/acl"
	"github.com/concordhq/concord/internal/call"
)

func readApp(t *testing.T) *acl.Authorizer {
	t.Helper()
	p, err := acl.Parse(`key_prefix "app/" { policy = "read" }
service "web" { policy = "read" }
node_prefix "" { policy = "read" }`)
	if err != nil {
		t.Fatal(err)
	}
	return acl.Compile([]*acl.Policy{p}, acl.Options{})
}

// TestFilterResult checks that list results lose what the token may not
// read and say so in their meta, and that the call's own result is left
// as it was (it may be the store's).
func TestFilterResult(t *testing.T) {
	a := readApp(t)
	pairs := []*api.KVPair{{Key: "app/a"}, {Key: "secret/x"}, {Key: "app/b"}}
	kv := &call.Result[[]*api.KVPair]{Value: pairs}
	filterResult(a, kv)
	if got := len(kv.Value); got != 2 || !kv.Meta.ResultsFilteredByACLs || len(pairs) != 3 || pairs[1].Key != "secret/x" {
		t.Errorf("KV list filtered to %d pairs (filtered %v), input now %d", got, kv.Meta.ResultsFilteredByACLs, len(pairs))
	}

	svcs := &call.Result[map[string][]string]{Value: map[string][]string{"web": nil, "db": nil}}
	filterResult(a, svcs)
	if _, ok := svcs.Value["db"]; ok || len(svcs.Value) != 1 || !svcs.Meta.ResultsFilteredByACLs {
		t.Errorf("services filtered to %v (filtered %v), want web only", svcs.Value, svcs.Meta.ResultsFilteredByACLs)
	}

	mine := &call.Result[[]*api.KVPair]{Value: []*api.KVPair{{Key: "app/a"}}}
	filterResult(a, mine)
	if mine.Meta.ResultsFilteredByACLs {
		t.Error("a list the token may read whole is marked filtered")
	}

	resp := &api.TxnResponse{Results: []api.TxnResult{{KV: &api.KVPair{Key: "app/a"}}, {KV: &api.KVPair{Key: "secret/x"}}}}
	txn := &call.Result[*api.TxnResponse]{Value: resp}
	filterResult(a, txn)
	keys := []string{}
	for _, r := range txn.Value.Results {
		keys = append(keys, r.KV.Key)
	}
	if !slices.Equal(keys, []string{"app/a"}) || !txn.Meta.ResultsFilteredByACLs || len(resp.Results) != 2 {
		t.Errorf("txn results filtered to %v (filtered %v); the input kept %d", keys, txn.Meta.ResultsFilteredByACLs, len(resp.Results))
	}

	forwarded := &call.Result[[]*api.KVPair]{Value: []*api.KVPair{{Key: "app/a"}}, Meta: api.QueryMeta{ResultsFilteredByACLs: true}}
	filterResult(a, forwarded)
	if !forwarded.Meta.ResultsFilteredByACLs {
		t.Error("the leader's filtered mark was lost on the way back")
	}
}

func TestPublicCallsNeedNoToken(t *testing.T) {
	if !public(call.Leader.Resources(&call.StatusArgs{})) {
		t.Error("Leader is not public")
	}
	if public(call.KVGet.Resources(&call.KVGetArgs{Key: "a"})) {
		t.Error("KVGet is public")
	}
}

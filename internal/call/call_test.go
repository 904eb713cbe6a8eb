package call

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/concordhq/concord/api"
)

// TestEveryCallNamesItsResource checks each declaration: a unique name, and
// a resource for arguments as decoded from an empty body (what access
// control will be asked to decide).
func TestEveryCallNamesItsResource(t *testing.T) {
	if len(Declared()) < 25 {
		t.Fatalf("%d calls declared, want every call of the replicated state", len(Declared()))
	}
	for _, d := range Declared() {
		if Lookup(d.Name) != d {
			t.Errorf("Lookup(%q) does not find its declaration", d.Name)
		}
		args, err := d.DecodeArgs(json.RawMessage(`{}`))
		if err != nil {
			t.Errorf("%s: DecodeArgs({}) = %v", d.Name, err)
			continue
		}
		rs := d.Resources(args)
		if len(rs) == 0 {
			t.Errorf("%s names no resource", d.Name)
		}
		for _, r := range rs {
			if r.Kind == "" || (r.Access != read && r.Access != write && r.Access != list) {
				t.Errorf("%s: resource %+v lacks a kind or an access", d.Name, r)
			}
		}
	}
}

func TestTxnResourcesAndReadOnly(t *testing.T) {
	a := &TxnArgs{Ops: []api.KVTxnOp{{Verb: api.KVGet, Key: "a"}, {Verb: api.KVSet, Key: "b"},
		{Verb: api.KVDeleteTree, Key: "c/"}, {Verb: api.KVGetTree, Key: "d/"}}}
	rs := Txn.Resources(a)
	want := []Resource{{Kind: key, Name: "a", Access: read}, {Kind: key, Name: "b", Access: write},
		{Kind: keyPre, Name: "c/", Access: write}, {Kind: keyPre, Name: "d/", Access: read}}
	if !slices.Equal(rs, want) {
		t.Fatalf("Txn resources = %+v, want %+v", rs, want)
	}
	if got := KVApply.Resources(&KVApplyArgs{Op: &api.KVTxnOp{Verb: api.KVDeleteTree, Key: "x/"}}); !slices.Equal(got, []Resource{{Kind: keyPre, Name: "x/", Access: write}}) {
		t.Fatalf("KVApply delete-tree resources = %+v", got)
	}
	a = &TxnArgs{Ops: a.Ops[:2]}
	if Txn.IsRead(a) {
		t.Errorf("a txn with a set is not a read")
	}
	if !Txn.IsRead(&TxnArgs{Ops: a.Ops[:1]}) {
		t.Errorf("a txn of gets is a read")
	}
}

func TestTableNeedsEveryCall(t *testing.T) {
	_, err := NewTable(Implement(KVApply, func(context.Context, *KVApplyArgs) (bool, error) { return true, nil }))
	if err == nil || !strings.Contains(err.Error(), "has no implementation") {
		t.Fatalf("NewTable with one call = %v, want an error naming a missing call", err)
	}
}

// TestHooksSeeEveryCall checks that the hooks get the call's resources,
// and that a refusal stops the call.
func TestHooksSeeEveryCall(t *testing.T) {
	deny := errors.New("denied")
	var gotRes []Resource
	h := Hooks{
		Authorize: func(_ context.Context, d *Desc, args any) (Filter, error) {
			gotRes = d.Resources(args)
			return nil, deny
		},
	}
	args := &KVGetArgs{Key: "a/b"}
	if _, err := h.Check(context.Background(), KVGet.Desc, args); !errors.Is(err, deny) {
		t.Fatalf("Check = %v, want the refusal", err)
	}
	if len(gotRes) != 1 || gotRes[0] != (Resource{Kind: key, Name: "a/b", Access: read}) {
		t.Fatalf("hooks saw resources %+v", gotRes)
	}
}

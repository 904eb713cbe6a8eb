package httpapi_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	consulapi "github.com/hashicorp/consul/api"
)

// kvOp wraps a KV operation for Txn.
func kvOp(verb consulapi.KVOp, key, value string, index uint64) *consulapi.TxnOp {
	op := &consulapi.KVTxnOp{Verb: verb, Key: key, Index: index}
	if value != "" {
		op.Value = []byte(value)
	}
	return &consulapi.TxnOp{KV: op}
}

// runTxn runs ops and fails the test on a transport or non-200/409 error.
func runTxn(t *testing.T, c *consulapi.Client, ops consulapi.TxnOps, q *consulapi.QueryOptions) (bool, *consulapi.TxnResponse) {
	t.Helper()
	ok, resp, _, err := c.Txn().Txn(ops, q)
	if err != nil {
		t.Fatalf("Txn(%d ops): %v", len(ops), err)
	}
	return ok, resp
}

// txnErrors formats a txn's errors for messages.
func txnErrors(resp *consulapi.TxnResponse) string {
	var parts []string
	for _, e := range resp.Errors {
		parts = append(parts, fmt.Sprintf("op %d: %s", e.OpIndex, e.What))
	}
	return strings.Join(parts, "; ")
}

func TestTxnSetAndGet(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	ok, resp := runTxn(t, c, consulapi.TxnOps{
		{KV: &consulapi.KVTxnOp{Verb: consulapi.KVSet, Key: "t/a", Value: []byte("va"), Flags: semaphoreFlags}},
		kvOp(consulapi.KVSet, "t/b", "vb", 0),
		kvOp(consulapi.KVGet, "t/a", "", 0),
	}, nil)
	if !ok {
		t.Fatalf("Txn(set, set, get) ok = false, errors: %s", txnErrors(resp))
	}
	if len(resp.Results) != 3 {
		t.Fatalf("Txn(set, set, get) = %d results, want 3", len(resp.Results))
	}
	set, got := resp.Results[0].KV, resp.Results[2].KV
	if set == nil || set.Key != "t/a" || set.Value != nil || set.ModifyIndex == 0 {
		t.Errorf("set result = %+v, want key t/a, no value, an index", set)
	}
	if got == nil || string(got.Value) != "va" || got.Flags != semaphoreFlags {
		t.Errorf("get result = %+v, want value va, flags %d", got, semaphoreFlags)
	} else if got.ModifyIndex != set.ModifyIndex {
		t.Errorf("get result ModifyIndex = %d, want the txn's %d", got.ModifyIndex, set.ModifyIndex)
	}
	if resp.Results[1].KV.ModifyIndex != set.ModifyIndex {
		t.Errorf("txn writes have ModifyIndex %d and %d, want one index", set.ModifyIndex, resp.Results[1].KV.ModifyIndex)
	}
	wantValue(t, c, "t/a", "va")
	wantValue(t, c, "t/b", "vb")
}

// TestTxnWireShape checks the raw reply: a set's Value is null and a
// successful txn has "Errors": null.
func TestTxnWireShape(t *testing.T) {
	t.Parallel()
	ta, _ := startDevAgent(t)
	r := doRaw(t, ta.HTTPAddr(), "PUT", "/v1/txn", strings.NewReader(`[{"KV":{"Verb":"set","Key":"w","Value":"eA=="}}]`))
	wantStatus(t, "PUT /v1/txn", r, 200)
	var body map[string]json.RawMessage
	decodeJSON(t, "PUT /v1/txn", r.Body, &body)
	if got := string(body["Errors"]); got != "null" {
		t.Errorf(`PUT /v1/txn "Errors" = %s, want null`, got)
	}
	var results []map[string]map[string]json.RawMessage
	decodeJSON(t, "PUT /v1/txn Results", body["Results"], &results)
	if len(results) != 1 || string(results[0]["KV"]["Value"]) != "null" {
		t.Errorf(`PUT /v1/txn Results = %s, want one KV with "Value": null`, body["Results"])
	}

	r = doRaw(t, ta.HTTPAddr(), "PUT", "/v1/txn", strings.NewReader(`[{"KV":{"Verb":"get","Key":"w"}}]`))
	wantStatus(t, "PUT /v1/txn get", r, 200)
	results = nil
	body = nil
	decodeJSON(t, "PUT /v1/txn get", r.Body, &body)
	decodeJSON(t, "PUT /v1/txn get Results", body["Results"], &results)
	if len(results) != 1 || string(results[0]["KV"]["Value"]) != `"eA=="` {
		t.Errorf(`txn get Results = %s, want one KV with "Value": "eA=="`, body["Results"])
	} else if s, ok := results[0]["KV"]["Session"]; ok {
		t.Errorf(`txn get of an unlocked key has "Session": %s, want the field absent`, s)
	}

	r = doRaw(t, ta.HTTPAddr(), "PUT", "/v1/txn", strings.NewReader(`[{"KV":{"Verb":"cas","Key":"w","Value":"eA==","Index":999999}}]`))
	wantStatus(t, "PUT /v1/txn with a stale cas", r, 409)
	body = nil
	decodeJSON(t, "PUT /v1/txn 409", r.Body, &body)
	if got := string(body["Results"]); got != "null" {
		t.Errorf(`409 reply "Results" = %s, want null`, got)
	}
	var errs []consulapi.TxnError
	decodeJSON(t, "PUT /v1/txn 409 Errors", body["Errors"], &errs)
	if len(errs) != 1 || errs[0].OpIndex != 0 || !strings.Contains(errs[0].What, "w") {
		t.Errorf("409 reply Errors = %+v, want one error at OpIndex 0 naming key w", errs)
	}
}

func TestTxnMaxOps(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	var ops consulapi.TxnOps
	for i := range 128 {
		ops = append(ops, kvOp(consulapi.KVSet, fmt.Sprintf("max/%03d", i), fmt.Sprint(i), 0))
	}
	ok, resp := runTxn(t, c, ops, nil)
	if !ok || len(resp.Results) != 128 {
		t.Fatalf("Txn(128 sets) = ok %v, %d results (%s); want ok, 128", ok, len(resp.Results), txnErrors(resp))
	}
	keys, _, err := c.KV().Keys("max/", "", nil)
	if err != nil || len(keys) != 128 {
		t.Fatalf("Keys(max/) = %d keys, %v; want 128", len(keys), err)
	}

	r := doRaw(t, ta.HTTPAddr(), "PUT", "/v1/txn", strings.NewReader(txnBody("over/", 129)))
	wantStatus(t, "PUT /v1/txn with 129 ops", r, 413)
	if keys, _, _ := c.KV().Keys("over/", "", nil); len(keys) != 0 {
		t.Errorf("Keys(over/) after a 129-op txn = %d keys, want none", len(keys))
	}
	ops = append(ops, kvOp(consulapi.KVSet, "max/extra", "x", 0))
	if _, _, _, err := c.Txn().Txn(ops, nil); err == nil || !strings.Contains(err.Error(), "too many operations") {
		t.Errorf("Txn(129 ops) error = %v, want too many operations", err)
	}
}

func TestTxnRollback(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	mustPut(t, c, "rb/c", "original")
	mustPut(t, c, "rb/e", "keep")
	stale := mustGet(t, c, "rb/c").ModifyIndex
	mustPut(t, c, "rb/c", "current")

	ok, resp := runTxn(t, c, consulapi.TxnOps{
		kvOp(consulapi.KVSet, "rb/a", "new", 0),
		kvOp(consulapi.KVSet, "rb/b", "new", 0),
		kvOp(consulapi.KVDelete, "rb/e", "", 0),
		kvOp(consulapi.KVCAS, "rb/c", "cas", stale),
		kvOp(consulapi.KVSet, "rb/d", "new", 0),
	}, nil)
	if ok {
		t.Fatalf("Txn with a stale cas ok = true, want false")
	}
	if len(resp.Errors) != 1 || resp.Errors[0].OpIndex != 3 {
		t.Fatalf("Txn errors = %s, want one at OpIndex 3", txnErrors(resp))
	}
	if len(resp.Results) != 0 {
		t.Errorf("Txn results = %d, want none on rollback", len(resp.Results))
	}
	for _, k := range []string{"rb/a", "rb/b", "rb/d"} {
		wantMissing(t, c, k)
	}
	wantValue(t, c, "rb/c", "current")
	wantValue(t, c, "rb/e", "keep")

	// A rolled-back txn must not leave its index on the data either.
	p := mustGet(t, c, "rb/c")
	ok, resp = runTxn(t, c, consulapi.TxnOps{kvOp(consulapi.KVCAS, "rb/c", "cas", p.ModifyIndex)}, nil)
	if !ok {
		t.Errorf("Txn(cas at current index %d) = false (%s), want true", p.ModifyIndex, txnErrors(resp))
	}
}

func TestTxnVerbs(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	for _, k := range []string{"v/tree/a", "v/tree/b/c", "v/treehouse", "v/one", "v/dc"} {
		mustPut(t, c, k, "val-"+k)
	}
	one := mustGet(t, c, "v/one").ModifyIndex
	dc := mustGet(t, c, "v/dc").ModifyIndex

	tests := []struct {
		name        string
		ops         consulapi.TxnOps
		wantOK      bool
		wantOpIndex int      // when !wantOK
		wantKeys    []string // keys of the results, in order, when wantOK
		after       func(t *testing.T)
	}{
		{
			name:     "check-index current",
			ops:      consulapi.TxnOps{kvOp(consulapi.KVCheckIndex, "v/one", "", one), kvOp(consulapi.KVGet, "v/one", "", 0)},
			wantOK:   true,
			wantKeys: []string{"v/one"},
		},
		{
			name:        "check-index stale",
			ops:         consulapi.TxnOps{kvOp(consulapi.KVSet, "v/x", "x", 0), kvOp(consulapi.KVCheckIndex, "v/one", "", one-1)},
			wantOpIndex: 1,
			after:       func(t *testing.T) { wantMissing(t, c, "v/x") },
		},
		{
			name:        "check-index missing key",
			ops:         consulapi.TxnOps{kvOp(consulapi.KVCheckIndex, "v/none", "", 1)},
			wantOpIndex: 0,
		},
		{
			name:     "check-not-exists absent",
			ops:      consulapi.TxnOps{kvOp(consulapi.KVCheckNotExists, "v/none", "", 0), kvOp(consulapi.KVSet, "v/new", "n", 0)},
			wantOK:   true,
			wantKeys: []string{"v/new"},
			after:    func(t *testing.T) { wantValue(t, c, "v/new", "n") },
		},
		{
			name:        "check-not-exists present",
			ops:         consulapi.TxnOps{kvOp(consulapi.KVCheckNotExists, "v/one", "", 0)},
			wantOpIndex: 0,
		},
		{
			name:     "get-tree",
			ops:      consulapi.TxnOps{kvOp(consulapi.KVGetTree, "v/tree/", "", 0)},
			wantOK:   true,
			wantKeys: []string{"v/tree/a", "v/tree/b/c"},
		},
		{
			name:     "cas 0 creates when absent",
			ops:      consulapi.TxnOps{kvOp(consulapi.KVCAS, "v/created", "c", 0)},
			wantOK:   true,
			wantKeys: []string{"v/created"},
			after:    func(t *testing.T) { wantValue(t, c, "v/created", "c") },
		},
		{
			name:        "cas 0 fails when present",
			ops:         consulapi.TxnOps{kvOp(consulapi.KVCAS, "v/one", "over", 0)},
			wantOpIndex: 0,
			after:       func(t *testing.T) { wantValue(t, c, "v/one", "val-v/one") },
		},
		{
			name:        "get missing",
			ops:         consulapi.TxnOps{kvOp(consulapi.KVGet, "v/none", "", 0)},
			wantOpIndex: 0,
		},
		{
			name:     "get-or-empty missing",
			ops:      consulapi.TxnOps{kvOp(consulapi.KVGetOrEmpty, "v/none", "", 0)},
			wantOK:   true,
			wantKeys: []string{"v/none"},
		},
		{
			name:        "delete-cas stale",
			ops:         consulapi.TxnOps{kvOp(consulapi.KVDeleteCAS, "v/dc", "", dc-1)},
			wantOpIndex: 0,
			after:       func(t *testing.T) { wantValue(t, c, "v/dc", "val-v/dc") },
		},
		{
			name:   "delete-cas current",
			ops:    consulapi.TxnOps{kvOp(consulapi.KVDeleteCAS, "v/dc", "", dc)},
			wantOK: true,
			after:  func(t *testing.T) { wantMissing(t, c, "v/dc") },
		},
		{
			name:   "delete-tree",
			ops:    consulapi.TxnOps{kvOp(consulapi.KVDeleteTree, "v/tree/", "", 0)},
			wantOK: true,
			after: func(t *testing.T) {
				wantMissing(t, c, "v/tree/a")
				wantMissing(t, c, "v/tree/b/c")
				wantValue(t, c, "v/treehouse", "val-v/treehouse")
			},
		},
		{
			name:   "delete",
			ops:    consulapi.TxnOps{kvOp(consulapi.KVDelete, "v/treehouse", "", 0), kvOp(consulapi.KVDelete, "v/none", "", 0)},
			wantOK: true,
			after:  func(t *testing.T) { wantMissing(t, c, "v/treehouse") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, resp := runTxn(t, c, tt.ops, nil)
			if ok != tt.wantOK {
				t.Fatalf("Txn(%s) ok = %v (%s), want %v", tt.name, ok, txnErrors(resp), tt.wantOK)
			}
			if tt.wantOK {
				var keys []string
				for _, r := range resp.Results {
					keys = append(keys, r.KV.Key)
				}
				if !reflect.DeepEqual(keys, tt.wantKeys) {
					t.Errorf("Txn(%s) result keys = %q, want %q", tt.name, keys, tt.wantKeys)
				}
			} else if len(resp.Errors) != 1 || resp.Errors[0].OpIndex != tt.wantOpIndex {
				t.Errorf("Txn(%s) errors = %s, want one at OpIndex %d", tt.name, txnErrors(resp), tt.wantOpIndex)
			}
			if tt.after != nil {
				tt.after(t)
			}
		})
	}
}

func TestTxnReadOnlyConsistency(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	mustPut(t, c, "ro/a", "1")
	mustPut(t, c, "ro/b", "2")
	ops := consulapi.TxnOps{kvOp(consulapi.KVGet, "ro/a", "", 0), kvOp(consulapi.KVGetTree, "ro/", "", 0)}

	for _, q := range []*consulapi.QueryOptions{nil, {AllowStale: true}, {RequireConsistent: true}} {
		ok, resp, meta, err := c.Txn().Txn(ops, q)
		if err != nil || !ok {
			t.Fatalf("read-only Txn(%+v) = ok %v, err %v", q, ok, err)
		}
		if len(resp.Results) != 3 || string(resp.Results[0].KV.Value) != "1" {
			t.Errorf("read-only Txn(%+v) results = %d, want 3 starting with ro/a=1", q, len(resp.Results))
		}
		if !meta.KnownLeader {
			t.Errorf("read-only Txn(%+v) KnownLeader = false, want true", q)
		}
	}

	body := `[{"KV":{"Verb":"get","Key":"ro/a"}}]`
	for _, tt := range []struct{ query, want string }{{"", "leader"}, {"?stale", "stale"}, {"?consistent", "consistent"}} {
		r := doRaw(t, ta.HTTPAddr(), "PUT", "/v1/txn"+tt.query, strings.NewReader(body))
		wantStatus(t, "PUT /v1/txn"+tt.query, r, 200)
		if got := r.Header.Get("X-Consul-Effective-Consistency"); got != tt.want {
			t.Errorf("PUT /v1/txn%s X-Consul-Effective-Consistency = %q, want %q", tt.query, got, tt.want)
		}
		if got := r.Header.Get("X-Consul-Index"); got == "" || got == "0" {
			t.Errorf("PUT /v1/txn%s X-Consul-Index = %q, want >= 1", tt.query, got)
		}
	}
}

// TestTxnLockUnknownSession: sessions do not exist yet, so any lock names
// an unknown session and must fail without writing.
func TestTxnLockUnknownSession(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	const sid = "adf4238a-882b-9ddc-4a9d-5b6758e4159e"
	ok, resp := runTxn(t, c, consulapi.TxnOps{
		kvOp(consulapi.KVSet, "lk/before", "x", 0),
		{KV: &consulapi.KVTxnOp{Verb: consulapi.KVLock, Key: "lk/lock", Value: []byte("v"), Session: sid}},
	}, nil)
	if ok {
		t.Fatalf("Txn(lock with unknown session) ok = true, want false")
	}
	if len(resp.Errors) != 1 || resp.Errors[0].OpIndex != 1 || resp.Errors[0].What == "" {
		t.Errorf("Txn(lock) errors = %s, want one at OpIndex 1", txnErrors(resp))
	}
	wantMissing(t, c, "lk/lock")
	wantMissing(t, c, "lk/before")

	acquired, _, err := c.KV().Acquire(&consulapi.KVPair{Key: "lk/acq", Value: []byte("v"), Session: sid}, nil)
	if err == nil && acquired {
		t.Errorf("Acquire(lk/acq, unknown session) = true, want false or an error")
	}
	wantMissing(t, c, "lk/acq")
}

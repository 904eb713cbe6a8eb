package state_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/state"
)

func TestKVTxn(t *testing.T) {
	// The store holds "k" = "vk" at 1 and "d/1", "d/2" at 2 and 3.
	tests := []struct {
		name     string
		ops      []api.KVTxnOp
		want     []api.TxnResult
		wantErr  int    // OpIndex of the failing op, or -1
		wantWhat string // part of the failure text
		wantKeys []string
	}{{
		name: "writes carry no value, reads see earlier writes",
		ops: []api.KVTxnOp{
			{Verb: api.KVSet, Key: "a", Value: []byte("1"), Flags: 3},
			{Verb: api.KVCAS, Key: "k", Value: []byte("2"), Index: 1},
			{Verb: api.KVGet, Key: "a"},
			{Verb: api.KVCheckIndex, Key: "k", Index: 10},
		},
		want: []api.TxnResult{
			{KV: &api.KVPair{Key: "a", Flags: 3, CreateIndex: 10, ModifyIndex: 10}},
			{KV: &api.KVPair{Key: "k", CreateIndex: 1, ModifyIndex: 10}},
			{KV: &api.KVPair{Key: "a", Value: []byte("1"), Flags: 3, CreateIndex: 10, ModifyIndex: 10}},
		},
		wantErr:  -1,
		wantKeys: []string{"a", "d/1", "d/2", "k"},
	}, {
		name: "deletes add no results",
		ops: []api.KVTxnOp{
			{Verb: api.KVDelete, Key: "k"},
			{Verb: api.KVDeleteTree, Key: "d/"},
			{Verb: api.KVDeleteCAS, Key: "nope", Index: 3},
			{Verb: api.KVCheckNotExists, Key: "k"},
		},
		wantErr: -1,
	}, {
		name: "stale cas rolls back earlier writes",
		ops: []api.KVTxnOp{
			{Verb: api.KVSet, Key: "a", Value: []byte("1")},
			{Verb: api.KVDelete, Key: "k"},
			{Verb: api.KVCAS, Key: "d/1", Value: []byte("x"), Index: 9},
		},
		wantErr: 2, wantWhat: "index is stale",
		wantKeys: []string{"d/1", "d/2", "k"},
	}, {
		name: "read sees the txn's own delete, abort restores it",
		ops: []api.KVTxnOp{
			{Verb: api.KVDeleteTree, Key: ""},
			{Verb: api.KVGet, Key: "k"},
		},
		wantErr: 1, wantWhat: "doesn't exist",
		wantKeys: []string{"d/1", "d/2", "k"},
	}, {
		name:    "stale delete-cas",
		ops:     []api.KVTxnOp{{Verb: api.KVDeleteCAS, Key: "k", Index: 2}},
		wantErr: 0, wantWhat: "index is stale",
		wantKeys: []string{"d/1", "d/2", "k"},
	}, {
		name:    "lock without sessions",
		ops:     []api.KVTxnOp{{Verb: api.KVLock, Key: "k", Session: "s1"}},
		wantErr: 0, wantWhat: "invalid session",
		wantKeys: []string{"d/1", "d/2", "k"},
	}, {
		name:    "unlock of a free key",
		ops:     []api.KVTxnOp{{Verb: api.KVSet, Key: "a"}, {Verb: api.KVUnlock, Key: "k", Session: "s1"}},
		wantErr: 1, wantWhat: "lock isn't held",
		wantKeys: []string{"d/1", "d/2", "k"},
	}, {
		name:    "missing key name",
		ops:     []api.KVTxnOp{{Verb: api.KVSet, Key: ""}},
		wantErr: 0, wantWhat: state.ErrMissingKey.Error(),
		wantKeys: []string{"d/1", "d/2", "k"},
	}, {
		name:    "unknown verb",
		ops:     []api.KVTxnOp{{Verb: "frobnicate", Key: "k"}},
		wantErr: 0, wantWhat: "unknown KV verb",
		wantKeys: []string{"d/1", "d/2", "k"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t, "k", "d/1", "d/2")
			tx := s.WriteTxn()
			results, errs := tx.KVTxn(10, time.Unix(0, 0), tc.ops)
			if len(errs) > 0 {
				tx.Abort()
			} else {
				tx.Commit()
			}
			switch {
			case tc.wantErr < 0 && len(errs) > 0:
				t.Fatalf("KVTxn errors = %+v, want none", errs)
			case tc.wantErr >= 0 && (len(errs) != 1 || errs[0].OpIndex != tc.wantErr || !strings.Contains(errs[0].What, tc.wantWhat)):
				t.Fatalf("KVTxn errors = %+v, want one at op %d containing %q", errs, tc.wantErr, tc.wantWhat)
			case tc.wantErr >= 0 && results != nil:
				t.Errorf("KVTxn results = %+v on failure, want nil", results)
			}
			if !reflect.DeepEqual(results, tc.want) {
				t.Errorf("KVTxn results = %s, want %s", fmtResults(results), fmtResults(tc.want))
			}
			if got := keysOf(t, s); !reflect.DeepEqual(got, tc.wantKeys) {
				t.Errorf("keys after KVTxn = %q, want %q", got, tc.wantKeys)
			}
			if tc.wantErr >= 0 && s.MaxIndex() != 3 {
				t.Errorf("MaxIndex() = %d after an aborted txn, want 3", s.MaxIndex())
			}
		})
	}
}

func TestKVReadTxn(t *testing.T) {
	s := restoredStore(t, 5, []*api.KVPair{
		{Key: "a/1", Value: []byte("x"), CreateIndex: 2, ModifyIndex: 2},
		{Key: "a/2", Value: []byte("y"), CreateIndex: 3, ModifyIndex: 3},
		{Key: "locked", Value: []byte("z"), Session: "s1", LockIndex: 1, CreateIndex: 4, ModifyIndex: 4},
	}, []state.Tombstone{{Key: "a/3", Index: 5}})
	a1 := &api.KVPair{Key: "a/1", Value: []byte("x"), CreateIndex: 2, ModifyIndex: 2}
	a2 := &api.KVPair{Key: "a/2", Value: []byte("y"), CreateIndex: 3, ModifyIndex: 3}
	tests := []struct {
		name     string
		ops      []api.KVTxnOp
		want     []api.TxnResult
		wantErr  int
		wantWhat string
	}{
		{"get", []api.KVTxnOp{{Verb: api.KVGet, Key: "a/1"}}, []api.TxnResult{{KV: a1}}, -1, ""},
		{"get missing", []api.KVTxnOp{{Verb: api.KVGet, Key: "a/3"}}, nil, 0, "doesn't exist"},
		{"get-tree", []api.KVTxnOp{{Verb: api.KVGetTree, Key: "a/"}}, []api.TxnResult{{KV: a1}, {KV: a2}}, -1, ""},
		{"get-tree of nothing", []api.KVTxnOp{{Verb: api.KVGetTree, Key: "b/"}}, nil, -1, ""},
		{"get-or-empty present", []api.KVTxnOp{{Verb: api.KVGetOrEmpty, Key: "a/2"}}, []api.TxnResult{{KV: a2}}, -1, ""},
		{"get-or-empty missing", []api.KVTxnOp{{Verb: api.KVGetOrEmpty, Key: "b"}}, []api.TxnResult{{KV: &api.KVPair{Key: "b"}}}, -1, ""},
		{"check-index match", []api.KVTxnOp{{Verb: api.KVCheckIndex, Key: "a/2", Index: 3}}, nil, -1, ""},
		{"check-index mismatch", []api.KVTxnOp{{Verb: api.KVCheckIndex, Key: "a/2", Index: 2}}, nil, 0, "current modify index 3 != 2"},
		{"check-index missing", []api.KVTxnOp{{Verb: api.KVCheckIndex, Key: "b", Index: 1}}, nil, 0, "current modify index 0 != 1"},
		{"check-session holder", []api.KVTxnOp{{Verb: api.KVCheckSession, Key: "locked", Session: "s1"}}, nil, -1, ""},
		{"check-session other", []api.KVTxnOp{{Verb: api.KVCheckSession, Key: "locked", Session: "s2"}}, nil, 0, "failed session check"},
		{"check-session missing", []api.KVTxnOp{{Verb: api.KVCheckSession, Key: "b", Session: "s1"}}, nil, 0, "failed session check"},
		{"check-not-exists missing", []api.KVTxnOp{{Verb: api.KVCheckNotExists, Key: "a/3"}}, nil, -1, ""},
		{"check-not-exists present", []api.KVTxnOp{{Verb: api.KVCheckNotExists, Key: "a/1"}}, nil, 0, "exists"},
		{"write verb refused", []api.KVTxnOp{{Verb: api.KVSet, Key: "a/1"}}, nil, 0, "unknown KV verb"},
		{"second op fails", []api.KVTxnOp{
			{Verb: api.KVGet, Key: "a/1"},
			{Verb: api.KVGet, Key: "nope"},
			{Verb: api.KVGet, Key: "a/2"},
		}, nil, 1, "doesn't exist"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			results, errs := s.KVReadTxn(tc.ops)
			switch {
			case tc.wantErr < 0 && len(errs) > 0:
				t.Fatalf("KVReadTxn errors = %+v, want none", errs)
			case tc.wantErr >= 0 && (len(errs) != 1 || errs[0].OpIndex != tc.wantErr || !strings.Contains(errs[0].What, tc.wantWhat)):
				t.Fatalf("KVReadTxn errors = %+v, want one at op %d containing %q", errs, tc.wantErr, tc.wantWhat)
			}
			if !reflect.DeepEqual(results, tc.want) {
				t.Errorf("KVReadTxn results = %s, want %s", fmtResults(results), fmtResults(tc.want))
			}
		})
	}
	if got := s.MaxIndex(); got != 5 {
		t.Errorf("MaxIndex() = %d after reads, want 5", got)
	}
}

// fmtResults prints results with their pairs, not their pointers.
func fmtResults(rs []api.TxnResult) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = "<nil>"
		if r.KV != nil {
			parts[i] = fmt.Sprintf("%+v", *r.KV)
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

package fsm_test

import (
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/concordhq/concord/internal/state"
	"github.com/hashicorp/raft"
)

func newFSM() *fsm.FSM { return fsm.New(slog.New(slog.NewTextHandler(io.Discard, nil))) }

func kv(verb api.KVOp, key string, value string, index uint64) []byte {
	op := api.KVTxnOp{Verb: verb, Key: key, Index: index}
	if value != "" {
		op.Value = []byte(value)
	}
	return fsm.EncodeKV(&op, t0)
}

// entries turns commands into committed log entries at indexes 1, 2, ...;
// a nil command becomes a LogNoop.
func entries(cmds ...[]byte) []*raft.Log {
	logs := make([]*raft.Log, len(cmds))
	for i, c := range cmds {
		logs[i] = &raft.Log{Index: uint64(i + 1), Term: 1, Type: raft.LogCommand, Data: c}
		if c == nil {
			logs[i].Type = raft.LogNoop
		}
	}
	return logs
}

// anyError in a want list stands for any error result.
type anyError struct{}

// mixedBatch is a run of writes whose results depend on one another.
func mixedBatch() ([]*raft.Log, []any) {
	logs := entries(
		kv(api.KVSet, "a", "1", 0), // 1
		kv(api.KVSet, "b", "2", 0), // 2
		fsm.EncodeTxn([]api.KVTxnOp{ // 3: fails at op 1, so c never exists
			{Verb: api.KVSet, Key: "c", Value: []byte("3")},
			{Verb: api.KVCAS, Key: "a", Value: []byte("x"), Index: 99},
		}, t0),
		kv(api.KVCAS, "a", "x", 99),     // 4: stale
		kv(api.KVCAS, "a", "A", 1),      // 5
		nil,                             // 6: a no-op entry
		kv(api.KVDelete, "b", "", 0),    // 7
		kv(api.KVDeleteCAS, "a", "", 1), // 8: stale, a is at 5
		kv(api.KVSet, "x/1", "", 0),     // 9
		fsm.EncodeTxn([]api.KVTxnOp{ // 10: succeeds, sees 1..9
			{Verb: api.KVSet, Key: "d", Value: []byte("4")},
			{Verb: api.KVGet, Key: "a"},
			{Verb: api.KVDeleteTree, Key: "x/"},
			{Verb: api.KVCheckNotExists, Key: "c"},
		}, t0),
		kv(api.KVLock, "k", "", 0),         // 11: no sessions yet
		fsm.EncodeTombstoneReap(7, t0),     // 12: drops b's tombstone
		kv(api.KVSet, "e", "", 0),          // 13
		kv(api.KVDeleteCAS, "gone", "", 5), // 14: missing key succeeds
		kv("bogus", "a", "", 0),            // 15
	)
	want := []any{
		true, true,
		&api.TxnResponse{Errors: []api.TxnError{{OpIndex: 1, What: `failed to set key "a", index is stale`}}},
		false, true, nil, true, false, true,
		&api.TxnResponse{Results: []api.TxnResult{
			{KV: &api.KVPair{Key: "d", CreateIndex: 10, ModifyIndex: 10}},
			{KV: &api.KVPair{Key: "a", Value: []byte("A"), CreateIndex: 1, ModifyIndex: 5}},
		}},
		anyError{}, nil, true, true, anyError{},
	}
	return logs, want
}

// dump is everything an FSM's store holds.
type dump struct {
	KVs        []api.KVPair
	Tombstones []state.Tombstone
	MaxIndex   uint64
}

func dumpFSM(t testing.TB, f *fsm.FSM) dump {
	t.Helper()
	var d dump
	snap := f.State().Snapshot()
	if err := snap.KVs(func(p *api.KVPair) error { d.KVs = append(d.KVs, *p); return nil }); err != nil {
		t.Fatalf("Snapshot.KVs = %v", err)
	}
	if err := snap.Tombstones(func(ts state.Tombstone) error { d.Tombstones = append(d.Tombstones, ts); return nil }); err != nil {
		t.Fatalf("Snapshot.Tombstones = %v", err)
	}
	d.MaxIndex = f.State().MaxIndex()
	return d
}

// sameResult compares two apply results; errors compare by text.
func sameResult(got, want any) bool {
	if _, ok := want.(anyError); ok {
		_, ok := got.(error)
		return ok
	}
	if g, ok := got.(error); ok {
		w, ok := want.(error)
		return ok && g.Error() == w.Error()
	}
	return reflect.DeepEqual(got, want)
}

func TestApplyBatchResults(t *testing.T) {
	logs, want := mixedBatch()
	f := newFSM()
	got := f.ApplyBatch(logs)
	if len(got) != len(want) {
		t.Fatalf("ApplyBatch returned %d results, want %d", len(got), len(want))
	}
	for i := range want {
		if !sameResult(got[i], want[i]) {
			t.Errorf("result of entry %d = %#v, want %#v", i+1, got[i], want[i])
		}
	}
	wantState := dump{
		KVs: []api.KVPair{
			{Key: "a", Value: []byte("A"), CreateIndex: 1, ModifyIndex: 5},
			{Key: "d", Value: []byte("4"), CreateIndex: 10, ModifyIndex: 10},
			{Key: "e", CreateIndex: 13, ModifyIndex: 13},
		},
		Tombstones: []state.Tombstone{{Key: "x/1", Index: 10}},
		MaxIndex:   13,
	}
	if d := dumpFSM(t, f); !reflect.DeepEqual(d, wantState) {
		t.Errorf("state after ApplyBatch = %+v, want %+v", d, wantState)
	}
}

// TestApplyBatchDeterministic applies the same entries in runs of every
// size, the first one by one through Apply, and wants the same results and
// the same state from each: batch boundaries must not change anything.
func TestApplyBatchDeterministic(t *testing.T) {
	logs, _ := mixedBatch()
	ref := newFSM()
	var refResults []any
	for _, l := range logs {
		refResults = append(refResults, ref.Apply(l))
	}
	refState := dumpFSM(t, ref)
	for size := 2; size <= len(logs); size++ {
		t.Run(fmt.Sprintf("runs of %d", size), func(t *testing.T) {
			f := newFSM()
			var results []any
			for i := 0; i < len(logs); i += size {
				results = append(results, f.ApplyBatch(logs[i:min(i+size, len(logs))])...)
			}
			for i := range logs {
				if !sameResult(results[i], refResults[i]) {
					t.Errorf("entry %d: ApplyBatch result %#v, Apply result %#v", i+1, results[i], refResults[i])
				}
			}
			if d := dumpFSM(t, f); !reflect.DeepEqual(d, refState) {
				t.Errorf("state after ApplyBatch = %+v, after Apply = %+v", d, refState)
			}
		})
	}
}

func TestApplyNonCommand(t *testing.T) {
	for _, typ := range []raft.LogType{raft.LogNoop, raft.LogConfiguration, raft.LogBarrier, raft.LogAddPeerDeprecated} {
		t.Run(typ.String(), func(t *testing.T) {
			f := newFSM()
			f.Apply(&raft.Log{Index: 1, Type: raft.LogCommand, Data: kv(api.KVSet, "a", "1", 0)})
			before := dumpFSM(t, f)
			// The payload would delete "a" if it were taken as a command.
			l := &raft.Log{Index: 2, Type: typ, Data: kv(api.KVDelete, "a", "", 0)}
			if got := f.ApplyBatch([]*raft.Log{l}); len(got) != 1 || got[0] != nil {
				t.Errorf("ApplyBatch(%s) = %#v, want [nil]", typ, got)
			}
			if got := f.Apply(l); got != nil {
				t.Errorf("Apply(%s) = %#v, want nil", typ, got)
			}
			if d := dumpFSM(t, f); !reflect.DeepEqual(d, before) {
				t.Errorf("state after %s = %+v, want %+v", typ, d, before)
			}
		})
	}
	t.Run("empty command", func(t *testing.T) {
		f := newFSM()
		if got := f.Apply(&raft.Log{Index: 1, Type: raft.LogCommand}); got != nil {
			t.Errorf("Apply(empty command) = %#v, want nil", got)
		}
	})
}

// applyRecover applies one command and returns its result and any panic.
func applyRecover(f *fsm.FSM, data []byte) (res, panicked any) {
	defer func() { panicked = recover() }()
	return f.Apply(&raft.Log{Index: 2, Term: 1, Type: raft.LogCommand, Data: data}), nil
}

func TestApplyUnknownType(t *testing.T) {
	set := kv(api.KVSet, "b", "2", 0)
	tests := []struct {
		name      string
		data      []byte
		wantPanic bool
		wantKeys  []string
	}{
		{"unknown type with IgnoreUnknownFlag is skipped", flagged(99, set[2:]), false, []string{"a"}},
		{"unknown type without the flag panics", append([]byte{99, 0}, set[2:]...), true, []string{"a"}},
		{"flag alone is skipped", flagged(0, nil), false, []string{"a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFSM()
			f.Apply(&raft.Log{Index: 1, Type: raft.LogCommand, Data: kv(api.KVSet, "a", "1", 0)})
			_, p := applyRecover(f, tc.data)
			if (p != nil) != tc.wantPanic {
				t.Fatalf("Apply(type %d) panic = %v, want panic %v", tc.data[0], p, tc.wantPanic)
			}
			var keys []string
			for _, e := range dumpFSM(t, f).KVs {
				keys = append(keys, e.Key)
			}
			if !reflect.DeepEqual(keys, tc.wantKeys) {
				t.Errorf("keys after Apply(type %d) = %q, want %q", tc.data[0], keys, tc.wantKeys)
			}
		})
	}
}

// flagged returns a command of type typ with IgnoreUnknownFlag set.
func flagged(typ fsm.MessageType, body []byte) []byte {
	return append([]byte{byte(typ | fsm.IgnoreUnknownFlag), 0}, body...)
}

// TestApplyKnownTypeWithIgnoreUnknownFlag: the flag only lets a server that
// does not know a type skip it; a server that knows the type must apply
// it, or the command is lost on every server.
func TestApplyKnownTypeWithIgnoreUnknownFlag(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"KV", flagged(fsm.KVType, kv(api.KVSet, "b", "2", 0)[2:])},
		{"txn", flagged(fsm.TxnType, fsm.EncodeTxn([]api.KVTxnOp{{Verb: api.KVSet, Key: "b", Value: []byte("2")}}, t0)[2:])},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFSM()
			res := f.Apply(&raft.Log{Index: 1, Type: raft.LogCommand, Data: tc.data})
			idx, e, err := f.State().KVGet(nil, "b")
			if err != nil || e == nil || string(e.Value) != "2" {
				t.Errorf("Apply(type %d) = %#v; KVGet(%q) = %d, %+v, %v, want the key set", tc.data[0], res, "b", idx, e, err)
			}
		})
	}
}

func TestApplyCorruptPanics(t *testing.T) {
	good := kv(api.KVSet, "key", "value", 0)
	txn := fsm.EncodeTxn([]api.KVTxnOp{{Verb: api.KVSet, Key: "k", Session: "s"}}, t0)
	tests := []struct {
		name string
		data []byte
	}{
		{"KV without body", []byte{byte(fsm.KVType), 0}},
		{"KV truncated in the key", good[:4]},
		{"KV missing its last field", good[:len(good)-1]},
		{"KV with trailing bytes", append(append([]byte{}, good...), 0)},
		{"KV with an overlong uvarint", append([]byte{byte(fsm.KVType), 0}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)},
		{"txn truncated", txn[:len(txn)-1]},
		{"txn with more ops than sent", append([]byte{byte(fsm.TxnType), 0, 2}, txn[3:]...)},
		{"txn with an absurd op count", []byte{byte(fsm.TxnType), 0, 0xff, 0xff, 0x03}},
		{"reap without body", []byte{byte(fsm.TombstoneReapType), 0}},
		{"reap with trailing bytes", append(fsm.EncodeTombstoneReap(3, t0), 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFSM()
			res, p := applyRecover(f, tc.data)
			if p == nil {
				t.Fatalf("Apply(%x) = %#v, want a panic", tc.data, res)
			}
			if msg := fmt.Sprint(p); !strings.Contains(msg, "index 2") {
				t.Errorf("panic %q does not name the entry's index 2", msg)
			}
			if d := dumpFSM(t, f); len(d.KVs) != 0 || d.MaxIndex != 0 {
				t.Errorf("state after a corrupt entry = %+v, want empty", d)
			}
		})
	}
}

func TestApplyTxnErrorIsValue(t *testing.T) {
	f := newFSM()
	res := f.Apply(&raft.Log{Index: 1, Type: raft.LogCommand, Data: fsm.EncodeTxn([]api.KVTxnOp{
		{Verb: api.KVSet, Key: "a"},
		{Verb: api.KVGet, Key: "missing"},
	}, t0)})
	resp, ok := res.(*api.TxnResponse)
	if !ok || len(resp.Errors) != 1 || resp.Errors[0].OpIndex != 1 || resp.Results != nil {
		t.Fatalf("Apply(failing txn) = %#v, want one error at op 1", res)
	}
	if d := dumpFSM(t, f); len(d.KVs) != 0 || d.MaxIndex != 0 {
		t.Errorf("failing txn changed the store: %+v", d)
	}
}

// t0 is the command clock the tests use: the Unix epoch, which encodes as
// the single byte 0 right after the type byte.
var t0 = time.Unix(0, 0)

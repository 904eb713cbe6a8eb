package fsm_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/hashicorp/raft"
)

// codecOps are valid operations covering every field's edge cases.
var codecOps = []api.KVTxnOp{
	{Verb: api.KVSet, Key: "k", Value: []byte("v")},
	{Verb: api.KVSet, Key: "nil value"},
	{Verb: api.KVSet, Key: "empty value", Value: []byte{}},
	{Verb: api.KVCAS, Key: "a/b", Value: []byte{0, 0xff}, Flags: math.MaxUint64, Index: math.MaxUint64},
	{Verb: api.KVLock, Key: strings.Repeat("long/", 40), Value: bytes.Repeat([]byte{7}, 300), Session: "5f1e-ü"},
	{Verb: api.KVDeleteTree, Key: ""},
	{Verb: "not-a-verb", Key: "\x00\x01", Index: 1 << 35},
}

func TestCodecRoundTrip(t *testing.T) {
	for _, op := range codecOps {
		t.Run(string(op.Verb)+" "+op.Key[:min(len(op.Key), 12)], func(t *testing.T) {
			enc := fsm.EncodeKV(&op, t0)
			if fsm.MessageType(enc[0]) != fsm.KVType {
				t.Fatalf("EncodeKV type byte = %d, want %d", enc[0], fsm.KVType)
			}
			got, err := fsm.DecodeKV(enc[2:])
			if err != nil || !reflect.DeepEqual(got, op) {
				t.Errorf("DecodeKV(EncodeKV(%+v)) = %+v, %v", op, got, err)
			}
		})
	}
	t.Run("txn", func(t *testing.T) {
		enc := fsm.EncodeTxn(codecOps, t0)
		got, err := fsm.DecodeTxn(enc[2:])
		if err != nil || !reflect.DeepEqual(got, codecOps) {
			t.Errorf("DecodeTxn(EncodeTxn(ops)) = %+v, %v, want %+v", got, err, codecOps)
		}
	})
	t.Run("txn over the op limit", func(t *testing.T) {
		ops := make([]api.KVTxnOp, api.MaxTxnOps*4+1)
		if _, err := fsm.DecodeTxn(fsm.EncodeTxn(ops, t0)[2:]); err == nil {
			t.Errorf("DecodeTxn of %d ops = nil error, want an error", len(ops))
		}
	})
}

func FuzzDecodeKV(f *testing.F) {
	for _, op := range codecOps {
		f.Add(fsm.EncodeKV(&op, t0)[2:])
	}
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		op, err := fsm.DecodeKV(data)
		if err != nil {
			return
		}
		// Whatever decodes survives encode → decode exactly, and encoding
		// it again gives the same bytes.
		enc := fsm.EncodeKV(&op, t0)
		got, err := fsm.DecodeKV(enc[2:])
		if err != nil || !reflect.DeepEqual(got, op) {
			t.Fatalf("DecodeKV(EncodeKV(%+v)) = %+v, %v", op, got, err)
		}
		if again := fsm.EncodeKV(&got, t0); !bytes.Equal(again, enc) {
			t.Fatalf("EncodeKV is not stable: %x then %x", enc, again)
		}
	})
}

func FuzzDecodeTxn(f *testing.F) {
	f.Add(fsm.EncodeTxn(codecOps, t0)[2:])
	f.Add(fsm.EncodeTxn(nil, t0)[2:])
	f.Add(fsm.EncodeTxn(codecOps[:1], t0)[2:])
	f.Add([]byte{0xff, 0xff, 0x03})
	f.Fuzz(func(t *testing.T, data []byte) {
		ops, err := fsm.DecodeTxn(data)
		if err != nil {
			return
		}
		if len(ops) > api.MaxTxnOps*4 {
			t.Fatalf("DecodeTxn accepted %d ops", len(ops))
		}
		enc := fsm.EncodeTxn(ops, t0)
		got, err := fsm.DecodeTxn(enc[2:])
		if err != nil || len(got) != len(ops) || (len(ops) > 0 && !reflect.DeepEqual(got, ops)) {
			t.Fatalf("DecodeTxn(EncodeTxn(%+v)) = %+v, %v", ops, got, err)
		}
		if again := fsm.EncodeTxn(got, t0); !bytes.Equal(again, enc) {
			t.Fatalf("EncodeTxn is not stable: %x then %x", enc, again)
		}
	})
}

// maxRestoreAlloc bounds what one Restore may allocate, whatever its input.
const maxRestoreAlloc = 64 << 20

func FuzzRestore(f *testing.F) {
	valid := persist(f, populated(f))
	f.Add(valid)
	f.Add(persist(f, newFSM()))
	f.Add(valid[:len(valid)-1])
	f.Add([]byte("CNCDSNAP"))
	f.Add(cat(header(1, 9), record(1, 1, 'k', 3, 'v', 'v', 7, 2, 1, 's', 4, 6), record(2, 1, 'g', 5), []byte{0}))
	f.Add(cat(header(1, 0), binary.AppendUvarint([]byte{1}, fsm.MaxRecordSize)))
	f.Add(cat(header(1, 0), record(1, 0, 0, 0, 0, 0, 0, 0), []byte{0}))
	f.Fuzz(func(t *testing.T, data []byte) {
		fs := newFSM()
		fs.Apply(&raft.Log{Index: 1, Type: raft.LogCommand, Data: kv(api.KVSet, "before", "x", 0)})
		before, st := dumpFSM(t, fs), fs.State()

		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		err := fs.Restore(io.NopCloser(bytes.NewReader(data)))
		runtime.ReadMemStats(&m1)
		if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > maxRestoreAlloc+uint64(8*len(data)) {
			t.Fatalf("Restore of %d bytes allocated %d MiB", len(data), alloc>>20)
		}

		if err != nil {
			if fs.State() != st || !reflect.DeepEqual(dumpFSM(t, fs), before) {
				t.Fatalf("failed Restore (%v) changed the state", err)
			}
			return
		}
		// A restore that succeeds gives a sound store...
		got := dumpFSM(t, fs)
		for i, e := range got.KVs {
			if e.ModifyIndex > got.MaxIndex {
				t.Fatalf("key %q at %d above MaxIndex %d", e.Key, e.ModifyIndex, got.MaxIndex)
			}
			if i > 0 && got.KVs[i-1].Key >= e.Key {
				t.Fatalf("keys out of order: %q then %q", got.KVs[i-1].Key, e.Key)
			}
		}
		for _, ts := range got.Tombstones {
			if ts.Index > got.MaxIndex {
				t.Fatalf("tombstone %q at %d above MaxIndex %d", ts.Key, ts.Index, got.MaxIndex)
			}
		}
		if _, list, err := fs.State().KVList(nil, ""); err != nil || len(list) != len(got.KVs) {
			t.Fatalf("KVList(\"\") = %d keys, %v, want %d", len(list), err, len(got.KVs))
		}
		// ...that persists and restores to itself.
		again := newFSM()
		if err := again.Restore(io.NopCloser(bytes.NewReader(persist(t, fs)))); err != nil {
			t.Fatalf("Restore of a re-persisted snapshot = %v", err)
		}
		if d := dumpFSM(t, again); !reflect.DeepEqual(d, got) {
			t.Fatalf("re-persisted state = %+v, want %+v", d, got)
		}
	})
}

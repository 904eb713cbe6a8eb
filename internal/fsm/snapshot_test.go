package fsm_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/concordhq/concord/internal/state"
	"github.com/hashicorp/raft"
)

// fakeSink is a raft.SnapshotSink over a buffer. A nil func field takes the
// buffer's (or a no-op) behaviour; the counts record what Persist called.
type fakeSink struct {
	bytes.Buffer
	WriteFunc func(p []byte) (int, error)

	closes, cancels int
}

var _ raft.SnapshotSink = (*fakeSink)(nil)

func (s *fakeSink) ID() string    { return "fake" }
func (s *fakeSink) Close() error  { s.closes++; return nil }
func (s *fakeSink) Cancel() error { s.cancels++; return nil }

func (s *fakeSink) Write(p []byte) (int, error) {
	if s.WriteFunc != nil {
		return s.WriteFunc(p)
	}
	return s.Buffer.Write(p)
}

// trackedReader records whether Restore closed it.
type trackedReader struct {
	io.Reader
	closed bool
}

func (r *trackedReader) Close() error { r.closed = true; return nil }

// persist snapshots f and returns the bytes Persist wrote.
func persist(t testing.TB, f *fsm.FSM) []byte {
	t.Helper()
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatalf("Snapshot() = %v", err)
	}
	defer snap.Release()
	sink := &fakeSink{}
	if err := snap.Persist(sink); err != nil {
		t.Fatalf("Persist = %v", err)
	}
	if sink.closes != 1 || sink.cancels != 0 {
		t.Fatalf("Persist closed the sink %d times and cancelled it %d times, want 1 and 0", sink.closes, sink.cancels)
	}
	return sink.Bytes()
}

// populated returns an FSM that went through the mixed batch plus keys
// with empty and nil values, flags and a leftover tombstone.
func populated(t testing.TB) *fsm.FSM {
	t.Helper()
	f := newFSM()
	logs, _ := mixedBatch()
	f.ApplyBatch(logs)
	n := uint64(len(logs))
	f.ApplyBatch([]*raft.Log{
		{Index: n + 1, Type: raft.LogCommand, Data: fsm.EncodeKV(&api.KVTxnOp{Verb: api.KVSet, Key: "empty", Value: []byte{}}, t0)},
		{Index: n + 2, Type: raft.LogCommand, Data: fsm.EncodeKV(&api.KVTxnOp{Verb: api.KVSet, Key: "flags/ü", Value: []byte{0, 1}, Flags: 1 << 63}, t0)},
		{Index: n + 3, Type: raft.LogCommand, Data: kv(api.KVDelete, "e", "", 0)},
	})
	return f
}

func TestSnapshotRoundTrip(t *testing.T) {
	src := populated(t)
	want := dumpFSM(t, src)
	snap, err := src.Snapshot()
	if err != nil {
		t.Fatalf("Snapshot() = %v", err)
	}
	// Writes after Snapshot must not reach the persisted state.
	src.Apply(&raft.Log{Index: 100, Type: raft.LogCommand, Data: kv(api.KVSet, "late", "x", 0)})
	sink := &fakeSink{}
	if err := snap.Persist(sink); err != nil {
		t.Fatalf("Persist = %v", err)
	}

	dst := newFSM()
	dst.Apply(&raft.Log{Index: 1, Type: raft.LogCommand, Data: kv(api.KVSet, "old", "x", 0)})
	old := dst.State()
	rc := &trackedReader{Reader: bytes.NewReader(sink.Bytes())}
	if err := dst.Restore(rc); err != nil {
		t.Fatalf("Restore = %v", err)
	}
	if got := dumpFSM(t, dst); !reflect.DeepEqual(got, want) {
		t.Errorf("restored state = %+v, want %+v", got, want)
	}
	if e := findKV(want, "empty"); e == nil || e.Value == nil {
		t.Errorf("key %q = %+v, want an empty non-nil value", "empty", e)
	}
	select {
	case <-old.AbandonCh():
	default:
		t.Error("Restore did not close the old store's AbandonCh")
	}
	if dst.State() == old {
		t.Error("State() still returns the old store after Restore")
	}
	if !rc.closed {
		t.Error("Restore did not close its reader")
	}
	// The restored FSM keeps applying where the snapshot ended.
	res := dst.Apply(&raft.Log{Index: want.MaxIndex + 1, Type: raft.LogCommand, Data: kv(api.KVCAS, "a", "B", 5)})
	if res != true {
		t.Errorf("CAS on restored key = %#v, want true", res)
	}
}

func findKV(d dump, key string) *api.KVPair {
	for i := range d.KVs {
		if d.KVs[i].Key == key {
			return &d.KVs[i]
		}
	}
	return nil
}

func TestSnapshotEmptyRoundTrip(t *testing.T) {
	dst := populated(t)
	if err := dst.Restore(io.NopCloser(bytes.NewReader(persist(t, newFSM())))); err != nil {
		t.Fatalf("Restore(empty snapshot) = %v", err)
	}
	if d := dumpFSM(t, dst); len(d.KVs) != 0 || len(d.Tombstones) != 0 || d.MaxIndex != 0 {
		t.Errorf("state after restoring an empty snapshot = %+v, want empty", d)
	}
}

func TestPersistWriteError(t *testing.T) {
	errDisk := errors.New("disk full")
	sink := &fakeSink{WriteFunc: func([]byte) (int, error) { return 0, errDisk }}
	snap, err := populated(t).Snapshot()
	if err != nil {
		t.Fatalf("Snapshot() = %v", err)
	}
	if err := snap.Persist(sink); !errors.Is(err, errDisk) {
		t.Errorf("Persist = %v, want %v", err, errDisk)
	}
	if sink.cancels != 1 || sink.closes != 0 {
		t.Errorf("Persist cancelled the sink %d times and closed it %d times, want 1 and 0", sink.cancels, sink.closes)
	}
}

// header is a snapshot's magic, version and index.
func header(version byte, index uint64) []byte {
	return binary.AppendUvarint(append([]byte("CNCDSNAP"), version), index)
}

func record(kind byte, payload ...byte) []byte {
	return append(binary.AppendUvarint([]byte{kind}, uint64(len(payload))), payload...)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestRestoreGarbage(t *testing.T) {
	valid := persist(t, populated(t))
	wrongVersion := append([]byte{}, valid...)
	wrongVersion[8] = 2
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not a snapshot", []byte("hello, world")},
		{"magic only", []byte("CNCDSNAP")},
		{"wrong version", wrongVersion},
		{"index cut short", cat([]byte("CNCDSNAP\x01"), []byte{0x80})},
		{"no end marker", valid[:len(valid)-1]},
		{"cut inside a record", valid[:len(valid)/2]},
		{"record length over the limit", cat(header(1, 0), binary.AppendUvarint([]byte{1}, fsm.MaxRecordSize+1))},
		{"record length past the data", cat(header(1, 0), binary.AppendUvarint([]byte{1}, 1000), []byte{1, 2, 3})},
		{"unknown record kind", cat(header(1, 0), record(7), []byte{0})},
		{"tombstone with trailing bytes", cat(header(1, 5), record(2, 1, 'k', 5, 9), []byte{0})},
		{"tombstone cut short", cat(header(1, 5), record(2, 5, 'k'), []byte{0})},
		{"key without a name", cat(header(1, 0), record(1, 0, 0, 0, 0, 0, 0, 0), []byte{0})},
		{"tombstone without a name", cat(header(1, 0), record(2, 0, 3), []byte{0})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := populated(t)
			before, st := dumpFSM(t, f), f.State()
			rc := &trackedReader{Reader: bytes.NewReader(tc.data)}
			if err := f.Restore(rc); err == nil {
				t.Fatalf("Restore(%q) = nil, want an error", tc.data)
			}
			if f.State() != st {
				t.Error("Restore swapped the store despite the error")
			}
			if got := dumpFSM(t, f); !reflect.DeepEqual(got, before) {
				t.Errorf("state after failed Restore = %+v, want %+v", got, before)
			}
			select {
			case <-st.AbandonCh():
				t.Error("failed Restore closed the current store's AbandonCh")
			default:
			}
			if !rc.closed {
				t.Error("Restore did not close its reader")
			}
		})
	}
}

// TestRestoreHandBuilt checks the format from the reader's side: a snapshot
// written by hand restores to exactly what it says.
func TestRestoreHandBuilt(t *testing.T) {
	data := cat(header(1, 9),
		record(1, 1, 'k', 3, 'v', 'v', 7, 2, 1, 's', 4, 6), // k=vv flags 7 lock 2 session s, create 4, modify 6
		record(2, 1, 'g', 5), // tombstone g at 5
		[]byte{0})
	f := newFSM()
	if err := f.Restore(io.NopCloser(bytes.NewReader(data))); err != nil {
		t.Fatalf("Restore = %v", err)
	}
	want := dump{
		KVs:        []api.KVPair{{Key: "k", Value: []byte("vv"), Flags: 7, LockIndex: 2, Session: "s", CreateIndex: 4, ModifyIndex: 6}},
		Tombstones: []state.Tombstone{{Key: "g", Index: 5}},
		MaxIndex:   9,
	}
	if got := dumpFSM(t, f); !reflect.DeepEqual(got, want) {
		t.Errorf("restored state = %+v, want %+v", got, want)
	}
	if got := persist(t, f); !bytes.Equal(got, data) {
		t.Errorf("Persist after Restore = %x, want the input %x", got, data)
	}
}

package snapshot_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/concordhq/concord/internal/snapshot"
	"github.com/hashicorp/raft"
)

// sink is a raft.SnapshotSink over a buffer.
type sink struct{ bytes.Buffer }

func (*sink) ID() string    { return "test" }
func (*sink) Close() error  { return nil }
func (*sink) Cancel() error { return nil }

// fsmState returns a real FSM snapshot stream holding a few keys, a node
// with a service and a check, and a session.
func fsmState(t testing.TB) []byte {
	t.Helper()
	f := fsm.New(slog.New(slog.DiscardHandler))
	now := time.Unix(1700000000, 0)
	cmds := [][]byte{
		fsm.EncodeKV(&api.KVTxnOp{Verb: api.KVSet, Key: "a", Value: []byte("1")}, now),
		fsm.EncodeKV(&api.KVTxnOp{Verb: api.KVSet, Key: "b", Value: []byte("22")}, now),
		fsm.EncodeKV(&api.KVTxnOp{Verb: api.KVSet, Key: "c", Value: []byte("333")}, now),
		fsm.EncodeKV(&api.KVTxnOp{Verb: api.KVDelete, Key: "c"}, now),
		fsm.EncodeRegister(&api.CatalogRegistration{Node: "n1", Address: "10.0.0.1",
			Service: &api.NodeService{ID: "web", Service: "web", Port: 80},
			Check:   &api.HealthCheck{CheckID: "serfHealth", Name: "Serf", Status: api.HealthPassing}}, now),
		fsm.EncodeSession(&fsm.SessionOp{Op: fsm.SessionCreate, Session: api.SessionEntry{
			ID: "5f4c5e5e-1d2a-4f00-9a55-000000000001", Node: "n1", Behavior: api.SessionBehaviorRelease}}, now),
	}
	for i, cmd := range cmds {
		if res := f.Apply(&raft.Log{Index: uint64(i + 1), Type: raft.LogCommand, Data: cmd}); res != nil {
			if err, ok := res.(error); ok {
				t.Fatalf("apply %d: %v", i+1, err)
			}
		}
	}
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var s sink
	if err := snap.Persist(&s); err != nil {
		t.Fatal(err)
	}
	return s.Bytes()
}

func archive(t testing.TB, state []byte) []byte {
	t.Helper()
	meta := &raft.SnapshotMeta{Version: 1, ID: "2-6-1700000000000", Index: 6, Term: 2, Size: int64(len(state)),
		Configuration: raft.Configuration{Servers: []raft.Server{{ID: "s1", Address: "127.0.0.1:8300"}}}}
	var buf bytes.Buffer
	if err := snapshot.Write(&buf, meta, bytes.NewReader(state)); err != nil {
		t.Fatalf("Write = %v", err)
	}
	return buf.Bytes()
}

func TestArchiveRoundTrip(t *testing.T) {
	state := fsmState(t)
	data := archive(t, state)
	var got bytes.Buffer
	meta, err := snapshot.Read(bytes.NewReader(data), &got)
	if err != nil {
		t.Fatalf("Read = %v", err)
	}
	if meta.ID != "2-6-1700000000000" || meta.Index != 6 || meta.Term != 2 || meta.Version != 1 ||
		meta.Size != int64(len(state)) || len(meta.Configuration.Servers) != 1 {
		t.Fatalf("Read meta = %+v", meta)
	}
	if !bytes.Equal(got.Bytes(), state) {
		t.Fatalf("Read state differs from what was written")
	}
	// What Read returns is a state the FSM restores.
	if err := fsm.New(slog.New(slog.DiscardHandler)).Restore(io.NopCloser(&got)); err != nil {
		t.Fatalf("FSM restore of the archived state = %v", err)
	}
}

// TestDamagedArchivesAreRefused flips one byte at every position of a
// small archive, and cuts it at every length: Read must refuse each one
// (the gzip CRC, the tar framing or the SHA-256 sums catch it). Bytes 4-9
// of the gzip header (time, flags, OS) change nothing and are skipped.
func TestDamagedArchivesAreRefused(t *testing.T) {
	data := archive(t, fsmState(t))
	for i := range data {
		if i >= 4 && i <= 9 {
			continue
		}
		bad := bytes.Clone(data)
		bad[i] ^= 0x55
		if _, err := snapshot.Verify(bytes.NewReader(bad)); err == nil {
			t.Fatalf("Verify accepted the archive with byte %d of %d flipped", i, len(data))
		}
	}
	for n := 0; n < len(data); n++ {
		_, err := snapshot.Verify(bytes.NewReader(data[:n]))
		if !errors.Is(err, snapshot.ErrDamaged) {
			t.Fatalf("Verify(first %d of %d bytes) = %v, want ErrDamaged", n, len(data), err)
		}
	}
}

func TestReadStateCountsRecords(t *testing.T) {
	state := fsmState(t)
	info, err := snapshot.ReadState(bytes.NewReader(state))
	if err != nil {
		t.Fatalf("ReadState = %v", err)
	}
	counts := map[string]int{}
	for _, r := range info.Records {
		counts[r.Type] = r.Count
		if r.Size <= 0 {
			t.Errorf("%s records have size %d", r.Type, r.Size)
		}
	}
	want := map[string]int{"KV": 2, "Tombstone": 1, "Node": 1, "Service": 1, "Check": 1, "Session": 1}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("ReadState counts %d %s records, want %d (all: %v)", counts[k], k, n, counts)
		}
	}
	if info.Index != 6 || info.Total != int64(len(state)) {
		t.Errorf("ReadState index %d, total %d; want 6, %d", info.Index, info.Total, len(state))
	}
	if _, err := snapshot.ReadState(bytes.NewReader(state[:len(state)-1])); err == nil {
		t.Errorf("ReadState accepted a stream without its end marker")
	}
	if _, err := snapshot.ReadState(bytes.NewReader([]byte("consul state"))); !errors.Is(err, snapshot.ErrNotState) {
		t.Errorf("ReadState(foreign) = %v, want ErrNotState", err)
	}
}

func TestReindexRaisesTheRestoredIndex(t *testing.T) {
	state := fsmState(t)
	if old, err := snapshot.StateIndex(state); err != nil || old != 6 {
		t.Fatalf("StateIndex = %d, %v; want 6", old, err)
	}
	out, err := snapshot.Reindex(state, 1_000_000)
	if err != nil {
		t.Fatalf("Reindex = %v", err)
	}
	f := fsm.New(slog.New(slog.DiscardHandler))
	if err := f.Restore(io.NopCloser(bytes.NewReader(out))); err != nil {
		t.Fatalf("FSM restore of the reindexed state = %v", err)
	}
	if got := f.State().MaxIndex(); got != 1_000_000 {
		t.Fatalf("restored store index = %d, want 1000000", got)
	}
	_, kv, err := f.State().KVGet(nil, "b")
	if err != nil || kv == nil || string(kv.Value) != "22" {
		t.Fatalf("restored key b = %+v, %v", kv, err)
	}
}

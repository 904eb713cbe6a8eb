package crash_test

import (
	"testing"

	"github.com/hashicorp/raft"
	raftwal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/metadb"
)

// TestWALReopensAfterSuffixTruncation is a regression test for the Raft
// log store: a follower that clears a conflicting suffix of its log (raft's
// "clearing log suffix", after a leader change) truncates the WAL's tail
// segment. raft-wal v0.4.0 marked that segment sealed without writing its
// index block, so the next start failed with "sealed segment has no index
// block" and the server panicked at every restart (found by test/chaos: a
// server killed after such a truncation never came back; fixed upstream in
// v0.4.1, hashicorp/raft-wal#33). The server opens the WAL the same way.
func TestWALReopensAfterSuffixTruncation(t *testing.T) {
	dir := t.TempDir()
	open := func() (*raftwal.WAL, *metadb.BoltMetaDB) {
		t.Helper()
		meta := &metadb.BoltMetaDB{}
		w, err := raftwal.Open(dir, raftwal.WithMetaStore(meta))
		if err != nil {
			t.Fatalf("cannot open the WAL: %v", err)
		}
		return w, meta
	}
	w, meta := open()
	var logs []*raft.Log
	for i := uint64(1); i <= 20; i++ {
		logs = append(logs, &raft.Log{Index: i, Term: 1, Data: []byte("term 1")})
	}
	if err := w.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	// A new leader's entry replaces 18..20.
	if err := w.DeleteRange(18, 20); err != nil {
		t.Fatal(err)
	}
	if err := w.StoreLogs([]*raft.Log{{Index: 18, Term: 2, Data: []byte("term 2")}}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	meta.Close()

	w, meta = open()
	defer meta.Close()
	defer w.Close()
	for _, want := range []struct {
		index uint64
		data  string
	}{{1, "term 1"}, {17, "term 1"}, {18, "term 2"}} {
		var l raft.Log
		if err := w.GetLog(want.index, &l); err != nil || string(l.Data) != want.data {
			t.Errorf("after reopening, GetLog(%d) = %q, %v; want %q", want.index, l.Data, err, want.data)
		}
	}
	if last, err := w.LastIndex(); err != nil || last != 18 {
		t.Errorf("after reopening, LastIndex = %d, %v; want 18", last, err)
	}
}

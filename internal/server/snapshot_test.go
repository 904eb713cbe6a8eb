package server_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
)

// TestSnapshotRestoreInProcess saves and restores on one server (run it
// with -race: the restore swaps the store under a blocking query and
// restarts the session timers): the saved keys come back, the query
// answers with them, the store's index only grows, and a damaged archive
// changes nothing.
func TestSnapshotRestoreInProcess(t *testing.T) {
	t.Parallel()
	s := startServer(t, testConfig(t.TempDir()))
	ctx := context.Background()
	apply(t, s, set("snap/a", "1"))
	id, err := s.SessionCreate(ctx, &api.SessionEntry{TTL: "30s"})
	if err != nil {
		t.Fatalf("SessionCreate = %v", err)
	}
	archive, meta, err := s.SnapshotSave(ctx, &api.QueryOptions{})
	if err != nil || meta.LastIndex == 0 || len(archive) == 0 {
		t.Fatalf("SnapshotSave = %d bytes, index %d, %v", len(archive), meta.LastIndex, err)
	}
	if err := s.SessionDestroy(ctx, id); err != nil {
		t.Fatal(err)
	}
	apply(t, s, set("snap/a", "2"))
	before := s.State().MaxIndex()

	bad := bytes.Clone(archive)
	bad[len(bad)-3] ^= 1
	if err := s.SnapshotRestore(ctx, bad); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("SnapshotRestore(damaged) = %v, want a 'damaged' error", err)
	}
	if got := s.State().MaxIndex(); got != before {
		t.Fatalf("a refused restore moved the index from %d to %d", before, got)
	}

	_, m, err := s.KVGet(ctx, &api.QueryOptions{}, "snap/a")
	if err != nil {
		t.Fatal(err)
	}
	woke := make(chan *api.KVPair, 1)
	go func() {
		p, _, _ := s.KVGet(ctx, &api.QueryOptions{MinQueryIndex: m.LastIndex, MaxQueryTime: time.Minute}, "snap/a")
		woke <- p
	}()
	if err := s.SnapshotRestore(ctx, archive); err != nil {
		t.Fatalf("SnapshotRestore = %v", err)
	}
	select {
	case p := <-woke:
		if p == nil || string(p.Value) != "1" {
			t.Fatalf("blocking KVGet woke with %+v, want snap/a=1", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("blocking KVGet not woken by the restore")
	}
	if got := s.State().MaxIndex(); got <= before {
		t.Fatalf("index after restore = %d, want past %d", got, before)
	}
	_, sess, err := s.State().SessionGet(nil, id)
	if err != nil || sess == nil {
		t.Fatalf("restored session = %+v, %v", sess, err)
	}
	// The restored session's timer runs on the leader: a renew finds it.
	if _, err := s.SessionRenew(ctx, id); err != nil {
		t.Fatalf("SessionRenew(restored) = %v", err)
	}
}

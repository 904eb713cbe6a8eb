package server_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/server"
)

// TestTombstonesAreReaped checks that the leader drops tombstones once they
// are older than the TTL, and only then.
func TestTombstonesAreReaped(t *testing.T) {
	const ttl = 300 * time.Millisecond
	s, err := server.New(server.Config{
		NodeID: "reaper", Datacenter: "dc1", DataDir: t.TempDir(), RaftAddr: "127.0.0.1:0",
		BootstrapExpect: 1, TombstoneTTL: ttl, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	t.Cleanup(func() { s.Shutdown() })

	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, _, err := s.KVGet(ctx, &api.QueryOptions{}, "x")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server never became ready: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}

	for _, op := range []api.KVTxnOp{
		{Verb: api.KVSet, Key: "gone/a", Value: []byte("1")},
		{Verb: api.KVDelete, Key: "gone/a"},
	} {
		if _, err := s.KVApply(ctx, &op); err != nil {
			t.Fatalf("KVApply(%s): %v", op.Verb, err)
		}
	}
	deletedAt := time.Now()
	if _, ok := s.State().OldestTombstone(); !ok {
		t.Fatal("no tombstone right after the delete")
	}
	for {
		_, ok := s.State().OldestTombstone()
		if !ok {
			break
		}
		if time.Since(deletedAt) > 10*time.Second {
			t.Fatal("tombstone still there 10s after a 300ms TTL")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if age := time.Since(deletedAt); age < ttl {
		t.Errorf("tombstone reaped after %v, before the TTL of %v", age, ttl)
	}
}

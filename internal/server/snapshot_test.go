package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
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

// TestSnapshotPartsInProcess moves an archive larger than one part through
// the call table both ways, as a client agent's calls do over RPC: the
// parts of a save join into the archive, a restore sent in parts restores
// it, and a part for an unknown transfer is refused.
func TestSnapshotPartsInProcess(t *testing.T) {
	t.Parallel()
	s := startServer(t, testConfig(t.TempDir()))
	ctx := context.Background()
	rnd := rand.NewChaCha8([32]byte{3})
	big := make([]byte, 512<<10)
	for i := 0; i*len(big) <= call.SnapshotPartSize; i++ {
		rnd.Read(big)
		apply(t, s, set(fmt.Sprintf("big/%02d", i), string(big)))
	}
	ep := s.Endpoint()

	var archive []byte
	args := call.SnapshotSaveArgs{}
	for calls := 1; ; calls++ {
		res, err := call.SnapshotSave.Invoke(ctx, ep, args)
		if err != nil {
			t.Fatalf("SnapshotSave part %d: %v", calls, err)
		}
		archive = append(archive, res.Value.Data...)
		if res.Value.Handle == "" {
			if calls < 2 || int64(len(archive)) != res.Value.Total {
				t.Fatalf("save took %d calls for %d of %d bytes, want several and all", calls, len(archive), res.Value.Total)
			}
			break
		}
		args.Handle, args.Offset = res.Value.Handle, int64(len(archive))
	}

	apply(t, s, set("big/00", "changed"))
	handle := ""
	for off := 0; off < len(archive); off += call.SnapshotPartSize {
		end := min(off+call.SnapshotPartSize, len(archive))
		var err error
		handle, err = call.SnapshotRestore.Invoke(ctx, ep, call.SnapshotRestoreArgs{
			Handle: handle, Data: archive[off:end], Last: end == len(archive)})
		if err != nil {
			t.Fatalf("SnapshotRestore part at %d: %v", off, err)
		}
	}
	if _, p, err := s.State().KVGet(nil, "big/00"); err != nil || p == nil || len(p.Value) != len(big) {
		t.Fatalf("big/00 after the restore in parts = %v, %v; want the saved value", p, err)
	}

	_, err := call.SnapshotRestore.Invoke(ctx, ep, call.SnapshotRestoreArgs{Handle: "no-such", Data: []byte("x")})
	var nf api.NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("a part for an unknown transfer = %v, want NotFoundError", err)
	}
}

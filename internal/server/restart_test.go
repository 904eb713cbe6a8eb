package server_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/server"
)

// TestRestartRecovers writes, stops the server, starts a new one on the
// same data directory and wants the same state back, for each log store,
// with and without a Raft snapshot in the middle of the writes.
func TestRestartRecovers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		logStore string
		snapshot bool
	}{
		{server.LogStoreWAL, false},
		{server.LogStoreWAL, true},
		{server.LogStoreBoltDB, false},
		{server.LogStoreBoltDB, true},
		{"", true}, // the default store
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s snapshot=%v", tc.logStore, tc.snapshot), func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(t.TempDir())
			cfg.LogStore = tc.logStore
			s := startServer(t, cfg)
			ctx := context.Background()
			for i := range 20 {
				apply(t, s, set(fmt.Sprintf("r/%02d", i), fmt.Sprint(i)))
			}
			apply(t, s, api.KVTxnOp{Verb: api.KVDelete, Key: "r/00"}, api.KVTxnOp{Verb: api.KVSet, Key: "r/01", Flags: 9})
			if tc.snapshot {
				if err := s.TakeSnapshot(); err != nil {
					t.Fatalf("TakeSnapshot() = %v", err)
				}
			}
			// Writes after the snapshot come back from the log.
			apply(t, s,
				set("r/01", "after"),
				api.KVTxnOp{Verb: api.KVDeleteTree, Key: "r/1"},
				set("late", "x"),
				api.KVTxnOp{Verb: api.KVDelete, Key: "r/02"},
			)
			if _, _, err := s.Txn(ctx, &api.QueryOptions{}, []api.KVTxnOp{set("txn/a", "1"), set("txn/b", "2")}, nil); err != nil {
				t.Fatalf("Txn = %v", err)
			}
			want := dumpState(t, s.State())
			_, wantMeta, err := s.KVList(ctx, &api.QueryOptions{}, "r/")
			if err != nil {
				t.Fatalf("KVList = %v", err)
			}
			s.stop(t)

			s2 := startServer(t, cfg)
			// The new leader re-registers its node, whose Raft port may have
			// changed, so the store's index may only grow past what it was.
			got := dumpState(t, s2.State())
			if got.MaxIndex < want.MaxIndex {
				t.Errorf("MaxIndex after restart = %d, want at least %d", got.MaxIndex, want.MaxIndex)
			}
			got.MaxIndex = want.MaxIndex
			if !reflect.DeepEqual(got, want) {
				t.Errorf("state after restart = %+v\nwant %+v", got, want)
			}
			if _, m, err := s2.KVList(ctx, &api.QueryOptions{}, "r/"); err != nil || m.LastIndex != wantMeta.LastIndex {
				t.Errorf("KVList(%q) index after restart = %d, %v, want %d", "r/", m.LastIndex, err, wantMeta.LastIndex)
			}
			snapIdx := s2.Stats()["last_snapshot_index"]
			if tc.snapshot == (snapIdx == "0") {
				t.Errorf("last_snapshot_index after restart = %s, want a snapshot: %v", snapIdx, tc.snapshot)
			}
			// The recovered server keeps serving writes.
			if ok, err := s2.KVApply(ctx, &api.KVTxnOp{Verb: api.KVCAS, Key: "late", Value: []byte("y"), Index: findIndex(want, "late")}); err != nil || !ok {
				t.Errorf("CAS on a recovered key = %v, %v, want true, nil", ok, err)
			}
		})
	}
}

func findIndex(d dump, key string) uint64 {
	for _, p := range d.KVs {
		if p.Key == key {
			return p.ModifyIndex
		}
	}
	return 0
}

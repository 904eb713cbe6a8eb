package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/server"
	"github.com/concordhq/concord/internal/state"
)

// testConfig is a single-server config over dir.
func testConfig(dir string) server.Config {
	return server.Config{
		NodeID:          "node1",
		NodeName:        "n1",
		Datacenter:      "dc1",
		DataDir:         dir,
		RaftAddr:        "127.0.0.1:0",
		BootstrapExpect: 1,
		Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// testServer is a running server that is shut down once, by stop or at
// the end of the test.
type testServer struct {
	*server.Server
	once sync.Once
}

func (s *testServer) stop(t testing.TB) {
	t.Helper()
	s.once.Do(func() {
		if err := s.Shutdown(); err != nil {
			t.Errorf("Shutdown() = %v", err)
		}
	})
}

// startServer starts a server and waits until it leads and answers a
// default-mode read, which needs the leader's barrier to be through.
func startServer(t testing.TB, cfg server.Config) *testServer {
	t.Helper()
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	s := &testServer{Server: srv}
	t.Cleanup(func() { s.stop(t) })
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(15 * time.Second)
	for {
		if s.IsLeader() {
			if _, _, err = s.KVGet(context.Background(), &api.QueryOptions{}, "ready-probe"); err == nil {
				return s
			}
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("server not ready after 15s: leader=%v, last read error %v", s.IsLeader(), err)
		}
	}
}

// apply runs KV writes, failing the test on an error.
func apply(t *testing.T, s *testServer, ops ...api.KVTxnOp) {
	t.Helper()
	for _, op := range ops {
		if _, err := s.KVApply(context.Background(), &op); err != nil {
			t.Fatalf("KVApply(%s %q) = %v", op.Verb, op.Key, err)
		}
	}
}

func set(key, value string) api.KVTxnOp {
	return api.KVTxnOp{Verb: api.KVSet, Key: key, Value: []byte(value)}
}

// dump is everything a server's store holds.
type dump struct {
	KVs        []api.KVPair
	Tombstones []state.Tombstone
	MaxIndex   uint64
}

func dumpState(t *testing.T, st *state.Store) dump {
	t.Helper()
	var d dump
	snap := st.Snapshot()
	if err := snap.KVs(func(p *api.KVPair) error { d.KVs = append(d.KVs, *p); return nil }); err != nil {
		t.Fatalf("Snapshot.KVs = %v", err)
	}
	if err := snap.Tombstones(func(ts state.Tombstone) error { d.Tombstones = append(d.Tombstones, ts); return nil }); err != nil {
		t.Fatalf("Snapshot.Tombstones = %v", err)
	}
	d.MaxIndex = st.MaxIndex()
	return d
}

func TestKVApplyAndRead(t *testing.T) {
	t.Parallel()
	s := startServer(t, testConfig(t.TempDir()))
	ctx := context.Background()
	apply(t, s, set("app/a", "1"), set("app/b/c", "2"), set("app/b/d", "3"), set("other", "4"))

	writes := []struct {
		op   api.KVTxnOp
		want bool
	}{
		{api.KVTxnOp{Verb: api.KVCAS, Key: "app/a", Value: []byte("x"), Index: 1}, false},
		{api.KVTxnOp{Verb: api.KVCAS, Key: "new", Value: []byte("n")}, true},
		{api.KVTxnOp{Verb: api.KVDeleteCAS, Key: "other", Index: 1}, false},
		{api.KVTxnOp{Verb: api.KVDelete, Key: "other"}, true},
		{api.KVTxnOp{Verb: api.KVUnlock, Key: "app/a", Session: "s1"}, false},
	}
	for _, w := range writes {
		if ok, err := s.KVApply(ctx, &w.op); err != nil || ok != w.want {
			t.Errorf("KVApply(%s %q) = %v, %v, want %v, nil", w.op.Verb, w.op.Key, ok, err, w.want)
		}
	}
	if ok, err := s.KVApply(ctx, &api.KVTxnOp{Verb: api.KVLock, Key: "app/a", Session: "s1"}); err == nil {
		t.Errorf("KVApply(lock) = %v, nil, want an error (no sessions yet)", ok)
	}

	e, m, err := s.KVGet(ctx, &api.QueryOptions{}, "app/b/c")
	if err != nil || e == nil || string(e.Value) != "2" || m.LastIndex != e.ModifyIndex {
		t.Fatalf("KVGet(%q) = %+v, %+v, %v, want value 2 at its ModifyIndex", "app/b/c", e, m, err)
	}
	if !m.KnownLeader || m.Consistency != "leader" {
		t.Errorf("KVGet meta = %+v, want a known leader and leader consistency", m)
	}
	if e, m, err := s.KVGet(ctx, &api.QueryOptions{}, "other"); err != nil || e != nil || m.LastIndex != s.State().MaxIndex() {
		t.Errorf("KVGet(deleted) = %+v, %+v, %v, want nil at the store index %d", e, m, err, s.State().MaxIndex())
	}

	list, m, err := s.KVList(ctx, &api.QueryOptions{}, "app/")
	var keys []string
	for _, p := range list {
		keys = append(keys, p.Key)
	}
	if want := []string{"app/a", "app/b/c", "app/b/d"}; err != nil || !reflect.DeepEqual(keys, want) {
		t.Errorf("KVList(%q) = %q, %v, want %q", "app/", keys, err, want)
	}
	if m.LastIndex != list[2].ModifyIndex {
		t.Errorf("KVList(%q) index = %d, want %d", "app/", m.LastIndex, list[2].ModifyIndex)
	}
	folders, _, err := s.KVKeys(ctx, &api.QueryOptions{}, "app/", "/")
	if want := []string{"app/a", "app/b/"}; err != nil || !reflect.DeepEqual(folders, want) {
		t.Errorf("KVKeys(%q, %q) = %q, %v, want %q", "app/", "/", folders, err, want)
	}

	modes := []struct {
		name string
		q    api.QueryOptions
		want string
	}{
		{"default", api.QueryOptions{}, "leader"},
		{"stale", api.QueryOptions{AllowStale: true}, "stale"},
		{"consistent", api.QueryOptions{RequireConsistent: true}, "consistent"},
		{"own datacenter", api.QueryOptions{Datacenter: "dc1"}, "leader"},
	}
	for _, tc := range modes {
		t.Run(tc.name, func(t *testing.T) {
			e, m, err := s.KVGet(ctx, &tc.q, "app/a")
			if err != nil || e == nil || m.Consistency != tc.want {
				t.Errorf("KVGet(%q) = %+v, %+v, %v, want consistency %q", "app/a", e, m, err, tc.want)
			}
		})
	}
}

func TestBlockingQueries(t *testing.T) {
	t.Parallel()
	s := startServer(t, testConfig(t.TempDir()))
	ctx := context.Background()
	apply(t, s, set("blk/a", "1"), set("blk/b", "1"), set("far", "1"))

	type read func(context.Context, *api.QueryOptions) (api.QueryMeta, error)
	get := func(key string) read {
		return func(ctx context.Context, q *api.QueryOptions) (api.QueryMeta, error) {
			_, m, err := s.KVGet(ctx, q, key)
			return m, err
		}
	}
	list := func(prefix string) read {
		return func(ctx context.Context, q *api.QueryOptions) (api.QueryMeta, error) {
			_, m, err := s.KVList(ctx, q, prefix)
			return m, err
		}
	}
	keys := func(prefix string) read {
		return func(ctx context.Context, q *api.QueryOptions) (api.QueryMeta, error) {
			_, m, err := s.KVKeys(ctx, q, prefix, "/")
			return m, err
		}
	}
	tests := []struct {
		name  string
		read  read
		write api.KVTxnOp
	}{
		{"KVGet wakes on a write to the key", get("blk/a"), set("blk/a", "2")},
		{"KVList wakes on a delete under the prefix", list("blk/"), api.KVTxnOp{Verb: api.KVDelete, Key: "blk/b"}},
		{"KVKeys wakes on a new key under the prefix", keys("blk/"), set("blk/c/d", "1")},
		{"KVGet of a missing key wakes when it appears", get("blk/new"), set("blk/new", "1")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := tc.read(ctx, &api.QueryOptions{})
			if err != nil {
				t.Fatalf("first read: %v", err)
			}
			type result struct {
				m   api.QueryMeta
				err error
			}
			done := make(chan result, 1)
			go func() {
				m, err := tc.read(ctx, &api.QueryOptions{MinQueryIndex: m.LastIndex, MaxQueryTime: time.Minute})
				done <- result{m, err}
			}()
			select {
			case r := <-done:
				t.Fatalf("blocking read returned before any write: %+v, %v", r.m, r.err)
			case <-time.After(100 * time.Millisecond):
			}
			apply(t, s, tc.write)
			select {
			case r := <-done:
				if r.err != nil || r.m.LastIndex <= m.LastIndex {
					t.Errorf("blocking read = %+v, %v, want an index above %d", r.m, r.err, m.LastIndex)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("blocking read still waiting 5s after the write")
			}
		})
	}

	t.Run("times out with the same index", func(t *testing.T) {
		e, m, err := s.KVGet(ctx, &api.QueryOptions{}, "far")
		if err != nil || e == nil {
			t.Fatalf("KVGet(%q) = %+v, %v", "far", e, err)
		}
		const wait = 200 * time.Millisecond
		start := time.Now()
		e2, m2, err := s.KVGet(ctx, &api.QueryOptions{MinQueryIndex: m.LastIndex, MaxQueryTime: wait}, "far")
		elapsed := time.Since(start)
		if err != nil || e2 == nil || m2.LastIndex != m.LastIndex {
			t.Errorf("KVGet(%q, index %d) = %+v, %+v, %v, want the same index", "far", m.LastIndex, e2, m2, err)
		}
		if elapsed < wait || elapsed > wait+2*time.Second {
			t.Errorf("blocking KVGet returned after %v, want about %v", elapsed, wait)
		}
	})

	t.Run("context cancel ends the wait", func(t *testing.T) {
		_, m, err := s.KVGet(ctx, &api.QueryOptions{}, "far")
		if err != nil {
			t.Fatalf("KVGet(%q) = %v", "far", err)
		}
		cctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, m2, err := s.KVGet(cctx, &api.QueryOptions{MinQueryIndex: m.LastIndex, MaxQueryTime: time.Minute}, "far")
		if elapsed := time.Since(start); elapsed > 5*time.Second {
			t.Errorf("blocking KVGet returned %v after its context was cancelled", elapsed-100*time.Millisecond)
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled KVGet = %v, want nil or context.Canceled", err)
		}
		if m2.LastIndex != m.LastIndex {
			t.Errorf("cancelled KVGet index = %d, want %d", m2.LastIndex, m.LastIndex)
		}
	})
}

func TestTxn(t *testing.T) {
	t.Parallel()
	s := startServer(t, testConfig(t.TempDir()))
	ctx := context.Background()
	apply(t, s, set("t/a", "1"), set("t/b", "2"))
	_, m, _ := s.KVGet(ctx, &api.QueryOptions{}, "t/b")
	bIdx := m.LastIndex

	tests := []struct {
		name        string
		ops         []api.KVTxnOp
		wantResults int
		wantErrOp   int // -1 for success
		wantRaft    bool
		wantKeys    []string
	}{
		{"read-only fast path", []api.KVTxnOp{
			{Verb: api.KVGet, Key: "t/a"},
			{Verb: api.KVGetTree, Key: "t/"},
			{Verb: api.KVCheckIndex, Key: "t/b", Index: bIdx},
		}, 3, -1, false, []string{"t/a", "t/b"}},
		{"read-only failing check", []api.KVTxnOp{
			{Verb: api.KVGet, Key: "t/a"},
			{Verb: api.KVCheckNotExists, Key: "t/b"},
		}, 0, 1, false, []string{"t/a", "t/b"}},
		{"write path", []api.KVTxnOp{
			{Verb: api.KVSet, Key: "t/c", Value: []byte("3")},
			{Verb: api.KVCAS, Key: "t/b", Value: []byte("B"), Index: bIdx},
			{Verb: api.KVDelete, Key: "t/a"},
			{Verb: api.KVGet, Key: "t/c"},
		}, 3, -1, true, []string{"t/b", "t/c"}},
		{"write path rolls back", []api.KVTxnOp{
			{Verb: api.KVDeleteTree, Key: "t/"},
			{Verb: api.KVCAS, Key: "t/x", Index: 5},
		}, 0, 1, true, []string{"t/b", "t/c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lastLog := s.Stats()["last_log_index"]
			resp, _, err := s.Txn(ctx, &api.QueryOptions{}, tc.ops, nil)
			if err != nil {
				t.Fatalf("Txn = %v", err)
			}
			if len(resp.Results) != tc.wantResults {
				t.Errorf("Txn results = %d, want %d", len(resp.Results), tc.wantResults)
			}
			switch {
			case tc.wantErrOp < 0 && len(resp.Errors) != 0:
				t.Errorf("Txn errors = %+v, want none", resp.Errors)
			case tc.wantErrOp >= 0 && (len(resp.Errors) != 1 || resp.Errors[0].OpIndex != tc.wantErrOp):
				t.Errorf("Txn errors = %+v, want one at op %d", resp.Errors, tc.wantErrOp)
			}
			if went := s.Stats()["last_log_index"] != lastLog; went != tc.wantRaft {
				t.Errorf("Txn went through Raft = %v, want %v", went, tc.wantRaft)
			}
			var keys []string
			for _, p := range dumpState(t, s.State()).KVs {
				keys = append(keys, p.Key)
			}
			if !reflect.DeepEqual(keys, tc.wantKeys) {
				t.Errorf("keys after Txn = %q, want %q", keys, tc.wantKeys)
			}
		})
	}
	t.Run("write results carry no value", func(t *testing.T) {
		resp, _, err := s.Txn(ctx, &api.QueryOptions{}, []api.KVTxnOp{set("t/v", "value")}, nil)
		if err != nil || len(resp.Results) != 1 || resp.Results[0].KV.Value != nil || resp.Results[0].KV.Key != "t/v" {
			t.Errorf("Txn(set) = %+v, %v, want one result for t/v without its value", resp, err)
		}
	})
}

func TestUnknownDatacenter(t *testing.T) {
	t.Parallel()
	s := startServer(t, testConfig(t.TempDir()))
	ctx := context.Background()
	q := &api.QueryOptions{Datacenter: "other"}
	tests := []struct {
		name string
		call func() error
	}{
		{"KVGet", func() error { _, _, err := s.KVGet(ctx, q, "k"); return err }},
		{"KVList", func() error { _, _, err := s.KVList(ctx, q, ""); return err }},
		{"KVKeys", func() error { _, _, err := s.KVKeys(ctx, q, "", "/"); return err }},
		{"read-only Txn", func() error {
			_, _, err := s.Txn(ctx, q, []api.KVTxnOp{{Verb: api.KVGet, Key: "k"}}, nil)
			return err
		}},
		{"write Txn", func() error { _, _, err := s.Txn(ctx, q, []api.KVTxnOp{set("k", "v")}, nil); return err }},
		{"stale KVGet", func() error {
			_, _, err := s.KVGet(ctx, &api.QueryOptions{Datacenter: "other", AllowStale: true}, "k")
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, api.ErrUnknownDC) {
				t.Errorf("%s in dc %q = %v, want %v", tc.name, "other", err, api.ErrUnknownDC)
			}
		})
	}
	if _, p, _ := s.State().KVGet(nil, "k"); p != nil {
		t.Errorf("write Txn to another datacenter stored %+v", p)
	}
}

func TestAfterShutdown(t *testing.T) {
	t.Parallel()
	s := startServer(t, testConfig(t.TempDir()))
	apply(t, s, set("k", "v"))
	s.stop(t)
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
	}{
		{"KVApply", func() error { _, err := s.KVApply(ctx, &api.KVTxnOp{Verb: api.KVSet, Key: "k2"}); return err }},
		{"write Txn", func() error {
			_, _, err := s.Txn(ctx, &api.QueryOptions{}, []api.KVTxnOp{set("k3", "v")}, nil)
			return err
		}},
		{"KVGet", func() error { _, _, err := s.KVGet(ctx, &api.QueryOptions{}, "k"); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { done <- tc.call() }()
			select {
			case err := <-done:
				if err == nil {
					t.Errorf("%s after Shutdown = nil, want an error", tc.name)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s after Shutdown still running after 5s", tc.name)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*server.Config)
		wantErr bool
	}{
		{"valid", func(*server.Config) {}, false},
		{"dev mode, no data dir", func(c *server.Config) { c.DataDir = "" }, false},
		{"wal log store", func(c *server.Config) { c.LogStore = server.LogStoreWAL }, false},
		{"boltdb log store", func(c *server.Config) { c.LogStore = server.LogStoreBoltDB }, false},
		{"no bootstrap", func(c *server.Config) { c.BootstrapExpect = 0 }, false},
		{"missing NodeID", func(c *server.Config) { c.NodeID = "" }, true},
		{"missing datacenter", func(c *server.Config) { c.Datacenter = "" }, true},
		{"missing raft address", func(c *server.Config) { c.RaftAddr = "" }, true},
		{"negative BootstrapExpect", func(c *server.Config) { c.BootstrapExpect = -1 }, true},
		{"unknown LogStore", func(c *server.Config) { c.LogStore = "rocksdb" }, true},
		{"missing logger", func(c *server.Config) { c.Logger = nil }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig("/nonexistent")
			tc.change(&cfg)
			if err := cfg.Validate(); (err != nil) != tc.wantErr {
				t.Fatalf("Validate() = %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr {
				return
			}
			if s, err := server.New(cfg); err == nil {
				s.Shutdown()
				t.Errorf("server.New accepted a config that Validate rejects")
			}
		})
	}
}

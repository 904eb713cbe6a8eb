package cluster_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/snapshot"
	"github.com/concordhq/concord/internal/testutil"
	consul "github.com/hashicorp/consul/api"
	"github.com/hashicorp/raft"
)

// TestSnapshotSaveAndRestore saves a snapshot of a 3-server cluster through
// a client agent (the archive crosses the internal RPC), writes more, and
// restores it: the saved state is back on every server, a blocking query
// wakes with it, the table index keeps growing, and the restored TTL
// session gets a fresh timer from the leader. Damaged and truncated
// archives are refused with nothing changed. An archive larger than one
// call's part goes both ways in parts. The first archive then restores
// into a fresh cluster.
func TestSnapshotSaveAndRestore(t *testing.T) {
	c := testutil.StartCluster(t, binary, 3, 1, `-hcl=session_ttl_min = "1s"`)
	leader := c.Leader(t)
	via := client(t, c.Clients()[0])
	kv := via.KV()

	put(t, kv, "app/a", "1")
	put(t, kv, "app/b", "2")
	sessionID, _, err := via.Session().Create(&consul.SessionEntry{TTL: "2s", Behavior: consul.SessionBehaviorDelete}, nil)
	if err != nil {
		t.Fatalf("session create: %v", err)
	}
	archive, qm := save(t, via, nil)
	if qm.LastIndex == 0 {
		t.Fatalf("snapshot save: X-Consul-Index is 0")
	}

	// Writes after the save, which the restore must undo.
	if _, err := via.Session().Destroy(sessionID, nil); err != nil {
		t.Fatalf("session destroy: %v", err)
	}
	put(t, kv, "app/a", "changed")
	put(t, kv, "app/c", "3")
	if _, err := kv.Delete("app/b", nil); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, before, err := kv.List("app/", nil)
	if err != nil {
		t.Fatal(err)
	}

	// A damaged or truncated archive is refused, and nothing changes.
	flipped := bytes.Clone(archive)
	flipped[len(flipped)/2] ^= 0xff
	for name, bad := range map[string][]byte{
		"flipped byte": flipped, "truncated": archive[:len(archive)*2/3], "not an archive": []byte("hello"),
	} {
		err := via.Snapshot().Restore(nil, bytes.NewReader(bad))
		if err == nil || !strings.Contains(err.Error(), "damaged") {
			t.Fatalf("restore of a %s archive = %v, want a 'damaged' error", name, err)
		}
	}
	// A whole archive whose state is not Concord's (Consul's, say) is
	// refused before Raft sees it: Raft treats a restore the FSM refuses
	// as fatal.
	var foreign bytes.Buffer
	state := []byte("a Consul state stream")
	meta := &raft.SnapshotMeta{Version: 1, ID: "2-9-1", Index: 9, Term: 2, Size: int64(len(state))}
	if err := snapshot.Write(&foreign, meta, bytes.NewReader(state)); err != nil {
		t.Fatal(err)
	}
	if err := via.Snapshot().Restore(nil, &foreign); err == nil || !strings.Contains(err.Error(), "does not load") {
		t.Fatalf("restore of an archive of foreign state = %v, want 'does not load'", err)
	}
	pairs, after, err := kv.List("app/", nil)
	if err != nil || after.LastIndex != before.LastIndex || kvMap(pairs)["app/a"] != "changed" {
		t.Fatalf("after refused restores: %v at index %d (%v), want app/a=changed at index %d",
			kvMap(pairs), after.LastIndex, err, before.LastIndex)
	}

	// A blocking query on app/a, through a follower, wakes on the restore.
	woke := make(chan *consul.KVPair, 1)
	follower := client(t, c.Followers(t)[0])
	go func() {
		p, _, err := follower.KV().Get("app/a", &consul.QueryOptions{WaitIndex: before.LastIndex, WaitTime: 30 * time.Second})
		if err != nil {
			p = nil
		}
		woke <- p
	}()

	restoreStart := time.Now()
	if err := via.Snapshot().Restore(nil, bytes.NewReader(archive)); err != nil {
		t.Fatalf("restore: %v", err)
	}
	t.Logf("restore of a %d-byte archive took %v", len(archive), time.Since(restoreStart))
	if s, _, err := client(t, leader).Session().Info(sessionID, nil); err != nil || s == nil {
		t.Fatalf("restored session on the leader = %v, %v; want it back", s, err)
	}
	select {
	case p := <-woke:
		if p == nil || string(p.Value) != "1" {
			t.Fatalf("blocking query woke with %+v, want the restored app/a=1", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("blocking query was not woken by the restore")
	}
	for _, s := range c.Servers() {
		waitFor(t, 10*time.Second, func(r *testutil.R) {
			pairs, _, err := client(t, s).KV().List("app/", &consul.QueryOptions{AllowStale: true})
			if err != nil {
				r.Fatalf("%s: %v", s.Name, err)
			}
			if got := kvMap(pairs); len(got) != 2 || got["app/a"] != "1" || got["app/b"] != "2" {
				r.Fatalf("%s holds %v after restore, want app/a=1 app/b=2", s.Name, got)
			}
			// The table's index is raised past every index answered before.
			_, m, err := client(t, s).KV().Get("app/none", &consul.QueryOptions{AllowStale: true})
			if err != nil || m.LastIndex <= before.LastIndex {
				r.Fatalf("%s: X-Consul-Index %d (%v) after restore, want past %d", s.Name, m.LastIndex, err, before.LastIndex)
			}
		})
	}
	// New writes land after the restore's index.
	put(t, kv, "app/d", "4")
	if p, m, err := kv.Get("app/d", nil); err != nil || p == nil || m.LastIndex <= before.LastIndex {
		t.Fatalf("write after restore: %+v, %+v, %v", p, m, err)
	}
	// Nobody renews the restored TTL session: the leader's fresh timer
	// expires it (TTL 2s, twice that before it goes), and its delete
	// behaviour applies to no key.
	waitFor(t, 15*time.Second, func(r *testutil.R) {
		if s, _, err := via.Session().Info(sessionID, nil); err != nil || s != nil {
			r.Fatalf("restored session still there (%v, %v)", s, err)
		}
	})

	// Incompressible values make an archive larger than one part, so it
	// travels in several calls both ways (call.SnapshotPartSize).
	rnd := rand.NewChaCha8([32]byte{1})
	big := make([]byte, 512<<10)
	for i := 0; i*len(big) <= call.SnapshotPartSize; i++ {
		rnd.Read(big)
		if _, err := kv.Put(&consul.KVPair{Key: fmt.Sprintf("big/%02d", i), Value: big}, nil); err != nil {
			t.Fatalf("put big/%02d: %v", i, err)
		}
	}
	large, _ := save(t, via, nil)
	if len(large) <= call.SnapshotPartSize {
		t.Fatalf("snapshot save: %d bytes, want more than one part (%d)", len(large), call.SnapshotPartSize)
	}
	if _, err := kv.DeleteTree("big/", nil); err != nil {
		t.Fatal(err)
	}
	if err := via.Snapshot().Restore(nil, bytes.NewReader(large)); err != nil {
		t.Fatalf("restore of a %d-byte archive: %v", len(large), err)
	}
	if p, _, err := kv.Get("big/00", nil); err != nil || p == nil || len(p.Value) != len(big) {
		t.Fatalf("big/00 after restoring the large archive: %v", err)
	}
	if _, err := kv.DeleteTree("big/", nil); err != nil {
		t.Fatal(err)
	}

	// ?stale: a follower answers from its own state.
	staleArchive, qm := save(t, follower, &consul.QueryOptions{AllowStale: true})
	if len(staleArchive) == 0 || qm.LastIndex == 0 {
		t.Fatalf("stale save: %d bytes at index %d", len(staleArchive), qm.LastIndex)
	}

	// A fresh cluster takes the first archive: same keys.
	fresh := testutil.StartCluster(t, binary, 1, 0)
	other := client(t, fresh.Servers()[0])
	if err := other.Snapshot().Restore(nil, bytes.NewReader(archive)); err != nil {
		t.Fatalf("restore into a fresh cluster: %v", err)
	}
	pairs, _, err = other.KV().List("app/", nil)
	if got := kvMap(pairs); err != nil || len(got) != 2 || got["app/a"] != "1" || got["app/b"] != "2" {
		t.Fatalf("fresh cluster holds %v (%v) after restore, want app/a=1 app/b=2", got, err)
	}
	put(t, other.KV(), "app/e", "5")
}

// save takes a snapshot through c and returns the archive.
func save(t *testing.T, c *consul.Client, q *consul.QueryOptions) ([]byte, *consul.QueryMeta) {
	t.Helper()
	body, qm, err := c.Snapshot().Save(q)
	if err != nil {
		t.Fatalf("snapshot save: %v", err)
	}
	defer body.Close()
	data, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("snapshot save: reading the body: %v", err)
	}
	return data, qm
}

func put(t *testing.T, kv *consul.KV, key, value string) {
	t.Helper()
	if _, err := kv.Put(&consul.KVPair{Key: key, Value: []byte(value)}, nil); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func kvMap(pairs consul.KVPairs) map[string]string {
	out := map[string]string{}
	for _, p := range pairs {
		out[p.Key] = string(p.Value)
	}
	return out
}

package httpapi_test

import (
	"strings"
	"testing"
	"time"

	consulapi "github.com/hashicorp/consul/api"
)

// getResult is what a blocking Get run in a goroutine hands back.
type getResult struct {
	pair    *consulapi.KVPair
	meta    *consulapi.QueryMeta
	err     error
	elapsed time.Duration
}

// blockingGet starts a blocking Get of key in a goroutine, waits until the
// request has reached the server, and returns a channel with its result.
func blockingGet(t *testing.T, addr, key string, q *consulapi.QueryOptions) <-chan getResult {
	t.Helper()
	hc, wrote := signalOnWrite()
	c := newConsulClient(t, addr, hc)
	out := make(chan getResult, 1)
	go func() {
		start := time.Now()
		p, meta, err := c.KV().Get(key, q)
		out <- getResult{p, meta, err, time.Since(start)}
	}()
	waitSignal(t, wrote, "the blocking Get to be sent")
	return out
}

// listResult is what a blocking List run in a goroutine hands back.
type listResult struct {
	pairs   consulapi.KVPairs
	meta    *consulapi.QueryMeta
	err     error
	elapsed time.Duration
}

func blockingList(t *testing.T, addr, prefix string, q *consulapi.QueryOptions) <-chan listResult {
	t.Helper()
	hc, wrote := signalOnWrite()
	c := newConsulClient(t, addr, hc)
	out := make(chan listResult, 1)
	go func() {
		start := time.Now()
		pairs, meta, err := c.KV().List(prefix, q)
		out <- listResult{pairs, meta, err, time.Since(start)}
	}()
	waitSignal(t, wrote, "the blocking List to be sent")
	return out
}

// receive waits for a blocking call's result, failing after a while.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(15 * time.Second):
		t.Fatalf("%s did not return", what)
		panic("unreachable")
	}
}

func TestBlockingGetWakesOnWrite(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	mustPut(t, c, "k", "old")
	_, meta, err := c.KV().Get("k", nil)
	if err != nil {
		t.Fatalf("Get(k): %v", err)
	}
	const wait = 5 * time.Second
	res := blockingGet(t, ta.HTTPAddr(), "k", &consulapi.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: wait})
	mustPut(t, c, "k", "new")

	got := receive(t, res, "blocking Get(k)")
	if got.err != nil {
		t.Fatalf("blocking Get(k): %v", got.err)
	}
	if got.pair == nil || string(got.pair.Value) != "new" {
		t.Errorf("blocking Get(k) = %v, want value %q", got.pair, "new")
	}
	if got.meta.LastIndex <= meta.LastIndex {
		t.Errorf("blocking Get(k) LastIndex = %d, want > %d", got.meta.LastIndex, meta.LastIndex)
	}
	if got.elapsed > wait/2 {
		t.Errorf("blocking Get(k) took %v after a write, want well under the %v wait", got.elapsed, wait)
	}
}

func TestBlockingGetTimesOut(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	mustPut(t, c, "k", "v")
	_, meta, err := c.KV().Get("k", nil)
	if err != nil {
		t.Fatalf("Get(k): %v", err)
	}
	const wait = 300 * time.Millisecond
	start := time.Now()
	p, meta2, err := c.KV().Get("k", &consulapi.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: wait})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("blocking Get(k): %v", err)
	}
	if elapsed < wait {
		t.Errorf("blocking Get(k) returned after %v, want >= %v", elapsed, wait)
	}
	if elapsed > wait+2*time.Second {
		t.Errorf("blocking Get(k) returned after %v, want about %v", elapsed, wait)
	}
	if meta2.LastIndex != meta.LastIndex {
		t.Errorf("blocking Get(k) LastIndex = %d, want unchanged %d", meta2.LastIndex, meta.LastIndex)
	}
	if p == nil || string(p.Value) != "v" {
		t.Errorf("blocking Get(k) = %v, want value v", p)
	}
}

// TestBlockingGetIgnoresOtherKeys checks that writes elsewhere do not end a
// blocking read of a key that did not change.
func TestBlockingGetIgnoresOtherKeys(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	mustPut(t, c, "k", "v")
	mustPut(t, c, "k2", "v") // a sibling in the same radix node
	_, meta, err := c.KV().Get("k", nil)
	if err != nil {
		t.Fatalf("Get(k): %v", err)
	}
	const wait = 400 * time.Millisecond
	res := blockingGet(t, ta.HTTPAddr(), "k", &consulapi.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: wait})
	mustPut(t, c, "k2", "changed")
	mustPut(t, c, "k/child", "new")
	mustPut(t, c, "other", "new")
	got := receive(t, res, "blocking Get(k)")
	if got.err != nil {
		t.Fatalf("blocking Get(k): %v", got.err)
	}
	if got.elapsed < wait {
		t.Errorf("blocking Get(k) returned after %v on writes to other keys, want >= %v", got.elapsed, wait)
	}
	if got.meta.LastIndex != meta.LastIndex {
		t.Errorf("blocking Get(k) LastIndex = %d, want unchanged %d", got.meta.LastIndex, meta.LastIndex)
	}
}

func TestBlockingGetWakesOnDelete(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	mustPut(t, c, "k", "v")
	_, meta, err := c.KV().Get("k", nil)
	if err != nil {
		t.Fatalf("Get(k): %v", err)
	}
	res := blockingGet(t, ta.HTTPAddr(), "k", &consulapi.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: 5 * time.Second})
	if _, err := c.KV().Delete("k", nil); err != nil {
		t.Fatalf("Delete(k): %v", err)
	}
	got := receive(t, res, "blocking Get(k)")
	if got.err != nil {
		t.Fatalf("blocking Get(k): %v", got.err)
	}
	if got.pair != nil {
		t.Errorf("blocking Get(k) after Delete = %q, want nil", got.pair.Value)
	}
	if got.meta.LastIndex <= meta.LastIndex {
		t.Errorf("blocking Get(k) after Delete LastIndex = %d, want > %d", got.meta.LastIndex, meta.LastIndex)
	}
}

func TestBlockingListWakesOnDelete(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	for _, k := range []string{"dir/a", "dir/b", "dir/c"} {
		mustPut(t, c, k, "v")
	}
	mustPut(t, c, "outside", "v") // raises the table index above the prefix's
	_, meta, err := c.KV().List("dir/", nil)
	if err != nil {
		t.Fatalf("List(dir/): %v", err)
	}
	const wait = 5 * time.Second
	res := blockingList(t, ta.HTTPAddr(), "dir/", &consulapi.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: wait})
	if _, err := c.KV().Delete("dir/b", nil); err != nil {
		t.Fatalf("Delete(dir/b): %v", err)
	}
	got := receive(t, res, "blocking List(dir/)")
	if got.err != nil {
		t.Fatalf("blocking List(dir/): %v", got.err)
	}
	if got.meta.LastIndex <= meta.LastIndex {
		t.Errorf("blocking List(dir/) LastIndex = %d, want > %d", got.meta.LastIndex, meta.LastIndex)
	}
	var keys []string
	for _, p := range got.pairs {
		keys = append(keys, p.Key)
	}
	if strings.Join(keys, ",") != "dir/a,dir/c" {
		t.Errorf("blocking List(dir/) keys = %q, want [dir/a dir/c]", keys)
	}
	if got.elapsed > wait/2 {
		t.Errorf("blocking List(dir/) took %v after a delete, want well under %v", got.elapsed, wait)
	}
}

// TestBlockingListWakesOnDeleteTree covers deleting the whole prefix: the
// index must still grow although nothing is left under it.
func TestBlockingListWakesOnDeleteTree(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	mustPut(t, c, "dir/a", "v")
	_, meta, err := c.KV().List("dir/", nil)
	if err != nil {
		t.Fatalf("List(dir/): %v", err)
	}
	res := blockingList(t, ta.HTTPAddr(), "dir/", &consulapi.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: 5 * time.Second})
	if _, err := c.KV().DeleteTree("dir/", nil); err != nil {
		t.Fatalf("DeleteTree(dir/): %v", err)
	}
	got := receive(t, res, "blocking List(dir/)")
	if got.err != nil {
		t.Fatalf("blocking List(dir/): %v", got.err)
	}
	if len(got.pairs) != 0 {
		t.Errorf("blocking List(dir/) = %d pairs after DeleteTree, want none", len(got.pairs))
	}
	if got.meta.LastIndex <= meta.LastIndex {
		t.Errorf("blocking List(dir/) LastIndex = %d, want > %d", got.meta.LastIndex, meta.LastIndex)
	}
}

func TestBlockingGetMissingKeyWakesOnCreate(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	mustPut(t, c, "unrelated", "v")
	p, meta, err := c.KV().Get("later", nil)
	if err != nil || p != nil {
		t.Fatalf("Get(later) = %v, %v; want nil, nil", p, err)
	}
	const wait = 5 * time.Second
	res := blockingGet(t, ta.HTTPAddr(), "later", &consulapi.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: wait})
	mustPut(t, c, "later", "here")
	got := receive(t, res, "blocking Get(later)")
	if got.err != nil {
		t.Fatalf("blocking Get(later): %v", got.err)
	}
	if got.pair == nil || string(got.pair.Value) != "here" {
		t.Errorf("blocking Get(later) = %v, want value %q", got.pair, "here")
	}
	if got.meta.LastIndex <= meta.LastIndex {
		t.Errorf("blocking Get(later) LastIndex = %d, want > %d", got.meta.LastIndex, meta.LastIndex)
	}
	if got.elapsed > wait/2 {
		t.Errorf("blocking Get(later) took %v after the create, want well under %v", got.elapsed, wait)
	}
}

func TestBlockingKeysWakesOnPut(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	mustPut(t, c, "svc/a", "v")
	_, meta, err := c.KV().Keys("svc/", "/", nil)
	if err != nil {
		t.Fatalf("Keys(svc/): %v", err)
	}
	hc, wrote := signalOnWrite()
	bc := newConsulClient(t, ta.HTTPAddr(), hc)
	type keysResult struct {
		keys []string
		meta *consulapi.QueryMeta
		err  error
	}
	out := make(chan keysResult, 1)
	go func() {
		keys, m, err := bc.KV().Keys("svc/", "/", &consulapi.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: 5 * time.Second})
		out <- keysResult{keys, m, err}
	}()
	waitSignal(t, wrote, "the blocking Keys to be sent")
	mustPut(t, c, "svc/b/c", "v")
	got := receive(t, out, "blocking Keys(svc/)")
	if got.err != nil {
		t.Fatalf("blocking Keys(svc/): %v", got.err)
	}
	if strings.Join(got.keys, ",") != "svc/a,svc/b/" {
		t.Errorf("blocking Keys(svc/, /) = %q, want [svc/a svc/b/]", got.keys)
	}
	if got.meta.LastIndex <= meta.LastIndex {
		t.Errorf("blocking Keys(svc/) LastIndex = %d, want > %d", got.meta.LastIndex, meta.LastIndex)
	}
}

func TestReadHeadersOnLeader(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	mustPut(t, c, "k", "v")
	for _, path := range []string{"/v1/kv/k", "/v1/kv/k?raw", "/v1/kv/?recurse", "/v1/kv/?keys", "/v1/kv/missing", "/v1/kv/k?index=1&wait=10ms"} {
		r := doRaw(t, ta.HTTPAddr(), "GET", path, nil)
		if r.Code != 200 && r.Code != 404 {
			t.Fatalf("GET %s: status %d (%q)", path, r.Code, r.Body)
		}
		for _, h := range []struct{ name, want string }{
			{"X-Consul-KnownLeader", "true"},
			{"X-Consul-LastContact", "0"},
			{"X-Consul-Default-ACL-Policy", "allow"},
		} {
			if got := r.Header.Get(h.name); got != h.want {
				t.Errorf("GET %s %s = %q, want %q", path, h.name, got, h.want)
			}
		}
		if got := r.Header.Get("X-Consul-Index"); got == "" || got == "0" {
			t.Errorf("GET %s X-Consul-Index = %q, want >= 1", path, got)
		}
	}
	_, meta, err := c.KV().Get("k", nil)
	if err != nil {
		t.Fatalf("Get(k): %v", err)
	}
	if !meta.KnownLeader || meta.LastContact != 0 {
		t.Errorf("Get(k) meta = KnownLeader %v, LastContact %v; want true, 0", meta.KnownLeader, meta.LastContact)
	}
}

// TestShutdownEndsBlockingQueries: stopping the agent must not wait for a
// long blocking query to run out its wait.
func TestShutdownEndsBlockingQueries(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	mustPut(t, c, "k", "v")
	_, meta, err := c.KV().Get("k", nil)
	if err != nil {
		t.Fatalf("Get(k): %v", err)
	}
	const wait = time.Minute
	res := blockingGet(t, ta.HTTPAddr(), "k", &consulapi.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: wait})
	start := time.Now()
	ta.Stop(t)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Stop took %v with a blocking query open, want it prompt", d)
	}
	got := receive(t, res, "blocking Get(k) during shutdown")
	if got.elapsed > 10*time.Second {
		t.Errorf("blocking Get(k) returned after %v during shutdown, want promptly", got.elapsed)
	}
}

package httpapi_test

import (
	"strings"
	"testing"
	"time"

	consulapi "github.com/hashicorp/consul/api"
)

// kvRead is a KV read that a test blocks on, its result rendered as text:
// a value ("<nil>" for a missing key) or keys joined by commas.
type kvRead func(c *consulapi.Client, q *consulapi.QueryOptions) (string, *consulapi.QueryMeta, error)

func getValue(key string) kvRead {
	return func(c *consulapi.Client, q *consulapi.QueryOptions) (string, *consulapi.QueryMeta, error) {
		p, meta, err := c.KV().Get(key, q)
		if p == nil {
			return "<nil>", meta, err
		}
		return string(p.Value), meta, err
	}
}

func listKeys(prefix string) kvRead {
	return func(c *consulapi.Client, q *consulapi.QueryOptions) (string, *consulapi.QueryMeta, error) {
		pairs, meta, err := c.KV().List(prefix, q)
		var keys []string
		for _, p := range pairs {
			keys = append(keys, p.Key)
		}
		return strings.Join(keys, ","), meta, err
	}
}

func keysOnly(prefix, sep string) kvRead {
	return func(c *consulapi.Client, q *consulapi.QueryOptions) (string, *consulapi.QueryMeta, error) {
		keys, meta, err := c.KV().Keys(prefix, sep, q)
		return strings.Join(keys, ","), meta, err
	}
}

// readResult is what a blocking read run in a goroutine hands back.
type readResult struct {
	got     string
	meta    *consulapi.QueryMeta
	err     error
	elapsed time.Duration
}

// blockingRead starts read with q in a goroutine, waits until the request
// has reached the server, and returns a channel with its result.
func blockingRead(t *testing.T, addr string, read kvRead, q *consulapi.QueryOptions) <-chan readResult {
	t.Helper()
	hc, wrote := signalOnWrite()
	c := newConsulClient(t, addr, hc)
	out := make(chan readResult, 1)
	go func() {
		start := time.Now()
		got, meta, err := read(c, q)
		out <- readResult{got, meta, err, time.Since(start)}
	}()
	waitSignal(t, wrote, "the blocking read to be sent")
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

// TestBlockingKV blocks a KV read on the index it last returned, changes
// the store, and checks that the read returns at once with a higher index
// when the change touches what it reads, and runs out its wait with the
// index unchanged when it does not.
func TestBlockingKV(t *testing.T) {
	t.Parallel()
	put := func(kv ...string) func(*testing.T, *consulapi.Client) {
		return func(t *testing.T, c *consulapi.Client) {
			for i := 0; i < len(kv); i += 2 {
				mustPut(t, c, kv[i], kv[i+1])
			}
		}
	}
	tests := []struct {
		name   string
		keys   []string // put with value "v" before the first read
		read   kvRead
		change func(*testing.T, *consulapi.Client) // made while the read blocks; nil for none
		woken  bool                                // the change ends the read (else it runs out its wait)
		want   string                              // what the blocking read returns
	}{
		{"get wakes on a write", []string{"k"}, getValue("k"), put("k", "new"), true, "new"},
		{"get times out", []string{"k"}, getValue("k"), nil, false, "v"},
		// k2 is a sibling of k in the same radix node.
		{"get ignores other keys", []string{"k", "k2"}, getValue("k"), put("k2", "changed", "k/child", "new", "other", "new"), false, "v"},
		{"get wakes on a delete", []string{"k"}, getValue("k"), func(t *testing.T, c *consulapi.Client) {
			if _, err := c.KV().Delete("k", nil); err != nil {
				t.Fatalf("Delete(k): %v", err)
			}
		}, true, "<nil>"},
		{"get of a missing key wakes on its create", []string{"unrelated"}, getValue("later"), put("later", "here"), true, "here"},
		// outside raises the table index above the prefix's.
		{"list wakes on a delete", []string{"dir/a", "dir/b", "dir/c", "outside"}, listKeys("dir/"), func(t *testing.T, c *consulapi.Client) {
			if _, err := c.KV().Delete("dir/b", nil); err != nil {
				t.Fatalf("Delete(dir/b): %v", err)
			}
		}, true, "dir/a,dir/c"},
		// The index must grow although nothing is left under the prefix.
		{"list wakes on a delete of the tree", []string{"dir/a"}, listKeys("dir/"), func(t *testing.T, c *consulapi.Client) {
			if _, err := c.KV().DeleteTree("dir/", nil); err != nil {
				t.Fatalf("DeleteTree(dir/): %v", err)
			}
		}, true, ""},
		{"keys wake on a put", []string{"svc/a"}, keysOnly("svc/", "/"), put("svc/b/c", "v"), true, "svc/a,svc/b/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ta, c := startDevAgent(t)
			for _, k := range tc.keys {
				mustPut(t, c, k, "v")
			}
			_, meta, err := tc.read(c, nil)
			if err != nil {
				t.Fatalf("first read: %v", err)
			}
			wait := 5 * time.Second // a change must end the read well before
			if !tc.woken {
				wait = 400 * time.Millisecond
			}
			res := blockingRead(t, ta.HTTPAddr(), tc.read, &consulapi.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: wait})
			if tc.change != nil {
				tc.change(t, c)
			}

			got := receive(t, res, "blocking read")
			if got.err != nil {
				t.Fatalf("blocking read: %v", got.err)
			}
			if got.got != tc.want {
				t.Errorf("blocking read = %q, want %q", got.got, tc.want)
			}
			if tc.woken {
				if got.meta.LastIndex <= meta.LastIndex {
					t.Errorf("blocking read LastIndex = %d, want > %d", got.meta.LastIndex, meta.LastIndex)
				}
				if got.elapsed > wait/2 {
					t.Errorf("blocking read took %v after the change, want well under the %v wait", got.elapsed, wait)
				}
				return
			}
			if got.meta.LastIndex != meta.LastIndex {
				t.Errorf("blocking read LastIndex = %d, want unchanged %d", got.meta.LastIndex, meta.LastIndex)
			}
			if got.elapsed < wait || got.elapsed > wait+2*time.Second {
				t.Errorf("blocking read returned after %v, want its %v wait", got.elapsed, wait)
			}
		})
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
	res := blockingRead(t, ta.HTTPAddr(), getValue("k"), &consulapi.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: wait})
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

package agent_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
)

// hookLog records the bodies an http watch handler posts, by URL path.
type hookLog struct {
	mu     sync.Mutex
	bodies map[string][]string // guarded by mu
}

func (h *hookLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.bodies[r.URL.Path] = append(h.bodies[r.URL.Path], strings.TrimSpace(string(body)))
}

// want waits until path got exactly n posts.
func (h *hookLog) want(t *testing.T, path string, n int) []string {
	t.Helper()
	var got []string
	testutil.Run(t, 10*time.Second, func(r *testutil.R) {
		h.mu.Lock()
		got = slices.Clone(h.bodies[path])
		h.mu.Unlock()
		if len(got) != n {
			r.Fatalf("%s got %d posts %q, want %d", path, len(got), got, n)
		}
	})
	return got
}

func keyWatch(key, url string) config.Watch {
	return config.Watch{Type: "key", Key: key, HandlerType: "http", HTTP: config.WatchHTTP{Path: url, Method: "POST"}}
}

// TestConfigWatchesReload: a reload replaces the config watches; one that
// does not parse fails the reload and leaves the running ones alone.
func TestConfigWatchesReload(t *testing.T) {
	hooks := &hookLog{bodies: map[string][]string{}}
	srv := httptest.NewServer(hooks)
	defer srv.Close()
	ta := testutil.StartAgent(t, "", func(c *config.Config) {
		c.Watches = []config.Watch{keyWatch("a", srv.URL+"/a")}
	})
	c, err := api.NewClient(&api.Config{Address: ta.HTTPAddr()})
	if err != nil {
		t.Fatal(err)
	}
	put := func(key string) {
		t.Helper()
		if _, err := c.KV().Put(&api.KVPair{Key: key, Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
	}
	hooks.want(t, "/a", 1) // null: a is not set yet

	cfg := ta.Config
	cfg.Watches = []config.Watch{keyWatch("b", srv.URL+"/b")}
	if err := ta.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	hooks.want(t, "/b", 1)
	put("a") // the old watch is gone
	put("b")
	hooks.want(t, "/b", 2)
	hooks.want(t, "/a", 1)

	bad := cfg
	bad.Watches = []config.Watch{{Type: "key", HandlerType: "script", Args: []string{"true"}}}
	if err := ta.Reload(bad); err == nil || !strings.Contains(err.Error(), `watches[0]: watch type "key" requires key`) {
		t.Errorf("reload with a key watch without key = %v, want it refused", err)
	}
	put("b")
	hooks.want(t, "/b", 3)
}

package bench

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// kvStub is an HTTP server that acknowledges every PUT, as a KV store
// would, and counts them.
func kvStub(t *testing.T) (addr string, puts *atomic.Int64) {
	t.Helper()
	puts = new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "PUT" || !strings.HasPrefix(r.URL.Path, "/v1/kv/"+keyPrefix) {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusBadRequest)
			return
		}
		puts.Add(1)
		w.Write([]byte("true"))
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), puts
}

// TestRunSeveralAddrs: with two addresses the clients take them in turn,
// so both servers get writes, and the count bounds the total.
func TestRunSeveralAddrs(t *testing.T) {
	a, aPuts := kvStub(t)
	b, bPuts := kvStub(t)
	cfg := DefaultConfig()
	cfg.HTTPAddr, cfg.Op, cfg.Clients, cfg.Count = a+", "+b, "put", 4, 400
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run(put on %s) = %v", cfg.HTTPAddr, err)
	}
	if res.Ops != 400 || res.Errors != 0 || aPuts.Load() == 0 || bPuts.Load() == 0 ||
		aPuts.Load()+bPuts.Load() != 400 {
		t.Errorf("Run(put, 4 clients, count 400, 2 servers) = %d ops, %d errors (%s), servers got %d and %d; "+
			"want 400 ops, no errors, both servers used", res.Ops, res.Errors, res.FirstErr, aPuts.Load(), bPuts.Load())
	}
}

// TestRunProgress: a run with a Progress writer reports once a second on
// one line (carriage returns, no newline) and erases it at the end.
func TestRunProgress(t *testing.T) {
	addr, _ := kvStub(t)
	var out bytes.Buffer // written by Run's progress goroutine, read once Run returned
	cfg := DefaultConfig()
	cfg.HTTPAddr, cfg.Op, cfg.Clients, cfg.Duration, cfg.Progress = addr, "put", 2, 1500*time.Millisecond, &out
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatalf("Run = %v", err)
	}
	got := out.String()
	if !strings.HasPrefix(got, "\r\x1b[Kput 1s/1.5s  ") || !strings.Contains(got, " ops/s  0 errors") ||
		!strings.HasSuffix(got, "\r\x1b[K") || strings.Contains(got, "\n") {
		t.Errorf("progress output = %q; want \"\\r\\x1b[Kput 1s/1.5s  <n> ops  <r> ops/s  0 errors\" "+
			"then \"\\r\\x1b[K\", no newline", got)
	}
}

// TestRunDeadEndpoint: nothing listens, so every operation fails; the
// workers back off instead of spinning, and the run still ends on time.
func TestRunDeadEndpoint(t *testing.T) {
	cfg := DefaultConfig()
	cfg.HTTPAddr, cfg.Op, cfg.Clients, cfg.Duration = "127.0.0.1:1", "put", 2, 300*time.Millisecond
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	// 2 clients × 300 ms / 50 ms backoff is at most about 14 attempts.
	if res.Ops != 0 || res.Errors == 0 || res.Errors > 40 || !strings.Contains(res.FirstErr, "cannot connect") {
		t.Errorf("Run(dead endpoint) = %d ops, %d errors, first %q; want 0 ops, 1..40 errors, cannot connect",
			res.Ops, res.Errors, res.FirstErr)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		want   string // substring of the error; "" for none
	}{
		{"default", func(*Config) {}, ""},
		{"every op", func(c *Config) { c.Op = "watch" }, ""},
		{"unknown op", func(c *Config) { c.Op = "dns" }, "unknown op"},
		{"empty address in list", func(c *Config) { c.HTTPAddr = "a:1,,b:2" }, "empty HTTP address"},
		{"dns without address", func(c *Config) { c.Op, c.DNSAddr = "dns-srv", "" }, "needs a DNS address"},
		{"no watchers", func(c *Config) { c.Op, c.Watchers = "watch", 0 }, "watchers 0"},
		{"ten million keys", func(c *Config) { c.Keys = 10_000_000 }, ""},
		{"too many keys", func(c *Config) { c.Keys = 10_000_001 }, "keys"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.modify(&cfg)
			err := cfg.Validate()
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}

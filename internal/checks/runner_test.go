package checks_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/checks"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*checks.Config)
		wantErr bool
	}{
		{"defaults", func(*checks.Config) {}, false},
		{"no output", func(c *checks.Config) { c.OutputMaxSize = 0 }, true},
		{"no logger", func(c *checks.Config) { c.Logger = nil }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := checks.DefaultConfig()
			tc.edit(&cfg)
			if err := cfg.Validate(); (err != nil) != tc.wantErr {
				t.Errorf("Validate() = %v, want error %v", err, tc.wantErr)
			}
			if _, err := checks.NewRunner(cfg, newRecorder()); (err != nil) != tc.wantErr {
				t.Errorf("NewRunner() = %v, want error %v", err, tc.wantErr)
			}
		})
	}
	if got := checks.DefaultConfig().OutputMaxSize; got != 4096 {
		t.Errorf("DefaultConfig().OutputMaxSize = %d, want 4096", got)
	}
	if _, err := checks.NewRunner(checks.DefaultConfig(), nil); err == nil {
		t.Error("NewRunner with a nil Notifier succeeded")
	}
}

func TestAddInvalid(t *testing.T) {
	r := newRunner(t, newRecorder(), func(c *checks.Config) { c.EnableScriptChecks = true })
	tests := []struct {
		name string
		def  *api.AgentServiceCheck
	}{
		{"nil", nil},
		{"no type", &api.AgentServiceCheck{Name: "x", Interval: "10s"}},
		{"two types", &api.AgentServiceCheck{HTTP: "http://127.0.0.1/", TCP: "127.0.0.1:1", Interval: "10s"}},
		{"no interval", &api.AgentServiceCheck{HTTP: "http://127.0.0.1/"}},
		{"bad interval", &api.AgentServiceCheck{TCP: "127.0.0.1:1", Interval: "soon"}},
		{"negative interval", &api.AgentServiceCheck{TCP: "127.0.0.1:1", Interval: "-1s"}},
		{"bad timeout", &api.AgentServiceCheck{TCP: "127.0.0.1:1", Interval: "10s", Timeout: "10"}},
		{"zero TTL", &api.AgentServiceCheck{TTL: "0s"}},
		{"bad TTL", &api.AgentServiceCheck{TTL: "1 minute"}},
		{"bad status", &api.AgentServiceCheck{TTL: "10s", Status: "ok"}},
		{"negative threshold", &api.AgentServiceCheck{TCP: "127.0.0.1:1", Interval: "10s", FailuresBeforeCritical: -1}},
		{"not an http URL", &api.AgentServiceCheck{HTTP: "ftp://127.0.0.1/", Interval: "10s"}},
		{"bad method", &api.AgentServiceCheck{HTTP: "http://127.0.0.1/", Method: "NOT OK", Interval: "10s"}},
		{"TCP without port", &api.AgentServiceCheck{TCP: "127.0.0.1", Interval: "10s"}},
		{"UDP without port", &api.AgentServiceCheck{UDP: "localhost", Interval: "10s"}},
		{"gRPC without port", &api.AgentServiceCheck{GRPC: "localhost/svc", Interval: "10s"}},
		{"script without interval", &api.AgentServiceCheck{Args: []string{"true"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := r.Add("bad", tc.def, false); !errors.Is(err, checks.ErrInvalidCheck) {
				t.Errorf("Add(%+v) = %v, want ErrInvalidCheck", tc.def, err)
			}
		})
	}
	if err := r.Add("", &api.AgentServiceCheck{TTL: "10s"}, false); !errors.Is(err, checks.ErrInvalidCheck) {
		t.Errorf("Add with an empty ID = %v, want ErrInvalidCheck", err)
	}
}

func TestType(t *testing.T) {
	tests := []struct {
		def  *api.AgentServiceCheck
		want string
	}{
		{&api.AgentServiceCheck{Args: []string{"true"}}, "script"},
		{&api.AgentServiceCheck{HTTP: "http://x/"}, "http"},
		{&api.AgentServiceCheck{TCP: "x:1"}, "tcp"},
		{&api.AgentServiceCheck{UDP: "x:1"}, "udp"},
		{&api.AgentServiceCheck{GRPC: "x:1"}, "grpc"},
		{&api.AgentServiceCheck{TTL: "1s"}, "ttl"},
		{&api.AgentServiceCheck{AliasNode: "n"}, "alias"},
		{&api.AgentServiceCheck{AliasService: "s"}, "alias"},
		{&api.AgentServiceCheck{Name: "nothing"}, ""},
		{nil, ""},
	}
	for _, tc := range tests {
		if got := checks.Type(tc.def); got != tc.want {
			t.Errorf("Type(%+v) = %q, want %q", tc.def, got, tc.want)
		}
	}
}

func TestInitialStatusReportedByAdd(t *testing.T) {
	rec := newRecorder()
	r := newRunner(t, rec, nil)
	mustAdd(t, r, "default", &api.AgentServiceCheck{TTL: "1m"})
	mustAdd(t, r, "set", &api.AgentServiceCheck{TTL: "1m", Status: api.HealthPassing})
	for id, want := range map[string]string{"default": api.HealthCritical, "set": api.HealthPassing} {
		if got := rec.statuses(id); !slices.Equal(got, []string{want}) {
			t.Errorf("updates of %s right after Add = %q, want [%s]", id, got, want)
		}
	}
}

func TestAddReplaces(t *testing.T) {
	rec := newRecorder()
	r := newRunner(t, rec, nil)
	mustAdd(t, r, "c", &api.AgentServiceCheck{TTL: "1m"})
	mustAdd(t, r, "c", &api.AgentServiceCheck{TCP: listenTCP(t).Addr().String(), Interval: "1s"})
	if err := r.UpdateTTL("c", api.HealthPassing, ""); !errors.Is(err, checks.ErrNotTTL) {
		t.Errorf("UpdateTTL on a TTL check replaced by a TCP check = %v, want ErrNotTTL", err)
	}
	waitStatus(t, rec, "c", api.HealthPassing)

	r.Stop()
	if err := r.Add("d", &api.AgentServiceCheck{TTL: "1m"}, false); !errors.Is(err, checks.ErrStopped) {
		t.Errorf("Add after Stop = %v, want ErrStopped", err)
	}
}

// countingServer answers 200 and counts requests.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1) }))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestThresholds(t *testing.T) {
	t.Parallel()
	// The server holds each request until the test has looked at the
	// updates, which then reflect exactly the results before it.
	codes := []int{200, 200, 500, 500, 500}
	arrived, proceed := make(chan int), make(chan struct{})
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1))
		select {
		case arrived <- i:
		case <-r.Context().Done():
			return
		}
		select {
		case <-proceed:
		case <-r.Context().Done():
			return
		}
		w.WriteHeader(codes[min(i, len(codes))-1])
	}))
	t.Cleanup(srv.Close)
	rec := newRecorder()
	r := newRunner(t, rec, nil)
	mustAdd(t, r, "th", &api.AgentServiceCheck{
		HTTP: srv.URL, Interval: "1s",
		SuccessBeforePassing: 2, FailuresBeforeWarning: 1, FailuresBeforeCritical: 3,
	})

	want := [][]string{
		{"critical"},                                   // before request 1
		{"critical"},                                   // 200: 1 pass of 2
		{"critical", "passing"},                        // 200: 2 passes
		{"critical", "passing", "warning"},             // 500: 1 failure, warning
		{"critical", "passing", "warning"},             // 500: 2 failures, warning again, not reported
		{"critical", "passing", "warning", "critical"}, // 500: 3 failures, critical
	}
	for i, w := range want {
		if got := recv(t, arrived); got != i+1 {
			t.Fatalf("request %d arrived, want %d", got, i+1)
		}
		if got := rec.statuses("th"); !slices.Equal(got, w) {
			t.Errorf("before request %d (codes %v): updates %q, want %q", i+1, codes[:min(i, len(codes))], got, w)
		}
		if i < len(codes) {
			proceed <- struct{}{}
		}
	}
	r.Remove("th") // cancels request 6, held by the server
}

func TestIntervalBelowMinimumRaised(t *testing.T) {
	t.Parallel()
	srv, requests := countingServer(t)
	r := newRunner(t, newRecorder(), nil)
	mustAdd(t, r, "fast", &api.AgentServiceCheck{HTTP: srv.URL, Interval: "10ms"})
	<-time.After(2200 * time.Millisecond)
	// First run within 1s, then one a second: at most 3 in 2.2s, not 200.
	if n := requests.Load(); n < 1 || n > 3 {
		t.Errorf("%d requests in 2.2s with Interval 10ms, want 1 to 3 (raised to %v)", n, checks.MinInterval)
	}
}

func TestStagger(t *testing.T) {
	t.Parallel()
	addr := listenTCP(t).Addr().String()
	rec := newRecorder()
	r := newRunner(t, rec, nil)
	const n = 100
	ids := make([]string, n)
	for i := range ids {
		ids[i] = "c" + string(rune('A'+i/26)) + string(rune('a'+i%26))
		mustAdd(t, r, ids[i], &api.AgentServiceCheck{TCP: addr, Interval: "1s"})
	}
	first := make([]time.Time, n)
	waitFor(t, "every check's first run", func() bool {
		for i, id := range ids {
			h := rec.history(id)
			if len(h) < 2 {
				return false
			}
			first[i] = h[1].at
		}
		return true
	})
	slices.SortFunc(first, func(a, b time.Time) int { return a.Compare(b) })
	const window, most = 100 * time.Millisecond, 30
	for i := range first {
		j := i
		for j < n && first[j].Sub(first[i]) < window {
			j++
		}
		if j-i > most {
			t.Fatalf("%d first runs within %v of each other, want at most %d", j-i, window, most)
		}
	}
	if spread := first[n-1].Sub(first[0]); spread < 500*time.Millisecond {
		t.Errorf("first runs spread over %v, want most of the 1s interval", spread)
	}
}

package checks_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/checks"
	"github.com/concordhq/concord/internal/testutil"
)

// These tests count goroutines, so they do not run in parallel: the
// parallel tests wait until every sequential test has finished.

// oneOfEachKind returns a definition of each kind of check, against
// servers started for the test, and a runner config that allows them all.
func oneOfEachKind(t *testing.T) (map[string]*api.AgentServiceCheck, func(*checks.Config)) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	hs, grpcAddr := testutil.GRPCHealthServer(t, false)
	hs.SetServingStatus("svc", healthpb.HealthCheckResponse_SERVING)
	alias := &mockAliasSource{AliasStatusFunc: func(ctx context.Context, node, serviceID string, waitIndex uint64) (string, uint64, error) {
		if waitIndex == 0 {
			return api.HealthPassing, 1, nil
		}
		<-ctx.Done() // nothing ever changes
		return "", 0, ctx.Err()
	}}
	defs := map[string]*api.AgentServiceCheck{
		"http":   {HTTP: srv.URL, Interval: "1s"},
		"tcp":    {TCP: listenTCP(t).Addr().String(), Interval: "1s"},
		"udp":    {UDP: testutil.UDPServer(t, false), Interval: "1s"}, // blocks reading
		"grpc":   {GRPC: grpcAddr + "/svc", Interval: "1s"},
		"script": {Args: []string{"sh", "-c", "sleep 30"}, Interval: "1s"},
		"ttl":    {TTL: "1m"},
		"alias":  {AliasService: "web"},
	}
	return defs, func(c *checks.Config) { c.EnableScriptChecks = true; c.Alias = alias }
}

// waitGoroutines waits until no more goroutines run than want.
func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		got := runtime.NumGoroutine()
		if got <= want {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, want at most %d; stacks:\n%s", got, want, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
		<-time.After(20 * time.Millisecond)
	}
}

func TestRemoveEndsGoroutines(t *testing.T) {
	defs, edit := oneOfEachKind(t)
	rec := newRecorder()
	r := newRunner(t, rec, edit)
	before := runtime.NumGoroutine()

	for id, def := range defs {
		mustAdd(t, r, id, def)
	}
	// Let every check start a probe: the first runs within one interval.
	waitFor(t, "the first probes", func() bool {
		for _, id := range []string{"http", "tcp", "grpc", "alias"} {
			if u, _ := rec.last(id); u.status != api.HealthPassing {
				return false
			}
		}
		return true
	})
	<-time.After(time.Second) // the UDP and script probes are now blocked

	for id := range defs {
		start := time.Now()
		r.Remove(id)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Remove(%q) took %v, want it to cut the probe short", id, d)
		}
	}
	counts := make(map[string]int)
	for id := range defs {
		counts[id] = len(rec.history(id))
	}
	waitGoroutines(t, before)
	for id := range defs {
		if n := len(rec.history(id)); n != counts[id] {
			t.Errorf("check %s reported %d times after Remove", id, n-counts[id])
		}
	}
}

func TestStopEndsGoroutines(t *testing.T) {
	defs, edit := oneOfEachKind(t)
	rec := newRecorder()
	cfg := checks.DefaultConfig()
	edit(&cfg)
	before := runtime.NumGoroutine()
	r, err := checks.NewRunner(cfg, rec)
	if err != nil {
		t.Fatal(err)
	}
	for id, def := range defs {
		mustAdd(t, r, id, def)
	}
	<-time.After(1200 * time.Millisecond) // every check has started a probe

	start := time.Now()
	r.Stop()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Stop took %v, want it to cut the probes short", d)
	}
	waitGoroutines(t, before)
	r.Stop() // a second Stop does nothing
}

package checks_test

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/checks"
	"github.com/concordhq/concord/internal/testutil"
)

// waitTimeout bounds every wait of these tests: long enough for a first
// run (at most one interval, 1s) and a probe under -race.
const waitTimeout = 5 * time.Second

// update is one call to the Notifier.
type update struct {
	status string
	output string
	at     time.Time
}

// recorder is a Notifier that keeps every update, per check.
type recorder struct {
	mu      sync.Mutex
	updates map[string][]update // guarded by mu
}

var _ checks.Notifier = (*recorder)(nil)

func newRecorder() *recorder { return &recorder{updates: make(map[string][]update)} }

func (r *recorder) UpdateCheck(id, status, output string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updates[id] = append(r.updates[id], update{status: status, output: output, at: time.Now()})
}

// history returns a copy of the updates of check id.
func (r *recorder) history(id string) []update {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.updates[id])
}

// last returns the last update of check id, if any.
func (r *recorder) last(id string) (update, bool) {
	h := r.history(id)
	if len(h) == 0 {
		return update{}, false
	}
	return h[len(h)-1], true
}

// statuses returns the statuses of check id's updates, in order.
func (r *recorder) statuses(id string) []string {
	var s []string
	for _, u := range r.history(id) {
		s = append(s, u.status)
	}
	return s
}

// mockAliasSource is an AliasSource made of a func field.
type mockAliasSource struct {
	AliasStatusFunc func(ctx context.Context, node, serviceID string, waitIndex uint64) (string, uint64, error)
}

var _ checks.AliasSource = (*mockAliasSource)(nil)

func (m *mockAliasSource) AliasStatus(ctx context.Context, node, serviceID string, waitIndex uint64) (string, uint64, error) {
	return m.AliasStatusFunc(ctx, node, serviceID, waitIndex)
}

// newRunner returns a Runner with DefaultConfig changed by edit (if
// non-nil), reporting to rec, and stopped when the test ends.
func newRunner(t *testing.T, rec *recorder, edit func(*checks.Config)) *checks.Runner {
	t.Helper()
	cfg := checks.DefaultConfig()
	if edit != nil {
		edit(&cfg)
	}
	r, err := checks.NewRunner(cfg, rec)
	if err != nil {
		t.Fatalf("NewRunner: %v", err)
	}
	t.Cleanup(r.Stop)
	return r
}

// mustAdd adds a check from the API and fails the test on error.
func mustAdd(t *testing.T, r *checks.Runner, id string, def *api.AgentServiceCheck) {
	t.Helper()
	if err := r.Add(id, def, false); err != nil {
		t.Fatalf("Add(%q): %v", id, err)
	}
}

// waitFor polls cond until it holds, failing the test after waitTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", waitTimeout, what)
		}
		<-tick.C
	}
}

// waitStatus waits until the last update of check id has status, and
// returns that update.
func waitStatus(t *testing.T, rec *recorder, id, status string) update {
	t.Helper()
	var u update
	waitFor(t, "check "+id+" to be "+status, func() bool {
		var ok bool
		u, ok = rec.last(id)
		return ok && u.status == status
	})
	return u
}

// listenTCP returns a TCP listener on 127.0.0.1 that accepts and closes
// connections until the test ends.
func listenTCP(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return l
}

// closedAddr returns a 127.0.0.1 address where nothing listens, by TCP or
// UDP: a reserved port, which no other test binds.
func closedAddr(t *testing.T) string {
	t.Helper()
	return "127.0.0.1:" + strconv.Itoa(testutil.FreePort(t))
}

// recv receives from ch, failing the test after waitTimeout.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatalf("timed out after %v waiting to receive", waitTimeout)
		panic("unreachable")
	}
}

// newTLSServer starts an HTTPS server with a self-signed certificate that
// does not log the handshakes the tests make fail on purpose.
func newTLSServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// probeCase is a check and the status its probes should settle on.
type probeCase struct {
	name    string
	def     api.AgentServiceCheck // Interval "1s" when unset
	want    string
	wantOut string // a part of the output
}

// addCases adds the check of each case to r, under the case's name, so
// that their first runs overlap.
func addCases(t *testing.T, r *checks.Runner, cases []probeCase) {
	t.Helper()
	for _, tc := range cases {
		def := tc.def
		if def.Interval == "" {
			def.Interval = "1s"
		}
		mustAdd(t, r, tc.name, &def)
	}
}

// checkCases waits, in a subtest per case, for the case's status and
// checks the output.
func checkCases(t *testing.T, rec *recorder, cases []probeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if u := waitStatus(t, rec, tc.name, tc.want); !strings.Contains(u.output, tc.wantOut) {
				t.Errorf("output = %q, want it to contain %q", u.output, tc.wantOut)
			}
		})
	}
}

package chaos

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
)

// TestMaxStale cuts a follower off and reads from it: ?stale is answered
// from its own store, with X-Consul-LastContact growing and
// X-Consul-KnownLeader true; ?stale&max_stale shorter than that is not
// answered from its store (it would go to the leader, which it cannot
// reach); a connected follower answers ?max_stale itself, with a small
// LastContact.
func TestMaxStale(t *testing.T) {
	c := testutil.StartProxiedCluster(t, binary, 3)
	leader := c.Leader(t)
	put(t, leader, "stale/k", "v")
	var cut, linked *testutil.Node
	for _, s := range c.Servers() {
		if s == leader {
			continue
		}
		if cut == nil {
			cut = s
		} else {
			linked = s
		}
	}
	// Both followers have the key before one is cut off.
	for _, s := range []*testutil.Node{cut, linked} {
		if err := retryFor(10*time.Second, func() error {
			_, err := staleGet(s, "stale/k?stale")
			return err
		}); err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
	}

	c.Isolate(cut, testutil.Blackhole)
	defer c.Heal()
	// Wait until the cut follower has not heard from the leader for a
	// second; ?stale keeps being answered from its store meanwhile.
	err := retryFor(20*time.Second, func() error {
		h, err := staleGet(cut, "stale/k?stale")
		if err != nil {
			return err
		}
		if ms, _ := strconv.Atoi(h.Get("X-Consul-LastContact")); ms < 1000 {
			return fmt.Errorf("X-Consul-LastContact = %q, want at least 1000 ms", h.Get("X-Consul-LastContact"))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("?stale on the cut-off follower: %v", err)
	}
	if _, err := staleGet(cut, "stale/k?stale&max_stale=500ms"); err == nil {
		t.Errorf("?max_stale=500ms on a follower that last heard from the leader over a second ago was answered from its store")
	}

	h, err := staleGet(linked, "stale/k?max_stale=10s")
	if err != nil {
		t.Fatalf("?max_stale on the connected follower: %v", err)
	}
	if ms, _ := strconv.Atoi(h.Get("X-Consul-LastContact")); ms > 1000 || h.Get("X-Consul-KnownLeader") != "true" {
		t.Errorf("?max_stale on the connected follower: LastContact %q, KnownLeader %q; want a recent contact and a known leader",
			h.Get("X-Consul-LastContact"), h.Get("X-Consul-KnownLeader"))
	}
	if got := h.Get("X-Consul-Effective-Consistency"); got != "stale" {
		t.Errorf("?max_stale: X-Consul-Effective-Consistency = %q, want stale", got)
	}
}

// staleGet reads /v1/kv/<pathAndQuery> from n and returns the headers of
// a 200 answer, or an error for any other (or none within 3 s).
func staleGet(n *testutil.Node, pathAndQuery string) (http.Header, error) {
	hc := &http.Client{Timeout: 3 * time.Second}
	resp, err := hc.Get("http://" + n.HTTPAddr + "/v1/kv/" + pathAndQuery)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &statusError{resp.StatusCode}
	}
	return resp.Header, nil
}

type statusError struct{ code int }

func (e *statusError) Error() string { return "HTTP " + strconv.Itoa(e.code) }

package multidc_test

import (
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
	consul "github.com/hashicorp/consul/api"
)

// TestFrozenDatacenter: the only server of dc2 stops (SIGSTOP), its
// connections open but silent. A ?dc=dc2 read through dc1 fails within
// the forwarding deadline (3 s) with an error naming dc2, rather than
// waiting some 15 s for gRPC's keepalive; dc1 is served meanwhile; once
// the server continues (SIGCONT), dc2 is served again.
func TestFrozenDatacenter(t *testing.T) {
	f := startFederation(t, 1, 1)
	c1 := f.agent(t, "dc1")
	mustOK(t, "put in dc2", errOf(c1.KV().Put(&consul.KVPair{Key: "k", Value: []byte("v2")}, to("dc2"))))
	if p, _, err := c1.KV().Get("k", in("dc2")); err != nil || p == nil {
		t.Fatalf("KV get in dc2 = %v, %v", p, err)
	}

	s := f.dcs["dc2"].Servers()[0]
	s.Pause()
	resumed := false
	defer func() {
		if !resumed {
			s.Resume()
		}
	}()
	start := time.Now()
	_, _, err := c1.KV().Get("k", in("dc2"))
	took := time.Since(start)
	t.Logf("KV get in dc2 with its server stopped: %v after %v", err, took)
	if err == nil || took > 8*time.Second {
		t.Fatalf("KV get in dc2 with its server stopped = %v after %v; want an error within the 3 s deadline", err, took)
	}
	if !strings.Contains(err.Error(), "dc2") && !strings.Contains(err.Error(), "No path to datacenter") {
		t.Errorf("KV get in dc2 with its server stopped: error %q names neither dc2 nor the lack of a path", err)
	}
	if _, _, err := c1.KV().Get("k", nil); err != nil {
		t.Errorf("KV get in dc1 while dc2 is stopped: %v", err)
	}

	s.Resume()
	resumed = true
	waitFor(t, 30*time.Second, func(r *testutil.R) {
		if p, _, err := c1.KV().Get("k", in("dc2")); err != nil || p == nil || string(p.Value) != "v2" {
			r.Fatalf("KV get in dc2 after its server continued = %v, %v; want v2", p, err)
		}
	})
}

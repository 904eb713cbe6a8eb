package ui_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	consulapi "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
)

// TestUIDatacenters runs two single-server datacenters, dc1 and dc2, joined
// in one WAN pool, and opens dc1's agent's UI: its datacenter selector
// lists both (as /v1/catalog/datacenters does); choosing dc2 shows dc2's
// services, and dc2's views (nodes, keys) show dc2's data, read through
// dc1's agent with ?dc=dc2.
func TestUIDatacenters(t *testing.T) {
	a1 := testutil.StartAgent(t, "", func(c *config.Config) { c.UI, c.NodeName, c.Datacenter = true, "ui-dc1", "dc1" })
	a2 := testutil.StartAgent(t, "", func(c *config.Config) { c.NodeName, c.Datacenter = "ui-dc2", "dc2" })
	c1, c2 := apiClient(t, a1.HTTPAddr()), apiClient(t, a2.HTTPAddr())
	self, err := c2.Agent().Members(true)
	if err != nil || len(self) != 1 {
		t.Fatalf("dc2's WAN members = %v, %v; want itself", self, err)
	}
	if err := c1.Agent().Join(fmt.Sprintf("%s:%d", self[0].Addr, self[0].Port), true); err != nil {
		t.Fatalf("WAN join dc1 → dc2: %v", err)
	}
	testutil.Run(t, 10*time.Second, func(r *testutil.R) {
		if dcs, err := c1.Catalog().Datacenters(); err != nil || !slices.Equal(dcs, []string{"dc1", "dc2"}) {
			r.Fatalf("dc1's Catalog().Datacenters() = %v, %v; want [dc1 dc2]", dcs, err)
		}
	})
	for _, tc := range []struct {
		c       *consulapi.Client
		dc, key string
	}{{c1, "dc1", "only/dc1"}, {c2, "dc2", "only/dc2"}} {
		if _, err := tc.c.Catalog().Register(&consulapi.CatalogRegistration{Node: "box-" + tc.dc, Address: "10.0.0.1",
			Service: &consulapi.AgentService{ID: "svc-" + tc.dc, Service: "svc-" + tc.dc, Port: 80}}, nil); err != nil {
			t.Fatalf("register svc-%s: %v", tc.dc, err)
		}
		if _, err := tc.c.KV().Put(&consulapi.KVPair{Key: tc.key, Value: []byte(tc.dc)}, nil); err != nil {
			t.Fatalf("put %s: %v", tc.key, err)
		}
	}

	p := openBrowser(t, "http://"+a1.HTTPAddr())
	step := steps(t, p)
	services := `[...document.querySelectorAll('tr[data-service]')].map(r => r.dataset.service).sort().join()`

	step("the selector lists every datacenter", func(t *testing.T) {
		p.do("open the UI", chromedp.Navigate(p.base+"/ui/"))
		p.waitJS("dc1's services", `location.hash === '#/dc1/services' && `+services+` === 'consul,svc-dc1'`, 10*time.Second)
		if got := eval[string](p, `[...document.querySelectorAll('#dc-select option')].map(o => o.value).join()`); got != "dc1,dc2" {
			t.Errorf("datacenter selector options = %q, want dc1,dc2", got)
		}
		p.screenshot("datacenters-dc1")
	})

	step("choosing dc2 shows dc2's services", func(t *testing.T) {
		p.do("choose dc2", chromedp.SetValue(chromedp.CSS("#dc-select"), "dc2"))
		eval[bool](p, `document.querySelector('#dc-select').dispatchEvent(new Event('change'))`) // as a user's choice does
		p.waitJS("dc2's services", `location.hash === '#/dc2/services' && `+services+` === 'consul,svc-dc2'`, 10*time.Second)
		if got := eval[string](p, `document.querySelector('#dc-select').value`); got != "dc2" {
			t.Errorf("datacenter selector shows %q, want dc2", got)
		}
		// The agent read them in dc2: the UI's calls carried ?dc=dc2.
		if !eval[bool](p, `performance.getEntriesByType('resource').some(e => e.name.includes('/v1/') && e.name.includes('dc=dc2'))`) {
			t.Errorf("no request of the UI named dc=dc2")
		}
		p.screenshot("datacenters-dc2")
	})

	step("dc2's nodes and keys", func(t *testing.T) {
		p.goTo("#/dc2/nodes")
		p.waitJS("dc2's nodes", `[...document.querySelectorAll('tr[data-node]')].map(r => r.dataset.node).sort().join() === 'box-dc2,ui-dc2'`, 10*time.Second)
		p.goTo("#/dc2/kv/only/")
		p.waitJS("dc2's key", `[...document.querySelectorAll('li[data-key]')].map(l => l.dataset.key).join() === 'only/dc2'`, 10*time.Second)
		p.goTo("#/dc1/kv/only/")
		p.waitJS("dc1's key", `[...document.querySelectorAll('li[data-key]')].map(l => l.dataset.key).join() === 'only/dc1'`, 10*time.Second)
	})
}

func apiClient(t *testing.T, addr string) *consulapi.Client {
	t.Helper()
	c, err := consulapi.NewClient(&consulapi.Config{Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

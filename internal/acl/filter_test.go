package acl

import (
	"reflect"
	"testing"

	"github.com/concordhq/concord/api"
)

const filterRules = `
key_prefix "pub/" { policy = "read" }
key "pub/hidden" { policy = "deny" }
node_prefix "web" { policy = "read" }
service "api" { policy = "read" }
session_prefix "web" { policy = "read" }
`

func TestFilterKV(t *testing.T) {
	a := compile(t, denyByDefault, filterRules)
	pairs := []*api.KVPair{{Key: "pub/a"}, {Key: "pub/hidden"}, {Key: "priv/b"}, {Key: "pub/c"}}
	got, filtered := a.FilterKVPairs(pairs)
	if !filtered || !reflect.DeepEqual(got, []*api.KVPair{pairs[0], pairs[3]}) {
		t.Errorf("FilterKVPairs = %v, %v", got, filtered)
	}
	if pairs[1].Key != "pub/hidden" {
		t.Error("FilterKVPairs changed its argument")
	}
	all := pairs[:1]
	if got, filtered := a.FilterKVPairs(all); filtered || &got[0] != &all[0] {
		t.Errorf("FilterKVPairs(all readable) = %v, %v; want its argument, false", got, filtered)
	}
	keys, filtered := a.FilterKeys([]string{"pub/", "pub/a", "pub/hidden", "priv/", "x"})
	if !filtered || !reflect.DeepEqual(keys, []string{"pub/", "pub/a"}) {
		t.Errorf("FilterKeys = %q, %v", keys, filtered)
	}
	if got, filtered := a.FilterKeys(nil); got != nil || filtered {
		t.Errorf("FilterKeys(nil) = %v, %v", got, filtered)
	}
	if got, filtered := a.FilterKeys([]string{"x", "y"}); len(got) != 0 || !filtered {
		t.Errorf("FilterKeys(none readable) = %v, %v", got, filtered)
	}
}

func TestFilterCatalog(t *testing.T) {
	a := compile(t, denyByDefault, filterRules)
	nodes := []*api.Node{{Node: "web1"}, {Node: "db1"}, {Node: "web2"}}
	if got, filtered := a.FilterNodes(nodes); !filtered || !reflect.DeepEqual(got, []*api.Node{nodes[0], nodes[2]}) {
		t.Errorf("FilterNodes = %v, %v", got, filtered)
	}
	services := map[string][]string{"api": {"v1"}, "db": nil}
	if got, filtered := a.FilterServices(services); !filtered || !reflect.DeepEqual(got, map[string][]string{"api": {"v1"}}) {
		t.Errorf("FilterServices = %v, %v", got, filtered)
	}
	if len(services) != 2 {
		t.Error("FilterServices changed its argument")
	}
	if got, filtered := a.FilterServices(map[string][]string{"api": nil}); filtered || len(got) != 1 {
		t.Errorf("FilterServices(all readable) = %v, %v", got, filtered)
	}
	cs := []*api.CatalogService{{Node: "web1", ServiceName: "api"}, {Node: "db1", ServiceName: "api"}, {Node: "web1", ServiceName: "db"}}
	if got, filtered := a.FilterCatalogServices(cs); !filtered || !reflect.DeepEqual(got, cs[:1]) {
		t.Errorf("FilterCatalogServices = %v, %v", got, filtered)
	}
	es := []*api.ServiceEntry{
		{Node: &api.Node{Node: "web1"}, Service: &api.NodeService{Service: "api"}},
		{Node: &api.Node{Node: "web1"}, Service: &api.NodeService{Service: "db"}},
		{Node: &api.Node{Node: "db1"}, Service: &api.NodeService{Service: "api"}},
		{Node: &api.Node{Node: "web1"}},
	}
	if got, filtered := a.FilterServiceEntries(es); !filtered || !reflect.DeepEqual(got, es[:1]) {
		t.Errorf("FilterServiceEntries = %v, %v", got, filtered)
	}
	checks := []*api.HealthCheck{
		{Node: "web1", CheckID: "serfHealth"},
		{Node: "web1", ServiceName: "api"},
		{Node: "web1", ServiceName: "db"},
		{Node: "db1", CheckID: "serfHealth"},
	}
	if got, filtered := a.FilterHealthChecks(checks); !filtered || !reflect.DeepEqual(got, checks[:2]) {
		t.Errorf("FilterHealthChecks = %v, %v", got, filtered)
	}
	sessions := []*api.SessionEntry{{ID: "1", Node: "web1"}, {ID: "2", Node: "db1"}}
	if got, filtered := a.FilterSessions(sessions); !filtered || !reflect.DeepEqual(got, sessions[:1]) {
		t.Errorf("FilterSessions = %v, %v", got, filtered)
	}
}

func TestFilterCatalogNode(t *testing.T) {
	a := compile(t, denyByDefault, filterRules)
	n := &api.CatalogNode{Node: &api.Node{Node: "web1"}, Services: map[string]*api.NodeService{
		"api-1": {Service: "api"}, "db-1": {Service: "db"}}}
	got, filtered := a.FilterCatalogNode(n)
	if !filtered || got.Node != n.Node || len(got.Services) != 1 || got.Services["api-1"] == nil {
		t.Errorf("FilterCatalogNode = %+v, %v", got, filtered)
	}
	if len(n.Services) != 2 {
		t.Error("FilterCatalogNode changed its argument")
	}
	if got, filtered := a.FilterCatalogNode(&api.CatalogNode{Node: &api.Node{Node: "db1"}}); got != nil || !filtered {
		t.Errorf("FilterCatalogNode(unreadable node) = %+v, %v", got, filtered)
	}
	whole := &api.CatalogNode{Node: &api.Node{Node: "web2"}, Services: map[string]*api.NodeService{"api": {Service: "api"}}}
	if got, filtered := a.FilterCatalogNode(whole); got != whole || filtered {
		t.Errorf("FilterCatalogNode(all readable) = %+v, %v", got, filtered)
	}
	if got, filtered := a.FilterCatalogNode(nil); got != nil || filtered {
		t.Errorf("FilterCatalogNode(nil) = %+v, %v", got, filtered)
	}
}

func TestFilterManage(t *testing.T) {
	m := Manage()
	pairs := []*api.KVPair{{Key: "a"}}
	if got, filtered := m.FilterKVPairs(pairs); filtered || len(got) != 1 {
		t.Errorf("Manage().FilterKVPairs = %v, %v", got, filtered)
	}
	if got, filtered := m.FilterServices(map[string][]string{"x": nil}); filtered || len(got) != 1 {
		t.Errorf("Manage().FilterServices = %v, %v", got, filtered)
	}
	n := &api.CatalogNode{Node: &api.Node{Node: "x"}}
	if got, filtered := m.FilterCatalogNode(n); filtered || got != n {
		t.Errorf("Manage().FilterCatalogNode = %v, %v", got, filtered)
	}
}

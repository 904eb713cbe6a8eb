package httpapi_test

import (
	"reflect"
	"testing"

	consulapi "github.com/hashicorp/consul/api"
)

// TestCatalogServicesFilterPerInstance: a filter on /v1/catalog/services
// is evaluated against each instance, node metadata included, as Consul
// does; the reply lists the names and tags of the instances that match.
func TestCatalogServicesFilterPerInstance(t *testing.T) {
	_, c := startDevAgent(t)
	cat := c.Catalog()
	for _, reg := range []*consulapi.CatalogRegistration{
		{Node: "prod-1", Address: "10.0.0.1", NodeMeta: map[string]string{"env": "prod"},
			Service: &consulapi.AgentService{ID: "web1", Service: "web", Tags: []string{"blue"}}},
		{Node: "dev-1", Address: "10.0.0.2", NodeMeta: map[string]string{"env": "dev"},
			Service: &consulapi.AgentService{ID: "web2", Service: "web", Tags: []string{"green"}}},
		{Node: "dev-1", Address: "10.0.0.2", NodeMeta: map[string]string{"env": "dev"},
			Service: &consulapi.AgentService{ID: "db1", Service: "db", Tags: []string{"primary"}}},
	} {
		if _, err := cat.Register(reg, nil); err != nil {
			t.Fatal(err)
		}
	}
	for filter, want := range map[string]map[string][]string{
		`NodeMeta.env == prod`:              {"web": {"blue"}},
		`NodeMeta["env"] == dev`:            {"web": {"green"}, "db": {"primary"}},
		`ServiceTags contains "primary"`:    {"db": {"primary"}},
		`ServiceName == web and Node != ""`: {"web": {"blue", "green"}},
	} {
		got, _, err := cat.Services(&consulapi.QueryOptions{Filter: filter})
		if err != nil {
			t.Fatalf("filter %q: %v", filter, err)
		}
		delete(got, "consul")
		for name, tags := range got { // tag order across instances is not fixed
			if len(tags) == 2 && tags[0] > tags[1] {
				got[name] = []string{tags[1], tags[0]}
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("filter %q = %v, want %v", filter, got, want)
		}
	}
}

// TestCatalogServiceLocality: a service's locality, tagged addresses and
// socket path reach the catalog, and a change of locality alone is a
// change.
func TestCatalogServiceLocality(t *testing.T) {
	_, c := startDevAgent(t)
	for _, zone := range []string{"us-west-1a", "us-west-1b"} {
		loc := &consulapi.Locality{Region: "us-west-1", Zone: zone}
		err := c.Agent().ServiceRegister(&consulapi.AgentServiceRegistration{Name: "loc", ID: "loc1", Locality: loc,
			TaggedAddresses: map[string]consulapi.ServiceAddress{"lan": {Address: "10.0.0.9", Port: 80}}})
		if err != nil {
			t.Fatal(err)
		}
		svcs, _, err := c.Catalog().Service("loc", "", nil)
		if err != nil || len(svcs) != 1 {
			t.Fatalf("catalog service loc: %+v, %v", svcs, err)
		}
		if !reflect.DeepEqual(svcs[0].ServiceLocality, loc) || svcs[0].ServiceTaggedAddresses["lan"].Port != 80 {
			t.Errorf("zone %s: locality %+v, tagged addresses %+v", zone, svcs[0].ServiceLocality, svcs[0].ServiceTaggedAddresses)
		}
	}
}

// TestCatalogNodeFilterAppliesToServices: ?filter on /v1/catalog/node/:n
// keeps the node's services that match, as Consul's does.
func TestCatalogNodeFilterAppliesToServices(t *testing.T) {
	_, c := startDevAgent(t)
	for _, svc := range []*consulapi.AgentService{{ID: "redis1", Service: "redis", Tags: []string{"v1"}},
		{ID: "web1", Service: "web", Tags: []string{"v1", "blue"}}} {
		if _, err := c.Catalog().Register(&consulapi.CatalogRegistration{Node: "fn", Address: "10.0.0.3", Service: svc}, nil); err != nil {
			t.Fatal(err)
		}
	}
	n, _, err := c.Catalog().Node("fn", &consulapi.QueryOptions{Filter: `"blue" in Tags`})
	if err != nil || n == nil || len(n.Services) != 1 || n.Services["web1"] == nil {
		t.Fatalf("node fn with a filter: %+v, %v; want web1 only", n, err)
	}
	if n, _, err = c.Catalog().Node("fn", nil); err != nil || len(n.Services) != 2 {
		t.Fatalf("node fn unfiltered: %+v, %v; want both services", n, err)
	}
}

package wanaddr_test

import (
	"reflect"
	"testing"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/wanaddr"
)

// TestResultCopies: every answer type gets the node's "wan" (else
// "wan_ipv4") address and the service's "wan" address and port, those
// without keep theirs, and the answer given is left as it was (it may be
// a cache's).
func TestResultCopies(t *testing.T) {
	node := func() *api.Node {
		return &api.Node{Node: "a", Address: "10.0.0.1", TaggedAddresses: map[string]string{"lan": "10.0.0.1", "wan": "192.0.2.1"}}
	}
	ipv4Only := &api.Node{Node: "b", Address: "10.0.0.2", TaggedAddresses: map[string]string{"wan_ipv4": "192.0.2.2"}}
	plain := &api.Node{Node: "c", Address: "10.0.0.3"}
	svc := func() *api.NodeService {
		return &api.NodeService{ID: "db", Address: "10.0.1.1", Port: 5432,
			TaggedAddresses: map[string]api.ServiceAddress{"wan": {Address: "192.0.2.9", Port: 15432}}}
	}
	noPort := &api.NodeService{ID: "web", Address: "10.0.1.2", Port: 80,
		TaggedAddresses: map[string]api.ServiceAddress{"wan": {Address: "192.0.2.8"}}}

	for _, tc := range []struct {
		name string
		in   any
		want any
	}{
		{"nodes", []*api.Node{node(), ipv4Only, plain}, []*api.Node{
			{Node: "a", Address: "192.0.2.1", TaggedAddresses: node().TaggedAddresses},
			{Node: "b", Address: "192.0.2.2", TaggedAddresses: ipv4Only.TaggedAddresses}, plain}},
		{"service entries", []*api.ServiceEntry{{Node: node(), Service: svc()}, {Node: plain, Service: noPort}}, []*api.ServiceEntry{
			{Node: &api.Node{Node: "a", Address: "192.0.2.1", TaggedAddresses: node().TaggedAddresses},
				Service: &api.NodeService{ID: "db", Address: "192.0.2.9", Port: 15432, TaggedAddresses: svc().TaggedAddresses}},
			{Node: plain, Service: &api.NodeService{ID: "web", Address: "192.0.2.8", Port: 80, TaggedAddresses: noPort.TaggedAddresses}}}},
		{"catalog services", []*api.CatalogService{{Node: "a", Address: "10.0.0.1", TaggedAddresses: node().TaggedAddresses,
			ServiceAddress: "", ServicePort: 5432}}, []*api.CatalogService{{Node: "a", Address: "192.0.2.1",
			TaggedAddresses: node().TaggedAddresses, ServicePort: 5432}}},
		{"catalog node", &api.CatalogNode{Node: node(), Services: map[string]*api.NodeService{"db": svc()}},
			&api.CatalogNode{Node: &api.Node{Node: "a", Address: "192.0.2.1", TaggedAddresses: node().TaggedAddresses},
				Services: map[string]*api.NodeService{"db": {ID: "db", Address: "192.0.2.9", Port: 15432, TaggedAddresses: svc().TaggedAddresses}}}},
		{"query response", &api.PreparedQueryExecuteResponse{Datacenter: "dc2", Nodes: []*api.ServiceEntry{{Node: plain, Service: svc()}}},
			&api.PreparedQueryExecuteResponse{Datacenter: "dc2", Nodes: []*api.ServiceEntry{{Node: plain,
				Service: &api.NodeService{ID: "db", Address: "192.0.2.9", Port: 15432, TaggedAddresses: svc().TaggedAddresses}}}}},
		{"other types unchanged", []*api.HealthCheck{{Node: "a"}}, []*api.HealthCheck{{Node: "a"}}},
	} {
		before := deepCopy(t, tc.in)
		if got := wanaddr.Result(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Result = %#v, want %#v", tc.name, got, tc.want)
		}
		if !reflect.DeepEqual(tc.in, before) {
			t.Errorf("%s: Result changed its argument", tc.name)
		}
	}
}

// deepCopy copies v deeply (through pointers, slices and maps), so that
// a change Result made to its argument in place shows.
func deepCopy(t *testing.T, v any) any {
	t.Helper()
	return clone(reflect.ValueOf(v)).Interface()
}

func clone(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Elem().Type())
		c.Elem().Set(clone(v.Elem()))
		return c
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			c.Index(i).Set(clone(v.Index(i)))
		}
		return c
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		for _, k := range v.MapKeys() {
			c.SetMapIndex(k, clone(v.MapIndex(k)))
		}
		return c
	case reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		c.Set(v) // unexported fields and scalars as they are
		for i := 0; i < v.NumField(); i++ {
			if c.Field(i).CanSet() {
				c.Field(i).Set(clone(v.Field(i)))
			}
		}
		return c
	}
	return v
}

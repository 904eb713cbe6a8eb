package api

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// TestCatalogHealthWire checks what each catalog and health method sends
// and how it reads the reply and its meta.
func TestCatalogHealthWire(t *testing.T) {
	meta := map[string]string{"X-Consul-Index": "12", "X-Consul-KnownLeader": "true"}
	node := `{"ID":"1b662d97-0000","Node":"n1","Address":"10.0.0.1","Datacenter":"dc1",` +
		`"TaggedAddresses":{"lan":"10.0.0.1"},"Meta":{"rack":"r1"},"CreateIndex":3,"ModifyIndex":4}`
	wantNode := &Node{ID: "1b662d97-0000", Node: "n1", Address: "10.0.0.1", Datacenter: "dc1",
		TaggedAddresses: map[string]string{"lan": "10.0.0.1"}, Meta: map[string]string{"rack": "r1"},
		CreateIndex: 3, ModifyIndex: 4}
	check := `{"Node":"n1","CheckID":"serfHealth","Status":"passing"}`
	wantCheck := &HealthCheck{Node: "n1", CheckID: "serfHealth", Status: "passing"}

	tests := []struct {
		name  string
		reply reply
		call  func(c *Client) (any, *QueryMeta, error)
		sent  string // "METHOD path?query"
		want  any
	}{
		{
			name:  "datacenters",
			reply: reply{body: `["dc1"]`},
			call:  func(c *Client) (any, *QueryMeta, error) { dcs, err := c.Catalog().Datacenters(); return dcs, nil, err },
			sent:  "GET /v1/catalog/datacenters?",
			want:  []string{"dc1"},
		},
		{
			name:  "nodes",
			reply: reply{body: "[" + node + "]", header: meta},
			call: func(c *Client) (any, *QueryMeta, error) {
				return unpack(c.Catalog().Nodes(&QueryOptions{AllowStale: true}))
			},
			sent: "GET /v1/catalog/nodes?stale=",
			want: []*Node{wantNode},
		},
		{
			name:  "services",
			reply: reply{body: `{"consul":[],"web":["a","b"]}`, header: meta},
			call:  func(c *Client) (any, *QueryMeta, error) { return unpack(c.Catalog().Services(nil)) },
			sent:  "GET /v1/catalog/services?",
			want:  map[string][]string{"consul": {}, "web": {"a", "b"}},
		},
		{
			name:  "service with tags",
			reply: reply{body: `[{"Node":"n1","ServiceID":"web-1","ServiceName":"web","ServicePort":80}]`, header: meta},
			call: func(c *Client) (any, *QueryMeta, error) {
				return unpack(c.Catalog().Service("web", []string{"a", "b"}, &QueryOptions{MinQueryIndex: 5, MaxQueryTime: time.Second}))
			},
			sent: "GET /v1/catalog/service/web?index=5&tag=a&tag=b&wait=1000ms",
			want: []*CatalogService{{Node: "n1", ServiceID: "web-1", ServiceName: "web", ServicePort: 80}},
		},
		{
			name:  "node",
			reply: reply{body: `{"Node":` + node + `,"Services":{"web-1":{"ID":"web-1","Service":"web"}}}`, header: meta},
			call:  func(c *Client) (any, *QueryMeta, error) { return unpack(c.Catalog().Node("n1", nil)) },
			sent:  "GET /v1/catalog/node/n1?",
			want:  &CatalogNode{Node: wantNode, Services: map[string]*NodeService{"web-1": {ID: "web-1", Service: "web"}}},
		},
		{
			name:  "unknown node",
			reply: reply{body: `null`, header: meta},
			call:  func(c *Client) (any, *QueryMeta, error) { return unpack(c.Catalog().Node("nope", nil)) },
			sent:  "GET /v1/catalog/node/nope?",
			want:  (*CatalogNode)(nil),
		},
		{
			name:  "health service passing",
			reply: reply{body: `[{"Node":` + node + `,"Service":{"ID":"web-1","Service":"web"},"Checks":[` + check + `]}]`, header: meta},
			call: func(c *Client) (any, *QueryMeta, error) {
				return unpack(c.Health().Service("web", []string{"a"}, true, nil))
			},
			sent: "GET /v1/health/service/web?passing=&tag=a",
			want: []*ServiceEntry{{Node: wantNode, Service: &NodeService{ID: "web-1", Service: "web"}, Checks: []*HealthCheck{wantCheck}}},
		},
		{
			name:  "health service",
			reply: reply{body: `[]`, header: meta},
			call:  func(c *Client) (any, *QueryMeta, error) { return unpack(c.Health().Service("web", nil, false, nil)) },
			sent:  "GET /v1/health/service/web?",
			want:  []*ServiceEntry{},
		},
		{
			name:  "health node",
			reply: reply{body: "[" + check + "]", header: meta},
			call:  func(c *Client) (any, *QueryMeta, error) { return unpack(c.Health().Node("n1", nil)) },
			sent:  "GET /v1/health/node/n1?",
			want:  []*HealthCheck{wantCheck},
		},
		{
			name:  "health checks",
			reply: reply{body: "[" + check + "]", header: meta},
			call: func(c *Client) (any, *QueryMeta, error) {
				return unpack(c.Health().Checks("web", &QueryOptions{RequireConsistent: true}))
			},
			sent: "GET /v1/health/checks/web?consistent=",
			want: []*HealthCheck{wantCheck},
		},
		{
			name:  "health state",
			reply: reply{body: "[" + check + "]", header: meta},
			call:  func(c *Client) (any, *QueryMeta, error) { return unpack(c.Health().State(HealthPassing, nil)) },
			sent:  "GET /v1/health/state/passing?",
			want:  []*HealthCheck{wantCheck},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, last := testServer(t, Config{}, tt.reply)
			got, m, err := tt.call(c)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			r := last()
			if sent := fmt.Sprintf("%s %s?%s", r.Method, r.Path, r.Query); sent != tt.sent {
				t.Errorf("%s sent %s, want %s", tt.name, sent, tt.sent)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s = %#v, want %#v", tt.name, got, tt.want)
			}
			if tt.reply.header != nil && (m == nil || m.LastIndex != 12 || !m.KnownLeader) {
				t.Errorf("%s meta = %+v, want LastIndex 12 and KnownLeader", tt.name, m)
			}
		})
	}
}

// unpack turns a typed (result, meta, error) into the table's shape.
func unpack[T any](v T, m *QueryMeta, err error) (any, *QueryMeta, error) { return v, m, err }

func TestCatalogErrors(t *testing.T) {
	c, _ := testServer(t, Config{}, reply{status: 500, body: "No path to datacenter"})
	calls := map[string]func() error{
		"Datacenters":    func() error { _, err := c.Catalog().Datacenters(); return err },
		"Nodes":          func() error { _, _, err := c.Catalog().Nodes(nil); return err },
		"Services":       func() error { _, _, err := c.Catalog().Services(nil); return err },
		"Service":        func() error { _, _, err := c.Catalog().Service("web", nil, nil); return err },
		"Node":           func() error { _, _, err := c.Catalog().Node("n1", nil); return err },
		"Health.Service": func() error { _, _, err := c.Health().Service("web", nil, false, nil); return err },
		"Health.State":   func() error { _, _, err := c.Health().State("any", nil); return err },
	}
	want := &StatusError{Code: 500, Body: "No path to datacenter"}
	for name, call := range calls {
		var se *StatusError
		if err := call(); !errors.As(err, &se) || *se != *want {
			t.Errorf("%s error = %v, want %v", name, err, want)
		}
	}
}

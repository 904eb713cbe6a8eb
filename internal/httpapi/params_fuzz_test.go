package httpapi_test

import (
	"strings"
	"testing"
)

// paramRoute is one endpoint FuzzParams sends to; "{}" in path stands for
// the fuzzed path segment.
type paramRoute struct {
	method string
	path   string
	health bool // an agent health endpoint, which answers 429 and 503 by design
}

// paramRoutes are the endpoints whose input is the path and query alone.
var paramRoutes = []paramRoute{
	{method: "GET", path: "/v1/catalog/nodes"},
	{method: "GET", path: "/v1/catalog/services"},
	{method: "GET", path: "/v1/catalog/service/{}"},
	{method: "GET", path: "/v1/catalog/node/{}"},
	{method: "GET", path: "/v1/catalog/node-services/{}"},
	{method: "GET", path: "/v1/catalog/datacenters"},
	{method: "GET", path: "/v1/health/node/{}"},
	{method: "GET", path: "/v1/health/service/{}"},
	{method: "GET", path: "/v1/health/checks/{}"},
	{method: "GET", path: "/v1/health/state/{}"},
	{method: "GET", path: "/v1/session/info/{}"},
	{method: "GET", path: "/v1/session/node/{}"},
	{method: "GET", path: "/v1/session/list"},
	{method: "GET", path: "/v1/stream/{}"},
	{method: "GET", path: "/v1/agent/services"},
	{method: "GET", path: "/v1/agent/service/{}"},
	{method: "GET", path: "/v1/agent/checks"},
	{method: "GET", path: "/v1/agent/health/service/id/{}", health: true},
	{method: "GET", path: "/v1/agent/health/service/name/{}", health: true},
	{method: "GET", path: "/v1/agent/self"},
	{method: "GET", path: "/v1/agent/metrics"},
	{method: "GET", path: "/v1/status/leader"},
	{method: "GET", path: "/v1/status/peers"},
	{method: "GET", path: "/{}"},
	{method: "PUT", path: "/v1/session/renew/{}"},
	{method: "PUT", path: "/v1/session/destroy/{}"},
	{method: "PUT", path: "/v1/agent/service/maintenance/{}"},
	{method: "PUT", path: "/v1/agent/check/pass/{}"},
	{method: "PUT", path: "/v1/agent/check/warn/{}"},
	{method: "PUT", path: "/v1/agent/check/fail/{}"},
	{method: "PUT", path: "/v1/agent/check/deregister/{}"},
	{method: "PUT", path: "/v1/agent/service/deregister/{}"},
	{method: "PUT", path: "/v1/stream/{}"},
}

// routeIndex returns the index in paramRoutes of method and path, for
// seeds.
func routeIndex(f *testing.F, method, path string) uint8 {
	for i, r := range paramRoutes {
		if r.method == method && r.path == path {
			return uint8(i)
		}
	}
	f.Fatalf("no route %s %s", method, path)
	return 0
}

// FuzzParams sends the endpoints that take no body a fuzzed path segment
// and raw query: consistency and blocking parameters, ?filter (bexpr),
// ?node-meta, ?tag, ?passing, ?format, ?after, ?limit, ?enable and the
// rest, over a catalog with a few services and checks to filter.
func FuzzParams(f *testing.F) {
	seeds := []struct {
		method, path, segment, query string
	}{
		{"GET", "/v1/catalog/nodes", "", "filter=Meta.env%20%3D%3D%20%22prod%22"},
		{"GET", "/v1/catalog/nodes", "", "node-meta=env:prod&node-meta=rack:r1"},
		{"GET", "/v1/catalog/nodes", "", "node-meta=nocolon"},
		{"GET", "/v1/catalog/nodes", "", "stale&index=1&wait=10ms"},
		{"GET", "/v1/catalog/services", "", "filter=web%20in%20Tags"},
		{"GET", "/v1/catalog/service/{}", "web", "tag=v1&tag=primary&filter=ServicePort%20%3E%2080"},
		{"GET", "/v1/catalog/service/{}", "web", "filter=((("},
		{"GET", "/v1/catalog/node/{}", "fuzz-node", "pretty"},
		{"GET", "/v1/catalog/node-services/{}", "fuzz-node", "filter=Service%20%3D%3D%20%22web%22"},
		{"GET", "/v1/health/node/{}", "fuzz-node", "filter=Status%20%21%3D%20passing"},
		{"GET", "/v1/health/service/{}", "web", "passing"},
		{"GET", "/v1/health/service/{}", "web", "passing=maybe"},
		{"GET", "/v1/health/service/{}", "web", "passing=false&tag=v1&node-meta=env:prod"},
		{"GET", "/v1/health/checks/{}", "web", "filter=Name%20matches%20%22%5Bweb%22"},
		{"GET", "/v1/health/state/{}", "any", "consistent"},
		{"GET", "/v1/health/state/{}", "critical", "filter=ServiceName%20%3D%3D%20%22web%22"},
		{"GET", "/v1/health/state/{}", "bogus", ""},
		{"GET", "/v1/session/info/{}", "5a0ec9e8-4e52-4b1c-9b83-cb6f4c2a2a6b", ""},
		{"GET", "/v1/session/info/{}", "not-a-uuid", "dc=dc1"},
		{"GET", "/v1/session/node/{}", "fuzz-node", "dc=elsewhere"},
		{"GET", "/v1/session/list", "", "stale&consistent"},
		{"GET", "/v1/stream/{}", "events", "after=0&limit=10"},
		{"GET", "/v1/stream/{}", "events", "after=-1"},
		{"GET", "/v1/stream/{}", "events", "limit=0"},
		{"GET", "/v1/stream/{}", "events", "limit=99999999999999999999"},
		{"GET", "/v1/agent/services", "", "filter=Service%20%3D%3D%20web"},
		{"GET", "/v1/agent/service/{}", "web", ""},
		{"GET", "/v1/agent/checks", "", "filter=Status%20%3D%3D%20critical"},
		{"GET", "/v1/agent/health/service/id/{}", "web", "format=text"},
		{"GET", "/v1/agent/health/service/name/{}", "web", ""},
		{"GET", "/v1/agent/health/service/name/{}", "nosuch", "format=text"},
		{"GET", "/v1/agent/self", "", ""},
		{"GET", "/v1/agent/metrics", "", "format=prometheus"},
		{"GET", "/v1/status/leader", "", ""},
		{"GET", "/v1/status/peers", "", ""},
		{"GET", "/{}", "", ""},
		{"GET", "/{}", "v1", ""},
		{"PUT", "/v1/session/renew/{}", "not-a-uuid", ""},
		{"PUT", "/v1/session/destroy/{}", "5a0ec9e8-4e52-4b1c-9b83-cb6f4c2a2a6b", ""},
		{"PUT", "/v1/agent/service/maintenance/{}", "web", "enable=true&reason=fuzz"},
		{"PUT", "/v1/agent/service/maintenance/{}", "web", "enable=false"},
		{"PUT", "/v1/agent/service/maintenance/{}", "web", "enable=perhaps"},
		{"PUT", "/v1/agent/service/maintenance/{}", "web", ""},
		{"PUT", "/v1/agent/check/pass/{}", "web-ttl", "note=ok"},
		{"PUT", "/v1/agent/check/warn/{}", "web-ttl", ""},
		{"PUT", "/v1/agent/check/fail/{}", "nosuch", ""},
		{"PUT", "/v1/agent/check/deregister/{}", "nosuch", ""},
		{"PUT", "/v1/agent/service/deregister/{}", "nosuch", ""},
		{"PUT", "/v1/stream/{}", "events", ""},
	}
	for _, s := range seeds {
		f.Add(routeIndex(f, s.method, s.path), s.segment, s.query)
	}
	a := startFuzzAgent(f)
	a.mustDo(f, "PUT", "/v1/catalog/register", []byte(`{"Node":"fuzz-node","Address":"10.0.0.1",
		"NodeMeta":{"env":"prod","rack":"r1"},
		"Service":{"ID":"web1","Service":"web","Tags":["v1","primary"],"Port":8080,"Meta":{"version":"1"}},
		"Checks":[{"CheckID":"web1-http","Name":"http","Status":"warning","ServiceID":"web1"}]}`))
	a.mustDo(f, "PUT", "/v1/agent/service/register", []byte(`{"ID":"web","Name":"web","Tags":["a"],"Port":80,
		"Check":{"CheckID":"web-ttl","TTL":"10m","Status":"passing"}}`))

	f.Fuzz(func(t *testing.T, route uint8, segment, query string) {
		a.begin(t)
		rt := paramRoutes[int(route)%len(paramRoutes)]
		target := withQuery(strings.Replace(rt.path, "{}", segment, 1), query)
		var body []byte
		if rt.method == "PUT" {
			body = []byte(segment) // a stream message
		}
		if rt.health {
			a.doAllowing(t, 503, rt.method, target, body) // 503: critical
			return
		}
		a.do(t, rt.method, target, body)
	})
}

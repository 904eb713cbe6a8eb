package httpapi_test

import (
	"encoding/json"
	"net/url"
	"testing"
)

// agentBodyPaths are the agent endpoints FuzzAgentRegister sends bodies to.
var agentBodyPaths = []string{
	"/v1/agent/service/register",
	"/v1/agent/check/register",
	"/v1/agent/check/update/fuzz-ttl",
}

// FuzzAgentRegister sends agent service and check registrations, and TTL
// check updates, with any body and query. These bodies take Consul's loose
// decoding (any case, snake_case). Besides the harness's checks: what a
// 200 registered is removed again (which also runs deregistration), so
// that check runners started by one input do not pile up.
func FuzzAgentRegister(f *testing.F) {
	const service, check, update = 0, 1, 2
	seeds := []struct {
		path        uint8
		body, query string
	}{
		{service, `{"Name":"web","Port":80}`, ""},
		{service, `{"ID":"web1","Name":"web","Tags":["a","b"],"Address":"10.0.0.1","Port":8080,"Meta":{"v":"1"},
			"Weights":{"Passing":10,"Warning":1},"EnableTagOverride":true}`, ""},
		{service, `{"name":"web","port":80,"enable_tag_override":true,"tagged_addresses":{}}`, ""},
		{service, `{"Name":"web","Check":{"TTL":"30s","Status":"passing"}}`, "replace-existing-checks"},
		{service, `{"Name":"web","Checks":[{"TTL":"30s"},{"TCP":"127.0.0.1:1","Interval":"10s","Timeout":"1s"}]}`, "replace-existing-checks=false"},
		{service, `{"Name":"web","Check":{"HTTP":"http://127.0.0.1:1/health","Interval":"10s","Method":"POST",
			"Header":{"X":["y"]},"Body":"{}","DeregisterCriticalServiceAfter":"90m"}}`, ""},
		{service, `{"Name":"web","Check":{"HTTP":"::not a url","Interval":"10s"}}`, ""},
		{service, `{"Name":"web","Check":{"Args":["/bin/true"],"Interval":"10s"}}`, ""},
		{service, `{"Name":"web","Check":{"GRPC":"127.0.0.1:1","Interval":"1ns"}}`, ""},
		{service, `{"Name":"web","Check":{"UDP":"127.0.0.1:1","Interval":"-1s"}}`, ""},
		{service, `{"Name":"web","Check":{"AliasService":"web"}}`, ""},
		{service, `{"Name":"web","Check":{"TTL":"30s","Status":"bogus"}}`, ""},
		{service, `{"Name":"web","Check":{}}`, ""},
		{service, `{"Name":"web","Checks":[null]}`, ""},
		{service, `{"Name":"web","Port":-1}`, ""},
		{service, `{"Name":"web","Port":1e100}`, ""},
		{service, `{"Name":""}`, ""},
		{service, `{"Name":"web","Kind":"connect-proxy","Proxy":{}}`, ""},
		{service, `[]`, ""},
		{service, ``, ""},
		{check, `{"Name":"mem","TTL":"15s"}`, ""},
		{check, `{"ID":"c1","Name":"c1","ServiceID":"no-such","TTL":"15s"}`, ""},
		{check, `{"name":"disk","script_args":["df"],"interval":"10s"}`, ""},
		{check, `{"Name":"alias","AliasNode":"nowhere"}`, ""},
		{check, `{"Name":"x","TCP":"localhost:0","Interval":"5s","SuccessBeforePassing":-3}`, ""},
		{check, `{"Name":"x"}`, ""},
		{update, `{"Status":"passing","Output":"ok"}`, ""},
		{update, `{"Status":"critical"}`, ""},
		{update, `{"Status":"bogus"}`, ""},
		{update, `{}`, ""},
	}
	for _, s := range seeds {
		f.Add(s.path, []byte(s.body), s.query)
	}
	a := startFuzzAgent(f)
	a.mustDo(f, "PUT", "/v1/agent/check/register", []byte(`{"ID":"fuzz-ttl","Name":"fuzz-ttl","TTL":"10m"}`))
	baseServices := a.agentIDs(f, "/v1/agent/services")
	baseChecks := a.agentIDs(f, "/v1/agent/checks")

	f.Fuzz(func(t *testing.T, path uint8, body []byte, query string) {
		a.begin(t)
		p := agentBodyPaths[int(path)%len(agentBodyPaths)]
		r, ok := a.do(t, "PUT", withQuery(p, query), body)
		if !ok || r.code != 200 || p == agentBodyPaths[update] {
			return
		}
		a.deregisterNew(t, "/v1/agent/services", "/v1/agent/service/deregister/", baseServices)
		a.deregisterNew(t, "/v1/agent/checks", "/v1/agent/check/deregister/", baseChecks)
	})
}

// agentIDs returns the keys of the map that path (/v1/agent/services or
// /v1/agent/checks) answers.
func (a *fuzzAgent) agentIDs(t testing.TB, path string) map[string]bool {
	t.Helper()
	r := a.mustDo(t, "GET", path, nil)
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	ids := make(map[string]bool, len(m))
	for id := range m {
		ids[id] = true
	}
	return ids
}

// deregisterNew deregisters, through deregister+ID, what list answers
// beyond base. An ID of "." or ".." has no URL that is not cleaned away;
// such entries join base and stay.
func (a *fuzzAgent) deregisterNew(t testing.TB, list, deregister string, base map[string]bool) {
	t.Helper()
	for id := range a.agentIDs(t, list) {
		switch {
		case base[id]:
		case id == "." || id == "..":
			base[id] = true
		default:
			a.mustDo(t, "PUT", deregister+url.PathEscape(id), nil)
		}
	}
}

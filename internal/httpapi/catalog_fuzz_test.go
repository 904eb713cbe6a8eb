package httpapi_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/concordhq/concord/api"
)

// FuzzCatalogRegister sends PUT /v1/catalog/register, or deregister, with
// any body and query. Besides the harness's checks: a node that a 200
// registered reads back under its name, and is then deregistered (which
// keeps the catalog small). The agent's own node is left alone.
func FuzzCatalogRegister(f *testing.F) {
	seeds := []struct {
		deregister  bool
		body, query string
	}{
		{false, `{"Node":"n1","Address":"10.0.0.1"}`, ""},
		{false, `{"ID":"5a0ec9e8-4e52-4b1c-9b83-cb6f4c2a2a6b","Node":"n1","Address":"10.0.0.1","Datacenter":"dc1",
			"TaggedAddresses":{"lan":"10.0.0.1","wan":"1.2.3.4"},"NodeMeta":{"rack":"r1"}}`, ""},
		{false, `{"Node":"n1","Address":"10.0.0.1","Service":{"ID":"redis1","Service":"redis","Tags":["primary"],
			"Address":"10.0.0.2","Port":6379,"Meta":{"v":"7"}}}`, ""},
		{false, `{"Node":"n1","Address":"10.0.0.1","Service":{"Service":"redis"},
			"Check":{"CheckID":"c1","Name":"redis alive","Status":"passing","ServiceID":"redis"}}`, ""},
		{false, `{"Node":"n1","Checks":[{"CheckID":"c1","Name":"a","Status":"critical"},{"CheckID":"c2","Name":"b","Status":"warning"}]}`, ""},
		{false, `{"Node":"n1","Check":{"CheckID":"c1","Name":"a","Status":"bogus"}}`, ""},
		{false, `{"Node":"n1","Check":{"CheckID":"c1","Name":"a","ServiceID":"no-such"}}`, ""},
		{false, `{"Node":"n1","Check":{"CheckID":"","Name":""}}`, ""},
		{false, `{"Node":"n1","Service":{"Service":""}}`, ""},
		{false, `{"Node":"n1","Service":{"Service":"s","Port":-1}}`, ""},
		{false, `{"Node":"n1","SkipNodeUpdate":true}`, ""},
		{false, `{"Node":"n1","Datacenter":"dc2"}`, ""},
		{false, `{"Node":""}`, ""},
		{false, `{"node":"lower","address":"::1"}`, ""},
		{false, `{"Node":"sp ace/sl%2Fash"}`, ""},
		{false, `{"Node":"n1"}`, "dc=dc2"},
		{false, `{"Node":1}`, ""},
		{false, `[]`, ""},
		{false, ``, ""},
		{true, `{"Node":"n1"}`, ""},
		{true, `{"Node":"n1","ServiceID":"redis1"}`, ""},
		{true, `{"Node":"n1","CheckID":"c1"}`, ""},
		{true, `{"Node":""}`, ""},
		{true, `{"Node":"n1","Datacenter":"dc2"}`, ""},
		{true, `{}`, "dc=dc1"},
	}
	for _, s := range seeds {
		f.Add(s.deregister, []byte(s.body), s.query)
	}
	a := startFuzzAgent(f)

	f.Fuzz(func(t *testing.T, deregister bool, body []byte, query string) {
		a.begin(t)
		path := "/v1/catalog/register"
		if deregister {
			path = "/v1/catalog/deregister"
		}
		r, ok := a.do(t, "PUT", withQuery(path, query), body)
		if !ok || r.code != 200 || deregister {
			return
		}
		var reg api.CatalogRegistration
		if err := json.Unmarshal(body, &reg); err != nil {
			t.Fatalf("PUT %s (body %q) = 200, but the body does not decode: %v", path, truncate(body), err)
		}
		if strings.EqualFold(reg.Node, a.node) {
			return
		}
		if reg.Node != "." && reg.Node != ".." {
			got := a.mustDo(t, "GET", "/v1/catalog/node/"+url.PathEscape(reg.Node), nil)
			var cn api.CatalogNode
			if err := json.Unmarshal(got.body, &cn); err != nil || cn.Node == nil || !strings.EqualFold(cn.Node.Node, reg.Node) {
				t.Fatalf("node %q registered from %q reads back as %q", reg.Node, truncate(body), truncate(got.body))
			}
		}
		dereg, _ := json.Marshal(api.CatalogDeregistration{Node: reg.Node})
		a.mustDo(t, "PUT", "/v1/catalog/deregister", dereg)
	})
}

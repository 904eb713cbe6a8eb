package httpapi_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/concordhq/concord/api"
)

// FuzzSessionCreate sends PUT /v1/session/create with any body and query.
// Besides the harness's checks: a 200 returns a UUID, the session it names
// reads back with its lock delay within Consul's bounds, and it can be
// destroyed (which keeps the sessions, and their TTL timers, few).
func FuzzSessionCreate(f *testing.F) {
	addBodySeeds(f, []bodySeed{
		{``, ""},
		{`{}`, ""},
		{`{"Name":"web-lock","TTL":"15s","LockDelay":"15s"}`, ""},
		{`{"Name":"x","Behavior":"delete","TTL":"30s"}`, ""},
		{`{"Behavior":"explode"}`, ""},
		{`{"TTL":"1s"}`, ""},
		{`{"TTL":"25h"}`, ""},
		{`{"TTL":"0s"}`, ""},
		{`{"TTL":"soon"}`, ""},
		{`{"TTL":15}`, ""},
		{`{"LockDelay":20}`, ""},
		{`{"LockDelay":999}`, ""},
		{`{"LockDelay":1000}`, ""},
		{`{"LockDelay":-5}`, ""},
		{`{"LockDelay":1e300}`, ""},
		{`{"LockDelay":"20ns"}`, ""},
		{`{"LockDelay":"-1h"}`, ""},
		{`{"LockDelay":"9999999999h"}`, ""},
		{`{"LockDelay":true}`, ""},
		{`{"lockdelay":"1s","name":"python","ttl":"10s"}`, ""},
		{`{"Node":"no-such-node"}`, ""},
		{`{"Checks":[]}`, ""},
		{`{"NodeChecks":["serfHealth","serfHealth"]}`, ""},
		{`{"Checks":["no-such-check"]}`, ""},
		{`{"ServiceChecks":[{"ID":"svc","Namespace":""}]}`, ""},
		{`{"ServiceChecks":"nope"}`, ""},
		{`{"Name":1}`, ""},
		{`[]`, ""},
		{`null`, ""},
		{`{"Name":"a"} trailing`, ""},
		{`{}`, "dc=dc2"},
		{`{}`, "dc=dc1&pretty"},
	})
	a := startFuzzAgent(f)

	f.Fuzz(func(t *testing.T, body []byte, query string) {
		a.begin(t)
		target := withQuery("/v1/session/create", query)
		r, ok := a.do(t, "PUT", target, body)
		if !ok || r.code != 200 {
			return
		}
		var out struct{ ID string }
		if err := json.Unmarshal(r.body, &out); err != nil || uuid.Validate(out.ID) != nil {
			t.Fatalf("PUT %q (body %q) = 200 %q, want {\"ID\": <uuid>}", target, truncate(body), truncate(r.body))
		}
		info := a.mustDo(t, "GET", "/v1/session/info/"+out.ID, nil)
		var sessions []api.SessionEntry
		if err := json.Unmarshal(info.body, &sessions); err != nil || len(sessions) != 1 || sessions[0].ID != out.ID {
			t.Fatalf("session %s created from %q reads back as %q", out.ID, truncate(body), truncate(info.body))
		}
		if d := sessions[0].LockDelay; d < 0 || d > api.MaxLockDelay {
			t.Fatalf("session created from %q has LockDelay %v, want within [0, %v]", truncate(body), d, api.MaxLockDelay)
		}
		if d, err := time.ParseDuration(sessions[0].TTL); sessions[0].TTL != "" && (err != nil || d < 0 || d > api.MaxSessionTTL) {
			t.Fatalf("session created from %q has TTL %q, want a duration within [0, %v]", truncate(body), sessions[0].TTL, api.MaxSessionTTL)
		}
		a.mustDo(t, "PUT", "/v1/session/destroy/"+out.ID, nil)
	})
}

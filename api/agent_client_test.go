package api

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// TestAgentWire checks what each agent method sends and how it reads the
// reply. sent is "METHOD path?query body", body quoted.
func TestAgentWire(t *testing.T) {
	reg := &AgentServiceRegistration{
		ID: "web-1", Name: "web", Tags: []string{"v1"}, Port: 80,
		Check: &AgentServiceCheck{TTL: "10s"},
	}
	const regJSON = `{"ID":"web-1","Name":"web","Tags":["v1"],"Port":80,"Check":{"TTL":"10s"},"Checks":null}`

	tests := []struct {
		name  string
		reply reply
		call  func(a *Agent) (any, error)
		sent  string
		want  any
	}{
		{
			name: "service register",
			call: func(a *Agent) (any, error) { return nil, a.ServiceRegister(reg) },
			sent: `PUT /v1/agent/service/register? "` + jsonQuote(regJSON) + `"`,
		},
		{
			name: "service register replacing checks",
			call: func(a *Agent) (any, error) { return nil, a.ServiceRegisterOpts(reg, true) },
			sent: `PUT /v1/agent/service/register?replace-existing-checks=true "` + jsonQuote(regJSON) + `"`,
		},
		{
			name: "service deregister",
			call: func(a *Agent) (any, error) { return nil, a.ServiceDeregister("web-1") },
			sent: `PUT /v1/agent/service/deregister/web-1? ""`,
		},
		{
			name:  "services",
			reply: reply{body: `{"web-1":{"ID":"web-1","Service":"web","Tags":["v1"],"Port":80,"Weights":{"Passing":1,"Warning":1}}}`},
			call:  func(a *Agent) (any, error) { return a.Services() },
			sent:  `GET /v1/agent/services? ""`,
			want: map[string]*AgentService{"web-1": {
				ID: "web-1", Service: "web", Tags: []string{"v1"}, Port: 80, Weights: AgentWeights{Passing: 1, Warning: 1},
			}},
		},
		{
			name:  "service",
			reply: reply{body: `{"ID":"web-1","Service":"web"}`},
			call:  func(a *Agent) (any, error) { return a.Service("web-1") },
			sent:  `GET /v1/agent/service/web-1? ""`,
			want:  &AgentService{ID: "web-1", Service: "web"},
		},
		{
			name:  "service missing",
			reply: reply{status: 404, body: "unknown service ID: nope"},
			call:  func(a *Agent) (any, error) { return a.Service("nope") },
			sent:  `GET /v1/agent/service/nope? ""`,
			want:  (*AgentService)(nil),
		},
		{
			name:  "checks",
			reply: reply{body: `{"c1":{"Node":"n1","CheckID":"c1","Status":"passing","ServiceTags":[]}}`},
			call:  func(a *Agent) (any, error) { return a.Checks() },
			sent:  `GET /v1/agent/checks? ""`,
			want:  map[string]*AgentCheck{"c1": {Node: "n1", CheckID: "c1", Status: "passing", ServiceTags: []string{}}},
		},
		{
			name: "check register",
			call: func(a *Agent) (any, error) {
				return nil, a.CheckRegister(&AgentCheckRegistration{ID: "c1", ServiceID: "web-1",
					AgentServiceCheck: AgentServiceCheck{Name: "ttl", TTL: "5s"}})
			},
			sent: `PUT /v1/agent/check/register? "{\"ID\":\"c1\",\"ServiceID\":\"web-1\",\"Name\":\"ttl\",\"TTL\":\"5s\"}"`,
		},
		{
			name: "check deregister",
			call: func(a *Agent) (any, error) { return nil, a.CheckDeregister("c1") },
			sent: `PUT /v1/agent/check/deregister/c1? ""`,
		},
		{
			name: "pass",
			call: func(a *Agent) (any, error) { return nil, a.PassTTL("c1", "all good") },
			sent: `PUT /v1/agent/check/pass/c1?note=all+good ""`,
		},
		{
			name: "warn without note",
			call: func(a *Agent) (any, error) { return nil, a.WarnTTL("c1", "") },
			sent: `PUT /v1/agent/check/warn/c1? ""`,
		},
		{
			name: "fail",
			call: func(a *Agent) (any, error) { return nil, a.FailTTL("c1", "down") },
			sent: `PUT /v1/agent/check/fail/c1?note=down ""`,
		},
		{
			name: "update",
			call: func(a *Agent) (any, error) { return nil, a.UpdateTTL("c1", "slow", HealthWarning) },
			sent: `PUT /v1/agent/check/update/c1? "{\"Status\":\"warning\",\"Output\":\"slow\"}"`,
		},
		{
			name: "update with a short status",
			call: func(a *Agent) (any, error) { return nil, a.UpdateTTL("c1", "", "fail") },
			sent: `PUT /v1/agent/check/update/c1? "{\"Status\":\"critical\",\"Output\":\"\"}"`,
		},
		{
			name: "enable node maintenance",
			call: func(a *Agent) (any, error) { return nil, a.EnableNodeMaintenance("kernel upgrade") },
			sent: `PUT /v1/agent/maintenance?enable=true&reason=kernel+upgrade ""`,
		},
		{
			name: "enable node maintenance without reason",
			call: func(a *Agent) (any, error) { return nil, a.EnableNodeMaintenance("") },
			sent: `PUT /v1/agent/maintenance?enable=true ""`,
		},
		{
			name: "disable node maintenance",
			call: func(a *Agent) (any, error) { return nil, a.DisableNodeMaintenance() },
			sent: `PUT /v1/agent/maintenance?enable=false ""`,
		},
		{
			name: "enable service maintenance",
			call: func(a *Agent) (any, error) { return nil, a.EnableServiceMaintenance("web-1", "deploy") },
			sent: `PUT /v1/agent/service/maintenance/web-1?enable=true&reason=deploy ""`,
		},
		{
			name: "disable service maintenance",
			call: func(a *Agent) (any, error) { return nil, a.DisableServiceMaintenance("web-1") },
			sent: `PUT /v1/agent/service/maintenance/web-1?enable=false ""`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, last := testServer(t, Config{}, tt.reply)
			got, err := tt.call(c.Agent())
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			r := last()
			if sent := fmt.Sprintf("%s %s?%s %q", r.Method, r.Path, r.Query, r.Body); sent != tt.sent {
				t.Errorf("%s sent %s, want %s", tt.name, sent, tt.sent)
			}
			if tt.want != nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s = %#v, want %#v", tt.name, got, tt.want)
			}
		})
	}
}

// jsonQuote escapes s as %q would inside its quotes.
func jsonQuote(s string) string {
	q := fmt.Sprintf("%q", s)
	return q[1 : len(q)-1]
}

func TestAgentWriteContentType(t *testing.T) {
	c, last := testServer(t, Config{}, reply{})
	if err := c.Agent().ServiceRegister(&AgentServiceRegistration{Name: "web"}); err != nil {
		t.Fatalf("ServiceRegister: %v", err)
	}
	if got := last().ContentType; got != "application/json" {
		t.Errorf("ServiceRegister Content-Type = %q, want application/json", got)
	}
}

func TestAgentUpdateTTLRejectsStatus(t *testing.T) {
	c, last := testServer(t, Config{}, reply{})
	if err := c.Agent().UpdateTTL("c1", "", "maintenance"); err == nil {
		t.Errorf("UpdateTTL(status %q) = nil, want an error", "maintenance")
	}
	if got := last(); got.Method != "" {
		t.Errorf("a request was sent for an invalid status: %+v", got)
	}
}

func TestAgentErrors(t *testing.T) {
	c, _ := testServer(t, Config{Token: "t"}, reply{status: 404, body: `Unknown service ID "x"`})
	a := c.Agent()
	calls := map[string]func() error{
		"ServiceDeregister":        func() error { return a.ServiceDeregister("x") },
		"EnableServiceMaintenance": func() error { return a.EnableServiceMaintenance("x", "") },
		"PassTTL":                  func() error { return a.PassTTL("x", "") },
		"Services":                 func() error { _, err := a.Services(); return err },
		"Checks":                   func() error { _, err := a.Checks(); return err },
	}
	want := &StatusError{Code: 404, Body: `Unknown service ID "x"`}
	for name, call := range calls {
		var se *StatusError
		if err := call(); !errors.As(err, &se) || *se != *want {
			t.Errorf("%s error = %v, want %v", name, err, want)
		}
	}
}

func TestAgentSendsToken(t *testing.T) {
	c, last := testServer(t, Config{Token: "secret"}, reply{})
	if err := c.Agent().DisableNodeMaintenance(); err != nil {
		t.Fatalf("DisableNodeMaintenance: %v", err)
	}
	if got := last().Token; got != "secret" {
		t.Errorf("X-Consul-Token = %q, want %q", got, "secret")
	}
}

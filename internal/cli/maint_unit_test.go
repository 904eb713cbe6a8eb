package cli

import (
	"net/http"
	"testing"

	"github.com/concordhq/concord/api"
)

// inMaint returns a setup that registers services web-1 and api and puts
// the node (when nodeReason is not empty) and the services given in
// maintenance.
func inMaint(nodeReason string, services map[string]string) func(*fakeAgent) {
	return func(f *fakeAgent) {
		f.services["web-1"] = &api.AgentServiceRegistration{ID: "web-1", Name: "web"}
		f.services["api"] = &api.AgentServiceRegistration{Name: "api"}
		f.checks["serfHealth"] = &api.AgentCheck{Node: "n1", CheckID: "serfHealth", Status: api.HealthPassing}
		if nodeReason != "" {
			f.checks[nodeMaintCheckID] = &api.AgentCheck{Node: "n1", CheckID: nodeMaintCheckID, Notes: nodeReason}
		}
		for id, reason := range services {
			f.checks[serviceMaintPrefix+id] = &api.AgentCheck{Node: "n1", CheckID: serviceMaintPrefix + id,
				ServiceID: id, Notes: reason}
		}
	}
}

// wantMaintChecks returns a check that exactly the maintenance checks
// named (by check ID) exist, with those notes.
func wantMaintChecks(want map[string]string) func(*testing.T, *fakeAgent) {
	return func(t *testing.T, f *fakeAgent) {
		t.Helper()
		f.mu.Lock()
		defer f.mu.Unlock()
		got := map[string]string{}
		for id, c := range f.checks {
			if id != "serfHealth" {
				got[id] = c.Notes
			}
		}
		if len(got) != len(want) {
			t.Errorf("after the command, maintenance checks = %q, want %q", got, want)
			return
		}
		for id, notes := range want {
			if got[id] != notes {
				t.Errorf("after the command, maintenance checks = %q, want %q", got, want)
				return
			}
		}
	}
}

func TestMaint(t *testing.T) {
	runAgentCases(t, []string{"maint"}, []agentCase{
		{name: "list nothing", setup: inMaint("", nil)},
		{
			name:    "list node",
			setup:   inMaint("kernel upgrade", nil),
			wantOut: "Node:\n  Name:   n1\n  Reason: kernel upgrade\n\n",
		},
		{
			name:  "list node and services",
			setup: inMaint("kernel upgrade", map[string]string{"web-1": "deploy", "api": "migration"}),
			wantOut: "Node:\n  Name:   n1\n  Reason: kernel upgrade\n\n" +
				"Service:\n  ID:     api\n  Reason: migration\n\n" +
				"Service:\n  ID:     web-1\n  Reason: deploy\n\n",
		},
		{
			name:    "enable node",
			args:    []string{"-enable", "-reason=kernel upgrade"},
			setup:   inMaint("", nil),
			wantOut: "Node maintenance is now enabled\n",
			check:   wantMaintChecks(map[string]string{nodeMaintCheckID: "kernel upgrade"}),
		},
		{
			name:    "enable node without a reason",
			args:    []string{"-enable"},
			setup:   inMaint("", nil),
			wantOut: "Node maintenance is now enabled\n",
			check:   wantMaintChecks(map[string]string{nodeMaintCheckID: ""}),
		},
		{
			name:    "disable node",
			args:    []string{"-disable"},
			setup:   inMaint("x", map[string]string{"web-1": "y"}),
			wantOut: "Node maintenance is now disabled\n",
			check:   wantMaintChecks(map[string]string{serviceMaintPrefix + "web-1": "y"}),
		},
		{
			name:    "enable service",
			args:    []string{"-enable", "-service=web-1", "-reason", "deploy"},
			setup:   inMaint("", nil),
			wantOut: "Service maintenance is now enabled for \"web-1\"\n",
			check:   wantMaintChecks(map[string]string{serviceMaintPrefix + "web-1": "deploy"}),
		},
		{
			name:    "disable service",
			args:    []string{"-disable", "-service=web-1"},
			setup:   inMaint("x", map[string]string{"web-1": "y"}),
			wantOut: "Service maintenance is now disabled for \"web-1\"\n",
			check:   wantMaintChecks(map[string]string{nodeMaintCheckID: "x"}),
		},
		{
			name:     "unknown service",
			args:     []string{"-enable", "-service=nope"},
			setup:    inMaint("", nil),
			wantCode: 1,
			wantErr:  "Error! Cannot enable maintenance for service \"nope\": Unexpected response code: 404 (Unknown service ID nope)\n",
		},
		{
			name:     "agent error",
			args:     []string{"-disable"},
			setup:    func(f *fakeAgent) { f.fail = http.StatusForbidden },
			wantCode: 1,
			wantErr:  "Error! Cannot disable node maintenance: Unexpected response code: 403 (fake failure)\n",
		},
		{
			name:     "list error",
			setup:    func(f *fakeAgent) { f.fail = http.StatusForbidden },
			wantCode: 1,
			wantErr:  "Error! Cannot query the agent: Unexpected response code: 403 (fake failure)\n",
		},
		{
			name: "enable and disable", args: []string{"-enable", "-disable"},
			wantCode: 1, wantErr: "Error! Only one of -enable or -disable may be given\n", check: wantNoRequest,
		},
		{
			name: "reason without enable", args: []string{"-disable", "-reason=x"},
			wantCode: 1, wantErr: "Error! -reason may only be given with -enable\n", check: wantNoRequest,
		},
		{
			name: "reason alone", args: []string{"-reason=x"},
			wantCode: 1, wantErr: "Error! -reason may only be given with -enable\n", check: wantNoRequest,
		},
		{
			name: "service alone", args: []string{"-service=web-1"},
			wantCode: 1, wantErr: "Error! -service requires -enable or -disable\n", check: wantNoRequest,
		},
		{
			name: "extra argument", args: []string{"-enable", "now"},
			wantCode: 1, wantErr: "Error! Too many arguments (expected 0, got 1)\n", check: wantNoRequest,
		},
	})
}

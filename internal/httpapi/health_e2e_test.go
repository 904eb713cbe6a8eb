package httpapi_test

// End-to-end tests of /v1/health: service entries with their checks and
// the ?passing filter, node and service checks, checks by state, and
// blocking reads that wake when a check changes.

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	consulapi "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/internal/testutil"
)

// serviceIDs returns the sorted instance IDs of entries.
func serviceIDs(entries []*consulapi.ServiceEntry) []string {
	var ids []string
	for _, e := range entries {
		ids = append(ids, e.Service.ID)
	}
	slices.Sort(ids)
	return ids
}

// waitHealthyIDs waits until /v1/health/service/<name>?passing lists
// exactly the instance IDs want.
func waitHealthyIDs(t *testing.T, c *consulapi.Client, name string, want ...string) []*consulapi.ServiceEntry {
	t.Helper()
	slices.Sort(want)
	var entries []*consulapi.ServiceEntry
	testutil.Run(t, syncWait, func(r *testutil.R) {
		var err error
		entries, _, err = c.Health().Service(name, "", true, nil)
		if err != nil {
			r.Fatalf("Health.Service(%s, passing): %v", name, err)
		}
		var ids []string
		for _, e := range entries {
			ids = append(ids, e.Service.ID)
		}
		slices.Sort(ids)
		if !slices.Equal(ids, want) {
			r.Fatalf("Health.Service(%s, passing) IDs = %q, want %q", name, ids, want)
		}
	})
	return entries
}

// TestHealthServicePassing: /v1/health/service lists every instance with
// its node's checks and its own; ?passing keeps only instances whose every
// check passes: warning is left out too, as Consul does.
func TestHealthServicePassing(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	catalogInstance(t, c, "h-pass", "mixed", "m-pass", []string{"blue"}, consulapi.HealthPassing)
	catalogInstance(t, c, "h-warn", "mixed", "m-warn", []string{"blue"}, consulapi.HealthWarning)
	catalogInstance(t, c, "h-crit", "mixed", "m-crit", []string{"green"}, consulapi.HealthCritical)
	catalogInstance(t, c, "h-nocheck", "mixed", "m-nocheck", []string{"green"}, "")
	// A passing instance on a node whose own check is critical.
	catalogInstance(t, c, "h-badnode", "mixed", "m-badnode", nil, consulapi.HealthPassing)
	catalogRegister(t, c, &consulapi.CatalogRegistration{Node: "h-badnode", Address: "10.0.0.1",
		Check: &consulapi.AgentCheck{CheckID: "node-down", Name: "node down", Status: consulapi.HealthCritical}})
	// Another service on a node of this one: its check must not show.
	catalogInstance(t, c, "h-pass", "other", "o-1", nil, consulapi.HealthCritical)

	tests := []struct {
		tag     string
		passing bool
		want    []string
	}{
		{"", false, []string{"m-badnode", "m-crit", "m-nocheck", "m-pass", "m-warn"}},
		{"", true, []string{"m-nocheck", "m-pass"}},
		{"blue", false, []string{"m-pass", "m-warn"}},
		{"blue", true, []string{"m-pass"}},
		{"green", true, []string{"m-nocheck"}},
		{"purple", false, nil},
	}
	for _, tc := range tests {
		entries, meta, err := c.Health().Service("mixed", tc.tag, tc.passing, nil)
		if err != nil {
			t.Fatalf("Health.Service(mixed, %q, %v): %v", tc.tag, tc.passing, err)
		}
		if got := serviceIDs(entries); !slices.Equal(got, tc.want) {
			t.Errorf("Health.Service(mixed, tag %q, passing %v) = %q, want %q", tc.tag, tc.passing, got, tc.want)
		}
		if meta.LastIndex == 0 {
			t.Errorf("Health.Service(mixed) LastIndex = 0, want >= 1")
		}
	}

	entries, _, err := c.Health().Service("mixed", "", false, nil)
	if err != nil {
		t.Fatalf("Health.Service(mixed): %v", err)
	}
	for _, e := range entries {
		if e.Node == nil || e.Node.Node == "" || e.Node.Address != "10.0.0.1" {
			t.Errorf("Health.Service(mixed) %s: Node = %+v, want its node", e.Service.ID, e.Node)
		}
		for _, hc := range e.Checks {
			if hc.ServiceID != "" && hc.ServiceID != e.Service.ID {
				t.Errorf("Health.Service(mixed) %s lists check %s of service %s", e.Service.ID, hc.CheckID, hc.ServiceID)
			}
		}
		if e.Service.ID == "m-badnode" {
			if got := checkIDs(e.Checks); !slices.Contains(got, "node-down") || !slices.Contains(got, "check:m-badnode") {
				t.Errorf("Health.Service(mixed) m-badnode checks = %q, want the node's check and its own", got)
			}
			if got := e.Checks.AggregatedStatus(); got != consulapi.HealthCritical {
				t.Errorf("Health.Service(mixed) m-badnode AggregatedStatus = %q, want critical", got)
			}
		}
	}
}

// TestHealthServiceWireShape: /v1/health/service never answers null for
// lists: no instances is [], and Consul normalises each entry's Checks and
// a missing Service.Tags to [].
func TestHealthServiceWireShape(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	r := doRaw(t, ta.HTTPAddr(), "GET", "/v1/health/service/nothing-here", nil)
	wantStatus(t, "GET /v1/health/service/nothing-here", r, 200)
	if strings.TrimSpace(string(r.Body)) != "[]" {
		t.Errorf("GET /v1/health/service/<unknown> = %q, want []", r.Body)
	}
	if idx, err := strconv.ParseUint(r.Header.Get("X-Consul-Index"), 10, 64); err != nil || idx == 0 {
		t.Errorf("GET /v1/health/service/<unknown> X-Consul-Index = %q, want >= 1", r.Header.Get("X-Consul-Index"))
	}

	catalogInstance(t, c, "shape-n1", "untagged", "u-1", nil, "")
	r = doRaw(t, ta.HTTPAddr(), "GET", "/v1/health/service/untagged", nil)
	wantStatus(t, "GET /v1/health/service/untagged", r, 200)
	var entries []map[string]json.RawMessage
	decodeJSON(t, "health service", r.Body, &entries)
	if len(entries) != 1 {
		t.Fatalf("GET /v1/health/service/untagged = %s, want one entry", truncate(r.Body))
	}
	if got := compactJSON(entries[0]["Checks"]); got != "[]" {
		t.Errorf("GET /v1/health/service/untagged: Checks = %s, want []", got)
	}
	var svc map[string]json.RawMessage
	decodeJSON(t, "health service entry", entries[0]["Service"], &svc)
	if got := compactJSON(svc["Tags"]); got != "[]" {
		t.Errorf("GET /v1/health/service/untagged: Service.Tags = %s, want [] (Consul normalises null tags)", got)
	}
}

// compactJSON drops the whitespace of raw (dev agents answer indented).
func compactJSON(raw json.RawMessage) string {
	return strings.Join(strings.Fields(string(raw)), "")
}

// TestHealthChecksNodeAndState: /v1/health/node, /v1/health/checks and
// /v1/health/state read the same checks from three angles.
func TestHealthChecksNodeAndState(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	catalogInstance(t, c, "st-n1", "st", "st-1", nil, consulapi.HealthPassing)
	catalogInstance(t, c, "st-n2", "st", "st-2", nil, consulapi.HealthWarning)
	catalogRegister(t, c, &consulapi.CatalogRegistration{Node: "st-n2", Address: "10.0.0.1",
		Check: &consulapi.AgentCheck{CheckID: "st-n2-disk", Name: "disk", Status: consulapi.HealthCritical, Output: "full"}})

	list, _, err := c.Health().Node("st-n2", nil)
	if err != nil {
		t.Fatalf("Health.Node(st-n2): %v", err)
	}
	if got := checkIDs(list); !slices.Equal(sorted(got), []string{"check:st-2", "st-n2-disk"}) {
		t.Errorf("Health.Node(st-n2) = %q, want [check:st-2 st-n2-disk]", got)
	}
	if hc := findCheck(list, "st-n2-disk"); hc == nil || hc.Node != "st-n2" || hc.Output != "full" || hc.ServiceID != "" {
		t.Errorf("Health.Node(st-n2) st-n2-disk = %+v, want a node-level check with output full", hc)
	}
	if list, _, err := c.Health().Node("no-such-node", nil); err != nil || len(list) != 0 {
		t.Errorf("Health.Node(no-such-node) = %q, %v; want none", checkIDs(list), err)
	}

	list, _, err = c.Health().Checks("st", nil)
	if err != nil {
		t.Fatalf("Health.Checks(st): %v", err)
	}
	if got := checkIDs(list); !slices.Equal(sorted(got), []string{"check:st-1", "check:st-2"}) {
		t.Errorf("Health.Checks(st) = %q, want the service checks only [check:st-1 check:st-2]", got)
	}

	states := []struct {
		state string
		want  []string
	}{
		{"passing", []string{"check:st-1", "serfHealth"}},
		{"warning", []string{"check:st-2"}},
		{"critical", []string{"st-n2-disk"}},
		{"any", []string{"check:st-1", "check:st-2", "serfHealth", "st-n2-disk"}},
	}
	for _, st := range states {
		list, meta, err := c.Health().State(st.state, nil)
		if err != nil {
			t.Fatalf("Health.State(%s): %v", st.state, err)
		}
		if got := sorted(checkIDs(list)); !slices.Equal(got, st.want) {
			t.Errorf("Health.State(%s) = %q, want %q", st.state, got, st.want)
		}
		if meta.LastIndex == 0 {
			t.Errorf("Health.State(%s) LastIndex = 0", st.state)
		}
	}
	if _, _, err := c.Health().State("bogus", nil); err == nil {
		t.Errorf("Health.State(bogus): err = nil, want an error")
	}
	r := doRaw(t, ta.HTTPAddr(), "GET", "/v1/health/state/bogus", nil)
	wantStatus(t, "GET /v1/health/state/bogus", r, 400)
}

// sorted returns a sorted copy of s.
func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// TestHealthServiceBlocking: a blocking /v1/health/service read wakes when
// a check of the service changes status, and the index grows.
func TestHealthServiceBlocking(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	catalogInstance(t, c, "bh-n1", "bh", "bh-1", nil, consulapi.HealthPassing)
	entries, meta, err := c.Health().Service("bh", "", true, nil)
	if err != nil || len(entries) != 1 {
		t.Fatalf("Health.Service(bh, passing) = %d entries, %v; want 1", len(entries), err)
	}

	type result struct {
		entries []*consulapi.ServiceEntry
		meta    *consulapi.QueryMeta
		err     error
	}
	hc, wrote := signalOnWrite()
	blocking := newConsulClient(t, ta.HTTPAddr(), hc)
	done := make(chan result, 1)
	go func() {
		e, m, err := blocking.Health().Service("bh", "", true, &consulapi.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: 30 * time.Second})
		done <- result{e, m, err}
	}()
	waitSignal(t, wrote, "the blocking read to be sent")
	catalogInstance(t, c, "bh-n1", "bh", "bh-1", nil, consulapi.HealthCritical)
	select {
	case res := <-done:
		if res.err != nil {
			t.Fatalf("blocking Health.Service(bh): %v", res.err)
		}
		if len(res.entries) != 0 {
			t.Errorf("blocking Health.Service(bh, passing) after the check failed = %q, want none", serviceIDs(res.entries))
		}
		if res.meta.LastIndex <= meta.LastIndex {
			t.Errorf("blocking Health.Service(bh) index = %d, want > %d", res.meta.LastIndex, meta.LastIndex)
		}
		meta = res.meta
	case <-time.After(20 * time.Second):
		t.Fatalf("blocking Health.Service(bh) did not wake when its check turned critical")
	}

	// The same through the agent: a TTL update wakes a blocked reader.
	mustRegisterService(t, c, &consulapi.AgentServiceRegistration{ID: "bh-agent", Name: "bh",
		Check: &consulapi.AgentServiceCheck{TTL: "10m", Status: consulapi.HealthPassing}})
	waitHealthyIDs(t, c, "bh", "bh-agent")
	_, meta, err = c.Health().Service("bh", "", true, nil)
	if err != nil {
		t.Fatalf("Health.Service(bh): %v", err)
	}
	go func() {
		e, m, err := blocking.Health().Service("bh", "", true, &consulapi.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: 30 * time.Second})
		done <- result{e, m, err}
	}()
	waitSignal(t, wrote, "the second blocking read to be sent")
	if err := c.Agent().FailTTL("service:bh-agent", "down"); err != nil {
		t.Fatalf("FailTTL(service:bh-agent): %v", err)
	}
	select {
	case res := <-done:
		if res.err != nil {
			t.Fatalf("blocking Health.Service(bh) after FailTTL: %v", res.err)
		}
		if len(res.entries) != 0 || res.meta.LastIndex <= meta.LastIndex {
			t.Errorf("blocking Health.Service(bh) after FailTTL = %q at index %d, want none at an index > %d",
				serviceIDs(res.entries), res.meta.LastIndex, meta.LastIndex)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("blocking Health.Service(bh) did not wake when the agent's TTL check failed")
	}
}

package httpapi_test

// End-to-end tests of /v1/session through the Consul Go client: the
// session lifecycle, its wire shape and defaults, TTLs, and invalidation by
// the catalog (a bound check going critical or away, the node going away).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	consulapi "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
)

// startSessionAgent starts a dev agent that accepts session TTLs down to
// 1s, so TTL tests run in seconds, and returns it with a Consul client.
func startSessionAgent(t *testing.T) (*testutil.TestAgent, *consulapi.Client) {
	t.Helper()
	ta := testutil.StartAgent(t, "", devConfig(func(c *config.Config) { c.SessionTTLMin = time.Second }))
	return ta, newConsulClient(t, ta.HTTPAddr(), nil)
}

// mustCreateSession creates a session through the Consul client.
func mustCreateSession(t *testing.T, c *consulapi.Client, se *consulapi.SessionEntry) string {
	t.Helper()
	id, _, err := c.Session().Create(se, nil)
	if err != nil {
		t.Fatalf("Session.Create(%+v): %v", se, err)
	}
	return id
}

// createSessionRaw creates a session from a raw JSON body, for what the
// Consul client cannot send (LockDelay 0, numbers, lower-case keys).
func createSessionRaw(t *testing.T, addr, body string) string {
	t.Helper()
	r := doRaw(t, addr, "PUT", "/v1/session/create", strings.NewReader(body))
	wantStatus(t, "PUT /v1/session/create "+body, r, 200)
	var out struct{ ID string }
	decodeJSON(t, "session create reply", r.Body, &out)
	if out.ID == "" {
		t.Fatalf("PUT /v1/session/create %s = %s, want an ID", body, r.Body)
	}
	return out.ID
}

// mustSessionInfo reads a session; nil when it does not exist.
func mustSessionInfo(t *testing.T, c *consulapi.Client, id string) *consulapi.SessionEntry {
	t.Helper()
	se, _, err := c.Session().Info(id, nil)
	if err != nil {
		t.Fatalf("Session.Info(%s): %v", id, err)
	}
	return se
}

// mustAcquire acquires key for session and fails unless it got the lock.
func mustAcquire(t *testing.T, c *consulapi.Client, key, session, value string) {
	t.Helper()
	ok, _, err := c.KV().Acquire(&consulapi.KVPair{Key: key, Value: []byte(value), Session: session}, nil)
	if err != nil || !ok {
		t.Fatalf("Acquire(%q, %s) = %v, %v; want true", key, session, ok, err)
	}
}

// registerNodeCheck registers node with one node-level check in the given
// status (re-registering it changes the status).
func registerNodeCheck(t *testing.T, c *consulapi.Client, node, checkID, status string) {
	t.Helper()
	_, err := c.Catalog().Register(&consulapi.CatalogRegistration{
		Node: node, Address: "10.0.0.2",
		Check: &consulapi.AgentCheck{Node: node, CheckID: checkID, Name: checkID, Status: status},
	}, nil)
	if err != nil {
		t.Fatalf("Catalog.Register(%s, check %s %s): %v", node, checkID, status, err)
	}
}

// sessionInfoRaw returns the raw JSON of GET /v1/session/info/<id>: the
// one object's fields and their order.
func sessionInfoRaw(t *testing.T, addr, id string) (map[string]json.RawMessage, []string) {
	t.Helper()
	r := doRaw(t, addr, "GET", "/v1/session/info/"+id, nil)
	wantStatus(t, "GET /v1/session/info/"+id, r, 200)
	var list []map[string]json.RawMessage
	decodeJSON(t, "session info", r.Body, &list)
	if len(list) != 1 {
		t.Fatalf("GET /v1/session/info/%s = %s, want one session", id, truncate(r.Body))
	}
	return list[0], objectKeys(t, bytes.TrimPrefix(bytes.TrimSpace(r.Body), []byte("[")))
}

// objectKeys lists the keys of the JSON object data starts with, in order.
func objectKeys(t *testing.T, data []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("objectKeys(%q): want an object, got %v %v", truncate(data), tok, err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("objectKeys(%q): %v", truncate(data), err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("objectKeys(%q): %v", truncate(data), err)
		}
	}
	return keys
}

// blockingSessionCall runs call in a goroutine on a client that signals once
// its request is on the wire, waits for that signal, and returns a channel
// with call's result. Writes made after it returns wake the call.
func blockingSessionCall[T any](t *testing.T, addr string, call func(c *consulapi.Client) T) <-chan T {
	t.Helper()
	hc, wrote := signalOnWrite()
	c := newConsulClient(t, addr, hc)
	out := make(chan T, 1)
	go func() { out <- call(c) }()
	waitSignal(t, wrote, "the blocking call to be sent")
	return out
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestSessionCreateEveryField(t *testing.T) {
	t.Parallel()
	ta, c := startSessionAgent(t)
	_, err := c.Catalog().Register(&consulapi.CatalogRegistration{
		Node: "n2", Address: "10.0.0.2",
		Service: &consulapi.AgentService{ID: "web", Service: "web", Port: 80},
		Checks: consulapi.HealthChecks{
			{Node: "n2", CheckID: "c1", Name: "c1", Status: consulapi.HealthPassing},
			{Node: "n2", CheckID: "web-check", Name: "web-check", Status: consulapi.HealthPassing, ServiceID: "web"},
		},
	}, nil)
	if err != nil {
		t.Fatalf("Catalog.Register(n2): %v", err)
	}
	want := &consulapi.SessionEntry{
		Name:          "every-field",
		Node:          "n2",
		LockDelay:     20 * time.Second,
		Behavior:      consulapi.SessionBehaviorDelete,
		TTL:           "30s",
		NodeChecks:    []string{"c1"},
		ServiceChecks: []consulapi.ServiceCheck{{ID: "web-check"}},
	}
	id := mustCreateSession(t, c, want)
	if !uuidPattern.MatchString(id) {
		t.Errorf("Session.Create ID = %q, want a UUID", id)
	}

	got := mustSessionInfo(t, c, id)
	if got == nil {
		t.Fatalf("Session.Info(%s) = nil, want the session", id)
	}
	if got.CreateIndex == 0 {
		t.Errorf("Session.Info CreateIndex = 0, want it set")
	}
	want.ID, want.CreateIndex = id, got.CreateIndex
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Session.Info(%s) =\n%+v\nwant\n%+v", id, got, want)
	}

	fields, keys := sessionInfoRaw(t, ta.HTTPAddr(), id)
	wantKeys := []string{"ID", "Name", "Node", "LockDelay", "Behavior", "TTL", "NodeChecks", "ServiceChecks", "CreateIndex", "ModifyIndex"}
	if !reflect.DeepEqual(keys, wantKeys) {
		t.Errorf("session info keys = %v, want %v (Consul's order)", keys, wantKeys)
	}
	rawWant := map[string]string{
		"LockDelay":     "20000000000",
		"TTL":           `"30s"`,
		"Behavior":      `"delete"`,
		"NodeChecks":    `["c1"]`,
		"ServiceChecks": `[{"ID":"web-check","Namespace":""}]`,
		"ID":            `"` + id + `"`,
	}
	for k, v := range rawWant {
		var compact bytes.Buffer
		json.Compact(&compact, fields[k])
		if compact.String() != v {
			t.Errorf("session info %s = %s, want %s", k, fields[k], v)
		}
	}
	var modify uint64
	if err := json.Unmarshal(fields["ModifyIndex"], &modify); err != nil || modify == 0 {
		t.Errorf("session info ModifyIndex = %s, want a number > 0", fields["ModifyIndex"])
	}
}

func TestSessionDefaults(t *testing.T) {
	t.Parallel()
	ta, c := startSessionAgent(t)
	for _, tc := range []struct {
		name string
		se   *consulapi.SessionEntry
	}{
		{"nil entry", nil},
		{"empty entry", &consulapi.SessionEntry{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := mustCreateSession(t, c, tc.se)
			got := mustSessionInfo(t, c, id)
			if got == nil {
				t.Fatalf("Session.Info(%s) = nil", id)
			}
			if got.Behavior != consulapi.SessionBehaviorRelease || got.LockDelay != 15*time.Second ||
				!reflect.DeepEqual(got.NodeChecks, []string{"serfHealth"}) || got.TTL != "" ||
				got.Node != ta.Config.NodeName || len(got.ServiceChecks) != 0 {
				t.Errorf("Session.Info = %+v, want Behavior release, LockDelay 15s, NodeChecks [serfHealth], no TTL, Node %s",
					got, ta.Config.NodeName)
			}
			fields, _ := sessionInfoRaw(t, ta.HTTPAddr(), id)
			if string(fields["LockDelay"]) != "15000000000" || string(fields["TTL"]) != `""` {
				t.Errorf("session info LockDelay = %s, TTL = %s; want 15000000000 and \"\"", fields["LockDelay"], fields["TTL"])
			}
		})
	}
}

func TestSessionCreateNoChecks(t *testing.T) {
	t.Parallel()
	ta, c := startSessionAgent(t)
	id, _, err := c.Session().CreateNoChecks(&consulapi.SessionEntry{Name: "unbound"}, nil)
	if err != nil {
		t.Fatalf("Session.CreateNoChecks: %v", err)
	}
	got := mustSessionInfo(t, c, id)
	if got == nil || len(got.NodeChecks) != 0 || len(got.ServiceChecks) != 0 || got.Name != "unbound" {
		t.Fatalf("Session.Info(CreateNoChecks) = %+v, want Name unbound and no checks", got)
	}

	// The key's presence, in any case, replaces the default binding.
	for _, body := range []string{`{"Checks":[]}`, `{"checks":[]}`, `{"NodeChecks":[]}`, `{"nodechecks":[]}`} {
		id := createSessionRaw(t, ta.HTTPAddr(), body)
		if got := mustSessionInfo(t, c, id); got == nil || len(got.NodeChecks) != 0 {
			t.Errorf("create %s: NodeChecks = %v, want none", body, got)
		}
	}
}

func TestSessionCreateLowerCaseBody(t *testing.T) {
	t.Parallel()
	ta, c := startSessionAgent(t)
	// As python-consul sends it.
	id := createSessionRaw(t, ta.HTTPAddr(), `{"name":"py","lockdelay":"5s","behavior":"delete","ttl":"30s","checks":["serfHealth"]}`)
	got := mustSessionInfo(t, c, id)
	if got == nil || got.Name != "py" || got.LockDelay != 5*time.Second || got.Behavior != "delete" ||
		got.TTL != "30s" || !reflect.DeepEqual(got.NodeChecks, []string{"serfHealth"}) {
		t.Fatalf("Session.Info = %+v, want name py, 5s, delete, 30s, [serfHealth]", got)
	}
}

func TestSessionListAndNode(t *testing.T) {
	t.Parallel()
	ta, c := startSessionAgent(t)
	registerNodeCheck(t, c, "n2", "c1", consulapi.HealthPassing)
	local1 := mustCreateSession(t, c, &consulapi.SessionEntry{Name: "a"})
	local2 := mustCreateSession(t, c, &consulapi.SessionEntry{Name: "b"})
	remote := mustCreateSession(t, c, &consulapi.SessionEntry{Name: "c", Node: "n2", NodeChecks: []string{"c1"}})

	ids := func(list []*consulapi.SessionEntry) map[string]bool {
		out := map[string]bool{}
		for _, s := range list {
			out[s.ID] = true
		}
		return out
	}
	list, meta, err := c.Session().List(nil)
	if err != nil {
		t.Fatalf("Session.List: %v", err)
	}
	if want := map[string]bool{local1: true, local2: true, remote: true}; !reflect.DeepEqual(ids(list), want) {
		t.Errorf("Session.List = %v, want %v", ids(list), want)
	}
	if meta.LastIndex == 0 {
		t.Errorf("Session.List LastIndex = 0")
	}
	tests := []struct {
		node string
		want map[string]bool
	}{
		{ta.Config.NodeName, map[string]bool{local1: true, local2: true}},
		{"n2", map[string]bool{remote: true}},
		{"no-such-node", map[string]bool{}},
	}
	for _, tc := range tests {
		got, _, err := c.Session().Node(tc.node, nil)
		if err != nil {
			t.Fatalf("Session.Node(%s): %v", tc.node, err)
		}
		if !reflect.DeepEqual(ids(got), tc.want) {
			t.Errorf("Session.Node(%s) = %v, want %v", tc.node, ids(got), tc.want)
		}
	}
	r := doRaw(t, ta.HTTPAddr(), "GET", "/v1/session/node/no-such-node", nil)
	if r.Code != 200 || strings.TrimSpace(string(r.Body)) != "[]" {
		t.Errorf("GET /v1/session/node/no-such-node = %d %q, want 200 []", r.Code, r.Body)
	}
}

func TestSessionDestroy(t *testing.T) {
	t.Parallel()
	ta, c := startSessionAgent(t)
	id := mustCreateSession(t, c, nil)
	if _, err := c.Session().Destroy(id, nil); err != nil {
		t.Fatalf("Session.Destroy(%s): %v", id, err)
	}
	if got := mustSessionInfo(t, c, id); got != nil {
		t.Errorf("Session.Info after Destroy = %+v, want nil", got)
	}
	r := doRaw(t, ta.HTTPAddr(), "GET", "/v1/session/info/"+id, nil)
	if r.Code != 200 || strings.TrimSpace(string(r.Body)) != "[]" {
		t.Errorf("GET /v1/session/info of a destroyed session = %d %q, want 200 []", r.Code, r.Body)
	}
	// Destroying again, or an unknown session, is fine.
	if _, err := c.Session().Destroy(id, nil); err != nil {
		t.Errorf("Session.Destroy(%s) twice: %v, want no error", id, err)
	}
	r = doRaw(t, ta.HTTPAddr(), "PUT", "/v1/session/destroy/"+id, nil)
	if r.Code != 200 || strings.TrimSpace(string(r.Body)) != "true" {
		t.Errorf("PUT /v1/session/destroy (gone) = %d %q, want 200 true", r.Code, r.Body)
	}
	if _, err := c.Session().Destroy("not-a-uuid", nil); err == nil {
		t.Errorf("Session.Destroy(not-a-uuid) = nil error, want one")
	}
}

func TestSessionRenew(t *testing.T) {
	t.Parallel()
	ta, c := startSessionAgent(t)
	id := mustCreateSession(t, c, &consulapi.SessionEntry{Name: "renewed", TTL: "10s"})
	got, _, err := c.Session().Renew(id, nil)
	if err != nil {
		t.Fatalf("Session.Renew(%s): %v", id, err)
	}
	if got == nil || got.ID != id || got.Name != "renewed" || got.TTL != "10s" {
		t.Fatalf("Session.Renew(%s) = %+v, want the session with TTL 10s", id, got)
	}

	if _, err := c.Session().Destroy(id, nil); err != nil {
		t.Fatalf("Session.Destroy: %v", err)
	}
	for _, sid := range []string{id, "adf4238a-882b-9ddc-4a9d-5b6758e4159e"} {
		got, _, err := c.Session().Renew(sid, nil)
		if err != nil || got != nil {
			t.Errorf("Session.Renew(%s gone) = %+v, %v; want nil, nil", sid, got, err)
		}
		r := doRaw(t, ta.HTTPAddr(), "PUT", "/v1/session/renew/"+sid, nil)
		wantStatus(t, "PUT /v1/session/renew/<gone>", r, 404)
	}
}

func TestSessionTTLExpires(t *testing.T) {
	t.Parallel()
	_, c := startSessionAgent(t)
	const ttl = time.Second
	start := time.Now()
	id := mustCreateSession(t, c, &consulapi.SessionEntry{TTL: ttl.String(), LockDelay: time.Millisecond})
	mustAcquire(t, c, "ttl/lock", id, "held")

	var lastSeen time.Duration
	testutil.Run(t, 5*time.Second, func(r *testutil.R) {
		se, _, err := c.Session().Info(id, nil)
		if err != nil {
			r.Fatalf("Session.Info: %v", err)
		}
		if se != nil {
			lastSeen = time.Since(start)
			r.Fatalf("session %s still there after %v", id, lastSeen)
		}
	})
	gone := time.Since(start)
	t.Logf("TTL %v session: last seen at %v, gone by %v (invalidation due at %v)",
		ttl, lastSeen.Round(time.Millisecond), gone.Round(time.Millisecond), invalidationDue(ttl))
	// The leader's timer runs 2×TTL from the create, which started after
	// start: the session can never go sooner.
	if gone < invalidationDue(ttl) {
		t.Errorf("TTL %v session gone after %v, want not before %v", ttl, gone, invalidationDue(ttl))
	}
	if lastSeen < 900*time.Millisecond {
		t.Logf("note: no poll saw the session between 0.9s and its expiry (slow machine?)")
	}
	if p := mustGet(t, c, "ttl/lock"); p == nil || p.Session != "" || p.LockIndex != 1 {
		t.Errorf("ttl/lock after expiry = %+v, want released (no Session, LockIndex 1)", p)
	}
}

// invalidationDue is how long after its last renew (or its create) the
// leader invalidates a TTL session.
func invalidationDue(ttl time.Duration) time.Duration { return 2 * ttl }

func TestSessionRenewPeriodicKeepsAlive(t *testing.T) {
	t.Parallel()
	_, c := startSessionAgent(t)
	id := mustCreateSession(t, c, &consulapi.SessionEntry{TTL: "1s"})
	done := make(chan struct{})
	renewErr := make(chan error, 1)
	go func() { renewErr <- c.Session().RenewPeriodic("1s", id, nil, done) }()

	// Four TTLs, twice the invalidation deadline: every read must see it.
	deadline := time.Now().Add(4 * time.Second)
	reads := 0
	for time.Now().Before(deadline) {
		se, _, err := c.Session().Info(id, &consulapi.QueryOptions{WaitIndex: 1 << 62, WaitTime: 100 * time.Millisecond})
		if err != nil {
			t.Fatalf("Session.Info: %v", err)
		}
		if se == nil {
			t.Fatalf("session %s gone after %d reads despite RenewPeriodic", id, reads)
		}
		reads++
	}
	close(done)
	if err := <-renewErr; err != nil {
		t.Errorf("RenewPeriodic = %v, want nil after doneCh", err)
	}
	// On doneCh, RenewPeriodic destroys the session.
	if se := mustSessionInfo(t, c, id); se != nil {
		t.Errorf("Session.Info after RenewPeriodic stopped = %+v, want nil", se)
	}
}

func TestSessionCreateInvalid(t *testing.T) {
	t.Parallel()
	ta, c := startSessionAgent(t)
	tests := []struct {
		name string
		body string
	}{
		{"TTL below minimum", `{"TTL":"1ms"}`},
		{"TTL just below minimum", `{"TTL":"999ms"}`},
		{"TTL above 24h", `{"TTL":"48h"}`},
		{"TTL not a duration", `{"TTL":"abc"}`},
		{"TTL negative", `{"TTL":"-10s"}`},
		{"TTL a number", `{"TTL":10}`},
		{"Behavior unknown", `{"Behavior":"explode"}`},
		{"LockDelay not a duration", `{"LockDelay":"soon"}`},
		{"not JSON", `{"Name":`},
		{"NodeChecks not a list", `{"NodeChecks":"serfHealth"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := doRaw(t, ta.HTTPAddr(), "PUT", "/v1/session/create", strings.NewReader(tc.body))
			wantStatus(t, "PUT /v1/session/create "+tc.body, r, 400)
		})
	}
	for _, se := range []*consulapi.SessionEntry{{TTL: "1ms"}, {TTL: "48h"}, {TTL: "abc"}, {Behavior: "bogus"}} {
		if _, _, err := c.Session().Create(se, nil); err == nil || !strings.Contains(err.Error(), "400") {
			t.Errorf("Session.Create(%+v) error = %v, want a 400", se, err)
		}
	}
	list, _, err := c.Session().List(nil)
	if err != nil || len(list) != 0 {
		t.Errorf("Session.List after bad creates = %d sessions, %v; want none", len(list), err)
	}
	// The bounds themselves are allowed.
	for _, ttl := range []string{"1s", "24h", "0s"} {
		mustCreateSession(t, c, &consulapi.SessionEntry{TTL: ttl})
	}
}

func TestSessionLockDelayForms(t *testing.T) {
	t.Parallel()
	ta, c := startSessionAgent(t)
	tests := []struct {
		body string
		want time.Duration
	}{
		{`{"LockDelay":20}`, 20 * time.Second},
		{`{"LockDelay":"20ns"}`, 20 * time.Second},
		{`{"LockDelay":"15000ms"}`, 15 * time.Second},
		{`{"LockDelay":3000000000}`, 3 * time.Second},
		{`{"LockDelay":"250ms"}`, 250 * time.Millisecond},
		{`{"LockDelay":0}`, 0},
		{`{"LockDelay":"0s"}`, 0},
		{`{"LockDelay":"90s"}`, 60 * time.Second},
	}
	for _, tc := range tests {
		id := createSessionRaw(t, ta.HTTPAddr(), tc.body)
		got := mustSessionInfo(t, c, id)
		if got == nil || got.LockDelay != tc.want {
			t.Errorf("create %s: LockDelay = %v, want %v", tc.body, got, tc.want)
		}
	}
}

func TestSessionBlockingInfoAndList(t *testing.T) {
	t.Parallel()
	ta, c := startSessionAgent(t)
	id := mustCreateSession(t, c, nil)

	_, meta, err := c.Session().List(nil)
	if err != nil {
		t.Fatalf("Session.List: %v", err)
	}
	type listRes struct {
		list    []*consulapi.SessionEntry
		meta    *consulapi.QueryMeta
		err     error
		elapsed time.Duration
	}
	listCh := blockingSessionCall(t, ta.HTTPAddr(), func(c *consulapi.Client) listRes {
		start := time.Now()
		l, m, err := c.Session().List(&consulapi.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: 10 * time.Second})
		return listRes{l, m, err, time.Since(start)}
	})
	id2 := mustCreateSession(t, c, nil)
	lr := receive(t, listCh, "blocking Session.List")
	if lr.err != nil || len(lr.list) != 2 || lr.list[0].ID != id2 && lr.list[1].ID != id2 || lr.meta.LastIndex <= meta.LastIndex || lr.elapsed > 5*time.Second {
		t.Errorf("blocking Session.List woke with %d sessions, index %v (was %d), after %v, err %v; want 2 sessions at a higher index at once",
			len(lr.list), lr.meta, meta.LastIndex, lr.elapsed, lr.err)
	}

	se, meta, err := c.Session().Info(id, nil)
	if err != nil || se == nil {
		t.Fatalf("Session.Info(%s) = %v, %v", id, se, err)
	}
	type infoRes struct {
		se      *consulapi.SessionEntry
		meta    *consulapi.QueryMeta
		err     error
		elapsed time.Duration
	}
	infoCh := blockingSessionCall(t, ta.HTTPAddr(), func(c *consulapi.Client) infoRes {
		start := time.Now()
		s, m, err := c.Session().Info(id, &consulapi.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: 10 * time.Second})
		return infoRes{s, m, err, time.Since(start)}
	})
	if _, err := c.Session().Destroy(id, nil); err != nil {
		t.Fatalf("Session.Destroy: %v", err)
	}
	ir := receive(t, infoCh, "blocking Session.Info")
	if ir.err != nil || ir.se != nil || ir.meta.LastIndex <= meta.LastIndex || ir.elapsed > 5*time.Second {
		t.Errorf("blocking Session.Info woke with %+v, index %v (was %d), after %v, err %v; want nil at a higher index at once",
			ir.se, ir.meta, meta.LastIndex, ir.elapsed, ir.err)
	}
}

func TestSessionCreateNeedsNodeAndHealthyChecks(t *testing.T) {
	t.Parallel()
	_, c := startSessionAgent(t)
	registerNodeCheck(t, c, "n2", "c1", consulapi.HealthCritical)
	registerNodeCheck(t, c, "n3", "warn", consulapi.HealthWarning)
	tests := []struct {
		name string
		se   *consulapi.SessionEntry
	}{
		{"unknown node", &consulapi.SessionEntry{Node: "no-such-node"}},
		{"critical check", &consulapi.SessionEntry{Node: "n2", NodeChecks: []string{"c1"}}},
		{"missing check", &consulapi.SessionEntry{Node: "n2", NodeChecks: []string{"nope"}}},
		{"default serfHealth missing on node", &consulapi.SessionEntry{Node: "n2"}},
		{"missing service check", &consulapi.SessionEntry{Node: "n3", NodeChecks: []string{"warn"},
			ServiceChecks: []consulapi.ServiceCheck{{ID: "nope"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if id, _, err := c.Session().Create(tc.se, nil); err == nil {
				t.Errorf("Session.Create(%+v) = %s, want an error", tc.se, id)
			}
		})
	}
	// A warning check does not block a session.
	mustCreateSession(t, c, &consulapi.SessionEntry{Node: "n3", NodeChecks: []string{"warn"}})
	list, _, err := c.Session().Node("n2", nil)
	if err != nil || len(list) != 0 {
		t.Errorf("Session.Node(n2) = %d sessions, %v; want none", len(list), err)
	}
}

func TestSessionInvalidatedWithItsCheck(t *testing.T) {
	t.Parallel()
	ta, c := startSessionAgent(t)
	deregister := func(t *testing.T, req *consulapi.CatalogDeregistration) {
		t.Helper()
		if _, err := c.Catalog().Deregister(req, nil); err != nil {
			t.Fatalf("Catalog.Deregister(%+v): %v", req, err)
		}
	}
	tests := []struct {
		name       string
		invalidate func(t *testing.T, node string)
	}{
		{"check turns critical", func(t *testing.T, node string) {
			registerNodeCheck(t, c, node, "c1", consulapi.HealthCritical)
		}},
		{"check deregistered", func(t *testing.T, node string) {
			deregister(t, &consulapi.CatalogDeregistration{Node: node, CheckID: "c1"})
		}},
		{"node deregistered", func(t *testing.T, node string) {
			deregister(t, &consulapi.CatalogDeregistration{Node: node})
		}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			node := fmt.Sprintf("n%d", i+2)
			key := "inval/" + node
			registerNodeCheck(t, c, node, "c1", consulapi.HealthPassing)
			id := mustCreateSession(t, c, &consulapi.SessionEntry{Node: node, NodeChecks: []string{"c1"}, LockDelay: time.Millisecond})
			mustAcquire(t, c, key, id, "v")
			before := mustGet(t, c, key)
			if before.Session != id || before.LockIndex != 1 {
				t.Fatalf("Get(%s) after Acquire = %+v, want Session %s, LockIndex 1", key, before, id)
			}

			tc.invalidate(t, node)

			if se := mustSessionInfo(t, c, id); se != nil {
				t.Errorf("Session.Info after %s = %+v, want nil", tc.name, se)
			}
			after := mustGet(t, c, key)
			if after == nil || after.Session != "" || after.LockIndex != before.LockIndex ||
				after.ModifyIndex <= before.ModifyIndex || string(after.Value) != "v" {
				t.Errorf("Get(%s) after %s = %+v, want released: no Session, LockIndex %d, ModifyIndex > %d, value kept",
					key, tc.name, after, before.LockIndex, before.ModifyIndex)
			}
			if _, ok := kvFields(t, ta.HTTPAddr(), key)["Session"]; ok {
				t.Errorf("raw GET %s after %s has a Session field, want it omitted", key, tc.name)
			}
		})
	}

	t.Run("service deregistered", func(t *testing.T) {
		_, err := c.Catalog().Register(&consulapi.CatalogRegistration{
			Node: "n8", Address: "10.0.0.8",
			Service: &consulapi.AgentService{ID: "api", Service: "api"},
			Checks: consulapi.HealthChecks{
				// The Consul client drops an empty NodeChecks, so the
				// session also binds the default serfHealth.
				{Node: "n8", CheckID: "serfHealth", Name: "serfHealth", Status: consulapi.HealthPassing},
				{Node: "n8", CheckID: "api-check", Name: "api-check", Status: consulapi.HealthPassing, ServiceID: "api"},
			},
		}, nil)
		if err != nil {
			t.Fatalf("Catalog.Register(n8): %v", err)
		}
		id := mustCreateSession(t, c, &consulapi.SessionEntry{
			Node: "n8", ServiceChecks: []consulapi.ServiceCheck{{ID: "api-check"}}, LockDelay: time.Millisecond,
		})
		if se := mustSessionInfo(t, c, id); se == nil || !reflect.DeepEqual(se.NodeChecks, []string{"serfHealth"}) {
			t.Fatalf("Session.Info = %+v, want NodeChecks [serfHealth] beside the service check", se)
		}
		mustAcquire(t, c, "inval/n8", id, "v")
		deregister(t, &consulapi.CatalogDeregistration{Node: "n8", ServiceID: "api"})
		if se := mustSessionInfo(t, c, id); se != nil {
			t.Errorf("Session.Info after its service check's service was deregistered = %+v, want nil", se)
		}
		if p := mustGet(t, c, "inval/n8"); p == nil || p.Session != "" {
			t.Errorf("Get(inval/n8) = %+v, want released", p)
		}
	})

	t.Run("node re-registered keeps the session", func(t *testing.T) {
		registerNodeCheck(t, c, "n12", "c1", consulapi.HealthPassing)
		id := mustCreateSession(t, c, &consulapi.SessionEntry{Node: "n12", NodeChecks: []string{"c1"}})
		_, err := c.Catalog().Register(&consulapi.CatalogRegistration{
			Node: "n12", Address: "10.0.0.12", NodeMeta: map[string]string{"rack": "r2"},
		}, nil)
		if err != nil {
			t.Fatalf("Catalog.Register(n12 again): %v", err)
		}
		if se := mustSessionInfo(t, c, id); se == nil {
			t.Errorf("Session.Info after its node was re-registered = nil, want the session")
		}
	})

	t.Run("warning keeps the session", func(t *testing.T) {
		registerNodeCheck(t, c, "n9", "c1", consulapi.HealthPassing)
		id := mustCreateSession(t, c, &consulapi.SessionEntry{Node: "n9", NodeChecks: []string{"c1"}})
		registerNodeCheck(t, c, "n9", "c1", consulapi.HealthWarning)
		if se := mustSessionInfo(t, c, id); se == nil {
			t.Errorf("Session.Info after check went warning = nil, want the session")
		}
	})

	t.Run("other node's check leaves it alone", func(t *testing.T) {
		registerNodeCheck(t, c, "n10", "c1", consulapi.HealthPassing)
		registerNodeCheck(t, c, "n11", "c1", consulapi.HealthPassing)
		id := mustCreateSession(t, c, &consulapi.SessionEntry{Node: "n10", NodeChecks: []string{"c1"}})
		registerNodeCheck(t, c, "n11", "c1", consulapi.HealthCritical)
		if se := mustSessionInfo(t, c, id); se == nil {
			t.Errorf("Session.Info after another node's c1 went critical = nil, want the session")
		}
	})
}

func TestSessionBehaviorDelete(t *testing.T) {
	t.Parallel()
	_, c := startSessionAgent(t)
	tests := []struct {
		name       string
		invalidate func(t *testing.T, node, id string)
	}{
		{"check critical", func(t *testing.T, node, _ string) {
			registerNodeCheck(t, c, node, "c1", consulapi.HealthCritical)
		}},
		{"destroy", func(t *testing.T, _, id string) {
			if _, err := c.Session().Destroy(id, nil); err != nil {
				t.Fatalf("Session.Destroy: %v", err)
			}
		}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			node := fmt.Sprintf("eph%d", i)
			prefix := node + "/"
			registerNodeCheck(t, c, node, "c1", consulapi.HealthPassing)
			id := mustCreateSession(t, c, &consulapi.SessionEntry{
				Node: node, NodeChecks: []string{"c1"}, Behavior: consulapi.SessionBehaviorDelete, LockDelay: time.Millisecond,
			})
			mustAcquire(t, c, prefix+"a", id, "a")
			mustAcquire(t, c, prefix+"b", id, "b")
			mustPut(t, c, prefix+"unlocked", "stays")
			tc.invalidate(t, node, id)
			wantMissing(t, c, prefix+"a")
			wantMissing(t, c, prefix+"b")
			wantValue(t, c, prefix+"unlocked", "stays")
		})
	}
}

// TestSessionsAcrossRestart: sessions and the locks they hold are durable,
// and a restarted leader gives every TTL session a fresh timer (it cannot
// know when the last renew was), so one expires only after its full 2×TTL.
func TestSessionsAcrossRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ttlMin := func(c *config.Config) { c.SessionTTLMin = time.Second }
	first := testutil.StartAgent(t, dir, ttlMin)
	c := newConsulClient(t, first.HTTPAddr(), nil)
	plain := mustCreateSession(t, c, &consulapi.SessionEntry{Name: "plain"})
	mustAcquire(t, c, "restart/lock", plain, "held")
	const ttl = 2 * time.Second
	timed := mustCreateSession(t, c, &consulapi.SessionEntry{Name: "timed", TTL: ttl.String(), LockDelay: time.Millisecond})
	mustAcquire(t, c, "restart/timed", timed, "held")
	first.Stop(t)

	second := restartAgent(t, dir, func(cfg *config.Config) {
		cfg.NodeName = first.Config.NodeName
		ttlMin(cfg)
	})
	restarted := time.Now()
	c = newConsulClient(t, second.HTTPAddr(), nil)
	if se := mustSessionInfo(t, c, plain); se == nil || se.Name != "plain" {
		t.Fatalf("Session.Info(plain) after restart = %+v, want the session", se)
	}
	if se := mustSessionInfo(t, c, timed); se == nil {
		t.Fatalf("Session.Info(timed) right after restart = nil, want it (its timer restarts at full length)")
	}
	wantLock(t, c, "restart/lock", "held", plain, 1)
	wantLock(t, c, "restart/timed", "held", timed, 1)

	testutil.Run(t, 10*time.Second, func(r *testutil.R) {
		if se, _, err := c.Session().Info(timed, nil); err != nil || se != nil {
			r.Fatalf("Session.Info(timed) %v after restart = %+v, %v; want it expired", time.Since(restarted), se, err)
		}
	})
	t.Logf("TTL %v session expired %v after the restarted agent had a leader", ttl, time.Since(restarted).Round(time.Millisecond))
	wantLock(t, c, "restart/timed", "held", "", 1)
	wantLock(t, c, "restart/lock", "held", plain, 1)
	// The restarted server still renews and destroys old sessions.
	if se, _, err := c.Session().Renew(plain, nil); err != nil || se == nil {
		t.Errorf("Session.Renew(plain) after restart = %+v, %v; want the session", se, err)
	}
	destroySession(t, c, plain)
	wantLock(t, c, "restart/lock", "held", "", 1)
}

// TestSessionFailedRegistrationHasNoEffect: a catalog registration that
// fails must change nothing, as in Consul (one state-store transaction per
// request): no node to create sessions on, and no session invalidated by a
// check status the failed request carried.
func TestSessionFailedRegistrationHasNoEffect(t *testing.T) {
	t.Parallel()
	ta, c := startSessionAgent(t)
	// The second check names a service the node does not have, which the
	// server only finds out while applying the request.
	badChecks := func(node, firstStatus string) *consulapi.CatalogRegistration {
		return &consulapi.CatalogRegistration{
			Node: node, Address: "10.0.0.7",
			Checks: consulapi.HealthChecks{
				{Node: node, CheckID: "c1", Name: "c1", Status: firstStatus},
				{Node: node, CheckID: "c2", Name: "c2", Status: consulapi.HealthPassing, ServiceID: "no-such-service"},
			},
		}
	}

	t.Run("new node", func(t *testing.T) {
		if _, err := c.Catalog().Register(badChecks("half", consulapi.HealthPassing), nil); err == nil {
			t.Fatalf("Catalog.Register(check of a missing service) = nil error, want one")
		}
		nodes, _, err := c.Catalog().Nodes(nil)
		if err != nil {
			t.Fatalf("Catalog.Nodes: %v", err)
		}
		for _, n := range nodes {
			if n.Node == "half" {
				t.Errorf("Catalog.Nodes lists %q after its registration failed", n.Node)
			}
		}
		r := doRaw(t, ta.HTTPAddr(), "PUT", "/v1/session/create", strings.NewReader(`{"Node":"half","NodeChecks":[]}`))
		if r.Code == 200 {
			t.Errorf("session create on a node whose registration failed = 200 %s, want an error", truncate(r.Body))
		}
	})

	t.Run("existing session", func(t *testing.T) {
		registerNodeCheck(t, c, "whole", "c1", consulapi.HealthPassing)
		id := mustCreateSession(t, c, &consulapi.SessionEntry{Node: "whole", NodeChecks: []string{"c1"}, LockDelay: time.Millisecond})
		mustAcquire(t, c, "failedreg/lock", id, "v")
		if _, err := c.Catalog().Register(badChecks("whole", consulapi.HealthCritical), nil); err == nil {
			t.Fatalf("Catalog.Register(check of a missing service) = nil error, want one")
		}
		if se := mustSessionInfo(t, c, id); se == nil {
			t.Errorf("Session.Info after a failed registration = nil, want the session (the request must not take effect)")
		}
		if p := mustGet(t, c, "failedreg/lock"); p == nil || p.Session != id {
			t.Errorf("Get(failedreg/lock) after a failed registration = %+v, want still held by %s", p, id)
		}
		checks, _, err := c.Health().Node("whole", nil)
		if err != nil {
			t.Fatalf("Health.Node(whole): %v", err)
		}
		for _, hc := range checks {
			if hc.CheckID == "c1" && hc.Status != consulapi.HealthPassing {
				t.Errorf("check c1 after a failed registration = %s, want passing", hc.Status)
			}
		}
	})
}

package local_test

// Unit tests of the local state and its anti-entropy syncer, against an
// in-memory catalog. The catalog double is a mock made of func fields
// (mockCatalog), wired by default to memCatalog, a map-backed catalog of
// one node; tests replace a field to inject failures or to observe calls.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/local"
)

const (
	testNode = "node-a"
	testID   = "7d3ad1f0-8a2f-4b8e-9f43-3c1e0c7b9a11"
)

// mockCatalog is a local.Catalog whose methods call its func fields.
type mockCatalog struct {
	RegisterFunc   func(ctx context.Context, req *api.CatalogRegistration) error
	DeregisterFunc func(ctx context.Context, req *api.CatalogDeregistration) error
	NodeViewFunc   func(ctx context.Context, node string) (*api.Node, map[string]*api.NodeService, map[string]*api.HealthCheck, error)
}

var _ local.Catalog = (*mockCatalog)(nil)

func (m *mockCatalog) Register(ctx context.Context, req *api.CatalogRegistration) error {
	return m.RegisterFunc(ctx, req)
}

func (m *mockCatalog) Deregister(ctx context.Context, req *api.CatalogDeregistration) error {
	return m.DeregisterFunc(ctx, req)
}

func (m *mockCatalog) NodeView(ctx context.Context, node string) (*api.Node, map[string]*api.NodeService, map[string]*api.HealthCheck, error) {
	return m.NodeViewFunc(ctx, node)
}

// memCatalog is an in-memory catalog of one node's services and checks,
// with a log of the writes it received.
type memCatalog struct {
	mu       sync.Mutex
	services map[string]*api.NodeService // guarded by mu
	checks   map[string]*api.HealthCheck // guarded by mu
	writes   []string                    // guarded by mu; "reg svc:<id>", "reg chk:<id>", "dereg svc:<id>", "dereg chk:<id>"
	regs     []*api.CatalogRegistration  // guarded by mu
	node     *api.Node                   // guarded by mu; nil until registered
}

func newMemCatalog() *memCatalog {
	return &memCatalog{services: map[string]*api.NodeService{}, checks: map[string]*api.HealthCheck{}}
}

// mock returns a mockCatalog whose fields call m.
func (m *memCatalog) mock() *mockCatalog {
	return &mockCatalog{RegisterFunc: m.register, DeregisterFunc: m.deregister, NodeViewFunc: m.nodeView}
}

func (m *memCatalog) register(_ context.Context, req *api.CatalogRegistration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if req.Node != testNode {
		return fmt.Errorf("register: node %q, want %q", req.Node, testNode)
	}
	m.regs = append(m.regs, req)
	if m.node == nil || !req.SkipNodeUpdate {
		m.node = &api.Node{ID: req.ID, Node: req.Node, Address: req.Address, TaggedAddresses: req.TaggedAddresses, Meta: req.NodeMeta}
	}
	if req.Service != nil {
		svc := *req.Service
		m.services[svc.ID] = &svc
		m.writes = append(m.writes, "reg svc:"+svc.ID)
	}
	for _, c := range append([]*api.HealthCheck{req.Check}, req.Checks...) {
		if c == nil {
			continue
		}
		if c.ServiceID != "" && m.services[c.ServiceID] == nil {
			return fmt.Errorf("register: check %q names missing service %q", c.CheckID, c.ServiceID)
		}
		chk := *c
		m.checks[chk.CheckID] = &chk
		m.writes = append(m.writes, "reg chk:"+chk.CheckID)
	}
	return nil
}

func (m *memCatalog) deregister(_ context.Context, req *api.CatalogDeregistration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case req.CheckID != "":
		delete(m.checks, req.CheckID)
		m.writes = append(m.writes, "dereg chk:"+req.CheckID)
	case req.ServiceID != "":
		delete(m.services, req.ServiceID)
		for id, c := range m.checks {
			if c.ServiceID == req.ServiceID {
				delete(m.checks, id)
			}
		}
		m.writes = append(m.writes, "dereg svc:"+req.ServiceID)
	default:
		return errors.New("deregister: the syncer never removes its whole node")
	}
	return nil
}

func (m *memCatalog) nodeView(_ context.Context, node string) (*api.Node, map[string]*api.NodeService, map[string]*api.HealthCheck, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	services := map[string]*api.NodeService{}
	for id, s := range m.services {
		cp := *s
		services[id] = &cp
	}
	checks := map[string]*api.HealthCheck{}
	for id, c := range m.checks {
		cp := *c
		checks[id] = &cp
	}
	var n *api.Node
	if m.node != nil {
		cp := *m.node
		n = &cp
	}
	return n, services, checks, nil
}

// put stores entries directly, as a write from elsewhere would.
func (m *memCatalog) put(svc *api.NodeService, chk *api.HealthCheck) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if svc != nil {
		m.services[svc.ID] = svc
	}
	if chk != nil {
		m.checks[chk.CheckID] = chk
	}
}

// takeWrites returns the writes logged since the last call.
func (m *memCatalog) takeWrites() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := m.writes
	m.writes = nil
	return w
}

func (m *memCatalog) serviceIDs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.services))
}

func (m *memCatalog) checkIDs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.checks))
}

func (m *memCatalog) check(id string) *api.HealthCheck {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.checks[id]; c != nil {
		cp := *c
		return &cp
	}
	return nil
}

func (m *memCatalog) service(id string) *api.NodeService {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.services[id]; s != nil {
		cp := *s
		return &cp
	}
	return nil
}

// newState returns a State for testNode; dataDir may be "".
func newState(t *testing.T, dataDir string) *local.State {
	t.Helper()
	return local.New(local.Config{
		NodeName: testNode, NodeID: testID, Datacenter: "dc1", Address: "10.0.0.5",
		DataDir: dataDir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
}

func mustAddService(t *testing.T, l *local.State, svc *api.AgentService, persist bool) {
	t.Helper()
	if err := l.AddService(svc, persist); err != nil {
		t.Fatalf("AddService(%s): %v", svc.ID, err)
	}
}

func mustAddCheck(t *testing.T, l *local.State, chk *api.HealthCheck, persist bool) {
	t.Helper()
	def := &api.AgentServiceCheck{TTL: "30s"}
	if err := l.AddCheck(chk, def, persist); err != nil {
		t.Fatalf("AddCheck(%s): %v", chk.CheckID, err)
	}
}

func mustSync(t *testing.T, what string, sync func(context.Context, local.Catalog) error, cat local.Catalog) {
	t.Helper()
	if err := sync(context.Background(), cat); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantWrites(t *testing.T, what string, cat *memCatalog, want ...string) {
	t.Helper()
	if got := cat.takeWrites(); !slices.Equal(got, want) {
		t.Errorf("%s: catalog writes = %q, want %q", what, got, want)
	}
}

func TestSyncChangesAddsAndRemoves(t *testing.T) {
	l := newState(t, "")
	cat := newMemCatalog()
	mustAddService(t, l, &api.AgentService{ID: "web-1", Service: "web", Tags: []string{"v1"}, Port: 80,
		Address: "10.0.0.9", Meta: map[string]string{"k_1": "v"}, EnableTagOverride: true}, false)
	mustAddCheck(t, l, &api.HealthCheck{CheckID: "web-alive", Name: "web alive", ServiceID: "web-1", Status: api.HealthPassing, Notes: "n"}, false)
	mustAddCheck(t, l, &api.HealthCheck{CheckID: "disk", Name: "disk"}, false)

	mustSync(t, "SyncChanges", l.SyncChanges, cat.mock())
	// Services go before the checks that name them.
	wantWrites(t, "first SyncChanges", cat, "reg svc:web-1", "reg chk:disk", "reg chk:web-alive")
	svc := cat.service("web-1")
	if svc == nil || svc.Service != "web" || !slices.Equal(svc.Tags, []string{"v1"}) || svc.Port != 80 ||
		svc.Address != "10.0.0.9" || svc.Meta["k_1"] != "v" || !svc.EnableTagOverride {
		t.Errorf("catalog service web-1 = %+v, want the local service's fields", svc)
	}
	if c := cat.check("web-alive"); c == nil || c.Node != testNode || c.Status != api.HealthPassing || c.ServiceID != "web-1" || c.Notes != "n" {
		t.Errorf("catalog check web-alive = %+v, want the local check on %s", c, testNode)
	}
	if c := cat.check("disk"); c == nil || c.Status != api.HealthCritical {
		t.Errorf("catalog check disk = %+v, want critical (the default initial status)", c)
	}
	for _, req := range cat.regs {
		if req.ID != testID || req.Address != "10.0.0.5" || req.Datacenter != "dc1" || !req.SkipNodeUpdate {
			t.Errorf("registration = ID %q Address %q Datacenter %q SkipNodeUpdate %v, want %s 10.0.0.5 dc1 true",
				req.ID, req.Address, req.Datacenter, req.SkipNodeUpdate, testID)
		}
	}

	mustSync(t, "SyncChanges with nothing changed", l.SyncChanges, cat.mock())
	wantWrites(t, "SyncChanges with nothing changed", cat)

	if err := l.RemoveCheck("disk"); err != nil {
		t.Fatalf("RemoveCheck(disk): %v", err)
	}
	mustSync(t, "SyncChanges", l.SyncChanges, cat.mock())
	wantWrites(t, "SyncChanges after RemoveCheck", cat, "dereg chk:disk")

	if err := l.RemoveService("web-1"); err != nil {
		t.Fatalf("RemoveService(web-1): %v", err)
	}
	if len(l.Services()) != 0 || len(l.Checks()) != 0 {
		t.Errorf("after RemoveService, Services() = %v, Checks() = %v; want both empty (checks go with their service)", l.Services(), l.Checks())
	}
	mustSync(t, "SyncChanges", l.SyncChanges, cat.mock())
	wantWrites(t, "SyncChanges after RemoveService", cat, "dereg chk:web-alive", "dereg svc:web-1")
	if ids := cat.serviceIDs(); len(ids) != 0 {
		t.Errorf("catalog services after RemoveService = %q, want none", ids)
	}
	mustSync(t, "SyncChanges after the deletions", l.SyncChanges, cat.mock())
	wantWrites(t, "SyncChanges after the deletions were synced", cat)

	if err := l.RemoveService("web-1"); !errors.Is(err, local.ErrUnknownService) {
		t.Errorf("RemoveService(web-1) twice: err = %v, want ErrUnknownService", err)
	}
	if err := l.RemoveCheck("disk"); !errors.Is(err, local.ErrUnknownCheck) {
		t.Errorf("RemoveCheck(disk) twice: err = %v, want ErrUnknownCheck", err)
	}
}

func TestAddServiceAndCheckRules(t *testing.T) {
	l := newState(t, "")
	if err := l.AddService(&api.AgentService{ID: "x"}, false); err == nil {
		t.Errorf("AddService without a name: err = nil, want an error")
	}
	mustAddService(t, l, &api.AgentService{Service: "db"}, false)
	svc := l.Services()["db"]
	if svc == nil || svc.Weights != (api.AgentWeights{Passing: 1, Warning: 1}) || svc.Datacenter != "dc1" {
		t.Errorf("Services()[db] = %+v, want ID defaulted to the name, weights {1 1}, datacenter dc1", svc)
	}
	if err := l.AddCheck(&api.HealthCheck{CheckID: "orphan", ServiceID: "missing"}, nil, false); err == nil {
		t.Errorf("AddCheck for an unknown service: err = nil, want an error")
	}
	if err := l.AddCheck(&api.HealthCheck{Name: "no id"}, nil, false); err == nil {
		t.Errorf("AddCheck without an ID: err = nil, want an error")
	}

	// A service check takes its service's name and tags; re-adding it
	// without a status keeps the status it had.
	mustAddService(t, l, &api.AgentService{ID: "web-1", Service: "web", Tags: []string{"a"}}, false)
	mustAddCheck(t, l, &api.HealthCheck{CheckID: "c1", Name: "c1", ServiceID: "web-1"}, false)
	l.UpdateCheck("c1", api.HealthWarning, "slow")
	mustAddCheck(t, l, &api.HealthCheck{CheckID: "c1", Name: "c1 renamed", ServiceID: "web-1"}, false)
	c := l.Checks()["c1"]
	if c == nil || c.Status != api.HealthWarning || c.Output != "slow" || c.Name != "c1 renamed" ||
		c.ServiceName != "web" || !slices.Equal(c.ServiceTags, []string{"a"}) || c.Node != testNode {
		t.Errorf("Checks()[c1] = %+v, want the new name with the old status and output, service web [a] on %s", c, testNode)
	}
	if def, ok := l.CheckDefinition("c1"); !ok || def.TTL != "30s" {
		t.Errorf("CheckDefinition(c1) = %+v, %v; want the TTL definition", def, ok)
	}
	if _, ok := l.CheckDefinition("nope"); ok {
		t.Errorf("CheckDefinition(nope) found a definition")
	}

	// Copies: changing what Services/Checks return changes nothing inside.
	l.Services()["web-1"].Port = 9999
	l.Checks()["c1"].Status = api.HealthPassing
	if l.Services()["web-1"].Port == 9999 || l.Checks()["c1"].Status == api.HealthPassing {
		t.Errorf("Services()/Checks() return shared values, want copies")
	}
}

// TestSyncFullRemovesExtras: a full sync removes the catalog entries of
// this node that the agent does not have, except the servers' serfHealth,
// and a check of a removed service goes with it.
func TestSyncFullRemovesExtras(t *testing.T) {
	l := newState(t, "")
	cat := newMemCatalog()
	cat.put(&api.NodeService{ID: "stray", Service: "stray"}, &api.HealthCheck{Node: testNode, CheckID: "stray-chk", ServiceID: "stray", Status: api.HealthPassing})
	cat.put(nil, &api.HealthCheck{Node: testNode, CheckID: "old-node-check", Status: api.HealthCritical})
	cat.put(nil, &api.HealthCheck{Node: testNode, CheckID: api.SerfCheckID, Status: api.HealthPassing})
	mustAddService(t, l, &api.AgentService{ID: "web-1", Service: "web"}, false)

	mustSync(t, "SyncFull", l.SyncFull, cat.mock())
	wantWrites(t, "SyncFull", cat, "dereg svc:stray", "dereg chk:old-node-check", "reg svc:web-1")
	if got := cat.serviceIDs(); !slices.Equal(got, []string{"web-1"}) {
		t.Errorf("catalog services after SyncFull = %q, want [web-1]", got)
	}
	if got := cat.checkIDs(); !slices.Equal(got, []string{api.SerfCheckID}) {
		t.Errorf("catalog checks after SyncFull = %q, want [serfHealth]", got)
	}

	mustSync(t, "SyncFull again", l.SyncFull, cat.mock())
	wantWrites(t, "SyncFull with the catalog in line", cat)
}

// TestSyncFullRepairsCatalog: entries changed or removed in the catalog
// behind the agent's back are not seen by SyncChanges (nothing changed
// locally) but are put back by the next full sync; entries that match are
// not written again.
func TestSyncFullRepairsCatalog(t *testing.T) {
	l := newState(t, "")
	cat := newMemCatalog()
	mustAddService(t, l, &api.AgentService{ID: "web-1", Service: "web", Tags: []string{"v1"}, Port: 80}, false)
	mustAddService(t, l, &api.AgentService{ID: "db-1", Service: "db", Port: 5432}, false)
	mustAddService(t, l, &api.AgentService{ID: "cache-1", Service: "cache", Port: 6379}, false)
	mustAddCheck(t, l, &api.HealthCheck{CheckID: "web-alive", Name: "web alive", ServiceID: "web-1", Status: api.HealthPassing}, false)
	mustAddCheck(t, l, &api.HealthCheck{CheckID: "db-alive", Name: "db alive", ServiceID: "db-1", Status: api.HealthPassing}, false)
	mustAddCheck(t, l, &api.HealthCheck{CheckID: "mem", Name: "mem", Status: api.HealthPassing, Output: "ok"}, false)
	mustSync(t, "SyncChanges", l.SyncChanges, cat.mock())
	cat.takeWrites()

	// Behind the agent's back: web-1's tags change, db-1 (and so db-alive)
	// is deregistered, mem's status and output change.
	cat.put(&api.NodeService{ID: "web-1", Service: "web", Tags: []string{"edited"}, Port: 80}, nil)
	if err := cat.deregister(context.Background(), &api.CatalogDeregistration{Node: testNode, ServiceID: "db-1"}); err != nil {
		t.Fatal(err)
	}
	cat.put(nil, &api.HealthCheck{Node: testNode, CheckID: "mem", Name: "mem", Status: api.HealthCritical, Output: "edited"})
	cat.takeWrites()

	mustSync(t, "SyncChanges", l.SyncChanges, cat.mock())
	wantWrites(t, "SyncChanges after edits in the catalog only", cat)

	mustSync(t, "SyncFull", l.SyncFull, cat.mock())
	wantWrites(t, "SyncFull", cat, "reg svc:db-1", "reg svc:web-1", "reg chk:db-alive", "reg chk:mem")
	if s := cat.service("web-1"); s == nil || !slices.Equal(s.Tags, []string{"v1"}) {
		t.Errorf("catalog web-1 after SyncFull = %+v, want tags [v1] again", s)
	}
	if c := cat.check("mem"); c == nil || c.Status != api.HealthPassing || c.Output != "ok" {
		t.Errorf("catalog check mem after SyncFull = %+v, want passing/ok again", c)
	}
	if c := cat.check("db-alive"); c == nil || c.ServiceID != "db-1" {
		t.Errorf("catalog check db-alive after SyncFull = %+v, want it back", c)
	}
}

// TestUpdateCheck: a result with the same status and output changes
// nothing (no write); a new status is synced. (Output-only changes are not
// pinned here: Consul holds them back for check_update_interval.)
func TestUpdateCheck(t *testing.T) {
	l := newState(t, "")
	cat := newMemCatalog()
	mustAddCheck(t, l, &api.HealthCheck{CheckID: "c1", Name: "c1", Status: api.HealthPassing, Output: "ok"}, false)
	mustAddCheck(t, l, &api.HealthCheck{CheckID: "c2", Name: "c2", Status: api.HealthPassing}, false)
	mustSync(t, "SyncChanges", l.SyncChanges, cat.mock())
	cat.takeWrites()

	l.UpdateCheck("c1", api.HealthPassing, "ok")
	mustSync(t, "SyncChanges", l.SyncChanges, cat.mock())
	wantWrites(t, "SyncChanges after an unchanged result", cat)

	l.UpdateCheck("c1", api.HealthCritical, "down")
	l.UpdateCheck("no-such-check", api.HealthCritical, "ignored")
	mustSync(t, "SyncChanges", l.SyncChanges, cat.mock())
	wantWrites(t, "SyncChanges after a status change", cat, "reg chk:c1")
	if c := cat.check("c1"); c == nil || c.Status != api.HealthCritical || c.Output != "down" {
		t.Errorf("catalog c1 = %+v, want critical/down", c)
	}
	if _, ok := l.Checks()["no-such-check"]; ok {
		t.Errorf("UpdateCheck of an unknown ID created a check")
	}
}

// TestRunUnchangedResultDoesNotSync runs the syncer and checks, without
// sleeping, that an unchanged result triggers no write: the change that
// follows it (c2) is synced alone, though the syncer would have pushed c1
// too had the unchanged result marked it out of sync.
func TestRunUnchangedResultDoesNotSync(t *testing.T) {
	l := newState(t, "")
	cat := newMemCatalog()
	mustAddCheck(t, l, &api.HealthCheck{CheckID: "c1", Name: "c1", Status: api.HealthPassing, Output: "ok"}, false)
	mustAddCheck(t, l, &api.HealthCheck{CheckID: "c2", Name: "c2", Status: api.HealthPassing}, false)
	regs := make(chan string, 100)
	mock := cat.mock()
	mock.RegisterFunc = func(ctx context.Context, req *api.CatalogRegistration) error {
		if req.Check != nil {
			regs <- req.Check.CheckID // before the write shows, so drain sees it
		}
		return cat.register(ctx, req)
	}
	runSyncer(t, l, mock)
	waitCatalogChecks(t, cat, "c1", "c2")
	drain(regs)

	l.UpdateCheck("c1", api.HealthPassing, "ok")
	l.UpdateCheck("c2", api.HealthWarning, "sentinel")
	select {
	case id := <-regs:
		if id != "c2" {
			t.Errorf("first write after the updates registered %q, want c2 (c1's result was unchanged)", id)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("the change of c2 was not synced")
	}
	eventually(t, func() error {
		if c := cat.check("c2"); c == nil || c.Status != api.HealthWarning {
			return fmt.Errorf("catalog c2 = %+v, want warning", c)
		}
		return nil
	})
	select {
	case id := <-regs:
		t.Errorf("an extra registration of %q followed", id)
	default:
	}
}

func drain(ch chan string) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// runSyncer runs l.Run with a full-sync interval of an hour (so only the
// start-up full sync and local changes drive it) until the test ends.
func runSyncer(t *testing.T, l *local.State, cat local.Catalog) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Run(ctx, cat, time.Hour)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// syncWait bounds waits for the syncer: a sync takes microseconds against
// memCatalog, and a failed one is retried after a second.
const syncWait = 10 * time.Second

// eventually polls cond until it returns nil, failing the test with its
// last error after syncWait (retry.Run's shape, without its dependencies).
func eventually(t *testing.T, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(syncWait)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v: %v", syncWait, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitCatalogChecks waits until the catalog holds exactly the check IDs want.
func waitCatalogChecks(t *testing.T, cat *memCatalog, want ...string) {
	t.Helper()
	slices.Sort(want)
	eventually(t, func() error {
		if got := cat.checkIDs(); !slices.Equal(got, want) {
			return fmt.Errorf("catalog checks = %q, want %q", got, want)
		}
		return nil
	})
}

// waitCatalogServices waits until the catalog holds exactly the service IDs want.
func waitCatalogServices(t *testing.T, cat *memCatalog, want ...string) {
	t.Helper()
	slices.Sort(want)
	eventually(t, func() error {
		if got := cat.serviceIDs(); !slices.Equal(got, want) {
			return fmt.Errorf("catalog services = %q, want %q", got, want)
		}
		return nil
	})
}

// TestRunPushesChanges: Run syncs local changes as they happen.
func TestRunPushesChanges(t *testing.T) {
	l := newState(t, "")
	cat := newMemCatalog()
	runSyncer(t, l, cat.mock())
	mustAddService(t, l, &api.AgentService{ID: "web-1", Service: "web"}, false)
	mustAddCheck(t, l, &api.HealthCheck{CheckID: "web-alive", Name: "alive", ServiceID: "web-1"}, false)
	waitCatalogServices(t, cat, "web-1")
	waitCatalogChecks(t, cat, "web-alive")

	l.UpdateCheck("web-alive", api.HealthPassing, "fine")
	eventually(t, func() error {
		if c := cat.check("web-alive"); c == nil || c.Status != api.HealthPassing || c.Output != "fine" {
			return fmt.Errorf("catalog web-alive = %+v, want passing/fine", c)
		}
		return nil
	})
	if err := l.RemoveService("web-1"); err != nil {
		t.Fatal(err)
	}
	waitCatalogServices(t, cat)
	waitCatalogChecks(t, cat)
}

// TestRunRetriesFailedSync: a failed write is retried without a new local
// change to wake the syncer.
func TestRunRetriesFailedSync(t *testing.T) {
	l := newState(t, "")
	cat := newMemCatalog()
	mock := cat.mock()
	var mu sync.Mutex
	failures := 2
	mock.RegisterFunc = func(ctx context.Context, req *api.CatalogRegistration) error {
		mu.Lock()
		defer mu.Unlock()
		if failures > 0 {
			failures--
			return errors.New("no cluster leader")
		}
		return cat.register(ctx, req)
	}
	mustAddService(t, l, &api.AgentService{ID: "web-1", Service: "web"}, false)
	runSyncer(t, l, mock)
	waitCatalogServices(t, cat, "web-1")
	mu.Lock()
	defer mu.Unlock()
	if failures != 0 {
		t.Errorf("%d injected failures left, want all used", failures)
	}
}

// TestRunRetriesFailedFullSync: when the full sync at start fails (the
// agent usually starts before its server has a leader), it must be retried
// as a full sync, or catalog entries the agent no longer has stay until the
// next periodic full sync (an hour here, a minute by default). Consul's
// syncer retries a failed full sync after a short pause.
func TestRunRetriesFailedFullSync(t *testing.T) {
	l := newState(t, "")
	cat := newMemCatalog()
	cat.put(&api.NodeService{ID: "stray", Service: "stray"}, nil)
	mock := cat.mock()
	var mu sync.Mutex
	failures := 1
	mock.NodeViewFunc = func(ctx context.Context, node string) (*api.Node, map[string]*api.NodeService, map[string]*api.HealthCheck, error) {
		mu.Lock()
		defer mu.Unlock()
		if failures > 0 {
			failures--
			return nil, nil, nil, errors.New("No cluster leader")
		}
		return cat.nodeView(ctx, node)
	}
	mustAddService(t, l, &api.AgentService{ID: "web-1", Service: "web"}, false)
	runSyncer(t, l, mock)
	waitCatalogServices(t, cat, "web-1")
}

// TestRunConvergesUnderConcurrentChanges adds, updates and removes entries
// from several goroutines while the syncer runs; in the end the catalog
// must hold exactly the local state. Run it with -race.
func TestRunConvergesUnderConcurrentChanges(t *testing.T) {
	l := newState(t, "")
	cat := newMemCatalog()
	runSyncer(t, l, cat.mock())
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				id := fmt.Sprintf("svc-%d-%d", w, i%10)
				if err := l.AddService(&api.AgentService{ID: id, Service: "svc", Port: i}, false); err != nil {
					t.Errorf("AddService(%s): %v", id, err)
					return
				}
				cid := "chk-" + id
				if err := l.AddCheck(&api.HealthCheck{CheckID: cid, Name: cid, ServiceID: id}, nil, false); err != nil {
					t.Errorf("AddCheck(%s): %v", cid, err)
					return
				}
				l.UpdateCheck(cid, api.HealthPassing, fmt.Sprint(i))
				if i%3 == 0 {
					l.RemoveService(id)
				}
			}
		}()
	}
	wg.Wait()
	wantServices := slices.Sorted(maps.Keys(l.Services()))
	wantChecks := slices.Sorted(maps.Keys(l.Checks()))
	waitCatalogServices(t, cat, wantServices...)
	waitCatalogChecks(t, cat, wantChecks...)
	eventually(t, func() error {
		for id, s := range l.Services() {
			if cs := cat.service(id); cs == nil || cs.Port != s.Port {
				return fmt.Errorf("catalog %s = %+v, want port %d", id, cs, s.Port)
			}
		}
		for id, c := range l.Checks() {
			if cc := cat.check(id); cc == nil || cc.Status != c.Status || cc.Output != c.Output {
				return fmt.Errorf("catalog check %s = %+v, want %s/%s", id, cc, c.Status, c.Output)
			}
		}
		return nil
	})
}

func TestMaintenanceAndServiceHealth(t *testing.T) {
	l := newState(t, "")
	mustAddService(t, l, &api.AgentService{ID: "web-1", Service: "web"}, false)
	mustAddService(t, l, &api.AgentService{ID: "db-1", Service: "db"}, false)
	mustAddCheck(t, l, &api.HealthCheck{CheckID: "web-alive", Name: "web", ServiceID: "web-1", Status: api.HealthPassing}, false)
	mustAddCheck(t, l, &api.HealthCheck{CheckID: "db-alive", Name: "db", ServiceID: "db-1", Status: api.HealthCritical}, false)

	health := func(id string) string {
		t.Helper()
		_, status, ok := l.ServiceHealth(id)
		if !ok {
			t.Fatalf("ServiceHealth(%s): not found", id)
		}
		return status
	}
	if got := health("web-1"); got != api.HealthPassing {
		t.Errorf("ServiceHealth(web-1) = %q, want passing (db-1's critical check is not its own)", got)
	}
	mustAddCheck(t, l, &api.HealthCheck{CheckID: "node-load", Name: "load", Status: api.HealthWarning}, false)
	if got := health("web-1"); got != api.HealthWarning {
		t.Errorf("ServiceHealth(web-1) with a warning node check = %q, want warning", got)
	}
	if got := health("db-1"); got != api.HealthCritical {
		t.Errorf("ServiceHealth(db-1) = %q, want critical", got)
	}
	if _, _, ok := l.ServiceHealth("nope"); ok {
		t.Errorf("ServiceHealth(nope) found a service")
	}

	if err := l.SetServiceMaintenance("web-1", true, ""); err != nil {
		t.Fatalf("SetServiceMaintenance(web-1, on): %v", err)
	}
	c := l.Checks()[local.ServiceMaintPrefix+"web-1"]
	if c == nil || c.Status != api.HealthCritical || c.ServiceID != "web-1" || c.Notes == "" {
		t.Errorf("service maintenance check = %+v, want critical, bound to web-1, with a default reason", c)
	}
	if got := health("web-1"); got != "maintenance" {
		t.Errorf("ServiceHealth(web-1) in maintenance = %q, want maintenance", got)
	}
	if got := health("db-1"); got != api.HealthCritical {
		t.Errorf("ServiceHealth(db-1) while web-1 is in maintenance = %q, want critical", got)
	}
	if err := l.SetServiceMaintenance("nope", true, "x"); !errors.Is(err, local.ErrUnknownService) {
		t.Errorf("SetServiceMaintenance(nope): err = %v, want ErrUnknownService", err)
	}
	if err := l.SetServiceMaintenance("web-1", false, ""); err != nil {
		t.Fatalf("SetServiceMaintenance(web-1, off): %v", err)
	}
	if err := l.SetServiceMaintenance("web-1", false, ""); err != nil {
		t.Errorf("SetServiceMaintenance(web-1, off) twice: %v, want nil", err)
	}

	if err := l.SetNodeMaintenance(true, "reboot"); err != nil {
		t.Fatalf("SetNodeMaintenance(on): %v", err)
	}
	if c := l.Checks()[local.NodeMaintCheckID]; c == nil || c.Notes != "reboot" || c.Status != api.HealthCritical {
		t.Errorf("node maintenance check = %+v, want critical with notes reboot", c)
	}
	for _, id := range []string{"web-1", "db-1"} {
		if got := health(id); got != "maintenance" {
			t.Errorf("ServiceHealth(%s) in node maintenance = %q, want maintenance", id, got)
		}
	}
	if err := l.SetNodeMaintenance(false, ""); err != nil {
		t.Fatalf("SetNodeMaintenance(off): %v", err)
	}
	if got := health("web-1"); got != api.HealthWarning {
		t.Errorf("ServiceHealth(web-1) after maintenance = %q, want warning", got)
	}
}

// TestPersistRoundTrip: entries added with persist are saved under the
// data dir and read back by LoadPersisted; removing them removes the files;
// entries added without persist (config files) are not saved; maintenance
// is saved, without a definition, as Consul keeps it across restarts.
func TestPersistRoundTrip(t *testing.T) {
	dir := t.TempDir()
	l := newState(t, dir)
	web := &api.AgentService{ID: "web/1 a", Service: "web", Tags: []string{"v1"}, Port: 80, Address: "10.0.0.9",
		Meta: map[string]string{"build_id": "42"}, Weights: api.AgentWeights{Passing: 5, Warning: 2}, EnableTagOverride: true}
	mustAddService(t, l, web, true)
	mustAddService(t, l, &api.AgentService{ID: "from-file", Service: "file"}, false)
	def := &api.AgentServiceCheck{HTTP: "http://127.0.0.1:8080/health", Interval: "10s", Header: map[string][]string{"X-A": {"b"}},
		DeregisterCriticalServiceAfter: "90m"}
	if err := l.AddCheck(&api.HealthCheck{CheckID: "service:web/1 a", Name: "web http", Notes: "n", ServiceID: "web/1 a", Type: "http"}, def, true); err != nil {
		t.Fatalf("AddCheck: %v", err)
	}
	mustAddCheck(t, l, &api.HealthCheck{CheckID: "file-check", Name: "file check"}, false)
	if err := l.SetNodeMaintenance(true, "x"); err != nil {
		t.Fatal(err)
	}

	services, checks, err := local.LoadPersisted(dir)
	if err != nil {
		t.Fatalf("LoadPersisted: %v", err)
	}
	if len(services) != 1 {
		t.Fatalf("LoadPersisted services = %d, want 1 (web/1 a only)", len(services))
	}
	got := services[0]
	if got.ID != web.ID || got.Service != "web" || !slices.Equal(got.Tags, web.Tags) || got.Port != 80 || got.Address != web.Address ||
		!maps.Equal(got.Meta, web.Meta) || got.Weights != web.Weights || !got.EnableTagOverride {
		t.Errorf("LoadPersisted service = %+v, want %+v", got, web)
	}
	if len(checks) != 2 {
		t.Fatalf("LoadPersisted checks = %d, want 2 (the web check and node maintenance)", len(checks))
	}
	slices.SortFunc(checks, func(a, b local.PersistedCheck) int { return strings.Compare(b.Check.CheckID, a.Check.CheckID) })
	if m := checks[1]; m.Check.CheckID != local.NodeMaintCheckID || m.Definition != nil || m.Check.Notes != "x" {
		t.Errorf("LoadPersisted maintenance = %+v (definition %v), want %s with notes x and no definition", m.Check, m.Definition, local.NodeMaintCheckID)
	}
	pc := checks[0]
	if pc.Check.CheckID != "service:web/1 a" || pc.Check.Name != "web http" || pc.Check.Notes != "n" || pc.Check.ServiceID != web.ID {
		t.Errorf("LoadPersisted check = %+v, want service:web/1 a with its name, notes and service", pc.Check)
	}
	if pc.Definition == nil || pc.Definition.HTTP != def.HTTP || pc.Definition.Interval != "10s" ||
		!slices.Equal(pc.Definition.Header["X-A"], []string{"b"}) || pc.Definition.DeregisterCriticalServiceAfter != "90m" {
		t.Errorf("LoadPersisted definition = %+v, want %+v", pc.Definition, def)
	}
	// Ending maintenance removes its saved check.
	if err := l.SetNodeMaintenance(false, ""); err != nil {
		t.Fatal(err)
	}
	// A new State over the same directory sees the same entries.
	if s2, _, _ := local.LoadPersisted(dir); len(s2) != 1 || s2[0].ID != web.ID {
		t.Errorf("second LoadPersisted = %v, want the same service", s2)
	}

	if err := l.RemoveService(web.ID); err != nil {
		t.Fatal(err)
	}
	services, checks, err = local.LoadPersisted(dir)
	if err != nil || len(services) != 0 || len(checks) != 0 {
		t.Errorf("after RemoveService, LoadPersisted = %d services, %d checks, %v; want none (its check goes too)", len(services), len(checks), err)
	}

	mustAddService(t, l, &api.AgentService{ID: "db", Service: "db"}, true)
	mustAddCheck(t, l, &api.HealthCheck{CheckID: "db-ttl", Name: "db ttl", ServiceID: "db"}, true)
	if err := l.RemoveCheck("db-ttl"); err != nil {
		t.Fatal(err)
	}
	services, checks, err = local.LoadPersisted(dir)
	if err != nil || len(services) != 1 || len(checks) != 0 {
		t.Errorf("after RemoveCheck, LoadPersisted = %d services, %d checks, %v; want 1 and 0", len(services), len(checks), err)
	}
}

func TestLoadPersistedEdgeCases(t *testing.T) {
	if s, c, err := local.LoadPersisted(""); s != nil || c != nil || err != nil {
		t.Errorf("LoadPersisted(\"\") = %v, %v, %v; want nothing (dev mode)", s, c, err)
	}
	if s, c, err := local.LoadPersisted(t.TempDir()); len(s) != 0 || len(c) != 0 || err != nil {
		t.Errorf("LoadPersisted(empty dir) = %v, %v, %v; want nothing", s, c, err)
	}

	// Nothing is written without a data dir.
	l := newState(t, "")
	mustAddService(t, l, &api.AgentService{ID: "x", Service: "x"}, true)

	for _, tc := range []struct{ name, sub, data string }{
		{"corrupt service", "services", "{not json"},
		{"check without its check", "checks", `{"Definition":{"TTL":"10s"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, tc.sub), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, tc.sub, "bad.json"), []byte(tc.data), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, _, err := local.LoadPersisted(dir); err == nil {
				t.Errorf("LoadPersisted with a %s: err = nil, want an error", tc.name)
			}
		})
	}
}

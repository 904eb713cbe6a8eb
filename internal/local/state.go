// Package local holds this agent's own services and checks — the
// authoritative copy for its node — and the anti-entropy syncer that keeps
// the catalog in line with it.
//
// Flow:
//  1. the agent API (or a config file) adds a service or check here; it is
//     persisted in the data dir when it came from the API;
//  2. check runners report results through UpdateCheck;
//  3. every change marks the entry out of sync and wakes the syncer, which
//     registers or deregisters it in the catalog (SyncChanges);
//  4. periodically the syncer reads the catalog's view of this node and
//     marks whatever differs out of sync, so the catalog is repaired even
//     if someone changed it behind the agent's back (SyncFull).
package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"

	"github.com/concordhq/concord/api"
)

// Maintenance check IDs, as Consul names them.
const (
	NodeMaintCheckID    = "_node_maintenance"
	ServiceMaintPrefix  = "_service_maintenance:"
	defaultMaintReason  = "Maintenance mode is enabled for this node, but no reason was provided. This is a default message."
	defaultSvcMaintText = "Maintenance mode is enabled for this service, but no reason was provided. This is a default message."
)

// ErrUnknownService / ErrUnknownCheck are returned for IDs not registered
// on this agent.
var (
	ErrUnknownService = errors.New("local: unknown service")
	ErrUnknownCheck   = errors.New("local: unknown check")
)

// Config says who this node is.
type Config struct {
	NodeName   string
	NodeID     string
	Datacenter string
	Address    string
	DataDir    string // "" keeps API registrations in memory only
	// ServerService is the service the servers own on this node (the
	// server's own entry), which anti-entropy leaves alone; "" for none.
	ServerService string
	// NodeMeta is the node's metadata as the catalog should show it
	// (node_meta plus the keys the agent adds, such as consul-version);
	// the syncer writes it to the node when the catalog differs.
	NodeMeta map[string]string
	// TaggedAddresses are the node's tagged addresses the agent declares
	// ("lan", "wan" and their _ipv4/_ipv6 forms; "wan" is
	// advertise_addr_wan): the syncer writes them over the catalog's when
	// they differ, keeping any others the node has.
	TaggedAddresses map[string]string
	Logger          *slog.Logger // non-nil
}

// service is a local service and its sync state. Entries are replaced, not
// changed, when the service changes, so the syncer can tell whether what
// it pushed is still current; only inSync is set in place, under mu.
type service struct {
	svc     *api.AgentService
	inSync  bool
	deleted bool
	persist bool // registered through the API: saved in the data dir
}

// check is a local check and its sync state.
type check struct {
	chk     *api.HealthCheck
	def     *api.AgentServiceCheck // nil for checks without a runner (maintenance)
	inSync  bool
	deleted bool
	persist bool
}

// State is the agent's local services and checks. All methods are safe for
// concurrent use.
type State struct {
	cfg Config

	mu       sync.Mutex
	services map[string]*service // guarded by mu
	checks   map[string]*check   // guarded by mu

	// dirtyServices and dirtyChecks name the entries the syncer must look
	// at, so that a change costs one push, not a scan of every entry.
	dirtyServices map[string]bool // guarded by mu
	dirtyChecks   map[string]bool // guarded by mu
	// nodeSeen is the catalog's entry for this node as the last full sync
	// read it when it differed from the config (to be rewritten), else nil.
	nodeSeen   *api.Node // guarded by mu
	nodeDirty  bool      // guarded by mu; the node's meta must be written
	nodeAbsent bool      // guarded by mu; the last full sync found no node
	// servicesCh is closed, and replaced, whenever a service is added,
	// replaced or removed: blocking reads of a service wait on it.
	servicesCh chan struct{} // guarded by mu; non-nil

	triggerCh chan struct{} // wakes the syncer; buffered 1

	// changes counts local changes to services and checks; pushed is how
	// many of them a successful sync has sent to the catalog, and pushedCh
	// is closed, and replaced, when pushed grows (see WaitPushed).
	changes  uint64        // guarded by mu
	pushed   uint64        // guarded by mu
	pushedCh chan struct{} // guarded by mu; non-nil
}

// New returns an empty local state.
func New(cfg Config) *State {
	return &State{
		cfg:           cfg,
		services:      map[string]*service{},
		checks:        map[string]*check{},
		dirtyServices: map[string]bool{},
		dirtyChecks:   map[string]bool{},
		servicesCh:    make(chan struct{}),
		triggerCh:     make(chan struct{}, 1),
		pushedCh:      make(chan struct{}),
	}
}

// ServicesChanged returns a channel closed at the next change to any
// service (added, replaced or removed).
func (l *State) ServicesChanged() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.servicesCh
}

// servicesChangedLocked wakes those waiting on ServicesChanged.
func (l *State) servicesChangedLocked() {
	close(l.servicesCh)
	l.servicesCh = make(chan struct{})
}

// Changes is the number of local changes so far: WaitPushed(n) waits
// until the catalog has the first n.
func (l *State) Changes() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changes
}

// WaitPushed waits until a sync has sent the first n local changes to the
// catalog, or ctx ends, and reports which.
func (l *State) WaitPushed(ctx context.Context, n uint64) bool {
	for {
		l.mu.Lock()
		pushed, ch := l.pushed, l.pushedCh
		l.mu.Unlock()
		if pushed >= n {
			return true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

// pushedLocked records that a sync sent the first n changes.
func (l *State) pushedLocked(n uint64) {
	if n > l.pushed {
		l.pushed = n
		close(l.pushedCh)
		l.pushedCh = make(chan struct{})
	}
}

// Trigger wakes the syncer without blocking.
func (l *State) Trigger() {
	select {
	case l.triggerCh <- struct{}{}:
	default:
	}
}

// AddService adds or replaces a service; persist saves it in the data dir.
func (l *State) AddService(svc *api.AgentService, persist bool) error {
	if svc.ID == "" {
		svc.ID = svc.Service
	}
	if svc.Service == "" {
		return fmt.Errorf("missing service name")
	}
	if svc.Weights == (api.AgentWeights{}) {
		svc.Weights = api.AgentWeights{Passing: 1, Warning: 1}
	}
	if svc.Meta == nil {
		svc.Meta = map[string]string{}
	}
	svc.Datacenter = l.cfg.Datacenter
	l.mu.Lock()
	l.services[svc.ID] = &service{svc: svc, persist: persist}
	l.dirtyServices[svc.ID] = true
	l.changes++
	l.servicesChangedLocked()
	l.mu.Unlock()
	if persist {
		if err := l.saveService(svc); err != nil {
			return err
		}
	}
	l.Trigger()
	return nil
}

// RemoveService marks a service (and its checks) deleted; the syncer
// deregisters them.
func (l *State) RemoveService(id string) error {
	l.mu.Lock()
	s, ok := l.services[id]
	if !ok || s.deleted {
		l.mu.Unlock()
		return fmt.Errorf("%w: %q", ErrUnknownService, id)
	}
	l.services[id] = &service{svc: s.svc, deleted: true}
	l.dirtyServices[id] = true
	l.changes++
	l.servicesChangedLocked()
	var checkIDs []string
	for cid, c := range l.checks {
		if c.chk.ServiceID == id && !c.deleted {
			l.checks[cid] = &check{chk: c.chk, deleted: true}
			l.dirtyChecks[cid] = true
			checkIDs = append(checkIDs, cid)
		}
	}
	l.mu.Unlock()
	l.forgetService(id)
	for _, cid := range checkIDs {
		l.forgetCheck(cid)
	}
	l.Trigger()
	return nil
}

// AddCheck adds or replaces a check. A service check must name a local
// service. def is kept for persistence; persist saves it in the data dir.
func (l *State) AddCheck(chk *api.HealthCheck, def *api.AgentServiceCheck, persist bool) error {
	if chk.CheckID == "" {
		return fmt.Errorf("missing check ID")
	}
	chk.Node = l.cfg.NodeName
	l.mu.Lock()
	if chk.ServiceID != "" {
		s, ok := l.services[chk.ServiceID]
		if !ok || s.deleted {
			l.mu.Unlock()
			return fmt.Errorf("ServiceID %q does not exist", chk.ServiceID)
		}
		chk.ServiceName, chk.ServiceTags = s.svc.Service, s.svc.Tags
	}
	if old, ok := l.checks[chk.CheckID]; ok && !old.deleted && chk.Status == "" {
		chk.Status, chk.Output = old.chk.Status, old.chk.Output
	}
	if chk.Status == "" {
		chk.Status = api.HealthCritical
	}
	l.checks[chk.CheckID] = &check{chk: chk, def: def, persist: persist}
	l.dirtyChecks[chk.CheckID] = true
	l.changes++
	l.mu.Unlock()
	if persist {
		if err := l.saveCheck(chk, def); err != nil {
			return err
		}
	}
	l.Trigger()
	return nil
}

// RemoveCheck marks a check deleted; the syncer deregisters it.
func (l *State) RemoveCheck(id string) error {
	l.mu.Lock()
	c, ok := l.checks[id]
	if !ok || c.deleted {
		l.mu.Unlock()
		return fmt.Errorf("%w: %q", ErrUnknownCheck, id)
	}
	l.checks[id] = &check{chk: c.chk, deleted: true}
	l.dirtyChecks[id] = true
	l.changes++
	l.mu.Unlock()
	l.forgetCheck(id)
	l.Trigger()
	return nil
}

// UpdateCheck records a check result (the check runners' Notifier). An
// unchanged status and output changes nothing.
func (l *State) UpdateCheck(id, status, output string) {
	l.mu.Lock()
	c, ok := l.checks[id]
	if !ok || c.deleted || (c.chk.Status == status && c.chk.Output == output) {
		l.mu.Unlock()
		return
	}
	updated := *c.chk
	updated.Status, updated.Output = status, output
	l.checks[id] = &check{chk: &updated, def: c.def, persist: c.persist}
	l.dirtyChecks[id] = true
	l.changes++
	l.mu.Unlock()
	if c.persist && c.def != nil && c.def.TTL != "" {
		// A TTL check's status is what the application last reported;
		// keep it so a restart within the TTL does not fail the service.
		if err := l.saveCheck(&updated, c.def); err != nil {
			l.cfg.Logger.Warn("cannot save check status", "check", id, "error", err)
		}
	}
	l.Trigger()
}

// NodeMeta returns a copy of the node's metadata (Config.NodeMeta).
func (l *State) NodeMeta() map[string]string {
	return maps.Clone(l.cfg.NodeMeta)
}

// Services returns copies of the live local services.
func (l *State) Services() map[string]*api.AgentService {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]*api.AgentService{}
	for id, s := range l.services {
		if !s.deleted {
			c := *s.svc
			out[id] = &c
		}
	}
	return out
}

// Checks returns copies of the live local checks.
func (l *State) Checks() map[string]*api.HealthCheck {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]*api.HealthCheck{}
	for id, c := range l.checks {
		if !c.deleted {
			cp := *c.chk
			out[id] = &cp
		}
	}
	return out
}

// CheckDefinition returns the definition a check was registered with.
func (l *State) CheckDefinition(id string) (*api.AgentServiceCheck, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.checks[id]
	if !ok || c.deleted || c.def == nil {
		return nil, false
	}
	return c.def, true
}

// SetNodeMaintenance puts the node in (or out of) maintenance: a critical
// check that fails every service of the node.
func (l *State) SetNodeMaintenance(enable bool, reason string) error {
	if !enable {
		if err := l.RemoveCheck(NodeMaintCheckID); err != nil && !errors.Is(err, ErrUnknownCheck) {
			return err
		}
		return nil
	}
	if reason == "" {
		reason = defaultMaintReason
	}
	return l.AddCheck(&api.HealthCheck{
		CheckID: NodeMaintCheckID, Name: "Node Maintenance Mode", Notes: reason,
		Status: api.HealthCritical, Type: "maintenance",
	}, nil, true)
}

// SetServiceMaintenance puts one service in (or out of) maintenance.
func (l *State) SetServiceMaintenance(id string, enable bool, reason string) error {
	if _, ok := l.Services()[id]; !ok {
		return fmt.Errorf("%w: %q", ErrUnknownService, id)
	}
	checkID := ServiceMaintPrefix + id
	if !enable {
		if err := l.RemoveCheck(checkID); err != nil && !errors.Is(err, ErrUnknownCheck) {
			return err
		}
		return nil
	}
	if reason == "" {
		reason = defaultSvcMaintText
	}
	return l.AddCheck(&api.HealthCheck{
		CheckID: checkID, Name: "Service Maintenance Mode", Notes: reason, ServiceID: id,
		Status: api.HealthCritical, Type: "maintenance",
	}, nil, true)
}

// ServiceHealth returns a service with the aggregate status of its checks
// and the node's: critical beats warning beats passing; maintenance is
// reported as "maintenance".
func (l *State) ServiceHealth(id string) (*api.AgentService, string, bool) {
	svc, ok := l.Services()[id]
	if !ok {
		return nil, "", false
	}
	status := api.HealthPassing
	for _, c := range l.Checks() {
		if c.ServiceID != "" && c.ServiceID != id {
			continue
		}
		if c.CheckID == NodeMaintCheckID || c.CheckID == ServiceMaintPrefix+id {
			return svc, "maintenance", true
		}
		switch {
		case c.Status == api.HealthCritical:
			status = api.HealthCritical
		case c.Status == api.HealthWarning && status == api.HealthPassing:
			status = api.HealthWarning
		}
	}
	return svc, status, true
}

// sortedKeys returns m's keys in order, for deterministic syncing.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

package local

import (
	"context"
	"errors"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"time"

	"github.com/concordhq/concord/api"
)

// Catalog is what the syncer needs of the catalog. The agent implements it
// over its replicated state: its own server on a server agent, RPC to the
// servers on a client agent.
type Catalog interface {
	Register(ctx context.Context, req *api.CatalogRegistration) error
	Deregister(ctx context.Context, req *api.CatalogDeregistration) error
	// NodeView returns the catalog's entry for node (nil when it is not
	// registered) and its services and checks. The results are the
	// caller's.
	NodeView(ctx context.Context, node string) (*api.Node, map[string]*api.NodeService, map[string]*api.HealthCheck, error)
}

// DefaultSyncInterval is how often a full sync compares the catalog with the
// local state (Consul's ae_interval).
const DefaultSyncInterval = time.Minute

// Run keeps the catalog in line with the local state until ctx ends: a full
// sync at start and every interval (plus up to 1/8 random stagger, so that
// agents started together do not sync together), and the changed entries
// as soon as anything changes. Failed syncs are retried after a pause.
func (l *State) Run(ctx context.Context, cat Catalog, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultSyncInterval
	}
	next := func() <-chan time.Time {
		return time.After(interval + time.Duration(rand.Int64N(int64(interval/8)+1)))
	}
	full := time.After(0)
	retry := (<-chan time.Time)(nil)
	for {
		var err error
		select {
		case <-ctx.Done():
			return
		case <-full:
			switch err = l.SyncFull(ctx, cat); {
			case err != nil:
				full = time.After(time.Second) // a failed full sync is retried as one
			case l.nodeWasAbsent():
				// The servers register the node from gossip too, maybe
				// with only their own metadata: look again soon.
				full = time.After(time.Second)
			default:
				full = next()
			}
		case <-l.triggerCh:
			err = l.SyncChanges(ctx, cat)
		case <-retry:
			retry = nil
			err = l.SyncChanges(ctx, cat)
		}
		if err == nil || ctx.Err() != nil {
			continue
		}
		if errors.Is(err, api.ErrNoLeader) {
			l.cfg.Logger.Debug("anti-entropy sync waits for a leader")
		} else {
			l.cfg.Logger.Warn("anti-entropy sync failed; retrying", "error", err)
		}
		retry = time.After(time.Second)
	}
}

// SyncFull marks every local entry that differs from the catalog out of
// sync, removes catalog entries for this node that the agent does not
// have, and then pushes the changes.
func (l *State) SyncFull(ctx context.Context, cat Catalog) error {
	node, services, checks, err := cat.NodeView(ctx, l.cfg.NodeName)
	if err != nil {
		return err
	}
	var extraServices, extraChecks []string
	l.mu.Lock()
	l.nodeDirty = node == nil || !maps.Equal(node.Meta, l.cfg.NodeMeta) || !holds(node.TaggedAddresses, l.cfg.TaggedAddresses)
	l.nodeSeen, l.nodeAbsent = node, node == nil
	for id, s := range l.services {
		s.inSync = !s.deleted && serviceMatches(s.svc, services[id])
		if !s.inSync {
			l.dirtyServices[id] = true
		}
	}
	for id := range services {
		if id == l.cfg.ServerService {
			continue // the servers own their own service entry
		}
		if s, ok := l.services[id]; !ok || s.deleted {
			extraServices = append(extraServices, id)
		}
	}
	for id, c := range l.checks {
		c.inSync = !c.deleted && checkMatches(c.chk, checks[id])
		if !c.inSync {
			l.dirtyChecks[id] = true
		}
	}
	for id, c := range checks {
		if id == api.SerfCheckID {
			continue // the servers own the gossip health check
		}
		if lc, ok := l.checks[id]; !ok || lc.deleted {
			if _, svcGone := services[c.ServiceID]; c.ServiceID == "" || !svcGone || !slices.Contains(extraServices, c.ServiceID) {
				extraChecks = append(extraChecks, id)
			}
		}
	}
	l.mu.Unlock()
	slices.Sort(extraServices)
	slices.Sort(extraChecks)
	for _, id := range extraServices {
		if err := cat.Deregister(ctx, &api.CatalogDeregistration{Node: l.cfg.NodeName, ServiceID: id}); err != nil {
			return err
		}
	}
	for _, id := range extraChecks {
		if err := cat.Deregister(ctx, &api.CatalogDeregistration{Node: l.cfg.NodeName, CheckID: id}); err != nil {
			return err
		}
	}
	return l.SyncChanges(ctx, cat)
}

// nodeWasAbsent reports whether the last full sync found no catalog entry
// for this node.
func (l *State) nodeWasAbsent() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.nodeAbsent
}

// SyncChanges pushes every out-of-sync entry to the catalog: deletions
// first, then services, then checks (which may name those services). Only
// entries marked dirty since the last push are looked at; if the push
// fails they stay marked.
func (l *State) SyncChanges(ctx context.Context, cat Catalog) error {
	l.mu.Lock()
	services := make(map[string]*service, len(l.dirtyServices))
	for id := range l.dirtyServices {
		if s, ok := l.services[id]; ok {
			services[id] = s
		}
	}
	checks := make(map[string]*check, len(l.dirtyChecks))
	for id := range l.dirtyChecks {
		if c, ok := l.checks[id]; ok {
			checks[id] = c
		}
	}
	l.dirtyServices, l.dirtyChecks = map[string]bool{}, map[string]bool{}
	upTo := l.changes
	nodeDirty, nodeSeen := l.nodeDirty, l.nodeSeen
	l.nodeDirty, l.nodeSeen = false, nil
	l.mu.Unlock()

	var err error
	if nodeDirty {
		err = cat.Register(ctx, l.nodeRegistration(nodeSeen))
	}
	if err == nil {
		err = l.push(ctx, cat, services, checks)
	}
	if err != nil {
		l.mu.Lock()
		if nodeDirty {
			l.nodeDirty = true
			if l.nodeSeen == nil {
				l.nodeSeen = nodeSeen
			}
		}
		for id := range services {
			l.dirtyServices[id] = true
		}
		for id := range checks {
			l.dirtyChecks[id] = true
		}
		l.mu.Unlock()
		return err
	}
	l.mu.Lock()
	l.pushedLocked(upTo)
	l.mu.Unlock()
	return nil
}

// push sends the out-of-sync entries among services and checks.
func (l *State) push(ctx context.Context, cat Catalog, services map[string]*service, checks map[string]*check) error {
	for _, id := range sortedKeys(checks) {
		if c := checks[id]; c.deleted && !c.inSync {
			if err := cat.Deregister(ctx, &api.CatalogDeregistration{Node: l.cfg.NodeName, CheckID: id}); err != nil {
				return err
			}
			l.dropCheck(id, c)
			l.cfg.Logger.Debug("Deregistered check", "check", id)
		}
	}
	for _, id := range sortedKeys(services) {
		if s := services[id]; s.deleted && !s.inSync {
			if err := cat.Deregister(ctx, &api.CatalogDeregistration{Node: l.cfg.NodeName, ServiceID: id}); err != nil {
				return err
			}
			l.dropService(id, s)
			l.cfg.Logger.Info("Deregistered service", "service", id)
		}
	}
	for _, id := range sortedKeys(services) {
		s := services[id]
		if s.deleted || s.inSync {
			continue
		}
		svc := s.svc
		req := l.registration()
		req.Service = &api.NodeService{
			ID: svc.ID, Service: svc.Service, Tags: svc.Tags, Address: svc.Address,
			Meta: svc.Meta, Port: svc.Port, Ports: svc.Ports, SocketPath: svc.SocketPath,
			TaggedAddresses: svc.TaggedAddresses, Locality: svc.Locality,
			Weights: svc.Weights, EnableTagOverride: svc.EnableTagOverride, Kind: svc.Kind,
		}
		if svc.Proxy != nil {
			req.Service.Proxy = *svc.Proxy
		}
		if svc.Connect != nil {
			req.Service.Connect = *svc.Connect
		}
		if err := cat.Register(ctx, req); err != nil {
			return err
		}
		l.markService(id, s)
		l.cfg.Logger.Info("Synced service", "service", id)
	}
	for _, id := range sortedKeys(checks) {
		c := checks[id]
		if c.deleted || c.inSync {
			continue
		}
		req := l.registration()
		chk := *c.chk
		req.Check = &chk
		if err := cat.Register(ctx, req); err != nil {
			return err
		}
		l.markCheck(id, c)
		l.cfg.Logger.Debug("Synced check", "check", id)
	}
	return nil
}

// registration starts a catalog registration for this node that leaves
// the node's own fields alone when it is already registered (and gives
// it the node's metadata when it is not).
func (l *State) registration() *api.CatalogRegistration {
	return &api.CatalogRegistration{
		ID: l.cfg.NodeID, Node: l.cfg.NodeName, Address: l.cfg.Address,
		Datacenter: l.cfg.Datacenter, NodeMeta: l.cfg.NodeMeta, SkipNodeUpdate: true,
	}
}

// nodeRegistration writes this node's metadata and declared tagged
// addresses. seen is the catalog's entry (or nil): its address and other
// tagged addresses, which the servers keep from gossip, are written back
// unchanged.
func (l *State) nodeRegistration(seen *api.Node) *api.CatalogRegistration {
	req := l.registration()
	req.SkipNodeUpdate = false
	if seen != nil {
		req.Address = seen.Address
	}
	if seen != nil || len(l.cfg.TaggedAddresses) > 0 {
		req.TaggedAddresses = map[string]string{}
	}
	if seen != nil {
		maps.Copy(req.TaggedAddresses, seen.TaggedAddresses)
	}
	maps.Copy(req.TaggedAddresses, l.cfg.TaggedAddresses)
	return req
}

// holds reports whether m has every entry of sub.
func holds(m, sub map[string]string) bool {
	for k, v := range sub {
		if m[k] != v {
			return false
		}
	}
	return true
}

// markService records that s was synced, unless it changed meanwhile.
func (l *State) markService(id string, s *service) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.services[id] == s {
		s.inSync = true
	}
}

func (l *State) markCheck(id string, c *check) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if cur := l.checks[id]; cur == c {
		c.inSync = true
	}
}

func (l *State) dropService(id string, s *service) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.services[id] == s {
		delete(l.services, id)
	}
}

func (l *State) dropCheck(id string, c *check) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.checks[id] == c {
		delete(l.checks, id)
	}
}

func serviceMatches(svc *api.AgentService, ns *api.NodeService) bool {
	return ns != nil && svc.Service == ns.Service && slices.Equal(svc.Tags, ns.Tags) &&
		svc.Address == ns.Address && svc.Port == ns.Port && maps.Equal(svc.Meta, ns.Meta) &&
		svc.Weights == ns.Weights && svc.EnableTagOverride == ns.EnableTagOverride &&
		svc.SocketPath == ns.SocketPath && slices.Equal(svc.Ports, ns.Ports) &&
		maps.Equal(svc.TaggedAddresses, ns.TaggedAddresses) &&
		(svc.Locality == nil) == (ns.Locality == nil) && (svc.Locality == nil || *svc.Locality == *ns.Locality) &&
		svc.Kind == ns.Kind && sameMesh(svc.Proxy, &ns.Proxy) && sameMesh(svc.Connect, &ns.Connect)
}

// sameMesh compares a local service's Proxy or Connect block (nil when
// unset) with the catalog's (empty when unset).
func sameMesh[T any](local, catalog *T) bool {
	if local == nil {
		var zero T
		local = &zero
	}
	return reflect.DeepEqual(local, catalog)
}

func checkMatches(c, hc *api.HealthCheck) bool {
	return hc != nil && c.Name == hc.Name && c.Status == hc.Status && c.Output == hc.Output &&
		c.Notes == hc.Notes && c.ServiceID == hc.ServiceID
}

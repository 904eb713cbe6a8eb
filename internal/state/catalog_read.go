package state

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/concordhq/concord/api"
	"github.com/hashicorp/go-memdb"
)

// catalogIndex is the index of catalog reads: the last change to any
// catalog table.
func catalogIndex(tx *memdb.Txn) uint64 { return maxIndex(tx, tableNodes, tableServices, tableChecks) }

// serviceIndex is the index of reads of one service: the last change to
// it (see serviceIndexKey), or the catalog's index for a service not seen
// since the last restore.
func serviceIndex(tx *memdb.Txn, name string) uint64 {
	if idx := maxIndex(tx, serviceIndexKey(name)); idx > 0 {
		return idx
	}
	return catalogIndex(tx)
}

// Services returns every service name with the union of its instances'
// tags (sorted, without repeats).
func (s *Store) Services(ws memdb.WatchSet) (uint64, map[string][]string, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	it, err := tx.Get(tableServices, "id")
	if err != nil {
		return 0, nil, fmt.Errorf("cannot list services: %w", err)
	}
	ws.Add(it.WatchCh())
	out := map[string][]string{}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		svc := raw.(*serviceRow)
		tags := append(out[svc.Service], svc.Tags...)
		slices.Sort(tags)
		out[svc.Service] = slices.Compact(tags)
		if out[svc.Service] == nil {
			out[svc.Service] = []string{}
		}
	}
	return maxIndex(tx, tableServices), out, nil
}

// serviceRows returns the instances of service that carry every tag.
func serviceRows(tx *memdb.Txn, ws memdb.WatchSet, service string, tags []string) ([]*serviceRow, error) {
	it, err := tx.Get(tableServices, "service", service)
	if err != nil {
		return nil, fmt.Errorf("cannot list service %q: %w", service, err)
	}
	ws.Add(it.WatchCh())
	var out []*serviceRow
	for raw := it.Next(); raw != nil; raw = it.Next() {
		row := raw.(*serviceRow)
		if hasTags(row.Tags, tags) {
			out = append(out, row)
		}
	}
	return out, nil
}

// hasTags reports whether have holds every tag of want; tags match in any
// case, as in Consul.
func hasTags(have, want []string) bool {
	for _, t := range want {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, t) }) {
			return false
		}
	}
	return true
}

// ServiceNodes returns the instances of service that carry every tag, with
// their nodes' fields.
func (s *Store) ServiceNodes(ws memdb.WatchSet, service string, tags []string) (uint64, []*api.CatalogService, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	rows, err := serviceRows(tx, ws, service, tags)
	if err != nil {
		return 0, nil, err
	}
	out := []*api.CatalogService{}
	for _, row := range rows {
		n := nodeOf(tx, ws, row.Node)
		if n == nil {
			continue
		}
		out = append(out, &api.CatalogService{
			ID: n.ID, Node: n.Node, Address: n.Address, Datacenter: n.Datacenter,
			TaggedAddresses: n.TaggedAddresses, NodeMeta: n.Meta,
			ServiceID: row.ID, ServiceName: row.Service, ServiceAddress: row.Address,
			ServiceTags: row.Tags, ServiceMeta: row.Meta, ServicePort: row.Port, ServiceWeights: row.Weights,
			ServiceEnableTagOverride: row.EnableTagOverride, ServiceTaggedAddresses: row.TaggedAddresses,
			ServicePorts: row.Ports, ServiceSocketPath: row.SocketPath, ServiceLocality: row.Locality,
			ServiceKind: row.Kind, ServiceProxy: row.Proxy, ServiceConnect: row.Connect,
			CreateIndex: row.CreateIndex, ModifyIndex: row.ModifyIndex,
		})
	}
	return serviceIndex(tx, service), out, nil
}

func nodeOf(tx *memdb.Txn, ws memdb.WatchSet, name string) *api.Node {
	ch, raw, err := tx.FirstWatch(tableNodes, "id", name)
	if err != nil || raw == nil {
		return nil
	}
	ws.Add(ch)
	return raw.(*api.Node)
}

// NodeServices returns a node and its services; nil when the node is
// unknown.
func (s *Store) NodeServices(ws memdb.WatchSet, node string) (uint64, *api.CatalogNode, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	n := nodeOf(tx, ws, node)
	if n == nil {
		return catalogIndex(tx), nil, nil
	}
	it, err := tx.Get(tableServices, "node", node)
	if err != nil {
		return 0, nil, fmt.Errorf("cannot list services of %q: %w", node, err)
	}
	ws.Add(it.WatchCh())
	out := &api.CatalogNode{Node: n, Services: map[string]*api.NodeService{}}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		row := raw.(*serviceRow)
		out.Services[row.ID] = &row.NodeService
	}
	return catalogIndex(tx), out, nil
}

// ChecksInState returns every check in state ("any" for all).
func (s *Store) ChecksInState(ws memdb.WatchSet, state string) (uint64, []*api.HealthCheck, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	it, err := tx.Get(tableChecks, "id")
	if err != nil {
		return 0, nil, fmt.Errorf("cannot list checks: %w", err)
	}
	ws.Add(it.WatchCh())
	out := []*api.HealthCheck{}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if c := raw.(*api.HealthCheck); state == "any" || c.Status == state {
			out = append(out, c)
		}
	}
	return maxIndex(tx, tableChecks), out, nil
}

// CheckServiceNodes returns each instance of service carrying every tag,
// with its node and its checks (the node's own checks and the instance's).
// With passingOnly, instances with any check not passing are left out.
//
// Reads that do not block (ws nil; DNS asks this for every query) are
// answered from a cache while the service's index has not moved: the
// entries are immutable, and every change that could alter them moves
// that index in the same transaction.
func (s *Store) CheckServiceNodes(ws memdb.WatchSet, service string, tags []string, passingOnly bool) (uint64, []*api.ServiceEntry, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	idx := serviceIndex(tx, service)
	key := healthKey{service: strings.ToLower(service), tags: strings.ToLower(strings.Join(tags, "\x00")), passing: passingOnly}
	if ws == nil {
		if out, ok := s.health.get(key, idx); ok {
			return idx, out, nil
		}
	}
	out, err := checkServiceNodes(tx, ws, service, tags, passingOnly)
	if err != nil {
		return 0, nil, err
	}
	s.health.put(key, idx, out)
	return idx, out, nil
}

func checkServiceNodes(tx *memdb.Txn, ws memdb.WatchSet, service string, tags []string, passingOnly bool) ([]*api.ServiceEntry, error) {
	rows, err := serviceRows(tx, ws, service, tags)
	if err != nil {
		return nil, err
	}
	out := []*api.ServiceEntry{}
	for _, row := range rows {
		n := nodeOf(tx, ws, row.Node)
		if n == nil {
			continue
		}
		it, err := tx.Get(tableChecks, "node", row.Node)
		if err != nil {
			return nil, fmt.Errorf("cannot list checks of %q: %w", row.Node, err)
		}
		ws.Add(it.WatchCh())
		entry := &api.ServiceEntry{Node: n, Service: &row.NodeService, Checks: []*api.HealthCheck{}}
		healthy := true
		for raw := it.Next(); raw != nil; raw = it.Next() {
			c := raw.(*api.HealthCheck)
			if c.ServiceID != "" && c.ServiceID != row.ID {
				continue
			}
			entry.Checks = append(entry.Checks, c)
			healthy = healthy && c.Status == api.HealthPassing
		}
		if passingOnly && !healthy {
			continue
		}
		out = append(out, entry)
	}
	return out, nil
}

// ServiceChecks returns the checks of every instance of service.
func (s *Store) ServiceChecks(ws memdb.WatchSet, service string) (uint64, []*api.HealthCheck, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	rows, err := serviceRows(tx, ws, service, nil)
	if err != nil {
		return 0, nil, err
	}
	out := []*api.HealthCheck{}
	for _, row := range rows {
		it, err := tx.Get(tableChecks, "node", row.Node)
		if err != nil {
			return 0, nil, fmt.Errorf("cannot list checks of %q: %w", row.Node, err)
		}
		ws.Add(it.WatchCh())
		for raw := it.Next(); raw != nil; raw = it.Next() {
			if c := raw.(*api.HealthCheck); c.ServiceID == row.ID {
				out = append(out, c)
			}
		}
	}
	return serviceIndex(tx, service), out, nil
}

// healthKey names one health read of a service.
type healthKey struct {
	service, tags string
	passing       bool
}

// healthCache holds recent health reads of services, each valid while
// its service's index stays where it was.
type healthCache struct {
	mu      sync.Mutex
	entries map[healthKey]healthEntry // guarded by mu; nil until first use
}

type healthEntry struct {
	idx uint64
	out []*api.ServiceEntry
}

// maxHealthCache bounds the cache; when full it starts over.
const maxHealthCache = 1024

func (c *healthCache) get(k healthKey, idx uint64) ([]*api.ServiceEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	return e.out, ok && e.idx == idx
}

func (c *healthCache) put(k healthKey, idx uint64, out []*api.ServiceEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxHealthCache {
		c.entries = make(map[healthKey]healthEntry)
	}
	c.entries[k] = healthEntry{idx: idx, out: out}
}

package state

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/hashicorp/go-memdb"
)

// EnsureRegistration applies a catalog registration: the node (unless
// SkipNodeUpdate), its service and its checks. Unchanged entries keep their
// ModifyIndex, so watchers do not wake for nothing. A check that is critical
// after the write invalidates the sessions bound to it. now is the leader's
// clock when the command was made (for lock-delays).
func (t *Txn) EnsureRegistration(idx uint64, now time.Time, req *api.CatalogRegistration) error {
	if req.Node == "" {
		return fmt.Errorf("missing node name")
	}
	if !req.SkipNodeUpdate || t.node(req.Node) == nil {
		if err := t.ensureNode(idx, &api.Node{
			ID: req.ID, Node: req.Node, Address: req.Address, Datacenter: req.Datacenter,
			TaggedAddresses: req.TaggedAddresses, Meta: req.NodeMeta,
		}); err != nil {
			return err
		}
	}
	if req.Service != nil {
		if err := t.ensureService(idx, req.Node, req.Service); err != nil {
			return err
		}
	}
	checks := req.Checks
	if req.Check != nil {
		checks = append([]*api.HealthCheck{req.Check}, checks...)
	}
	for _, c := range checks {
		if err := t.ensureCheck(idx, now, req.Node, c); err != nil {
			return err
		}
	}
	return nil
}

func (t *Txn) node(name string) *api.Node {
	raw, err := t.tx.First(tableNodes, "id", name)
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*api.Node)
}

func (t *Txn) ensureNode(idx uint64, n *api.Node) error {
	n.CreateIndex, n.ModifyIndex = idx, idx
	if old := t.node(n.Node); old != nil {
		n.CreateIndex, n.ModifyIndex = old.CreateIndex, old.ModifyIndex
		if n.ID == "" {
			n.ID = old.ID
		}
		if nodesEqual(old, n) {
			return nil
		}
		n.ModifyIndex = idx
	}
	if err := t.tx.Insert(tableNodes, n); err != nil {
		return fmt.Errorf("cannot register node %q: %w", n.Node, err)
	}
	t.setIndex(tableNodes, idx)
	t.touchNodeServices(idx, n.Node)
	return nil
}

// serviceIndexKey names the index-table entry that tracks one service. It
// moves whenever an instance of the service, one of its checks or its node
// changes, so a blocking read of the service wakes for that and nothing
// else.
func serviceIndexKey(name string) string { return "service." + strings.ToLower(name) }

func (t *Txn) touchService(idx uint64, name string) { t.setIndex(serviceIndexKey(name), idx) }

// touchNodeServices moves the index of every service on node.
func (t *Txn) touchNodeServices(idx uint64, node string) {
	it, err := t.tx.Get(tableServices, "node", node)
	if err != nil {
		return
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		t.touchService(idx, raw.(*serviceRow).Service)
	}
}

// touchCheck moves the indexes a check change matters to: its service's,
// or every service on the node for a node-level check.
func (t *Txn) touchCheck(idx uint64, c *api.HealthCheck) {
	if c.ServiceID != "" {
		t.touchService(idx, c.ServiceName)
		return
	}
	t.touchNodeServices(idx, c.Node)
}

func nodesEqual(a, b *api.Node) bool {
	return a.ID == b.ID && a.Address == b.Address && a.Datacenter == b.Datacenter &&
		maps.Equal(a.TaggedAddresses, b.TaggedAddresses) && maps.Equal(a.Meta, b.Meta)
}

func (t *Txn) ensureService(idx uint64, node string, svc *api.NodeService) error {
	if svc.ID == "" {
		svc.ID = svc.Service
	}
	if svc.ID == "" {
		return fmt.Errorf("missing service name")
	}
	row := &serviceRow{Node: node, NodeService: *svc}
	if row.Weights == (api.AgentWeights{}) {
		row.Weights = api.AgentWeights{Passing: 1, Warning: 1}
	}
	if row.Tags == nil {
		row.Tags = []string{} // Consul answers [] for no tags, never null
	}
	row.CreateIndex, row.ModifyIndex = idx, idx
	raw, err := t.tx.First(tableServices, "id", node, svc.ID)
	if err != nil {
		return fmt.Errorf("cannot read service %q: %w", svc.ID, err)
	}
	if raw != nil {
		old := raw.(*serviceRow)
		row.CreateIndex, row.ModifyIndex = old.CreateIndex, old.ModifyIndex
		if servicesEqual(&old.NodeService, &row.NodeService) {
			return nil
		}
		row.ModifyIndex = idx
		t.touchService(idx, old.Service)
	}
	if err := t.tx.Insert(tableServices, row); err != nil {
		return fmt.Errorf("cannot register service %q: %w", svc.ID, err)
	}
	t.setIndex(tableServices, idx)
	t.touchService(idx, row.Service)
	return nil
}

func servicesEqual(a, b *api.NodeService) bool {
	return a.ID == b.ID && a.Service == b.Service && slices.Equal(a.Tags, b.Tags) &&
		a.Address == b.Address && maps.Equal(a.Meta, b.Meta) && a.Port == b.Port && a.Weights == b.Weights &&
		a.EnableTagOverride == b.EnableTagOverride && maps.Equal(a.TaggedAddresses, b.TaggedAddresses) &&
		slices.Equal(a.Ports, b.Ports) && a.SocketPath == b.SocketPath && sameLocality(a.Locality, b.Locality) &&
		a.Kind == b.Kind && reflect.DeepEqual(a.Proxy, b.Proxy) && reflect.DeepEqual(a.Connect, b.Connect)
}

func sameLocality(a, b *api.Locality) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

func (t *Txn) ensureCheck(idx uint64, now time.Time, node string, c *api.HealthCheck) error {
	if c.CheckID == "" {
		c.CheckID = c.Name
	}
	if c.CheckID == "" {
		return fmt.Errorf("missing check ID")
	}
	c.Node = node
	if c.Type == "" {
		c.Type = c.Definition.Kind()
	}
	switch c.Status {
	case "":
		c.Status = api.HealthCritical
	case api.HealthPassing, api.HealthWarning, api.HealthCritical:
	default:
		return fmt.Errorf("invalid check status %q", c.Status)
	}
	if c.ServiceID != "" {
		raw, err := t.tx.First(tableServices, "id", node, c.ServiceID)
		if err != nil || raw == nil {
			// The request names a service that does not exist: its fault (400).
			return api.BadRequestError{Reason: fmt.Sprintf("Missing service %q for check %q", c.ServiceID, c.CheckID)}
		}
		svc := raw.(*serviceRow)
		c.ServiceName, c.ServiceTags = svc.Service, svc.Tags
	}
	c.CreateIndex, c.ModifyIndex = idx, idx
	raw, err := t.tx.First(tableChecks, "id", node, c.CheckID)
	if err != nil {
		return fmt.Errorf("cannot read check %q: %w", c.CheckID, err)
	}
	if raw != nil {
		old := raw.(*api.HealthCheck)
		c.CreateIndex, c.ModifyIndex = old.CreateIndex, old.ModifyIndex
		if checksEqual(old, c) {
			return nil
		}
		c.ModifyIndex = idx
	}
	if err := t.tx.Insert(tableChecks, c); err != nil {
		return fmt.Errorf("cannot register check %q: %w", c.CheckID, err)
	}
	t.setIndex(tableChecks, idx)
	t.touchCheck(idx, c)
	if c.Status == api.HealthCritical {
		return t.invalidateCheckSessions(idx, now, node, c.CheckID)
	}
	return nil
}

func checksEqual(a, b *api.HealthCheck) bool {
	return a.Name == b.Name && a.Status == b.Status && a.Notes == b.Notes && a.Output == b.Output &&
		a.ServiceID == b.ServiceID && a.ServiceName == b.ServiceName &&
		slices.Equal(a.ServiceTags, b.ServiceTags) && a.Type == b.Type && reflect.DeepEqual(a.Definition, b.Definition)
}

// invalidateCheckSessions destroys every session bound to node's check.
func (t *Txn) invalidateCheckSessions(idx uint64, now time.Time, node, checkID string) error {
	it, err := t.tx.Get(tableSessionChecks, "node_check", node, checkID)
	if err != nil {
		return fmt.Errorf("cannot list sessions of check %q: %w", checkID, err)
	}
	var ids []string
	for raw := it.Next(); raw != nil; raw = it.Next() {
		ids = append(ids, raw.(*sessionCheck).Session)
	}
	for _, id := range ids {
		if err := t.SessionDestroy(idx, now, id); err != nil {
			return err
		}
	}
	return nil
}

// Deregister removes a whole node (with its services, checks and
// sessions), or one service (with its checks), or one check. Sessions bound
// to a removed check are invalidated.
func (t *Txn) Deregister(idx uint64, now time.Time, req *api.CatalogDeregistration) error {
	switch {
	case req.CheckID != "":
		return t.deleteCheck(idx, now, req.Node, req.CheckID)
	case req.ServiceID != "":
		return t.deleteService(idx, now, req.Node, req.ServiceID)
	}
	return t.deleteNode(idx, now, req.Node)
}

func (t *Txn) deleteCheck(idx uint64, now time.Time, node, checkID string) error {
	raw, err := t.tx.First(tableChecks, "id", node, checkID)
	if err != nil || raw == nil {
		return err
	}
	if err := t.tx.Delete(tableChecks, raw); err != nil {
		return fmt.Errorf("cannot delete check %q: %w", checkID, err)
	}
	t.setIndex(tableChecks, idx)
	t.touchCheck(idx, raw.(*api.HealthCheck))
	return t.invalidateCheckSessions(idx, now, node, checkID)
}

func (t *Txn) deleteService(idx uint64, now time.Time, node, serviceID string) error {
	raw, err := t.tx.First(tableServices, "id", node, serviceID)
	if err != nil || raw == nil {
		return err
	}
	if err := t.tx.Delete(tableServices, raw); err != nil {
		return fmt.Errorf("cannot delete service %q: %w", serviceID, err)
	}
	t.setIndex(tableServices, idx)
	t.touchService(idx, raw.(*serviceRow).Service)
	for _, c := range t.nodeChecks(node) {
		if c.ServiceID == serviceID {
			if err := t.deleteCheck(idx, now, node, c.CheckID); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *Txn) deleteNode(idx uint64, now time.Time, node string) error {
	n := t.node(node)
	if n == nil {
		return nil
	}
	for _, c := range t.nodeChecks(node) {
		if err := t.deleteCheck(idx, now, node, c.CheckID); err != nil {
			return err
		}
	}
	t.touchNodeServices(idx, node)
	if _, err := t.tx.DeleteAll(tableServices, "node", node); err != nil {
		return fmt.Errorf("cannot delete services of %q: %w", node, err)
	}
	it, err := t.tx.Get(tableSessions, "node", node)
	if err != nil {
		return fmt.Errorf("cannot list sessions of %q: %w", node, err)
	}
	var ids []string
	for raw := it.Next(); raw != nil; raw = it.Next() {
		ids = append(ids, raw.(*api.SessionEntry).ID)
	}
	for _, id := range ids {
		if err := t.SessionDestroy(idx, now, id); err != nil {
			return err
		}
	}
	if err := t.tx.Delete(tableNodes, n); err != nil {
		return fmt.Errorf("cannot delete node %q: %w", node, err)
	}
	if err := t.deleteNodeCoordinates(idx, node); err != nil {
		return err
	}
	t.setIndex(tableServices, idx)
	t.setIndex(tableNodes, idx)
	return nil
}

func (t *Txn) nodeChecks(node string) []*api.HealthCheck {
	it, err := t.tx.Get(tableChecks, "node", node)
	if err != nil {
		return nil
	}
	var out []*api.HealthCheck
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*api.HealthCheck))
	}
	return out
}

// Node returns one catalog node, or nil.
func (s *Store) Node(ws memdb.WatchSet, name string) (uint64, *api.Node, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	ch, raw, err := tx.FirstWatch(tableNodes, "id", name)
	if err != nil {
		return 0, nil, fmt.Errorf("cannot read node %q: %w", name, err)
	}
	ws.Add(ch)
	idx := maxIndex(tx, tableNodes)
	if raw == nil {
		return idx, nil, nil
	}
	return idx, raw.(*api.Node), nil
}

// Nodes returns every catalog node, sorted by name.
func (s *Store) Nodes(ws memdb.WatchSet) (uint64, []*api.Node, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	it, err := tx.Get(tableNodes, "id")
	if err != nil {
		return 0, nil, fmt.Errorf("cannot list nodes: %w", err)
	}
	ws.Add(it.WatchCh())
	out := []*api.Node{}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*api.Node))
	}
	return maxIndex(tx, tableNodes), out, nil
}

// NodeChecks returns the checks of one node.
func (s *Store) NodeChecks(ws memdb.WatchSet, node string) (uint64, []*api.HealthCheck, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	it, err := tx.Get(tableChecks, "node", node)
	if err != nil {
		return 0, nil, fmt.Errorf("cannot list checks of %q: %w", node, err)
	}
	ws.Add(it.WatchCh())
	out := []*api.HealthCheck{}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*api.HealthCheck))
	}
	return maxIndex(tx, tableChecks), out, nil
}

package acl

import "github.com/concordhq/concord/api"

// The Filter methods leave out of a read's result what the token may not
// read, as Consul does for lists, and report whether they left anything
// out (for X-Consul-Results-Filtered-By-ACLs). They never change their
// argument: when something is left out they return a new slice or map,
// else the argument itself.

// FilterKVPairs keeps the pairs whose key the token may read.
func (a *Authorizer) FilterKVPairs(ps []*api.KVPair) ([]*api.KVPair, bool) {
	return filter(a, ps, func(p *api.KVPair) bool { return a.Allowed(Key, p.Key, Read) })
}

// FilterKeys keeps the keys (and, with a separator, the folders such as
// "a/") the token may read.
func (a *Authorizer) FilterKeys(keys []string) ([]string, bool) {
	return filter(a, keys, func(k string) bool { return a.Allowed(Key, k, Read) })
}

// FilterNodes keeps the nodes the token may read.
func (a *Authorizer) FilterNodes(ns []*api.Node) ([]*api.Node, bool) {
	return filter(a, ns, func(n *api.Node) bool { return a.Allowed(Node, n.Node, Read) })
}

// FilterCoordinates keeps the coordinates of the nodes the token may read.
func (a *Authorizer) FilterCoordinates(cs []*api.CoordinateEntry) ([]*api.CoordinateEntry, bool) {
	return filter(a, cs, func(c *api.CoordinateEntry) bool { return a.Allowed(Node, c.Node, Read) })
}

// FilterServices keeps the services (a map from service name to tags, as
// /v1/catalog/services answers) the token may read.
func (a *Authorizer) FilterServices(ss map[string][]string) (map[string][]string, bool) {
	if a.manage {
		return ss, false
	}
	out := make(map[string][]string, len(ss))
	for name, tags := range ss {
		if a.Allowed(Service, name, Read) {
			out[name] = tags
		}
	}
	if len(out) == len(ss) {
		return ss, false
	}
	return out, true
}

// FilterCatalogServices keeps the instances whose node and service the
// token may both read.
func (a *Authorizer) FilterCatalogServices(ss []*api.CatalogService) ([]*api.CatalogService, bool) {
	return filter(a, ss, func(s *api.CatalogService) bool {
		return a.Allowed(Node, s.Node, Read) && a.Allowed(Service, s.ServiceName, Read)
	})
}

// FilterServiceEntries keeps the entries whose node and service the token
// may both read.
func (a *Authorizer) FilterServiceEntries(es []*api.ServiceEntry) ([]*api.ServiceEntry, bool) {
	return filter(a, es, func(e *api.ServiceEntry) bool {
		return e.Node != nil && e.Service != nil &&
			a.Allowed(Node, e.Node.Node, Read) && a.Allowed(Service, e.Service.Service, Read)
	})
}

// FilterHealthChecks keeps the checks whose node the token may read and,
// for a service's check, whose service it may read too.
func (a *Authorizer) FilterHealthChecks(cs []*api.HealthCheck) ([]*api.HealthCheck, bool) {
	return filter(a, cs, func(c *api.HealthCheck) bool {
		return a.Allowed(Node, c.Node, Read) && (c.ServiceName == "" || a.Allowed(Service, c.ServiceName, Read))
	})
}

// FilterSessions keeps the sessions whose node the token may read
// sessions of.
func (a *Authorizer) FilterSessions(ss []*api.SessionEntry) ([]*api.SessionEntry, bool) {
	return filter(a, ss, func(s *api.SessionEntry) bool { return a.Allowed(Session, s.Node, Read) })
}

// FilterCatalogNode returns the node with the services the token may
// read, or nil if it may not read the node.
func (a *Authorizer) FilterCatalogNode(n *api.CatalogNode) (*api.CatalogNode, bool) {
	if n == nil || a.manage {
		return n, false
	}
	if n.Node == nil || !a.Allowed(Node, n.Node.Node, Read) {
		return nil, true
	}
	out := make(map[string]*api.NodeService, len(n.Services))
	for id, s := range n.Services {
		if s != nil && a.Allowed(Service, s.Service, Read) {
			out[id] = s
		}
	}
	if len(out) == len(n.Services) {
		return n, false
	}
	return &api.CatalogNode{Node: n.Node, Services: out}, true
}

// filter returns the elements of in that keep accepts, and whether it
// left any out; in itself when it left none.
func filter[T any](a *Authorizer, in []T, keep func(T) bool) ([]T, bool) {
	if a.manage {
		return in, false
	}
	for i, v := range in {
		if keep(v) {
			continue
		}
		out := make([]T, i, len(in)-1)
		copy(out, in[:i])
		for _, v := range in[i+1:] {
			if keep(v) {
				out = append(out, v)
			}
		}
		return out, true
	}
	return in, false
}

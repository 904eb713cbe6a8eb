// Package wanaddr gives the addresses other datacenters reach a
// datacenter's nodes and services at, for translate_wan_addrs: an agent
// with it answers a request about another datacenter (the HTTP API's ?dc,
// DNS names in another datacenter, a prepared query answered by another
// datacenter) with each node's WAN address (its "wan" tagged address,
// which advertise_addr_wan sets, else "wan_ipv4") and each service's
// "wan" tagged address and port where it has one, as Consul does.
//
// The answers it is given may be shared (an agent cache's entries, a
// local call's result), so it never changes them: it returns copies.
package wanaddr

import "github.com/concordhq/concord/api"

// nodeAddr is the address of a node with addr and tagged addresses as
// other datacenters reach it.
func nodeAddr(addr string, tagged map[string]string) string {
	for _, k := range []string{"wan", "wan_ipv4"} {
		if a := tagged[k]; a != "" {
			return a
		}
	}
	return addr
}

// serviceAddr is a service's address and port as other datacenters reach
// it: its "wan" (or "wan_ipv4") tagged address and that address's port
// when set, else addr and port.
func serviceAddr(addr string, port int, tagged map[string]api.ServiceAddress) (string, int) {
	for _, k := range []string{"wan", "wan_ipv4"} {
		if a, ok := tagged[k]; ok && a.Address != "" {
			if a.Port != 0 {
				port = a.Port
			}
			return a.Address, port
		}
	}
	return addr, port
}

// Node returns a copy of n with its WAN address (nil for nil).
func Node(n *api.Node) *api.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Address = nodeAddr(n.Address, n.TaggedAddresses)
	return &c
}

// Service returns a copy of s with its WAN address and port.
func Service(s *api.NodeService) *api.NodeService {
	if s == nil {
		return nil
	}
	c := *s
	c.Address, c.Port = serviceAddr(s.Address, s.Port, s.TaggedAddresses)
	return &c
}

// ServiceEntries returns es with each node and service translated.
func ServiceEntries(es []*api.ServiceEntry) []*api.ServiceEntry {
	if es == nil {
		return nil
	}
	out := make([]*api.ServiceEntry, len(es))
	for i, e := range es {
		c := *e
		c.Node, c.Service = Node(e.Node), Service(e.Service)
		out[i] = &c
	}
	return out
}

// Nodes returns ns translated.
func Nodes(ns []*api.Node) []*api.Node {
	if ns == nil {
		return nil
	}
	out := make([]*api.Node, len(ns))
	for i, n := range ns {
		out[i] = Node(n)
	}
	return out
}

// CatalogServices returns ss translated: each node's address and each
// service's address and port.
func CatalogServices(ss []*api.CatalogService) []*api.CatalogService {
	if ss == nil {
		return nil
	}
	out := make([]*api.CatalogService, len(ss))
	for i, s := range ss {
		c := *s
		c.Address = nodeAddr(s.Address, s.TaggedAddresses)
		c.ServiceAddress, c.ServicePort = serviceAddr(s.ServiceAddress, s.ServicePort, s.ServiceTaggedAddresses)
		out[i] = &c
	}
	return out
}

// CatalogNode returns cn with its node and services translated.
func CatalogNode(cn *api.CatalogNode) *api.CatalogNode {
	if cn == nil {
		return nil
	}
	c := api.CatalogNode{Node: Node(cn.Node)}
	if cn.Services != nil {
		c.Services = make(map[string]*api.NodeService, len(cn.Services))
		for id, s := range cn.Services {
			c.Services[id] = Service(s)
		}
	}
	return &c
}

// QueryResponse returns r with its instances translated.
func QueryResponse(r *api.PreparedQueryExecuteResponse) *api.PreparedQueryExecuteResponse {
	if r == nil {
		return nil
	}
	c := *r
	c.Nodes = ServiceEntries(r.Nodes)
	return &c
}

// Result translates an HTTP or DNS answer of one of the types above,
// given as is; any other value is returned unchanged.
func Result(v any) any {
	switch v := v.(type) {
	case []*api.Node:
		return Nodes(v)
	case []*api.ServiceEntry:
		return ServiceEntries(v)
	case []*api.CatalogService:
		return CatalogServices(v)
	case *api.CatalogNode:
		return CatalogNode(v)
	case *api.PreparedQueryExecuteResponse:
		return QueryResponse(v)
	}
	return v
}

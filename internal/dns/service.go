package dns

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"

	mdns "github.com/miekg/dns"

	"github.com/concordhq/concord/api"
)

// serveService answers [<tag>.]<service>.service[.<dc>].<domain> and the
// RFC 2782 names: for SRV one record per healthy instance, with the
// targets' addresses as additional records; for other types the
// instances' addresses. The instances come in a new random order on every
// query. A service with no healthy instance is unknown (NXDOMAIN), as in
// Consul.
func (s *Server) serveService(ctx context.Context, req *request, dc, service, tag string, m *mdns.Msg) error {
	var tags []string
	if tag != "" {
		tags = []string{tag}
	}
	entries, err := s.cat.ServiceEntries(ctx, dc, service, tags)
	if err != nil {
		return fmt.Errorf("cannot read service %q: %w", service, err)
	}
	healthy := s.healthy(entries)
	if len(healthy) == 0 {
		return errNoName
	}
	rand.Shuffle(len(healthy), func(i, j int) { healthy[i], healthy[j] = healthy[j], healthy[i] })
	ttl := ttlOf(s.cfg.ServiceTTL)
	if req.qtype == mdns.TypeSRV {
		s.appendSRVs(ctx, req, healthy, ttl, m)
	} else {
		s.appendServiceAddrs(ctx, req, healthy, ttl, m)
	}
	return nil
}

// healthy returns, in a new slice, the entries with no critical check
// (and, with Config.OnlyPassing, no check other than passing). Node checks
// count; checks of the node's other services do not.
func (s *Server) healthy(entries []*api.ServiceEntry) []*api.ServiceEntry {
	out := make([]*api.ServiceEntry, 0, len(entries))
next:
	for _, e := range entries {
		if e == nil || e.Node == nil || e.Service == nil {
			continue
		}
		for _, c := range e.Checks {
			if c == nil || (c.ServiceID != "" && c.ServiceID != e.Service.ID) {
				continue
			}
			if c.Status == api.HealthCritical || (s.cfg.OnlyPassing && c.Status != api.HealthPassing) {
				continue next
			}
		}
		out = append(out, e)
	}
	return out
}

// appendServiceAddrs answers address queries: the address of each
// instance (its service address, else its node's), once per address, at
// most req.limit of them when it is set.
func (s *Server) appendServiceAddrs(ctx context.Context, req *request, healthy []*api.ServiceEntry, ttl uint32, m *mdns.Msg) {
	n := len(healthy)
	if req.limit > 0 {
		n = min(n, req.limit)
	}
	m.Answer = make([]mdns.RR, 0, n)
	seen := newSet(len(healthy))
	defer seen.release()
	answered := 0
	for _, e := range healthy {
		addr := e.Service.Address
		if addr == "" {
			addr = e.Node.Address
		}
		if req.limit > 0 && answered >= req.limit {
			if !seen.has(addr) && answers(addr, req.qtype) {
				req.cut = true
				return
			}
			continue
		}
		if !seen.add(addr) {
			continue
		}
		before := len(m.Answer)
		m.Answer = s.appendAddr(ctx, m.Answer, req.qtype, req.name, addr, ttl)
		if len(m.Answer) > before {
			answered++
		}
	}
}

// set is a set of strings, for one query: a slice while small, as most
// are, else a map from a pool.
type set struct {
	list []string
	m    map[string]struct{} // nil while small
}

// setListMax is the most strings a set keeps in a slice.
const setListMax = 16

// setPool holds the maps of sets, empty.
var setPool = sync.Pool{New: func() any { return make(map[string]struct{}) }}

// newSet returns a set for n strings; call release when done with it.
func newSet(n int) set {
	if n > setListMax {
		return set{m: setPool.Get().(map[string]struct{})}
	}
	return set{list: make([]string, 0, n)}
}

// release hands the set's map back to the pool.
func (s *set) release() {
	if s.m != nil {
		clear(s.m)
		setPool.Put(s.m)
		s.m = nil
	}
}

func (s *set) has(v string) bool {
	if s.m != nil {
		_, ok := s.m[v]
		return ok
	}
	return slices.Contains(s.list, v)
}

// add adds v and reports whether it was not there yet.
func (s *set) add(v string) bool {
	if s.has(v) {
		return false
	}
	if s.m != nil {
		s.m[v] = struct{}{}
	} else {
		s.list = append(s.list, v)
	}
	return true
}

// answers reports whether appendAddr gives records of addr for qtype.
func answers(addr string, qtype uint16) bool {
	ip, ok := parseIP(addr)
	switch {
	case addr == "":
		return false
	case !ok: // a host name: a CNAME
		return qtype == mdns.TypeA || qtype == mdns.TypeAAAA || qtype == mdns.TypeANY || qtype == mdns.TypeCNAME
	case ip.Unmap().Is4():
		return qtype == mdns.TypeA || qtype == mdns.TypeANY
	}
	return qtype == mdns.TypeAAAA || qtype == mdns.TypeANY
}

// appendSRVs answers SRV queries: a record per instance, whose target is
// <hex>.addr.<dc>.<domain> when the service has an IP address of its own,
// that host name when it has a host name, else <node>.node.<dc>.<domain>;
// each target's addresses go once in the additional section.
func (s *Server) appendSRVs(ctx context.Context, req *request, healthy []*api.ServiceEntry, ttl uint32, m *mdns.Msg) {
	// Build no more records than can fit: floor is the fewest bytes
	// those built so far take.
	floor := headerLen
	n := min(len(healthy), req.size/minSRVLen+1)
	req.srvEnds = make([]int, 0, n)
	m.Answer = make([]mdns.RR, 0, n)
	m.Extra = make([]mdns.RR, 0, n+1) // room for the OPT record
	srvs := make([]mdns.SRV, n)       // one allocation for all
	seen := newSet(n)
	defer seen.release()
	for i, e := range healthy {
		if floor > req.size {
			req.full = true
			break
		}
		extras := len(m.Extra)
		var target string
		addr := e.Service.Address
		ip, isIP := parseIP(addr)
		switch {
		case isIP:
			target = hexAddr(ip) + req.zone.addrSuffix
		case addr != "":
			target = mdns.Fqdn(addr)
		default:
			target = e.Node.Node + req.zone.nodeSuffix
		}
		srvs[i] = mdns.SRV{
			Hdr:      header(req.name, mdns.TypeSRV, ttl),
			Priority: 1,
			Weight:   1,
			Port:     uint16(min(max(e.Service.Port, 0), 65535)),
			Target:   target,
		}
		m.Answer = append(m.Answer, &srvs[i])
		if seen.add(target) {
			switch {
			case isIP:
				m.Extra = appendIP(m.Extra, target, ip, mdns.TypeANY, ttl)
			case addr != "":
				if ip, ok := s.resolveLocal(ctx, target); ok {
					m.Extra = appendIP(m.Extra, target, ip, mdns.TypeANY, ttl)
				}
			default:
				m.Extra = s.appendAddr(ctx, m.Extra, mdns.TypeANY, target, e.Node.Address, ttl)
			}
		}
		req.srvEnds = append(req.srvEnds, len(m.Extra))
		floor += minSRVLen + minExtraLen*(len(m.Extra)-extras)
	}
}

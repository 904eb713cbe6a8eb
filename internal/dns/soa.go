package dns

import (
	"time"

	mdns "github.com/miekg/dns"
)

// The SOA timers, in seconds: Consul's defaults.
const (
	soaRefresh = 3600
	soaRetry   = 600
	soaExpire  = 86400
	soaMinTTL  = 0
)

// serveApex answers the domain itself: its SOA and NS records.
func (s *Server) serveApex(req *request, m *mdns.Msg) error {
	if req.qtype == mdns.TypeSOA || req.qtype == mdns.TypeANY {
		soa := req.zone.soa()
		soa.Hdr.Name = req.name
		m.Answer = append(m.Answer, soa)
	}
	if req.qtype == mdns.TypeNS || req.qtype == mdns.TypeANY {
		ns := req.zone.ns
		m.Answer = append(m.Answer, &mdns.NS{Hdr: header(req.name, mdns.TypeNS, ttlOf(s.cfg.NodeTTL)), Ns: ns})
		if s.nsAddr.IsValid() {
			m.Extra = appendIP(m.Extra, ns, s.nsAddr, mdns.TypeANY, ttlOf(s.cfg.NodeTTL))
		}
	}
	return nil
}

// serveNSHost answers ns.<domain>, the name our NS record gives: the
// address the server listens on, unless it listens on all of them.
func (s *Server) serveNSHost(req *request, m *mdns.Msg) error {
	if s.nsAddr.IsValid() {
		m.Answer = appendIP(m.Answer, req.name, s.nsAddr, req.qtype, ttlOf(s.cfg.NodeTTL))
	}
	return nil
}

// soa returns the SOA record of z, as negative answers carry it in their
// authority section. Its serial is the current Unix time.
func (z *zone) soa() *mdns.SOA {
	return &mdns.SOA{
		Hdr:     header(z.domain, mdns.TypeSOA, soaMinTTL),
		Ns:      z.ns,
		Mbox:    z.hostmaster,
		Serial:  uint32(time.Now().Unix()),
		Refresh: soaRefresh,
		Retry:   soaRetry,
		Expire:  soaExpire,
		Minttl:  soaMinTTL,
	}
}

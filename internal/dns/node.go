package dns

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	mdns "github.com/miekg/dns"
)

// serveNode answers <node>.node[.<dc>].<domain>: the node's address, and
// its meta as TXT records when asked for TXT or ANY.
func (s *Server) serveNode(ctx context.Context, req *request, dc, name string, m *mdns.Msg) error {
	n, err := s.cat.Node(ctx, dc, name)
	if err != nil {
		return fmt.Errorf("cannot read node %q: %w", name, err)
	}
	if n == nil {
		return errNoName
	}
	ttl := ttlOf(s.cfg.NodeTTL)
	m.Answer = s.appendAddr(ctx, m.Answer, req.qtype, req.name, n.Address, ttl)
	if req.qtype == mdns.TypeTXT || req.qtype == mdns.TypeANY {
		m.Answer = appendMetaTXT(m.Answer, req.name, n.Meta, ttl)
	}
	return nil
}

// appendAddr appends the records of addr, an IP address or a host name,
// that answer qtype under owner: A or AAAA for an IP; a CNAME for a host
// name, followed by the host's address records when the host is a node
// or addr name of our domain.
func (s *Server) appendAddr(ctx context.Context, rrs []mdns.RR, qtype uint16, owner, addr string, ttl uint32) []mdns.RR {
	if ip, ok := parseIP(addr); ok {
		return appendIP(rrs, owner, ip, qtype, ttl)
	}
	if addr == "" {
		return rrs
	}
	switch qtype {
	case mdns.TypeA, mdns.TypeAAAA, mdns.TypeANY, mdns.TypeCNAME:
	default:
		return rrs
	}
	target := mdns.Fqdn(addr)
	rrs = append(rrs, &mdns.CNAME{Hdr: header(owner, mdns.TypeCNAME, ttl), Target: target})
	if qtype != mdns.TypeCNAME {
		if ip, ok := s.resolveLocal(ctx, target); ok {
			rrs = appendIP(rrs, target, ip, qtype, ttl)
		}
	}
	return rrs
}

// resolveLocal returns the address of target when it is a node or addr
// name of our domain whose address is an IP. It goes one step only, so
// names pointing at each other cannot loop.
func (s *Server) resolveLocal(ctx context.Context, target string) (netip.Addr, bool) {
	pq, ok := s.parseName(strings.ToLower(target))
	if !ok || (pq.dc != "" && pq.dc != s.dc) {
		return netip.Addr{}, false
	}
	switch pq.form {
	case formAddr:
		return parseHexAddr(pq.name)
	case formNode:
		n, err := s.cat.Node(ctx, "", pq.name)
		if err != nil || n == nil {
			return netip.Addr{}, false
		}
		return parseIP(n.Address)
	}
	return netip.Addr{}, false
}

// parseIP parses addr as an IP address; "" (an address not set) is not
// one, and costs no error.
func parseIP(addr string) (netip.Addr, bool) {
	if addr == "" {
		return netip.Addr{}, false
	}
	ip, err := netip.ParseAddr(addr)
	return ip, err == nil
}

// appendIP appends an A or AAAA record for ip when qtype asks for one.
func appendIP(rrs []mdns.RR, owner string, ip netip.Addr, qtype uint16, ttl uint32) []mdns.RR {
	ip = ip.Unmap()
	if ip.Is4() {
		if qtype == mdns.TypeA || qtype == mdns.TypeANY {
			return append(rrs, &mdns.A{Hdr: header(owner, mdns.TypeA, ttl), A: ip.AsSlice()})
		}
		return rrs
	}
	if qtype == mdns.TypeAAAA || qtype == mdns.TypeANY {
		return append(rrs, &mdns.AAAA{Hdr: header(owner, mdns.TypeAAAA, ttl), AAAA: ip.AsSlice()})
	}
	return rrs
}

// appendMetaTXT appends one TXT record per meta pair, as RFC 1464's
// "key=value", in key order; keys starting with "rfc1035-" give the value
// alone.
func appendMetaTXT(rrs []mdns.RR, owner string, meta map[string]string, ttl uint32) []mdns.RR {
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		text := k + "=" + meta[k]
		if v, ok := strings.CutPrefix(k, "rfc1035-"); ok && v != "" {
			text = meta[k]
		}
		rrs = append(rrs, &mdns.TXT{Hdr: header(owner, mdns.TypeTXT, ttl), Txt: txtStrings(text)})
	}
	return rrs
}

// txtStrings splits text into character-strings of at most 255 bytes, in
// the escaped form miekg/dns packs.
func txtStrings(text string) []string {
	var out []string
	for {
		chunk := text[:min(len(text), 255)]
		out = append(out, escapeTXT(chunk))
		text = text[len(chunk):]
		if text == "" {
			return out
		}
	}
}

// escapeTXT escapes backslashes, quotes and unprintable bytes of s.
func escapeTXT(s string) string {
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		plain = s[i] >= ' ' && s[i] <= '~' && s[i] != '\\' && s[i] != '"'
	}
	if plain {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c > '~':
			b.WriteByte('\\')
			b.WriteByte('0' + c/100)
			b.WriteByte('0' + c/10%10)
			b.WriteByte('0' + c%10)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// header returns a record header of class IN.
func header(owner string, rrtype uint16, ttl uint32) mdns.RR_Header {
	return mdns.RR_Header{Name: owner, Rrtype: rrtype, Class: mdns.ClassINET, Ttl: ttl}
}

package dns

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	mdns "github.com/miekg/dns"
)

// The reverse zones.
const (
	reverse4 = ".in-addr.arpa."
	reverse6 = ".ip6.arpa."
)

// servePTR answers a reverse name of ip: a PTR record to
// <node>.node.<dc>.<domain> for each node with that address.
func (s *Server) servePTR(ctx context.Context, req *request, ip netip.Addr, m *mdns.Msg) error {
	nodes, err := s.cat.Nodes(ctx)
	if err != nil {
		return fmt.Errorf("cannot list nodes: %w", err)
	}
	found := false
	for _, n := range nodes {
		if n == nil {
			continue
		}
		if a, ok := parseIP(n.Address); !ok || a.Unmap() != ip {
			continue
		}
		found = true
		if req.qtype == mdns.TypePTR || req.qtype == mdns.TypeANY {
			m.Answer = append(m.Answer, &mdns.PTR{
				Hdr: header(req.name, mdns.TypePTR, ttlOf(s.cfg.NodeTTL)),
				Ptr: n.Node + s.primary.nodeSuffix,
			})
		}
	}
	if !found {
		return errNoName
	}
	return nil
}

// parseReverse returns the address a lower-case name of in-addr.arpa or
// ip6.arpa stands for; ok is false for any other name, including the
// reverse names of networks rather than addresses.
func parseReverse(name string) (ip netip.Addr, ok bool) {
	if rel, ok := strings.CutSuffix(name, reverse4); ok {
		var b [4]byte
		for i := 3; i >= 0; i-- {
			var label string
			label, rel, _ = strings.Cut(rel, ".")
			n, ok := octet(label)
			if !ok {
				return netip.Addr{}, false
			}
			b[i] = n
		}
		return netip.AddrFrom4(b), rel == ""
	}
	if rel, ok := strings.CutSuffix(name, reverse6); ok {
		// 32 nibbles, lowest first, each followed by a dot but the last.
		if len(rel) != 63 {
			return netip.Addr{}, false
		}
		var b [16]byte
		for i := 0; i < 32; i++ {
			if i < 31 && rel[2*i+1] != '.' {
				return netip.Addr{}, false
			}
			v, ok := nibble(rel[2*i])
			if !ok {
				return netip.Addr{}, false
			}
			at := 31 - i // nibble index from the top
			if at%2 == 0 {
				b[at/2] |= v << 4
			} else {
				b[at/2] |= v
			}
		}
		return netip.AddrFrom16(b).Unmap(), true
	}
	return netip.Addr{}, false
}

// octet parses a decimal label of 0 to 255 with no leading zero.
func octet(s string) (byte, bool) {
	if s == "" || len(s) > 3 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return byte(n), n <= 255
}

func nibble(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

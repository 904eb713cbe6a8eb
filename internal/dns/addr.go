package dns

import (
	"encoding/hex"
	"net/netip"

	mdns "github.com/miekg/dns"
)

// serveAddr answers <hex-ip>.addr[.<dc>].<domain>: 8 hex digits are an
// IPv4 address (an A record), 32 an IPv6 one (AAAA).
func (s *Server) serveAddr(req *request, name string, m *mdns.Msg) error {
	ip, ok := parseHexAddr(name)
	if !ok {
		return errNoName
	}
	m.Answer = appendIP(m.Answer, req.name, ip, req.qtype, ttlOf(s.cfg.NodeTTL))
	return nil
}

// parseHexAddr decodes the hex form of an IPv4 (8 digits) or IPv6 (32
// digits) address.
func parseHexAddr(s string) (netip.Addr, bool) {
	var b [16]byte
	if len(s) != 8 && len(s) != 32 {
		return netip.Addr{}, false
	}
	if _, err := hex.Decode(b[:], []byte(s)); err != nil {
		return netip.Addr{}, false
	}
	if len(s) == 8 {
		return netip.AddrFrom4([4]byte(b[:4])), true
	}
	return netip.AddrFrom16(b), true
}

// hexAddr returns the hex form of ip that parseHexAddr reads.
func hexAddr(ip netip.Addr) string {
	ip = ip.Unmap()
	var buf [32]byte
	raw := ip.AsSlice()
	return string(hex.AppendEncode(buf[:0], raw))
}

package dns

import (
	mdns "github.com/miekg/dns"
)

// budget sets req.size to how many bytes the client of r takes in a reply
// (less the OPT record) and req.opt to the OPT record to answer with when
// r has one. It sets req.limit for a UDP client with the historic 512
// bytes, as Consul limits only those.
func (s *Server) budget(r *mdns.Msg, udp bool, req *request) {
	size := mdns.MinMsgSize
	if !udp {
		size = mdns.MaxMsgSize
	}
	if o := r.IsEdns0(); o != nil {
		advertised := max(int(o.UDPSize()), mdns.MinMsgSize)
		if udp {
			size = advertised
		}
		req.opt = &mdns.OPT{Hdr: mdns.RR_Header{Name: ".", Rrtype: mdns.TypeOPT}}
		req.opt.SetUDPSize(uint16(advertised))
		size -= mdns.Len(req.opt)
	}
	if udp && size == mdns.MinMsgSize {
		req.limit = s.cfg.UDPAnswerLimit
	}
	req.size = size
}

// pack packs m, compressed, into buf, or a new buffer when buf is too
// small. A reply from the catalog (req.zone set) is first cut to req.size
// bytes, and gets req.opt. Records left out for size set TC; records left out by the
// answer limit set it only with Config.EnableTruncate.
func (s *Server) pack(m *mdns.Msg, req *request, buf []byte) ([]byte, error) {
	// Always compressed, as Consul does: a reply for many instances of one
	// service repeats its names and takes half the bytes or less so.
	m.Compress = true
	if req.zone == nil {
		return m.PackBuffer(buf) // a failure, or a recursor's answer: as it is
	}
	if req.full || (req.cut && s.cfg.EnableTruncate) {
		m.Truncated = true
	}
	optLen := 0
	if req.opt != nil {
		optLen = mdns.Len(req.opt)
		m.Extra = append(m.Extra, req.opt)
	}
	// SRV replies that left records out for size are cut at once, as
	// they hardly ever fit; any other reply is packed, and cut only if it
	// turns out too big even compressed.
	srv := len(req.srvEnds) == len(m.Answer) && len(m.Answer) > 0
	full := -1 // m's compressed length, once known
	if !srv || !req.full {
		out, err := m.PackBuffer(buf)
		if err != nil || len(out) <= req.size+optLen {
			return out, err
		}
		full = len(out) - optLen
	}

	if req.opt != nil {
		m.Extra = m.Extra[:len(m.Extra)-1]
	}
	if srv {
		fitSRV(m, req.srvEnds, req.size, full)
	} else {
		m.Truncate(req.size) // sets TC
	}
	if req.opt != nil {
		m.Extra = append(m.Extra, req.opt)
	}
	return m.PackBuffer(buf)
}

// The fewest bytes records can take with compression (an owner name that
// is a pointer): a lower bound on the size of a reply.
const (
	minSRVLen   = 2 + 10 + 6 + 2 // SRV, its target a pointer too
	minExtraLen = 2 + 10 + 2     // A is 16, AAAA 28, CNAME at least 14
	headerLen   = 12
)

// fitSRV cuts m, whose answers are SRV records and whose Extra holds their
// additional records in step with ends, and whose compressed length is
// full (-1: not known yet), to size bytes: it keeps the most answers that
// fit with their additional records, and sets TC when it drops any.
func fitSRV(m *mdns.Msg, ends []int, size, full int) {
	m.Compress = true
	answers, extra := m.Answer, m.Extra
	length := func(k int) int {
		m.Answer, m.Extra = answers[:k], extra[:extrasOf(ends, k)]
		return m.Len()
	}
	n := len(answers)
	if full < 0 {
		full = length(n)
	}
	if full <= size {
		return
	}
	// The length grows about linearly with the answers kept: start from
	// that guess and step to the largest count that fits. None always
	// fits: the question alone does.
	base := length(0)
	k := min(max((size-base)*n/max(full-base, 1), 0), n-1)
	for k > 0 && length(k) > size {
		k--
	}
	for k+1 < n && length(k+1) <= size {
		k++
	}
	m.Answer, m.Extra = answers[:k], extra[:extrasOf(ends, k)]
	m.Truncated = true
}

// extrasOf returns how many additional records go with the first k answers.
func extrasOf(ends []int, k int) int {
	if k == 0 {
		return 0
	}
	return ends[k-1]
}

package dns

import (
	"time"

	mdns "github.com/miekg/dns"
)

// forwarder asks the recursors about names outside our zones.
type forwarder struct {
	addrs    []string     // host:port, asked in order
	udp, tcp *mdns.Client // one per transport; safe for concurrent use
}

func newForwarder(addrs []string, timeout time.Duration) forwarder {
	return forwarder{
		addrs: addrs,
		udp:   &mdns.Client{Net: "udp", Timeout: timeout},
		tcp:   &mdns.Client{Net: "tcp", Timeout: timeout},
	}
}

// enabled reports whether there are recursors (and so whether replies say
// recursion is available).
func (f *forwarder) enabled() bool { return len(f.addrs) > 0 }

// forward returns the first recursor's answer to r's first question that
// is NOERROR or NXDOMAIN, asked over the transport r came on, with r's ID. With no
// recursors the answer is REFUSED; when none of them answers, SERVFAIL.
func (s *Server) forward(r *mdns.Msg, udp bool) *mdns.Msg {
	if !s.fwd.enabled() {
		return failure(r, mdns.RcodeRefused)
	}
	c := s.fwd.tcp
	if udp {
		c = s.fwd.udp
	}
	if len(r.Question) > 1 {
		first := *r // ask only the question we answer
		first.Question = r.Question[:1]
		r = &first
	}
	for _, addr := range s.fwd.addrs {
		resp, _, err := c.Exchange(r, addr)
		switch {
		case err != nil:
			s.log.Debug("dns: recursor failed", "recursor", addr, "question", questionOf(r), "error", err)
		case resp.Rcode != mdns.RcodeSuccess && resp.Rcode != mdns.RcodeNameError:
			s.log.Debug("dns: recursor failed", "recursor", addr, "question", questionOf(r),
				"rcode", mdns.RcodeToString[resp.Rcode])
		default:
			// The recursor may not compress; a packed reply without it
			// could outgrow what the client takes.
			resp.Compress = true
			return resp
		}
	}
	m := failure(r, mdns.RcodeServerFailure)
	m.RecursionAvailable = true
	return m
}

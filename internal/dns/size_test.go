package dns_test

import (
	"testing"

	mdns "github.com/miekg/dns"
)

// TestUDPAnswerLimit checks that a UDP client without EDNS0 gets at most
// UDPAnswerLimit address records, with TC only when EnableTruncate is set,
// that TCP and EDNS0 clients get them all.
func TestUDPAnswerLimit(t *testing.T) {
	nodes, entries := bigService(50)
	for _, truncate := range []bool{false, true} {
		cfg := testConfig()
		cfg.EnableTruncate = truncate
		s := startServer(t, cfg, memCatalog(nodes, entries))

		r := exchange(t, "udp", s.Addr(), "big.service.consul.", mdns.TypeA, 0)
		if len(r.Answer) != 3 || r.Truncated != truncate {
			t.Errorf("EnableTruncate=%v: UDP A: %d answers, TC %v; want 3, TC %v", truncate, len(r.Answer), r.Truncated, truncate)
		}
		r = exchange(t, "tcp", s.Addr(), "big.service.consul.", mdns.TypeA, 0)
		if len(r.Answer) != 50 || r.Truncated {
			t.Errorf("EnableTruncate=%v: TCP A: %d answers, TC %v; want 50, no TC", truncate, len(r.Answer), r.Truncated)
		}
		r = exchange(t, "udp", s.Addr(), "big.service.consul.", mdns.TypeA, 4096)
		if len(r.Answer) != 50 || r.Truncated || r.IsEdns0() == nil {
			t.Errorf("EnableTruncate=%v: UDP A with EDNS0 4096: %d answers, TC %v, OPT %v; want 50, no TC, an OPT",
				truncate, len(r.Answer), r.Truncated, r.IsEdns0())
		}
	}
}

// TestTruncateSRV checks that an SRV answer too big for the client's
// buffer is cut with its additional records kept in step and TC set, that
// a bigger EDNS0 buffer gets more, and that the retry over TCP gets all.
func TestTruncateSRV(t *testing.T) {
	nodes, entries := bigService(120)
	s := startServer(t, testConfig(), memCatalog(nodes, entries))

	counts := map[uint16]int{}
	for _, size := range []uint16{0, 1232, 4096} {
		r := exchange(t, "udp", s.Addr(), "big.service.consul.", mdns.TypeSRV, size)
		if !r.Truncated {
			t.Errorf("EDNS0 %d: TC not set with %d of 120 answers", size, len(r.Answer))
		}
		if len(r.Answer) == 0 || len(r.Answer) >= 120 {
			t.Errorf("EDNS0 %d: %d answers, want some but not all", size, len(r.Answer))
		}
		checkGlue(t, r)
		r.Compress = true // as it came
		buf, err := r.Pack()
		if err != nil {
			t.Fatal(err)
		}
		if limit := max(int(size), 512); len(buf) > limit {
			t.Errorf("EDNS0 %d: reply of %d bytes", size, len(buf))
		}
		counts[size] = len(r.Answer)
	}
	if !(counts[0] < counts[1232] && counts[1232] < counts[4096]) {
		t.Errorf("answers by EDNS0 size = %v, want more for bigger buffers", counts)
	}

	r := exchange(t, "tcp", s.Addr(), "big.service.consul.", mdns.TypeSRV, 0)
	if len(r.Answer) != 120 || len(r.Extra) != 120 || r.Truncated {
		t.Errorf("TCP: %d answers, %d extra, TC %v; want 120, 120, no TC", len(r.Answer), len(r.Extra), r.Truncated)
	}
	checkGlue(t, r)
}

// checkGlue checks that every SRV target has its address in the
// additional section, and that nothing else is there.
func checkGlue(t *testing.T, r *mdns.Msg) {
	t.Helper()
	glue := map[string]bool{}
	for _, rr := range r.Extra {
		if a, ok := rr.(*mdns.A); ok {
			glue[a.Hdr.Name] = true
		}
	}
	for _, rr := range r.Answer {
		srv := rr.(*mdns.SRV)
		if !glue[srv.Target] {
			t.Errorf("no additional A record for SRV target %s", srv.Target)
		}
		delete(glue, srv.Target)
	}
	if len(glue) != 0 {
		t.Errorf("additional records for no answer: %v", glue)
	}
}

// TestEDNSEcho checks that replies to queries with an OPT record carry one,
// negative ones included.
func TestEDNSEcho(t *testing.T) {
	s := startServer(t, testConfig(), fixture())
	for _, name := range []string{"web.service.consul.", "nope.service.consul.", "example.com."} {
		r := exchange(t, "udp", s.Addr(), name, mdns.TypeA, 1400)
		opt := r.IsEdns0()
		if opt == nil || opt.UDPSize() != 1400 {
			t.Errorf("%s: OPT = %v, want one with size 1400", name, opt)
		}
	}
}

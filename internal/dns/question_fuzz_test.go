package dns_test

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

// panicSpy is a slog.Handler that notes the panics the server recovers
// from (and answers SERVFAIL to), which would otherwise pass unseen.
type panicSpy struct{ last atomic.Pointer[string] }

func (h *panicSpy) Enabled(context.Context, slog.Level) bool { return true }
func (h *panicSpy) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *panicSpy) WithGroup(string) slog.Handler            { return h }

func (h *panicSpy) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "panic") {
		msg := r.Message
		r.Attrs(func(a slog.Attr) bool {
			msg += " " + a.String()
			return true
		})
		h.last.Store(&msg)
	}
	return nil
}

// take returns the panic noted since the last call, or "".
func (h *panicSpy) take() string {
	if p := h.last.Swap(nil); p != nil {
		return *p
	}
	return ""
}

// FuzzQuestion asks ServeDNS one question built from a fuzzed name, type,
// class and EDNS0 buffer, so that the fuzzer works on names rather than
// on wire bytes as FuzzServeDNS does. The catalog never fails and there
// are no recursors, so besides the checks of FuzzServeDNS the reply must
// not be SERVFAIL (a recovered panic, or an answer that does not pack), it
// must repeat the question, and its first answer must be owned by the name
// as asked.
func FuzzQuestion(f *testing.F) {
	names := []string{
		"web1.node.consul.", "WEB1.Node.DC1.Consul.", "web1.node.dc2.consul.", "nosuch.node.consul.",
		"web.service.consul.", "v1.web.service.concord.", "primary.web.service.dc1.consul.",
		"_web._tcp.service.consul.", "_web._v1.consul.", "_web._v1.dc1.consul.", "_web.service.consul.",
		"ext.service.consul.", "alias.service.consul.", "big.service.consul.", "down.service.consul.",
		"db.service.consul.", "api.service.consul.",
		"0a000001.addr.consul.", "20010db8000000000000000000000001.addr.dc1.consul.", "zz.addr.consul.",
		"1.0.0.10.in-addr.arpa.", "10.in-addr.arpa.", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
		"consul.", "concord.", "ns.consul.", "service.consul.", "node.consul.", ".service.consul.",
		"a\\.b.node.consul.", "x\\.consul.", "a\\\\.node.consul.", "\\046.service.consul.",
		"example.com.", ".", "a..b.", strings.Repeat("a.", 127),
	}
	types := []uint16{mdns.TypeA, mdns.TypeAAAA, mdns.TypeANY, mdns.TypeSRV, mdns.TypePTR, mdns.TypeSOA,
		mdns.TypeNS, mdns.TypeTXT, mdns.TypeCNAME, mdns.TypeAXFR, mdns.TypeMX}
	for i, n := range names {
		f.Add(n, types[i%len(types)], uint16(mdns.ClassINET), uint16(0), i%2 == 0)
		f.Add(n, types[(i+3)%len(types)], uint16(mdns.ClassINET), uint16(4096), i%2 == 1)
	}
	f.Add("web.service.consul.", mdns.TypeA, uint16(mdns.ClassCHAOS), uint16(1), true)
	f.Add("big.service.consul.", mdns.TypeSRV, uint16(mdns.ClassINET), uint16(512), true)
	f.Add("big.service.consul.", mdns.TypeANY, uint16(mdns.ClassINET), uint16(65535), false)

	spy := &panicSpy{}
	cfg := testConfig()
	cfg.Logger = slog.New(spy)
	nodes, entries := fixtureData()
	bigNodes, bigEntries := bigService(60)
	cat := memCatalog(append(nodes, bigNodes...), append(entries, bigEntries...))
	s := startServer(f, cfg, cat)

	f.Fuzz(func(t *testing.T, name string, qtype, qclass, edns uint16, udp bool) {
		q := new(mdns.Msg)
		q.SetQuestion(name, qtype)
		q.Question[0].Qclass = qclass
		if edns > 0 {
			q.SetEdns0(edns, false)
		}
		wire, err := q.Pack()
		if err != nil {
			return // not a name DNS can carry
		}
		// Serve what a server would read off the wire. miekg/dns packs a
		// few names (such as "") that it cannot read back; no server sees
		// those.
		q = new(mdns.Msg)
		if err := q.Unpack(wire); err != nil {
			return
		}
		question := q.Question[0]
		w := &recorder{udp: udp}
		start := time.Now()
		s.ServeDNS(w, q)
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("%v: answered in %v", question, d)
		}
		if p := spy.take(); p != "" {
			t.Fatalf("%v: %s", question, p)
		}
		if len(w.writes) != 1 {
			t.Fatalf("%v: %d replies written, want 1", question, len(w.writes))
		}
		r := new(mdns.Msg)
		if err := r.Unpack(w.writes[0]); err != nil {
			t.Fatalf("%v: reply does not parse: %v", question, err)
		}
		switch {
		case r.Id != q.Id || !r.Response:
			t.Fatalf("%v: reply ID %d, QR %v; want %d, QR", question, r.Id, r.Response, q.Id)
		case r.Rcode == mdns.RcodeServerFailure:
			t.Fatalf("%v: SERVFAIL from a catalog that never fails", question)
		case len(r.Question) != 1 || r.Question[0] != question:
			t.Fatalf("%v: reply repeats the question as %v", question, r.Question)
		case len(r.Answer) > 0 && r.Answer[0].Header().Name != question.Name:
			t.Fatalf("%v: first answer %v is not owned by the name asked", question, r.Answer[0])
		}
		limit := mdns.MaxMsgSize
		if udp {
			limit = max(mdns.MinMsgSize, int(edns))
		}
		if len(w.writes[0]) > limit {
			t.Fatalf("%v: reply of %d bytes for a client taking %d", question, len(w.writes[0]), limit)
		}
	})
}

package dns_test

import (
	"log/slog"
	"net"
	"strings"
	"testing"

	mdns "github.com/miekg/dns"
)

// recorder is an mdns.ResponseWriter that keeps what is written.
type recorder struct {
	udp    bool
	writes [][]byte
}

func (w *recorder) LocalAddr() net.Addr { return w.RemoteAddr() }

func (w *recorder) RemoteAddr() net.Addr {
	if w.udp {
		return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5353}
	}
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5353}
}

func (w *recorder) WriteMsg(m *mdns.Msg) error {
	b, err := m.Pack()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func (w *recorder) Write(b []byte) (int, error) {
	w.writes = append(w.writes, append([]byte(nil), b...))
	return len(b), nil
}

func (w *recorder) Close() error        { return nil }
func (w *recorder) TsigStatus() error   { return nil }
func (w *recorder) TsigTimersOnly(bool) {}
func (w *recorder) Hijack()             {}

// FuzzServeDNS feeds ServeDNS any message miekg/dns can parse (the server
// drops or rejects the rest before ServeDNS) and checks that exactly one
// well-formed reply, with the query's ID, is written and that it fits the
// client's buffer.
func FuzzServeDNS(f *testing.F) {
	seeds := []struct {
		name  string
		qtype uint16
	}{
		{"web1.node.consul.", mdns.TypeANY},
		{"WEB.service.DC1.consul.", mdns.TypeA},
		{"v1.web.service.concord.", mdns.TypeSRV},
		{"_web._tcp.service.consul.", mdns.TypeSRV},
		{"_web._v1.consul.", mdns.TypeSRV},
		{"0a000001.addr.consul.", mdns.TypeA},
		{"20010db8000000000000000000000001.addr.dc1.consul.", mdns.TypeAAAA},
		{"1.0.0.10.in-addr.arpa.", mdns.TypePTR},
		{"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.", mdns.TypePTR},
		{"consul.", mdns.TypeSOA},
		{"consul.", mdns.TypeNS},
		{"ns.consul.", mdns.TypeA},
		{"alias.service.consul.", mdns.TypeA},
		{"big.service.consul.", mdns.TypeSRV},
		{"big.service.consul.", mdns.TypeA},
		{"a\\.b.node.consul.", mdns.TypeA},
		{"x\\.consul.", mdns.TypeA},
		{"example.com.", mdns.TypeA},
		{"consul.", mdns.TypeAXFR},
		{strings.Repeat("a.", 127), mdns.TypeA},
	}
	for _, s := range seeds {
		for _, edns := range []uint16{0, 4096} {
			q := new(mdns.Msg)
			q.SetQuestion(s.name, s.qtype)
			if edns > 0 {
				q.SetEdns0(edns, false)
			}
			b, err := q.Pack()
			if err != nil {
				f.Fatalf("seed %s: %v", s.name, err)
			}
			f.Add(b, edns > 0)
		}
	}

	nodes, entries := fixtureData()
	bigNodes, bigEntries := bigService(60)
	cat := memCatalog(append(nodes, bigNodes...), append(entries, bigEntries...))
	spy := &panicSpy{} // ServeDNS answers SERVFAIL to panics; see them
	cfg := testConfig()
	cfg.Logger = slog.New(spy)
	s := startServer(f, cfg, cat)

	f.Fuzz(func(t *testing.T, data []byte, udp bool) {
		q := new(mdns.Msg)
		if err := q.Unpack(data); err != nil || len(q.Question) == 0 || q.Response || q.Opcode != mdns.OpcodeQuery {
			return
		}
		w := &recorder{udp: udp}
		s.ServeDNS(w, q)
		if p := spy.take(); p != "" {
			t.Fatal(p)
		}
		if len(w.writes) != 1 {
			t.Fatalf("%d replies written, want 1", len(w.writes))
		}
		r := new(mdns.Msg)
		if err := r.Unpack(w.writes[0]); err != nil {
			t.Fatalf("reply does not parse: %v", err)
		}
		if r.Id != q.Id || !r.Response {
			t.Fatalf("reply ID %d, QR %v; want %d, QR", r.Id, r.Response, q.Id)
		}
		if r.Rcode == mdns.RcodeServerFailure {
			t.Fatalf("%v: SERVFAIL from a catalog that never fails", q.Question[0])
		}
		limit := mdns.MaxMsgSize
		if udp {
			limit = mdns.MinMsgSize
			if opt := q.IsEdns0(); opt != nil {
				limit = max(limit, int(opt.UDPSize()))
			}
		}
		// A reply to the question alone may exceed a tiny buffer only
		// when the question itself is huge; ours never are that big.
		if len(w.writes[0]) > limit {
			t.Fatalf("reply of %d bytes for a client taking %d", len(w.writes[0]), limit)
		}
	})
}

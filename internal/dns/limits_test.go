package dns_test

import (
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/concordhq/concord/internal/testutil"
)

// TestAnswersCompressed checks that a reply that fits uncompressed is
// compressed all the same, as Consul's are: 100 A records of one service
// to a client with an EDNS0 buffer of 4096 bytes take 1,647 bytes, where
// the same message packs to 3,447 uncompressed.
func TestAnswersCompressed(t *testing.T) {
	t.Parallel()
	nodes, entries := bigService(100)
	s := startServer(t, testConfig(), memCatalog(nodes, entries))

	q := new(mdns.Msg)
	q.SetQuestion("big.service.consul.", mdns.TypeA)
	q.SetEdns0(4096, false)
	conn := udpConn(t, s.Addr())
	wire, err := q.Pack()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(wire); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65535)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("read reply: %v", err)
	}
	r := new(mdns.Msg)
	if err := r.Unpack(buf[:n]); err != nil {
		t.Fatalf("unpack reply: %v", err)
	}
	if len(r.Answer) != 100 || r.Truncated {
		t.Fatalf("reply: %d answers, TC %v; want 100, no TC", len(r.Answer), r.Truncated)
	}
	r.Compress = false
	plain, err := r.Pack()
	if err != nil {
		t.Fatal(err)
	}
	const wantSize, wantPlain = 1647, 3447
	if n != wantSize || len(plain) != wantPlain {
		t.Errorf("reply to a %d-byte query: %d bytes (uncompressed %d); want %d (uncompressed %d)",
			len(wire), n, len(plain), wantSize, wantPlain)
	}
}

// TestQueryRatePerSource checks that a source past QueryRatePerSource is
// answered REFUSED, over UDP and TCP alike, and answered again once its
// budget has come back.
func TestQueryRatePerSource(t *testing.T) {
	t.Parallel()
	nodes, entries := bigService(1)
	cfg := testConfig()
	cfg.QueryRatePerSource = 5
	s := startServer(t, cfg, memCatalog(nodes, entries))

	for _, network := range []string{"udp", "tcp"} {
		r := exchange(t, network, s.Addr(), "big.service.consul.", mdns.TypeA, 0)
		if r.Rcode != mdns.RcodeSuccess && network == "udp" {
			t.Fatalf("first query: rcode %s, want NOERROR", mdns.RcodeToString[r.Rcode])
		}
		// Five a second with bursts of five: far fewer than 1000 queries
		// in a row use it up, however slow the machine.
		refused := false
		for range 1000 {
			r = exchange(t, network, s.Addr(), "big.service.consul.", mdns.TypeA, 0)
			if r.Rcode == mdns.RcodeRefused {
				refused = true
				break
			}
			if r.Rcode != mdns.RcodeSuccess {
				t.Fatalf("%s: rcode %s, want NOERROR or REFUSED", network, mdns.RcodeToString[r.Rcode])
			}
		}
		if !refused {
			t.Fatalf("%s: 1000 queries in a row, none REFUSED", network)
		}
		if len(r.Answer) != 0 || r.Question[0].Name != "big.service.consul." {
			t.Errorf("%s: REFUSED reply has %d answers, question %v; want none, the question", network, len(r.Answer), r.Question)
		}
		testutil.Run(t, 10*time.Second, func(rt *testutil.R) {
			r := exchange(t, network, s.Addr(), "big.service.consul.", mdns.TypeA, 0)
			if r.Rcode != mdns.RcodeSuccess || len(r.Answer) != 1 {
				rt.Fatalf("%s after a pause: rcode %s, %d answers; want NOERROR, 1", network, mdns.RcodeToString[r.Rcode], len(r.Answer))
			}
		})
	}
}

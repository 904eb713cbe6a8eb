package dns_test

import (
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/concordhq/concord/internal/testutil"
)

// upstream is a resolver for the tests: it answers every question with
// the rcode it is given and, for NOERROR, an A record of 192.0.2.1.
type upstream struct {
	addr       string
	queries    atomic.Int32
	tcpQueries atomic.Int32 // those of queries that came over TCP
}

func startUpstream(t *testing.T, rcode int) *upstream {
	t.Helper()
	u := &upstream{}
	handler := mdns.HandlerFunc(func(w mdns.ResponseWriter, r *mdns.Msg) {
		u.queries.Add(1)
		if _, ok := w.RemoteAddr().(*net.TCPAddr); ok {
			u.tcpQueries.Add(1)
		}
		m := new(mdns.Msg)
		m.SetRcode(r, rcode)
		m.RecursionAvailable = true
		if rcode == mdns.RcodeSuccess {
			rr, _ := mdns.NewRR(r.Question[0].Name + " 60 IN A 192.0.2.1")
			m.Answer = append(m.Answer, rr)
		}
		w.WriteMsg(m)
	})
	// UDP gets a free port; TCP may find it taken, then try again.
	var pc net.PacketConn
	var ln net.Listener
	for try := 0; ln == nil; try++ {
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		u.addr = pc.LocalAddr().String()
		if ln, err = net.Listen("tcp", u.addr); err != nil {
			pc.Close()
			if try == 10 {
				t.Fatal(err)
			}
		}
	}
	for _, srv := range []*mdns.Server{{PacketConn: pc, Handler: handler}, {Listener: ln, Handler: handler}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go srv.ActivateAndServe()
		<-started
		t.Cleanup(func() { srv.Shutdown() })
	}
	return u
}

// deadAddr returns an address where nothing answers DNS: a reserved port,
// which no other test binds.
func deadAddr(t *testing.T) string {
	t.Helper()
	return "127.0.0.1:" + strconv.Itoa(testutil.FreePort(t))
}

func TestRecursors(t *testing.T) {
	good := startUpstream(t, mdns.RcodeSuccess)
	failing := startUpstream(t, mdns.RcodeServerFailure)
	nxdomain := startUpstream(t, mdns.RcodeNameError)

	tests := []struct {
		name      string
		recursors []string
		rcode     int
		answers   int
	}{
		{"one", []string{good.addr}, mdns.RcodeSuccess, 1},
		{"dead then good", []string{deadAddr(t), good.addr}, mdns.RcodeSuccess, 1},
		{"servfail then good", []string{failing.addr, good.addr}, mdns.RcodeSuccess, 1},
		{"nxdomain wins", []string{nxdomain.addr, good.addr}, mdns.RcodeNameError, 0},
		{"all fail", []string{deadAddr(t), failing.addr}, mdns.RcodeServerFailure, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Recursors = tc.recursors
			cfg.RecursorTimeout = time.Second
			s := startServer(t, cfg, fixture())
			for _, network := range []string{"udp", "tcp"} {
				r := exchange(t, network, s.Addr(), "www.example.com.", mdns.TypeA, 0)
				if r.Rcode != tc.rcode || len(r.Answer) != tc.answers {
					t.Errorf("%s: rcode %s with %d answers, want %s with %d",
						network, mdns.RcodeToString[r.Rcode], len(r.Answer), mdns.RcodeToString[tc.rcode], tc.answers)
				}
				if !r.RecursionAvailable {
					t.Errorf("%s: RA not set", network)
				}
			}
		})
	}

	// Our own answers say recursion is available, and reverse names we
	// do not know go to the recursors.
	cfg := testConfig()
	cfg.Recursors = []string{good.addr}
	s := startServer(t, cfg, fixture())
	r := exchange(t, "udp", s.Addr(), "web1.node.consul.", mdns.TypeA, 0)
	if !r.RecursionAvailable || len(r.Answer) != 1 {
		t.Errorf("web1.node.consul.: RA %v, %d answers; want RA, 1 answer", r.RecursionAvailable, len(r.Answer))
	}
	before := good.queries.Load()
	r = exchange(t, "udp", s.Addr(), "9.9.9.10.in-addr.arpa.", mdns.TypePTR, 0)
	if good.queries.Load() != before+1 || r.Rcode != mdns.RcodeSuccess {
		t.Errorf("unknown PTR: rcode %s, recursor asked %d times; want it forwarded once",
			mdns.RcodeToString[r.Rcode], good.queries.Load()-before)
	}
	r = exchange(t, "udp", s.Addr(), "1.0.0.10.in-addr.arpa.", mdns.TypePTR, 0)
	if good.queries.Load() != before+1 || len(r.Answer) != 1 {
		t.Errorf("known PTR: %d answers, recursor asked; want 1 answer from the catalog", len(r.Answer))
	}

	// Queries go on over the transport they came on.
	for _, network := range []string{"udp", "tcp", "udp"} {
		queries, tcpQueries := good.queries.Load(), good.tcpQueries.Load()
		exchange(t, network, s.Addr(), "www.example.com.", mdns.TypeA, 0)
		gotTCP := good.tcpQueries.Load() - tcpQueries
		if good.queries.Load() != queries+1 || (gotTCP == 1) != (network == "tcp") {
			t.Errorf("query over %s: recursor asked %d times, %d over TCP; want once, over %s",
				network, good.queries.Load()-queries, gotTCP, network)
		}
	}
}

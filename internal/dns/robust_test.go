package dns_test

import (
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/concordhq/concord/api"
)

// TestMalformedPackets writes garbage to the UDP and TCP sockets and checks
// that the server still answers afterwards.
func TestMalformedPackets(t *testing.T) {
	s := startServer(t, testConfig(), fixture())
	conn := udpConn(t, s.Addr())

	// A query whose question is cut short, one claiming a question it
	// lacks, a name with a compression pointer to itself, a label of 64
	// bytes, and a name longer than 255 bytes.
	header := func(qd uint16) []byte {
		h := make([]byte, 12)
		binary.BigEndian.PutUint16(h[0:], 0x1234)
		binary.BigEndian.PutUint16(h[4:], qd)
		return h
	}
	long := []byte{}
	for range 130 {
		long = append(long, 1, 'a')
	}
	crafted := [][]byte{
		append(header(1), 3, 'w', 'e'),
		header(1),
		append(header(1), 0xc0, 12, 0, 1, 0, 1),
		append(append(header(1), 64), append([]byte(strings.Repeat("x", 64)), 0, 0, 1, 0, 1)...),
		append(append(header(1), long...), 0, 0, 1, 0, 1),
		append(header(0xffff), 0, 0, 1, 0, 1),
		{0xff},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		b := make([]byte, rng.IntN(600))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		crafted = append(crafted, b)
	}
	for _, b := range crafted {
		if _, err := conn.Write(b); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	// The same over TCP, framed, on one connection.
	tcp, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	for _, b := range crafted[:20] {
		frame := binary.BigEndian.AppendUint16(nil, uint16(len(b)))
		tcp.Write(append(frame, b...))
	}

	// The socket's buffer may have overflowed and dropped a query sent
	// right after the garbage, so ask again as a resolver would.
	for _, network := range []string{"udp", "tcp"} {
		c := &mdns.Client{Net: network, Timeout: 300 * time.Millisecond}
		q := new(mdns.Msg)
		q.SetQuestion("web1.node.consul.", mdns.TypeA)
		var r *mdns.Msg
		var err error
		for range 10 {
			if r, _, err = c.Exchange(q, s.Addr()); err == nil {
				break
			}
		}
		if err != nil || len(r.Answer) != 1 {
			t.Errorf("%s after garbage: %v, %v; want web1's address", network, r, err)
		}
	}
}

// TestManyQuestions checks that only the first question is answered.
func TestManyQuestions(t *testing.T) {
	s := startServer(t, testConfig(), fixture())
	q := new(mdns.Msg)
	q.SetQuestion("web1.node.consul.", mdns.TypeA)
	for _, name := range []string{"web2.node.consul.", "example.com.", "web.service.consul."} {
		q.Question = append(q.Question, mdns.Question{Name: name, Qtype: mdns.TypeA, Qclass: mdns.ClassINET})
	}
	for _, network := range []string{"udp", "tcp"} {
		r := exchangeMsg(t, network, s.Addr(), q)
		if len(r.Question) != 1 || len(r.Answer) != 1 || r.Answer[0].(*mdns.A).A.String() != "10.0.0.1" {
			t.Errorf("%s: reply %v, want web1's address only", network, r)
		}
	}
}

// TestCatalogFailures checks that catalog errors and panics give SERVFAIL
// and leave the server serving.
func TestCatalogFailures(t *testing.T) {
	boom := errors.New("catalog down")
	failing := &catalog{
		ServiceEntriesFunc: func(context.Context, string, string, []string) ([]*api.ServiceEntry, error) { return nil, boom },
		NodeFunc: func(_ context.Context, _, name string) (*api.Node, error) {
			if name == "panic" {
				panic("catalog bug")
			}
			return nil, boom
		},
		NodesFunc: func(context.Context) ([]*api.Node, error) { return nil, boom },
	}
	s := startServer(t, testConfig(), failing)
	for _, network := range []string{"udp", "tcp"} {
		for _, q := range []struct {
			name  string
			qtype uint16
		}{
			{"web.service.consul.", mdns.TypeA},
			{"web.service.consul.", mdns.TypeSRV},
			{"web1.node.consul.", mdns.TypeA},
			{"1.0.0.10.in-addr.arpa.", mdns.TypePTR},
			{"panic.node.consul.", mdns.TypeA},
			{"panic.node.consul.", mdns.TypeA},
		} {
			r := exchange(t, network, s.Addr(), q.name, q.qtype, 0)
			if r.Rcode != mdns.RcodeServerFailure {
				t.Errorf("%s %s: rcode %s, want SERVFAIL", network, q.name, mdns.RcodeToString[r.Rcode])
			}
		}
	}
	// Names that need no catalog still work.
	r := exchange(t, "udp", s.Addr(), "0a000001.addr.consul.", mdns.TypeA, 0)
	if len(r.Answer) != 1 {
		t.Errorf("addr after failures: %d answers, want 1", len(r.Answer))
	}
}

// TestCatalogTimeout checks that a catalog call that never returns is cut
// short and the query answered SERVFAIL.
func TestCatalogTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the catalog timeout")
	}
	stuck := fixture()
	stuck.NodeFunc = func(ctx context.Context, _, _ string) (*api.Node, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	s := startServer(t, testConfig(), stuck)
	start := time.Now()
	r := exchange(t, "tcp", s.Addr(), "web1.node.consul.", mdns.TypeA, 0)
	if r.Rcode != mdns.RcodeServerFailure || time.Since(start) > 2500*time.Millisecond {
		t.Errorf("rcode %s after %v, want SERVFAIL within the catalog timeout", mdns.RcodeToString[r.Rcode], time.Since(start))
	}
}

// TestFlood sends many queries at once from many clients and checks that
// every one is answered.
func TestFlood(t *testing.T) {
	nodes, entries := bigService(50)
	s := startServer(t, testConfig(), memCatalog(nodes, entries))
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 32 {
		wg.Go(func() {
			network := []string{"udp", "tcp"}[i%2]
			c := &mdns.Client{Net: network, Timeout: 5 * time.Second}
			conn, err := c.Dial(s.Addr())
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			for j := range 100 {
				q := new(mdns.Msg)
				q.SetQuestion("big.service.consul.", []uint16{mdns.TypeA, mdns.TypeSRV}[j%2])
				r, _, err := c.ExchangeWithConn(q, conn)
				if err != nil {
					errs <- err
					return
				}
				if len(r.Answer) == 0 {
					errs <- errors.New("empty answer")
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestShutdown checks that Shutdown stops the server and may be called
// again.
func TestShutdown(t *testing.T) {
	s := startServer(t, testConfig(), fixture())
	ctx := context.Background()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
	c := &mdns.Client{Net: "tcp", Timeout: 500 * time.Millisecond}
	q := new(mdns.Msg)
	q.SetQuestion("web1.node.consul.", mdns.TypeA)
	if _, _, err := c.Exchange(q, s.Addr()); err == nil {
		t.Errorf("query after Shutdown answered")
	}
}

package rpc

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"
)

// probeServer serves probes on a loopback listener with h, and returns
// its address and a func that stops it.
func probeServer(t *testing.T, h ProbeHandler) (string, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := NewMux(ln, ln.Addr(), net.ParseIP("127.0.0.1"), DefaultMaxConnsPerClient)
	go ServeProbes(m.ProbeListener(), h)
	return ln.Addr().String(), func() { m.Close() }
}

func TestProbeAnswersEachQuestion(t *testing.T) {
	addr, stop := probeServer(t, func(term uint64, leader string) (bool, time.Duration) {
		return term == 7 && leader == "n1", time.Duration(term) * time.Millisecond
	})
	defer stop()
	p := NewProber(net.ParseIP("127.0.0.1"))
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	var wg sync.WaitGroup
	for i := range 50 { // pipelined on one connection, matched by sequence
		wg.Add(1)
		go func() {
			defer wg.Done()
			term := uint64(i%3 + 6)
			follows, since, err := p.Probe(ctx, addr, term, "n1")
			if err != nil || follows != (term == 7) || since != time.Duration(term)*time.Millisecond {
				t.Errorf("Probe(term %d) = %v, %v, %v", term, follows, since, err)
			}
		}()
	}
	wg.Wait()
	if follows, _, err := p.Probe(ctx, addr, 7, "n2"); err != nil || follows {
		t.Errorf("Probe(other leader) = %v, %v; want false", follows, err)
	}
}

func TestProbeRedialsAfterTheConnectionBreaks(t *testing.T) {
	addr, stop := probeServer(t, func(uint64, string) (bool, time.Duration) { return true, 0 })
	defer stop()
	p := NewProber(net.ParseIP("127.0.0.1"))
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := p.Probe(ctx, addr, 1, "n1"); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.conns[addr].conn.Close() // the connection breaks under the prober
	p.mu.Unlock()
	var err error
	for range 2 { // the first probe may find it broken; the next dials again
		var follows bool
		if follows, _, err = p.Probe(ctx, addr, 1, "n1"); err == nil && follows {
			return
		}
	}
	t.Fatalf("Probe after the connection broke: %v", err)
}

func TestProbeGivesUpAtTheDeadline(t *testing.T) {
	block := make(chan struct{})
	addr, stop := probeServer(t, func(uint64, string) (bool, time.Duration) { <-block; return true, 0 })
	defer stop()
	defer close(block)
	p := NewProber(net.ParseIP("127.0.0.1"))
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, _, err := p.Probe(ctx, addr, 1, "n1"); err == nil {
		t.Fatal("Probe of a server that never answers succeeded")
	}
}

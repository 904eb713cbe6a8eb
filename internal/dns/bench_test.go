package dns_test

import (
	"encoding/binary"
	"fmt"
	"net"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

// benchClients is how many clients query at once, each waiting for its
// answer before asking again, as in the figures for Consul.
const benchClients = 16

// BenchmarkDNS measures queries per second and the 99th percentile of
// latency over UDP for a service of 50 passing instances: A and SRV
// without EDNS0 (3 A records; as many SRV records as fit in 512 bytes),
// and with an EDNS0 buffer of 4096 bytes (all 50).
//
// The clients work as dnsperf does: they send a packed query and check
// the reply's header (ID, rcode, answer count) without parsing its
// records, so that the figures measure the server rather than the client
// sharing its CPUs.
func BenchmarkDNS(b *testing.B) {
	nodes, entries := bigService(50)
	s := startServer(b, testConfig(), memCatalog(nodes, entries))
	for _, bc := range []struct {
		name  string
		qtype uint16
		edns  uint16
	}{
		{"A", mdns.TypeA, 0},
		{"SRV", mdns.TypeSRV, 0},
		{"A-EDNS", mdns.TypeA, 4096},
		{"SRV-EDNS", mdns.TypeSRV, 4096},
	} {
		b.Run(bc.name, func(b *testing.B) {
			q := new(mdns.Msg)
			q.SetQuestion("big.service.consul.", bc.qtype)
			if bc.edns > 0 {
				q.SetEdns0(bc.edns, false)
			}
			query, err := q.Pack()
			if err != nil {
				b.Fatal(err)
			}
			var mu sync.Mutex
			var latencies []time.Duration
			b.SetParallelism(max(1, benchClients/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				mine, err := benchClient(pb, s.Addr(), slices.Clone(query))
				if err != nil {
					b.Error(err)
				}
				mu.Lock()
				latencies = append(latencies, mine...)
				mu.Unlock()
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
			if len(latencies) > 0 {
				slices.Sort(latencies)
				p99 := latencies[len(latencies)*99/100]
				b.ReportMetric(float64(p99)/float64(time.Millisecond), "p99-ms")
			}
		})
	}
}

// benchClient sends query to addr, with a new ID each time, until pb says
// stop, and returns the latency of each query.
func benchClient(pb *testing.PB, addr string, query []byte) ([]time.Duration, error) {
	conn, err := net.Dial("udp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	latencies := make([]time.Duration, 0, 4096)
	reply := make([]byte, 65535)
	var id uint16
	for pb.Next() {
		id++
		binary.BigEndian.PutUint16(query, id)
		start := time.Now()
		if _, err := conn.Write(query); err != nil {
			return latencies, err
		}
		conn.SetReadDeadline(start.Add(5 * time.Second))
		for {
			n, err := conn.Read(reply)
			if err != nil {
				return latencies, fmt.Errorf("query %d: %w", id, err)
			}
			if n < 12 || binary.BigEndian.Uint16(reply) != id {
				continue // a late reply to an earlier query
			}
			if rcode, answers := reply[3]&0xf, binary.BigEndian.Uint16(reply[6:]); rcode != 0 || answers == 0 {
				return latencies, fmt.Errorf("query %d: rcode %d, %d answers", id, rcode, answers)
			}
			break
		}
		latencies = append(latencies, time.Since(start))
	}
	return latencies, nil
}

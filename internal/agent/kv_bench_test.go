package agent_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/agent"
	"github.com/concordhq/concord/internal/testutil"
)

func TestMain(m *testing.M) {
	agent.TuneRuntime(true, true)
	os.Exit(m.Run())
}

// benchClients are the concurrency levels the issue asks figures for.
var benchClients = []int{1, 16, 64}

// BenchmarkKVPut measures PUT /v1/kv on a durable single server (fsync on
// every acknowledged write) with 1, 16 and 64 concurrent HTTP clients, each
// writing distinct 256-byte values. It reports puts/s and latency
// percentiles.
func BenchmarkKVPut(b *testing.B) {
	for _, clients := range benchClients {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			ta := testutil.StartAgent(b, b.TempDir(), nil)
			base := "http://" + ta.HTTPAddr() + "/v1/kv/bench/"
			value := bytes.Repeat([]byte("v"), 256)
			runClients(b, clients, func(c *http.Client, i int) error {
				v := append([]byte(fmt.Sprintf("%08d", i)), value[8:]...)
				req, _ := http.NewRequest("PUT", fmt.Sprintf("%s%d", base, i%4096), bytes.NewReader(v))
				return do(c, req)
			})
		})
	}
}

// BenchmarkKVPutRaw is BenchmarkKVPut with a lean keep-alive client in
// place of net/http's, so that less of the machine goes to the load
// generator. Compare servers only with the same client.
func BenchmarkKVPutRaw(b *testing.B) {
	for _, clients := range benchClients {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			ta := testutil.StartAgent(b, b.TempDir(), nil)
			value := bytes.Repeat([]byte("v"), 256)
			runRawClients(b, ta.HTTPAddr(), clients, func(c *rawConn, i int) error {
				v := append([]byte(fmt.Sprintf("%08d", i)), value[8:]...)
				code, body, err := c.do("PUT", fmt.Sprintf("/v1/kv/bench/%d", i%4096), v)
				if err == nil && (code != 200 || string(body) != "true") {
					err = fmt.Errorf("PUT: %d %s", code, body)
				}
				return err
			})
		})
	}
}

// BenchmarkKVGet measures default-consistency GET /v1/kv of single keys.
func BenchmarkKVGet(b *testing.B) {
	for _, clients := range benchClients {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			ta := testutil.StartAgent(b, b.TempDir(), nil)
			base := "http://" + ta.HTTPAddr() + "/v1/kv/bench/"
			c := newBenchClient(1)
			for i := 0; i < 256; i++ {
				req, _ := http.NewRequest("PUT", fmt.Sprintf("%s%d", base, i), bytes.NewReader(bytes.Repeat([]byte("v"), 256)))
				if err := do(c, req); err != nil {
					b.Fatal(err)
				}
			}
			runClients(b, clients, func(c *http.Client, i int) error {
				req, _ := http.NewRequest("GET", fmt.Sprintf("%s%d", base, i%256), nil)
				return do(c, req)
			})
		})
	}
}

func newBenchClient(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, DisableCompression: true,
	}}
}

func do(c *http.Client, req *http.Request) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s", req.Method, req.URL.Path, resp.Status)
	}
	return nil
}

// runRawClients is runClients over rawConn connections.
func runRawClients(b *testing.B, addr string, clients int, op func(c *rawConn, i int) error) {
	conns := make([]*rawConn, clients)
	for i := range conns {
		c, err := dialRaw(addr)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	measure(b, clients, func(w, i int) error { return op(conns[w], i) })
}

// runClients runs b.N calls of op spread over clients goroutines, each with
// its own keep-alive connection, and reports throughput and latencies.
func runClients(b *testing.B, clients int, op func(c *http.Client, i int) error) {
	c := newBenchClient(clients)
	measure(b, clients, func(_, i int) error { return op(c, i) })
}

// measure runs b.N calls of op over workers goroutines and reports
// throughput and latency percentiles.
func measure(b *testing.B, clients int, op func(worker, i int) error) {
	var next atomic.Int64
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				t0 := time.Now()
				if err := op(w, i); err != nil {
					failed.Store(err)
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[min(len(all)-1, int(float64(len(all))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

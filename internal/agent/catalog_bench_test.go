package agent_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/concordhq/concord/internal/testutil"
)

// catalogBenchClients is the concurrency of the catalog benchmarks.
const catalogBenchClients = 16

// BenchmarkServiceRegister measures PUT /v1/agent/service/register on a
// durable agent: each call registers a new service (distinct IDs, with a
// TTL check), which the agent saves to its data dir (fsync) before
// answering; anti-entropy then pushes it to the catalog in the background.
// The agent lives across the benchmark's rounds, so IDs never repeat.
func BenchmarkServiceRegister(b *testing.B) {
	ta := testutil.StartAgent(b, b.TempDir(), nil)
	url := "http://" + ta.HTTPAddr() + "/v1/agent/service/register"
	var round atomic.Int64
	b.Run(fmt.Sprintf("clients=%d", catalogBenchClients), func(b *testing.B) {
		r := round.Add(1)
		runClients(b, catalogBenchClients, func(c *http.Client, i int) error {
			body := fmt.Sprintf(`{"ID":"svc-%d-%d","Name":"bench-%d","Tags":["v1"],"Port":%d,"Check":{"TTL":"10m","Status":"passing"}}`,
				r, i, i%64, 1024+i%50000)
			req, _ := http.NewRequest("PUT", url, bytes.NewReader([]byte(body)))
			return do(c, req)
		})
	})
}

// BenchmarkHealthServicePassing measures GET /v1/health/service/<name>?passing
// for a service of 1,000 instances, each on its own node with a passing
// check (registered through /v1/catalog/register), on a durable agent.
// Every read encodes all 1,000 entries.
func BenchmarkHealthServicePassing(b *testing.B) {
	const instances = 1000
	ta := testutil.StartAgent(b, b.TempDir(), nil)
	base := "http://" + ta.HTTPAddr()
	registerInstances(b, base, "bench-web", instances)

	url := base + "/v1/health/service/bench-web?passing"
	c := newBenchClient(1)
	if n := countEntries(b, c, url); n != instances {
		b.Fatalf("GET %s = %d entries, want %d", url, n, instances)
	}
	b.Run(fmt.Sprintf("instances=%d/clients=%d", instances, catalogBenchClients), func(b *testing.B) {
		runClients(b, catalogBenchClients, func(c *http.Client, _ int) error {
			req, _ := http.NewRequest("GET", url, nil)
			return do(c, req)
		})
	})
}

// registerInstances registers n instances of service, one per node, each
// with a passing service check, using 16 concurrent clients.
func registerInstances(b *testing.B, base, service string, n int) {
	b.Helper()
	c := newBenchClient(catalogBenchClients)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, catalogBenchClients)
	for range catalogBenchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				node := fmt.Sprintf("bench-node-%04d", i)
				body := fmt.Sprintf(`{"Node":%q,"Address":"10.%d.%d.%d",
					"Service":{"ID":"%s-%d","Service":%q,"Tags":["v1"],"Port":8080},
					"Check":{"CheckID":"alive-%d","Name":"alive","Status":"passing","ServiceID":"%s-%d"}}`,
					node, i/65536, i/256%256, i%256, service, i, service, i, service, i)
				req, _ := http.NewRequest("PUT", base+"/v1/catalog/register", bytes.NewReader([]byte(body)))
				if err := do(c, req); err != nil {
					errs <- fmt.Errorf("register %s: %w", node, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// countEntries reads url and returns the length of the JSON array it holds.
func countEntries(b *testing.B, c *http.Client, url string) int {
	b.Helper()
	resp, err := c.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(data, &entries); err != nil {
		b.Fatalf("GET %s: %v", url, err)
	}
	return len(entries)
}

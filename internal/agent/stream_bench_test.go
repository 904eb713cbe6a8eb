package agent_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
)

// streamBench is a durable single-server agent with retention high enough
// that a benchmark never loses a message, and an HTTP client for it.
type streamBench struct {
	base   string // http://host:port/v1/stream/
	client *http.Client
}

func newStreamBench(b *testing.B) *streamBench {
	ta := testutil.StartAgent(b, b.TempDir(), func(c *config.Config) { c.StreamMaxMessages = 1 << 30 })
	return &streamBench{
		base: "http://" + ta.HTTPAddr() + "/v1/stream/",
		client: &http.Client{Timeout: time.Minute, Transport: &http.Transport{
			MaxIdleConns: 64, MaxIdleConnsPerHost: 64, DisableCompression: true,
		}},
	}
}

// publish appends value to topic and returns its index.
func (s *streamBench) publish(b *testing.B, topic string, value []byte) uint64 {
	req, _ := http.NewRequest(http.MethodPut, s.base+topic, bytes.NewReader(value))
	resp, err := s.client.Do(req)
	if err != nil {
		b.Error(err)
		return 0
	}
	defer resp.Body.Close()
	var out struct{ Index uint64 }
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil {
		b.Errorf("PUT %s = %d", topic, resp.StatusCode)
	}
	return out.Index
}

// read returns up to 1,000 messages of topic after index after, waiting up
// to 30s for one.
func (s *streamBench) read(b *testing.B, topic string, after uint64) []*api.StreamMessage {
	resp, err := s.client.Get(fmt.Sprintf("%s%s?after=%d&wait=30s", s.base, topic, after))
	if err != nil {
		b.Error(err)
		return nil
	}
	defer resp.Body.Close()
	var msgs []*api.StreamMessage
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&msgs) != nil {
		b.Errorf("GET %s after %d = %d", topic, after, resp.StatusCode)
	}
	return msgs
}

// publishN appends n messages to topic from publishers goroutines at once,
// and returns when all are in. body makes the i-th message.
func (s *streamBench) publishN(b *testing.B, topic string, n, publishers int, body func(i int) []byte) {
	var wg sync.WaitGroup
	var next atomic.Int64
	for p := 0; p < publishers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				s.publish(b, topic, body(i))
			}
		}()
	}
	wg.Wait()
}

// payload is a 128-byte message body.
var payload = bytes.Repeat([]byte("x"), 128)

// BenchmarkStreamPublish measures appends over HTTP (each a Raft write,
// fsynced): one publisher waiting for each append, then 16 at once, whose
// appends Raft commits in batches.
func BenchmarkStreamPublish(b *testing.B) {
	for _, publishers := range []int{1, 16} {
		b.Run(fmt.Sprintf("publishers=%d", publishers), func(b *testing.B) {
			s := newStreamBench(b)
			start := time.Now()
			b.ResetTimer()
			s.publishN(b, "bench", b.N, publishers, func(int) []byte { return payload })
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

// BenchmarkStreamConsume measures how fast one consumer drains a backlog
// of b.N messages, reading up to 1,000 per request.
func BenchmarkStreamConsume(b *testing.B) {
	s := newStreamBench(b)
	s.publishN(b, "backlog", b.N, 16, func(int) []byte { return payload })
	start := time.Now()
	b.ResetTimer()
	var after uint64
	for got := 0; got < b.N && !b.Failed(); {
		msgs := s.read(b, "backlog", after)
		got += len(msgs)
		if len(msgs) > 0 {
			after = msgs[len(msgs)-1].Index
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkStreamPubSub measures a live topic: 4 publishers append b.N
// messages while one subscriber long-polls. It reports the throughput the
// subscriber sees and the latency from the start of a publish to the
// subscriber holding the message (p50, p99).
func BenchmarkStreamPubSub(b *testing.B) {
	s := newStreamBench(b)
	sent := make([]time.Time, b.N)
	var sentMu sync.Mutex
	done := make(chan []time.Duration, 1)
	start := time.Now()
	b.ResetTimer()
	go func() {
		var lat []time.Duration
		var after uint64
		for len(lat) < b.N && !b.Failed() {
			msgs := s.read(b, "live", after)
			now := time.Now()
			sentMu.Lock()
			for _, m := range msgs {
				var i int
				fmt.Sscanf(string(m.Value), "%d", &i)
				lat = append(lat, now.Sub(sent[i]))
				after = m.Index
			}
			sentMu.Unlock()
		}
		done <- lat
	}()
	s.publishN(b, "live", b.N, 4, func(i int) []byte {
		sentMu.Lock()
		sent[i] = time.Now()
		sentMu.Unlock()
		return []byte(fmt.Sprintf("%d %s", i, payload))
	})
	lat := <-done
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
	reportLatency(b, lat)
}

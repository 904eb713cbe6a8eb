package agent_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
)

// BenchmarkWatchFanout measures how long 1,000 blocking watchers of one key
// take to see a write: each round, every watcher sits in GET ?index=N and
// the time from just before the PUT to each watcher's wake-up is recorded.
func BenchmarkWatchFanout(b *testing.B) {
	const watchers = 1000
	ta := testutil.StartAgent(b, b.TempDir(), nil)
	url := "http://" + ta.HTTPAddr() + "/v1/kv/fanout"
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		MaxIdleConns: watchers + 8, MaxIdleConnsPerHost: watchers + 8, DisableCompression: true,
	}}
	put := func(v string) uint64 {
		req, _ := http.NewRequest("PUT", url, bytes.NewReader([]byte(v)))
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("PUT: %v %v", err, resp)
		}
		resp.Body.Close()
		get, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		get.Body.Close()
		idx, _ := strconv.ParseUint(get.Header.Get("X-Consul-Index"), 10, 64)
		return idx
	}
	idx := put("start")
	var lat []time.Duration
	b.ResetTimer()
	for round := 0; round < b.N; round++ {
		var ready, done sync.WaitGroup
		var mu sync.Mutex
		woke := make([]time.Time, 0, watchers)
		ready.Add(watchers)
		done.Add(watchers)
		for w := 0; w < watchers; w++ {
			go func() {
				defer done.Done()
				req, _ := http.NewRequest("GET", fmt.Sprintf("%s?index=%d&wait=30s", url, idx), nil)
				ready.Done()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				woke = append(woke, time.Now())
				mu.Unlock()
			}()
		}
		ready.Wait()
		time.Sleep(300 * time.Millisecond) // let every watcher's request reach the server and block
		wrote := time.Now()
		idx = put(strconv.Itoa(round))
		done.Wait()
		for _, t := range woke {
			lat = append(lat, t.Sub(wrote))
		}
	}
	b.StopTimer()
	reportLatency(b, lat)
}

// reportLatency reports the median and 99th percentile of lat, in ms.
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	ms := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}

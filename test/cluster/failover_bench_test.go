package cluster_test

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
	consul "github.com/hashicorp/consul/api"
)

// BenchmarkFailover measures, per round, the time from kill -9 of the
// leader of three servers to the first write acknowledged through a
// surviving server, and the time from kill -9 of a client agent to its
// serfHealth check turning critical. Run it with -benchtime=5x; it reports
// the medians.
//
//	go test -run '^$' -bench Failover -benchtime 5x ./test/cluster/
func BenchmarkFailover(b *testing.B) {
	var writes, detects []time.Duration
	for i := 0; i < b.N; i++ {
		c := testutil.StartCluster(b, binary, 3, 1)
		leader := c.Leader(b)
		survivor := client(b, c.Followers(b)[0])
		if _, err := survivor.KV().Put(&consul.KVPair{Key: "warm", Value: []byte("x")}, nil); err != nil {
			b.Fatal(err)
		}
		killed := time.Now()
		leader.Kill()
		for n := 0; ; n++ {
			_, err := survivor.KV().Put(&consul.KVPair{Key: fmt.Sprint("after/", n), Value: []byte("x")}, nil)
			if err == nil {
				writes = append(writes, time.Since(killed))
				break
			}
			if time.Since(killed) > 30*time.Second {
				b.Fatalf("no write within 30s of the leader's death: %v", err)
			}
			time.Sleep(5 * time.Millisecond)
		}

		cl := c.Clients()[0]
		killed = time.Now()
		cl.Kill()
		for serfStatus(b, survivor, cl.Name) != consul.HealthCritical {
			if time.Since(killed) > 30*time.Second {
				b.Fatalf("client not seen failed within 30s")
			}
			time.Sleep(5 * time.Millisecond)
		}
		detects = append(detects, time.Since(killed))
		for _, n := range c.Nodes {
			if !n.Proc.Exited() {
				n.Kill()
			}
		}
	}
	b.ReportMetric(median(writes).Seconds()*1000, "ms-kill-to-write")
	b.ReportMetric(median(detects).Seconds()*1000, "ms-kill-to-critical")
	b.Logf("kill→write %v; kill→critical %v", writes, detects)
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

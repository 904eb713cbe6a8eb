package scale

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// Concord's LAN gossip timing (internal/gossip DefaultTiming) and the
// memberlist settings it keeps from DefaultLANConfig.
const (
	probeInterval  = 400 * time.Millisecond
	gossipInterval = 100 * time.Millisecond
	suspicionMult  = 2
	gossipNodes    = 3
	retransmitMult = 4
)

// BenchmarkGossipModel is a model, not a run of Concord: it estimates, for
// clusters too large for one machine, how long a membership change takes to
// reach every node and how long a dead node takes to be declared failed at
// the leader, from memberlist's rules with Concord's timing:
//   - each gossip interval, every node that knows the change sends it to
//     gossipNodes random nodes, until it has sent it retransmitMult ×
//     ceil(log10(N+1)) times (memberlist's retransmit limit);
//   - a dead node is first probed when one of the N-1 others picks it (each
//     probes one random member per probe interval); the probe and its
//     indirect probes fail by the end of that interval; the node stays
//     suspect suspicionMult × log10(N) probe intervals (memberlist's
//     suspicion timeout; with suspicionMult 2 no confirmations shorten
//     it); then the "dead" message spreads as above until the leader has it.
//
// docs/scale.md compares its 100-node figures with make scale's measured
// ones. Run: go test -run '^$' -bench GossipModel ./test/scale/
func BenchmarkGossipModel(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(uint64(n), 22))
			var spread, detect []float64
			missed := 0
			for range b.N {
				rounds, all := spreadRounds(rng, n, 0, -1)
				if !all {
					missed++
				}
				spread = append(spread, float64(time.Duration(rounds)*gossipInterval/time.Millisecond))
				detect = append(detect, float64(detectTime(rng, n)/time.Millisecond))
			}
			b.ReportMetric(median(spread), "spread-ms")
			b.ReportMetric(median(detect), "detect-ms")
			b.ReportMetric(percentile99(detect), "detect-p99-ms")
			b.ReportMetric(float64(missed)/float64(b.N), "runs-not-reaching-all")
		})
	}
}

// spreadRounds runs the push gossip of one message from node from: the
// rounds until node until has it (-1: until every node has it or nobody
// sends any more), and whether every node got it.
func spreadRounds(rng *rand.Rand, n, from, until int) (int, bool) {
	limit := retransmitMult * int(math.Ceil(math.Log10(float64(n+1))))
	knows := make([]bool, n)
	sent := make([]int, n)
	knows[from] = true
	senders := []int{from}
	informed := 1
	for round := 1; ; round++ {
		var next []int
		for _, s := range senders {
			for range gossipNodes {
				if sent[s] >= limit {
					break
				}
				sent[s]++
				t := rng.IntN(n - 1)
				if t >= s {
					t++
				}
				if !knows[t] {
					knows[t] = true
					informed++
					next = append(next, t)
				}
			}
		}
		if until >= 0 && knows[until] {
			return round, informed == n
		}
		for _, s := range senders {
			if sent[s] < limit {
				next = append(next, s)
			}
		}
		if informed == n && until < 0 || len(next) == 0 {
			return round, informed == n
		}
		senders = next
	}
}

// detectTime is one sample of how long a node's death takes to reach the
// leader as "failed" (see BenchmarkGossipModel).
func detectTime(rng *rand.Rand, n int) time.Duration {
	// Each interval, each of the n-1 others picks it with probability 1/(n-1).
	intervals := 0
	for rng.Float64() >= 1-math.Pow(1-1/float64(n-1), float64(n-1)) {
		intervals++
	}
	start := time.Duration(rng.Float64()*float64(probeInterval)) + time.Duration(intervals)*probeInterval
	scale := math.Max(1, math.Log10(float64(n)))
	suspicion := time.Duration(float64(suspicionMult) * scale * float64(probeInterval))
	prober, leader := rng.IntN(n), rng.IntN(n)
	rounds := 0
	if prober != leader {
		rounds, _ = spreadRounds(rng, n, prober, leader)
	}
	return start + probeInterval + suspicion + time.Duration(rounds)*gossipInterval
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	return s[len(s)/2]
}

func percentile99(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	return s[min(len(s)-1, len(s)*99/100)]
}

package bench

import (
	"slices"
	"time"
)

// Summary is the latency distribution of the successful operations of a
// run, by nearest rank: P99 is the smallest sample at or above 99% of all.
type Summary struct {
	Count int
	P50   time.Duration
	P99   time.Duration
	P999  time.Duration
	Max   time.Duration
}

// Summarize sorts samples in place and returns their distribution. With no
// samples every figure is zero.
func Summarize(samples []time.Duration) Summary {
	slices.Sort(samples)
	s := Summary{Count: len(samples)}
	if len(samples) == 0 {
		return s
	}
	s.P50 = percentile(samples, 500)
	s.P99 = percentile(samples, 990)
	s.P999 = percentile(samples, 999)
	s.Max = samples[len(samples)-1]
	return s
}

// percentile returns the nearest-rank sample of sorted at perMille/1000.
// Per-mille keeps the rank in integers, so 99.9% of 1000 is exactly 999.
func percentile(sorted []time.Duration, perMille int) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := (perMille*n + 999) / 1000 // ceil(perMille*n/1000), 1-based
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

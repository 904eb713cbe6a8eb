package bench

import (
	"math/rand/v2"
	"testing"
	"time"
)

// millis returns 1ms, 2ms, ... n ms in a shuffled order.
func millis(n int) []time.Duration {
	s := make([]time.Duration, n)
	for i := range s {
		s[i] = time.Duration(i+1) * time.Millisecond
	}
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(n, func(i, j int) { s[i], s[j] = s[j], s[i] })
	return s
}

func TestSummarize(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name    string
		samples []time.Duration
		want    Summary
	}{
		{"empty", nil, Summary{}},
		{"one", []time.Duration{7 * ms}, Summary{Count: 1, P50: 7 * ms, P99: 7 * ms, P999: 7 * ms, Max: 7 * ms}},
		{"two", []time.Duration{9 * ms, 1 * ms}, Summary{Count: 2, P50: 1 * ms, P99: 9 * ms, P999: 9 * ms, Max: 9 * ms}},
		{"ten", millis(10), Summary{Count: 10, P50: 5 * ms, P99: 10 * ms, P999: 10 * ms, Max: 10 * ms}},
		{"hundred", millis(100), Summary{Count: 100, P50: 50 * ms, P99: 99 * ms, P999: 100 * ms, Max: 100 * ms}},
		{"thousand", millis(1000), Summary{Count: 1000, P50: 500 * ms, P99: 990 * ms, P999: 999 * ms, Max: 1000 * ms}},
		{"ten thousand", millis(10000), Summary{Count: 10000, P50: 5000 * ms, P99: 9900 * ms, P999: 9990 * ms, Max: 10000 * ms}},
		{"all equal", []time.Duration{3 * ms, 3 * ms, 3 * ms}, Summary{Count: 3, P50: 3 * ms, P99: 3 * ms, P999: 3 * ms, Max: 3 * ms}},
		{"one outlier in 1000", append(make([]time.Duration, 999), time.Second),
			Summary{Count: 1000, P50: 0, P99: 0, P999: 0, Max: time.Second}},
		{"two outliers in 1000", append(make([]time.Duration, 998), time.Second, time.Second),
			Summary{Count: 1000, P50: 0, P99: 0, P999: time.Second, Max: time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Summarize(tc.samples); got != tc.want {
				t.Errorf("Summarize(%d samples) = %+v, want %+v", len(tc.samples), got, tc.want)
			}
		})
	}
}

func TestResultString(t *testing.T) {
	r := Result{Op: "put", Clients: 64, Ops: 123456, Errors: 0, Elapsed: 6 * time.Second,
		Latency: Summary{P50: 2900 * time.Microsecond, P99: 6900 * time.Microsecond, P999: 9100 * time.Microsecond}}
	want := "op=put clients=64 ops=123456 ops/s=20576 p50=2.9ms p99=6.9ms p99.9=9.1ms errors=0"
	if got := r.String(); got != want {
		t.Errorf("Result.String() = %q, want %q", got, want)
	}
	r.Latency = Summary{P50: 85 * time.Microsecond, P99: 420 * time.Microsecond, P999: 1500 * time.Microsecond}
	want = "op=put clients=64 ops=123456 ops/s=20576 p50=0.085ms p99=0.420ms p99.9=1.5ms errors=0"
	if got := r.String(); got != want {
		t.Errorf("Result.String() = %q, want %q", got, want)
	}
}

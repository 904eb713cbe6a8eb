package agent

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"time"
)

// DefaultGCPercent is the GC target the agent runs with unless GOGC is set.
// An agent's heap is mostly the state store plus short-lived request
// garbage; letting the heap grow to 4× the live set before collecting cuts
// GC work per write by about two thirds, which on a 2-core machine raised
// durable puts/s by ~20% (figures in the note on issue 2).
const DefaultGCPercent = 300

// gcFullHeap is the live heap above which the GC target falls from
// DefaultGCPercent towards Go's 100: the headroom that buys throughput on
// a small store would triple the memory of a large one.
const gcFullHeap = 64 << 20

// TuneRuntime applies the agent's runtime settings to this process. The
// `concord agent` command calls it at start; in-process benchmarks call it
// so they measure what the binary runs. Unless GOGC is set, the GC target
// starts at DefaultGCPercent and follows the live heap (see gcPercentFor).
func TuneRuntime() {
	if os.Getenv("GOGC") != "" {
		return
	}
	debug.SetGCPercent(DefaultGCPercent)
	go func() {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		current := DefaultGCPercent
		for range time.Tick(5 * time.Second) {
			metrics.Read(sample)
			if sample[0].Value.Kind() != metrics.KindUint64 {
				return
			}
			if p := gcPercentFor(sample[0].Value.Uint64()); p != current {
				debug.SetGCPercent(p)
				current = p
			}
		}
	}()
}

// gcPercentFor is the GC target for a live heap of live bytes: the full
// DefaultGCPercent up to gcFullHeap, then shrinking so that the heap's
// headroom stays about DefaultGCPercent% of gcFullHeap, never below 100
// (1M keys of 256 B: ~2.4 GB RSS at a fixed 300, about half with this).
func gcPercentFor(live uint64) int {
	if live <= gcFullHeap {
		return DefaultGCPercent
	}
	return max(100, int(DefaultGCPercent*gcFullHeap/live))
}

// runtimeStats is the "runtime" group of /v1/agent/self and `concord info`.
func runtimeStats() map[string]string {
	return map[string]string{
		"os":         runtime.GOOS,
		"arch":       runtime.GOARCH,
		"version":    runtime.Version(),
		"max_procs":  strconv.Itoa(runtime.GOMAXPROCS(0)),
		"goroutines": strconv.Itoa(runtime.NumGoroutine()),
		"cpu_count":  strconv.Itoa(runtime.NumCPU()),
	}
}

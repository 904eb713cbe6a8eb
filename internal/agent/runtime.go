package agent

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
)

// DefaultGCPercent is the GC target the agent runs with unless GOGC is set.
// An agent's heap is mostly the state store plus short-lived request
// garbage; letting the heap grow to 4× the live set before collecting cuts
// GC work per write by about two thirds, which on a 2-core machine raised
// durable puts/s by ~20% (figures in the note on issue 2).
const DefaultGCPercent = 300

// gcHeadroom is the heap growth, above the live heap, that the GC target
// allows once DefaultGCPercent would allow more: a small store keeps its
// 300% (the throughput above), a large one grows by this much, or by
// gcMinPercent of its live heap if that is more. A fixed 192 MiB of
// headroom (300% of 64 MiB, the rule before) held a 100k-key store at
// ~280 MiB RSS for ~75 MiB of live data (issue 22).
const gcHeadroom = 48 << 20

// ClientGCPercent is a client agent's GC target unless GOGC is set: Go's
// default. An idle client agent holds ~2 MiB live and makes ~0.7 MiB/s of
// gossip garbage; at 50 it kept ~1.1 MiB less private memory but spent
// ~20 % more CPU, and a hundred agents on one small machine need the CPU
// more (docs/scale.md, "Idle client agent memory").
const ClientGCPercent = 100

// gcMinPercent bounds the GC target from below, so a very large store is
// not marked again after every few megabytes of writes.
const gcMinPercent = 50

// TuneRuntime applies the agent's runtime settings to this process. The
// `concord agent` command calls it at start; in-process benchmarks call it
// so they measure what the binary runs. A server's GC target, unless GOGC
// is set, starts at DefaultGCPercent and follows the live heap (see
// gcPercentFor), checked after every collection so a fast load does not
// outrun it. A client agent holds no store and serves little: it runs at
// ClientGCPercent. Without profiling (enable_debug, whose
// /debug/pprof/heap needs them) no heap profile samples are kept.
func TuneRuntime(server, profiling bool) {
	if !profiling {
		runtime.MemProfileRate = 0
	}
	if os.Getenv("GOGC") != "" {
		return
	}
	if !server {
		debug.SetGCPercent(ClientGCPercent)
		return
	}
	debug.SetGCPercent(DefaultGCPercent)
	newGCTuner(DefaultGCPercent, debug.SetGCPercent).arm()
}

// gcTuner sets the GC target after each collection. Its state is only
// touched from the finalizer goroutine, one call at a time.
type gcTuner struct {
	current int
	set     func(int) int // debug.SetGCPercent
	sample  []metrics.Sample
}

func newGCTuner(current int, set func(int) int) *gcTuner {
	return &gcTuner{current: current, set: set, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
}

// gcSentinel is garbage whose finalizer runs once per collection. The
// pointer keeps it out of the tiny allocator, whose blocks may outlive it.
type gcSentinel struct{ _ *int }

// arm leaves a sentinel for the next collection to find.
func (t *gcTuner) arm() {
	runtime.SetFinalizer(&gcSentinel{}, func(*gcSentinel) { t.tune(); t.arm() })
}

// tune reads the live heap the last collection found and moves the target.
func (t *gcTuner) tune() {
	metrics.Read(t.sample)
	if t.sample[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	if p := gcPercentFor(t.sample[0].Value.Uint64()); p != t.current {
		t.set(p)
		t.current = p
	}
}

// gcPercentFor is the GC target for a live heap of live bytes:
// DefaultGCPercent while that is less than gcHeadroom of growth, then
// gcHeadroom of growth, never below gcMinPercent.
func gcPercentFor(live uint64) int {
	if live == 0 {
		return DefaultGCPercent
	}
	p := gcHeadroom * 100 / live
	return int(min(DefaultGCPercent, max(gcMinPercent, p)))
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

package agent

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestGCPercentFollowsTheLiveHeap(t *testing.T) {
	for _, tc := range []struct {
		live uint64
		want int
	}{
		{0, DefaultGCPercent},
		{16 << 20, DefaultGCPercent},
		{gcHeadroom, 100},
		{2 * gcHeadroom, 50},
		{1 << 40, gcMinPercent},
	} {
		if got := gcPercentFor(tc.live); got != tc.want {
			t.Errorf("gcPercentFor(%d) = %d, want %d", tc.live, got, tc.want)
		}
	}
}

// The tuner moves the GC target after a collection, without waiting for
// a timer: here from 1 (as if the heap had been huge) to the target for
// the test binary's small heap.
func TestGCTunerRunsAfterEachCollection(t *testing.T) {
	got := make(chan int, 100)
	newGCTuner(1, func(p int) int {
		select {
		case got <- p:
		default:
		}
		return 0
	}).arm()
	deadline := time.After(10 * time.Second)
	for {
		runtime.GC()
		select {
		case p := <-got:
			if p != DefaultGCPercent {
				t.Fatalf("GC target after a collection of a small heap = %d, want %d", p, DefaultGCPercent)
			}
			return
		case <-deadline:
			t.Fatal("no GC target set 10 s after collections")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// A client agent runs at ClientGCPercent, unless GOGC says otherwise.
func TestClientGCPercent(t *testing.T) {
	orig := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(orig) })

	t.Setenv("GOGC", "")
	debug.SetGCPercent(ClientGCPercent + 7) // so that a TuneRuntime doing nothing fails
	TuneRuntime(false, true)
	if got := debug.SetGCPercent(100); got != ClientGCPercent {
		t.Errorf("client agent's GC target = %d, want %d", got, ClientGCPercent)
	}

	t.Setenv("GOGC", "100")
	debug.SetGCPercent(123) // GOGC set: TuneRuntime leaves the target alone
	TuneRuntime(false, true)
	if got := debug.SetGCPercent(100); got != 123 {
		t.Errorf("client agent's GC target with GOGC set = %d, want 123 (left alone)", got)
	}
}

package agent

import "testing"

func TestGCPercentFollowsTheLiveHeap(t *testing.T) {
	for _, tc := range []struct {
		live uint64
		want int
	}{
		{0, DefaultGCPercent},
		{gcFullHeap, DefaultGCPercent},
		{2 * gcFullHeap, DefaultGCPercent / 2},
		{10 * gcFullHeap, 100},
		{1 << 40, 100},
	} {
		if got := gcPercentFor(tc.live); got != tc.want {
			t.Errorf("gcPercentFor(%d) = %d, want %d", tc.live, got, tc.want)
		}
	}
}

//go:build !linux

package server

import "time"

// processStart anchors monoNow to Go's monotonic clock.
var processStart = time.Now()

// monoNow is the lease clock, in nanoseconds: Go's monotonic clock. Where
// it stops while the machine sleeps, a leader that slept keeps its lease
// for up to its length after waking; Linux uses CLOCK_BOOTTIME instead.
func monoNow() int64 { return int64(time.Since(processStart)) }

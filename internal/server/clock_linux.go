package server

import "golang.org/x/sys/unix"

// monoNow is the lease clock, in nanoseconds. On Linux it is
// CLOCK_BOOTTIME, which, unlike Go's monotonic clock (CLOCK_MONOTONIC),
// keeps counting while the machine is suspended: a leader whose machine
// slept must find its lease run out when it wakes.
func monoNow() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		panic("server: cannot read CLOCK_BOOTTIME: " + err.Error())
	}
	return ts.Nano()
}

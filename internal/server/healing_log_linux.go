package server

import (
	"fmt"
	"syscall"
)

// freeBytes is the space left to this process on dir's file system.
func freeBytes(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("cannot stat file system of %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}

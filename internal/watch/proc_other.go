//go:build !unix

package watch

import (
	"os"
	"os/exec"
	"syscall"
)

// ownGroup does nothing where process groups are not available.
func ownGroup(*exec.Cmd) {}

// signalGroup signals p alone where process groups are not available.
func signalGroup(p *os.Process, sig syscall.Signal) error {
	if sig == syscall.SIGKILL {
		return p.Kill()
	}
	return p.Signal(sig)
}

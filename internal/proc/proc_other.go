//go:build !unix

package proc

import (
	"os"
	"os/exec"
	"syscall"
)

// OwnGroup does nothing where process groups are not available.
func OwnGroup(*exec.Cmd) {}

// signalGroup signals p alone where process groups are not available.
func signalGroup(p *os.Process, sig syscall.Signal) error {
	if sig == syscall.SIGKILL {
		return p.Kill()
	}
	return p.Signal(sig)
}

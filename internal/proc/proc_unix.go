//go:build unix

package proc

import (
	"os"
	"os/exec"
	"syscall"
)

// OwnGroup runs cmd in a process group of its own, so that stopping it
// also stops whatever it started (a shell's children).
func OwnGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// signalGroup sends sig to p's whole process group.
func signalGroup(p *os.Process, sig syscall.Signal) error { return syscall.Kill(-p.Pid, sig) }

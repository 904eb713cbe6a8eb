//go:build unix

package checks

import (
	"os/exec"
	"syscall"
)

// killGroupOnCancel runs cmd in a process group of its own and has the
// cancellation of its context kill the whole group, so that the children
// of a timed-out script (say sh -c 'sleep 60') die with it.
func killGroupOnCancel(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

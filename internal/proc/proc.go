// Package proc starts and stops the child commands Concord runs for users
// (lock holders, watch handlers): through the user's shell when asked, in
// a process group of their own so that stopping one also stops what it
// started, with SIGTERM first and SIGKILL after a grace period.
package proc

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// Command builds the command for args: through the user's shell ($SHELL,
// else /bin/sh; cmd on Windows) with the args joined, or directly.
func Command(args []string, shell bool) *exec.Cmd {
	if !shell {
		return exec.Command(args[0], args[1:]...)
	}
	line := strings.Join(args, " ")
	if runtime.GOOS == "windows" {
		return exec.Command("cmd", "/C", line)
	}
	sh := os.Getenv("SHELL")
	if sh == "" {
		sh = "/bin/sh"
	}
	return exec.Command(sh, "-c", line)
}

// Stop sends p's process group SIGTERM, then SIGKILL if p has not exited
// (exited has not delivered) after grace, and waits for it. Where SIGTERM
// cannot be sent it kills at once.
func Stop(p *os.Process, exited <-chan error, grace time.Duration) {
	if err := signalGroup(p, syscall.SIGTERM); err != nil {
		signalGroup(p, syscall.SIGKILL)
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-exited:
		return
	case <-t.C:
	}
	signalGroup(p, syscall.SIGKILL)
	<-exited
}

//go:build !unix

package checks

import "os/exec"

// killGroupOnCancel leaves cmd as it is: without process groups, the
// cancellation of its context kills the script's process only.
func killGroupOnCancel(*exec.Cmd) {}

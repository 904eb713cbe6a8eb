package cli

import (
	"context"
	"fmt"
	"io"
)

const leaveUsage = `
Usage: concord leave [options]

  Makes the agent leave the cluster gracefully and shut down. A server
  first hands off leadership and leaves the Raft configuration, so the
  remaining servers keep their quorum.
`

// runLeave is `concord leave`.
func runLeave(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet(leaveUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	c, code, done := parseAndConnect(ctx, fs, &hf, args, stderr)
	if done {
		return code
	}
	if err := c.Agent().Leave(); err != nil {
		fmt.Fprintf(stderr, "Error leaving: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "Graceful leave complete")
	return 0
}

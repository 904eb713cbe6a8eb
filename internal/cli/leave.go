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
func runLeave(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(leaveUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	c, err := parseAndConnect(ctx, fs, &hf, args)
	if err != nil {
		return err
	}
	if err := c.Agent().Leave(); err != nil {
		return verbatimf("Error leaving: %v", err)
	}
	fmt.Fprintln(stdout, "Graceful leave complete")
	return nil
}

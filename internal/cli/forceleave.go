package cli

import (
	"context"
	"fmt"
	"io"
)

const forceLeaveUsage = `
Usage: concord force-leave [options] NODE

  Marks a failed member of the gossip pool as left at once, instead of
  waiting for gossip to give up on it; a failed server also leaves the Raft
  configuration. With -prune the member is dropped from the member list
  too. A member that is in fact alive rejoins by itself.
`

// runForceLeave is `concord force-leave`.
func runForceLeave(ctx context.Context, args []string, _, stderr io.Writer) int {
	fs := newFlagSet(forceLeaveUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	prune := fs.Bool("prune", false, "Also remove the node from the member list.")
	wan := fs.Bool("wan", false, "Act on the WAN pool (not supported by Concord).")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "A node name must be specified to force leave.")
		return 1
	}
	if *wan {
		fmt.Fprintln(stderr, "Error! Concord has no WAN pool")
		return 1
	}
	c, ok := connect(ctx, &hf, stderr)
	if !ok {
		return 1
	}
	node := fs.Arg(0)
	var err error
	if *prune {
		err = c.Agent().ForceLeavePrune(node)
	} else {
		err = c.Agent().ForceLeave(node)
	}
	if err != nil {
		fmt.Fprintf(stderr, "Error force leaving: %v\n", err)
		return 1
	}
	return 0
}

package cli

import (
	"context"
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
func runForceLeave(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := newFlagSet(forceLeaveUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	prune := fs.Bool("prune", false, "Also remove the node from the member list.")
	wan := fs.Bool("wan", false, "Act on the WAN pool: the node is a server of the WAN pool, \"<node>.<datacenter>\".")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return verbatimf("A node name must be specified to force leave.")
	}
	c, err := hf.connect(ctx)
	if err != nil {
		return err
	}
	node := fs.Arg(0)
	switch {
	case *wan:
		err = c.Agent().ForceLeaveWAN(node, *prune)
	case *prune:
		err = c.Agent().ForceLeavePrune(node)
	default:
		err = c.Agent().ForceLeave(node)
	}
	if err != nil {
		return verbatimf("Error force leaving: %v", err)
	}
	return nil
}

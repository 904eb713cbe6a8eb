package cli

import (
	"context"
	"fmt"
	"io"
)

const joinUsage = `
Usage: concord join [options] ADDRESS...

  Tells the agent to join the gossip pool of the agents at the given
  addresses (host, or host:port of their serf LAN port). Succeeds if at
  least one of them answers.

      $ concord join 10.0.0.5 10.0.0.6:8301
`

// runJoin is `concord join`.
func runJoin(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet(joinUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	wan := fs.Bool("wan", false, "Join the WAN pool (not supported by Concord).")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	addrs := fs.Args()
	if len(addrs) == 0 {
		fmt.Fprintln(stderr, "At least one address to join must be specified.")
		return 1
	}
	if *wan {
		fmt.Fprintln(stderr, "Error! Concord has no WAN pool to join")
		return 1
	}
	c, ok := connect(ctx, &hf, stderr)
	if !ok {
		return 1
	}
	joined := 0
	for _, addr := range addrs {
		if err := c.Agent().Join(addr); err != nil {
			fmt.Fprintf(stderr, "Error joining address '%s': %v\n", addr, err)
			continue
		}
		joined++
	}
	if joined == 0 {
		fmt.Fprintln(stderr, "Failed to join any nodes.")
		return 1
	}
	fmt.Fprintf(stdout, "Successfully joined cluster by contacting %d nodes.\n", joined)
	return 0
}

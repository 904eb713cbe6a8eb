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
func runJoin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(joinUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	wan := fs.Bool("wan", false, "Join the WAN pool: the addresses are WAN gossip addresses of servers of other datacenters (host, or host:port of their serf WAN port). Servers only.")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	addrs := fs.Args()
	if len(addrs) == 0 {
		return verbatimf("At least one address to join must be specified.")
	}
	c, err := hf.connect(ctx)
	if err != nil {
		return err
	}
	joined := 0
	for _, addr := range addrs {
		// A failed address is reported at once, and the others tried.
		join := c.Agent().Join
		if *wan {
			join = c.Agent().JoinWAN
		}
		if err := join(addr); err != nil {
			fmt.Fprintf(stderr, "Error joining address '%s': %v\n", addr, err)
			continue
		}
		joined++
	}
	if joined == 0 {
		return verbatimf("Failed to join any nodes.")
	}
	fmt.Fprintf(stdout, "Successfully joined cluster by contacting %d nodes.\n", joined)
	return nil
}

package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
)

const infoUsage = `
Usage: concord info [options]

  Prints the agent's statistics for operators, by subsystem: agent, build,
  consul, raft (servers only), runtime and serf_lan, as "key = value"
  lines under each.
`

// runInfo is `concord info`.
func runInfo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(infoUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	c, err := parseAndConnect(ctx, fs, &hf, args)
	if err != nil {
		return err
	}
	self, err := c.Agent().Self()
	if err != nil {
		return verbatimf("Error querying agent: %v", err)
	}
	writeStats(stdout, self["Stats"])
	return nil
}

// writeStats prints each group of stats, in name order, as "group:" and
// then its keys in order as tab-indented "key = value" lines.
func writeStats(w io.Writer, stats map[string]any) {
	for _, group := range slices.Sorted(maps.Keys(stats)) {
		fmt.Fprintf(w, "%s:\n", group)
		values, _ := stats[group].(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(values)) {
			fmt.Fprintf(w, "\t%s = %v\n", k, values[k])
		}
	}
}

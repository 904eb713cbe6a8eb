package cli

import (
	"context"
	"fmt"
	"io"
)

const monitorUsage = `
Usage: concord monitor [options]

  Streams the agent's log as it is written, until interrupted or until the
  agent stops. -log-level may be more verbose than the agent's own log
  level: the agent then logs the extra lines for this monitor only.

      $ concord monitor -log-level=debug
`

// runMonitor is `concord monitor`.
func runMonitor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(monitorUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	level := fs.String("log-level", "info", "Lowest level shown: trace, debug, info, warn or error.")
	asJSON := fs.Bool("log-json", false, "Print each line as a JSON object.")
	c, err := parseAndConnect(ctx, fs, &hf, args)
	if err != nil {
		return err
	}
	lines, err := c.Agent().Monitor(*level, *asJSON)
	if err != nil {
		return verbatimf("Error starting monitor: %v", err)
	}
	for line := range lines {
		fmt.Fprintln(stdout, line)
	}
	if ctx.Err() != nil {
		return nil
	}
	return verbatimf("Remote side ended the monitor! This usually means that the agent has stopped.")
}

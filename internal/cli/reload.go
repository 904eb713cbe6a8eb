package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
)

// runReload is `concord reload`: the agent loads its config files again
// and applies their service and check definitions.
func runReload(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("reload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var hf httpFlags
	hf.register(fs)
	if err := fs.Parse(args); err != nil {
		return 1
	}
	if fs.NArg() != 0 {
		fmt.Fprintln(stderr, "reload takes no arguments")
		return 1
	}
	client, ok := connect(ctx, &hf, stderr)
	if !ok {
		return 1
	}
	if err := client.Agent().Reload(); err != nil {
		fmt.Fprintf(stderr, "Error reloading: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "Configuration reload triggered")
	return 0
}

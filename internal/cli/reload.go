package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
)

// runReload is `concord reload`: the agent loads its config files again
// and applies their service and check definitions.
func runReload(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var hf httpFlags
	hf.register(fs)
	if err := fs.Parse(args); err != nil {
		return silentExit(1) // fs has printed the error, or -h's help
	}
	if fs.NArg() != 0 {
		return verbatimf("reload takes no arguments")
	}
	client, err := hf.connect(ctx)
	if err != nil {
		return err
	}
	if err := client.Agent().Reload(); err != nil {
		return verbatimf("Error reloading: %v", err)
	}
	fmt.Fprintln(stdout, "Configuration reload triggered")
	return nil
}

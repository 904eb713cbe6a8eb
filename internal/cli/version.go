package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/concordhq/concord/internal/version"
)

const versionUsage = `
Usage: concord version

  Prints the Concord version and the Consul version whose API it follows.
`

// runVersion is `concord version` (also -v and --version).
func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(versionUsage, stderr)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return verbatimf("Too many arguments (expected 0, got %d)", fs.NArg())
	}
	fmt.Fprintln(stdout, version.String())
	fmt.Fprintf(stdout, "Protocol 2 spoken by default, compatible with Consul %s\n", version.ConsulCompat)
	return nil
}

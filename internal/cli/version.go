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
func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet(versionUsage, stderr)
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "Too many arguments (expected 0, got %d)\n", fs.NArg())
		return 1
	}
	fmt.Fprintln(stdout, version.String())
	fmt.Fprintf(stdout, "Protocol 2 spoken by default, compatible with Consul %s\n", version.ConsulCompat)
	return 0
}

package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/concordhq/concord/internal/agent"
	"github.com/concordhq/concord/internal/config"
)

const validateUsage = `
Usage: concord validate [options] FILE_OR_DIRECTORY...

  Loads the given config files and directories as the agent would, and
  reports whether they form a valid configuration. Nothing is started.
  Keys that Concord accepts without acting on them (Consul features it has
  not built, or leaves out) are listed as warnings, one line per family.
  "concord configtest" is an older name for this command.
`

// runValidate is `concord validate` and its alias `concord configtest`.
func runValidate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet(validateUsage, stderr)
	quiet := fs.Bool("quiet", false, "Print nothing when the configuration is valid.")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "Must specify at least one config file or directory")
		return 1
	}
	cfg, err := config.LoadFiles(fs.Args())
	if err == nil {
		err = agent.CheckWatches(cfg.Watches)
	}
	if err != nil {
		fmt.Fprintf(stderr, "Config validation failed: %v\n", err)
		return 1
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(stderr, "Warning: %s\n", w)
	}
	if !*quiet {
		fmt.Fprintln(stdout, "Configuration is valid!")
	}
	return 0
}

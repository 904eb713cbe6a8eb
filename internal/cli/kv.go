package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/concordhq/concord/api"
)

// kvCommands are the subcommands of `concord kv`, in usage order.
var kvCommands = []command{
	{name: "delete", synopsis: "Removes data from the KV store", run: runKVDelete},
	{name: "export", synopsis: "Exports a tree from the KV store as JSON", run: runKVExport},
	{name: "get", synopsis: "Retrieves or lists data from the KV store", run: runKVGet},
	{name: "import", synopsis: "Imports a tree stored as JSON to the KV store", run: runKVImport},
	{name: "put", synopsis: "Sets or updates data in the KV store", run: runKVPut},
}

// runKV is `concord kv`: it runs one of kvCommands.
func runKV(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "Usage: concord kv <subcommand> [options] [args]", kvCommands, args, stdout, stderr)
}

// kvClient builds the KV handle for a command.
func kvClient(ctx context.Context, f *httpFlags) (*api.KV, error) {
	c, err := f.connect(ctx)
	if err != nil {
		return nil, err
	}
	return c.KV(), nil
}

// optionalKey returns the one optional KEY_OR_PREFIX argument, without a
// leading slash: keys never start with one, but users often type it.
func optionalKey(args []string) (string, error) {
	switch len(args) {
	case 0:
		return "", nil
	case 1:
		return strings.TrimPrefix(args[0], "/"), nil
	default:
		return "", verbatimf("Too many arguments (expected 1, got %d)", len(args))
	}
}

// queryFailed is the error of a failed read.
func queryFailed(err error) error {
	return fmt.Errorf("Cannot query the agent: %w", err)
}

// condWrite is the error of a conditional write (check-and-set, lock
// acquire or release) that answered ok and err: failed and err when it
// failed, notDone when its condition did not hold, or nil.
func condWrite(ok bool, err error, failed, notDone string) error {
	switch {
	case err != nil:
		return fmt.Errorf("%s: %w", failed, err)
	case !ok:
		return errors.New(notDone)
	}
	return nil
}

// readData resolves a DATA argument as consul does: "@path" is the file's
// contents, "-" is all of stdin, and anything else is the data itself.
func readData(arg string) ([]byte, error) {
	switch {
	case strings.HasPrefix(arg, "@"):
		b, err := os.ReadFile(arg[1:])
		if err != nil {
			return nil, fmt.Errorf("Failed to read file: %v", err)
		}
		return b, nil
	case arg == "-":
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("Failed to read stdin: %v", err)
		}
		return b, nil
	default:
		return []byte(arg), nil
	}
}

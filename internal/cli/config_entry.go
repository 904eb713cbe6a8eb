package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/config"
)

// configCommands are the subcommands of `concord config`, in usage order.
var configCommands = []command{
	{name: "delete", synopsis: "Delete a centralized config entry", run: runConfigDelete},
	{name: "list", synopsis: "List centralized config entries of a given kind", run: runConfigList},
	{name: "read", synopsis: "Read a centralized config entry", run: runConfigRead},
	{name: "write", synopsis: "Create or update a centralized config entry", run: runConfigWrite},
}

// runConfig is `concord config`: it runs one of configCommands.
func runConfig(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "Usage: concord config <subcommand> [options] [args]", configCommands, args, stdout, stderr)
}

const configWriteUsage = `
Usage: concord config write [options] FILE

  Creates or updates the config entry FILE describes, in HCL or JSON
  ("-" reads it from stdin). Concord keeps the kinds service-defaults and
  proxy-defaults; the kinds of Consul's service mesh are refused.

      $ concord config write web-defaults.hcl
`

// runConfigWrite is `concord config write`.
func runConfigWrite(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(configWriteUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	cas := fs.Bool("cas", false, "Perform a Check-And-Set operation: store the entry only if its ModifyIndex is -modify-index (0: only if there is none).")
	index := fs.Uint64("modify-index", 0, "The ModifyIndex the entry must have, with -cas.")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return verbatimf("Must provide exactly one positional argument to specify the config entry to write")
	}
	e, err := readConfigEntry(fs.Arg(0))
	if err != nil {
		return verbatimf("Failed to decode config entry input: %v", err)
	}
	c, err := hf.connect(ctx)
	if err != nil {
		return err
	}
	written := false
	if *cas {
		written, err = c.ConfigEntries().CAS(e, *index)
	} else {
		written, err = c.ConfigEntries().Set(e)
	}
	switch {
	case err != nil:
		return verbatimf("Error writing config entry %s/%s: %v", e.Kind(), e.Name(), err)
	case !written:
		return verbatimf("Config entry not updated: %s/%s", e.Kind(), e.Name())
	}
	fmt.Fprintf(stdout, "Config entry written: %s/%s\n", e.Kind(), e.Name())
	return nil
}

// readConfigEntry reads an entry from a JSON or HCL file, "-" for stdin.
func readConfigEntry(path string) (*api.ConfigEntry, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	var raw map[string]any
	if trimmed := bytes.TrimSpace(data); bytes.HasPrefix(trimmed, []byte("{")) {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		err = dec.Decode(&raw)
	} else {
		raw, err = config.ParseHCL(data, path)
	}
	if err != nil {
		return nil, err
	}
	return api.DecodeConfigEntry(raw)
}

const configReadUsage = `
Usage: concord config read -kind <kind> -name <name> [options]

  Prints the config entry of that kind and name as JSON.

      $ concord config read -kind service-defaults -name web
`

// runConfigRead is `concord config read`.
func runConfigRead(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(configReadUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	kind, name := kindNameFlags(fs)
	c, err := parseAndConnect(ctx, fs, &hf, args)
	if err != nil {
		return err
	}
	if err := requireKindName(*kind, name); err != nil {
		return err
	}
	e, _, err := c.ConfigEntries().Get(*kind, *name, hf.query())
	if err != nil {
		return verbatimf("Error reading config entry %s/%s: %v", *kind, *name, err)
	}
	out, err := json.MarshalIndent(e, "", "    ")
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(out))
	return nil
}

const configListUsage = `
Usage: concord config list -kind <kind> [options]

  Lists the names of the config entries of a kind, one per line; -filter
  keeps the service-defaults entries that match an expression.

      $ concord config list -kind service-defaults
      $ concord config list -kind service-defaults -filter 'Protocol == "http"'
`

// runConfigList is `concord config list`.
func runConfigList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(configListUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	kind, _ := kindNameFlags(fs)
	filter := fs.String("filter", "", "A go-bexpr expression the entries must match (service-defaults only).")
	c, err := parseAndConnect(ctx, fs, &hf, args)
	if err != nil {
		return err
	}
	if err := requireKindName(*kind, nil); err != nil {
		return err
	}
	q := hf.query()
	q.Filter = *filter
	entries, _, err := c.ConfigEntries().List(*kind, q)
	if err != nil {
		return verbatimf("Error listing config entries for kind %q: %v", *kind, err)
	}
	for _, e := range entries {
		fmt.Fprintln(stdout, e.Name())
	}
	return nil
}

const configDeleteUsage = `
Usage: concord config delete -kind <kind> -name <name> [options]
       concord config delete -filename <file> [options]

  Deletes the config entry of that kind and name, or the one the file
  describes.

      $ concord config delete -kind service-defaults -name web
`

// runConfigDelete is `concord config delete`.
func runConfigDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(configDeleteUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	kind, name := kindNameFlags(fs)
	file := fs.String("filename", "", "The file (HCL or JSON, - for stdin) describing the entry to delete, in place of -kind and -name.")
	cas := fs.Bool("cas", false, "Perform a Check-And-Set operation: delete only if the entry's ModifyIndex is -modify-index.")
	index := fs.Uint64("modify-index", 0, "The ModifyIndex the entry must have, with -cas.")
	c, err := parseAndConnect(ctx, fs, &hf, args)
	if err != nil {
		return err
	}
	switch {
	case *file != "" && (*kind != "" || *name != ""):
		return verbatimf("Cannot specify -filename with -kind or -name")
	case *file != "":
		e, err := readConfigEntry(*file)
		if err != nil {
			return verbatimf("Failed to decode config entry input: %v", err)
		}
		*kind, *name = e.Kind(), e.Name()
	default:
		if err := requireKindName(*kind, name); err != nil {
			return err
		}
	}
	if !*cas && *index != 0 {
		return verbatimf("Cannot specify -modify-index without -cas")
	}
	if *cas && *index == 0 {
		return verbatimf("Must specify a -modify-index greater than 0 with -cas")
	}
	deleted := true
	if *cas {
		deleted, err = c.ConfigEntries().DeleteCAS(*kind, *name, *index)
	} else {
		err = c.ConfigEntries().Delete(*kind, *name)
	}
	switch {
	case err != nil:
		return verbatimf("Error deleting config entry %s/%s: %v", *kind, *name, err)
	case !deleted:
		return verbatimf("Config entry not deleted: %s/%s", *kind, *name)
	}
	fmt.Fprintf(stdout, "Config entry deleted: %s/%s\n", *kind, *name)
	return nil
}

// kindNameFlags registers -kind and -name.
func kindNameFlags(fs *flag.FlagSet) (kind, name *string) {
	kind = fs.String("kind", "", "The kind of the config entry.")
	name = fs.String("name", "", "The name of the config entry.")
	return kind, name
}

// requireKindName checks that -kind, and -name if name is not nil, were given.
func requireKindName(kind string, name *string) error {
	switch {
	case kind == "":
		return verbatimf("Must specify the -kind parameter")
	case name != nil && *name == "":
		return verbatimf("Must specify the -name parameter")
	}
	return nil
}

package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
)

// exportEntry is one element of the JSON array `kv export` writes and
// `kv import` reads. The lower-case names are consul's, so that dumps move
// between the two tools.
type exportEntry struct {
	Key   string `json:"key"`
	Flags uint64 `json:"flags"`
	Value string `json:"value"` // base64
}

const kvExportUsage = `
Usage: concord kv export [options] [PREFIX]

  Prints every key under PREFIX (all keys when it is omitted) as a JSON array
  of {"key", "flags", "value"} objects, values base64-encoded. "concord kv
  import" reads it back, so this moves whole trees between clusters.

      $ concord kv export vault > vault.json
`

// runKVExport is `concord kv export`.
func runKVExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(kvExportUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	prefix, err := optionalKey(fs.Args())
	if err != nil {
		return err
	}
	kv, err := kvClient(ctx, &hf)
	if err != nil {
		return err
	}
	pairs, _, err := kv.List(prefix, hf.query())
	if err != nil {
		return queryFailed(err)
	}
	entries := make([]exportEntry, len(pairs))
	for i, p := range pairs {
		entries[i] = exportEntry{Key: p.Key, Flags: p.Flags, Value: base64.StdEncoding.EncodeToString(p.Value)}
	}
	out, err := json.MarshalIndent(entries, "", "\t")
	if err != nil {
		return fmt.Errorf("Cannot encode KV data: %w", err)
	}
	fmt.Fprintf(stdout, "%s\n", out)
	return nil
}

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
func runKVExport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet(kvExportUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	if code, done := parseFlags(fs, args); done {
		return code
	}
	prefix, ok := optionalKey(fs.Args(), stderr)
	if !ok {
		return 1
	}
	kv, ok := kvClient(ctx, &hf, stderr)
	if !ok {
		return 1
	}
	pairs, _, err := kv.List(prefix, hf.query())
	if err != nil {
		return queryFailed(stderr, err)
	}
	entries := make([]exportEntry, len(pairs))
	for i, p := range pairs {
		entries[i] = exportEntry{Key: p.Key, Flags: p.Flags, Value: base64.StdEncoding.EncodeToString(p.Value)}
	}
	out, err := json.MarshalIndent(entries, "", "\t")
	if err != nil {
		fmt.Fprintf(stderr, "Error! Cannot encode KV data: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s\n", out)
	return 0
}

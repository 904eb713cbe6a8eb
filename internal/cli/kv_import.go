package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/concordhq/concord/api"
)

const kvImportUsage = `
Usage: concord kv import [options] DATA

  Writes the keys of a "concord kv export" (or "consul kv export") dump. DATA
  is the JSON itself, "@path" to read a file, or "-" to read stdin.

      $ concord kv import @vault.json
      $ concord kv export vault | concord kv import -http-addr=other:8500 -

  -prefix writes every key under that prefix instead of at its own name.
`

// runKVImport is `concord kv import`.
func runKVImport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet(kvImportUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	prefix := fs.String("prefix", "", "Prefix to put in front of every imported key.")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	switch {
	case fs.NArg() == 0:
		fmt.Fprintln(stderr, "Error! Missing DATA argument")
		return 1
	case fs.NArg() > 1:
		fmt.Fprintf(stderr, "Error! Too many arguments (expected 1, got %d)\n", fs.NArg())
		return 1
	case fs.Arg(0) == "":
		fmt.Fprintln(stderr, "Error! Empty DATA argument")
		return 1
	}
	data, err := readData(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "Error! %v\n", err)
		return 1
	}
	var entries []exportEntry
	if err := json.Unmarshal(data, &entries); err != nil {
		fmt.Fprintf(stderr, "Error! Cannot unmarshal data: %v\n", err)
		return 1
	}
	kv, ok := kvClient(ctx, &hf, stderr)
	if !ok {
		return 1
	}

	// Entries are written one by one, so a failure leaves the earlier ones
	// written; the output names each key as it lands.
	for _, e := range entries {
		value, err := base64.StdEncoding.DecodeString(e.Value)
		if err != nil {
			fmt.Fprintf(stderr, "Error! Cannot base 64 decode value for key %s: %v\n", e.Key, err)
			return 1
		}
		key := importKey(*prefix, e.Key)
		if _, err := kv.Put(&api.KVPair{Key: key, Flags: e.Flags, Value: value}); err != nil {
			fmt.Fprintf(stderr, "Error! Failed writing data for key %s: %v\n", key, err)
			return 1
		}
		fmt.Fprintf(stdout, "Imported: %s\n", key)
	}
	return 0
}

// importKey places key under prefix, keeping the trailing slash that marks a
// folder key. Without a prefix the key is written exactly as exported.
func importKey(prefix, key string) string {
	if prefix == "" {
		return key
	}
	joined := path.Join(prefix, key)
	if strings.HasSuffix(key, "/") {
		joined += "/"
	}
	return joined
}

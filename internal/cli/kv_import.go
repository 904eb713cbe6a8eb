package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
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
func runKVImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(kvImportUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	prefix := fs.String("prefix", "", "Prefix to put in front of every imported key.")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() == 0:
		return errors.New("Missing DATA argument")
	case fs.NArg() > 1:
		return fmt.Errorf("Too many arguments (expected 1, got %d)", fs.NArg())
	case fs.Arg(0) == "":
		return errors.New("Empty DATA argument")
	}
	data, err := readData(fs.Arg(0))
	if err != nil {
		return err
	}
	var entries []exportEntry
	if err := json.Unmarshal(data, &entries); err != nil {
		return fmt.Errorf("Cannot unmarshal data: %w", err)
	}
	kv, err := kvClient(ctx, &hf)
	if err != nil {
		return err
	}

	// Entries are written one by one, so a failure leaves the earlier ones
	// written; the output names each key as it lands.
	for _, e := range entries {
		value, err := base64.StdEncoding.DecodeString(e.Value)
		if err != nil {
			return fmt.Errorf("Cannot base 64 decode value for key %s: %w", e.Key, err)
		}
		key := importKey(*prefix, e.Key)
		if _, err := kv.Put(&api.KVPair{Key: key, Flags: e.Flags, Value: value}); err != nil {
			return fmt.Errorf("Failed writing data for key %s: %w", key, err)
		}
		fmt.Fprintf(stdout, "Imported: %s\n", key)
	}
	return nil
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

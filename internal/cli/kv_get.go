package cli

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"

	"github.com/concordhq/concord/api"
)

const kvGetUsage = `
Usage: concord kv get [options] [KEY_OR_PREFIX]

  Prints the value stored at KEY, followed by a newline. It fails if no key
  exists there; a key with an empty value prints an empty line.

      $ concord kv get redis/config/connections

  -detailed prints the key's metadata too. -recurse treats the argument as a
  prefix and prints every key under it as "key:value"; -keys prints only the
  key names, rolled up at -separator unless -recurse is also given.
`

// runKVGet is `concord kv get`.
func runKVGet(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet(kvGetUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	b64 := fs.Bool("base64", false, "Print values base64-encoded.")
	detailed := fs.Bool("detailed", false, "Print the key's metadata (indexes, flags, session) with its value.")
	keysOnly := fs.Bool("keys", false, "List the keys under the prefix, not their values.")
	recurse := fs.Bool("recurse", false, "Print every key under the prefix.")
	separator := fs.String("separator", "/", "With -keys, list keys only up to the next separator; empty lists all.")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	key, ok := optionalKey(fs.Args(), stderr)
	if !ok {
		return 1
	}
	if key == "" && !*recurse && !*keysOnly {
		fmt.Fprintln(stderr, "Error! Missing KEY argument")
		return 1
	}
	kv, ok := kvClient(ctx, &hf, stderr)
	if !ok {
		return 1
	}

	switch {
	case *keysOnly && *recurse:
		// Every key, not rolled up; -detailed adds metadata but no values.
		pairs, _, err := kv.List(key, hf.query())
		if err != nil {
			return queryFailed(stderr, err)
		}
		for i, p := range pairs {
			if !*detailed {
				fmt.Fprintln(stdout, p.Key)
				continue
			}
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			writeDetailed(stdout, p, nil)
		}
	case *keysOnly:
		keys, _, err := kv.Keys(key, *separator, hf.query())
		if err != nil {
			return queryFailed(stderr, err)
		}
		for _, k := range keys {
			fmt.Fprintln(stdout, k)
		}
	case *recurse:
		// An empty prefix is not an error: the command prints nothing.
		pairs, _, err := kv.List(key, hf.query())
		if err != nil {
			return queryFailed(stderr, err)
		}
		for i, p := range pairs {
			value := formatValue(p.Value, *b64)
			if !*detailed {
				fmt.Fprintf(stdout, "%s:%s\n", p.Key, value)
				continue
			}
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			writeDetailed(stdout, p, &value)
		}
	default:
		p, _, err := kv.Get(key, hf.query())
		if err != nil {
			return queryFailed(stderr, err)
		}
		if p == nil {
			fmt.Fprintf(stderr, "Error! No key exists at: %s\n", key)
			return 1
		}
		value := formatValue(p.Value, *b64)
		if *detailed {
			writeDetailed(stdout, p, &value)
		} else {
			fmt.Fprintln(stdout, value)
		}
	}
	return 0
}

// queryFailed reports a failed read and returns the exit code.
func queryFailed(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "Error! Cannot query the agent: %v\n", err)
	return 1
}

// formatValue is a value as get prints it: raw bytes, or base64.
func formatValue(v []byte, b64 bool) string {
	if b64 {
		return base64.StdEncoding.EncodeToString(v)
	}
	return string(v)
}

// writeDetailed prints p as consul's -detailed does: one "Name  value" line
// per field, names padded to one column. A nil value leaves the Value line
// out, for key listings.
func writeDetailed(w io.Writer, p *api.KVPair, value *string) {
	line := func(name string, v any) { fmt.Fprintf(w, "%-17s%v\n", name, v) }
	session := p.Session
	if session == "" {
		session = "-"
	}
	line("CreateIndex", p.CreateIndex)
	line("Flags", p.Flags)
	line("Key", p.Key)
	line("LockIndex", p.LockIndex)
	line("ModifyIndex", p.ModifyIndex)
	line("Session", session)
	if value != nil {
		line("Value", *value)
	}
}

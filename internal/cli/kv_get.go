package cli

import (
	"context"
	"encoding/base64"
	"errors"
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

// kvGet is one `concord kv get`: its flags and argument.
type kvGet struct {
	hf                httpFlags
	base64, detailed  bool
	keysOnly, recurse bool
	separator         string
	key               string
}

// runKVGet is `concord kv get`.
func runKVGet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c kvGet
	if err := c.parse(args, stderr); err != nil {
		return err
	}
	kv, err := kvClient(ctx, &c.hf)
	if err != nil {
		return err
	}
	switch {
	case c.keysOnly && !c.recurse:
		return c.printKeys(kv, stdout)
	case c.keysOnly || c.recurse:
		return c.printPairs(kv, stdout)
	default:
		return c.printValue(kv, stdout)
	}
}

// parse reads the flags and the argument.
func (c *kvGet) parse(args []string, stderr io.Writer) error {
	fs := newFlagSet(kvGetUsage, stderr)
	c.hf.register(fs)
	fs.BoolVar(&c.base64, "base64", false, "Print values base64-encoded.")
	fs.BoolVar(&c.detailed, "detailed", false, "Print the key's metadata (indexes, flags, session) with its value.")
	fs.BoolVar(&c.keysOnly, "keys", false, "List the keys under the prefix, not their values.")
	fs.BoolVar(&c.recurse, "recurse", false, "Print every key under the prefix.")
	fs.StringVar(&c.separator, "separator", "/", "With -keys, list keys only up to the next separator; empty lists all.")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	var err error
	if c.key, err = optionalKey(fs.Args()); err != nil {
		return err
	}
	if c.key == "" && !c.recurse && !c.keysOnly {
		return errors.New("Missing KEY argument")
	}
	return nil
}

// printKeys is -keys: the key names under the prefix, rolled up at the
// separator.
func (c *kvGet) printKeys(kv *api.KV, stdout io.Writer) error {
	keys, _, err := kv.Keys(c.key, c.separator, c.hf.query())
	if err != nil {
		return queryFailed(err)
	}
	for _, k := range keys {
		fmt.Fprintln(stdout, k)
	}
	return nil
}

// printPairs is -recurse: every key under the prefix as "key:value", or
// -detailed. With -keys too, values are left out and keys not rolled up.
// An empty prefix is not an error: the command prints nothing.
func (c *kvGet) printPairs(kv *api.KV, stdout io.Writer) error {
	pairs, _, err := kv.List(c.key, c.hf.query())
	if err != nil {
		return queryFailed(err)
	}
	for i, p := range pairs {
		var value *string
		if !c.keysOnly {
			v := formatValue(p.Value, c.base64)
			value = &v
		}
		switch {
		case c.detailed:
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			writeDetailed(stdout, p, value)
		case value == nil:
			fmt.Fprintln(stdout, p.Key)
		default:
			fmt.Fprintf(stdout, "%s:%s\n", p.Key, *value)
		}
	}
	return nil
}

// printValue prints the value at the key, or -detailed; it fails if no key
// exists there.
func (c *kvGet) printValue(kv *api.KV, stdout io.Writer) error {
	p, _, err := kv.Get(c.key, c.hf.query())
	if err != nil {
		return queryFailed(err)
	}
	if p == nil {
		return fmt.Errorf("No key exists at: %s", c.key)
	}
	value := formatValue(p.Value, c.base64)
	if c.detailed {
		writeDetailed(stdout, p, &value)
	} else {
		fmt.Fprintln(stdout, value)
	}
	return nil
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

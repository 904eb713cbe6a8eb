package cli

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"

	"github.com/concordhq/concord/api"
)

const kvPutUsage = `
Usage: concord kv put [options] KEY [DATA]

  Writes DATA at KEY, creating or replacing the key. DATA may be "@path" to
  write a file's contents, or "-" to write what is read from stdin. Without
  DATA the key is written with an empty value.

      $ concord kv put config/redis/maxconns 5
      $ concord kv put config/program/license @license.lic
      $ echo "abcd1234" | concord kv put config/program/license -

  -cas -modify-index=N writes only if the key has not changed since index N.
  -acquire and -release take or give up the key's lock for -session.
`

// runKVPut is `concord kv put`.
func runKVPut(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet(kvPutUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	flags := fs.Uint64("flags", 0, "Unsigned integer stored with the key, for clients' own use.")
	b64 := fs.Bool("base64", false, "DATA is base64-encoded; decode it before writing.")
	cas := fs.Bool("cas", false, "Check-and-set: write only if the key's ModifyIndex is -modify-index.")
	modifyIndex := fs.Uint64("modify-index", 0, "The ModifyIndex -cas compares against.")
	session := fs.String("session", "", "Session ID for -acquire and -release.")
	acquire := fs.Bool("acquire", false, "Take the key's lock for -session, writing DATA if it is taken.")
	release := fs.Bool("release", false, "Give up the key's lock held by -session, writing DATA.")
	if code, done := parseFlags(fs, args); done {
		return code
	}

	var key, data string
	switch fs.NArg() {
	case 0:
		fmt.Fprintln(stderr, "Error! Missing KEY argument")
		return 1
	case 1:
		key = fs.Arg(0)
	case 2:
		key, data = fs.Arg(0), fs.Arg(1)
	default:
		fmt.Fprintf(stderr, "Error! Too many arguments (expected 1 or 2, got %d)\n", fs.NArg())
		return 1
	}
	if countTrue(*cas, *acquire, *release) > 1 {
		fmt.Fprintln(stderr, "Error! Only one of -cas, -acquire and -release may be given")
		return 1
	}
	if (*acquire || *release) && *session == "" {
		fmt.Fprintln(stderr, "Error! Missing -session (required with -acquire and -release)")
		return 1
	}
	if *cas && *modifyIndex == 0 {
		fmt.Fprintln(stderr, "Error! Must specify -modify-index with -cas")
		return 1
	}
	value, err := readData(data)
	if err != nil {
		fmt.Fprintf(stderr, "Error! %v\n", err)
		return 1
	}
	if *b64 {
		if value, err = base64.StdEncoding.DecodeString(string(value)); err != nil {
			fmt.Fprintf(stderr, "Error! Cannot base 64 decode data: %v\n", err)
			return 1
		}
	}
	kv, ok := kvClient(ctx, &hf, stderr)
	if !ok {
		return 1
	}

	p := &api.KVPair{Key: key, Flags: *flags, Value: value, ModifyIndex: *modifyIndex, Session: *session}
	switch {
	case *cas:
		ok, err := kv.CAS(p)
		if err != nil {
			fmt.Fprintf(stderr, "Error! Did not write to %s: %v\n", key, err)
			return 1
		}
		if !ok {
			fmt.Fprintf(stderr, "Error! Did not write to %s: CAS failed\n", key)
			return 1
		}
		fmt.Fprintf(stdout, "Success! Data written to: %s\n", key)
	case *acquire:
		ok, err := kv.Acquire(p)
		if err != nil {
			fmt.Fprintf(stderr, "Error! Failed writing data: %v\n", err)
			return 1
		}
		if !ok {
			fmt.Fprintln(stderr, "Error! Did not acquire lock")
			return 1
		}
		fmt.Fprintf(stdout, "Success! Lock acquired on: %s\n", key)
	case *release:
		ok, err := kv.Release(p)
		if err != nil {
			fmt.Fprintf(stderr, "Error! Failed writing data: %v\n", err)
			return 1
		}
		if !ok {
			fmt.Fprintln(stderr, "Error! Did not release lock")
			return 1
		}
		fmt.Fprintf(stdout, "Success! Lock released on: %s\n", key)
	default:
		if _, err := kv.Put(p); err != nil {
			fmt.Fprintf(stderr, "Error! Failed writing data: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "Success! Data written to: %s\n", key)
	}
	return 0
}

// countTrue returns how many of bs are true.
func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

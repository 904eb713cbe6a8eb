package cli

import (
	"context"
	"encoding/base64"
	"errors"
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

// kvPut is one `concord kv put`: its flags and arguments.
type kvPut struct {
	hf                    httpFlags
	flags                 uint64
	base64                bool
	cas, acquire, release bool // how to write; at most one
	modifyIndex           uint64
	session               string
	key, data             string
}

// runKVPut is `concord kv put`.
func runKVPut(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c kvPut
	if err := c.parse(args, stderr); err != nil {
		return err
	}
	value, err := c.value()
	if err != nil {
		return err
	}
	kv, err := kvClient(ctx, &c.hf)
	if err != nil {
		return err
	}
	done, err := c.write(kv, &api.KVPair{
		Key: c.key, Flags: c.flags, Value: value, ModifyIndex: c.modifyIndex, Session: c.session,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Success! %s: %s\n", done, c.key)
	return nil
}

// parse reads the flags and arguments and checks that they go together.
func (c *kvPut) parse(args []string, stderr io.Writer) error {
	fs := newFlagSet(kvPutUsage, stderr)
	c.hf.register(fs)
	fs.Uint64Var(&c.flags, "flags", 0, "Unsigned integer stored with the key, for clients' own use.")
	fs.BoolVar(&c.base64, "base64", false, "DATA is base64-encoded; decode it before writing.")
	fs.BoolVar(&c.cas, "cas", false, "Check-and-set: write only if the key's ModifyIndex is -modify-index.")
	fs.Uint64Var(&c.modifyIndex, "modify-index", 0, "The ModifyIndex -cas compares against.")
	fs.StringVar(&c.session, "session", "", "Session ID for -acquire and -release.")
	fs.BoolVar(&c.acquire, "acquire", false, "Take the key's lock for -session, writing DATA if it is taken.")
	fs.BoolVar(&c.release, "release", false, "Give up the key's lock held by -session, writing DATA.")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	switch fs.NArg() {
	case 0:
		return errors.New("Missing KEY argument")
	case 1, 2:
		c.key, c.data = fs.Arg(0), fs.Arg(1)
	default:
		return fmt.Errorf("Too many arguments (expected 1 or 2, got %d)", fs.NArg())
	}
	switch {
	case countTrue(c.cas, c.acquire, c.release) > 1:
		return errors.New("Only one of -cas, -acquire and -release may be given")
	case (c.acquire || c.release) && c.session == "":
		return errors.New("Missing -session (required with -acquire and -release)")
	case c.cas && c.modifyIndex == 0:
		return errors.New("Must specify -modify-index with -cas")
	}
	return nil
}

// value is the value to write: DATA read as readData does, then decoded
// with -base64.
func (c *kvPut) value() ([]byte, error) {
	value, err := readData(c.data)
	if err != nil {
		return nil, err
	}
	if c.base64 {
		if value, err = base64.StdEncoding.DecodeString(string(value)); err != nil {
			return nil, fmt.Errorf("Cannot base 64 decode data: %w", err)
		}
	}
	return value, nil
}

// write writes p as the flags ask and returns what was done, for the
// success message.
func (c *kvPut) write(kv *api.KV, p *api.KVPair) (done string, err error) {
	switch {
	case c.cas:
		ok, err := kv.CAS(p)
		return "Data written to", condWrite(ok, err, "Did not write to "+p.Key, "Did not write to "+p.Key+": CAS failed")
	case c.acquire:
		ok, err := kv.Acquire(p)
		return "Lock acquired on", condWrite(ok, err, "Failed writing data", "Did not acquire lock")
	case c.release:
		ok, err := kv.Release(p)
		return "Lock released on", condWrite(ok, err, "Failed writing data", "Did not release lock")
	default:
		if _, err := kv.Put(p); err != nil {
			return "", fmt.Errorf("Failed writing data: %w", err)
		}
		return "Data written to", nil
	}
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

package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/concordhq/concord/api"
)

const kvDeleteUsage = `
Usage: concord kv delete [options] KEY_OR_PREFIX

  Removes the key at KEY. A missing key is not an error.

      $ concord kv delete foo

  -recurse removes every key that starts with the prefix ("foo", "food" and
  "foo/bar" above); with -recurse the prefix may be empty, which removes every
  key. -cas -modify-index=N removes the key only if it has not changed since
  index N.
`

// runKVDelete is `concord kv delete`.
func runKVDelete(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet(kvDeleteUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	cas := fs.Bool("cas", false, "Check-and-set: delete only if the key's ModifyIndex is -modify-index.")
	modifyIndex := fs.Uint64("modify-index", 0, "The ModifyIndex -cas compares against.")
	recurse := fs.Bool("recurse", false, "Delete every key that starts with the prefix.")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	key, ok := optionalKey(fs.Args(), stderr)
	if !ok {
		return 1
	}
	switch {
	case key == "" && !*recurse:
		fmt.Fprintln(stderr, "Error! Missing KEY argument")
		return 1
	case *cas && *recurse:
		fmt.Fprintln(stderr, "Cannot specify both -cas and -recurse!")
		return 1
	case *cas && *modifyIndex == 0:
		fmt.Fprintln(stderr, "Cannot delete a key that does not exist. Provide a -modify-index greater than 0.")
		return 1
	case !*cas && *modifyIndex != 0:
		fmt.Fprintln(stderr, "Cannot specify -modify-index without -cas!")
		return 1
	}
	kv, ok := kvClient(ctx, &hf, stderr)
	if !ok {
		return 1
	}

	switch {
	case *recurse:
		if _, err := kv.DeleteTree(key); err != nil {
			fmt.Fprintf(stderr, "Error! Did not delete prefix %s: %v\n", key, err)
			return 1
		}
		fmt.Fprintf(stdout, "Success! Deleted keys with prefix: %s\n", key)
	case *cas:
		ok, err := kv.DeleteCAS(&api.KVPair{Key: key, ModifyIndex: *modifyIndex})
		if err != nil {
			fmt.Fprintf(stderr, "Error! Did not delete key %s: %v\n", key, err)
			return 1
		}
		if !ok {
			fmt.Fprintf(stderr, "Error! Did not delete key %s: CAS failed\n", key)
			return 1
		}
		fmt.Fprintf(stdout, "Success! Deleted key: %s\n", key)
	default:
		if _, err := kv.Delete(key); err != nil {
			fmt.Fprintf(stderr, "Error! Did not delete key %s: %v\n", key, err)
			return 1
		}
		fmt.Fprintf(stdout, "Success! Deleted key: %s\n", key)
	}
	return 0
}

package cli

import (
	"context"
	"errors"
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
func runKVDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(kvDeleteUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	cas := fs.Bool("cas", false, "Check-and-set: delete only if the key's ModifyIndex is -modify-index.")
	modifyIndex := fs.Uint64("modify-index", 0, "The ModifyIndex -cas compares against.")
	recurse := fs.Bool("recurse", false, "Delete every key that starts with the prefix.")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	key, err := optionalKey(fs.Args())
	if err != nil {
		return err
	}
	switch {
	case key == "" && !*recurse:
		return errors.New("Missing KEY argument")
	case *cas && *recurse:
		return verbatimf("Cannot specify both -cas and -recurse!")
	case *cas && *modifyIndex == 0:
		return verbatimf("Cannot delete a key that does not exist. Provide a -modify-index greater than 0.")
	case !*cas && *modifyIndex != 0:
		return verbatimf("Cannot specify -modify-index without -cas!")
	}
	kv, err := kvClient(ctx, &hf)
	if err != nil {
		return err
	}

	switch {
	case *recurse:
		if _, err := kv.DeleteTree(key); err != nil {
			return fmt.Errorf("Did not delete prefix %s: %w", key, err)
		}
		fmt.Fprintf(stdout, "Success! Deleted keys with prefix: %s\n", key)
		return nil
	case *cas:
		ok, err := kv.DeleteCAS(&api.KVPair{Key: key, ModifyIndex: *modifyIndex})
		err = condWrite(ok, err, "Did not delete key "+key, "Did not delete key "+key+": CAS failed")
		if err != nil {
			return err
		}
	default:
		if _, err := kv.Delete(key); err != nil {
			return fmt.Errorf("Did not delete key %s: %w", key, err)
		}
	}
	fmt.Fprintf(stdout, "Success! Deleted key: %s\n", key)
	return nil
}

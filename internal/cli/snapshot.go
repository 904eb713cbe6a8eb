package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/concordhq/concord/internal/snapshot"
	consulapi "github.com/hashicorp/consul/api"
)

// snapshotCommands are the subcommands of `concord snapshot`.
var snapshotCommands = []command{
	{name: "inspect", synopsis: "Displays information about a snapshot file", run: runSnapshotInspect},
	{name: "restore", synopsis: "Restores a snapshot of the servers' state", run: runSnapshotRestore},
	{name: "save", synopsis: "Saves a snapshot of the servers' state", run: runSnapshotSave},
}

// runSnapshot is `concord snapshot`: it runs one of snapshotCommands.
func runSnapshot(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "Usage: concord snapshot <subcommand> [options] [args]", snapshotCommands, args, stdout, stderr)
}

// snapshotFileArg parses args into fs and returns the one FILE argument.
func snapshotFileArg(fs *flag.FlagSet, args []string) (string, error) {
	if err := parseArgs(fs, args); err != nil {
		return "", err
	}
	switch fs.NArg() {
	case 0:
		return "", verbatimf("Missing FILE argument")
	case 1:
		return fs.Arg(0), nil
	}
	return "", verbatimf("Too many arguments (expected 1, got %d)", fs.NArg())
}

// snapshotClient parses the arguments of a command that talks to the
// agent (save, restore) into hf, and returns the client and FILE.
func snapshotClient(usage string, hf *httpFlags, args []string, stderr io.Writer) (*consulapi.Client, string, error) {
	fs := newFlagSet(usage, stderr)
	hf.register(fs)
	file, err := snapshotFileArg(fs, args)
	if err != nil {
		return nil, "", err
	}
	c, err := hf.official()
	return c, file, err
}

// openSnapshot opens the archive at path, with Consul's error.
func openSnapshot(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, verbatimf("Error opening snapshot file: %v", err)
	}
	return f, nil
}

const snapshotSaveUsage = `
Usage: concord snapshot save [options] FILE

  Saves an atomic, point-in-time snapshot of the servers' state — keys,
  catalog, sessions, streams, ACLs, prepared queries — to FILE. The
  leader takes it unless -stale is given, which lets any server answer
  (useful when there is no leader). The archive is written to
  FILE.unverified, checked, and only then renamed to FILE.
`

// runSnapshotSave is `concord snapshot save`.
func runSnapshotSave(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var hf httpFlags
	c, file, err := snapshotClient(snapshotSaveUsage, &hf, args, stderr)
	if err != nil {
		return err
	}
	body, _, err := c.Snapshot().Save((&consulapi.QueryOptions{AllowStale: hf.stale}).WithContext(ctx))
	if err != nil {
		return verbatimf("Error saving snapshot: %v", err)
	}
	defer body.Close()
	unverified := file + ".unverified"
	if err := writeFile(unverified, body); err != nil {
		return verbatimf("Error saving snapshot: %v", err)
	}
	meta, err := verifyFile(unverified)
	if err != nil {
		os.Remove(unverified)
		return verbatimf("Error verifying snapshot file: %v", err)
	}
	if err := os.Rename(unverified, file); err != nil {
		return verbatimf("Error renaming %q to %q: %v", unverified, file, err)
	}
	fmt.Fprintf(stdout, "Saved and verified snapshot to index %d\n", meta.Index)
	return nil
}

// writeFile writes r to a new file at path, synced to disk.
func writeFile(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

// verifyFile checks the archive at path.
func verifyFile(path string) (*snapshotMeta, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return snapshot.Verify(f)
}

const snapshotRestoreUsage = `
Usage: concord snapshot restore [options] FILE

  Restores the snapshot in FILE: the servers' whole state is replaced by
  the snapshot's, on every server. A damaged archive is refused and
  nothing changes. Meant for disaster recovery, into a fresh cluster or
  the one the snapshot came from.
`

// runSnapshotRestore is `concord snapshot restore`.
func runSnapshotRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var hf httpFlags
	c, file, err := snapshotClient(snapshotRestoreUsage, &hf, args, stderr)
	if err != nil {
		return err
	}
	f, err := openSnapshot(file)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := c.Snapshot().Restore((&consulapi.WriteOptions{}).WithContext(ctx), f); err != nil {
		return verbatimf("Error restoring snapshot: %v", err)
	}
	fmt.Fprintln(stdout, "Restored snapshot")
	return nil
}

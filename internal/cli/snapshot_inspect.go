package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/concordhq/concord/internal/snapshot"
	"github.com/hashicorp/raft"
)

// snapshotMeta is an archive's Raft metadata.
type snapshotMeta = raft.SnapshotMeta

const snapshotInspectUsage = `
Usage: concord snapshot inspect FILE

  Checks the snapshot archive in FILE and prints its Raft metadata — ID,
  size of the state, index, term, format version — then how many records
  of each type the state holds and their size. A FILE named state.bin is
  read as a server's own Raft snapshot (data-dir/raft/snapshots/<id>/),
  with the meta.json beside it.
`

// runSnapshotInspect is `concord snapshot inspect`.
func runSnapshotInspect(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(snapshotInspectUsage, stderr)
	file, err := snapshotFileArg(fs, args)
	if err != nil {
		return err
	}
	meta, state, err := readSnapshotFile(file)
	if err != nil {
		return err
	}
	writeTable(stdout, 2, [][]string{
		{" ID", meta.ID},
		{" Size", strconv.FormatInt(meta.Size, 10)},
		{" Index", strconv.FormatUint(meta.Index, 10)},
		{" Term", strconv.FormatUint(meta.Term, 10)},
		{" Version", strconv.Itoa(int(meta.Version))},
	})
	info, err := snapshot.ReadState(state)
	if errors.Is(err, snapshot.ErrNotState) {
		fmt.Fprintln(stdout, "\n The state is not in Concord's format: its records are not listed.")
		return nil
	}
	if err != nil {
		return verbatimf("Error reading snapshot state: %v", err)
	}
	rows := [][]string{{" Type", "Count", "Size"}, {" ----", "----", "----"}}
	for _, r := range info.Records {
		rows = append(rows, []string{" " + r.Type, strconv.Itoa(r.Count), byteSize(r.Size)})
	}
	rows = append(rows, []string{" ----", "----", "----"}, []string{" Total", "", byteSize(info.Total)})
	fmt.Fprintln(stdout)
	writeTable(stdout, 2, rows)
	return nil
}

// readSnapshotFile reads and verifies the archive at path. A file named
// state.bin is taken, as Consul's inspect takes it, for a server's own
// Raft snapshot (data-dir/raft/snapshots/<id>/), with its metadata in the
// meta.json beside it.
func readSnapshotFile(path string) (*snapshotMeta, io.Reader, error) {
	if filepath.Base(path) == "state.bin" {
		return readRaftSnapshot(path)
	}
	f, err := openSnapshot(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	var state bytes.Buffer
	meta, err := snapshot.Read(f, &state)
	if err != nil {
		return nil, nil, verbatimf("Error verifying snapshot: %v", err)
	}
	return meta, &state, nil
}

// readRaftSnapshot reads a Raft snapshot directory's state.bin at path and
// its meta.json (Raft's file store writes the metadata's fields there,
// with a CRC of the state that is checked when Raft opens it).
func readRaftSnapshot(path string) (*snapshotMeta, io.Reader, error) {
	metaPath := filepath.Join(filepath.Dir(path), "meta.json")
	data, err := os.ReadFile(metaPath)
	if err != nil {
		return nil, nil, verbatimf("Error opening snapshot metadata: %v", err)
	}
	meta := new(snapshotMeta)
	if err := json.Unmarshal(data, meta); err != nil {
		return nil, nil, verbatimf("Error reading snapshot metadata %s: %v", metaPath, err)
	}
	f, err := openSnapshot(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	state, err := io.ReadAll(io.LimitReader(f, snapshot.MaxStateSize+1))
	if err != nil {
		return nil, nil, verbatimf("Error reading snapshot file: %v", err)
	}
	return meta, bytes.NewReader(state), nil
}

// byteSize writes n as Consul's inspect does: 344B, 1.7KB, 5KB, 2.1MB.
func byteSize(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + "B"
	}
	v, unit := float64(n)/1024, "KB"
	for _, u := range []string{"MB", "GB", "TB"} {
		if v < 1024 {
			break
		}
		v, unit = v/1024, u
	}
	return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0") + unit
}

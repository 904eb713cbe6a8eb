package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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
  of each type the state holds and their size.
`

// runSnapshotInspect is `concord snapshot inspect`.
func runSnapshotInspect(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(snapshotInspectUsage, stderr)
	file, err := snapshotFileArg(fs, args)
	if err != nil {
		return err
	}
	f, err := openSnapshot(file)
	if err != nil {
		return err
	}
	defer f.Close()
	var state bytes.Buffer
	meta, err := snapshot.Read(f, &state)
	if err != nil {
		return verbatimf("Error verifying snapshot: %v", err)
	}
	writeTable(stdout, 2, [][]string{
		{" ID", meta.ID},
		{" Size", strconv.FormatInt(meta.Size, 10)},
		{" Index", strconv.FormatUint(meta.Index, 10)},
		{" Term", strconv.FormatUint(meta.Term, 10)},
		{" Version", strconv.Itoa(int(meta.Version))},
	})
	info, err := snapshot.ReadState(&state)
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

// Package snapshot is the archive a snapshot of the servers' state travels
// in, laid out as Consul's so that Consul's tools read it: a gzip-compressed
// tar of three files,
//
//	meta.json   the Raft snapshot metadata (raft.SnapshotMeta as JSON:
//	            ID, Size, Index, Term, Version, Configuration...)
//	state.bin   the FSM's snapshot stream (internal/fsm's format)
//	SHA256SUMS  "<hex sha256>  <name>" for meta.json and state.bin
//
// Read checks every part before it trusts any: a damaged or truncated
// archive (bad gzip, a tar cut short, a missing or unexpected file, a hash
// or size that does not match) is refused with ErrDamaged, so a caller
// changes nothing. ReadState and Reindex look inside state.bin without
// building a store (inspect, restore).
package snapshot

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/raft"
)

// The files of an archive, in the order Write puts them.
const (
	metaFile  = "meta.json"
	stateFile = "state.bin"
	sumsFile  = "SHA256SUMS"
)

// MaxStateSize bounds the state.bin a Read accepts, so a small archive
// that inflates to a huge one (or a lying header) cannot exhaust memory.
const MaxStateSize = 1 << 30

// ErrDamaged is returned (wrapped, with the reason) for an archive that is
// not a complete, intact snapshot archive.
var ErrDamaged = errors.New("snapshot: archive is damaged")

func damaged(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrDamaged, fmt.Sprintf(format, args...))
}

// Write writes an archive of meta and the meta.Size bytes of state to w.
func Write(w io.Writer, meta *raft.SnapshotMeta, state io.Reader) error {
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("cannot encode snapshot metadata: %w", err)
	}
	metaJSON = append(metaJSON, '\n')
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	now := time.Now()
	sums := map[string]hash.Hash{metaFile: sha256.New(), stateFile: sha256.New()}
	put := func(name string, size int64, r io.Reader) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: size, ModTime: now}); err != nil {
			return fmt.Errorf("cannot write %s header: %w", name, err)
		}
		if h := sums[name]; h != nil {
			r = io.TeeReader(r, h)
		}
		if n, err := io.CopyN(tw, r, size); err != nil {
			return fmt.Errorf("cannot write %s (%d of %d bytes): %w", name, n, size, err)
		}
		return nil
	}
	if err := put(metaFile, int64(len(metaJSON)), bytes.NewReader(metaJSON)); err != nil {
		return err
	}
	if err := put(stateFile, meta.Size, state); err != nil {
		return err
	}
	var list bytes.Buffer
	for _, name := range []string{metaFile, stateFile} {
		fmt.Fprintf(&list, "%x  %s\n", sums[name].Sum(nil), name)
	}
	if err := put(sumsFile, int64(list.Len()), &list); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("cannot finish snapshot archive: %w", err)
	}
	return gz.Close()
}

// Read reads and verifies the archive in r: it returns its metadata, and
// writes state.bin to state as it goes. What state received is only good
// when Read returns nil.
func Read(r io.Reader, state io.Writer) (*raft.SnapshotMeta, error) {
	gz, err := gzip.NewReader(bufio.NewReader(r))
	if err != nil {
		return nil, damaged("not gzip-compressed: %v", err)
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	sums := map[string]hash.Hash{metaFile: sha256.New(), stateFile: sha256.New()}
	var meta *raft.SnapshotMeta
	var stateSize int64 = -1
	var list []byte
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, damaged("cannot read the tar archive: %v", err)
		}
		switch hdr.Name {
		case metaFile:
			if meta != nil {
				return nil, damaged("%s appears twice", metaFile)
			}
			data, err := io.ReadAll(io.TeeReader(io.LimitReader(tr, 1<<20), sums[metaFile]))
			if err != nil {
				return nil, damaged("cannot read %s: %v", metaFile, err)
			}
			meta = new(raft.SnapshotMeta)
			if err := json.Unmarshal(data, meta); err != nil {
				return nil, damaged("cannot decode %s: %v", metaFile, err)
			}
		case stateFile:
			if stateSize >= 0 {
				return nil, damaged("%s appears twice", stateFile)
			}
			if hdr.Size > MaxStateSize {
				return nil, damaged("%s is %d bytes, more than the %d allowed", stateFile, hdr.Size, MaxStateSize)
			}
			stateSize, err = io.Copy(io.MultiWriter(state, sums[stateFile]), tr)
			if err != nil {
				return nil, damaged("cannot read %s: %v", stateFile, err)
			}
		case sumsFile:
			if list != nil {
				return nil, damaged("%s appears twice", sumsFile)
			}
			if list, err = io.ReadAll(io.LimitReader(tr, 64<<10)); err != nil {
				return nil, damaged("cannot read %s: %v", sumsFile, err)
			}
		default:
			return nil, damaged("unexpected file %q", hdr.Name)
		}
	}
	// The gzip trailer's checksum is only checked at its end.
	if n, err := io.Copy(io.Discard, gz); err != nil || n > 0 {
		return nil, damaged("bad compressed stream after the archive (%d bytes, %v)", n, err)
	}
	switch {
	case meta == nil:
		return nil, damaged("%s is missing", metaFile)
	case stateSize < 0:
		return nil, damaged("%s is missing", stateFile)
	case list == nil:
		return nil, damaged("%s is missing", sumsFile)
	}
	if err := checkSums(list, sums); err != nil {
		return nil, err
	}
	if meta.Size != stateSize {
		return nil, damaged("%s is %d bytes, its metadata says %d", stateFile, stateSize, meta.Size)
	}
	return meta, nil
}

// Verify reads and verifies the archive in r, discarding state.bin.
func Verify(r io.Reader) (*raft.SnapshotMeta, error) { return Read(r, io.Discard) }

// checkSums compares a SHA256SUMS list with the hashes of what was read:
// each file must be listed once, with a matching hash.
func checkSums(list []byte, sums map[string]hash.Hash) error {
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimRight(string(list), "\n"), "\n") {
		hexSum, name, ok := strings.Cut(line, "  ")
		want, err := hex.DecodeString(hexSum)
		if !ok || err != nil || len(want) != sha256.Size {
			return damaged("bad line in %s: %q", sumsFile, line)
		}
		h := sums[name]
		if h == nil || seen[name] {
			return damaged("%s lists %q", sumsFile, name)
		}
		seen[name] = true
		if !bytes.Equal(h.Sum(nil), want) {
			return damaged("%s does not match its SHA-256 sum", name)
		}
	}
	var missing []string
	for name := range sums {
		if !seen[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return damaged("%s has no sum for %s", sumsFile, strings.Join(missing, ", "))
	}
	return nil
}

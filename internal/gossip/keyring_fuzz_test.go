package gossip

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hashicorp/memberlist"
)

// FuzzKeyringFile reads keyring files: a bad one is an error, never a
// crash; a good one holds at least one key, each a valid AES key, with
// the first as primary, and writing it again reads back the same keys.
// The agent starts with such a file as its keyring (openKeyring).
func FuzzKeyringFile(f *testing.F) {
	k16, k32 := bytes.Repeat([]byte{1}, 16), bytes.Repeat([]byte{2}, 32)
	good, _ := encodeKeyring([][]byte{k32, k16})
	for _, seed := range []string{string(good), `["AQEBAQEBAQEBAQEBAQEBAQ=="]`,
		`[]`, `null`, `{}`, `[""]`, `["c2hvcnQ="]`, `["AQEBAQEBAQEBAQEBAQEBAQ"]`, `["AQEBAQEBAQEBAQEBAQEBAQ==", 5]`,
		`["not base64!"]`, `not json`, ``, `["AQEBAQEBAQEBAQEBAQEBAQ==", "AQEBAQEBAQEBAQEBAQEBAQ=="]`} {
		f.Add([]byte(seed))
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := decodeKeyring(data)
		if err != nil {
			return
		}
		if len(keys) == 0 {
			t.Fatalf("%q: decoded with no keys", data)
		}
		for _, k := range keys {
			if err := memberlist.ValidateKey(k); err != nil {
				t.Fatalf("%q: decoded an invalid key %x: %v", data, k, err)
			}
		}
		again, err := encodeKeyring(keys)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeKeyring(again)
		if err != nil || !slices.EqualFunc(back, keys, bytes.Equal) {
			t.Fatalf("%q: written again reads %x, %v; want %x", data, back, err, keys)
		}

		dir := t.TempDir()
		path := filepath.Join(dir, "serf", KeyringFile)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		ring, _, err := openKeyring(dir, KeyringFile, k16, logger)
		if err != nil || ring == nil || !bytes.Equal(ring.GetPrimaryKey(), keys[0]) {
			t.Fatalf("%q: openKeyring = %v, %v; want the file's first key as primary", data, ring, err)
		}
	})
}

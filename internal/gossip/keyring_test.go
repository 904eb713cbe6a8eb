package gossip

import (
	"bytes"
	"encoding/base64"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// TestKeyringFileBootstrapsOnce: encrypt's key is written to the keyring
// file at the first start only; later starts take the file (a rotated
// keyring) whatever encrypt says; a damaged file is refused, not ignored.
func TestKeyringFileBootstrapsOnce(t *testing.T) {
	dir := t.TempDir()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	keyA, keyB := bytes.Repeat([]byte{1}, 16), bytes.Repeat([]byte{2}, 32)

	ring, path, err := openKeyring(dir, KeyringFile, keyA, logger)
	if err != nil || ring == nil || !bytes.Equal(ring.GetPrimaryKey(), keyA) {
		t.Fatalf("first start: openKeyring = %v, %q, %v; want key A as primary", ring, path, err)
	}
	if path != filepath.Join(dir, "serf", KeyringFile) {
		t.Fatalf("keyring file %q", path)
	}
	// A rotation, as serf writes it: B primary, A kept.
	if err := writeKeyring(path, [][]byte{keyB, keyA}); err != nil {
		t.Fatal(err)
	}
	ring, _, err = openKeyring(dir, KeyringFile, keyA, logger)
	if err != nil || !bytes.Equal(ring.GetPrimaryKey(), keyB) || len(ring.GetKeys()) != 2 {
		t.Fatalf("restart with encrypt = A after a rotation to B: %v, %v; want B primary, 2 keys", ring, err)
	}
	// Without encrypt, the file still encrypts.
	if ring, _, err = openKeyring(dir, KeyringFile, nil, logger); err != nil || ring == nil {
		t.Fatalf("restart without encrypt: %v, %v; want the file's keyring", ring, err)
	}
	for _, bad := range []string{`not json`, `[]`, `["not base64!"]`, `["c2hvcnQ="]`} {
		if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := openKeyring(dir, KeyringFile, keyA, logger); err == nil {
			t.Errorf("keyring file %s was accepted", bad)
		}
	}
}

// TestKeyringInDevMode: without a data dir there is no file; encrypt's
// key is the keyring, and no key means no encryption.
func TestKeyringInDevMode(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ring, path, err := openKeyring("", KeyringFile, bytes.Repeat([]byte{1}, 24), logger)
	if err != nil || ring == nil || path != "" {
		t.Fatalf("dev mode with a key: %v, %q, %v", ring, path, err)
	}
	if ring, _, err = openKeyring("", KeyringFile, nil, logger); err != nil || ring != nil {
		t.Fatalf("dev mode without a key: %v, %v; want no keyring", ring, err)
	}
}

// TestWANPoolKeepsItsOwnFiles checks that a LAN and a WAN pool sharing a
// data dir keep their own snapshot and keyring, as Consul's local.* and
// remote.* files: a key installed in one is not in the other.
func TestWANPoolKeepsItsOwnFiles(t *testing.T) {
	dir := t.TempDir()
	key := bytes.Repeat([]byte{7}, 32)
	other := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{8}, 32))
	pools := map[string]*Pool{}
	for name, wan := range map[string]bool{"lan": false, "wan": true} {
		p, err := New(Config{WAN: wan, NodeName: "n1." + name, BindAddr: "127.0.0.1", DataDir: dir, EncryptKey: key,
			Timing: fastTiming, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatalf("New(WAN: %v) = %v", wan, err)
		}
		t.Cleanup(func() { p.Shutdown() })
		pools[name] = p
	}
	if _, err := pools["wan"].Keyring(KeyInstall, other, 0); err != nil {
		t.Fatalf("install in the WAN pool: %v", err)
	}
	for file, want := range map[string]int{KeyringFile: 1, WANKeyringFile: 2} {
		data, err := os.ReadFile(filepath.Join(dir, "serf", file))
		if err != nil {
			t.Fatal(err)
		}
		if keys, err := decodeKeyring(data); err != nil || len(keys) != want {
			t.Errorf("%s holds %d keys (%v), want %d", file, len(keys), err, want)
		}
	}
	for _, file := range []string{"local.snapshot", "remote.snapshot"} {
		if _, err := os.Stat(filepath.Join(dir, "serf", file)); err != nil {
			t.Errorf("no %s: %v", file, err)
		}
	}
}

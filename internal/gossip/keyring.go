package gossip

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/hashicorp/memberlist"
	"github.com/hashicorp/serf/serf"
)

// KeyringFile is the file under DataDir/serf where the pool keeps its
// gossip keys, primary first, as Consul names it. serf rewrites it on
// every change, so a restarted agent keeps a rotated keyring.
const KeyringFile = "local.keyring"

// WANKeyringFile is the WAN pool's keyring file, as Consul names it.
const WANKeyringFile = "remote.keyring"

// Keyring operations, as serf's key manager runs them across the pool.
const (
	KeyList    = "list"
	KeyInstall = "install"
	KeyUse     = "use"
	KeyRemove  = "remove"
)

// openKeyring returns the keyring to start with and the file to persist
// it in ("" in dev mode): the keyring file when it exists, so that
// encrypt only bootstraps the first start; else encrypt's key, written to
// the file for the next start. A nil keyring means no encryption.
func openKeyring(dataDir, file string, key []byte, logger *slog.Logger) (*memberlist.Keyring, string, error) {
	if dataDir == "" {
		if len(key) == 0 {
			return nil, "", nil
		}
		ring, err := memberlist.NewKeyring(nil, key)
		return ring, "", err
	}
	path := filepath.Join(dataDir, "serf", file)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if len(key) == 0 {
			return nil, path, nil
		}
		if err := writeKeyring(path, [][]byte{key}); err != nil {
			return nil, "", err
		}
		ring, err := memberlist.NewKeyring(nil, key)
		return ring, path, err
	case err != nil:
		return nil, "", fmt.Errorf("cannot read keyring: %w", err)
	}
	keys, err := decodeKeyring(data)
	if err != nil {
		return nil, "", fmt.Errorf("cannot load keyring %s: %w", path, err)
	}
	if len(key) > 0 && !containsKey(keys, key) {
		logger.Warn("the keyring file does not hold the encrypt key; using the keyring file", "file", path)
	}
	ring, err := memberlist.NewKeyring(keys, keys[0])
	if err != nil {
		return nil, "", fmt.Errorf("cannot load keyring %s: %w", path, err)
	}
	return ring, path, nil
}

// decodeKeyring reads a keyring file: a JSON list of base64 keys, the
// primary first.
func decodeKeyring(data []byte) ([][]byte, error) {
	var encoded []string
	if err := json.Unmarshal(data, &encoded); err != nil {
		return nil, err
	}
	if len(encoded) == 0 {
		return nil, errors.New("no keys")
	}
	keys := make([][]byte, 0, len(encoded))
	for _, e := range encoded {
		k, err := base64.StdEncoding.DecodeString(e)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", e, err)
		}
		if err := memberlist.ValidateKey(k); err != nil {
			return nil, fmt.Errorf("key %q: %w", e, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// encodeKeyring is keys in serf's keyring file format.
func encodeKeyring(keys [][]byte) ([]byte, error) {
	encoded := make([]string, 0, len(keys))
	for _, k := range keys {
		encoded = append(encoded, base64.StdEncoding.EncodeToString(k))
	}
	return json.MarshalIndent(encoded, "", "  ")
}

// writeKeyring writes keys to path in serf's keyring file format.
func writeKeyring(path string, keys [][]byte) error {
	data, err := encodeKeyring(keys)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("cannot create serf directory: %w", err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("cannot write keyring: %w", err)
	}
	return nil
}

func containsKey(keys [][]byte, key []byte) bool {
	for _, k := range keys {
		if bytes.Equal(k, key) {
			return true
		}
	}
	return false
}

// Keyring runs a keyring operation (KeyList, KeyInstall, KeyUse,
// KeyRemove) across the pool through serf's key manager: every member
// answers, and the response counts the keys they hold. relay asks that
// many other members to relay each answer (0–5), for lossy networks. The
// error, if any, says how many members failed; Messages say why.
func (p *Pool) Keyring(op, key string, relay uint8) (*serf.KeyResponse, error) {
	km := p.serf.KeyManager()
	opts := &serf.KeyRequestOptions{RelayFactor: relay}
	switch op {
	case KeyList:
		return km.ListKeysWithOptions(opts)
	case KeyInstall:
		return km.InstallKeyWithOptions(key, opts)
	case KeyUse:
		return km.UseKeyWithOptions(key, opts)
	case KeyRemove:
		return km.RemoveKeyWithOptions(key, opts)
	}
	return nil, fmt.Errorf("gossip: unknown keyring operation %q", op)
}

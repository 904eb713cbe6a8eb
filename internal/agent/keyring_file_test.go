package agent_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
	consul "github.com/hashicorp/consul/api"
)

// TestDisableKeyringFile: with disable_keyring_file, an agent with a data
// dir takes encrypt's key even where a keyring file holds another, and a
// key installed at run time is not written to the file.
func TestDisableKeyringFile(t *testing.T) {
	t.Parallel()
	keyA := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	keyB := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))
	keyC := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32))
	dir := t.TempDir()
	file := filepath.Join(dir, "serf", "local.keyring")
	stored := []byte(`["` + keyB + `"]`)
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, stored, 0o600); err != nil {
		t.Fatal(err)
	}

	a := testutil.StartAgent(t, dir, func(c *config.Config) {
		c.EncryptKey = keyA
		c.DisableKeyringFile = true
	})
	client, err := consul.NewClient(&consul.Config{Address: a.HTTPAddr()})
	if err != nil {
		t.Fatal(err)
	}
	op := client.Operator()
	wantKeys := func(want ...string) {
		t.Helper()
		resp, err := op.KeyringList(&consul.QueryOptions{LocalOnly: true})
		if err != nil || len(resp) != 1 {
			t.Fatalf("KeyringList = %v, %v", resp, err)
		}
		if len(resp[0].Keys) != len(want) {
			t.Errorf("keyring = %v, want %v", resp[0].Keys, want)
		}
		for _, k := range want {
			if _, ok := resp[0].Keys[k]; !ok {
				t.Errorf("keyring = %v, want %v", resp[0].Keys, want)
			}
		}
	}
	wantKeys(keyA)
	if err := op.KeyringInstall(keyC, nil); err != nil {
		t.Fatalf("KeyringInstall: %v", err)
	}
	wantKeys(keyA, keyC)
	if data, err := os.ReadFile(file); err != nil || !bytes.Equal(data, stored) {
		t.Errorf("keyring file = %q, %v; want it untouched (%q)", data, err, stored)
	}
}

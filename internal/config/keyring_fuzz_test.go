package config

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// fuzzDataDir starts a fuzzed source, so that Validate passes unless the
// fuzzed part is wrong.
const fuzzDataDir = "data_dir = \"/fuzz\"\n"

// FuzzKeyringConfig parses the gossip keyring's settings: encrypt (a
// secret, base64 of 16, 24 or 32 bytes) and disable_keyring_file. An
// accepted key decodes to a usable AES key; a refused one is a clean
// error that never echoes the key.
func FuzzKeyringConfig(f *testing.F) {
	for _, n := range []int{16, 24, 32, 8, 33, 0} {
		f.Add(base64.StdEncoding.EncodeToString(make([]byte, n)), "")
	}
	f.Add(base64.StdEncoding.EncodeToString([]byte("0123456789abcdef")), "disable_keyring_file = true")
	f.Add(base64.RawStdEncoding.EncodeToString([]byte("0123456789abcdefghij1234")), "")         // no padding
	f.Add(base64.URLEncoding.EncodeToString([]byte("\xff\xfe\xfd0123456789abcdefghijklm")), "") // URL alphabet
	f.Add(" "+base64.StdEncoding.EncodeToString(make([]byte, 16)), "")
	f.Add("not a key at all", "disable_keyring_file = \"yes\"")
	f.Add("AAAA", "encrypt = 5")
	f.Fuzz(func(t *testing.T, key, rest string) {
		src := fmt.Sprintf("%sencrypt = %q\n%s", fuzzDataDir, key, rest)
		tr, perr := parseHCL([]byte(src), "fuzz.hcl")
		c, err := loadTree(t, truncate(src), tr, perr)
		if err != nil {
			if len(key) >= 8 && strings.Contains(err.Error(), key) && !strings.Contains(rest, key) {
				t.Fatalf("%s: error %q echoes the key", truncate(src), err)
			}
			return
		}
		if c.EncryptKey == "" {
			return // rest set encrypt = "" after the key
		}
		raw, err := base64.StdEncoding.DecodeString(c.EncryptKey)
		if err != nil {
			t.Fatalf("%s: accepted encrypt %q is not standard base64: %v", truncate(src), c.EncryptKey, err)
		}
		if n := len(raw); n != 16 && n != 24 && n != 32 {
			t.Fatalf("%s: accepted encrypt %q decodes to %d bytes", truncate(src), c.EncryptKey, n)
		}
	})
}

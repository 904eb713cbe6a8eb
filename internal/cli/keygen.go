package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
)

const keygenUsage = `
Usage: concord keygen

  Prints a new gossip encryption key: 32 random bytes in base64, for the
  agent's encrypt setting or 'concord keyring -install'.
`

// runKeygen is `concord keygen`.
func runKeygen(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(keygenUsage, stderr)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs.Args()); err != nil {
		return err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("Error reading random data: %w", err)
	}
	fmt.Fprintln(stdout, base64.StdEncoding.EncodeToString(key))
	return nil
}

package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"

	consulapi "github.com/hashicorp/consul/api"
)

const loginUsage = `
Usage: concord login -method NAME -bearer-token-file PATH -token-sink-file PATH [options]

  Trades the bearer token in -bearer-token-file (a Kubernetes service
  account token, a signed JWT) for a new Concord token through the auth
  method NAME, and writes the new token's secret to -token-sink-file.
  'concord logout' deletes it again.
`

func runLogin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var hf httpFlags
	var method, bearerFile, sinkFile string
	meta := mapFlag{}
	fs := newFlagSet(loginUsage, stderr)
	hf.register(fs)
	fs.StringVar(&method, "method", "", "Name of the auth method to log in through.")
	fs.StringVar(&bearerFile, "bearer-token-file", "", "Path to a file holding the bearer token.")
	fs.StringVar(&sinkFile, "token-sink-file", "", "Path of the file the new token's secret is written to.")
	fs.Var(meta, "meta", "Metadata for the token, as key=value. May be given more than once.")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if len(fs.Args()) > 0 {
		return verbatimf("Should have no non-flag arguments.")
	}
	switch {
	case method == "":
		return verbatimf("Missing required '-method' flag")
	case sinkFile == "":
		return verbatimf("Missing required '-token-sink-file' flag")
	case bearerFile == "":
		return verbatimf("Missing required '-bearer-token-file' flag")
	}
	data, err := os.ReadFile(bearerFile)
	if err != nil {
		return verbatimf("%v", err)
	}
	bearer := strings.TrimSpace(string(data))
	if bearer == "" {
		return verbatimf("No bearer token found in %s", bearerFile)
	}
	// A login is made without a token: the bearer token is the credential.
	hf.token, hf.tokenFile = "", ""
	client, err := hf.official()
	if err != nil {
		return err
	}
	tok, _, err := client.ACL().Login(&consulapi.ACLLoginParams{AuthMethod: method, BearerToken: bearer, Meta: meta}, nil)
	if err != nil {
		return verbatimf("Error logging in: %v", err)
	}
	if err := writeSecretFile(sinkFile, tok.SecretID); err != nil {
		return verbatimf("Error writing token to file sink: %v", err)
	}
	return nil
}

// writeSecretFile replaces path with secret, readable by its owner only,
// in one rename so that a reader never sees half a token.
func writeSecretFile(path, secret string) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.WriteString(secret); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

const logoutUsage = `
Usage: concord logout [options]

  Deletes the token given with -token (or CONCORD_HTTP_TOKEN...), which
  'concord login' must have made.
`

func runLogout(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var hf httpFlags
	fs := newFlagSet(logoutUsage, stderr)
	hf.register(fs)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if len(fs.Args()) > 0 {
		return verbatimf("Should have no non-flag arguments.")
	}
	client, err := hf.official()
	if err != nil {
		return err
	}
	if _, err := client.ACL().Logout(nil); err != nil {
		return verbatimf("Error destroying token: %v", err)
	}
	return nil
}

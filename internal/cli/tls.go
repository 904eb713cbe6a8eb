package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// tlsCommands are the subcommands of `concord tls`.
var tlsCommands = []command{
	{name: "ca", synopsis: "Helpers for CAs", run: runTLSCA},
	{name: "cert", synopsis: "Helpers for certificates", run: runTLSCert},
}

// tlsCACommands and tlsCertCommands are the subcommands of `concord tls
// ca` and `concord tls cert` (tls_ca.go, tls_cert.go).
var (
	tlsCACommands   = []command{{name: "create", synopsis: "Create a new Concord CA", run: runTLSCACreate}}
	tlsCertCommands = []command{{name: "create", synopsis: "Create a new certificate", run: runTLSCertCreate}}
)

// runTLS is `concord tls`: it runs one of tlsCommands.
func runTLS(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "Usage: concord tls <subcommand> <subcommand> [options]", tlsCommands, args, stdout, stderr)
}

func runTLSCA(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "Usage: concord tls ca <subcommand> [options]", tlsCACommands, args, stdout, stderr)
}

func runTLSCert(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "Usage: concord tls cert <subcommand> [options]", tlsCertCommands, args, stdout, stderr)
}

// writeNew writes data to a file that must not exist yet: a CA or a
// certificate is never overwritten. Keys are readable by the owner only.
func writeNew(path string, data []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists", path)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// fileExists reports whether path exists (any error but "not found"
// counts as existing, so nothing is overwritten by mistake).
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/concordhq/concord/internal/tlsutil"
)

const tlsCACreateUsage = `
Usage: concord tls ca create [options]

  Creates a self-signed CA for the agents' TLS, in the current directory:
  <domain>-agent-ca.pem and <domain>-agent-ca-key.pem (consul-agent-ca.pem
  by default). Existing files are never overwritten.

      $ concord tls ca create
      ==> Saved consul-agent-ca.pem
      ==> Saved consul-agent-ca-key.pem
`

// runTLSCACreate is `concord tls ca create`.
func runTLSCACreate(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(tlsCACreateUsage, stderr)
	days := fs.Int("days", 1825, "Number of `days` the CA is valid for.")
	domain := fs.String("domain", "consul", "The `domain` of the cluster; names the files, and the name constraint.")
	constrain := fs.Bool("name-constraint", false, "Let the CA sign only names under -domain, localhost and -additional-name-constraint.")
	var extra listFlag
	fs.Var(&extra, "additional-name-constraint", "Another DNS `name` the CA may sign (with -name-constraint); may be repeated.")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument: %s", fs.Arg(0))
	}
	prefix := strings.TrimSuffix(*domain, ".")
	certFile, keyFile := prefix+"-agent-ca.pem", prefix+"-agent-ca-key.pem"
	for _, f := range []string{certFile, keyFile} {
		if fileExists(f) {
			return fmt.Errorf("%s already exists", f)
		}
	}
	certPEM, keyPEM, err := tlsutil.GenerateCA(tlsutil.CAOptions{
		Days: *days, NameConstraint: *constrain, Domain: prefix, AdditionalConstraints: extra,
	})
	if err != nil {
		return err
	}
	if err := writeNew(certFile, certPEM, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "==> Saved %s\n", certFile)
	if err := writeNew(keyFile, keyPEM, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "==> Saved %s\n", keyFile)
	return nil
}

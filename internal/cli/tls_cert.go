package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/concordhq/concord/internal/tlsutil"
)

const tlsCertCreateUsage = `
Usage: concord tls cert create [options]

  Creates a certificate and its key, signed by the CA of 'concord tls ca
  create', in the current directory: <dc>-<kind>-<domain>-<n>.pem and
  <dc>-<kind>-<domain>-<n>-key.pem, n the first number not taken
  (dc1-server-consul-0.pem). Exactly one of -server, -client and -cli.

  A server certificate names server.<dc>.<domain>: with
  verify_server_hostname only its holders can act as servers.

      $ concord tls cert create -server
      ==> Using consul-agent-ca.pem and consul-agent-ca-key.pem
      ==> Saved dc1-server-consul-0.pem
      ==> Saved dc1-server-consul-0-key.pem
`

// serverCertWarning is printed with every server certificate.
const serverCertWarning = `==> WARNING: A server certificate lets its holder act as a server and read
    every piece of state in the cluster. Keep it on server hosts only,
    and store it as carefully as the CA key.`

// runTLSCertCreate is `concord tls cert create`.
func runTLSCertCreate(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(tlsCertCreateUsage, stderr)
	server := fs.Bool("server", false, "Create a server certificate.")
	client := fs.Bool("client", false, "Create a client agent certificate.")
	cli := fs.Bool("cli", false, "Create a certificate for the CLI and API clients.")
	dc := fs.String("dc", "dc1", "The `datacenter` the certificate is for.")
	domain := fs.String("domain", "consul", "The cluster's DNS `domain`.")
	days := fs.Int("days", 365, "Number of `days` the certificate is valid for.")
	caFile := fs.String("ca", "#DOMAIN#-agent-ca.pem", "The CA certificate `file`.")
	keyFile := fs.String("key", "#DOMAIN#-agent-ca-key.pem", "The CA key `file`.")
	var dnsNames, ips listFlag
	fs.Var(&dnsNames, "additional-dnsname", "Another DNS `name` for the certificate (localhost is always in); may be repeated.")
	fs.Var(&ips, "additional-ipaddress", "Another `IP` for the certificate (127.0.0.1 is always in); may be repeated.")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument: %s", fs.Arg(0))
	}
	kind, err := certKind(*server, *client, *cli)
	if err != nil {
		return err
	}
	var addrs []net.IP
	for _, s := range ips {
		ip := net.ParseIP(s)
		if ip == nil {
			return fmt.Errorf("-additional-ipaddress: %q is not an IP address", s)
		}
		addrs = append(addrs, ip)
	}
	prefix := strings.TrimSuffix(*domain, ".")
	*caFile = strings.ReplaceAll(*caFile, "#DOMAIN#", prefix)
	*keyFile = strings.ReplaceAll(*keyFile, "#DOMAIN#", prefix)
	caPEM, err := os.ReadFile(*caFile)
	if err != nil {
		return fmt.Errorf("cannot read the CA: %w", err)
	}
	caKeyPEM, err := os.ReadFile(*keyFile)
	if err != nil {
		return fmt.Errorf("cannot read the CA key: %w", err)
	}
	certPEM, keyPEM, err := tlsutil.GenerateCert(tlsutil.CertOptions{
		CACert: caPEM, CAKey: caKeyPEM, Kind: kind, Datacenter: *dc, Domain: prefix, Days: *days,
		DNSNames: dnsNames, IPAddresses: addrs,
	})
	if err != nil {
		return err
	}
	base := freeCertName(*dc + "-" + kind + "-" + prefix)
	if kind == tlsutil.KindServer {
		fmt.Fprintln(stdout, serverCertWarning)
	}
	fmt.Fprintf(stdout, "==> Using %s and %s\n", *caFile, *keyFile)
	if err := writeNew(base+".pem", certPEM, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "==> Saved %s.pem\n", base)
	if err := writeNew(base+"-key.pem", keyPEM, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "==> Saved %s-key.pem\n", base)
	return nil
}

// certKind is the kind the flags ask for: exactly one of them.
func certKind(server, client, cli bool) (string, error) {
	switch {
	case server && !client && !cli:
		return tlsutil.KindServer, nil
	case client && !server && !cli:
		return tlsutil.KindClient, nil
	case cli && !server && !client:
		return tlsutil.KindCLI, nil
	}
	return "", errors.New("Please provide either -server, -client, or -cli")
}

// freeCertName is prefix-<n> with the first n whose files do not exist.
func freeCertName(prefix string) string {
	for n := 0; ; n++ {
		base := fmt.Sprintf("%s-%d", prefix, n)
		if !fileExists(base+".pem") && !fileExists(base+"-key.pem") {
			return base
		}
	}
}

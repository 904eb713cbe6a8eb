package tlsutil

import (
	"crypto/tls"
	"fmt"
	"strings"
)

// Settings are one interface's TLS settings, as resolved from the tls
// block (a section's own keys over tls.defaults over the older top-level
// keys).
type Settings struct {
	CAFile   string // PEM file of CA certificates (ca_file)
	CAPath   string // directory of PEM CA files (ca_path)
	CertFile string // this agent's certificate chain, PEM (cert_file)
	KeyFile  string // its private key, PEM (key_file)

	// VerifyIncoming refuses plain connections and peers without a
	// certificate signed by the CA.
	VerifyIncoming bool
	// VerifyOutgoing makes this agent dial servers over TLS and check
	// that their certificate is signed by the CA.
	VerifyOutgoing bool
	// VerifyServerHostname also checks that a server's certificate names
	// server.<datacenter>.<domain> (internal RPC only).
	VerifyServerHostname bool

	MinVersion   string   // tls_min_version: "TLSv1_2" when empty
	CipherSuites []string // tls_cipher_suites: Go's defaults when empty
}

// Config is everything a Configurator needs.
type Config struct {
	InternalRPC Settings // the server port
	HTTPS       Settings // the HTTPS listener
	GRPC        Settings // tls.grpc: checked, unused (Concord serves no gRPC)
	Datacenter  string
	Domain      string // DNS domain, "consul" or "consul."
}

// ServerName is the name a server certificate must carry:
// server.<datacenter>.<domain>.
func ServerName(datacenter, domain string) string {
	return "server." + datacenter + "." + strings.TrimSuffix(domain, ".")
}

// versions maps tls_min_version's spellings, Consul's current and older
// ones, to Go's constants.
var versions = map[string]uint16{
	"TLSv1_0": tls.VersionTLS10, "TLSv1_1": tls.VersionTLS11,
	"TLSv1_2": tls.VersionTLS12, "TLSv1_3": tls.VersionTLS13,
	"tls10": tls.VersionTLS10, "tls11": tls.VersionTLS11,
	"tls12": tls.VersionTLS12, "tls13": tls.VersionTLS13,
}

// ParseMinVersion parses tls_min_version ("" is TLSv1_2, Consul's default).
func ParseMinVersion(s string) (uint16, error) {
	if s == "" {
		return tls.VersionTLS12, nil
	}
	v, ok := versions[s]
	if !ok {
		return 0, fmt.Errorf("tls_min_version %q is not one of TLSv1_0, TLSv1_1, TLSv1_2, TLSv1_3", s)
	}
	return v, nil
}

// ParseCipherSuites parses tls_cipher_suites: a comma-separated list of
// IANA names (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, ...). Only Go's
// secure TLS 1.2 suites are accepted; TLS 1.3's are not configurable.
func ParseCipherSuites(s string) ([]string, error) {
	var names []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if _, err := cipherID(name); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	return names, nil
}

func cipherID(name string) (uint16, error) {
	for _, cs := range tls.CipherSuites() {
		if cs.Name == name {
			return cs.ID, nil
		}
	}
	return 0, fmt.Errorf("tls_cipher_suites: %q is not a supported cipher suite", name)
}

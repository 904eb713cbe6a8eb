package tlsutil

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
)

// CAOptions describe a new CA (`concord tls ca create`).
type CAOptions struct {
	Days int // validity from now
	// NameConstraint limits the CA to signing names under Domain,
	// localhost and AdditionalConstraints.
	NameConstraint        bool
	Domain                string
	AdditionalConstraints []string
}

// GenerateCA makes a self-signed CA with an ECDSA P-256 key, as Consul's
// does, and returns the certificate and key in PEM.
func GenerateCA(o CAOptions) (certPEM, keyPEM []byte, err error) {
	if o.Days <= 0 {
		return nil, nil, errors.New("the number of days must be positive")
	}
	key, serial, id, err := newKey()
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Concord Agent CA " + serial.String(), Organization: []string{"Concord"}},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.AddDate(0, 0, o.Days),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		SubjectKeyId:          id,
		AuthorityKeyId:        id,
	}
	if o.NameConstraint {
		tmpl.PermittedDNSDomainsCritical = true
		tmpl.PermittedDNSDomains = append([]string{strings.TrimSuffix(o.Domain, "."), "localhost"}, o.AdditionalConstraints...)
	}
	return sign(tmpl, tmpl, key, key)
}

// Certificate kinds, the flags of `concord tls cert create`.
const (
	KindServer = "server"
	KindClient = "client"
	KindCLI    = "cli"
)

// CertOptions describe a certificate signed by a CA.
type CertOptions struct {
	CACert, CAKey []byte // the CA, PEM
	Kind          string // KindServer, KindClient or KindCLI
	Datacenter    string
	Domain        string
	Days          int
	DNSNames      []string // added to <kind>.<datacenter>.<domain> and localhost
	IPAddresses   []net.IP // added to 127.0.0.1
}

// GenerateCert makes a certificate of o.Kind for o.Datacenter, signed by
// the CA, with an ECDSA P-256 key. Its name is <kind>.<datacenter>.<domain>
// (server.dc1.consul, which verify_server_hostname checks), plus
// localhost and 127.0.0.1. Server and client certificates serve and
// authenticate (server and client auth), as an agent does both; a cli
// certificate only authenticates.
func GenerateCert(o CertOptions) (certPEM, keyPEM []byte, err error) {
	if o.Days <= 0 {
		return nil, nil, errors.New("the number of days must be positive")
	}
	usage := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	switch o.Kind {
	case KindServer, KindClient:
	case KindCLI:
		usage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	default:
		return nil, nil, fmt.Errorf("unknown certificate kind %q", o.Kind)
	}
	ca, caKey, err := parseCA(o.CACert, o.CAKey)
	if err != nil {
		return nil, nil, err
	}
	key, serial, id, err := newKey()
	if err != nil {
		return nil, nil, err
	}
	name := o.Kind + "." + o.Datacenter + "." + strings.TrimSuffix(o.Domain, ".")
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.AddDate(0, 0, o.Days),
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           usage,
		DNSNames:              append([]string{name, "localhost"}, o.DNSNames...),
		IPAddresses:           append([]net.IP{net.IPv4(127, 0, 0, 1)}, o.IPAddresses...),
		SubjectKeyId:          id,
		AuthorityKeyId:        ca.SubjectKeyId,
	}
	return sign(tmpl, ca, key, caKey)
}

// parseCA reads a CA certificate and its private key (EC, PKCS#1 RSA or
// PKCS#8), checking that they belong together.
func parseCA(certPEM, keyPEM []byte) (*x509.Certificate, crypto.Signer, error) {
	cb, _ := pem.Decode(certPEM)
	if cb == nil || cb.Type != "CERTIFICATE" {
		return nil, nil, errors.New("the CA file holds no PEM certificate")
	}
	ca, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot parse the CA certificate: %w", err)
	}
	if !ca.IsCA {
		return nil, nil, errors.New("the CA file's certificate is not a CA")
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return nil, nil, errors.New("the CA key file holds no PEM key")
	}
	var key any
	switch kb.Type {
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(kb.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(kb.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(kb.Bytes)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("cannot parse the CA key: %w", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, nil, errors.New("the CA key cannot sign")
	}
	pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(ca.PublicKey) {
		return nil, nil, errors.New("the CA key does not match the CA certificate")
	}
	return ca, signer, nil
}

// newKey makes an ECDSA P-256 key, a random serial number for its
// certificate, and the key's identifier.
func newKey() (key *ecdsa.PrivateKey, serial *big.Int, id []byte, err error) {
	if key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, nil, nil, err
	}
	if serial, err = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127)); err != nil {
		return nil, nil, nil, err
	}
	if id, err = keyID(key.Public()); err != nil {
		return nil, nil, nil, err
	}
	return key, serial, id, nil
}

// sign makes the certificate of tmpl for key, signed by parent's key, and
// returns it and key in PEM.
func sign(tmpl, parent *x509.Certificate, key *ecdsa.PrivateKey, parentKey crypto.Signer) (certPEM, keyPEM []byte, err error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot create the certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pemBlock("CERTIFICATE", der), pemBlock("EC PRIVATE KEY", keyDER), nil
}

// keyID is a key's identifier: the SHA-256 of its public key, cut to 20
// bytes like the SHA-1 ids of RFC 5280.
func keyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	return sum[:20], nil
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

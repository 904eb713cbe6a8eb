package tlsutil

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// material is one interface's settings with their files loaded.
type material struct {
	s       Settings
	cert    *tls.Certificate // nil without cert_file
	roots   *x509.CertPool   // nil without ca_file and ca_path
	min     uint16
	ciphers []uint16 // nil: Go's defaults
}

// load reads s's files and checks that they fit its verify flags.
func load(s Settings) (*material, error) {
	m := &material{s: s}
	var err error
	if m.min, err = ParseMinVersion(s.MinVersion); err != nil {
		return nil, err
	}
	for _, name := range s.CipherSuites {
		id, err := cipherID(name)
		if err != nil {
			return nil, err
		}
		m.ciphers = append(m.ciphers, id)
	}
	if len(m.ciphers) > 0 && m.min == tls.VersionTLS13 {
		return nil, errors.New("tls_cipher_suites cannot be set with tls_min_version TLSv1_3 (TLS 1.3's suites are fixed)")
	}
	switch {
	case s.CertFile != "" && s.KeyFile != "":
		cert, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("cannot load certificate %s and key %s: %w", s.CertFile, s.KeyFile, err)
		}
		m.cert = &cert
	case s.CertFile != "":
		return nil, errors.New("cert_file is set without key_file")
	case s.KeyFile != "":
		return nil, errors.New("key_file is set without cert_file")
	}
	if m.roots, err = loadRoots(s.CAFile, s.CAPath); err != nil {
		return nil, err
	}
	switch {
	case s.VerifyIncoming && m.roots == nil:
		return nil, errors.New("verify_incoming is set without a CA (ca_file or ca_path)")
	case s.VerifyIncoming && m.cert == nil:
		return nil, errors.New("verify_incoming is set without a certificate (cert_file and key_file)")
	case s.VerifyOutgoing && m.roots == nil:
		return nil, errors.New("verify_outgoing is set without a CA (ca_file or ca_path)")
	}
	return m, nil
}

// loadRoots reads the CA certificates of file and of every file in dir;
// nil when both are empty.
func loadRoots(file, dir string) (*x509.CertPool, error) {
	if file == "" && dir == "" {
		return nil, nil
	}
	pool := x509.NewCertPool()
	var files []string
	if file != "" {
		files = append(files, file)
	}
	if dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("cannot read ca_path: %w", err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				files = append(files, filepath.Join(dir, e.Name()))
			}
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("cannot read CA file: %w", err)
		}
		if !pool.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", f)
		}
	}
	return pool, nil
}

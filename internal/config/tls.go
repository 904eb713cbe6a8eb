package config

import (
	"slices"

	"github.com/concordhq/concord/internal/tlsutil"
)

// TLS is the tls block, its older top-level spellings, and the HTTPS
// listener's address. Each section keeps what was set (nil: not set), so
// that a key of tls.internal_rpc or tls.https wins over tls.defaults
// whichever source set which; Resolve merges them.
type TLS struct {
	Defaults    TLSSection // tls.defaults, and the top-level ca_file, verify_incoming...
	InternalRPC TLSSection // tls.internal_rpc, and verify_incoming_rpc, verify_server_hostname
	HTTPS       TLSSection // tls.https, and verify_incoming_https
	// GRPC is tls.grpc: checked like the others, but unused, since
	// Concord serves no gRPC port (Consul's is for Connect's proxies).
	GRPC TLSSection

	// EnableAgentTLSForChecks makes HTTP and gRPC checks present the
	// agent's certificate and trust its CA (enable_agent_tls_for_checks;
	// the internal_rpc settings, as resolved over tls.defaults).
	EnableAgentTLSForChecks bool

	// HTTPSAddr is the address the HTTPS listener binds (addresses.https;
	// client_addr when empty).
	HTTPSAddr string
}

// TLSSection is one section of the tls block as set.
type TLSSection struct {
	CAFile, CAPath, CertFile, KeyFile                    *string
	MinVersion, CipherSuites                             *string
	VerifyIncoming, VerifyOutgoing, VerifyServerHostname *bool
}

// Resolve returns the settings of the server port (internal RPC) and of
// HTTPS: each section's keys over tls.defaults'.
func (t TLS) Resolve() (internalRPC, https tlsutil.Settings) {
	return t.InternalRPC.over(t.Defaults), t.HTTPS.over(t.Defaults)
}

// ResolveGRPC returns tls.grpc's settings over tls.defaults'.
func (t TLS) ResolveGRPC() tlsutil.Settings { return t.GRPC.over(t.Defaults) }

// Configured reports whether any TLS setting of the server port is given,
// so the agent can keep the plain path when none is.
func (t TLS) Configured() bool {
	s := t.InternalRPC.over(t.Defaults)
	return s.CertFile != "" || s.CAFile != "" || s.CAPath != "" || s.VerifyOutgoing || s.VerifyIncoming
}

func (s TLSSection) over(d TLSSection) tlsutil.Settings {
	str := func(a, b *string) string {
		switch {
		case a != nil:
			return *a
		case b != nil:
			return *b
		}
		return ""
	}
	flag := func(a, b *bool) bool {
		switch {
		case a != nil:
			return *a
		case b != nil:
			return *b
		}
		return false
	}
	suites, _ := tlsutil.ParseCipherSuites(str(s.CipherSuites, d.CipherSuites)) // checked when set
	return tlsutil.Settings{
		CAFile: str(s.CAFile, d.CAFile), CAPath: str(s.CAPath, d.CAPath),
		CertFile: str(s.CertFile, d.CertFile), KeyFile: str(s.KeyFile, d.KeyFile),
		VerifyIncoming:       flag(s.VerifyIncoming, d.VerifyIncoming),
		VerifyOutgoing:       flag(s.VerifyOutgoing, d.VerifyOutgoing),
		VerifyServerHostname: flag(s.VerifyServerHostname, d.VerifyServerHostname),
		MinVersion:           str(s.MinVersion, d.MinVersion),
		CipherSuites:         suites,
	}
}

// tlsOptions are the keys of TLS that Concord honours: the tls block's
// defaults, internal_rpc and https sections, the older top-level keys
// (aliases of a section's key: the later source wins), and the HTTPS
// listener's port and address. tls.grpc's keys are checked and set, with
// a warning that nothing uses them (consul_keys.go).
var tlsOptions = slices.Concat(
	tlsSectionOptions("tls.defaults.", func(t *TLS) *TLSSection { return &t.Defaults }, false),
	tlsSectionOptions("tls.internal_rpc.", func(t *TLS) *TLSSection { return &t.InternalRPC }, true),
	tlsSectionOptions("tls.https.", func(t *TLS) *TLSSection { return &t.HTTPS }, false),
	unused(tlsSectionOptions("tls.grpc.", func(t *TLS) *TLSSection { return &t.GRPC }, false)),
	tlsLegacyOptions)

// unused marks opts as set but not in effect (option.notice).
func unused(opts []option) []option {
	for i := range opts {
		opts[i].notice = true
	}
	return opts
}

// tlsLegacyOptions are the top-level keys of Consul before 1.12.
var tlsLegacyOptions = []option{
	tlsString("ca_file", func(s *TLSSection) **string { return &s.CAFile }, defaults, nil),
	tlsString("ca_path", func(s *TLSSection) **string { return &s.CAPath }, defaults, nil),
	tlsString("cert_file", func(s *TLSSection) **string { return &s.CertFile }, defaults, nil),
	tlsString("key_file", func(s *TLSSection) **string { return &s.KeyFile }, defaults, nil),
	tlsString("tls_min_version", func(s *TLSSection) **string { return &s.MinVersion }, defaults, checkMinVersion),
	tlsString("tls_cipher_suites", func(s *TLSSection) **string { return &s.CipherSuites }, defaults, checkCipherSuites),
	tlsBool("verify_incoming", func(s *TLSSection) **bool { return &s.VerifyIncoming }, defaults),
	tlsBool("verify_outgoing", func(s *TLSSection) **bool { return &s.VerifyOutgoing }, defaults),
	tlsBool("verify_incoming_rpc", func(s *TLSSection) **bool { return &s.VerifyIncoming }, internalRPC),
	tlsBool("verify_incoming_https", func(s *TLSSection) **bool { return &s.VerifyIncoming }, httpsSection),
	tlsBool("verify_server_hostname", func(s *TLSSection) **bool { return &s.VerifyServerHostname }, internalRPC),
	{key: "ports.https", flag: "https-port", kind: kindInt,
		usage: "HTTPS API `port`, -1 to disable (default -1; 8501 by convention)",
		set:   func(c *Config, v any) { c.Ports.HTTPS = v.(int) },
		check: portCheck(false)},
	{key: "enable_agent_tls_for_checks", kind: kindBool,
		set: func(c *Config, v any) { c.TLS.EnableAgentTLSForChecks = v.(bool) }},
	{key: "addresses.https", kind: kindString,
		set:   func(c *Config, v any) { c.TLS.HTTPSAddr = v.(string) },
		check: func(v any) error { return checkIP(v.(string)) }},
}

func defaults(t *TLS) *TLSSection     { return &t.Defaults }
func internalRPC(t *TLS) *TLSSection  { return &t.InternalRPC }
func httpsSection(t *TLS) *TLSSection { return &t.HTTPS }

// tlsSectionOptions are the keys of one section of the tls block, under
// prefix; only internal_rpc has verify_server_hostname.
func tlsSectionOptions(prefix string, section func(*TLS) *TLSSection, hostname bool) []option {
	opts := []option{
		tlsString(prefix+"ca_file", func(s *TLSSection) **string { return &s.CAFile }, section, nil),
		tlsString(prefix+"ca_path", func(s *TLSSection) **string { return &s.CAPath }, section, nil),
		tlsString(prefix+"cert_file", func(s *TLSSection) **string { return &s.CertFile }, section, nil),
		tlsString(prefix+"key_file", func(s *TLSSection) **string { return &s.KeyFile }, section, nil),
		tlsString(prefix+"tls_min_version", func(s *TLSSection) **string { return &s.MinVersion }, section, checkMinVersion),
		tlsString(prefix+"tls_cipher_suites", func(s *TLSSection) **string { return &s.CipherSuites }, section, checkCipherSuites),
		tlsBool(prefix+"verify_incoming", func(s *TLSSection) **bool { return &s.VerifyIncoming }, section),
		tlsBool(prefix+"verify_outgoing", func(s *TLSSection) **bool { return &s.VerifyOutgoing }, section),
	}
	if hostname {
		opts = append(opts, tlsBool(prefix+"verify_server_hostname", func(s *TLSSection) **bool { return &s.VerifyServerHostname }, section))
	}
	return opts
}

func tlsString(key string, field func(*TLSSection) **string, section func(*TLS) *TLSSection, check func(any) error) option {
	return option{key: key, kind: kindString, check: check,
		set: func(c *Config, v any) { s := v.(string); *field(section(&c.TLS)) = &s }}
}

func tlsBool(key string, field func(*TLSSection) **bool, section func(*TLS) *TLSSection) option {
	return option{key: key, kind: kindBool,
		set: func(c *Config, v any) { b := v.(bool); *field(section(&c.TLS)) = &b }}
}

func checkMinVersion(v any) error {
	_, err := tlsutil.ParseMinVersion(v.(string))
	return err
}

func checkCipherSuites(v any) error {
	_, err := tlsutil.ParseCipherSuites(v.(string))
	return err
}

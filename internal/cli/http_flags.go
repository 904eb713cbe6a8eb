package cli

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"

	consulapi "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/api"
)

// httpFlags are the flags of every command that talks to an agent. Their
// names are consul's, and so are the environment variables that stand in
// for them (see resolve for which wins).
type httpFlags struct {
	addr          string
	token         string
	tokenFile     string
	caFile        string
	caPath        string
	clientCert    string
	clientKey     string
	tlsServerName string
	datacenter    string
	stale         bool
}

// register adds the HTTP flags to fs.
func (f *httpFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "http-addr", "",
		"Address of the agent (host:port, http://, https:// or unix://). "+
			"Defaults to CONCORD_HTTP_ADDR, then CONSUL_HTTP_ADDR, then 127.0.0.1:8500. "+
			"CONSUL_HTTP_SSL=true makes a host:port address https.")
	fs.StringVar(&f.token, "token", "",
		"ACL token for the request. Defaults to CONCORD_HTTP_TOKEN, then CONSUL_HTTP_TOKEN; "+
			"without one the agent's default token applies.")
	fs.StringVar(&f.tokenFile, "token-file", "",
		"File holding the ACL token; it wins over -token. Defaults to CONCORD_HTTP_TOKEN_FILE, "+
			"then CONSUL_HTTP_TOKEN_FILE.")
	fs.StringVar(&f.caFile, "ca-file", "",
		"CA certificate (PEM) to verify the agent's HTTPS certificate. Defaults to CONSUL_CACERT.")
	fs.StringVar(&f.caPath, "ca-path", "",
		"Directory of CA certificates to verify the agent's HTTPS certificate. Defaults to CONSUL_CAPATH.")
	fs.StringVar(&f.clientCert, "client-cert", "",
		"Client certificate (PEM) for agents that verify incoming HTTPS. Defaults to CONSUL_CLIENT_CERT.")
	fs.StringVar(&f.clientKey, "client-key", "",
		"Key of -client-cert. Defaults to CONSUL_CLIENT_KEY.")
	fs.StringVar(&f.tlsServerName, "tls-server-name", "",
		"Name to expect on the agent's certificate (and to send as SNI). Defaults to CONSUL_TLS_SERVER_NAME.")
	fs.StringVar(&f.datacenter, "datacenter", "",
		"Datacenter to query. Defaults to the agent's datacenter.")
	fs.BoolVar(&f.stale, "stale", false,
		"Let any server answer a read, not only the leader: faster, maybe stale.")
}

// getenv reads the environment; tests replace it.
var getenv = os.Getenv

// env returns the value of CONCORD_<name>, else CONSUL_<name>, else "".
// Both spellings are read so that shells set up for consul keep working,
// and a CONCORD_ variable wins so that Concord can be told apart.
func env(name string) string {
	if v := getenv("CONCORD_" + name); v != "" {
		return v
	}
	return getenv("CONSUL_" + name)
}

// envBool is env for a boolean variable; unset is def.
func envBool(name string, def bool) (bool, error) {
	v := env(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("CONSUL_%s (or CONCORD_%[1]s) must be true or false, not %q", name, v)
	}
	return b, nil
}

// firstNonEmpty returns the first non-empty value.
func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// resolve merges the flags and the environment into the official client's
// Config: Address without its scheme (or unix://path), Scheme, Token,
// Datacenter and TLSConfig. A flag given wins over the environment, and a
// CONCORD_ variable over its CONSUL_ twin. The token is taken, in order,
// from -token-file, -token, CONCORD_HTTP_TOKEN_FILE, CONCORD_HTTP_TOKEN,
// CONSUL_HTTP_TOKEN_FILE, CONSUL_HTTP_TOKEN: as consul does, a file wins
// over a value given at the same level, and an empty file is skipped.
func (f *httpFlags) resolve() (*consulapi.Config, error) {
	cfg := &consulapi.Config{Scheme: "http", Datacenter: f.datacenter}

	ssl, err := envBool("HTTP_SSL", false)
	if err != nil {
		return nil, err
	}
	verify, err := envBool("HTTP_SSL_VERIFY", true)
	if err != nil {
		return nil, err
	}
	addr := firstNonEmpty(f.addr, env("HTTP_ADDR"), api.DefaultAddress)
	if scheme, rest, ok := strings.Cut(addr, "://"); ok {
		switch scheme {
		case "https":
			ssl = true
			addr = rest
		case "http":
			addr = rest // CONSUL_HTTP_SSL=true still means https, as in consul
		case "unix":
			if rest == "" {
				return nil, fmt.Errorf("invalid address %q: missing socket path", addr)
			}
		default:
			return nil, fmt.Errorf("invalid address %q: unknown protocol scheme %q", addr, scheme)
		}
	}
	addr = strings.TrimSuffix(addr, "/")
	if addr == "" {
		return nil, fmt.Errorf("invalid address: empty")
	}
	cfg.Address = addr
	if ssl && !strings.HasPrefix(addr, "unix://") {
		cfg.Scheme = "https"
	}

	if cfg.Token, err = f.resolveToken(); err != nil {
		return nil, err
	}
	cfg.TLSConfig = consulapi.TLSConfig{
		Address:            firstNonEmpty(f.tlsServerName, env("TLS_SERVER_NAME")),
		CAFile:             firstNonEmpty(f.caFile, env("CACERT")),
		CAPath:             firstNonEmpty(f.caPath, env("CAPATH")),
		CertFile:           firstNonEmpty(f.clientCert, env("CLIENT_CERT")),
		KeyFile:            firstNonEmpty(f.clientKey, env("CLIENT_KEY")),
		InsecureSkipVerify: !verify,
	}
	return cfg, nil
}

// resolveToken returns the ACL token by the order resolve documents.
func (f *httpFlags) resolveToken() (string, error) {
	levels := [][2]string{
		{f.tokenFile, f.token},
		{getenv("CONCORD_HTTP_TOKEN_FILE"), getenv("CONCORD_HTTP_TOKEN")},
		{getenv("CONSUL_HTTP_TOKEN_FILE"), getenv("CONSUL_HTTP_TOKEN")},
	}
	for _, l := range levels {
		file, value := l[0], l[1]
		if file != "" {
			b, err := os.ReadFile(file)
			if err != nil {
				return "", fmt.Errorf("Error loading token file %s: %v", file, err)
			}
			if t := strings.TrimSpace(string(b)); t != "" {
				return t, nil
			}
		}
		if value != "" {
			return value, nil
		}
	}
	return "", nil
}

// transport returns the HTTP transport for cfg: it dials a unix socket
// when the address is one, and speaks TLS as cfg.TLSConfig says (the
// official client's own rules for CA files, client certificates and the
// server name).
func transport(cfg *consulapi.Config) (*http.Transport, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if socket, ok := strings.CutPrefix(cfg.Address, "unix://"); ok {
		t.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		}
	}
	tlsConf, err := consulapi.SetupTLSConfig(&cfg.TLSConfig)
	if err != nil {
		return nil, fmt.Errorf("cannot set up TLS: %v", err)
	}
	t.TLSClientConfig = tlsConf
	return t, nil
}

// client returns Concord's API client configured from the environment and
// the flags, whose requests end with ctx.
func (f *httpFlags) client(ctx context.Context) (*api.Client, error) {
	cfg, err := f.resolve()
	if err != nil {
		return nil, err
	}
	t, err := transport(cfg)
	if err != nil {
		return nil, err
	}
	addr := cfg.Scheme + "://" + cfg.Address
	if strings.HasPrefix(cfg.Address, "unix://") {
		addr = cfg.Address
	}
	c, err := api.NewClient(&api.Config{
		Address:    addr,
		Token:      cfg.Token,
		Datacenter: cfg.Datacenter,
		HTTPClient: &http.Client{Transport: t},
	})
	if err != nil {
		return nil, err
	}
	return c.WithContext(ctx), nil
}

// connect builds the API client of a command that talks to the agent.
func (f *httpFlags) connect(ctx context.Context) (*api.Client, error) {
	c, err := f.client(ctx)
	if err != nil {
		return nil, verbatimf("Error connecting to agent: %v", err)
	}
	return c, nil
}

// official builds the official Go client (github.com/hashicorp/consul/api)
// from the same flags and environment, for the commands whose calls
// Concord's own client does not have (acl). Every setting is given
// explicitly, so the client's own reading of CONSUL_ variables changes
// nothing, with one exception it keeps: a token equal to CONSUL_HTTP_TOKEN
// gives way to CONSUL_HTTP_TOKEN_FILE.
func (f *httpFlags) official() (*consulapi.Client, error) {
	cfg, err := f.resolve()
	if err != nil {
		return nil, verbatimf("Error connecting to agent: %v", err)
	}
	t, err := transport(cfg)
	if err != nil {
		return nil, verbatimf("Error connecting to agent: %v", err)
	}
	cfg.Transport = t
	cfg.HttpClient = &http.Client{Transport: t} // for unix://, NewClient builds its own
	c, err := consulapi.NewClient(cfg)
	if err != nil {
		return nil, verbatimf("Error connecting to agent: %v", err)
	}
	return c, nil
}

// query returns the read options the flags ask for.
func (f *httpFlags) query() *api.QueryOptions {
	return &api.QueryOptions{AllowStale: f.stale}
}

package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// DefaultAddress is the agent address used when neither the Config nor the
// environment names one: the agent's default HTTP listener.
const DefaultAddress = "127.0.0.1:8500"

// Config says how to reach an agent. Start from DefaultConfig, so that the
// environment variables `consul` users already set keep working.
type Config struct {
	// Address is host:port, optionally prefixed by "http://" or "https://",
	// or "unix://" followed by the path of a unix socket.
	Address string

	// Token is sent as X-Consul-Token on every request; empty sends none.
	Token string

	// Datacenter is sent as ?dc on every request, so a CLI flag reaches
	// writes as well as reads; QueryOptions.Datacenter overrides it for reads.
	// Empty means the agent's own datacenter.
	Datacenter string

	// HTTPClient sends the requests; nil means one built for Address. It
	// must not have a short Timeout, as blocking queries wait for minutes,
	// and for a unix:// Address it must dial the socket itself.
	HTTPClient *http.Client
}

// DefaultConfig returns a Config read from the environment: the address from
// CONCORD_HTTP_ADDR, else CONSUL_HTTP_ADDR, else DefaultAddress, and the token
// from CONCORD_HTTP_TOKEN, else CONSUL_HTTP_TOKEN. The CONSUL_ names are read
// so that existing scripts and shells work unchanged.
func DefaultConfig() *Config {
	return &Config{
		Address: firstEnv("CONCORD_HTTP_ADDR", "CONSUL_HTTP_ADDR", DefaultAddress),
		Token:   firstEnv("CONCORD_HTTP_TOKEN", "CONSUL_HTTP_TOKEN", ""),
	}
}

// firstEnv returns the first of the two variables that is set and not empty,
// else def.
func firstEnv(name, fallback, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	if v := os.Getenv(fallback); v != "" {
		return v
	}
	return def
}

// Client talks to one agent's HTTP API. It is safe for concurrent use.
type Client struct {
	scheme string // "http" or "https"
	host   string // host:port, or "localhost" for a unix socket
	token  string
	dc     string
	hc     *http.Client    // non-nil
	ctx    context.Context // non-nil; ends every request it carries
}

// NewClient returns a Client for cfg; a nil cfg means DefaultConfig(). It
// fails only when the address cannot be parsed; nothing is dialled yet.
func NewClient(cfg *Config) (*Client, error) {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	scheme, host, socket, err := parseAddress(cfg.Address)
	if err != nil {
		return nil, err
	}
	hc := cfg.HTTPClient
	if hc == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		if socket != "" {
			t.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", socket)
			}
		}
		hc = &http.Client{Transport: t}
	}
	return &Client{
		scheme: scheme,
		host:   host,
		token:  cfg.Token,
		dc:     cfg.Datacenter,
		hc:     hc,
		ctx:    context.Background(),
	}, nil
}

// parseAddress splits an agent address into the URL scheme and host to use,
// and the socket path when the address is unix://.
func parseAddress(addr string) (scheme, host, socket string, err error) {
	if addr == "" {
		addr = DefaultAddress
	}
	scheme, rest, ok := strings.Cut(addr, "://")
	if !ok {
		scheme, rest = "http", addr
	}
	switch scheme {
	case "http", "https":
		rest = strings.TrimSuffix(rest, "/")
		if rest == "" || strings.ContainsAny(rest, "/?#") {
			return "", "", "", fmt.Errorf("api: invalid address %q: want host:port", addr)
		}
		return scheme, rest, "", nil
	case "unix":
		if rest == "" {
			return "", "", "", fmt.Errorf("api: invalid address %q: missing socket path", addr)
		}
		return "http", "localhost", rest, nil
	default:
		return "", "", "", fmt.Errorf("api: invalid address %q: unsupported scheme %q", addr, scheme)
	}
}

// WithContext returns a copy of c whose requests end when ctx does, so that a
// command interrupted by Ctrl-C does not hang in a blocking query.
func (c *Client) WithContext(ctx context.Context) *Client {
	c2 := *c
	c2.ctx = ctx
	return &c2
}

// StatusError is a reply with a status code the caller did not expect. It
// keeps the code, so that callers can tell a missing leader (500) from a
// denied token (403) with errors.As, and the body, where the server says why.
type StatusError struct {
	Code int
	Body string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("Unexpected response code: %d (%s)", e.Code, strings.TrimSpace(e.Body))
}

// isNotFound reports whether err is a 404 reply, which KV reads treat as "no
// such key" rather than as a failure.
func isNotFound(err error) bool {
	se, ok := err.(*StatusError)
	return ok && se.Code == http.StatusNotFound
}

// maxErrorBody bounds how much of an error reply is kept in a StatusError.
const maxErrorBody = 64 * 1024

// newRequest builds a request for path (which starts with /v1/) with the
// client's token, default datacenter and context. params may be nil.
func (c *Client) newRequest(method, path string, params url.Values, body io.Reader) (*http.Request, error) {
	if params == nil {
		params = url.Values{}
	}
	if c.dc != "" && !params.Has("dc") {
		params.Set("dc", c.dc)
	}
	u := url.URL{Scheme: c.scheme, Host: c.host, Path: path, RawQuery: params.Encode()}
	req, err := http.NewRequestWithContext(c.ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("api: cannot build request: %w", err)
	}
	if c.token != "" {
		req.Header.Set("X-Consul-Token", c.token)
	}
	return req, nil
}

// do sends req. A reply other than 2xx becomes a *StatusError, returned with
// resp so its headers stay readable, and its body is already closed;
// otherwise the caller must close resp.Body.
func (c *Client) do(req *http.Request) (*http.Response, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return resp, &StatusError{Code: resp.StatusCode, Body: string(b)}
	}
	return resp, nil
}

// read sends GET path and decodes the JSON reply into out. The meta is
// returned on a 404 too, with the *StatusError, so that a caller may block
// on a key that does not exist yet.
func (c *Client) read(path string, params url.Values, out any) (*QueryMeta, error) {
	req, err := c.newRequest(http.MethodGet, path, params, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(req)
	if err != nil {
		if resp != nil {
			return parseMeta(resp.Header), err
		}
		return nil, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return nil, fmt.Errorf("api: cannot decode reply from %s: %w", path, err)
	}
	return parseMeta(resp.Header), nil
}

// queryParams turns q into the URL parameters Consul's endpoints read. The
// flags ?stale and ?consistent are sent with an empty value, as servers only
// look at their presence.
func queryParams(q *QueryOptions) url.Values {
	p := url.Values{}
	if q == nil {
		return p
	}
	if q.Datacenter != "" {
		p.Set("dc", q.Datacenter)
	}
	if q.AllowStale {
		p.Set("stale", "")
	}
	if q.RequireConsistent {
		p.Set("consistent", "")
	}
	if q.MinQueryIndex != 0 {
		p.Set("index", strconv.FormatUint(q.MinQueryIndex, 10))
	}
	if q.MaxQueryTime != 0 {
		p.Set("wait", strconv.FormatInt(q.MaxQueryTime.Milliseconds(), 10)+"ms")
	}
	if q.Near != "" {
		p.Set("near", q.Near)
	}
	if q.Filter != "" {
		p.Set("filter", q.Filter)
	}
	return p
}

// parseMeta reads the X-Consul-* headers of a read. Malformed values are
// left zero: the meta is advice for the next query, not the result.
func parseMeta(h http.Header) *QueryMeta {
	m := &QueryMeta{
		KnownLeader: h.Get("X-Consul-KnownLeader") == "true",
		Consistency: h.Get("X-Consul-Effective-Consistency"),
	}
	m.LastIndex, _ = strconv.ParseUint(h.Get("X-Consul-Index"), 10, 64)
	if ms, err := strconv.ParseUint(h.Get("X-Consul-LastContact"), 10, 64); err == nil {
		m.LastContact = time.Duration(ms) * time.Millisecond
	}
	return m
}

// Status is the /v1/status endpoints: which servers form the cluster.
type Status struct{ c *Client }

// Status returns a handle on the /v1/status endpoints.
func (c *Client) Status() *Status { return &Status{c} }

// Leader returns the leader's Raft address (host:port), or "" when the
// cluster has none.
func (s *Status) Leader() (string, error) {
	var leader string
	_, err := s.c.read("/v1/status/leader", nil, &leader)
	return leader, err
}

// Peers returns the Raft addresses of the voting servers.
func (s *Status) Peers() ([]string, error) {
	var peers []string
	_, err := s.c.read("/v1/status/peers", nil, &peers)
	return peers, err
}

// Agent is the /v1/agent endpoints of the agent the client talks to.
type Agent struct{ c *Client }

// Agent returns a handle on the /v1/agent endpoints.
func (c *Client) Agent() *Agent { return &Agent{c} }

// Self returns /v1/agent/self by section ("Config", "Member", "Stats", ...).
// It is untyped because the sections' shapes are loose and tools read only a
// few fields from them.
func (a *Agent) Self() (map[string]map[string]any, error) {
	var self map[string]map[string]any
	_, err := a.c.read("/v1/agent/self", nil, &self)
	return self, err
}

package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
)

// Validate checks every field against its bounds and the fields against
// each other, returning all problems joined, each naming its config key.
// It also lowercases LogLevel. Parse and LoadFiles call it; call it again
// after changing a Config in code.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key string, err error) {
		errs = append(errs, fmt.Errorf("config: %s: %w", key, err))
	}
	check := func(key string, val any, err error) {
		if err == nil {
			return
		}
		if s, ok := val.(string); ok {
			val = fmt.Sprintf("%q", s)
		}
		bad(key, fmt.Errorf("%w, got %v", err, val))
	}

	if c.DataDir == "" && !c.DevMode {
		errs = append(errs, errors.New("config: data_dir is required (or use -dev)"))
	}
	check("node_name", c.NodeName, checkNodeName(c.NodeName))
	check("datacenter", c.Datacenter, checkDatacenter(c.Datacenter))
	check("bind_addr", c.BindAddr, checkIP(c.BindAddr))
	check("client_addr", c.ClientAddr, checkIP(c.ClientAddr))
	check("advertise_addr", c.AdvertiseAddr, checkAdvertise(c.AdvertiseAddr))
	for _, p := range []struct {
		key       string
		port      int
		allowZero bool
	}{
		{"ports.http", c.Ports.HTTP, true},
		{"ports.dns", c.Ports.DNS, true},
		{"ports.server", c.Ports.Server, true},
		{"ports.serf_lan", c.Ports.SerfLAN, true},
		{"ports.serf_wan", c.Ports.SerfWAN, true},
		{"ports.grpc", c.Ports.GRPC, false},
		{"ports.https", c.Ports.HTTPS, false},
	} {
		check(p.key, p.port, checkPort(p.port, p.allowZero))
	}
	if err := checkLogLevel(c.LogLevel); err != nil {
		check("log_level", c.LogLevel, err)
	} else {
		c.LogLevel = strings.ToLower(c.LogLevel)
	}
	check("session_ttl_min", c.SessionTTLMin, checkSessionTTLMin(c.SessionTTLMin))
	if err := checkEncryptKey(c.EncryptKey); err != nil {
		bad("encrypt", err) // never echo the key
	}
	check("-test-read-fault", c.TestReadFault, checkTestReadFault(c.TestReadFault))
	check("retry_join", c.RetryJoin, checkJoinList(c.RetryJoin))
	check("start_join", c.StartJoin, checkJoinList(c.StartJoin))
	if !c.Server && len(c.WAN.StartJoin)+len(c.WAN.RetryJoin) > 0 {
		bad("start_join_wan", errors.New("requires server mode: only servers join the WAN pool"))
	}
	errs = append(errs, c.ACL.finish()...)

	switch {
	case c.BootstrapExpect < 0:
		check("bootstrap_expect", c.BootstrapExpect, checkBootstrapExpect(c.BootstrapExpect))
	case c.BootstrapExpect > 0 && c.DevMode:
		bad("bootstrap_expect", errors.New("not allowed in dev mode, which always bootstraps itself"))
	case c.BootstrapExpect > 0 && !c.Server:
		bad("bootstrap_expect", errors.New("requires server mode (server = true or -server)"))
	}
	return errors.Join(errs...)
}

// The checks below return the problem only ("must be ..."); callers add
// the key or flag, and the value where it is safe to show.

// checkPort accepts 1-65535 and -1 (disabled); allowZero also accepts 0,
// which asks the OS for a free port at start.
func checkPort(p int, allowZero bool) error {
	if p == -1 || (p >= 1 && p <= 65535) || (allowZero && p == 0) {
		return nil
	}
	if allowZero {
		return errors.New("must be 1-65535, 0 for any free port, or -1 to disable")
	}
	return errors.New("must be 1-65535, or -1 to disable")
}

// checkIP accepts an IPv4 or IPv6 address, including 0.0.0.0 and ::.
func checkIP(s string) error {
	if _, err := netip.ParseAddr(s); err != nil {
		return errors.New("must be an IP address")
	}
	return nil
}

// checkHTTPAddr accepts an IP or unix:///absolute/path.
func checkHTTPAddr(s string) error {
	if path, ok := strings.CutPrefix(s, "unix://"); ok {
		if !strings.HasPrefix(path, "/") {
			return errors.New("must be an IP address or unix:///absolute/path")
		}
		return nil
	}
	if checkIP(s) != nil {
		return errors.New("must be an IP address or unix:///absolute/path")
	}
	return nil
}

// checkNodeID accepts a UUID, as Consul's node_id must be.
func checkNodeID(v any) error {
	if err := uuid.Validate(v.(string)); err != nil {
		return fmt.Errorf("must be a UUID such as 8f246b77-f3e1-ff88-5b48-8ec93abf3e05: %v", err)
	}
	return nil
}

// checkAdvertise accepts "" (use the bind address) or an address other
// nodes can reach, so not 0.0.0.0 or ::.
func checkAdvertise(s string) error {
	if s == "" {
		return nil
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return errors.New("must be an IP address")
	}
	if ip.IsUnspecified() {
		return errors.New("must not be 0.0.0.0 or ::, which other nodes cannot reach")
	}
	return nil
}

// logLevels are the accepted log_level values, in order of verbosity.
var logLevels = []string{"trace", "debug", "info", "warn", "error"}

// checkLogLevel accepts a log level in any case.
func checkLogLevel(s string) error {
	for _, l := range logLevels {
		if strings.EqualFold(s, l) {
			return nil
		}
	}
	return fmt.Errorf("must be one of %s", strings.Join(logLevels, ", "))
}

// checkBootstrapExpect rejects negative server counts; the dev and server
// mode rules need the whole Config and live in Validate.
func checkBootstrapExpect(n int) error {
	if n < 0 {
		return errors.New("must not be negative")
	}
	return nil
}

// Session TTL floor bounds: below 1s timers churn, above a day sessions
// would effectively never expire.
const (
	minSessionTTLMin = time.Second
	maxSessionTTLMin = 24 * time.Hour
)

// checkSessionTTLMin keeps session_ttl_min between 1s and 24h.
func checkSessionTTLMin(d time.Duration) error {
	if d < minSessionTTLMin || d > maxSessionTTLMin {
		return errors.New("must be between 1s and 24h")
	}
	return nil
}

// checkNodeName accepts a non-empty name without spaces or dots, since the
// name becomes a DNS label (<node>.node.<dc>.consul).
func checkNodeName(s string) error {
	switch {
	case s == "":
		return errors.New("must not be empty")
	case strings.ContainsFunc(s, unicode.IsSpace):
		return errors.New("must not contain spaces")
	case strings.Contains(s, "."):
		return errors.New("must not contain dots")
	}
	return nil
}

// checkDatacenter accepts lowercase letters, digits, - and _, since the
// name appears in DNS names and in keys of the WAN pool.
func checkDatacenter(s string) error {
	if s == "" {
		return errors.New("must not be empty")
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return errors.New("may contain only lowercase letters, digits, - and _")
		}
	}
	return nil
}

// checkEncryptKey accepts "" (no gossip encryption) or a standard base64
// key of 16, 24 or 32 bytes (AES-128, -192 or -256).
func checkEncryptKey(s string) error {
	if s == "" {
		return nil
	}
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return errors.New("must be standard base64")
	}
	if n := len(key); n != 16 && n != 24 && n != 32 {
		return fmt.Errorf("must decode to 16, 24 or 32 bytes, not %d", n)
	}
	return nil
}

// Node metadata bounds, Consul's.
const (
	maxNodeMetaPairs    = 64
	maxNodeMetaKeyLen   = 128
	maxNodeMetaValueLen = 512
)

// checkNodeMeta applies Consul's rules to node_meta: at most 64 pairs,
// keys of letters, digits, - and _ up to 128 bytes and not starting with
// the reserved "consul-", values up to 512 bytes.
func checkNodeMeta(m map[string]string) error {
	if len(m) > maxNodeMetaPairs {
		return fmt.Errorf("must have at most %d pairs, has %d", maxNodeMetaPairs, len(m))
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		switch {
		case k == "" || len(k) > maxNodeMetaKeyLen:
			return fmt.Errorf("key %q must be 1-%d bytes long", k, maxNodeMetaKeyLen)
		case strings.ContainsFunc(k, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
		}):
			return fmt.Errorf("key %q may contain only letters, digits, - and _", k)
		case strings.HasPrefix(k, "consul-"):
			return fmt.Errorf("key %q uses the reserved prefix \"consul-\"", k)
		case len(m[k]) > maxNodeMetaValueLen:
			return fmt.Errorf("value of %q must be at most %d bytes", k, maxNodeMetaValueLen)
		}
	}
	return nil
}

// checkMetricsPrefix accepts "" or a name that starts with a letter or _
// and holds letters, digits, _, . and - (the last two become _ in
// Prometheus names).
func checkMetricsPrefix(s string) error {
	for i, r := range s {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_'
		if !letter && (i == 0 || !(r >= '0' && r <= '9' || r == '.' || r == '-')) {
			return errors.New("must start with a letter or _ and hold only letters, digits, _, . and -")
		}
	}
	return nil
}

// checkPrefixFilter accepts entries of "+prefix" or "-prefix".
func checkPrefixFilter(list []string) error {
	for _, f := range list {
		if len(f) < 2 || (f[0] != '+' && f[0] != '-') {
			return fmt.Errorf("entry %q must be \"+prefix\" to keep or \"-prefix\" to drop", f)
		}
	}
	return nil
}

// checkTestReadFault accepts the faults Config.TestReadFault documents.
func checkTestReadFault(s string) error {
	switch s {
	case "", "stale-default", "no-lease":
		return nil
	}
	return errors.New(`must be "stale-default" or "no-lease"`)
}

// checkJoinList rejects empty addresses, which would make join fail
// later and far from the typo.
func checkJoinList(addrs []string) error {
	for _, a := range addrs {
		if strings.TrimSpace(a) == "" {
			return errors.New("must not contain empty addresses")
		}
	}
	return nil
}

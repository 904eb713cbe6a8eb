package dns

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	mdns "github.com/miekg/dns"
)

// Config holds the settings of a DNS server. Start from [DefaultConfig].
type Config struct {
	// Addr is the host:port to listen on, for both UDP and TCP
	// ("127.0.0.1:8600"); port 0 picks a free port, the same for both.
	Addr string
	// Domain is the zone answered from the catalog ("consul."), in any
	// case, with or without the final dot.
	Domain string
	// AltDomain is a second zone answered like Domain (alt_domain), or "".
	// Answers to names under it use it too.
	AltDomain string
	// Datacenter is this agent's datacenter. A name may carry it as a
	// label; a name carrying another one is answered from that
	// datacenter, through the Catalog.
	Datacenter string
	// NodeTTL is the TTL of node, addr and NS records (dns_config.node_ttl).
	NodeTTL time.Duration
	// ServiceTTL is the TTL of service records (dns_config.service_ttl).
	ServiceTTL time.Duration
	// OnlyPassing leaves out instances with a warning check too, not only
	// those with a critical one (dns_config.only_passing).
	OnlyPassing bool
	// EnableTruncate sets the TC bit when UDPAnswerLimit cut address
	// records (dns_config.enable_truncate). Replies cut to fit the client's
	// buffer always carry TC.
	EnableTruncate bool
	// UDPAnswerLimit is the most address records (A, AAAA, CNAME) in a UDP
	// reply to a client without EDNS0 (dns_config.udp_answer_limit). At
	// least 1.
	UDPAnswerLimit int
	// Recursors are host[:port] resolvers (port 53 when none) asked, in
	// order, about names outside our zones; with none such names are
	// REFUSED.
	Recursors []string
	// RecursorTimeout bounds one exchange with one recursor
	// (recursor_timeout). Positive.
	RecursorTimeout time.Duration
	// QueryRatePerSource is the most queries a second one source IP gets
	// answered, over UDP and TCP together, with bursts of as many; past
	// it queries are answered REFUSED (dns_config.query_rate_per_source).
	// 0 for no limit.
	QueryRatePerSource int
	// Logger receives catalog errors, recursor failures and recovered
	// panics. Non-nil.
	Logger *slog.Logger
}

// DefaultConfig returns Consul's defaults: 127.0.0.1:8600, domain consul.,
// datacenter dc1, TTLs of 0, three UDP answers, no recursors with a 2s
// timeout, no query rate limit, and a logger that discards.
func DefaultConfig() Config {
	return Config{
		Addr:            "127.0.0.1:8600",
		Domain:          "consul.",
		Datacenter:      "dc1",
		UDPAnswerLimit:  3,
		RecursorTimeout: 2 * time.Second,
		Logger:          slog.New(slog.DiscardHandler),
	}
}

// maxTTL is the largest TTL a record may carry (RFC 2181 section 8).
const maxTTL = time.Duration(math.MaxInt32) * time.Second

// Validate reports the first setting out of bounds.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("dns: Addr %q is not host:port: %w", c.Addr, err)
	}
	if err := validDomain(c.Domain); err != nil {
		return fmt.Errorf("dns: Domain: %w", err)
	}
	if c.AltDomain != "" {
		if err := validDomain(c.AltDomain); err != nil {
			return fmt.Errorf("dns: AltDomain: %w", err)
		}
		if canonical(c.AltDomain) == canonical(c.Domain) {
			return fmt.Errorf("dns: AltDomain %q is the same as Domain", c.AltDomain)
		}
	}
	if c.Datacenter == "" || strings.ContainsAny(c.Datacenter, ". \\") || len(c.Datacenter) > 63 {
		return fmt.Errorf("dns: Datacenter %q must be one DNS label", c.Datacenter)
	}
	switch {
	case c.NodeTTL < 0 || c.NodeTTL > maxTTL:
		return fmt.Errorf("dns: NodeTTL %v is out of [0, %v]", c.NodeTTL, maxTTL)
	case c.ServiceTTL < 0 || c.ServiceTTL > maxTTL:
		return fmt.Errorf("dns: ServiceTTL %v is out of [0, %v]", c.ServiceTTL, maxTTL)
	case c.UDPAnswerLimit < 1:
		return fmt.Errorf("dns: UDPAnswerLimit is %d, must be at least 1", c.UDPAnswerLimit)
	case c.RecursorTimeout <= 0:
		return fmt.Errorf("dns: RecursorTimeout is %v, must be positive", c.RecursorTimeout)
	case c.QueryRatePerSource < 0:
		return fmt.Errorf("dns: QueryRatePerSource is %d, must not be negative", c.QueryRatePerSource)
	case c.Logger == nil:
		return errors.New("dns: Logger is nil")
	}
	for _, r := range c.Recursors {
		if _, err := recursorAddr(r); err != nil {
			return err
		}
	}
	return nil
}

// validDomain reports whether d is a usable zone name.
func validDomain(d string) error {
	if d == "" || d == "." {
		return errors.New("must not be empty or the root")
	}
	if strings.ContainsRune(d, '\\') {
		return fmt.Errorf("%q must not hold escapes", d)
	}
	if _, ok := mdns.IsDomainName(d); !ok {
		return fmt.Errorf("%q is not a domain name", d)
	}
	return nil
}

// canonical returns d in lower case with a final dot.
func canonical(d string) string {
	return strings.ToLower(mdns.Fqdn(d))
}

// recursorAddr returns r as host:port, adding port 53 when it has none.
func recursorAddr(r string) (string, error) {
	host, port, err := net.SplitHostPort(r)
	if err != nil {
		// No port: a bare host, IPv4 or IPv6 address (maybe bracketed).
		host, port = strings.TrimSuffix(strings.TrimPrefix(r, "["), "]"), "53"
	}
	if host == "" || strings.ContainsAny(host, "[]/ ") {
		return "", fmt.Errorf("dns: recursor %q is not host[:port]", r)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("dns: recursor %q has a bad port", r)
	}
	return net.JoinHostPort(host, port), nil
}

// ttlOf converts d to whole seconds for a record header; Validate bounds it.
func ttlOf(d time.Duration) uint32 {
	return uint32(d / time.Second)
}

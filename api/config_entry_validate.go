package api

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
)

// Bounds of a config entry's Meta, as Consul's.
const (
	configMetaMaxPairs    = 64
	configMetaKeyMaxLen   = 128
	configMetaValueMaxLen = 512
)

// Normalize puts e in the form Consul stores, as Consul's servers do
// before they validate: the kind set from the type, protocols in lower
// case, a proxy-defaults entry named "global" (refused under any other
// name), negative upstream timeouts as 0, and the default namespace and
// partition (the only ones there are) as none.
func (e *ConfigEntry) Normalize() error {
	switch {
	case e.Service != nil:
		s := e.Service
		s.Kind = ServiceDefaults
		s.Protocol = strings.ToLower(s.Protocol)
		if err := defaultTenancy(&s.Partition, &s.Namespace); err != nil {
			return err
		}
		if u := s.UpstreamConfig; u != nil {
			for _, o := range append(slices.Clone(u.Overrides), u.Defaults) {
				if o != nil {
					o.Protocol = strings.ToLower(o.Protocol)
					o.ConnectTimeoutMs = max(o.ConnectTimeoutMs, 0)
				}
			}
		}
	case e.Proxy != nil:
		p := e.Proxy
		p.Kind = ProxyDefaults
		if p.Name != "" && p.Name != ProxyConfigGlobal {
			return fmt.Errorf("invalid name (%q), only %q is supported", p.Name, ProxyConfigGlobal)
		}
		p.Name = ProxyConfigGlobal
		return defaultTenancy(&p.Partition, &p.Namespace)
	default:
		return errors.New("config entry is nil")
	}
	return nil
}

// defaultTenancy accepts the default partition and namespace, and clears
// them; any other is an Enterprise feature Concord does not have.
func defaultTenancy(partition, namespace *string) error {
	for _, v := range []*string{partition, namespace} {
		if *v != "" && *v != "default" {
			return fmt.Errorf("namespaces and partitions are Consul Enterprise features: %q is not the default", *v)
		}
		*v = ""
	}
	return nil
}

// Validate checks a normalized entry with Consul's rules and texts.
func (e *ConfigEntry) Validate() error {
	var errs []error
	switch {
	case e.Service != nil:
		errs = e.Service.validate()
	case e.Proxy != nil:
		p := e.Proxy
		if p.Name != ProxyConfigGlobal {
			return fmt.Errorf("invalid name (%q), only %q is supported", p.Name, ProxyConfigGlobal)
		}
		errs = append(validateConfigMeta(p.Meta), validateModes(p.Mode, p.MutualTLSMode)...)
	default:
		return errors.New("config entry is nil")
	}
	return errors.Join(errs...)
}

func (s *ServiceConfigEntry) validate() []error {
	switch s.Name {
	case "":
		return []error{errors.New("Name is required")}
	case "*":
		return []error{errors.New("service-defaults name must be the name of a service, and not a wildcard")}
	}
	errs := append(validateConfigMeta(s.Meta), validateModes(s.Mode, s.MutualTLSMode)...)
	if !validBalance(s.BalanceInboundConnections) {
		errs = append(errs, fmt.Errorf("invalid value for balance_inbound_connections: %v", s.BalanceInboundConnections))
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"maxinboundconnections", s.MaxInboundConnections},
		{"localconnecttimeoutms", s.LocalConnectTimeoutMs}, {"localrequesttimeoutms", s.LocalRequestTimeoutMs}} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("invalid value for %s: %v", f.name, f.v))
		}
	}
	if s.UpstreamConfig != nil && s.Destination != nil {
		return append(errs, errors.New("UpstreamConfig and Destination are mutually exclusive for service defaults"))
	}
	if u := s.UpstreamConfig; u != nil {
		for _, o := range u.Overrides {
			if o == nil {
				continue
			}
			if err := o.validate(true); err != nil {
				errs = append(errs, fmt.Errorf("error in upstream override for %s: %v", o.Name, err))
			}
		}
		if u.Defaults != nil {
			if err := u.Defaults.validate(false); err != nil {
				errs = append(errs, fmt.Errorf("error in upstream defaults: %v", err))
			}
		}
	}
	if d := s.Destination; d != nil {
		errs = append(errs, d.validate()...)
	}
	return errs
}

// validate checks an upstream's settings; named says whether it is an
// override (which names its upstream) or the defaults (which must not).
func (u *UpstreamConfig) validate(named bool) error {
	switch {
	case named && u.Name == "":
		return errors.New("Name is required")
	case named && u.Name == "*":
		return errors.New("Wildcard name is not supported")
	case !named && u.Name != "":
		return errors.New("Name must be empty")
	case !named && u.Namespace != "":
		return errors.New("Namespace must be empty")
	case !named && u.Partition != "":
		return errors.New("Partition must be empty")
	}
	var errs []error
	if c := u.PassiveHealthCheck; c != nil && c.Interval < 0 {
		errs = append(errs, errors.New("passive health check interval cannot be negative"))
	}
	if l := u.Limits; l != nil {
		for _, f := range []struct {
			name string
			v    *int
		}{{"max connections", l.MaxConnections},
			{"max pending requests", l.MaxPendingRequests}, {"max concurrent requests", l.MaxConcurrentRequests}} {
			if f.v != nil && *f.v < 0 {
				errs = append(errs, fmt.Errorf("%s cannot be negative", f.name))
			}
		}
	}
	if !validBalance(u.BalanceOutboundConnections) {
		errs = append(errs, fmt.Errorf("invalid value for balance_outbound_connections: %v", u.BalanceOutboundConnections))
	}
	return errors.Join(errs...)
}

// validate checks a destination: addresses that are IPs or host names,
// each once, and a port.
func (d *DestinationConfig) validate() []error {
	var errs []error
	if len(d.Addresses) == 0 {
		errs = append(errs, errors.New("Destination must contain at least one valid address"))
	}
	seen := map[string]bool{}
	for _, a := range d.Addresses {
		if seen[a] {
			errs = append(errs, fmt.Errorf("Duplicate address '%s' is not allowed", a))
			continue
		}
		seen[a] = true
		if net.ParseIP(a) == nil && !isHostName(a) {
			errs = append(errs, fmt.Errorf("Destination address '%s' is invalid Could not validate address %s as an IP or Hostname", a, a))
		}
	}
	if d.Port < 1 || d.Port > 65535 {
		errs = append(errs, fmt.Errorf("Invalid Port number %d", d.Port))
	}
	return errs
}

// isHostName reports whether s is a DNS name: dot-separated labels of
// letters, digits, '-' and '_', none empty or over 63 bytes.
func isHostName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

func validBalance(s string) bool { return s == "" || s == "exact_balance" }

// validateModes checks a proxy mode and a mutual TLS mode.
func validateModes(mode, mtls string) []error {
	var errs []error
	switch mode {
	case "", "direct", "transparent":
	default:
		errs = append(errs, fmt.Errorf("invalid proxy mode: %q", mode))
	}
	switch mtls {
	case "", "strict", "permissive":
	default:
		errs = append(errs, fmt.Errorf(`Invalid MutualTLSMode %q. Must be one of "", "strict", or "permissive".`, mtls))
	}
	return errs
}

// validateConfigMeta checks a config entry's Meta against Consul's bounds,
// its keys in order so that the errors come out the same every time.
func validateConfigMeta(meta map[string]string) []error {
	var errs []error
	if len(meta) > configMetaMaxPairs {
		errs = append(errs, fmt.Errorf("Meta exceeds maximum element count %d", configMetaMaxPairs))
	}
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		if len(k) > configMetaKeyMaxLen {
			errs = append(errs, fmt.Errorf("Meta key %q exceeds maximum length %d", k, configMetaKeyMaxLen))
		}
		if len(meta[k]) > configMetaValueMaxLen {
			errs = append(errs, fmt.Errorf("Meta value for key %q exceeds maximum length %d", k, configMetaValueMaxLen))
		}
	}
	return errs
}

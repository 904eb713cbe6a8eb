package config

import (
	"errors"
	"time"
)

// RequestLimits is limits.request_limits: a server's limits on the rate
// of the calls it receives, reads and writes apart, as Consul's.
type RequestLimits struct {
	// Mode is RequestLimitsDisabled (the default), RequestLimitsPermissive
	// (calls past a rate are counted and logged, and answered) or
	// RequestLimitsEnforcing (they are refused with 429).
	Mode string
	// ReadRate and WriteRate are the calls per second a server takes
	// (read_rate, write_rate); negative, as Consul's default -1, for no
	// limit.
	ReadRate, WriteRate float64
}

// limits.request_limits.mode values.
const (
	RequestLimitsDisabled   = "disabled"
	RequestLimitsPermissive = "permissive"
	RequestLimitsEnforcing  = "enforcing"
)

var requestLimitModes = []string{RequestLimitsDisabled, RequestLimitsPermissive, RequestLimitsEnforcing}

// defaultRequestLimits is Consul's: off, and no limit on either rate.
func defaultRequestLimits() RequestLimits {
	return RequestLimits{Mode: RequestLimitsDisabled, ReadRate: -1, WriteRate: -1}
}

// limitsOptions are the keys of the limits block that Concord honours.
// Consul's other limits keys are in consul_keys.go.
var limitsOptions = []option{
	{key: "limits.http_idle_timeout", kind: kindDuration,
		set:   func(c *Config, v any) { c.Limits.HTTPIdleTimeout = v.(time.Duration) },
		check: nonNegativeDuration},
	{key: "limits.http_max_conns", kind: kindInt,
		set:   func(c *Config, v any) { c.Limits.HTTPMaxConns = v.(int) },
		check: intRange(0, 1<<20)},
	{key: "limits.http_max_conns_per_client", kind: kindInt,
		set:   func(c *Config, v any) { c.Limits.HTTPMaxConnsPerClient = v.(int) },
		check: intRange(0, 1<<20)},
	{key: "limits.http_read_header_timeout", kind: kindDuration,
		set:   func(c *Config, v any) { c.Limits.HTTPReadHeaderTimeout = v.(time.Duration) },
		check: nonNegativeDuration},
	{key: "limits.https_handshake_timeout", kind: kindDuration,
		set:   func(c *Config, v any) { c.Limits.HTTPSHandshakeTimeout = v.(time.Duration) },
		check: nonNegativeDuration},
	{key: "limits.request_limits.mode", kind: kindString,
		set:   func(c *Config, v any) { c.Limits.RequestLimits.Mode = v.(string) },
		check: func(v any) error { return checkOneOf(v.(string), requestLimitModes) }},
	{key: "limits.request_limits.read_rate", kind: kindFloat,
		set:   func(c *Config, v any) { c.Limits.RequestLimits.ReadRate = v.(float64) },
		check: checkRate},
	{key: "limits.request_limits.write_rate", kind: kindFloat,
		set:   func(c *Config, v any) { c.Limits.RequestLimits.WriteRate = v.(float64) },
		check: checkRate},
	{key: "limits.rpc_handshake_timeout", kind: kindDuration,
		set:   func(c *Config, v any) { c.Limits.RPCHandshakeTimeout = v.(time.Duration) },
		check: nonNegativeDuration},
	{key: "limits.rpc_max_conns_per_client", kind: kindInt,
		set:   func(c *Config, v any) { c.Limits.RPCMaxConnsPerClient = v.(int) },
		check: intRange(0, 1<<20)},
}

// checkRate accepts a positive rate, or a negative one for no limit. 0 is
// refused: whether it means "none" or "no limit" is anyone's guess.
func checkRate(v any) error {
	if v.(float64) == 0 {
		return errors.New("must be positive, or -1 for no limit")
	}
	return nil
}

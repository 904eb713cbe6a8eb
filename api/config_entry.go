package api

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Config entries (/v1/config): cluster-wide settings stored in Raft. Concord
// keeps the two kinds a user without the service mesh reads —
// service-defaults (a service's protocol and defaults) and proxy-defaults
// (the one "global" entry of defaults for every proxy) — field for field
// as Consul's API has them, so tools that write them get them back
// unchanged. The mesh kinds (routers, resolvers, gateways, intentions...)
// are refused with MeshConfigKindError.
const (
	ServiceDefaults = "service-defaults"
	ProxyDefaults   = "proxy-defaults"
	// ProxyConfigGlobal is the only name a proxy-defaults entry may have.
	ProxyConfigGlobal = "global"
)

// meshConfigKinds are Consul's config entry kinds that belong to its
// service mesh, which Concord does not have.
var meshConfigKinds = []string{
	"service-router", "service-splitter", "service-resolver", "ingress-gateway", "terminating-gateway",
	"service-intentions", "mesh", "exported-services", "sameness-group", "api-gateway", "bound-api-gateway",
	"tcp-route", "http-route", "file-system-certificate", "inline-certificate", "jwt-provider",
	"control-plane-request-limit", "rate-limit",
}

// ServiceConfigEntry is a service-defaults entry: defaults for every
// instance of the service Name. Its fields are Consul's.
type ServiceConfigEntry struct {
	Kind                      string
	Name                      string
	Partition                 string                  `json:",omitempty"`
	Namespace                 string                  `json:",omitempty"`
	Protocol                  string                  `json:",omitempty"`
	Mode                      string                  `json:",omitempty"` // "", "direct" or "transparent"
	TransparentProxy          *TransparentProxyConfig `json:",omitempty"`
	MutualTLSMode             string                  `json:",omitempty"` // "", "strict" or "permissive"
	MeshGateway               MeshGatewayConfig
	Expose                    ExposeConfig
	ExternalSNI               string                 `json:",omitempty"`
	UpstreamConfig            *UpstreamConfiguration `json:",omitempty"`
	Destination               *DestinationConfig     `json:",omitempty"`
	MaxInboundConnections     int                    `json:",omitempty"`
	LocalConnectTimeoutMs     int                    `json:",omitempty"`
	LocalRequestTimeoutMs     int                    `json:",omitempty"`
	BalanceInboundConnections string                 `json:",omitempty"` // "" or "exact_balance"
	RateLimits                *RateLimits            `json:",omitempty"`
	EnvoyExtensions           []EnvoyExtension       `json:",omitempty"`
	Meta                      map[string]string      `json:",omitempty"`
	CreateIndex               uint64
	ModifyIndex               uint64
	MaxRequestHeadersKB       *uint32 `json:",omitempty"`
}

// ProxyConfigEntry is the proxy-defaults entry: defaults for every proxy.
// Its Name is always ProxyConfigGlobal.
type ProxyConfigEntry struct {
	Kind                 string
	Name                 string
	Partition            string                  `json:",omitempty"`
	Namespace            string                  `json:",omitempty"`
	Mode                 string                  `json:",omitempty"`
	TransparentProxy     *TransparentProxyConfig `json:",omitempty"`
	MutualTLSMode        string                  `json:",omitempty"`
	Config               map[string]any          `json:",omitempty"` // free-form, kept as given
	MeshGateway          MeshGatewayConfig
	Expose               ExposeConfig
	AccessLogs           *AccessLogsConfig                    `json:",omitempty"`
	EnvoyExtensions      []EnvoyExtension                     `json:",omitempty"`
	FailoverPolicy       *ServiceResolverFailoverPolicy       `json:",omitempty"`
	PrioritizeByLocality *ServiceResolverPrioritizeByLocality `json:",omitempty"`
	Meta                 map[string]string                    `json:",omitempty"`
	CreateIndex          uint64
	ModifyIndex          uint64
}

// UpstreamConfiguration holds a service's settings for its upstreams.
type UpstreamConfiguration struct {
	Overrides []*UpstreamConfig `json:",omitempty"` // each names its upstream
	Defaults  *UpstreamConfig   `json:",omitempty"` // for every upstream; no name
}

// UpstreamConfig is the proxy's settings for one upstream, or all.
type UpstreamConfig struct {
	Name                       string              `json:",omitempty"`
	Partition                  string              `json:",omitempty"`
	Namespace                  string              `json:",omitempty"`
	Peer                       string              `json:",omitempty"`
	EnvoyListenerJSON          string              `json:",omitempty"`
	EnvoyClusterJSON           string              `json:",omitempty"`
	Protocol                   string              `json:",omitempty"`
	ConnectTimeoutMs           int                 `json:",omitempty"`
	Limits                     *UpstreamLimits     `json:",omitempty"`
	PassiveHealthCheck         *PassiveHealthCheck `json:",omitempty"`
	MeshGateway                MeshGatewayConfig
	BalanceOutboundConnections string `json:",omitempty"`
}

// UpstreamLimits bounds the connections and requests to one upstream.
type UpstreamLimits struct {
	MaxConnections        *int
	MaxPendingRequests    *int
	MaxConcurrentRequests *int
	PassiveHealthCheck    *PassiveHealthCheck `json:",omitempty"`
}

// PassiveHealthCheck is outlier detection: when a proxy stops sending to
// an upstream instance that keeps failing.
type PassiveHealthCheck struct {
	Interval                           time.Duration `json:",omitempty"`
	MaxFailures                        uint32
	EnforcingConsecutive5xx            *uint32        `json:",omitempty"`
	EnforcingConsecutiveGatewayFailure *uint32        `json:",omitempty"`
	Consecutive5xx                     *uint32        `json:",omitempty"`
	ConsecutiveGatewayFailure          *uint32        `json:",omitempty"`
	MaxEjectionPercent                 *uint32        `json:",omitempty"`
	BaseEjectionTime                   *time.Duration `json:",omitempty"`
}

// DestinationConfig makes a service-defaults entry describe a service
// outside the cluster, reached at these addresses.
type DestinationConfig struct {
	Addresses []string `json:",omitempty"`
	Port      int      `json:",omitempty"`
}

// RateLimits limits the requests a service's instances take.
type RateLimits struct {
	InstanceLevel InstanceLevelRateLimits
}

// InstanceLevelRateLimits limits requests per instance, and per route.
type InstanceLevelRateLimits struct {
	RequestsPerSecond int
	RequestsMaxBurst  int
	Routes            []InstanceLevelRouteRateLimits
}

// InstanceLevelRouteRateLimits limits the requests of one route.
type InstanceLevelRouteRateLimits struct {
	PathExact         string
	PathPrefix        string
	PathRegex         string
	RequestsPerSecond int
	RequestsMaxBurst  int
}

// ServiceResolverFailoverPolicy says how proxies fail over.
type ServiceResolverFailoverPolicy struct {
	Mode    string   `json:",omitempty"`
	Regions []string `json:",omitempty"`
}

// ServiceResolverPrioritizeByLocality says how proxies prefer nearby
// instances.
type ServiceResolverPrioritizeByLocality struct {
	Mode string `json:",omitempty"`
}

// ConfigEntry is one config entry: exactly one of its fields is set, by
// kind. Its JSON is the entry's own, as Consul writes it, so a list of
// them is a list of entries of any kind.
type ConfigEntry struct {
	Service *ServiceConfigEntry `json:",omitempty"`
	Proxy   *ProxyConfigEntry   `json:",omitempty"`
}

// MeshConfigKindError is the error for a kind of Consul's service mesh.
type MeshConfigKindError struct{ Kind string }

func (e MeshConfigKindError) Error() string {
	return fmt.Sprintf("config entry kind %q is not supported: it belongs to Consul's service mesh, which Concord does not have (only %s and %s are)",
		e.Kind, ServiceDefaults, ProxyDefaults)
}

// NewConfigEntry returns an empty entry of kind named name. A kind of the
// mesh is a MeshConfigKindError; an unknown kind has Consul's text.
func NewConfigEntry(kind, name string) (*ConfigEntry, error) {
	switch kind {
	case ServiceDefaults:
		return &ConfigEntry{Service: &ServiceConfigEntry{Kind: kind, Name: name}}, nil
	case ProxyDefaults:
		return &ConfigEntry{Proxy: &ProxyConfigEntry{Kind: kind, Name: name}}, nil
	}
	if slices.Contains(meshConfigKinds, kind) {
		return nil, MeshConfigKindError{Kind: kind}
	}
	return nil, fmt.Errorf("invalid config entry kind: %s", kind)
}

// Kind returns the entry's kind.
func (e *ConfigEntry) Kind() string {
	switch {
	case e.Service != nil:
		return ServiceDefaults
	case e.Proxy != nil:
		return ProxyDefaults
	}
	return ""
}

// Name returns the entry's name.
func (e *ConfigEntry) Name() string {
	switch {
	case e.Service != nil:
		return e.Service.Name
	case e.Proxy != nil:
		return e.Proxy.Name
	}
	return ""
}

// Indexes returns the Raft indexes that created and last changed the entry.
func (e *ConfigEntry) Indexes() (create, modify uint64) {
	switch {
	case e.Service != nil:
		return e.Service.CreateIndex, e.Service.ModifyIndex
	case e.Proxy != nil:
		return e.Proxy.CreateIndex, e.Proxy.ModifyIndex
	}
	return 0, 0
}

// SetIndexes sets the entry's Raft indexes.
func (e *ConfigEntry) SetIndexes(create, modify uint64) {
	switch {
	case e.Service != nil:
		e.Service.CreateIndex, e.Service.ModifyIndex = create, modify
	case e.Proxy != nil:
		e.Proxy.CreateIndex, e.Proxy.ModifyIndex = create, modify
	}
}

// MarshalJSON writes the entry itself.
func (e ConfigEntry) MarshalJSON() ([]byte, error) {
	switch {
	case e.Service != nil:
		return json.Marshal(e.Service)
	case e.Proxy != nil:
		return json.Marshal(e.Proxy)
	}
	return []byte("null"), nil
}

// UnmarshalJSON reads an entry MarshalJSON wrote, by its Kind. It trusts
// its input (the servers' own encoding); what users send goes through
// DecodeConfigEntry instead.
func (e *ConfigEntry) UnmarshalJSON(data []byte) error {
	var head struct{ Kind string }
	if err := json.Unmarshal(data, &head); err != nil {
		return err
	}
	fresh, err := NewConfigEntry(head.Kind, "")
	if err != nil {
		return err
	}
	*e = *fresh
	if e.Service != nil {
		return json.Unmarshal(data, e.Service)
	}
	return json.Unmarshal(data, e.Proxy)
}

// Clone returns a deep copy of e.
func (e *ConfigEntry) Clone() *ConfigEntry {
	data, err := json.Marshal(e)
	if err != nil {
		panic(fmt.Sprintf("api: cannot encode config entry: %v", err)) // plain data: cannot happen
	}
	var out ConfigEntry
	if err := out.UnmarshalJSON(data); err != nil {
		panic(fmt.Sprintf("api: cannot decode config entry: %v", err))
	}
	return &out
}

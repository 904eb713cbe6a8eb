package api

import (
	"errors"
	"fmt"
	"strings"
)

// Concord has no service mesh: it runs no proxies, issues no certificates
// and enforces no intentions. It keeps the mesh settings of a service
// (its Kind, Proxy and Connect blocks) as registered and returns them, so
// that proxies and gateways registered by other tools are listed as they
// are in Consul.

// ServiceKind says what a service is: "" for a typical one, or a proxy or
// gateway of the mesh.
type ServiceKind string

// The kinds Consul knows.
const (
	ServiceKindTypical            ServiceKind = ""
	ServiceKindConnectProxy       ServiceKind = "connect-proxy"
	ServiceKindMeshGateway        ServiceKind = "mesh-gateway"
	ServiceKindTerminatingGateway ServiceKind = "terminating-gateway"
	ServiceKindIngressGateway     ServiceKind = "ingress-gateway"
	ServiceKindAPIGateway         ServiceKind = "api-gateway"
)

// ProxyConfig is the Proxy block of a proxy or gateway service.
type ProxyConfig struct {
	EnvoyExtensions        []EnvoyExtension        `json:",omitempty"`
	DestinationServiceName string                  `json:",omitempty"`
	DestinationServiceID   string                  `json:",omitempty"`
	LocalServiceAddress    string                  `json:",omitempty"`
	LocalServicePort       int                     `json:",omitempty"`
	LocalServicePorts      ServicePorts            `json:",omitempty"`
	LocalServiceSocketPath string                  `json:",omitempty"`
	Mode                   string                  // "", "direct" or "transparent"; always written, as Consul does
	TransparentProxy       *TransparentProxyConfig `json:",omitempty"`
	Config                 map[string]any          `json:",omitempty"`
	Upstreams              []Upstream              `json:",omitempty"`
	MeshGateway            MeshGatewayConfig
	Expose                 ExposeConfig
	AccessLogs             *AccessLogsConfig `json:",omitempty"`
}

// EnvoyExtension is an extension a proxy's Envoy loads.
type EnvoyExtension struct {
	Name          string
	Required      bool
	Arguments     map[string]any
	ConsulVersion string
	EnvoyVersion  string
}

// TransparentProxyConfig is a proxy's transparent mode settings.
type TransparentProxyConfig struct {
	OutboundListenerPort int  `json:",omitempty"`
	DialedDirectly       bool `json:",omitempty"`
}

// Upstream is a service (or prepared query) a proxy forwards to.
type Upstream struct {
	DestinationType      string `json:",omitempty"` // "service" (the default) or "prepared_query"
	DestinationPartition string `json:",omitempty"`
	DestinationNamespace string `json:",omitempty"`
	DestinationPeer      string `json:",omitempty"`
	DestinationName      string
	DestinationPort      string            `json:",omitempty"`
	Datacenter           string            `json:",omitempty"`
	LocalBindAddress     string            `json:",omitempty"`
	LocalBindPort        int               `json:",omitempty"`
	LocalBindSocketPath  string            `json:",omitempty"`
	LocalBindSocketMode  string            `json:",omitempty"`
	Config               map[string]any    `json:",omitempty"`
	MeshGateway          MeshGatewayConfig `json:",omitempty"`
	CentrallyConfigured  bool              `json:",omitempty"`
}

// MeshGatewayConfig says how traffic goes through mesh gateways.
type MeshGatewayConfig struct {
	Mode string `json:",omitempty"`
}

// ExposeConfig are the paths a proxy exposes without mutual TLS.
type ExposeConfig struct {
	Checks bool         `json:",omitempty"`
	Paths  []ExposePath `json:",omitempty"`
}

// ExposePath is one exposed path.
type ExposePath struct {
	ListenerPort    int    `json:",omitempty"`
	Path            string `json:",omitempty"`
	LocalPathPort   int    `json:",omitempty"`
	Protocol        string `json:",omitempty"`
	ParsedFromCheck bool
}

// AccessLogsConfig is a proxy's access log settings.
type AccessLogsConfig struct {
	Enabled             bool   `json:",omitempty"`
	DisableListenerLogs bool   `json:",omitempty"`
	Type                string `json:",omitempty"`
	Path                string `json:",omitempty"`
	JSONFormat          string `json:",omitempty"`
	TextFormat          string `json:",omitempty"`
}

// ServiceConnect is the Connect block of a service: Native for a service
// that speaks the mesh's mutual TLS itself. A SidecarService is refused at
// registration (Concord registers no sidecars); the field is here so that
// the refusal can name it.
type ServiceConnect struct {
	Native         bool                      `json:",omitempty"`
	SidecarService *AgentServiceRegistration `json:",omitempty"`
}

// ValidateMesh checks a service's Kind, Proxy and Connect as Consul does
// at registration: a known kind; a connect-proxy names the service it
// fronts, has a port (or a socket path) and is not Connect-native; no
// sidecar registration (Concord registers no sidecars).
func ValidateMesh(kind ServiceKind, port int, socketPath string, proxy *ProxyConfig, connect *ServiceConnect) error {
	switch kind {
	case ServiceKindTypical, ServiceKindConnectProxy, ServiceKindMeshGateway, ServiceKindTerminatingGateway,
		ServiceKindIngressGateway, ServiceKindAPIGateway:
	default:
		return fmt.Errorf("Invalid service kind: %q", kind)
	}
	if kind == ServiceKindConnectProxy {
		if proxy == nil || strings.TrimSpace(proxy.DestinationServiceName) == "" {
			return errors.New("Proxy.DestinationServiceName must be non-empty for Connect proxy services")
		}
		if port == 0 && socketPath == "" {
			return errors.New("Port or SocketPath must be set for a Connect proxy")
		}
		if connect != nil && connect.Native {
			return errors.New("A Proxy cannot also be Connect Native, only typical services")
		}
	}
	if connect != nil && connect.SidecarService != nil {
		return errors.New("Connect.SidecarService is not supported: Concord has no service mesh")
	}
	return nil
}

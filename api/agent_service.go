package api

import (
	"errors"
	"fmt"
)

// AgentServiceCheck is a check definition as the agent takes it, alone or
// inside a service registration. Durations are Go duration strings.
type AgentServiceCheck struct {
	CheckID                        string              `json:",omitempty"`
	Name                           string              `json:",omitempty"`
	Args                           []string            `json:"ScriptArgs,omitempty"`
	Interval                       string              `json:",omitempty"`
	Timeout                        string              `json:",omitempty"`
	TTL                            string              `json:",omitempty"`
	HTTP                           string              `json:",omitempty"`
	Header                         map[string][]string `json:",omitempty"`
	Method                         string              `json:",omitempty"`
	Body                           string              `json:",omitempty"`
	DisableRedirects               bool                `json:",omitempty"`
	TCP                            string              `json:",omitempty"`
	TCPUseTLS                      bool                `json:",omitempty"`
	UDP                            string              `json:",omitempty"`
	GRPC                           string              `json:",omitempty"`
	GRPCUseTLS                     bool                `json:",omitempty"`
	TLSServerName                  string              `json:",omitempty"`
	TLSSkipVerify                  bool                `json:",omitempty"`
	AliasNode                      string              `json:",omitempty"`
	AliasService                   string              `json:",omitempty"`
	Status                         string              `json:",omitempty"`
	Notes                          string              `json:",omitempty"`
	SuccessBeforePassing           int                 `json:",omitempty"`
	FailuresBeforeWarning          int                 `json:",omitempty"`
	FailuresBeforeCritical         int                 `json:",omitempty"`
	DeregisterCriticalServiceAfter string              `json:",omitempty"`
	// DockerContainerID defines a Docker check: ScriptArgs run in that
	// container through the Docker daemon (DOCKER_HOST, else the local
	// socket), as a script check's are. Shell is accepted, as Consul
	// takes it, but unused: the arguments run without a shell.
	DockerContainerID string `json:",omitempty"`
	Shell             string `json:",omitempty"`
}

// AgentCheckRegistration is the body of PUT /v1/agent/check/register.
type AgentCheckRegistration struct {
	ID        string `json:",omitempty"`
	ServiceID string `json:",omitempty"`
	AgentServiceCheck
}

// AgentWeights are a service's DNS SRV weights.
type AgentWeights struct {
	Passing int
	Warning int
}

// AgentServiceRegistration is the body of PUT /v1/agent/service/register.
type AgentServiceRegistration struct {
	Kind              ServiceKind               `json:",omitempty"`
	ID                string                    `json:",omitempty"`
	Name              string                    `json:",omitempty"`
	Tags              []string                  `json:",omitempty"`
	Port              int                       `json:",omitempty"`
	Ports             ServicePorts              `json:",omitempty"`
	Address           string                    `json:",omitempty"`
	SocketPath        string                    `json:",omitempty"`
	TaggedAddresses   map[string]ServiceAddress `json:",omitempty"`
	Meta              map[string]string         `json:",omitempty"`
	EnableTagOverride bool                      `json:",omitempty"`
	Weights           *AgentWeights             `json:",omitempty"`
	Locality          *Locality                 `json:",omitempty"`
	Proxy             *ProxyConfig              `json:",omitempty"`
	Connect           *ServiceConnect           `json:",omitempty"`
	Check             *AgentServiceCheck
	Checks            []*AgentServiceCheck
}

// ServiceAddress is one of a service's tagged addresses ("lan", "wan", ...).
type ServiceAddress struct {
	Address string
	Port    int
}

// ServicePort is one named port of a service that listens on several.
type ServicePort struct {
	Name    string
	Port    int
	Default bool
}

// ServicePorts are a service's named ports; exactly one is the default.
type ServicePorts []ServicePort

// Validate checks Consul's rules: every port named, names unique, ports in
// 1-65535, and exactly one default.
func (ps ServicePorts) Validate() error {
	if len(ps) == 0 {
		return nil
	}
	names := map[string]bool{}
	defaults := 0
	for _, p := range ps {
		switch {
		case p.Name == "":
			return errors.New("every port must have a name")
		case names[p.Name]:
			return fmt.Errorf("port name %q is used twice", p.Name)
		case p.Port < 1 || p.Port > 65535:
			return fmt.Errorf("port %q: %d is not in 1-65535", p.Name, p.Port)
		}
		names[p.Name] = true
		if p.Default {
			defaults++
		}
	}
	if defaults != 1 {
		return fmt.Errorf("exactly one port must be the default, %d are", defaults)
	}
	return nil
}

// Locality is where a service runs: a region and a zone in it.
type Locality struct {
	Region string
	Zone   string
}

// AgentService is a service registered on the agent, as
// /v1/agent/services returns it.
type AgentService struct {
	Kind              ServiceKind `json:",omitempty"`
	ID                string
	Service           string
	Tags              []string
	Meta              map[string]string // {} when the service has none
	Port              int
	Ports             ServicePorts `json:",omitempty"`
	Address           string
	SocketPath        string                    `json:",omitempty"`
	TaggedAddresses   map[string]ServiceAddress `json:",omitempty"`
	Weights           AgentWeights
	EnableTagOverride bool
	Proxy             *ProxyConfig    `json:",omitempty"`
	Connect           *ServiceConnect `json:",omitempty"`
	// ContentHash identifies this version of the registration; only
	// /v1/agent/service/<id> sets it, and ?hash= blocks until it changes.
	ContentHash string    `json:",omitempty"`
	Datacenter  string    `json:",omitempty"`
	Locality    *Locality `json:",omitempty"`
}

// AgentCheck is a check registered on the agent, as /v1/agent/checks
// returns it.
type AgentCheck struct {
	Node        string
	CheckID     string
	Name        string
	Status      string
	Notes       string
	Output      string
	ServiceID   string
	ServiceName string
	ServiceTags []string
	Type        string
}

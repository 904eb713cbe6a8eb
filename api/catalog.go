package api

// Health statuses of a check.
const (
	HealthPassing  = "passing"
	HealthWarning  = "warning"
	HealthCritical = "critical"
)

// Node is a catalog node.
type Node struct {
	ID              string
	Node            string
	Address         string
	Datacenter      string
	TaggedAddresses map[string]string
	Meta            map[string]string
	CreateIndex     uint64
	ModifyIndex     uint64
}

// NodeService is a service instance registered on a node.
type NodeService struct {
	Kind              ServiceKind `json:",omitempty"`
	ID                string
	Service           string
	Tags              []string
	Address           string
	Meta              map[string]string
	Port              int
	Ports             ServicePorts              `json:",omitempty"`
	SocketPath        string                    `json:",omitempty"`
	TaggedAddresses   map[string]ServiceAddress `json:",omitempty"`
	Locality          *Locality                 `json:",omitempty"`
	Weights           AgentWeights
	EnableTagOverride bool
	Proxy             ProxyConfig    // written even when empty, as Consul does
	Connect           ServiceConnect // likewise
	CreateIndex       uint64
	ModifyIndex       uint64
}

// HealthCheck is a check on a node, or on one of its services when
// ServiceID is set.
type HealthCheck struct {
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
	Definition  HealthCheckDefinition
	CreateIndex uint64
	ModifyIndex uint64
}

// HealthCheckDefinition is what a check registered in the catalog probes
// and how often. Concord's servers run none of these (the agent that
// registered the check does); they keep and return them, as Consul does.
type HealthCheckDefinition struct {
	HTTP                           string              `json:",omitempty"`
	Header                         map[string][]string `json:",omitempty"`
	Method                         string              `json:",omitempty"`
	Body                           string              `json:",omitempty"`
	TLSServerName                  string              `json:",omitempty"`
	TLSSkipVerify                  bool                `json:",omitempty"`
	TCP                            string              `json:",omitempty"`
	TCPUseTLS                      bool                `json:",omitempty"`
	UDP                            string              `json:",omitempty"`
	GRPC                           string              `json:",omitempty"`
	GRPCUseTLS                     bool                `json:",omitempty"`
	OSService                      string              `json:",omitempty"`
	Interval                       ReadableDuration    `json:",omitempty"`
	Timeout                        ReadableDuration    `json:",omitempty"`
	DeregisterCriticalServiceAfter ReadableDuration    `json:",omitempty"`
}

// Kind is the check type the definition describes ("http", "tcp", ...),
// "" when it describes none.
func (d *HealthCheckDefinition) Kind() string {
	switch {
	case d.HTTP != "":
		return "http"
	case d.TCP != "":
		return "tcp"
	case d.UDP != "":
		return "udp"
	case d.GRPC != "":
		return "grpc"
	case d.OSService != "":
		return "os_service"
	}
	return ""
}

// CatalogRegistration is the body of PUT /v1/catalog/register.
type CatalogRegistration struct {
	ID              string
	Node            string
	Address         string
	Datacenter      string
	TaggedAddresses map[string]string
	NodeMeta        map[string]string
	Service         *NodeService
	Check           *HealthCheck
	Checks          []*HealthCheck
	SkipNodeUpdate  bool
}

// CatalogDeregistration is the body of PUT /v1/catalog/deregister: the
// whole node, or one service or check on it.
type CatalogDeregistration struct {
	Node       string
	Datacenter string
	ServiceID  string
	CheckID    string
}

// CatalogService is one instance of a service as /v1/catalog/service
// returns it: the node's fields flattened beside the service's.
type CatalogService struct {
	ID                       string
	Node                     string
	Address                  string
	Datacenter               string
	TaggedAddresses          map[string]string
	NodeMeta                 map[string]string
	ServiceID                string
	ServiceName              string
	ServiceAddress           string
	ServiceTags              []string
	ServiceMeta              map[string]string
	ServicePort              int
	ServiceWeights           AgentWeights
	ServiceEnableTagOverride bool
	ServiceTaggedAddresses   map[string]ServiceAddress `json:",omitempty"`
	ServicePorts             ServicePorts              `json:",omitempty"`
	ServiceSocketPath        string                    `json:",omitempty"`
	ServiceLocality          *Locality                 `json:",omitempty"`
	ServiceKind              ServiceKind
	ServiceProxy             ProxyConfig
	ServiceConnect           ServiceConnect
	CreateIndex              uint64
	ModifyIndex              uint64
}

// ServiceEntry is one instance of a service with its node and checks, as
// /v1/health/service returns it.
type ServiceEntry struct {
	Node    *Node
	Service *NodeService
	Checks  []*HealthCheck
}

// CatalogNode is a node with its services, as /v1/catalog/node returns it.
type CatalogNode struct {
	Node     *Node
	Services map[string]*NodeService
}

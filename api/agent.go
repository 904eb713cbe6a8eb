package api

// AgentSelf is the body of GET /v1/agent/self. Clients read Config at start-up
// (the Go client takes NodeName from it, Prometheus takes Datacenter).
type AgentSelf struct {
	Config      AgentConfig
	DebugConfig map[string]any
	Coord       any // network coordinate; always null: Concord keeps no coordinates (no /v1/coordinate)
	Member      AgentMember
	Stats       map[string]map[string]string
	Meta        map[string]string
}

// AgentConfig is the Config part of AgentSelf.
type AgentConfig struct {
	Datacenter        string
	PrimaryDatacenter string
	NodeName          string
	NodeID            string
	Revision          string
	Server            bool
	Version           string
	BuildDate         string
}

// AgentMember is a gossip member as the agent endpoints report it.
type AgentMember struct {
	Name        string
	Addr        string
	Port        uint16
	Tags        map[string]string
	Status      int // 1 alive, 2 leaving, 3 left, 4 failed
	ProtocolMin uint8
	ProtocolMax uint8
	ProtocolCur uint8
	DelegateMin uint8
	DelegateMax uint8
	DelegateCur uint8
}

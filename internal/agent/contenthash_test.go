package agent

import (
	"testing"

	"github.com/concordhq/concord/api"
)

// consulHashed is the registration of Consul's own TestAPI_AgentService,
// whose ContentHash from a Consul agent is 1d5d568c14309fa8.
func consulHashed() *api.AgentService {
	return &api.AgentService{
		ID: "foo", Service: "foo", Tags: []string{"bar", "baz"}, Port: 8000,
		Meta: map[string]string{}, Weights: api.AgentWeights{Passing: 1, Warning: 1}, Datacenter: "dc1",
	}
}

func TestContentHashIsConsuls(t *testing.T) {
	if got, want := contentHash(consulHashed()), "1d5d568c14309fa8"; got != want {
		t.Errorf("contentHash = %s, want Consul's %s", got, want)
	}
}

// TestContentHashFollowsTheRegistration: every field of the registration
// changes the hash; where the service is shown (Datacenter, Locality) does
// not, nor the order of a map.
func TestContentHashFollowsTheRegistration(t *testing.T) {
	base := contentHash(consulHashed())
	changes := map[string]func(*api.AgentService){
		"ID":         func(s *api.AgentService) { s.ID = "foo2" },
		"Service":    func(s *api.AgentService) { s.Service = "foo2" },
		"Tags order": func(s *api.AgentService) { s.Tags = []string{"baz", "bar"} },
		"Meta":       func(s *api.AgentService) { s.Meta = map[string]string{"a": "b"} },
		"Port":       func(s *api.AgentService) { s.Port = 8001 },
		"Ports":      func(s *api.AgentService) { s.Ports = api.ServicePorts{{Name: "http", Port: 80, Default: true}} },
		"Address":    func(s *api.AgentService) { s.Address = "10.0.0.1" },
		"SocketPath": func(s *api.AgentService) { s.SocketPath = "/tmp/s" },
		"TaggedAddresses": func(s *api.AgentService) {
			s.TaggedAddresses = map[string]api.ServiceAddress{"lan": {Address: "10.0.0.1", Port: 1}}
		},
		"Weights":           func(s *api.AgentService) { s.Weights.Warning = 2 },
		"EnableTagOverride": func(s *api.AgentService) { s.EnableTagOverride = true },
		"Kind":              func(s *api.AgentService) { s.Kind = api.ServiceKindMeshGateway },
		"Proxy":             func(s *api.AgentService) { s.Proxy = &api.ProxyConfig{} },
		"Proxy.Upstreams": func(s *api.AgentService) {
			s.Proxy = &api.ProxyConfig{Upstreams: []api.Upstream{{DestinationName: "db", Config: map[string]any{"t": 1.5}}}}
		},
		"Connect": func(s *api.AgentService) { s.Connect = &api.ServiceConnect{Native: true} },
	}
	for name, change := range changes {
		s := consulHashed()
		change(s)
		if got := contentHash(s); got == base {
			t.Errorf("changing %s left the hash at %s", name, got)
		}
	}
	s := consulHashed()
	s.Datacenter, s.Locality = "dc2", &api.Locality{Region: "r"}
	if got := contentHash(s); got != base {
		t.Errorf("Datacenter and Locality changed the hash: %s, want %s", got, base)
	}
	m1 := consulHashed()
	m1.Meta = map[string]string{"a": "1", "b": "2", "c": "3"}
	m2 := consulHashed()
	m2.Meta = map[string]string{"c": "3", "a": "1", "b": "2"}
	if contentHash(m1) != contentHash(m2) {
		t.Errorf("the same Meta gave two hashes")
	}
}

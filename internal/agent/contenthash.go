package agent

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"

	"github.com/concordhq/concord/api"
)

// contentHash is the ContentHash of /v1/agent/service/<id> (and the value
// ?hash= blocks on): the hash Consul gives the same registration, so that a
// client comparing it with one computed by Consul, or a test expecting
// Consul's value, sees the same 16 hex digits.
//
// Consul hashes its api.AgentService reply with hashstructure's first
// format and FNV-1 (64-bit): a string is the hash of its bytes, a number
// the hash of its 8 little-endian bytes (a bool of one byte), a nil
// pointer hashes as the number 0, a list chains its items in order, a map
// and a struct XOR their (key, value) pairs (so their order does not
// matter), and a struct starts from the hash of its type's name. Fields
// tagged out of the hash (Namespace, Partition, Datacenter, Locality) are
// left out. Concord has no PeerName or AI on local services: they hash as
// Consul's empty values.
func contentHash(svc *api.AgentService) string {
	h := structHash("AgentService",
		field{"Kind", stringHash(string(svc.Kind))},
		field{"ID", stringHash(svc.ID)},
		field{"Service", stringHash(svc.Service)},
		field{"Tags", stringsHash(svc.Tags)},
		field{"Meta", stringMapHash(svc.Meta)},
		field{"Port", intHash(int64(svc.Port))},
		field{"Ports", portsHash(svc.Ports)},
		field{"Address", stringHash(svc.Address)},
		field{"SocketPath", stringHash(svc.SocketPath)},
		field{"TaggedAddresses", taggedAddressesHash(svc.TaggedAddresses)},
		field{"Weights", structHash("AgentWeights",
			field{"Passing", intHash(int64(svc.Weights.Passing))},
			field{"Warning", intHash(int64(svc.Weights.Warning))})},
		field{"EnableTagOverride", boolHash(svc.EnableTagOverride)},
		field{"CreateIndex", intHash(0)},
		field{"ModifyIndex", intHash(0)},
		field{"ContentHash", stringHash("")},
		field{"Proxy", proxyHash(svc.Proxy)},
		field{"Connect", connectHash(svc.Connect)},
		field{"PeerName", stringHash("")},
		field{"AI", nilHash},
	)
	return fmt.Sprintf("%x", h)
}

// field is a struct field's name and the hash of its value.
type field struct {
	name string
	hash uint64
}

// nilHash is the hash of a nil pointer: that of the number 0.
var nilHash = intHash(0)

func sum(data []byte) uint64 {
	h := fnv.New64()
	h.Write(data)
	return h.Sum64()
}

func stringHash(s string) uint64 { return sum([]byte(s)) }

// intHash hashes any integer, signed or not, by its 64-bit pattern.
func intHash(v int64) uint64 { return sum(binary.LittleEndian.AppendUint64(nil, uint64(v))) }

func boolHash(b bool) uint64 {
	if b {
		return sum([]byte{1})
	}
	return sum([]byte{0})
}

// pairHash hashes two hashes in order.
func pairHash(a, b uint64) uint64 {
	buf := binary.LittleEndian.AppendUint64(make([]byte, 0, 16), a)
	return sum(binary.LittleEndian.AppendUint64(buf, b))
}

func structHash(typeName string, fields ...field) uint64 {
	h := stringHash(typeName)
	for _, f := range fields {
		h ^= pairHash(stringHash(f.name), f.hash)
	}
	return h
}

func stringsHash(list []string) uint64 {
	var h uint64
	for _, s := range list {
		h = pairHash(h, stringHash(s))
	}
	return h
}

func stringMapHash(m map[string]string) uint64 {
	var h uint64
	for k, v := range m {
		h ^= pairHash(stringHash(k), stringHash(v))
	}
	return h
}

func portsHash(ports api.ServicePorts) uint64 {
	var h uint64
	for _, p := range ports {
		h = pairHash(h, structHash("ServicePort",
			field{"Name", stringHash(p.Name)},
			field{"Port", intHash(int64(p.Port))},
			field{"Default", boolHash(p.Default)}))
	}
	return h
}

func taggedAddressesHash(m map[string]api.ServiceAddress) uint64 {
	var h uint64
	for k, a := range m {
		h ^= pairHash(stringHash(k), structHash("ServiceAddress",
			field{"Address", stringHash(a.Address)},
			field{"Port", intHash(int64(a.Port))}))
	}
	return h
}

// proxyHash hashes a Proxy block as Consul's AgentServiceConnectProxyConfig.
func proxyHash(p *api.ProxyConfig) uint64 {
	if p == nil {
		return nilHash
	}
	var ext uint64
	for _, e := range p.EnvoyExtensions {
		ext = pairHash(ext, structHash("EnvoyExtension",
			field{"Name", stringHash(e.Name)},
			field{"Required", boolHash(e.Required)},
			field{"Arguments", anyHash(e.Arguments)},
			field{"ConsulVersion", stringHash(e.ConsulVersion)},
			field{"EnvoyVersion", stringHash(e.EnvoyVersion)}))
	}
	tproxy := nilHash
	if t := p.TransparentProxy; t != nil {
		tproxy = structHash("TransparentProxyConfig",
			field{"OutboundListenerPort", intHash(int64(t.OutboundListenerPort))},
			field{"DialedDirectly", boolHash(t.DialedDirectly)})
	}
	var ups uint64
	for _, u := range p.Upstreams {
		ups = pairHash(ups, structHash("Upstream",
			field{"DestinationType", stringHash(u.DestinationType)},
			field{"DestinationPartition", stringHash(u.DestinationPartition)},
			field{"DestinationNamespace", stringHash(u.DestinationNamespace)},
			field{"DestinationPeer", stringHash(u.DestinationPeer)},
			field{"DestinationName", stringHash(u.DestinationName)},
			field{"DestinationPort", stringHash(u.DestinationPort)},
			field{"Datacenter", stringHash(u.Datacenter)},
			field{"LocalBindAddress", stringHash(u.LocalBindAddress)},
			field{"LocalBindPort", intHash(int64(u.LocalBindPort))},
			field{"LocalBindSocketPath", stringHash(u.LocalBindSocketPath)},
			field{"LocalBindSocketMode", stringHash(u.LocalBindSocketMode)},
			field{"Config", anyHash(u.Config)},
			field{"MeshGateway", meshGatewayHash(u.MeshGateway)},
			field{"CentrallyConfigured", boolHash(u.CentrallyConfigured)}))
	}
	var paths uint64
	for _, e := range p.Expose.Paths {
		paths = pairHash(paths, structHash("ExposePath",
			field{"ListenerPort", intHash(int64(e.ListenerPort))},
			field{"Path", stringHash(e.Path)},
			field{"LocalPathPort", intHash(int64(e.LocalPathPort))},
			field{"Protocol", stringHash(e.Protocol)},
			field{"ParsedFromCheck", boolHash(e.ParsedFromCheck)}))
	}
	logs := nilHash
	if l := p.AccessLogs; l != nil {
		logs = structHash("AccessLogsConfig",
			field{"Enabled", boolHash(l.Enabled)},
			field{"DisableListenerLogs", boolHash(l.DisableListenerLogs)},
			field{"Type", stringHash(l.Type)},
			field{"Path", stringHash(l.Path)},
			field{"JSONFormat", stringHash(l.JSONFormat)},
			field{"TextFormat", stringHash(l.TextFormat)})
	}
	return structHash("AgentServiceConnectProxyConfig",
		field{"EnvoyExtensions", ext},
		field{"DestinationServiceName", stringHash(p.DestinationServiceName)},
		field{"DestinationServiceID", stringHash(p.DestinationServiceID)},
		field{"LocalServiceAddress", stringHash(p.LocalServiceAddress)},
		field{"LocalServicePort", intHash(int64(p.LocalServicePort))},
		field{"LocalServicePorts", portsHash(p.LocalServicePorts)},
		field{"LocalServiceSocketPath", stringHash(p.LocalServiceSocketPath)},
		field{"Mode", stringHash(p.Mode)},
		field{"TransparentProxy", tproxy},
		field{"Config", anyHash(p.Config)},
		field{"Upstreams", ups},
		field{"MeshGateway", meshGatewayHash(p.MeshGateway)},
		field{"Expose", structHash("ExposeConfig",
			field{"Checks", boolHash(p.Expose.Checks)},
			field{"Paths", paths})},
		field{"AccessLogs", logs})
}

func meshGatewayHash(m api.MeshGatewayConfig) uint64 {
	return structHash("MeshGatewayConfig", field{"Mode", stringHash(m.Mode)})
}

// connectHash hashes a Connect block as Consul's AgentServiceConnect; a
// local service never has a SidecarService (registration refuses it).
func connectHash(c *api.ServiceConnect) uint64 {
	if c == nil {
		return nilHash
	}
	return structHash("AgentServiceConnect",
		field{"Native", boolHash(c.Native)},
		field{"SidecarService", nilHash})
}

// anyHash hashes a free-form value (a proxy's Config) as Consul hashes an
// interface{} holding it: a JSON number is a float64, hashed by its 8
// little-endian bytes.
func anyHash(v any) uint64 {
	switch t := v.(type) {
	case nil:
		return nilHash
	case string:
		return stringHash(t)
	case bool:
		return boolHash(t)
	case float64:
		return sum(binary.LittleEndian.AppendUint64(nil, math.Float64bits(t)))
	case int:
		return intHash(int64(t))
	case int64:
		return intHash(t)
	case map[string]any:
		var h uint64
		for k, e := range t {
			h ^= pairHash(stringHash(k), anyHash(e))
		}
		return h
	case []any:
		var h uint64
		for _, e := range t {
			h = pairHash(h, anyHash(e))
		}
		return h
	}
	return stringHash(fmt.Sprint(v))
}

package agent

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/gossip"
	"github.com/concordhq/concord/internal/rpc"
	"github.com/concordhq/concord/internal/server"
	"github.com/concordhq/concord/internal/version"
	"github.com/hashicorp/serf/serf"
)

// Gossip tags. "role" is Consul's: "consul" for a server, "node" for a
// client agent, so tools that read members see what they expect.
const (
	tagRole   = "role"
	tagDC     = "dc"
	tagID     = "id"
	tagPort   = "port"   // a server's server port (Raft and RPC)
	tagExpect = "expect" // a server's bootstrap_expect
	tagBuild  = "build"
	tagVsn    = "vsn"
)

// gossipTags are this agent's tags in its gossip pools.
func (a *Agent) gossipTags() map[string]string {
	tags := map[string]string{
		tagRole: "node", tagDC: a.cfg.Datacenter, tagID: a.nodeID, tagVsn: "2",
		tagBuild: version.ConsulCompat + ":concord-" + version.Version,
	}
	if a.server != nil {
		_, port, _ := net.SplitHostPort(a.server.RaftAddr())
		tags[tagRole], tags[tagPort] = "consul", port
		tags[tagExpect] = strconv.Itoa(max(a.cfg.BootstrapExpect, boolInt(a.cfg.DevMode)))
	}
	return tags
}

// startGossip joins this agent to the LAN pool and a server to the WAN
// pool (not yet to anyone: see joinAtStart), and wires LAN member events
// to the server.
func (a *Agent) startGossip() error {
	t := gossip.DefaultTiming()
	if g := a.cfg.GossipLAN; g.ProbeInterval > 0 {
		t.ProbeInterval = g.ProbeInterval
	}
	if g := a.cfg.GossipLAN; g.ProbeTimeout > 0 {
		t.ProbeTimeout = g.ProbeTimeout
	}
	if g := a.cfg.GossipLAN; g.SuspicionMult > 0 {
		t.SuspicionMult = g.SuspicionMult
	}
	if g := a.cfg.GossipLAN; g.GossipInterval > 0 {
		t.GossipInterval = g.GossipInterval
	}
	key, err := base64.StdEncoding.DecodeString(a.cfg.EncryptKey) // checked by config.Validate
	if err != nil {
		return fmt.Errorf("encrypt: %w", err)
	}
	pool, err := gossip.New(gossip.Config{
		EncryptKey: key, DisableKeyringFile: a.cfg.DisableKeyringFile,
		NodeName: a.cfg.NodeName, BindAddr: a.cfg.BindAddr, BindPort: a.cfg.Ports.SerfLAN,
		AdvertiseAddr: a.cfg.AdvertiseAddr, Tags: a.gossipTags(), DataDir: dataDirUnlessDev(a.cfg), Timing: t,
		ReconnectTimeout: a.cfg.ReconnectTimeout,
		OnMember:         a.onMemberEvent,
		OnUserEvent:      a.onUserEvent,
		Logger:           a.logger.With("component", "gossip"),
	})
	if err != nil {
		return err
	}
	a.gossip = pool
	if a.server != nil {
		a.server.SetMembers(a.serverMembers)
		a.server.SetEventFirer(a.EventFire)
		a.server.SetKeyring(a.runKeyring)
	}
	if err := a.startWAN(key); err != nil {
		pool.Shutdown()
		return err
	}
	return nil
}

func (a *Agent) onMemberEvent(e serf.MemberEvent) {
	if a.server == nil {
		return
	}
	for _, m := range e.Members {
		sm := toServerMember(m)
		if e.Type == serf.EventMemberReap {
			sm.Status = server.MemberReaped
		}
		a.server.MemberEvent(sm)
	}
}

func (a *Agent) serverMembers() []server.Member {
	members := a.gossip.Members()
	out := make([]server.Member, 0, len(members))
	for _, m := range members {
		out = append(out, toServerMember(m))
	}
	return out
}

func toServerMember(m serf.Member) server.Member {
	sm := server.Member{
		Name: m.Name, ID: m.Tags[tagID], Addr: m.Addr.String(), Datacenter: m.Tags[tagDC],
		Server: m.Tags[tagRole] == "consul",
	}
	sm.Version, _, _ = strings.Cut(m.Tags[tagBuild], ":") // "1.22.7:concord-x": the Consul version spoken
	sm.Port, _ = strconv.Atoi(m.Tags[tagPort])
	sm.Expect, _ = strconv.Atoi(m.Tags[tagExpect])
	switch m.Status {
	case serf.StatusAlive:
		sm.Status = server.MemberAlive
	case serf.StatusLeaving:
		sm.Status = server.MemberLeaving
	case serf.StatusLeft:
		sm.Status = server.MemberLeft
	case serf.StatusFailed:
		sm.Status = server.MemberFailed
	}
	return sm
}

// liveServers lists the RPC addresses of this datacenter's live servers,
// for a client agent's router.
func (a *Agent) liveServers() []string {
	var out []string
	for _, m := range a.gossip.Members() {
		if m.Status == serf.StatusAlive && m.Tags[tagRole] == "consul" && m.Tags[tagDC] == a.cfg.Datacenter {
			out = append(out, net.JoinHostPort(m.Addr.String(), m.Tags[tagPort]))
		}
	}
	return out
}

// joinAtStart joins start_join and start_join_wan once (failing the start
// if none answers) and keeps trying retry_join and retry_join_wan in the
// background until one answers.
func (a *Agent) joinAtStart() error {
	retry := notSelf(a.cfg.RetryJoin, a.SerfAddr(), "8301", []string{a.cfg.BindAddr, a.cfg.AdvertiseAddr})
	if err := a.joinPool(a.gossip, "LAN", a.cfg.StartJoin, retry, a.cfg.RetryInterval); err != nil {
		return err
	}
	return a.joinWANAtStart()
}

// notSelf drops the agent's own gossip address self from addrs (whose
// port is defaultPort when they name none; hosts are self's other names):
// "joining" oneself succeeds and would end a retry join without finding
// anyone.
func notSelf(addrs []string, self, defaultPort string, hosts []string) []string {
	_, selfPort, _ := net.SplitHostPort(self)
	var out []string
	for _, addr := range addrs {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			addr = net.JoinHostPort(addr, defaultPort)
		}
		host, port, _ := net.SplitHostPort(addr)
		if port == selfPort && (addr == self || slices.Contains(hosts, host)) {
			continue
		}
		out = append(out, addr)
	}
	return out
}

// memberAddr is a member's gossip host:port.
func memberAddr(m serf.Member) string {
	return net.JoinHostPort(m.Addr.String(), strconv.Itoa(int(m.Port)))
}

// Members answers /v1/agent/members: the LAN pool as gossip sees it.
func (a *Agent) Members() []*api.AgentMember { return toAgentMembers(a.gossip.Members()) }

func toAgentMembers(members []serf.Member) []*api.AgentMember {
	out := make([]*api.AgentMember, 0, len(members))
	for _, m := range members {
		out = append(out, toAgentMember(m))
	}
	return out
}

func toAgentMember(m serf.Member) *api.AgentMember {
	return &api.AgentMember{
		Name: m.Name, Addr: m.Addr.String(), Port: m.Port, Tags: m.Tags, Status: int(m.Status),
		ProtocolMin: m.ProtocolMin, ProtocolMax: m.ProtocolMax, ProtocolCur: m.ProtocolCur,
		DelegateMin: m.DelegateMin, DelegateMax: m.DelegateMax, DelegateCur: m.DelegateCur,
	}
}

// Join answers /v1/agent/join: contact addr and join its pool.
func (a *Agent) Join(addr string) error {
	if _, err := a.gossip.Join([]string{addr}); err != nil {
		return fmt.Errorf("cannot join %s: %w", addr, err)
	}
	return nil
}

// ForceLeave answers /v1/agent/force-leave: a failed node is marked left
// at once (and pruned from the list with prune).
func (a *Agent) ForceLeave(node string, prune bool) error {
	if node == "" {
		return api.BadRequestError{Reason: "Missing node name"}
	}
	return a.gossip.ForceLeave(node, prune)
}

// Leave answers /v1/agent/leave: a server hands off leadership and leaves
// the Raft configuration, then the agent leaves gossip and stops.
func (a *Agent) Leave() error {
	if a.server != nil {
		if err := a.server.TransferLeadership(); err != nil {
			a.logger.Warn("cannot transfer leadership before leaving", "error", err)
		}
		if peers, _ := a.server.Peers(); len(peers) > 1 {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := call.RaftRemovePeer.Invoke(ctx, a.calls, call.RemovePeerArgs{ID: a.nodeID})
			cancel()
			if err != nil {
				a.logger.Warn("cannot leave the raft configuration", "error", err)
			}
		}
	}
	err := errors.Join(a.leaveWAN(), a.gossip.Leave())
	a.left.Store(true)
	a.leaveOnce.Do(func() { close(a.leaveCh) })
	return err
}

// LeftCh is closed once the agent has left the cluster on request; its
// process should then shut down.
func (a *Agent) LeftCh() <-chan struct{} { return a.leaveCh }

// newCaller returns how this agent reaches the replicated state: its own
// server, or (a client agent) any live server over RPC.
func (a *Agent) newCaller() call.Caller {
	if a.server != nil {
		return a.server.Endpoint()
	}
	a.pool = rpc.NewPool()
	a.pool.SetSourceIP(net.ParseIP(a.cfg.BindAddr))
	a.pool.SetTLS(a.serverPortTLS())
	return rpc.NewRouter(a.pool, a.liveServers)
}

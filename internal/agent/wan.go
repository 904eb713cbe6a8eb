package agent

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/gossip"
	"github.com/concordhq/concord/internal/server"
	"github.com/hashicorp/serf/coordinate"
	"github.com/hashicorp/serf/serf"
)

// The WAN pool joins the servers of every datacenter. A server is in it
// as "<node>.<datacenter>", with the tags it has in its LAN pool; the
// server routes calls for other datacenters by it (see server.SetWAN).

// errWANClient refuses WAN operations on a client agent, in Consul's words.
var errWANClient = errors.New("Must be a server to join WAN cluster")

// startWAN joins a server to the WAN pool (not yet to anyone: see
// joinWANAtStart), unless ports.serf_wan is -1.
func (a *Agent) startWAN(key []byte) error {
	if a.server == nil || a.cfg.Ports.SerfWAN < 0 {
		return nil
	}
	advertise := a.cfg.WAN.AdvertiseAddr
	if advertise == "" {
		advertise = a.cfg.AdvertiseAddr
	}
	pool, err := gossip.New(gossip.Config{
		WAN: true, EncryptKey: key, DisableKeyringFile: a.cfg.DisableKeyringFile,
		NodeName: a.cfg.NodeName + "." + a.cfg.Datacenter, BindAddr: a.cfg.BindAddr, BindPort: a.cfg.Ports.SerfWAN,
		AdvertiseAddr: advertise, Tags: a.gossipTags(), DataDir: dataDirUnlessDev(a.cfg),
		Timing:           gossip.Timing(a.cfg.WAN.Gossip),
		ReconnectTimeout: a.cfg.WAN.ReconnectTimeout,
		Logger:           a.logger.With("component", "gossip-wan"),
	})
	if err != nil {
		return fmt.Errorf("WAN: %w", err)
	}
	a.wan = pool
	a.server.SetWAN(wanView{pool})
	return nil
}

// wanView is the WAN pool as the server routes by it.
type wanView struct{ pool *gossip.Pool }

func (w wanView) Servers() []server.WANServer {
	var out []server.WANServer
	self := w.pool.LocalMember().Name
	for _, m := range w.pool.Members() {
		if m.Tags[tagRole] != "consul" || m.Status == serf.StatusLeft {
			continue
		}
		coord := w.pool.CachedCoordinate(m.Name)
		if m.Name == self {
			coord, _ = w.pool.Coordinate()
		}
		out = append(out, server.WANServer{
			Name: m.Name, Datacenter: m.Tags[tagDC], Alive: m.Status == serf.StatusAlive,
			Addr: net.JoinHostPort(m.Addr.String(), m.Tags[tagPort]), Coord: coord,
		})
	}
	return out
}

func (w wanView) Coordinate() (*coordinate.Coordinate, error) { return w.pool.Coordinate() }

// joinWANAtStart joins start_join_wan once (failing the start if none
// answers) and keeps trying retry_join_wan in the background.
func (a *Agent) joinWANAtStart() error {
	if a.wan == nil {
		return nil
	}
	self := a.wanAddr()
	return a.joinPool(a.wan, "WAN", a.cfg.WAN.StartJoin, notSelf(a.cfg.WAN.RetryJoin, self, "8302", a.wanHosts()), a.cfg.WAN.RetryInterval)
}

// wanHosts are the hosts this server's WAN pool may be reached at.
func (a *Agent) wanHosts() []string {
	return []string{a.cfg.BindAddr, a.cfg.AdvertiseAddr, a.cfg.WAN.AdvertiseAddr}
}

// wanAddr is this server's WAN gossip address, "" without a WAN pool.
func (a *Agent) wanAddr() string {
	if a.wan == nil {
		return ""
	}
	return memberAddr(a.wan.LocalMember())
}

// joinPool joins start (failing if none answers) and then keeps trying
// retry in the background, every interval, until one answers.
func (a *Agent) joinPool(pool *gossip.Pool, name string, start, retry []string, interval time.Duration) error {
	if len(start) > 0 {
		if _, err := pool.Join(start); err != nil {
			return fmt.Errorf("cannot join %v (%s): %w", start, name, err)
		}
	}
	if len(retry) == 0 {
		return nil
	}
	go func() {
		for attempt := 1; ; attempt++ {
			n, err := pool.Join(retry)
			if err == nil {
				a.logger.Info("joined the cluster", "pool", name, "contacted", n)
				return
			}
			a.logger.Warn("join failed; will retry", "pool", name, "attempt", attempt, "error", err, "in", interval)
			select {
			case <-a.stopCtx.Done():
				return
			case <-time.After(interval):
			}
		}
	}()
	return nil
}

// WANMembers answers /v1/agent/members?wan: the WAN pool as this server
// sees it; a client agent is in none and lists nobody.
func (a *Agent) WANMembers() []*api.AgentMember {
	if a.wan == nil {
		return []*api.AgentMember{}
	}
	return toAgentMembers(a.wan.Members())
}

// JoinWAN answers /v1/agent/join?wan: a server contacts addr (host or
// host:port, 8302 by default) and joins its WAN pool.
func (a *Agent) JoinWAN(addr string) error {
	if a.wan == nil {
		if a.server != nil {
			return errors.New("the WAN pool is disabled (ports.serf_wan = -1)")
		}
		return errWANClient
	}
	if _, err := a.wan.Join([]string{addr}); err != nil {
		return fmt.Errorf("cannot join %s (WAN): %w", addr, err)
	}
	return nil
}

// ForceLeaveWAN answers /v1/agent/force-leave?wan: a failed server of the
// WAN pool ("<node>.<datacenter>") is marked left at once.
func (a *Agent) ForceLeaveWAN(node string, prune bool) error {
	if a.wan == nil {
		return errors.New("Must be a server to force-leave a member of the WAN pool")
	}
	if node == "" {
		return api.BadRequestError{Reason: "Missing node name"}
	}
	return a.wan.ForceLeave(node, prune)
}

// leaveWAN leaves the WAN pool, if this server is in one.
func (a *Agent) leaveWAN() error {
	if a.wan == nil {
		return nil
	}
	return a.wan.Leave()
}

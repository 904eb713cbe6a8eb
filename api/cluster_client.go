package api

import (
	"bufio"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Members returns the members of the agent's LAN gossip pool, including
// failed and left ones (AgentMember.Status: 1 alive, 2 leaving, 3 left,
// 4 failed).
func (a *Agent) Members() ([]*AgentMember, error) {
	var out []*AgentMember
	_, err := a.c.read("/v1/agent/members", nil, &out)
	return out, err
}

// Join asks the agent to contact addr (host or host:port) and join its
// gossip pool.
func (a *Agent) Join(addr string) error {
	return a.put("/v1/agent/join/"+url.PathEscape(addr), nil, nil)
}

// Leave asks the agent to leave the cluster gracefully; it returns once
// the agent has left, and the agent then shuts down.
func (a *Agent) Leave() error {
	return a.put("/v1/agent/leave", nil, nil)
}

// ForceLeave marks a failed node as left at once.
func (a *Agent) ForceLeave(node string) error {
	return a.put("/v1/agent/force-leave/"+url.PathEscape(node), nil, nil)
}

// ForceLeavePrune marks a failed node as left and drops it from the member
// list at once.
func (a *Agent) ForceLeavePrune(node string) error {
	return a.put("/v1/agent/force-leave/"+url.PathEscape(node), url.Values{"prune": {"1"}}, nil)
}

// Monitor streams the agent's log lines at or above level (trace, debug,
// info, warn or error; "" is info), as text or JSON lines. The channel is
// closed when the stream ends: the client's context ended (see
// WithContext) or the agent stopped. A bad level is an error at once.
func (a *Agent) Monitor(level string, asJSON bool) (<-chan string, error) {
	p := url.Values{}
	if level != "" {
		p.Set("loglevel", level)
	}
	if asJSON {
		p.Set("logjson", "")
	}
	req, err := a.c.newRequest(http.MethodGet, "/v1/agent/monitor", p, nil)
	if err != nil {
		return nil, err
	}
	resp, err := a.c.do(req)
	if err != nil {
		return nil, err
	}
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		defer resp.Body.Close()
		br := bufio.NewReader(resp.Body)
		for {
			line, err := br.ReadString('\n')
			if line = strings.TrimSuffix(line, "\n"); line != "" {
				select {
				case lines <- line:
				case <-a.c.ctx.Done():
					return
				}
			}
			if err != nil {
				return // io.EOF, or the context ended
			}
		}
	}()
	return lines, nil
}

// Operator is the /v1/operator endpoints.
type Operator struct{ c *Client }

// Operator returns a handle on the /v1/operator endpoints.
func (c *Client) Operator() *Operator { return &Operator{c} }

// RaftGetConfiguration returns the servers of the Raft configuration; q
// may be nil, and q.AllowStale lets any server answer.
func (o *Operator) RaftGetConfiguration(q *QueryOptions) (*RaftConfiguration, error) {
	var out RaftConfiguration
	if _, err := o.c.read("/v1/operator/raft/configuration", queryParams(q), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RaftRemovePeerByID removes the server with that Raft ID from the Raft
// configuration.
func (o *Operator) RaftRemovePeerByID(id string) error {
	return o.removePeer(url.Values{"id": {id}})
}

// RaftRemovePeerByAddress removes the server at address (IP:port of its
// server port) from the Raft configuration.
func (o *Operator) RaftRemovePeerByAddress(address string) error {
	return o.removePeer(url.Values{"address": {address}})
}

func (o *Operator) removePeer(p url.Values) error {
	req, err := o.c.newRequest(http.MethodDelete, "/v1/operator/raft/peer", p, nil)
	if err != nil {
		return err
	}
	resp, err := o.c.do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	return resp.Body.Close()
}

// MembersWAN lists the WAN pool, the servers of every datacenter, as a
// server sees it (a client agent lists nobody).
func (a *Agent) MembersWAN() ([]*AgentMember, error) {
	var out []*AgentMember
	_, err := a.c.read("/v1/agent/members", url.Values{"wan": {"1"}}, &out)
	return out, err
}

// JoinWAN asks a server to contact addr (host or host:port of a server
// of another datacenter's WAN gossip port) and join its WAN pool.
func (a *Agent) JoinWAN(addr string) error {
	return a.put("/v1/agent/join/"+url.PathEscape(addr), url.Values{"wan": {"1"}}, nil)
}

// ForceLeaveWAN marks a failed server of the WAN pool ("<node>.<dc>") as
// left at once; prune also drops it from the member list.
func (a *Agent) ForceLeaveWAN(node string, prune bool) error {
	q := url.Values{"wan": {"1"}}
	if prune {
		q.Set("prune", "1")
	}
	return a.put("/v1/agent/force-leave/"+url.PathEscape(node), q, nil)
}

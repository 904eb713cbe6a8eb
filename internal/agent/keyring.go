package agent

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
	"github.com/hashicorp/serf/serf"
)

// Keyring answers /v1/operator/keyring as Consul does, through a server
// whichever agent is asked (call.KeyringOperation): op (gossip.KeyList,
// KeyInstall, KeyUse, KeyRemove) runs across the WAN pool, unless
// localOnly, then across every datacenter's LAN pool (this one's alone
// with localOnly), and one response comes back per pool, the WAN one
// first (WAN true). The error joins the pools' failures with each
// member's message, as Consul words it.
func (a *Agent) Keyring(ctx context.Context, op, key string, relay uint8, localOnly bool) ([]*api.KeyringResponse, error) {
	res, err := call.KeyringOperation.Invoke(ctx, a.calls, call.KeyringArgs{Op: op, Key: key, Relay: relay, LocalOnly: localOnly})
	if err != nil {
		return nil, err
	}
	switch lines := res.Errors; len(lines) {
	case 0:
		return res.Responses, nil
	case 1:
		return res.Responses, errors.New(lines[0])
	default:
		return res.Responses, fmt.Errorf("%d errors occurred:\n\t* %s\n\n", len(lines), strings.Join(lines, "\n\t* "))
	}
}

// runKeyring is the server's KeyringRunner: op on this agent's WAN pool
// (wan) or LAN pool.
func (a *Agent) runKeyring(wan bool, op, key string, relay uint8) (*api.KeyringResponse, []string) {
	pool := a.gossip
	if wan {
		pool = a.wan
	}
	r := &api.KeyringResponse{WAN: wan, Datacenter: a.cfg.Datacenter}
	resp, err := pool.Keyring(op, key, relay)
	fillKeyring(r, resp)
	if err != nil {
		return r, keyringErrors(r, err)
	}
	return r, nil
}

// fillKeyring copies a pool's answer (nil when none came) into r.
func fillKeyring(r *api.KeyringResponse, resp *serf.KeyResponse) {
	r.Keys, r.PrimaryKeys = map[string]int{}, map[string]int{}
	if resp == nil {
		return
	}
	r.Messages = resp.Messages
	if len(r.Messages) == 0 {
		r.Messages = nil
	}
	r.Keys, r.PrimaryKeys, r.NumNodes = resp.Keys, resp.PrimaryKeys, resp.NumNodes
}

// keyringErrors are a pool's failure and its members' messages, one per
// line.
func keyringErrors(r *api.KeyringResponse, err error) []string {
	pool := "LAN"
	if r.WAN {
		pool = "WAN"
	}
	lines := []string{fmt.Sprintf("%s (%s) error: %v", r.Datacenter, pool, err)}
	for _, node := range slices.Sorted(maps.Keys(r.Messages)) {
		lines = append(lines, fmt.Sprintf("%s: %s", node, r.Messages[node]))
	}
	return lines
}

package agent

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/concordhq/concord/api"
)

// Keyring answers /v1/operator/keyring: it runs op (gossip.KeyList,
// KeyInstall, KeyUse, KeyRemove) across the LAN pool from this agent —
// every member answers the query, whichever agent asks — and returns the
// pool's response. localOnly keeps a list to this datacenter (no WAN
// pool), which, with the LAN pool the only one, changes nothing yet. The
// error joins the pool's failure with each member's message, as Consul
// words it.
func (a *Agent) Keyring(_ context.Context, op, key string, relay uint8, _ bool) ([]*api.KeyringResponse, error) {
	out := &api.KeyringResponse{Datacenter: a.cfg.Datacenter, Keys: map[string]int{}, PrimaryKeys: map[string]int{}}
	resp, err := a.gossip.Keyring(op, key, relay)
	if resp != nil {
		out.Messages = resp.Messages
		if len(out.Messages) == 0 {
			out.Messages = nil
		}
		out.Keys, out.PrimaryKeys, out.NumNodes = resp.Keys, resp.PrimaryKeys, resp.NumNodes
	}
	if err != nil {
		return []*api.KeyringResponse{out}, keyringError(out, err)
	}
	return []*api.KeyringResponse{out}, nil
}

// keyringError is a pool's failure and its members' messages, one per
// line.
func keyringError(r *api.KeyringResponse, err error) error {
	lines := []string{fmt.Sprintf("%s (LAN) error: %v", r.Datacenter, err)}
	for _, node := range slices.Sorted(maps.Keys(r.Messages)) {
		lines = append(lines, fmt.Sprintf("%s: %s", node, r.Messages[node]))
	}
	if len(lines) == 1 {
		return fmt.Errorf("%s", lines[0])
	}
	return fmt.Errorf("%d errors occurred:\n\t* %s\n\n", len(lines), strings.Join(lines, "\n\t* "))
}

package agent

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/gossip"
	"github.com/hashicorp/serf/serf"
)

// Keyring answers /v1/operator/keyring: it runs op (gossip.KeyList,
// KeyInstall, KeyUse, KeyRemove) across this server's WAN pool first,
// unless localOnly, then across the LAN pool from this agent — every
// member answers the query, whichever agent asks — and returns one
// response per pool, as Consul does (the WAN one with WAN true). A client
// agent is in no WAN pool. The error joins the pools' failures with each
// member's message, as Consul words it.
func (a *Agent) Keyring(_ context.Context, op, key string, relay uint8, localOnly bool) ([]*api.KeyringResponse, error) {
	pools := []*gossip.Pool{a.gossip}
	if a.wan != nil && !localOnly {
		pools = []*gossip.Pool{a.wan, a.gossip}
	}
	var out []*api.KeyringResponse
	var lines []string // the failures, as Consul lists them
	for _, pool := range pools {
		r := &api.KeyringResponse{WAN: pool == a.wan, Datacenter: a.cfg.Datacenter}
		resp, err := pool.Keyring(op, key, relay)
		fillKeyring(r, resp)
		if err != nil {
			lines = append(lines, keyringErrors(r, err)...)
		}
		out = append(out, r)
	}
	switch len(lines) {
	case 0:
		return out, nil
	case 1:
		return out, errors.New(lines[0])
	}
	return out, fmt.Errorf("%d errors occurred:\n\t* %s\n\n", len(lines), strings.Join(lines, "\n\t* "))
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

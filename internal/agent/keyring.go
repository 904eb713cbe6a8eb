package agent

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/concordhq/concord/api"
	"github.com/hashicorp/serf/serf"
)

// Keyring answers /v1/operator/keyring: it runs op (gossip.KeyList,
// KeyInstall, KeyUse, KeyRemove) across this server's WAN pool first,
// unless localOnly, then across the LAN pool from this agent — every
// member answers the query, whichever agent asks — and returns one
// response per pool, as Consul does (the WAN one with WAN true). A client
// agent is in no WAN pool. The error joins the pools' failures with each
// member's message, as Consul words it.
func (a *Agent) Keyring(ctx context.Context, op, key string, relay uint8, localOnly bool) ([]*api.KeyringResponse, error) {
	var out []*api.KeyringResponse
	var errs []error
	if !localOnly {
		wan, err := a.wanKeyring(ctx, op, key, relay)
		if wan != nil {
			out = append(out, wan)
		}
		errs = append(errs, err)
	}
	lan := &api.KeyringResponse{Datacenter: a.cfg.Datacenter}
	resp, err := a.gossip.Keyring(op, key, relay)
	fillKeyring(lan, resp)
	if err != nil {
		errs = append(errs, keyringError(lan, err))
	}
	return append(out, lan), errors.Join(errs...)
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

// keyringError is a pool's failure and its members' messages, one per
// line.
func keyringError(r *api.KeyringResponse, err error) error {
	pool := "LAN"
	if r.WAN {
		pool = "WAN"
	}
	lines := []string{fmt.Sprintf("%s (%s) error: %v", r.Datacenter, pool, err)}
	for _, node := range slices.Sorted(maps.Keys(r.Messages)) {
		lines = append(lines, fmt.Sprintf("%s: %s", node, r.Messages[node]))
	}
	if len(lines) == 1 {
		return fmt.Errorf("%s", lines[0])
	}
	return fmt.Errorf("%d errors occurred:\n\t* %s\n\n", len(lines), strings.Join(lines, "\n\t* "))
}

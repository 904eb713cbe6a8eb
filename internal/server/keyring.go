package server

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// KeyringRunner runs a keyring operation on one of the agent's gossip
// pools (the WAN pool when wan) and returns that pool's response with its
// failures, one per line (none when every member answered).
type KeyringRunner func(wan bool, op, key string, relay uint8) (*api.KeyringResponse, []string)

// keyringRef holds the agent's KeyringRunner, set once at start.
type keyringRef struct {
	mu  sync.Mutex
	run KeyringRunner // nil until set; guarded by mu
}

// SetKeyring tells the server how to run keyring operations on the
// agent's gossip pools (call.KeyringOperation).
func (s *Server) SetKeyring(run KeyringRunner) {
	s.keyring.mu.Lock()
	s.keyring.run = run
	s.keyring.mu.Unlock()
}

// keyringImpls answer call.KeyringOperation: the WAN pool here, then
// each datacenter's LAN pool at one of its servers (through CallDC,
// Forwarded), as Consul does; a datacenter that cannot be reached adds
// its failure and the others go on.
func (s *Server) keyringImpls() []call.Impl {
	return []call.Impl{
		call.Implement(call.KeyringOperation, func(ctx context.Context, a *call.KeyringArgs) (call.KeyringResult, error) {
			s.keyring.mu.Lock()
			run := s.keyring.run
			s.keyring.mu.Unlock()
			if run == nil {
				return call.KeyringResult{}, errors.New("server: no gossip pools to run keyring operations on")
			}
			if a.Forwarded {
				r, errs := run(false, a.Op, a.Key, a.Relay)
				return call.KeyringResult{Responses: []*api.KeyringResponse{r}, Errors: errs}, nil
			}
			var out call.KeyringResult
			dcs := []string{s.cfg.Datacenter}
			if !a.LocalOnly {
				if s.wanView() != nil {
					r, errs := run(true, a.Op, a.Key, a.Relay)
					out.Responses, out.Errors = append(out.Responses, r), errs
				}
				dcs = s.Datacenters()
			}
			lan := *a
			lan.Forwarded = true
			for _, dc := range dcs {
				var res call.KeyringResult
				if err := s.CallDC(ctx, dc, call.KeyringOperation.Desc, &lan, &res); err != nil {
					out.Errors = append(out.Errors, fmt.Sprintf("%s (LAN) error: %v", dc, err))
					continue
				}
				out.Responses = append(out.Responses, res.Responses...)
				out.Errors = append(out.Errors, res.Errors...)
			}
			return out, nil
		}),
	}
}

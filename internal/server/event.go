package server

import (
	"context"
	"errors"
	"sync"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// eventFirer fires user events into this server's LAN pool, which the
// agent runs; set once at start.
type eventFirer struct {
	mu   sync.Mutex
	fire func(*api.UserEvent) (*api.UserEvent, error) // nil until set; guarded by mu
}

// SetEventFirer tells the server how to fire a user event into its LAN
// pool, for events fired from another datacenter (call.EventFire).
func (s *Server) SetEventFirer(fire func(*api.UserEvent) (*api.UserEvent, error)) {
	s.events.mu.Lock()
	s.events.fire = fire
	s.events.mu.Unlock()
}

// eventImpls answer call.EventFire.
func (s *Server) eventImpls() []call.Impl {
	return []call.Impl{
		call.Implement(call.EventFire, func(_ context.Context, a *call.EventFireArgs) (*api.UserEvent, error) {
			s.events.mu.Lock()
			fire := s.events.fire
			s.events.mu.Unlock()
			if fire == nil {
				return nil, errors.New("server: no gossip pool to fire events in")
			}
			if a.Event == nil {
				return nil, api.BadRequestError{Reason: "missing event"}
			}
			return fire(a.Event)
		}),
	}
}

package agent

import (
	"context"
	"strings"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/events"
	"github.com/google/uuid"
	"github.com/hashicorp/serf/serf"
)

// eventPrefix marks gossip user events that carry a Concord user event.
const eventPrefix = "ev:"

// onUserEvent records a user event meant for this agent.
func (a *Agent) onUserEvent(e serf.UserEvent) {
	if !strings.HasPrefix(e.Name, eventPrefix) {
		return
	}
	ev, err := events.Decode(e.Payload)
	if err != nil {
		a.logger.Warn("dropping a malformed user event", "error", err)
		return
	}
	var local []events.Service
	for _, s := range a.local.Services() {
		local = append(local, events.Service{Name: s.Service, Tags: s.Tags})
	}
	if !events.Selects(ev, a.cfg.NodeName, local) {
		return
	}
	ev.LTime = uint64(e.LTime)
	if a.rexec.Handle(ev) {
		return
	}
	a.events.Add(ev)
	a.logger.Debug("user event", "name", ev.Name, "id", ev.ID)
}

// EventFire answers /v1/event/fire: the event goes to every agent by
// gossip, best effort, as in Consul.
func (a *Agent) EventFire(ev *api.UserEvent) (*api.UserEvent, error) {
	if err := events.Validate(ev); err != nil {
		return nil, err
	}
	ev.ID, ev.Version = uuid.NewString(), 1
	data, err := events.Encode(ev)
	if err != nil {
		return nil, err
	}
	if err := a.gossip.UserEvent(eventPrefix+ev.Name, data); err != nil {
		if strings.Contains(err.Error(), "exceeds limit") {
			return nil, api.TooLargeError{Reason: err.Error()}
		}
		return nil, err
	}
	return ev, nil
}

// EventList answers /v1/event/list, blocking while the newest matching
// event is the one the caller saw.
func (a *Agent) EventList(ctx context.Context, q *api.QueryOptions, name string) ([]*api.UserEvent, api.QueryMeta, error) {
	if q.MinQueryIndex > 0 {
		wait := q.MaxQueryTime
		if wait <= 0 {
			wait = call.DefaultQueryTime
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, min(wait, call.MaxQueryTime))
		defer cancel()
	}
	list, idx := a.events.List(ctx, name, q.MinQueryIndex)
	return list, api.QueryMeta{LastIndex: max(idx, 1), KnownLeader: true, Consistency: "stale"}, nil
}

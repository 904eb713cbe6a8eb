package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/acl"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/concordhq/concord/internal/state"
	"github.com/hashicorp/go-memdb"
)

// configEntryImpls answer the config entry calls.
func (s *Server) configEntryImpls() []call.Impl {
	return []call.Impl{
		call.Implement(call.ConfigApply, func(ctx context.Context, a *call.ConfigApplyArgs) (bool, error) {
			return s.ConfigApply(ctx, a)
		}),
		call.Implement(call.ConfigDelete, func(ctx context.Context, a *call.ConfigDeleteArgs) (bool, error) {
			return s.ConfigDelete(ctx, a)
		}),
		read(call.ConfigGet, func(ctx context.Context, a *call.ConfigGetArgs) (*api.ConfigEntry, api.QueryMeta, error) {
			return s.ConfigGet(ctx, a.Options(), a.Kind, a.Name)
		}),
		read(call.ConfigList, func(ctx context.Context, a *call.ConfigListArgs) ([]*api.ConfigEntry, api.QueryMeta, error) {
			return s.ConfigList(ctx, a.Options(), a.Kind)
		}),
	}
}

// ConfigApply normalizes and validates an entry and stores it through
// Raft. As in Consul, a write that would change nothing is not applied
// and answers true, with or without CAS.
func (s *Server) ConfigApply(_ context.Context, a *call.ConfigApplyArgs) (bool, error) {
	if a.Entry == nil || a.Entry.Kind() == "" {
		return false, api.BadRequestError{Reason: "missing config entry"}
	}
	e := a.Entry.Clone()
	if err := e.Normalize(); err != nil {
		return false, api.BadRequestError{Reason: err.Error()}
	}
	if err := e.Validate(); err != nil {
		return false, api.BadRequestError{Reason: err.Error()}
	}
	_, current, err := s.fsm.State().ConfigEntry(nil, e.Kind(), e.Name())
	if err != nil {
		return false, err
	}
	if current != nil && sameConfigEntry(current, e) {
		return true, nil
	}
	op := &fsm.ConfigEntryOp{Op: fsm.ConfigEntrySet, Entry: e, CAS: a.CAS, Index: a.Index}
	return s.raftApplyBool(fsm.EncodeConfigEntry(op, time.Now()), "config entry")
}

// sameConfigEntry reports whether e would store nothing new over stored:
// the same JSON once the indexes are set alike.
func sameConfigEntry(stored, e *api.ConfigEntry) bool {
	c := e.Clone()
	c.SetIndexes(stored.Indexes())
	if c.Name() != stored.Name() {
		return false
	}
	x, err1 := json.Marshal(stored)
	y, err2 := json.Marshal(c)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// ConfigDelete deletes an entry through Raft. The kind must be one
// Concord keeps, and a proxy-defaults entry is named "global". As in
// Consul, deleting a missing entry answers true, with or without CAS.
func (s *Server) ConfigDelete(_ context.Context, a *call.ConfigDeleteArgs) (bool, error) {
	e, err := configEntryFor(a.Kind, a.Name)
	if err != nil {
		return false, err
	}
	if err := e.Normalize(); err != nil {
		return false, api.BadRequestError{Reason: err.Error()}
	}
	_, current, err := s.fsm.State().ConfigEntry(nil, e.Kind(), e.Name())
	if err != nil || current == nil {
		return err == nil, err
	}
	op := &fsm.ConfigEntryOp{Op: fsm.ConfigEntryDelete, Kind: e.Kind(), Name: e.Name(), CAS: a.CAS, Index: a.Index}
	return s.raftApplyBool(fsm.EncodeConfigEntry(op, time.Now()), "config entry")
}

// configEntryFor returns an empty entry of kind named name, or the
// reason the kind is refused (HTTP 400).
func configEntryFor(kind, name string) (*api.ConfigEntry, error) {
	e, err := api.NewConfigEntry(kind, name)
	if err != nil {
		return nil, api.BadRequestError{Reason: err.Error()}
	}
	return e, nil
}

// ConfigGet reads one entry: Consul's 404 text when there is none (with
// the index, so clients can block until it appears).
func (s *Server) ConfigGet(ctx context.Context, q *api.QueryOptions, kind, name string) (*api.ConfigEntry, api.QueryMeta, error) {
	if _, err := configEntryFor(kind, name); err != nil {
		return nil, api.QueryMeta{}, err
	}
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, *api.ConfigEntry, error) {
		idx, e, err := st.ConfigEntry(ws, kind, name)
		if err == nil && e == nil {
			err = api.NotFoundError{Reason: fmt.Sprintf("Config entry not found for %q / %q", kind, name)}
		}
		return idx, e, err
	})
}

// ConfigList reads every entry of kind, by name.
func (s *Server) ConfigList(ctx context.Context, q *api.QueryOptions, kind string) ([]*api.ConfigEntry, api.QueryMeta, error) {
	if _, err := configEntryFor(kind, ""); err != nil {
		return nil, api.QueryMeta{}, err
	}
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, []*api.ConfigEntry, error) {
		return st.ConfigEntries(ws, kind)
	})
}

// filterConfigEntries leaves out the service-defaults entries of services
// a may not read; proxy-defaults is readable by anyone. It never changes
// entries.
func filterConfigEntries(a *acl.Authorizer, entries []*api.ConfigEntry) ([]*api.ConfigEntry, bool) {
	if a.IsManagement() {
		return entries, false
	}
	out := make([]*api.ConfigEntry, 0, len(entries))
	for _, e := range entries {
		if e.Service == nil || a.Allowed(acl.Service, e.Name(), acl.Read) {
			out = append(out, e)
		}
	}
	return out, len(out) < len(entries)
}

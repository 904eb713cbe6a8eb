package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/concordhq/concord/internal/state"
	"github.com/google/uuid"
	"github.com/hashicorp/go-memdb"
)

// SessionCreate validates sess, fills in its defaults and a new ID, and
// creates it through Raft. It returns the ID. A TTL session starts its
// timer on the leader at once.
func (s *Server) SessionCreate(_ context.Context, sess *api.SessionEntry) (string, error) {
	if sess.Node == "" {
		sess.Node = s.cfg.NodeName
	}
	switch sess.Behavior {
	case "":
		sess.Behavior = api.SessionBehaviorRelease
	case api.SessionBehaviorRelease, api.SessionBehaviorDelete:
	default:
		return "", api.BadRequestError{Reason: fmt.Sprintf("Invalid Behavior setting '%s'", sess.Behavior)}
	}
	ttl, err := s.sessionTTL(sess.TTL)
	if err != nil {
		return "", err
	}
	sess.LockDelay = min(max(sess.LockDelay, 0), api.MaxLockDelay)
	for {
		sess.ID = uuid.NewString()
		_, err = s.raftApply(fsm.EncodeSession(&fsm.SessionOp{Op: fsm.SessionCreate, Session: *sess}, time.Now()))
		if !errors.Is(err, state.ErrSessionExists) {
			break
		}
	}
	if err != nil {
		return "", err
	}
	if ttl > 0 {
		s.timers.reset(sess.ID, ttl)
	}
	return sess.ID, nil
}

// sessionTTL parses and bounds a session TTL ("" means none).
func (s *Server) sessionTTL(ttl string) (time.Duration, error) {
	if ttl == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(ttl)
	lo := s.cfg.SessionTTLMin
	if lo <= 0 {
		lo = DefaultSessionTTLMin
	}
	if err != nil || d != 0 && (d < lo || d > api.MaxSessionTTL) {
		return 0, api.BadRequestError{Reason: fmt.Sprintf(
			"Invalid Session TTL '%s', must be between [%v=%v]", ttl, lo, api.MaxSessionTTL)}
	}
	return d, nil
}

// SessionDestroy invalidates a session through Raft; a missing one is fine.
func (s *Server) SessionDestroy(_ context.Context, id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return api.BadRequestError{Reason: fmt.Sprintf("Session id '%s' is not a valid UUID", id)}
	}
	_, err := s.raftApply(fsm.EncodeSession(&fsm.SessionOp{Op: fsm.SessionDestroy, Session: api.SessionEntry{ID: id}}, time.Now()))
	if err == nil {
		s.timers.stop(id)
	}
	return err
}

// SessionRenew restarts a TTL session's timer on the leader and returns the
// session; an unknown or expired session is a NotFoundError.
func (s *Server) SessionRenew(ctx context.Context, id string) (*api.SessionEntry, error) {
	if _, err := s.checkRead(ctx, &api.QueryOptions{}); err != nil {
		return nil, err
	}
	_, sess, err := s.fsm.State().SessionGet(nil, id)
	if err != nil {
		return nil, err
	}
	if sess == nil {
		return nil, api.NotFoundError{Reason: fmt.Sprintf("Session id '%s' not found", id)}
	}
	if ttl, _ := time.ParseDuration(sess.TTL); ttl > 0 {
		s.timers.reset(id, ttl)
	}
	return sess, nil
}

// SessionInfo reads one session: a list of zero or one entries.
func (s *Server) SessionInfo(ctx context.Context, q *api.QueryOptions, id string) ([]*api.SessionEntry, api.QueryMeta, error) {
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, []*api.SessionEntry, error) {
		idx, sess, err := st.SessionGet(ws, id)
		if sess == nil {
			return idx, []*api.SessionEntry{}, err
		}
		return idx, []*api.SessionEntry{sess}, err
	})
}

// SessionList reads every session, or one node's when node is set.
func (s *Server) SessionList(ctx context.Context, q *api.QueryOptions, node string) ([]*api.SessionEntry, api.QueryMeta, error) {
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, []*api.SessionEntry, error) {
		return st.SessionList(ws, node)
	})
}

// registerSelf puts this server's node in the catalog with a passing
// serfHealth check and the "consul" service, as soon as it becomes leader
// and before the membership loop (runReconcile) first runs; from then on
// gossip keeps the node's entry and check up to date like any other member's.
func (s *Server) registerSelf() error {
	host, portText, _ := net.SplitHostPort(s.RaftAddr())
	port, _ := strconv.Atoi(portText)
	_, err := s.raftApply(fsm.EncodeRegister(&api.CatalogRegistration{
		ID: s.cfg.NodeID, Node: s.cfg.NodeName, Address: host, Datacenter: s.cfg.Datacenter,
		TaggedAddresses: map[string]string{"lan": host, "lan_ipv4": host, "wan": host, "wan_ipv4": host},
		NodeMeta:        map[string]string{"consul-network-segment": ""},
		// Servers appear as the service "consul", so that
		// consul.service.consul finds them, as tools written for Consul expect.
		Service: &api.NodeService{ID: s.serviceName(), Service: s.serviceName(), Port: port},
		Check: &api.HealthCheck{
			CheckID: api.SerfCheckID, Name: SerfCheckName, Status: api.HealthPassing,
			Output: "Agent alive and reachable",
		},
	}, time.Now()))
	return err
}

// serviceName is the catalog service servers register as.
func (s *Server) serviceName() string {
	if s.cfg.ServiceName != "" {
		return s.cfg.ServiceName
	}
	return ServerServiceID
}

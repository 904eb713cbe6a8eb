package server

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/acl"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/concordhq/concord/internal/state"
	"github.com/google/uuid"
	"github.com/hashicorp/go-memdb"
)

// errQueryNotFound is Consul's answer for a query that does not exist
// (HTTP 404, with this text).
var errQueryNotFound = api.NotFoundError{Reason: "Query not found"}

// redactedToken is what Consul shows in place of a query's token to those
// who may not see it; a definition sent back with it is refused.
const redactedToken = "<hidden>"

// QueryApply creates, updates or deletes a prepared query through Raft and
// returns its ID. A new query gets a fresh ID; the checks that need the
// store (names, sessions) run when the command is applied.
func (s *Server) QueryApply(_ context.Context, op string, q *api.PreparedQuery) (string, error) {
	if q == nil {
		return "", api.BadRequestError{Reason: "missing prepared query"}
	}
	q = clonePreparedQuery(q)
	switch op {
	case call.QueryCreate:
		if q.ID != "" {
			return "", fmt.Errorf("ID must be empty when creating a new prepared query")
		}
	case call.QueryUpdate, call.QueryDelete:
		if q.ID == "" {
			return "", fmt.Errorf("Prepared query ID required")
		}
	default:
		return "", api.BadRequestError{Reason: fmt.Sprintf("Unknown prepared query operation %q", op)}
	}
	if op != call.QueryDelete {
		if err := validateQuery(q); err != nil {
			return "", fmt.Errorf("Invalid prepared query: %w", err)
		}
	}
	for {
		if op == call.QueryCreate {
			q.ID = uuid.NewString()
		}
		_, err := s.raftApply(fsm.EncodePreparedQuery(&fsm.QueryOp{Op: op, Query: *q}, time.Now()))
		if errors.Is(err, state.ErrQueryExists) {
			continue // the ID was taken: draw another
		}
		if err != nil {
			return "", err
		}
		return q.ID, nil
	}
}

// validateQuery checks what a query must be on its own, with Consul's
// texts: a name, a session or a template to find it by; a service; sound
// metadata filters, failover and DNS TTL; a template that compiles.
func validateQuery(q *api.PreparedQuery) error {
	if q.Name == "" && !q.IsTemplate() && q.Session == "" {
		return errors.New("Must be bound to a session")
	}
	if q.Token == redactedToken {
		return fmt.Errorf("Bad Token '%s', it looks like a query definition with a redacted token was submitted", q.Token)
	}
	svc := &q.Service
	if svc.Service == "" {
		return errors.New("Must provide a Service name to query")
	}
	if svc.Failover.NearestN < 0 {
		return fmt.Errorf("Bad NearestN '%d', must be >= 0", svc.Failover.NearestN)
	}
	if err := validateMeta(svc.NodeMeta); err != nil {
		return err
	}
	if q.DNS.TTL != "" {
		ttl, err := time.ParseDuration(q.DNS.TTL)
		if err != nil {
			return fmt.Errorf("Bad DNS TTL '%s': %v", q.DNS.TTL, err)
		}
		if ttl < 0 {
			return fmt.Errorf("DNS TTL '%d', must be >=0", ttl)
		}
	}
	if q.IsTemplate() {
		if _, err := compileTemplate(q); err != nil {
			return err
		}
	}
	return nil
}

// Bounds of metadata filters, as Consul's on node metadata.
const (
	metaMaxPairs    = 64
	metaKeyMaxLen   = 128
	metaValueMaxLen = 512
)

var metaKeyFormat = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// validateMeta checks a metadata filter, its keys in order so that the
// error is the same every time.
func validateMeta(meta map[string]string) error {
	if len(meta) > metaMaxPairs {
		return fmt.Errorf("Node metadata cannot contain more than %d key/value pairs", metaMaxPairs)
	}
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		var problem string
		switch v := meta[k]; {
		case k == "":
			problem = "Key cannot be blank"
		case !metaKeyFormat.MatchString(k):
			problem = "Key contains invalid characters"
		case len(k) > metaKeyMaxLen:
			problem = fmt.Sprintf("Key is too long (limit: %d characters)", metaKeyMaxLen)
		case len(v) > metaValueMaxLen:
			problem = fmt.Sprintf("Value is too long (limit: %d characters)", metaValueMaxLen)
		default:
			continue
		}
		return fmt.Errorf("Couldn't load metadata pair ('%s', '%s'): %s", k, meta[k], problem)
	}
	return nil
}

// QueryGet reads one query by ID: a list of one, or errQueryNotFound.
func (s *Server) QueryGet(ctx context.Context, q *api.QueryOptions, id string) ([]*api.PreparedQuery, api.QueryMeta, error) {
	out, m, err := query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, []*api.PreparedQuery, error) {
		idx, pq, err := st.PreparedQueryGet(ws, id)
		if err == nil && pq == nil {
			err = errQueryNotFound
		}
		return idx, []*api.PreparedQuery{pq}, err
	})
	return s.redactTokens(ctx, out), m, err
}

// QueryList reads every query.
func (s *Server) QueryList(ctx context.Context, q *api.QueryOptions) ([]*api.PreparedQuery, api.QueryMeta, error) {
	out, m, err := query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, []*api.PreparedQuery, error) {
		return st.PreparedQueryList(ws)
	})
	return s.redactTokens(ctx, out), m, err
}

// QueryExplain returns the query idOrName resolves to, a template
// interpolated for that name.
func (s *Server) QueryExplain(ctx context.Context, q *api.QueryOptions, idOrName string) (*api.PreparedQueryExplainResponse, api.QueryMeta, error) {
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, *api.PreparedQueryExplainResponse, error) {
		idx, pq, err := resolveQuery(ws, st, idOrName)
		if err != nil {
			return idx, nil, err
		}
		if pq.Token != "" && !s.maySeeQueryTokens(ctx) {
			pq.Token = redactedToken
		}
		return idx, &api.PreparedQueryExplainResponse{Query: *pq}, nil
	})
}

// redactTokens returns qs with each token shown as redactedToken, unless
// the caller may see them (copies; the stored queries stay as they are).
func (s *Server) redactTokens(ctx context.Context, qs []*api.PreparedQuery) []*api.PreparedQuery {
	none := !slices.ContainsFunc(qs, func(q *api.PreparedQuery) bool { return q != nil && q.Token != "" })
	if none || s.maySeeQueryTokens(ctx) {
		return qs
	}
	out := make([]*api.PreparedQuery, len(qs))
	for i, q := range qs {
		out[i] = q
		if q != nil && q.Token != "" {
			c := *q
			c.Token = redactedToken
			out[i] = &c
		}
	}
	return out
}

// maySeeQueryTokens reports whether the caller may see the tokens queries
// run with: anyone with ACLs off, else a token that may write ACLs, as in
// Consul (a query's token is a secret like any other).
func (s *Server) maySeeQueryTokens(ctx context.Context) bool {
	if !s.ACLEnabled() {
		return true
	}
	secret, _ := call.TokenFrom(ctx)
	id, err := s.ResolveToken(secret)
	return err == nil && id != nil && id.Authorizer.Allowed(acl.ACL, "", acl.Write)
}

// resolveQuery finds the query idOrName names and, for a template,
// interpolates it; the result is the caller's.
func resolveQuery(ws memdb.WatchSet, st *state.Store, idOrName string) (uint64, *api.PreparedQuery, error) {
	idx, pq, err := st.PreparedQueryResolve(ws, idOrName)
	if err != nil {
		return idx, nil, err
	}
	if pq == nil {
		return idx, nil, errQueryNotFound
	}
	if !pq.IsTemplate() {
		return idx, clonePreparedQuery(pq), nil
	}
	ct, err := compileTemplate(pq)
	if err != nil {
		return idx, nil, err
	}
	out, err := ct.render(idOrName)
	return idx, out, err
}

// clonePreparedQuery copies q deeply enough that the copy's slices and
// maps may be changed.
func clonePreparedQuery(q *api.PreparedQuery) *api.PreparedQuery {
	c := *q
	svc := &c.Service
	svc.Tags = slices.Clone(svc.Tags)
	svc.IgnoreCheckIDs = slices.Clone(svc.IgnoreCheckIDs)
	svc.Failover.Datacenters = slices.Clone(svc.Failover.Datacenters)
	svc.Failover.Targets = slices.Clone(svc.Failover.Targets)
	svc.NodeMeta = maps.Clone(svc.NodeMeta)
	svc.ServiceMeta = maps.Clone(svc.ServiceMeta)
	return &c
}

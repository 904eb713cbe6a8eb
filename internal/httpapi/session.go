package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// maxSessionBody bounds a session create body; real ones are tiny.
const maxSessionBody = 64 << 10

// sessionCreate serves PUT /v1/session/create; the reply is {"ID": id}.
func (h *Handler) sessionCreate(_ http.ResponseWriter, r *http.Request) (any, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxSessionBody+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read request body: %w", err)
	}
	if len(body) > maxSessionBody {
		return nil, api.TooLargeError{Reason: "Request body too large"}
	}
	sess, err := decodeSessionCreate(body)
	if err != nil {
		return nil, err
	}
	if sess.Node == "" {
		sess.Node = h.backend.NodeName() // as Consul: this agent's node, whichever server creates it
	}
	id, err := call.SessionCreate.Invoke(r.Context(), h.backend, call.SessionCreateArgs{Session: sess})
	if err != nil {
		return nil, err
	}
	return map[string]string{"ID": id}, nil
}

// decodeSessionCreate reads a session create body the way Consul does:
// keys in any case (python-consul sends them lower-case); LockDelay as a
// duration string or a number, where a value under 1000 means seconds and
// a larger one nanoseconds; and the presence of Checks or NodeChecks, even
// empty, replacing the default binding to serfHealth.
func decodeSessionCreate(body []byte) (*api.SessionEntry, error) {
	sess := &api.SessionEntry{LockDelay: api.DefaultLockDelay, NodeChecks: []string{api.SerfCheckID}}
	if len(bytes.TrimSpace(body)) == 0 {
		return sess, nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, badRequest("Request decode failed: " + err.Error())
	}
	var checks []string
	bound := false
	for key, val := range raw {
		var err error
		switch strings.ToLower(key) {
		case "name":
			err = json.Unmarshal(val, &sess.Name)
		case "node":
			err = json.Unmarshal(val, &sess.Node)
		case "behavior":
			err = json.Unmarshal(val, &sess.Behavior)
		case "ttl":
			err = json.Unmarshal(val, &sess.TTL)
		case "lockdelay":
			sess.LockDelay, err = decodeLockDelay(val)
		case "checks", "nodechecks":
			var ids []string
			err = json.Unmarshal(val, &ids)
			checks = append(checks, ids...)
			bound = true
		case "servicechecks":
			err = json.Unmarshal(val, &sess.ServiceChecks)
		}
		if err != nil {
			return nil, badRequest(fmt.Sprintf("Request decode failed: %s: %v", key, err))
		}
	}
	if bound {
		sess.NodeChecks = dedupe(checks)
	}
	return sess, nil
}

// decodeLockDelay reads a LockDelay given as "15s" or as a number.
func decodeLockDelay(val json.RawMessage) (time.Duration, error) {
	var d time.Duration
	var s string
	if err := json.Unmarshal(val, &s); err == nil {
		parsed, err := time.ParseDuration(s)
		if err != nil {
			return 0, err
		}
		d = parsed
	} else {
		var n float64
		if err := json.Unmarshal(val, &n); err != nil {
			return 0, fmt.Errorf("must be a duration string or a number")
		}
		d = time.Duration(n)
	}
	if d > 0 && d < 1000 {
		d *= time.Second
	}
	return d, nil
}

func dedupe(ids []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// sessionDestroy serves PUT /v1/session/destroy/<id>; the reply is true.
func (h *Handler) sessionDestroy(_ http.ResponseWriter, r *http.Request) (any, error) {
	if err := doWrite(r.Context(), h, call.SessionDestroy, call.SessionIDArgs{ID: r.PathValue("id")}); err != nil {
		return nil, err
	}
	return true, nil
}

// sessionRenew serves PUT /v1/session/renew/<id>: the session, or 404 once
// it is gone.
func (h *Handler) sessionRenew(_ http.ResponseWriter, r *http.Request) (any, error) {
	sess, err := call.SessionRenew.Invoke(r.Context(), h.backend, call.SessionIDArgs{ID: r.PathValue("id")})
	if err != nil {
		return nil, err
	}
	return []*api.SessionEntry{sess}, nil
}

// sessionInfo serves GET /v1/session/info/<id>: [] or [session].
func (h *Handler) sessionInfo(w http.ResponseWriter, r *http.Request) (any, error) {
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) ([]*api.SessionEntry, api.QueryMeta, error) {
		return readCall(ctx, h, call.SessionInfo, call.SessionGetArgs{Query: query(q), ID: r.PathValue("id")})
	})
}

// sessionNode serves GET /v1/session/node/<node>.
func (h *Handler) sessionNode(w http.ResponseWriter, r *http.Request) (any, error) {
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) ([]*api.SessionEntry, api.QueryMeta, error) {
		return readCall(ctx, h, call.SessionList, call.SessionListArgs{Query: query(q), Node: r.PathValue("node")})
	})
}

// sessionList serves GET /v1/session/list.
func (h *Handler) sessionList(w http.ResponseWriter, r *http.Request) (any, error) {
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) ([]*api.SessionEntry, api.QueryMeta, error) {
		return readCall(ctx, h, call.SessionList, call.SessionListArgs{Query: query(q)})
	})
}

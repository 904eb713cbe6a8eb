package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ErrSessionExpired is returned by RenewPeriodic when the server no longer
// knows the session: it was destroyed, its TTL ran out or a check it is
// bound to failed. Every lock the session held is gone.
var ErrSessionExpired = errors.New("api: session expired")

// Session is the /v1/session endpoints: create, renew and destroy the
// sessions that locks are held by.
type Session struct{ c *Client }

// Session returns a handle on the /v1/session endpoints.
func (c *Client) Session() *Session { return &Session{c} }

// Create creates a session from se and returns its ID. Only the fields that
// are set are sent, so the server's defaults apply to the rest: a zero
// LockDelay means the server's default (15s) and a negative one sends 0,
// which disables lock-delay; nil NodeChecks keeps the default binding to
// serfHealth, while an empty non-nil slice binds the session to no node
// check at all. ID, CreateIndex and ModifyIndex are ignored.
func (s *Session) Create(se *SessionEntry) (string, error) {
	body := map[string]any{}
	if se != nil {
		if se.Name != "" {
			body["Name"] = se.Name
		}
		if se.Node != "" {
			body["Node"] = se.Node
		}
		switch {
		case se.LockDelay > 0:
			body["LockDelay"] = se.LockDelay.String()
		case se.LockDelay < 0:
			body["LockDelay"] = "0s"
		}
		if se.Behavior != "" {
			body["Behavior"] = se.Behavior
		}
		if se.TTL != "" {
			body["TTL"] = se.TTL
		}
		if se.NodeChecks != nil {
			body["NodeChecks"] = se.NodeChecks
		}
		if se.ServiceChecks != nil {
			body["ServiceChecks"] = se.ServiceChecks
		}
	}
	var out struct{ ID string }
	if err := s.put("/v1/session/create", body, &out); err != nil {
		return "", fmt.Errorf("api: cannot create session: %w", err)
	}
	if out.ID == "" {
		return "", errors.New("api: cannot create session: the reply holds no ID")
	}
	return out.ID, nil
}

// Destroy invalidates session id: the keys it holds are released or
// deleted, as its Behavior says. An unknown id is not an error.
func (s *Session) Destroy(id string) error {
	var ok bool
	if err := s.put("/v1/session/destroy/"+id, nil, &ok); err != nil {
		return fmt.Errorf("api: cannot destroy session %s: %w", id, err)
	}
	return nil
}

// Renew resets the TTL timer of session id and returns the session, whose
// TTL the server may have raised. A session the server no longer knows
// gives nil and no error.
func (s *Session) Renew(id string) (*SessionEntry, error) {
	var out []*SessionEntry
	err := s.put("/v1/session/renew/"+id, nil, &out)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("api: cannot renew session %s: %w", id, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out[0], nil
}

// Info returns session id, or nil when there is none.
func (s *Session) Info(id string, q *QueryOptions) (*SessionEntry, *QueryMeta, error) {
	var out []*SessionEntry
	meta, err := s.c.read("/v1/session/info/"+id, queryParams(q), &out)
	if err != nil {
		return nil, nil, err
	}
	if len(out) == 0 {
		return nil, meta, nil
	}
	return out[0], meta, nil
}

// List returns every session of the datacenter.
func (s *Session) List(q *QueryOptions) ([]*SessionEntry, *QueryMeta, error) {
	var out []*SessionEntry
	meta, err := s.c.read("/v1/session/list", queryParams(q), &out)
	if err != nil {
		return nil, nil, err
	}
	return out, meta, nil
}

// Node returns the sessions of node.
func (s *Session) Node(node string, q *QueryOptions) ([]*SessionEntry, *QueryMeta, error) {
	var out []*SessionEntry
	meta, err := s.c.read("/v1/session/node/"+node, queryParams(q), &out)
	if err != nil {
		return nil, nil, err
	}
	return out, meta, nil
}

// RenewPeriodic keeps session id alive until done is closed, then destroys
// it and returns nil. It renews every TTL/2, starting from initialTTL and
// following the TTL the server answers with. A failed renewal is retried
// every second until a whole TTL has passed since the last success, when
// RenewPeriodic gives up with that error: the server may invalidate the
// session any time after that. When the server no longer knows the session
// it returns ErrSessionExpired.
//
// It blocks, so callers run it in its own goroutine.
func (s *Session) RenewPeriodic(initialTTL string, id string, done <-chan struct{}) error {
	ttl, err := time.ParseDuration(initialTTL)
	if err != nil || ttl <= 0 {
		return fmt.Errorf("api: invalid session TTL %q", initialTTL)
	}

	// Renewals end when done is closed, so that a hung request does not
	// delay the destroy.
	ctx, cancel := context.WithCancel(s.c.ctx)
	defer cancel()
	go func() {
		select {
		case <-done:
			cancel()
		case <-ctx.Done():
		}
	}()

	lastOK := time.Now()
	timer := time.NewTimer(ttl / 2)
	defer timer.Stop()
	for {
		select {
		case <-done:
			s.Destroy(id) // best effort: the TTL ends the session anyway
			return nil
		case <-timer.C:
		}

		entry, err := s.renewWithin(ctx, id, ttl)
		switch {
		case err != nil:
			select {
			case <-done:
				continue // the destroy above runs next
			default:
			}
			if time.Since(lastOK) >= ttl {
				return fmt.Errorf("api: session %s not renewed for %v: %w", id, ttl, err)
			}
			timer.Reset(time.Second)
		case entry == nil:
			return ErrSessionExpired
		default:
			lastOK = time.Now()
			if d, err := time.ParseDuration(entry.TTL); err == nil && d > 0 {
				ttl = d
			}
			timer.Reset(ttl / 2)
		}
	}
}

// renewWithin renews session id, giving the request at most timeout.
func (s *Session) renewWithin(ctx context.Context, id string, timeout time.Duration) (*SessionEntry, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return s.c.WithContext(ctx).Session().Renew(id)
}

// put sends PUT path with in as its JSON body (none when in is nil) and
// decodes the JSON reply into out.
func (s *Session) put(path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("cannot encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := s.c.newRequest(http.MethodPut, path, nil, body)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.c.do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("cannot decode reply from %s: %w", path, err)
	}
	return nil
}

package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/acl"
	"github.com/concordhq/concord/internal/call"
)

// aclAuthRoutes are the auth method, binding rule, login and logout
// endpoints.
var aclAuthRoutes = []route{
	{"PUT", "/v1/acl/auth-method", (*Handler).aclAuthMethodCreate},
	{"GET", "/v1/acl/auth-method/{name}", (*Handler).aclAuthMethodRead},
	{"PUT", "/v1/acl/auth-method/{name}", (*Handler).aclAuthMethodUpdate},
	{"DELETE", "/v1/acl/auth-method/{name}", (*Handler).aclAuthMethodDelete},
	{"GET", "/v1/acl/auth-methods", (*Handler).aclAuthMethodList},
	{"PUT", "/v1/acl/binding-rule", (*Handler).aclBindingRuleCreate},
	{"GET", "/v1/acl/binding-rule/{id}", (*Handler).aclBindingRuleRead},
	{"PUT", "/v1/acl/binding-rule/{id}", (*Handler).aclBindingRuleUpdate},
	{"DELETE", "/v1/acl/binding-rule/{id}", (*Handler).aclBindingRuleDelete},
	{"GET", "/v1/acl/binding-rules", (*Handler).aclBindingRuleList},
	{"POST", "/v1/acl/login", (*Handler).aclLogin},
	{"POST", "/v1/acl/logout", (*Handler).aclLogout},
}

// decodeAs decodes an ACL body into v; a bad body is a 400 whose text
// starts with prefix (Consul's, which differs by endpoint).
func decodeAs(r *http.Request, v any, prefix string) error {
	err := decodeACLBody(r, v)
	var bad api.BadRequestError
	if errors.As(err, &bad) {
		return badRequest(prefix + strings.TrimPrefix(bad.Reason, "Request decode failed: "))
	}
	return err
}

// aclAuthMethodCreate serves PUT /v1/acl/auth-method.
func (h *Handler) aclAuthMethodCreate(_ http.ResponseWriter, r *http.Request) (any, error) {
	return h.aclAuthMethodWrite(r, "")
}

// aclAuthMethodUpdate serves PUT /v1/acl/auth-method/<name>.
func (h *Handler) aclAuthMethodUpdate(_ http.ResponseWriter, r *http.Request) (any, error) {
	return h.aclAuthMethodWrite(r, r.PathValue("name"))
}

// aclAuthMethodWrite creates or updates an auth method; name is the
// path's, which the body's must match if it has one.
func (h *Handler) aclAuthMethodWrite(r *http.Request, name string) (any, error) {
	var m api.ACLAuthMethod
	if err := decodeAs(r, &m, "AuthMethod decoding failed: "); err != nil {
		return nil, err
	}
	if name != "" {
		if m.Name != "" && m.Name != name {
			return nil, badRequest("AuthMethod Name in URL and payload do not match")
		}
		m.Name = name
	}
	return call.ACLAuthMethodSet.Invoke(r.Context(), h.backend, call.ACLAuthMethodSetArgs{Method: &m})
}

// aclAuthMethodRead serves GET /v1/acl/auth-method/<name>: 404 when
// there is none.
func (h *Handler) aclAuthMethodRead(w http.ResponseWriter, r *http.Request) (any, error) {
	return orNotFound(read(h, w, r, func(ctx context.Context, q *api.QueryOptions) (*api.ACLAuthMethod, api.QueryMeta, error) {
		return readCall(ctx, h, call.ACLAuthMethodRead, call.ACLAuthMethodArgs{Query: query(q), Name: r.PathValue("name")})
	}))
}

// aclAuthMethodDelete serves DELETE /v1/acl/auth-method/<name>; the
// reply is true, also when there was none.
func (h *Handler) aclAuthMethodDelete(_ http.ResponseWriter, r *http.Request) (any, error) {
	if err := doWrite(r.Context(), h, call.ACLAuthMethodDelete, call.ACLAuthMethodArgs{Name: r.PathValue("name")}); err != nil {
		return nil, err
	}
	return true, nil
}

// aclAuthMethodList serves GET /v1/acl/auth-methods.
func (h *Handler) aclAuthMethodList(w http.ResponseWriter, r *http.Request) (any, error) {
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) ([]*api.ACLAuthMethodListEntry, api.QueryMeta, error) {
		return readCall(ctx, h, call.ACLAuthMethodList, call.ACLListArgs{Query: query(q)})
	})
}

// aclBindingRuleCreate serves PUT /v1/acl/binding-rule.
func (h *Handler) aclBindingRuleCreate(_ http.ResponseWriter, r *http.Request) (any, error) {
	return h.aclBindingRuleWrite(r, "")
}

// aclBindingRuleUpdate serves PUT /v1/acl/binding-rule/<id>.
func (h *Handler) aclBindingRuleUpdate(_ http.ResponseWriter, r *http.Request) (any, error) {
	return h.aclBindingRuleWrite(r, r.PathValue("id"))
}

// aclBindingRuleWrite creates (id "") or updates a binding rule. A body's
// ID must be the path's (none on create), as in Consul.
func (h *Handler) aclBindingRuleWrite(r *http.Request, id string) (any, error) {
	var rule api.ACLBindingRule
	if err := decodeAs(r, &rule, "BindingRule decoding failed: "); err != nil {
		return nil, err
	}
	if rule.ID != "" && rule.ID != id {
		return nil, badRequest("BindingRule ID in URL and payload do not match")
	}
	rule.ID = id
	return call.ACLBindingRuleSet.Invoke(r.Context(), h.backend, call.ACLBindingRuleSetArgs{Rule: &rule, Create: id == ""})
}

// aclBindingRuleRead serves GET /v1/acl/binding-rule/<id>: 404 when there
// is none.
func (h *Handler) aclBindingRuleRead(w http.ResponseWriter, r *http.Request) (any, error) {
	return orNotFound(read(h, w, r, func(ctx context.Context, q *api.QueryOptions) (*api.ACLBindingRule, api.QueryMeta, error) {
		return readCall(ctx, h, call.ACLBindingRuleRead, call.ACLBindingRuleArgs{Query: query(q), ID: r.PathValue("id")})
	}))
}

// aclBindingRuleDelete serves DELETE /v1/acl/binding-rule/<id>; the reply
// is true, also when there was none.
func (h *Handler) aclBindingRuleDelete(_ http.ResponseWriter, r *http.Request) (any, error) {
	if err := doWrite(r.Context(), h, call.ACLBindingRuleDelete, call.ACLBindingRuleArgs{ID: r.PathValue("id")}); err != nil {
		return nil, err
	}
	return true, nil
}

// aclBindingRuleList serves GET /v1/acl/binding-rules (?authmethod=).
func (h *Handler) aclBindingRuleList(w http.ResponseWriter, r *http.Request) (any, error) {
	method := r.URL.Query().Get("authmethod")
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) ([]*api.ACLBindingRule, api.QueryMeta, error) {
		return readCall(ctx, h, call.ACLBindingRuleList, call.ACLBindingRuleListArgs{Query: query(q), AuthMethod: method})
	})
}

// aclLogin serves POST /v1/acl/login: a bearer token for a new token. The
// request's own token plays no part, as in Consul.
func (h *Handler) aclLogin(_ http.ResponseWriter, r *http.Request) (any, error) {
	var p api.ACLLoginParams
	if err := decodeAs(r, &p, "Failed to decode request body: "); err != nil {
		return nil, err
	}
	ctx := call.WithToken(r.Context(), "")
	return call.ACLLogin.Invoke(ctx, h.backend, call.ACLLoginArgs{Params: &p})
}

// aclLogout serves POST /v1/acl/logout: deletes the request's token, if a
// login made it; the reply is true.
func (h *Handler) aclLogout(_ http.ResponseWriter, r *http.Request) (any, error) {
	if secret, _ := call.TokenFrom(r.Context()); secret == "" {
		return nil, acl.ErrNotFound
	}
	if err := doWrite(r.Context(), h, call.ACLLogout, call.ACLLogoutArgs{}); err != nil {
		return nil, err
	}
	return true, nil
}

package httpapi

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// aclRoutes are the acl endpoints: tokens, policies, roles, bootstrap.
// The server answers "ACL support disabled" (401) for all of them when
// ACLs are off.
var aclRoutes = []route{
	{"PUT", "/v1/acl/bootstrap", (*Handler).aclBootstrap},
	{"PUT", "/v1/acl/token", (*Handler).aclTokenCreate},
	{"GET", "/v1/acl/token/self", (*Handler).aclTokenSelf},
	{"GET", "/v1/acl/token/{id}", (*Handler).aclTokenRead},
	{"PUT", "/v1/acl/token/{id}", (*Handler).aclTokenUpdate},
	{"DELETE", "/v1/acl/token/{id}", (*Handler).aclTokenDelete},
	{"PUT", "/v1/acl/token/{id}/clone", (*Handler).aclTokenClone},
	{"GET", "/v1/acl/tokens", (*Handler).aclTokenList},
	{"PUT", "/v1/acl/policy", (*Handler).aclPolicyCreate},
	{"GET", "/v1/acl/policy/{id}", (*Handler).aclPolicyRead},
	{"PUT", "/v1/acl/policy/{id}", (*Handler).aclPolicyUpdate},
	{"DELETE", "/v1/acl/policy/{id}", (*Handler).aclPolicyDelete},
	{"GET", "/v1/acl/policy/name/{name}", (*Handler).aclPolicyReadByName},
	{"GET", "/v1/acl/policies", (*Handler).aclPolicyList},
	{"PUT", "/v1/acl/role", (*Handler).aclRoleCreate},
	{"GET", "/v1/acl/role/{id}", (*Handler).aclRoleRead},
	{"PUT", "/v1/acl/role/{id}", (*Handler).aclRoleUpdate},
	{"DELETE", "/v1/acl/role/{id}", (*Handler).aclRoleDelete},
	{"GET", "/v1/acl/role/name/{name}", (*Handler).aclRoleReadByName},
	{"GET", "/v1/acl/roles", (*Handler).aclRoleList},
	{"GET", "/v1/acl/replication", (*Handler).aclReplication},
}

// maxACLBody bounds an ACL object's body; a policy's rules are at most
// 128 KiB (acl.MaxRulesBytes), JSON-escaped.
const maxACLBody = 1 << 20

// decodeACLBody decodes an ACL write's JSON body into v; an empty body
// (bootstrap, clone) leaves v as it is.
func decodeACLBody(r *http.Request, v any) error {
	br := bufio.NewReader(r.Body)
	if _, err := br.Peek(1); errors.Is(err, io.EOF) {
		return nil
	}
	r.Body = io.NopCloser(br)
	return decodeBody(r, maxACLBody, v)
}

// aclWrite decodes the body into a new T, runs invoke with it, and
// answers the call's result.
func aclWrite[T, R any](h *Handler, r *http.Request, invoke func(ctx context.Context, v *T) (R, error)) (any, error) {
	v := new(T)
	if err := decodeACLBody(r, v); err != nil {
		return nil, err
	}
	return invoke(r.Context(), v)
}

// aclDelete runs a delete call on the path's ID; the reply is true.
func aclDelete(h *Handler, r *http.Request, c call.Call[call.ACLIDArgs, struct{}]) (any, error) {
	if err := doWrite(r.Context(), h, c, call.ACLIDArgs{ID: r.PathValue("id")}); err != nil {
		return nil, err
	}
	return true, nil
}

// sameID checks that a body's ID is empty or the path's, with Consul's
// text for each kind of object.
func sameID(bodyID, pathID, what string) error {
	if bodyID != "" && bodyID != pathID {
		return badRequest(what + " in URL and payload do not match")
	}
	return nil
}

// aclBootstrap serves PUT /v1/acl/bootstrap: the management token, once.
func (h *Handler) aclBootstrap(_ http.ResponseWriter, r *http.Request) (any, error) {
	return aclWrite(h, r, func(ctx context.Context, req *api.ACLBootstrapRequest) (*api.ACLToken, error) {
		return call.ACLBootstrap.Invoke(ctx, h.backend, call.ACLBootstrapArgs{Secret: req.BootstrapSecret})
	})
}

// aclTokenCreate serves PUT /v1/acl/token.
func (h *Handler) aclTokenCreate(_ http.ResponseWriter, r *http.Request) (any, error) {
	return aclWrite(h, r, func(ctx context.Context, tok *api.ACLToken) (*api.ACLToken, error) {
		return call.ACLTokenSet.Invoke(ctx, h.backend, call.ACLTokenSetArgs{Token: tok, Create: true})
	})
}

// aclTokenUpdate serves PUT /v1/acl/token/<accessor>.
func (h *Handler) aclTokenUpdate(_ http.ResponseWriter, r *http.Request) (any, error) {
	return aclWrite(h, r, func(ctx context.Context, tok *api.ACLToken) (*api.ACLToken, error) {
		id := r.PathValue("id")
		if err := sameID(tok.AccessorID, id, "Token Accessor ID"); err != nil {
			return nil, err
		}
		tok.AccessorID = id
		return call.ACLTokenSet.Invoke(ctx, h.backend, call.ACLTokenSetArgs{Token: tok})
	})
}

// aclTokenClone serves PUT /v1/acl/token/<accessor>/clone; the body may
// carry the new token's Description.
func (h *Handler) aclTokenClone(_ http.ResponseWriter, r *http.Request) (any, error) {
	return aclWrite(h, r, func(ctx context.Context, req *struct{ Description string }) (*api.ACLToken, error) {
		return call.ACLTokenClone.Invoke(ctx, h.backend,
			call.ACLTokenCloneArgs{AccessorID: r.PathValue("id"), Description: req.Description})
	})
}

// aclTokenDelete serves DELETE /v1/acl/token/<accessor>; the reply is true.
func (h *Handler) aclTokenDelete(_ http.ResponseWriter, r *http.Request) (any, error) {
	args := call.ACLTokenIDArgs{AccessorID: r.PathValue("id")}
	if err := doWrite(r.Context(), h, call.ACLTokenDelete, args); err != nil {
		return nil, err
	}
	return true, nil
}

// aclTokenRead serves GET /v1/acl/token/<accessor>; with ?expanded, the
// token with the policies and roles it draws on.
func (h *Handler) aclTokenRead(w http.ResponseWriter, r *http.Request) (any, error) {
	id := r.PathValue("id")
	if has(r.URL.Query(), "expanded") {
		return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) (*api.ACLTokenExpanded, api.QueryMeta, error) {
			return readCall(ctx, h, call.ACLTokenReadExpanded, call.ACLTokenReadArgs{Query: query(q), AccessorID: id})
		})
	}
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) (*api.ACLToken, api.QueryMeta, error) {
		return readCall(ctx, h, call.ACLTokenRead, call.ACLTokenReadArgs{Query: query(q), AccessorID: id})
	})
}

// aclTokenSelf serves GET /v1/acl/token/self: the request's own token.
func (h *Handler) aclTokenSelf(w http.ResponseWriter, r *http.Request) (any, error) {
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) (*api.ACLToken, api.QueryMeta, error) {
		return readCall(ctx, h, call.ACLTokenSelf, call.ACLTokenSelfArgs{Query: query(q)})
	})
}

// aclTokenList serves GET /v1/acl/tokens (?policy=, ?role=,
// ?servicename=, ?authmethod=, ?filter=).
func (h *Handler) aclTokenList(w http.ResponseWriter, r *http.Request) (any, error) {
	p := r.URL.Query()
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) ([]*api.ACLTokenListEntry, api.QueryMeta, error) {
		return readCall(ctx, h, call.ACLTokenList, call.ACLTokenListArgs{Query: query(q),
			Policy: p.Get("policy"), Role: p.Get("role"), ServiceName: p.Get("servicename"), AuthMethod: p.Get("authmethod")})
	})
}

// aclPolicyCreate serves PUT /v1/acl/policy.
func (h *Handler) aclPolicyCreate(_ http.ResponseWriter, r *http.Request) (any, error) {
	return aclWrite(h, r, func(ctx context.Context, p *api.ACLPolicy) (*api.ACLPolicy, error) {
		return call.ACLPolicySet.Invoke(ctx, h.backend, call.ACLPolicySetArgs{Policy: p, Create: true})
	})
}

// aclPolicyUpdate serves PUT /v1/acl/policy/<id>.
func (h *Handler) aclPolicyUpdate(_ http.ResponseWriter, r *http.Request) (any, error) {
	return aclWrite(h, r, func(ctx context.Context, p *api.ACLPolicy) (*api.ACLPolicy, error) {
		id := r.PathValue("id")
		if err := sameID(p.ID, id, "Policy ID"); err != nil {
			return nil, err
		}
		p.ID = id
		return call.ACLPolicySet.Invoke(ctx, h.backend, call.ACLPolicySetArgs{Policy: p})
	})
}

// aclPolicyDelete serves DELETE /v1/acl/policy/<id>; the reply is true.
func (h *Handler) aclPolicyDelete(_ http.ResponseWriter, r *http.Request) (any, error) {
	return aclDelete(h, r, call.ACLPolicyDelete)
}

// aclPolicyRead serves GET /v1/acl/policy/<id>.
func (h *Handler) aclPolicyRead(w http.ResponseWriter, r *http.Request) (any, error) {
	return h.aclPolicyGet(w, r, call.ACLObjectArgs{ID: r.PathValue("id")})
}

// aclPolicyReadByName serves GET /v1/acl/policy/name/<name>.
func (h *Handler) aclPolicyReadByName(w http.ResponseWriter, r *http.Request) (any, error) {
	return h.aclPolicyGet(w, r, call.ACLObjectArgs{Name: r.PathValue("name")})
}

func (h *Handler) aclPolicyGet(w http.ResponseWriter, r *http.Request, args call.ACLObjectArgs) (any, error) {
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) (*api.ACLPolicy, api.QueryMeta, error) {
		args.Query = query(q)
		return readCall(ctx, h, call.ACLPolicyRead, args)
	})
}

// aclPolicyList serves GET /v1/acl/policies.
func (h *Handler) aclPolicyList(w http.ResponseWriter, r *http.Request) (any, error) {
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) ([]*api.ACLPolicyListEntry, api.QueryMeta, error) {
		return readCall(ctx, h, call.ACLPolicyList, call.ACLListArgs{Query: query(q)})
	})
}

// aclRoleCreate serves PUT /v1/acl/role.
func (h *Handler) aclRoleCreate(_ http.ResponseWriter, r *http.Request) (any, error) {
	return aclWrite(h, r, func(ctx context.Context, role *api.ACLRole) (*api.ACLRole, error) {
		return call.ACLRoleSet.Invoke(ctx, h.backend, call.ACLRoleSetArgs{Role: role, Create: true})
	})
}

// aclRoleUpdate serves PUT /v1/acl/role/<id>.
func (h *Handler) aclRoleUpdate(_ http.ResponseWriter, r *http.Request) (any, error) {
	return aclWrite(h, r, func(ctx context.Context, role *api.ACLRole) (*api.ACLRole, error) {
		id := r.PathValue("id")
		if err := sameID(role.ID, id, "Role ID"); err != nil {
			return nil, err
		}
		role.ID = id
		return call.ACLRoleSet.Invoke(ctx, h.backend, call.ACLRoleSetArgs{Role: role})
	})
}

// aclRoleDelete serves DELETE /v1/acl/role/<id>; the reply is true.
func (h *Handler) aclRoleDelete(_ http.ResponseWriter, r *http.Request) (any, error) {
	return aclDelete(h, r, call.ACLRoleDelete)
}

// aclRoleRead serves GET /v1/acl/role/<id>: 404 when there is none.
func (h *Handler) aclRoleRead(w http.ResponseWriter, r *http.Request) (any, error) {
	return h.aclRoleGet(w, r, call.ACLObjectArgs{ID: r.PathValue("id")})
}

// aclRoleReadByName serves GET /v1/acl/role/name/<name>.
func (h *Handler) aclRoleReadByName(w http.ResponseWriter, r *http.Request) (any, error) {
	return h.aclRoleGet(w, r, call.ACLObjectArgs{Name: r.PathValue("name")})
}

func (h *Handler) aclRoleGet(w http.ResponseWriter, r *http.Request, args call.ACLObjectArgs) (any, error) {
	return orNotFound(read(h, w, r, func(ctx context.Context, q *api.QueryOptions) (*api.ACLRole, api.QueryMeta, error) {
		args.Query = query(q)
		return readCall(ctx, h, call.ACLRoleRead, args)
	}))
}

// orNotFound answers a read of one object: 404 (empty) when there is none.
func orNotFound[T any](v *T, err error) (any, error) {
	if err == nil && v == nil {
		return nil, errNotFound
	}
	return v, err
}

// aclRoleList serves GET /v1/acl/roles.
func (h *Handler) aclRoleList(w http.ResponseWriter, r *http.Request) (any, error) {
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) ([]*api.ACLRole, api.QueryMeta, error) {
		return readCall(ctx, h, call.ACLRoleList, call.ACLListArgs{Query: query(q)})
	})
}

// aclReplication serves GET /v1/acl/replication.
func (h *Handler) aclReplication(w http.ResponseWriter, r *http.Request) (any, error) {
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) (*api.ACLReplicationStatus, api.QueryMeta, error) {
		return readCall(ctx, h, call.ACLReplication, call.ACLListArgs{Query: query(q)})
	})
}

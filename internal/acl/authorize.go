package acl

import (
	"errors"
	"fmt"

	"github.com/concordhq/concord/api"

	"github.com/concordhq/concord/internal/call"
)

// ErrPermissionDenied matches every PermissionDeniedError (errors.Is).
var ErrPermissionDenied = errors.New("Permission denied")

// PermissionDeniedError is a refused call, answered with HTTP 403. Its
// text is Consul's, which clients and scripts match on.
type PermissionDeniedError struct {
	AccessorID string // the token's; "" for "provided token"
	Kind       string // the rule kind checked: "key", "node", "operator"...
	Access     string // "read", "list" or "write"
	Name       string // the resource; "" for operator, keyring and acl
}

func (e PermissionDeniedError) Error() string {
	who := "provided token"
	switch e.AccessorID {
	case "":
	case api.ACLAnonymousTokenID:
		who = "anonymous token"
	default:
		who = fmt.Sprintf("token with AccessorID '%s'", e.AccessorID)
	}
	msg := fmt.Sprintf("Permission denied: %s lacks permission '%s:%s'", who, e.Kind, e.Access)
	if e.Name != "" {
		msg += fmt.Sprintf(" on %q", e.Name)
	}
	if e.AccessorID == api.ACLAnonymousTokenID {
		msg += ". The anonymous token is used implicitly when a request does not specify a token."
	}
	return msg
}

// Is makes errors.Is(err, ErrPermissionDenied) hold.
func (e PermissionDeniedError) Is(target error) bool { return target == ErrPermissionDenied }

// StreamPrefix is the key prefix whose rules govern Concord's durable
// streams: appending to topic t is a write of key "_stream/t", reading it
// a read, so `key_prefix "_stream/orders" { policy = "write" }` lets a
// token use the topics that start with "orders".
const StreamPrefix = "_stream/"

// Authorize decides a call by the resources its declaration names (see
// call.Desc.Resources): nil if the token may touch them all, else a
// PermissionDeniedError for the first one refused, naming accessorID. A
// call refused on one resource is refused whole (a transaction with one
// denied operation does nothing).
//
// Each resource maps to a check as follows:
//
//	key:read|write|list       read, write or list on the key Name
//	key_prefix:read|list      allowed, the results filtered key by key
//	                          (FilterKVPairs, FilterKeys); with
//	                          Options.KeyListPolicy, list on the prefix
//	key_prefix:write          write on every key under Name (KeyWritePrefix),
//	                          as a recursive delete needs
//	node|service|session:write  write on Name (a session's Name is its node)
//	node|service|session:read   allowed: Consul answers these reads by
//	                          leaving out what the token may not read, so
//	                          their results must go through the Filter
//	                          methods (an unfiltered read leaks); with
//	                          Exact, read on Name
//	event|query|agent:read|write  read or write on Name
//	operator|keyring|acl:read|write  the single rule of that kind
//	stream:read|write         key read or write on StreamPrefix+Name
//	status:*                  always allowed: leader and peers are public
//
// An unknown kind or access is refused with a plain error (a call
// declared wrongly), never allowed.
func (a *Authorizer) Authorize(accessorID string, rs []call.Resource) error {
	for _, r := range rs {
		if err := a.authorize(accessorID, r); err != nil {
			return err
		}
	}
	return nil
}

func (a *Authorizer) authorize(accessorID string, r call.Resource) error {
	want, ok := parseWant(r.Access)
	if !ok {
		return fmt.Errorf("acl: cannot authorize %s:%s on %q: unknown access", r.Kind, r.Access, r.Name)
	}
	kind, name := r.Kind, r.Name
	var k Kind
	switch kind {
	case "status":
		return nil
	case "key_prefix":
		kind = "key"
		switch {
		case want == Write:
			if a.KeyWritePrefix(name) {
				return nil
			}
			return denied(accessorID, kind, want, name)
		case !a.opts.KeyListPolicy:
			return nil // filtered
		}
		k, want = Key, List
	case "stream":
		k, kind, name = Key, "key", StreamPrefix+name
	case "node", "service", "session":
		if want != Write && !r.Exact {
			return nil // filtered
		}
		k, _, _ = parseKind(kind)
	default:
		var prefix bool
		if k, prefix, ok = parseKind(kind); !ok || prefix {
			return fmt.Errorf("acl: cannot authorize %s:%s on %q: unknown resource kind", r.Kind, r.Access, r.Name)
		}
	}
	if want == List && k != Key {
		want = Read
	}
	if a.Allowed(k, name, want) {
		return nil
	}
	return denied(accessorID, kind, want, name)
}

func denied(accessorID, kind string, want Access, name string) error {
	return PermissionDeniedError{AccessorID: accessorID, Kind: kind, Access: want.String(), Name: name}
}

func parseWant(s string) (Access, bool) {
	switch s {
	case "read":
		return Read, true
	case "list":
		return List, true
	case "write":
		return Write, true
	}
	return noAccess, false
}

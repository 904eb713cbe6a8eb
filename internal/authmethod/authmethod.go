// Package authmethod checks auth methods' configurations and the bearer
// tokens presented to /v1/acl/login, and applies binding rules to the
// identity a login verifies. It holds no state; the server keeps the
// methods and rules and asks this package.
//
// The path of a login:
//
//  1. the server reads the auth method and gets its Validator (New; when
//     the method is written, New checks its config and a Checker reaches
//     the remote services it names);
//  2. Validator.Login verifies the bearer token — a kubernetes method by
//     a TokenReview call to the configured API server, a jwt method by
//     the token's signature against JWTValidationPubKeys (or the keys
//     fetched from JWKSURL or an OIDC provider's discovery document) and
//     its claims — and returns the Identity it proves: fields for binding rules'
//     selectors and variables for their bind names;
//  3. Bind runs the method's binding rules on the identity and returns
//     what the new token gets (roles and policies by name, service and
//     node identities); the server links the names and writes the token.
package authmethod

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/concordhq/concord/api"
)

// Validator checks logins through one auth method.
type Validator interface {
	// Login verifies bearer and returns the identity it proves. Its
	// errors say why the token was refused. It may make network calls
	// (kubernetes); ctx bounds them.
	Login(ctx context.Context, bearer string) (*Identity, error)
	// NewIdentity returns a blank identity with every field and variable
	// this method's logins can give, empty: binding rules are checked
	// against it when written.
	NewIdentity() *Identity
}

// Checker is a Validator whose config names remote services (a JWKS
// URL, an OIDC provider): Check reaches them, so that an auth method
// that cannot work is refused when written, as Consul refuses it.
type Checker interface {
	Check(ctx context.Context) error
}

// Identity is what a login proved. Fields is the value binding rules'
// selectors are evaluated on (a struct with bexpr tags); Vars are the
// values a rule's BindName may name as ${name}.
type Identity struct {
	Fields any
	Vars   map[string]string
}

// Types are the auth method types New knows, sorted.
func Types() []string { return []string{api.AuthMethodJWT, api.AuthMethodKubernetes} }

// ErrUnknownType is the error of New for a type not in Types.
var ErrUnknownType = errors.New("authmethod: unknown type")

// New checks m's Config for its Type and returns its Validator. Its
// errors are Consul's texts for a bad config (without the "Invalid Auth
// Method: " the server adds).
func New(m *api.ACLAuthMethod) (Validator, error) {
	switch m.Type {
	case api.AuthMethodKubernetes:
		return newKubernetes(m.Config)
	case api.AuthMethodJWT:
		return newJWT(m.Config)
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownType, m.Type)
}

// decodeConfig decodes a method's Config into out (a pointer to a struct
// of the type's keys), refusing keys the type does not have.
func decodeConfig(raw map[string]any, out any) error {
	data, err := json.Marshal(raw)
	if err != nil {
		return fmt.Errorf("error decoding config: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("error decoding config: %v", err)
	}
	return nil
}

// sortedValues are the values of m, sorted and each once.
func sortedValues(m map[string]string) []string {
	return slices.Compact(slices.Sorted(maps.Values(m)))
}

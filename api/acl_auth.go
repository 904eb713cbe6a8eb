package api

import (
	"encoding/json"
	"fmt"
	"maps"
	"time"
)

// Auth method types Concord can log in with.
const (
	AuthMethodKubernetes = "kubernetes"
	AuthMethodJWT        = "jwt"
)

// ACLAuthMethod is an auth method as /v1/acl/auth-method reads and
// writes it: a way to trade a credential issued elsewhere (a Kubernetes
// service account token, a signed JWT) for a Concord token through
// /v1/acl/login. Name is its key. MaxTokenTTL is written as a duration
// string ("1h0m0s"), as Consul writes it.
type ACLAuthMethod struct {
	Name        string
	Type        string
	DisplayName string        `json:",omitempty"`
	Description string        `json:",omitempty"`
	MaxTokenTTL time.Duration `json:",omitempty"`
	// TokenLocality is "local" (the default, "" too) or "global": the
	// kind of token a login makes.
	TokenLocality string `json:",omitempty"`
	// Config is the type's settings (Host, CACert, ... for kubernetes;
	// JWTValidationPubKeys, BoundAudiences, ClaimMappings, ... for jwt).
	Config      map[string]any
	CreateIndex uint64
	ModifyIndex uint64
}

// marshalTTL encodes plain (a method-less copy of an auth method or
// list entry) with its MaxTokenTTL as a duration string, left out when 0.
func marshalTTL(plain any, ttl time.Duration) ([]byte, error) {
	data, err := json.Marshal(plain)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, err
	}
	delete(fields, "MaxTokenTTL")
	if ttl != 0 {
		fields["MaxTokenTTL"], _ = json.Marshal(ttl.String())
	}
	return json.Marshal(fields)
}

// unmarshalTTL decodes data into plain (a method-less pointer to an auth
// method or list entry) and its MaxTokenTTL, a duration string or
// nanoseconds, into ttl.
func unmarshalTTL(data []byte, plain any, ttl *time.Duration) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return err
	}
	d, err := decodeDuration(fields["MaxTokenTTL"])
	if err != nil {
		return fmt.Errorf("MaxTokenTTL: %w", err)
	}
	delete(fields, "MaxTokenTTL")
	rest, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(rest, plain); err != nil {
		return err
	}
	*ttl = d
	return nil
}

// MarshalJSON writes MaxTokenTTL as a duration string.
func (m ACLAuthMethod) MarshalJSON() ([]byte, error) {
	type plain ACLAuthMethod
	return marshalTTL(plain(m), m.MaxTokenTTL)
}

// UnmarshalJSON takes MaxTokenTTL as a duration string or nanoseconds.
func (m *ACLAuthMethod) UnmarshalJSON(data []byte) error {
	type plain ACLAuthMethod
	return unmarshalTTL(data, (*plain)(m), &m.MaxTokenTTL)
}

// Clone returns a copy of m whose Config map is its own (the values are
// shared: they are never changed in place).
func (m *ACLAuthMethod) Clone() *ACLAuthMethod {
	c := *m
	c.Config = maps.Clone(m.Config)
	return &c
}

// ListEntry is m as /v1/acl/auth-methods lists it: without its Config.
func (m *ACLAuthMethod) ListEntry() *ACLAuthMethodListEntry {
	return &ACLAuthMethodListEntry{Name: m.Name, Type: m.Type, DisplayName: m.DisplayName, Description: m.Description,
		MaxTokenTTL: m.MaxTokenTTL, TokenLocality: m.TokenLocality, CreateIndex: m.CreateIndex, ModifyIndex: m.ModifyIndex}
}

// ACLAuthMethodListEntry is an auth method as /v1/acl/auth-methods lists it.
type ACLAuthMethodListEntry struct {
	Name          string
	Type          string
	DisplayName   string        `json:",omitempty"`
	Description   string        `json:",omitempty"`
	MaxTokenTTL   time.Duration `json:",omitempty"`
	TokenLocality string        `json:",omitempty"`
	CreateIndex   uint64
	ModifyIndex   uint64
}

// MarshalJSON writes MaxTokenTTL as a duration string.
func (e ACLAuthMethodListEntry) MarshalJSON() ([]byte, error) {
	type plain ACLAuthMethodListEntry
	return marshalTTL(plain(e), e.MaxTokenTTL)
}

// UnmarshalJSON takes MaxTokenTTL as a duration string or nanoseconds.
func (e *ACLAuthMethodListEntry) UnmarshalJSON(data []byte) error {
	type plain ACLAuthMethodListEntry
	return unmarshalTTL(data, (*plain)(e), &e.MaxTokenTTL)
}

// Binding rule types: what a matching rule gives the token a login makes.
const (
	BindTypeService = "service" // a service identity named BindName
	BindTypeNode    = "node"    // a node identity named BindName, in this datacenter
	BindTypeRole    = "role"    // a link to the role named BindName, if it exists
	BindTypePolicy  = "policy"  // a link to the policy named BindName, if it exists
)

// ACLBindingRule is a binding rule as /v1/acl/binding-rule reads and
// writes it: when a login through AuthMethod verifies an identity that
// Selector (a go-bexpr expression; "" matches all) matches, the token
// gets what BindType names, BindName with ${var} filled in from the
// identity.
type ACLBindingRule struct {
	ID          string
	Description string
	AuthMethod  string
	Selector    string
	BindType    string
	BindName    string
	CreateIndex uint64
	ModifyIndex uint64
}

// ACLLoginParams is the body of /v1/acl/login.
type ACLLoginParams struct {
	AuthMethod  string
	BearerToken string
	Meta        map[string]string `json:",omitempty"`
}

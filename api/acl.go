package api

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Built-in ACL objects, with the IDs Consul gives them.
const (
	// ACLManagementPolicyID is the global-management policy, which allows
	// everything; a token linked to it is a management token.
	ACLManagementPolicyID   = "00000000-0000-0000-0000-000000000001"
	ACLManagementPolicyName = "global-management"
	// ACLReadOnlyPolicyID is the builtin/global-read-only policy, which
	// reads everything.
	ACLReadOnlyPolicyID   = "00000000-0000-0000-0000-000000000002"
	ACLReadOnlyPolicyName = "builtin/global-read-only"
	// ACLAnonymousTokenID is the AccessorID of the anonymous token: the
	// token of requests that carry none. Its SecretID is "anonymous".
	ACLAnonymousTokenID     = "00000000-0000-0000-0000-000000000002"
	ACLAnonymousTokenSecret = "anonymous"
)

// ACLLink names a policy or role a token or role is linked to. Writes may
// give either field; reads give both, with the current name.
type ACLLink struct {
	ID   string
	Name string
}

// ACLServiceIdentity grants what a service instance needs: write on its
// service (and its sidecar proxy), read on every service and node.
type ACLServiceIdentity struct {
	ServiceName string
	Datacenters []string `json:",omitempty"` // only there; every datacenter when empty
}

// ACLNodeIdentity grants what a node's agent needs: write on the node,
// read on every service, in one datacenter.
type ACLNodeIdentity struct {
	NodeName   string
	Datacenter string
}

// ACLToken is a token as /v1/acl/token reads and writes it. On writes,
// ExpirationTTL (nanoseconds, or a duration string such as "1h") sets
// ExpirationTime from the creation time.
type ACLToken struct {
	CreateIndex       uint64
	ModifyIndex       uint64
	AccessorID        string
	SecretID          string
	Description       string
	Policies          []*ACLLink            `json:",omitempty"`
	Roles             []*ACLLink            `json:",omitempty"`
	ServiceIdentities []*ACLServiceIdentity `json:",omitempty"`
	NodeIdentities    []*ACLNodeIdentity    `json:",omitempty"`
	Local             bool
	AuthMethod        string        `json:",omitempty"`
	ExpirationTTL     time.Duration `json:",omitempty"`
	ExpirationTime    *time.Time    `json:",omitempty"`
	CreateTime        time.Time
	Hash              []byte `json:",omitempty"`
}

// UnmarshalJSON takes ExpirationTTL as nanoseconds (the Go client) or a
// duration string (curl and other clients, as Consul takes it).
func (t *ACLToken) UnmarshalJSON(data []byte) error {
	type plain ACLToken
	aux := struct {
		*plain
		ExpirationTTL json.RawMessage `json:",omitempty"`
	}{plain: (*plain)(t)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	d, err := decodeDuration(aux.ExpirationTTL)
	if err != nil {
		return fmt.Errorf("ExpirationTTL: %w", err)
	}
	t.ExpirationTTL = d
	return nil
}

// decodeDuration reads a duration written as nanoseconds or as "1h30m";
// absent or null is 0.
func decodeDuration(raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return time.ParseDuration(s)
	}
	var n int64
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, fmt.Errorf("must be a duration string or integer nanoseconds")
	}
	return time.Duration(n), nil
}

// Clone returns a deep copy of t.
func (t *ACLToken) Clone() *ACLToken {
	c := *t
	c.Policies = cloneLinks(t.Policies)
	c.Roles = cloneLinks(t.Roles)
	c.ServiceIdentities = cloneServiceIdentities(t.ServiceIdentities)
	c.NodeIdentities = cloneNodeIdentities(t.NodeIdentities)
	if t.ExpirationTime != nil {
		exp := *t.ExpirationTime
		c.ExpirationTime = &exp
	}
	c.Hash = slices.Clone(t.Hash)
	return &c
}

// ExpiredAt reports whether t has expired by now.
func (t *ACLToken) ExpiredAt(now time.Time) bool {
	return t.ExpirationTime != nil && !now.Before(*t.ExpirationTime)
}

// ListEntry is t as /v1/acl/tokens lists it.
func (t *ACLToken) ListEntry() *ACLTokenListEntry {
	return &ACLTokenListEntry{
		CreateIndex: t.CreateIndex, ModifyIndex: t.ModifyIndex, AccessorID: t.AccessorID, SecretID: t.SecretID,
		Description: t.Description, Policies: t.Policies, Roles: t.Roles, ServiceIdentities: t.ServiceIdentities,
		NodeIdentities: t.NodeIdentities, Local: t.Local, AuthMethod: t.AuthMethod, ExpirationTime: t.ExpirationTime,
		CreateTime: t.CreateTime, Hash: t.Hash,
	}
}

// ACLTokenExpanded is /v1/acl/token/:id?expanded: the token with the
// policies and roles it draws on, and how the answering agent decides
// what no rule does.
type ACLTokenExpanded struct {
	ExpandedPolicies          []ACLPolicy
	ExpandedRoles             []ACLRole
	NamespaceDefaultPolicyIDs []string
	NamespaceDefaultRoleIDs   []string
	AgentACLDefaultPolicy     string
	AgentACLDownPolicy        string
	ResolvedByAgent           string
	ACLToken
}

// UnmarshalJSON decodes the token and the expansion (the token's own
// UnmarshalJSON would otherwise take the whole object).
func (t *ACLTokenExpanded) UnmarshalJSON(data []byte) error {
	if err := t.ACLToken.UnmarshalJSON(data); err != nil {
		return err
	}
	var aux struct {
		ExpandedPolicies          []ACLPolicy
		ExpandedRoles             []ACLRole
		NamespaceDefaultPolicyIDs []string
		NamespaceDefaultRoleIDs   []string
		AgentACLDefaultPolicy     string
		AgentACLDownPolicy        string
		ResolvedByAgent           string
	}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	t.ExpandedPolicies, t.ExpandedRoles = aux.ExpandedPolicies, aux.ExpandedRoles
	t.NamespaceDefaultPolicyIDs, t.NamespaceDefaultRoleIDs = aux.NamespaceDefaultPolicyIDs, aux.NamespaceDefaultRoleIDs
	t.AgentACLDefaultPolicy, t.AgentACLDownPolicy, t.ResolvedByAgent = aux.AgentACLDefaultPolicy, aux.AgentACLDownPolicy, aux.ResolvedByAgent
	return nil
}

// ACLTokenListEntry is a token as /v1/acl/tokens lists it.
type ACLTokenListEntry struct {
	CreateIndex       uint64
	ModifyIndex       uint64
	AccessorID        string
	SecretID          string
	Description       string
	Policies          []*ACLLink            `json:",omitempty"`
	Roles             []*ACLLink            `json:",omitempty"`
	ServiceIdentities []*ACLServiceIdentity `json:",omitempty"`
	NodeIdentities    []*ACLNodeIdentity    `json:",omitempty"`
	Local             bool
	AuthMethod        string     `json:",omitempty"`
	ExpirationTime    *time.Time `json:",omitempty"`
	CreateTime        time.Time
	Hash              []byte
	Legacy            bool
}

// ACLPolicy is a policy as /v1/acl/policy reads and writes it.
type ACLPolicy struct {
	ID          string
	Name        string
	Description string
	Rules       string
	Datacenters []string
	Hash        []byte
	CreateIndex uint64
	ModifyIndex uint64
}

// Clone returns a deep copy of p.
func (p *ACLPolicy) Clone() *ACLPolicy {
	c := *p
	c.Datacenters = slices.Clone(p.Datacenters)
	c.Hash = slices.Clone(p.Hash)
	return &c
}

// ListEntry is p as /v1/acl/policies lists it.
func (p *ACLPolicy) ListEntry() *ACLPolicyListEntry {
	return &ACLPolicyListEntry{ID: p.ID, Name: p.Name, Description: p.Description, Datacenters: p.Datacenters,
		Hash: p.Hash, CreateIndex: p.CreateIndex, ModifyIndex: p.ModifyIndex}
}

// ACLPolicyListEntry is a policy as /v1/acl/policies lists it: without
// its rules.
type ACLPolicyListEntry struct {
	ID          string
	Name        string
	Description string
	Datacenters []string
	Hash        []byte
	CreateIndex uint64
	ModifyIndex uint64
}

// ACLRole is a role as /v1/acl/role reads and writes it: a named set of
// policies and identities that tokens link to.
type ACLRole struct {
	ID                string
	Name              string
	Description       string
	Policies          []*ACLLink            `json:",omitempty"`
	ServiceIdentities []*ACLServiceIdentity `json:",omitempty"`
	NodeIdentities    []*ACLNodeIdentity    `json:",omitempty"`
	Hash              []byte
	CreateIndex       uint64
	ModifyIndex       uint64
}

// Clone returns a deep copy of r.
func (r *ACLRole) Clone() *ACLRole {
	c := *r
	c.Policies = cloneLinks(r.Policies)
	c.ServiceIdentities = cloneServiceIdentities(r.ServiceIdentities)
	c.NodeIdentities = cloneNodeIdentities(r.NodeIdentities)
	c.Hash = slices.Clone(r.Hash)
	return &c
}

// ACLBootstrapRequest is the optional body of PUT /v1/acl/bootstrap: the
// secret the bootstrap token is to have ("" for a new one).
type ACLBootstrapRequest struct {
	BootstrapSecret string
}

// cloneEach copies a list of pointers, each element by clone; nil
// elements stay nil.
func cloneEach[T any](xs []*T, clone func(T) T) []*T {
	if xs == nil {
		return nil
	}
	out := make([]*T, len(xs))
	for i, x := range xs {
		if x != nil {
			c := clone(*x)
			out[i] = &c
		}
	}
	return out
}

func same[T any](x T) T { return x }

func cloneLinks(ls []*ACLLink) []*ACLLink { return cloneEach(ls, same[ACLLink]) }

func cloneServiceIdentities(ids []*ACLServiceIdentity) []*ACLServiceIdentity {
	return cloneEach(ids, func(id ACLServiceIdentity) ACLServiceIdentity {
		id.Datacenters = slices.Clone(id.Datacenters)
		return id
	})
}

func cloneNodeIdentities(ids []*ACLNodeIdentity) []*ACLNodeIdentity {
	return cloneEach(ids, same[ACLNodeIdentity])
}

// ACLReplicationStatus is /v1/acl/replication: whether this datacenter
// replicates the primary datacenter's ACLs (Enabled), whether its leader
// is at it (Running), and how far and how well it got.
type ACLReplicationStatus struct {
	Enabled              bool
	Running              bool
	SourceDatacenter     string
	ReplicationType      string
	ReplicatedIndex      uint64
	ReplicatedRoleIndex  uint64
	ReplicatedTokenIndex uint64
	LastSuccess          time.Time
	LastError            time.Time
	LastErrorMessage     string
}

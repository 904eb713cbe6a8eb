package call

import "github.com/concordhq/concord/api"

// ACL objects: tokens, policies, roles and the bootstrap. Managing them
// needs an acl rule (acl = "read" or "write"); the bootstrap and a token
// reading itself need none (the status kind is always allowed).

const aclKind = "acl"

type (
	// ACLBootstrapArgs asks for the first management token.
	ACLBootstrapArgs struct {
		Secret string // the token's SecretID; "" for a new one
	}
	// ACLTokenSetArgs creates (Create) or updates a token.
	ACLTokenSetArgs struct {
		Token  *api.ACLToken
		Create bool
	}
	ACLTokenIDArgs struct{ AccessorID string }
	// ACLTokenCloneArgs copies a token's links under new IDs.
	ACLTokenCloneArgs struct {
		AccessorID  string
		Description string
	}
	ACLTokenReadArgs struct {
		Query
		AccessorID string
	}
	// ACLTokenSelfArgs reads the token the call is made with (TokenFrom).
	ACLTokenSelfArgs struct{ Query }
	// ACLTokenListArgs lists tokens, only those linked to Policy or Role
	// (IDs) or with a service identity for ServiceName when set.
	ACLTokenListArgs struct {
		Query
		Policy, Role, ServiceName, AuthMethod string
	}
	ACLPolicySetArgs struct {
		Policy *api.ACLPolicy
		Create bool
	}
	// ACLIDArgs names one policy or role.
	ACLIDArgs     struct{ ID string }
	ACLObjectArgs struct {
		Query
		ID, Name string // by ID, or by Name when ID is ""
	}
	ACLListArgs struct{ Query }
	// ACLReplicaSet is what a secondary datacenter copies from the
	// primary: every policy and role, and every global token with its
	// secret.
	ACLReplicaSet struct {
		Policies []*api.ACLPolicy
		Roles    []*api.ACLRole
		Tokens   []*api.ACLToken
	}
	ACLRoleSetArgs struct {
		Role   *api.ACLRole
		Create bool
	}
)

// aclAccess is what every ACL management call touches.
func aclAccess(access string) func(any) []Resource {
	return func(any) []Resource { return one(aclKind, "", access) }
}

// open is a call anyone may make: bootstrap, reading one's own token.
func open(any) []Resource { return one(status, "", read) }

func res[A any](f func(any) []Resource) func(*A) []Resource {
	return func(a *A) []Resource { return f(a) }
}

var (
	ACLBootstrap = declare[ACLBootstrapArgs, *api.ACLToken]("ACLBootstrap", Write, res[ACLBootstrapArgs](open))

	ACLTokenSet = declare[ACLTokenSetArgs, *api.ACLToken]("ACLTokenSet", Write,
		res[ACLTokenSetArgs](aclAccess(write)))
	ACLTokenDelete = declare[ACLTokenIDArgs, struct{}]("ACLTokenDelete", Write,
		res[ACLTokenIDArgs](aclAccess(write)))
	ACLTokenClone = declare[ACLTokenCloneArgs, *api.ACLToken]("ACLTokenClone", Write,
		res[ACLTokenCloneArgs](aclAccess(write)))
	ACLTokenRead = declare[ACLTokenReadArgs, Result[*api.ACLToken]]("ACLTokenRead", Read,
		res[ACLTokenReadArgs](aclAccess(read)))
	ACLTokenReadExpanded = declare[ACLTokenReadArgs, Result[*api.ACLTokenExpanded]]("ACLTokenReadExpanded", Read,
		res[ACLTokenReadArgs](aclAccess(read)))
	ACLTokenSelf = declare[ACLTokenSelfArgs, Result[*api.ACLToken]]("ACLTokenSelf", Read,
		res[ACLTokenSelfArgs](open))
	ACLTokenList = declare[ACLTokenListArgs, Result[[]*api.ACLTokenListEntry]]("ACLTokenList", Read,
		res[ACLTokenListArgs](aclAccess(read)))

	ACLPolicySet = declare[ACLPolicySetArgs, *api.ACLPolicy]("ACLPolicySet", Write,
		res[ACLPolicySetArgs](aclAccess(write)))
	ACLPolicyDelete = declare[ACLIDArgs, struct{}]("ACLPolicyDelete", Write, res[ACLIDArgs](aclAccess(write)))
	ACLPolicyRead   = declare[ACLObjectArgs, Result[*api.ACLPolicy]]("ACLPolicyRead", Read,
		res[ACLObjectArgs](aclAccess(read)))
	ACLPolicyList = declare[ACLListArgs, Result[[]*api.ACLPolicyListEntry]]("ACLPolicyList", Read,
		res[ACLListArgs](aclAccess(read)))

	ACLRoleSet = declare[ACLRoleSetArgs, *api.ACLRole]("ACLRoleSet", Write,
		res[ACLRoleSetArgs](aclAccess(write)))
	ACLRoleDelete = declare[ACLIDArgs, struct{}]("ACLRoleDelete", Write, res[ACLIDArgs](aclAccess(write)))
	ACLRoleRead   = declare[ACLObjectArgs, Result[*api.ACLRole]]("ACLRoleRead", Read,
		res[ACLObjectArgs](aclAccess(read)))
	ACLRoleList = declare[ACLListArgs, Result[[]*api.ACLRole]]("ACLRoleList", Read,
		res[ACLListArgs](aclAccess(read)))

	// ACLReplication is the replication status: public, as in Consul;
	// the leader, which replicates, answers it.
	ACLReplication = declare[ACLListArgs, Result[*api.ACLReplicationStatus]]("ACLReplication", Read,
		res[ACLListArgs](open))
	// ACLReplicate is the blocking read a secondary datacenter's leader
	// makes of the primary's ACLs; it reads secrets, so it needs acl write.
	ACLReplicate = declare[ACLListArgs, Result[*ACLReplicaSet]]("ACLReplicate", Read,
		res[ACLListArgs](aclAccess(write)))
)

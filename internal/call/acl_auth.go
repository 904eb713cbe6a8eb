package call

import "github.com/concordhq/concord/api"

// Auth methods, binding rules, login and logout. Managing methods and
// rules needs acl read or write, as other ACL objects; anyone may log in
// (the bearer token is the credential) or log out (the server checks the
// call's own token).

type (
	ACLAuthMethodSetArgs struct{ Method *api.ACLAuthMethod }
	ACLAuthMethodArgs    struct {
		Query
		Name string
	}
	ACLBindingRuleSetArgs struct {
		Rule   *api.ACLBindingRule
		Create bool
	}
	ACLBindingRuleArgs struct {
		Query
		ID string
	}
	// ACLBindingRuleListArgs lists the rules of AuthMethod, or all.
	ACLBindingRuleListArgs struct {
		Query
		AuthMethod string
	}
	ACLLoginArgs  struct{ Params *api.ACLLoginParams }
	ACLLogoutArgs struct{}
)

var (
	ACLAuthMethodSet = declare[ACLAuthMethodSetArgs, *api.ACLAuthMethod]("ACLAuthMethodSet", Write,
		res[ACLAuthMethodSetArgs](aclAccess(write)))
	ACLAuthMethodDelete = declare[ACLAuthMethodArgs, struct{}]("ACLAuthMethodDelete", Write,
		res[ACLAuthMethodArgs](aclAccess(write)))
	ACLAuthMethodRead = declare[ACLAuthMethodArgs, Result[*api.ACLAuthMethod]]("ACLAuthMethodRead", Read,
		res[ACLAuthMethodArgs](aclAccess(read)))
	ACLAuthMethodList = declare[ACLListArgs, Result[[]*api.ACLAuthMethodListEntry]]("ACLAuthMethodList", Read,
		res[ACLListArgs](aclAccess(read)))

	ACLBindingRuleSet = declare[ACLBindingRuleSetArgs, *api.ACLBindingRule]("ACLBindingRuleSet", Write,
		res[ACLBindingRuleSetArgs](aclAccess(write)))
	ACLBindingRuleDelete = declare[ACLBindingRuleArgs, struct{}]("ACLBindingRuleDelete", Write,
		res[ACLBindingRuleArgs](aclAccess(write)))
	ACLBindingRuleRead = declare[ACLBindingRuleArgs, Result[*api.ACLBindingRule]]("ACLBindingRuleRead", Read,
		res[ACLBindingRuleArgs](aclAccess(read)))
	ACLBindingRuleList = declare[ACLBindingRuleListArgs, Result[[]*api.ACLBindingRule]]("ACLBindingRuleList", Read,
		res[ACLBindingRuleListArgs](aclAccess(read)))

	ACLLogin  = declare[ACLLoginArgs, *api.ACLToken]("ACLLogin", Write, res[ACLLoginArgs](open))
	ACLLogout = declare[ACLLogoutArgs, struct{}]("ACLLogout", Write, res[ACLLogoutArgs](open))
)

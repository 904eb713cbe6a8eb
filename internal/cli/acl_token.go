package cli

import (
	"context"
	"io"
	"time"

	consulapi "github.com/hashicorp/consul/api"
)

// aclTokenCommands are the subcommands of `concord acl token`.
var aclTokenCommands = []command{
	{name: "clone", synopsis: "Clone an ACL token", run: runTokenClone},
	{name: "create", synopsis: "Create an ACL token", run: runTokenCreate},
	{name: "delete", synopsis: "Delete an ACL token", run: runTokenDelete},
	{name: "list", synopsis: "List ACL tokens", run: runTokenList},
	{name: "read", synopsis: "Read an ACL token", run: runTokenRead},
	{name: "update", synopsis: "Update an ACL token", run: runTokenUpdate},
}

func runACLToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "Usage: concord acl token <subcommand> [options] [args]", aclTokenCommands, args, stdout, stderr)
}

const tokenCreateUsage = `
Usage: concord acl token create [options]

  Creates a token linked to the policies, roles and identities given, and
  prints it; its SecretID is what a client sends as its token.

      $ concord acl token create -description "web app" -policy-name web-kv
`

func runTokenCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	var l links
	var description, accessor, secret string
	var local bool
	var ttl time.Duration
	fs := newFlagSet(tokenCreateUsage, stderr)
	c.register(fs)
	l.registerPolicies(fs, "token")
	l.registerRoles(fs)
	fs.StringVar(&description, "description", "", "A description of the token.")
	fs.StringVar(&accessor, "accessor", "", "The token's AccessorID (a UUID); generated when not given.")
	fs.StringVar(&secret, "secret", "", "The token's SecretID (a UUID); generated when not given.")
	fs.BoolVar(&local, "local", false, "Make the token local to this datacenter.")
	fs.DurationVar(&ttl, "expires-ttl", 0, "How long the token is valid for; forever when not given.")
	acl, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	t := &consulapi.ACLToken{AccessorID: accessor, SecretID: secret, Description: description, Local: local,
		ExpirationTTL: ttl}
	if err := l.fill(acl, t); err != nil {
		return verbatimf("%v", err)
	}
	created, _, err := acl.TokenCreate(t, nil)
	if err != nil {
		return verbatimf("Failed to create new token: %v", err)
	}
	return c.print(stdout, created, func(w io.Writer) { writeToken(w, viewToken(created), c.meta) })
}

// fill sets the token's policies, roles and identities from the flags.
func (l *links) fill(acl *consulapi.ACL, t *consulapi.ACLToken) error {
	var err error
	if t.Policies, err = l.policies(acl); err != nil {
		return err
	}
	if t.Roles, err = l.roles(acl); err != nil {
		return err
	}
	if t.ServiceIdentities, err = l.serviceIdentities(); err != nil {
		return err
	}
	t.NodeIdentities, err = l.nodeIdentities()
	return err
}

const tokenReadUsage = `
Usage: concord acl token read [options] (-id ID | -self)

  Prints a token. -id takes an AccessorID, a unique prefix of one, or
  "anonymous"; -self reads the token the command itself uses.
`

func runTokenRead(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	var id string
	var self bool
	fs := newFlagSet(tokenReadUsage, stderr)
	c.register(fs)
	fs.StringVar(&id, "id", "", "AccessorID of the token to read (or a unique prefix).")
	fs.BoolVar(&self, "self", false, "Read the token given with -token (or the environment).")
	acl, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	var t *consulapi.ACLToken
	switch {
	case self:
		if t, _, err = acl.TokenReadSelf(nil); err != nil {
			return verbatimf("Error reading the token: %v", err)
		}
	case id == "":
		return verbatimf("Must specify the -id parameter")
	default:
		full, err := tokenID(acl, id)
		if err != nil {
			return verbatimf("Error determining token ID: %v", err)
		}
		if t, _, err = acl.TokenRead(full, nil); err != nil {
			return verbatimf("Error reading token %q: %v", full, err)
		}
	}
	return c.print(stdout, t, func(w io.Writer) { writeToken(w, viewToken(t), c.meta) })
}

const tokenUpdateUsage = `
Usage: concord acl token update [options] -id ID

  Changes a token. Only what is given changes: -policy-id/-policy-name
  replace the token's policies (-append-policy-id/-append-policy-name add
  to them), and likewise for roles; -service-identity and -node-identity
  replace those identities unless -merge-service-identities or
  -merge-node-identities is given. Whether a token is local cannot change.
`

func runTokenUpdate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	var l, add links
	var id, description string
	var mergeServices, mergeNodes bool
	fs := newFlagSet(tokenUpdateUsage, stderr)
	c.register(fs)
	l.registerPolicies(fs, "token")
	l.registerRoles(fs)
	fs.StringVar(&id, "id", "", "AccessorID of the token to update (or a unique prefix).")
	fs.StringVar(&description, "description", "", "A new description of the token.")
	fs.Var(&add.policyIDs, "append-policy-id", "ID of a policy to add to the token. May be given more than once.")
	fs.Var(&add.policyNames, "append-policy-name", "Name of a policy to add to the token. May be given more than once.")
	fs.Var(&add.roleIDs, "append-role-id", "ID of a role to add to the token. May be given more than once.")
	fs.Var(&add.roleNames, "append-role-name", "Name of a role to add to the token. May be given more than once.")
	fs.BoolVar(&mergeServices, "merge-service-identities", false, "Add -service-identity to the token's service identities.")
	fs.BoolVar(&mergeNodes, "merge-node-identities", false, "Add -node-identity to the token's node identities.")
	acl, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if id == "" {
		return verbatimf("Cannot update a token without specifying the -id parameter")
	}
	full, err := tokenID(acl, id)
	if err != nil {
		return verbatimf("Error determining token ID: %v", err)
	}
	t, _, err := acl.TokenRead(full, nil)
	if err != nil {
		return verbatimf("Error when retrieving current token: %v", err)
	}
	if flagGiven(fs, "description") {
		t.Description = description
	}
	if err := l.update(acl, t, &add, mergeServices, mergeNodes); err != nil {
		return verbatimf("%v", err)
	}
	t.ExpirationTTL = 0 // the token keeps its ExpirationTime
	updated, _, err := acl.TokenUpdate(t, nil)
	if err != nil {
		return verbatimf("Failed to update token %s: %v", full, err)
	}
	if c.format == "pretty" {
		io.WriteString(stdout, "Token updated successfully.\n")
	}
	return c.print(stdout, updated, func(w io.Writer) { writeToken(w, viewToken(updated), c.meta) })
}

// update applies the flags of `acl token update` to t: links given replace
// the token's, links in add are added to them.
func (l *links) update(acl *consulapi.ACL, t *consulapi.ACLToken, add *links, mergeServices, mergeNodes bool) error {
	policies, err := l.policies(acl)
	if err != nil {
		return err
	}
	if len(policies) > 0 {
		t.Policies = policies
	}
	if policies, err = add.policies(acl); err != nil {
		return err
	}
	t.Policies = append(t.Policies, policies...)
	roles, err := l.roles(acl)
	if err != nil {
		return err
	}
	if len(roles) > 0 {
		t.Roles = roles
	}
	if roles, err = add.roles(acl); err != nil {
		return err
	}
	t.Roles = append(t.Roles, roles...)
	services, err := l.serviceIdentities()
	if err != nil {
		return err
	}
	switch {
	case mergeServices:
		t.ServiceIdentities = append(t.ServiceIdentities, services...)
	case len(services) > 0:
		t.ServiceIdentities = services
	}
	nodes, err := l.nodeIdentities()
	if err != nil {
		return err
	}
	switch {
	case mergeNodes:
		t.NodeIdentities = append(t.NodeIdentities, nodes...)
	case len(nodes) > 0:
		t.NodeIdentities = nodes
	}
	return nil
}

const tokenCloneUsage = `
Usage: concord acl token clone [options] -id ID

  Creates a new token with the same policies, roles and identities as the
  token given, and a new AccessorID and SecretID.
`

func runTokenClone(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	var id, description string
	fs := newFlagSet(tokenCloneUsage, stderr)
	c.register(fs)
	fs.StringVar(&id, "id", "", "AccessorID of the token to clone (or a unique prefix).")
	fs.StringVar(&description, "description", "", "A description of the new token.")
	acl, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if id == "" {
		return verbatimf("Cannot clone a token without specifying the -id parameter")
	}
	full, err := tokenID(acl, id)
	if err != nil {
		return verbatimf("Error determining token ID: %v", err)
	}
	t, _, err := acl.TokenClone(full, description, nil)
	if err != nil {
		return verbatimf("Failed to clone token: %v", err)
	}
	if c.format == "pretty" {
		io.WriteString(stdout, "Token cloned successfully.\n")
	}
	return c.print(stdout, t, func(w io.Writer) { writeToken(w, viewToken(t), c.meta) })
}

const tokenDeleteUsage = `
Usage: concord acl token delete [options] -id ID

  Deletes a token; clients using its SecretID are refused from then on.
`

func runTokenDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	var id string
	fs := newFlagSet(tokenDeleteUsage, stderr)
	c.register(fs)
	fs.StringVar(&id, "id", "", "AccessorID of the token to delete (or a unique prefix).")
	acl, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if id == "" {
		return verbatimf("Must specify the -id parameter")
	}
	full, err := tokenID(acl, id)
	if err != nil {
		return verbatimf("Error determining token ID: %v", err)
	}
	if _, err := acl.TokenDelete(full, nil); err != nil {
		return verbatimf("Error deleting token %q: %v", full, err)
	}
	io.WriteString(stdout, "Token \""+full+"\" deleted successfully\n")
	return nil
}

const tokenListUsage = `
Usage: concord acl token list [options]

  Prints every token the caller may read.
`

func runTokenList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	fs := newFlagSet(tokenListUsage, stderr)
	c.register(fs)
	acl, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	list, _, err := acl.TokenList(nil)
	if err != nil {
		return verbatimf("Failed to retrieve the token list: %v", err)
	}
	return c.print(stdout, list, func(w io.Writer) { writeTokens(w, list, c.meta) })
}

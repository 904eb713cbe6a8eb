package cli

import (
	"context"
	"io"

	consulapi "github.com/hashicorp/consul/api"
)

// aclRoleCommands are the subcommands of `concord acl role`.
var aclRoleCommands = []command{
	{name: "create", synopsis: "Create an ACL role", run: runRoleCreate},
	{name: "delete", synopsis: "Delete an ACL role", run: runRoleDelete},
	{name: "list", synopsis: "List ACL roles", run: runRoleList},
	{name: "read", synopsis: "Read an ACL role", run: runRoleRead},
	{name: "update", synopsis: "Update an ACL role", run: runRoleUpdate},
}

func runACLRole(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "Usage: concord acl role <subcommand> [options] [args]", aclRoleCommands, args, stdout, stderr)
}

// fillRole sets the role's policies and identities from the flags; with
// merge, only those given replace the role's.
func (l *links) fillRole(acl *consulapi.ACL, r *consulapi.ACLRole, merge bool) error {
	policies, err := l.policies(acl)
	if err != nil {
		return err
	}
	services, err := l.serviceIdentities()
	if err != nil {
		return err
	}
	nodes, err := l.nodeIdentities()
	if err != nil {
		return err
	}
	if !merge || len(policies) > 0 {
		r.Policies = policies
	}
	if !merge || len(services) > 0 {
		r.ServiceIdentities = services
	}
	if !merge || len(nodes) > 0 {
		r.NodeIdentities = nodes
	}
	return nil
}

const roleCreateUsage = `
Usage: concord acl role create -name NAME [options]

  Creates a role: a named set of policies and identities that tokens link
  to with -role-name or -role-id.
`

func runRoleCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	var l links
	var name, description string
	fs := newFlagSet(roleCreateUsage, stderr)
	c.register(fs)
	l.registerPolicies(fs, "role")
	fs.StringVar(&name, "name", "", "The role's name.")
	fs.StringVar(&description, "description", "", "A description of the role.")
	acl, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if name == "" {
		return verbatimf("Missing required '-name' flag")
	}
	r := &consulapi.ACLRole{Name: name, Description: description}
	if err := l.fillRole(acl, r, false); err != nil {
		return verbatimf("%v", err)
	}
	created, _, err := acl.RoleCreate(r, nil)
	if err != nil {
		return verbatimf("Failed to create new role: %v", err)
	}
	return c.print(stdout, created, func(w io.Writer) { writeRole(w, created, c.meta) })
}

// findRole reads the role named by -id (an ID or a unique prefix) or else
// by -name.
func findRole(acl *consulapi.ACL, id, name string) (*consulapi.ACLRole, error) {
	var r *consulapi.ACLRole
	var err error
	switch {
	case id == "" && name == "":
		return nil, verbatimf("Must specify either the -id or -name parameters")
	case id == "":
		if r, _, err = acl.RoleReadByName(name, nil); err != nil {
			return nil, verbatimf("Error reading role %q: %v", name, err)
		}
	default:
		full, err := roleID(acl, id)
		if err != nil {
			return nil, verbatimf("Error determining role ID: %v", err)
		}
		if r, _, err = acl.RoleRead(full, nil); err != nil {
			return nil, verbatimf("Error reading role %q: %v", full, err)
		}
		name = full
	}
	if r == nil {
		return nil, verbatimf("Role not found: %s", name)
	}
	return r, nil
}

const roleReadUsage = `
Usage: concord acl role read [options] (-id ID | -name NAME)

  Prints a role.
`

func runRoleRead(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	acl, id, name, err := c.parseTarget(roleReadUsage, "role", args, stderr)
	if err != nil {
		return err
	}
	r, err := findRole(acl, id, name)
	if err != nil {
		return err
	}
	return c.print(stdout, r, func(w io.Writer) { writeRole(w, r, c.meta) })
}

const roleUpdateUsage = `
Usage: concord acl role update [options] (-id ID | -name NAME)

  Changes a role: only what is given changes, unless -no-merge is given,
  which sets every field to what the flags say. To rename a role, give
  its -id and the new -name.
`

func runRoleUpdate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	var l links
	var id, name, description string
	var noMerge bool
	fs := newFlagSet(roleUpdateUsage, stderr)
	c.register(fs)
	l.registerPolicies(fs, "role")
	fs.StringVar(&id, "id", "", "ID of the role to update (or a unique prefix).")
	fs.StringVar(&name, "name", "", "The role's name (its new name, with -id).")
	fs.StringVar(&description, "description", "", "A description of the role.")
	fs.BoolVar(&noMerge, "no-merge", false, "Replace every field instead of changing only those given.")
	acl, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	lookupName := name
	if id != "" {
		lookupName = ""
	}
	r, err := findRole(acl, id, lookupName)
	if err != nil {
		return err
	}
	if noMerge || name != "" {
		r.Name = name
	}
	if noMerge || flagGiven(fs, "description") {
		r.Description = description
	}
	if err := l.fillRole(acl, r, !noMerge); err != nil {
		return verbatimf("%v", err)
	}
	updated, _, err := acl.RoleUpdate(r, nil)
	if err != nil {
		return verbatimf("Error updating role %q: %v", r.ID, err)
	}
	if c.format == "pretty" {
		io.WriteString(stdout, "Role updated successfully\n")
	}
	return c.print(stdout, updated, func(w io.Writer) { writeRole(w, updated, c.meta) })
}

const roleDeleteUsage = `
Usage: concord acl role delete [options] (-id ID | -name NAME)

  Deletes a role; tokens linked to it lose what it granted.
`

func runRoleDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	acl, id, name, err := c.parseTarget(roleDeleteUsage, "role", args, stderr)
	if err != nil {
		return err
	}
	r, err := findRole(acl, id, name)
	if err != nil {
		return err
	}
	if _, err := acl.RoleDelete(r.ID, nil); err != nil {
		return verbatimf("Error deleting role %q: %v", r.ID, err)
	}
	io.WriteString(stdout, "Role \""+r.ID+"\" deleted successfully\n")
	return nil
}

const roleListUsage = `
Usage: concord acl role list [options]

  Prints every role.
`

func runRoleList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	fs := newFlagSet(roleListUsage, stderr)
	c.register(fs)
	acl, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	list, _, err := acl.RoleList(nil)
	if err != nil {
		return verbatimf("Failed to retrieve the role list: %v", err)
	}
	return c.print(stdout, list, func(w io.Writer) { writeRoles(w, list, c.meta) })
}

package cli

import (
	"context"
	"flag"
	"io"

	consulapi "github.com/hashicorp/consul/api"
)

// aclPolicyCommands are the subcommands of `concord acl policy`.
var aclPolicyCommands = []command{
	{name: "create", synopsis: "Create an ACL policy", run: runPolicyCreate},
	{name: "delete", synopsis: "Delete an ACL policy", run: runPolicyDelete},
	{name: "list", synopsis: "List ACL policies", run: runPolicyList},
	{name: "read", synopsis: "Read an ACL policy", run: runPolicyRead},
	{name: "update", synopsis: "Update an ACL policy", run: runPolicyUpdate},
}

func runACLPolicy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "Usage: concord acl policy <subcommand> [options] [args]", aclPolicyCommands, args, stdout, stderr)
}

// policyFields are the flags that set a policy's fields.
type policyFields struct {
	name, description, rules string
	datacenters              listFlag
}

func (p *policyFields) register(fs *flag.FlagSet) {
	fs.StringVar(&p.name, "name", "", "The policy's name.")
	fs.StringVar(&p.description, "description", "", "A description of the policy.")
	fs.StringVar(&p.rules, "rules", "",
		"The policy's rules (HCL or JSON); @path reads them from a file, - from stdin.")
	fs.Var(&p.datacenters, "valid-datacenter",
		"A datacenter the policy is valid in; all when not given. May be given more than once.")
}

// readRules resolves -rules: the text itself, @file or - for stdin.
func (p *policyFields) readRules() (string, error) {
	if p.rules == "" {
		return "", nil
	}
	b, err := readData(p.rules)
	if err != nil {
		return "", verbatimf("Error loading rules: %v", err)
	}
	return string(b), nil
}

const policyCreateUsage = `
Usage: concord acl policy create -name NAME [options]

  Creates a policy. -rules takes the rules themselves, @path to read them
  from a file, or - to read them from stdin.

      $ concord acl policy create -name web-kv -rules 'key_prefix "web/" { policy = "write" }'
`

func runPolicyCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	var p policyFields
	fs := newFlagSet(policyCreateUsage, stderr)
	c.register(fs)
	p.register(fs)
	acl, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if p.name == "" {
		return verbatimf("Missing required '-name' flag")
	}
	rules, err := p.readRules()
	if err != nil {
		return err
	}
	created, _, err := acl.PolicyCreate(&consulapi.ACLPolicy{Name: p.name, Description: p.description,
		Rules: rules, Datacenters: p.datacenters}, nil)
	if err != nil {
		return verbatimf("Failed to create new policy: %v", err)
	}
	return c.print(stdout, created, func(w io.Writer) { writePolicy(w, created, c.meta) })
}

// findPolicy reads the policy named by -id (an ID, a unique prefix of one,
// or "global-management") or else by -name.
func findPolicy(acl *consulapi.ACL, id, name string) (*consulapi.ACLPolicy, error) {
	if id == "" && name == "" {
		return nil, verbatimf("Must specify either the -id or -name parameters")
	}
	if id == "" {
		p, _, err := acl.PolicyReadByName(name, nil)
		if err != nil {
			return nil, verbatimf("Error reading policy %q: %v", name, err)
		}
		if p == nil {
			return nil, verbatimf("Policy not found with name %q", name)
		}
		return p, nil
	}
	full, err := policyID(acl, id)
	if err != nil {
		return nil, verbatimf("Error determining policy ID: %v", err)
	}
	p, _, err := acl.PolicyRead(full, nil)
	if err != nil {
		return nil, verbatimf("Error reading policy %q: %v", full, err)
	}
	return p, nil
}

const policyReadUsage = `
Usage: concord acl policy read [options] (-id ID | -name NAME)

  Prints a policy with its rules.
`

func runPolicyRead(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	acl, id, name, err := c.parseTarget(policyReadUsage, "policy", args, stderr)
	if err != nil {
		return err
	}
	p, err := findPolicy(acl, id, name)
	if err != nil {
		return err
	}
	return c.print(stdout, p, func(w io.Writer) { writePolicy(w, p, c.meta) })
}

const policyUpdateUsage = `
Usage: concord acl policy update [options] (-id ID | -name NAME)

  Changes a policy: only the fields given change, unless -no-merge is
  given, which sets every field to what the flags say. To rename a policy,
  give its -id and the new -name.
`

func runPolicyUpdate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	var p policyFields
	var id string
	var noMerge bool
	fs := newFlagSet(policyUpdateUsage, stderr)
	c.register(fs)
	p.register(fs)
	fs.StringVar(&id, "id", "", "ID of the policy to update (or a unique prefix).")
	fs.BoolVar(&noMerge, "no-merge", false, "Replace every field instead of changing only those given.")
	acl, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	lookupName := p.name
	if id != "" {
		lookupName = ""
	}
	current, err := findPolicy(acl, id, lookupName)
	if err != nil {
		return err
	}
	rules, err := p.readRules()
	if err != nil {
		return err
	}
	next := &consulapi.ACLPolicy{ID: current.ID, Name: p.name, Description: p.description, Rules: rules,
		Datacenters: p.datacenters}
	if !noMerge {
		next = current
		if p.name != "" {
			next.Name = p.name
		}
		if flagGiven(fs, "description") {
			next.Description = p.description
		}
		if flagGiven(fs, "rules") {
			next.Rules = rules
		}
		if len(p.datacenters) > 0 {
			next.Datacenters = p.datacenters
		}
	}
	updated, _, err := acl.PolicyUpdate(next, nil)
	if err != nil {
		return verbatimf("Error updating policy %q: %v", current.ID, err)
	}
	if c.format == "pretty" {
		io.WriteString(stdout, "Policy updated successfully\n")
	}
	return c.print(stdout, updated, func(w io.Writer) { writePolicy(w, updated, c.meta) })
}

const policyDeleteUsage = `
Usage: concord acl policy delete [options] (-id ID | -name NAME)

  Deletes a policy; tokens and roles linked to it lose what it granted.
`

func runPolicyDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	acl, id, name, err := c.parseTarget(policyDeleteUsage, "policy", args, stderr)
	if err != nil {
		return err
	}
	p, err := findPolicy(acl, id, name)
	if err != nil {
		return err
	}
	if _, err := acl.PolicyDelete(p.ID, nil); err != nil {
		return verbatimf("Error deleting policy %q: %v", p.ID, err)
	}
	io.WriteString(stdout, "Policy \""+p.ID+"\" deleted successfully\n")
	return nil
}

const policyListUsage = `
Usage: concord acl policy list [options]

  Prints every policy, without its rules.
`

func runPolicyList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	fs := newFlagSet(policyListUsage, stderr)
	c.register(fs)
	acl, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	list, _, err := acl.PolicyList(nil)
	if err != nil {
		return verbatimf("Failed to retrieve the policy list: %v", err)
	}
	return c.print(stdout, list, func(w io.Writer) { writePolicies(w, list, c.meta) })
}

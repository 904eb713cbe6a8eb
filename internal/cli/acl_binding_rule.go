package cli

import (
	"context"
	"flag"
	"fmt"
	"io"

	consulapi "github.com/hashicorp/consul/api"
)

// aclBindingRuleCommands are the subcommands of `concord acl binding-rule`.
var aclBindingRuleCommands = []command{
	{name: "create", synopsis: "Create an ACL binding rule", run: runBindingRuleCreate},
	{name: "delete", synopsis: "Delete an ACL binding rule", run: runBindingRuleDelete},
	{name: "list", synopsis: "List ACL binding rules", run: runBindingRuleList},
	{name: "read", synopsis: "Read an ACL binding rule", run: runBindingRuleRead},
	{name: "update", synopsis: "Update an ACL binding rule", run: runBindingRuleUpdate},
}

func runACLBindingRule(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "Usage: concord acl binding-rule <subcommand> [options] [args]", aclBindingRuleCommands, args, stdout, stderr)
}

// bindingRuleFields are the flags create and update share, as consul's.
type bindingRuleFields struct {
	description, selector, bindType, bindName string
}

func (f *bindingRuleFields) register(fs *flag.FlagSet) {
	fs.StringVar(&f.description, "description", "", "A description of the binding rule.")
	fs.StringVar(&f.selector, "selector", "",
		"Which logins the rule applies to: an expression on the identity's fields; all when empty.")
	fs.StringVar(&f.bindType, "bind-type", string(consulapi.BindingRuleBindTypeService),
		"What the rule gives: service, node, role or policy.")
	fs.StringVar(&f.bindName, "bind-name", "",
		"The name of what the rule gives; ${var} is filled in from the identity.")
}

// fill sets r's fields from the flags given on fs; with merge, only those
// given change.
func (f *bindingRuleFields) fill(fs *flag.FlagSet, r *consulapi.ACLBindingRule, merge bool) {
	set := flagSetter(fs, merge)
	set("description", &r.Description, f.description)
	set("selector", &r.Selector, f.selector)
	set("bind-name", &r.BindName, f.bindName)
	bindType := string(r.BindType)
	set("bind-type", &bindType, f.bindType)
	r.BindType = consulapi.BindingRuleBindType(bindType)
}

const bindingRuleCreateUsage = `
Usage: concord acl binding-rule create -method NAME -bind-name NAME [options]

  Creates a binding rule: a login through the auth method whose identity
  the selector matches gets what -bind-type and -bind-name say.

      $ concord acl binding-rule create -method k8s -bind-type service \
          -bind-name '${serviceaccount.name}' -selector 'serviceaccount.namespace==default'
`

func runBindingRuleCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	var f bindingRuleFields
	var method string
	fs := newFlagSet(bindingRuleCreateUsage, stderr)
	c.register(fs)
	f.register(fs)
	fs.StringVar(&method, "method", "", "The auth method the rule applies to.")
	acl, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case method == "":
		return verbatimf("Missing required '-method' flag")
	case f.bindName == "":
		return verbatimf("Missing required '-bind-name' flag")
	}
	r := &consulapi.ACLBindingRule{AuthMethod: method}
	f.fill(fs, r, false)
	created, _, err := acl.BindingRuleCreate(r, nil)
	if err != nil {
		return verbatimf("Failed to create new binding rule: %v", err)
	}
	return c.print(stdout, created, func(w io.Writer) { writeBindingRule(w, "", created, c.meta) })
}

// bindingRuleID resolves a binding rule ID given whole or as a unique prefix.
func bindingRuleID(acl *consulapi.ACL, id string) (string, error) {
	return fullID(id, "binding rule", func() ([]string, error) {
		list, _, err := acl.BindingRuleList("", nil)
		ids := make([]string, len(list))
		for i, r := range list {
			ids[i] = r.ID
		}
		return ids, err
	})
}

// readBindingRule reads the binding rule id (or unique prefix), which
// must exist.
func readBindingRule(acl *consulapi.ACL, id string) (*consulapi.ACLBindingRule, error) {
	if id == "" {
		return nil, verbatimf("Must specify the -id parameter")
	}
	full, err := bindingRuleID(acl, id)
	if err != nil {
		return nil, verbatimf("Error determining binding rule ID: %v", err)
	}
	r, _, err := acl.BindingRuleRead(full, nil)
	if err != nil {
		return nil, verbatimf("Error reading binding rule %q: %v", full, err)
	}
	if r == nil {
		return nil, verbatimf("Binding rule not found with ID %q", full)
	}
	return r, nil
}

// parseRuleID parses the flags of a command that names one binding rule.
func (c *aclCommand) parseRuleID(usage string, args []string, stderr io.Writer) (*consulapi.ACL, string, error) {
	var id string
	fs := newFlagSet(usage, stderr)
	c.register(fs)
	fs.StringVar(&id, "id", "", "The binding rule's ID (or a unique prefix).")
	acl, err := c.parse(fs, args)
	return acl, id, err
}

const bindingRuleReadUsage = `
Usage: concord acl binding-rule read -id ID [options]

  Prints a binding rule.
`

func runBindingRuleRead(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	acl, id, err := c.parseRuleID(bindingRuleReadUsage, args, stderr)
	if err != nil {
		return err
	}
	r, err := readBindingRule(acl, id)
	if err != nil {
		return err
	}
	return c.print(stdout, r, func(w io.Writer) { writeBindingRule(w, "", r, c.meta) })
}

const bindingRuleUpdateUsage = `
Usage: concord acl binding-rule update -id ID [options]

  Changes a binding rule: only what is given changes, unless -no-merge is
  given, which sets every field to what the flags say. Its auth method
  cannot change.
`

func runBindingRuleUpdate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	var f bindingRuleFields
	var id string
	var noMerge bool
	fs := newFlagSet(bindingRuleUpdateUsage, stderr)
	c.register(fs)
	f.register(fs)
	fs.StringVar(&id, "id", "", "The binding rule's ID (or a unique prefix).")
	fs.BoolVar(&noMerge, "no-merge", false, "Replace every field instead of changing only those given.")
	acl, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	r, err := readBindingRule(acl, id)
	if err != nil {
		return err
	}
	f.fill(fs, r, !noMerge)
	updated, _, err := acl.BindingRuleUpdate(r, nil)
	if err != nil {
		return verbatimf("Error updating binding rule %q: %v", r.ID, err)
	}
	return c.print(stdout, updated, func(w io.Writer) { writeBindingRule(w, "", updated, c.meta) })
}

const bindingRuleDeleteUsage = `
Usage: concord acl binding-rule delete -id ID

  Deletes a binding rule.
`

func runBindingRuleDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	acl, id, err := c.parseRuleID(bindingRuleDeleteUsage, args, stderr)
	if err != nil {
		return err
	}
	if id == "" {
		return verbatimf("Must specify the -id parameter")
	}
	full, err := bindingRuleID(acl, id)
	if err != nil {
		return verbatimf("Error determining binding rule ID: %v", err)
	}
	if _, err := acl.BindingRuleDelete(full, nil); err != nil {
		return verbatimf("Error deleting binding rule %q: %v", full, err)
	}
	fmt.Fprintf(stdout, "Binding rule %q deleted successfully\n", full)
	return nil
}

const bindingRuleListUsage = `
Usage: concord acl binding-rule list [-method NAME] [options]

  Lists the binding rules, of one auth method with -method.
`

func runBindingRuleList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	var method string
	fs := newFlagSet(bindingRuleListUsage, stderr)
	c.register(fs)
	fs.StringVar(&method, "method", "", "Only the rules of this auth method.")
	acl, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	list, _, err := acl.BindingRuleList(method, nil)
	if err != nil {
		return verbatimf("Failed to retrieve the binding rule list: %v", err)
	}
	return c.print(stdout, list, func(w io.Writer) {
		for _, r := range list {
			fmt.Fprintf(w, "%s:\n", r.ID)
			writeBindingRule(w, "   ", r, c.meta)
		}
	})
}

// writeBindingRule prints a binding rule as consul does; a list indents
// each rule's fields under its ID.
func writeBindingRule(w io.Writer, indent string, r *consulapi.ACLBindingRule, meta bool) {
	line := func(label string, v any) { fmt.Fprintf(w, "%s%-14s%v\n", indent, label+":", v) }
	if indent == "" {
		line("ID", r.ID)
	}
	line("AuthMethod", r.AuthMethod)
	line("Description", r.Description)
	line("BindType", r.BindType)
	line("BindName", r.BindName)
	line("Selector", r.Selector)
	if meta {
		line("Create Index", r.CreateIndex)
		line("Modify Index", r.ModifyIndex)
	}
}

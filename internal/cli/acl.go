package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	consulapi "github.com/hashicorp/consul/api"
)

// The acl commands talk to the agent through the official Go client
// (github.com/hashicorp/consul/api), whose ACL types are the wire format
// Concord answers; each subcommand lives in acl_<object>.go and prints
// what it reads with acl_format.go, as consul's CLI prints it.

// aclCommands are the subcommands of `concord acl`, in usage order.
var aclCommands = []command{
	{name: "auth-method", synopsis: "Manage Concord's ACL auth methods", run: runACLAuthMethod},
	{name: "binding-rule", synopsis: "Manage Concord's ACL binding rules", run: runACLBindingRule},
	{name: "bootstrap", synopsis: "Bootstrap Concord's ACL system", run: runACLBootstrap},
	{name: "policy", synopsis: "Manage Concord's ACL policies", run: runACLPolicy},
	{name: "role", synopsis: "Manage Concord's ACL roles", run: runACLRole},
	{name: "set-agent-token", synopsis: "Assign tokens for the agent's use", run: runACLSetAgentToken},
	{name: "token", synopsis: "Manage Concord's ACL tokens", run: runACLToken},
}

// runACL is `concord acl`: it runs one of aclCommands.
func runACL(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "Usage: concord acl <subcommand> [options] [args]", aclCommands, args, stdout, stderr)
}

// aclCommand is what every acl subcommand shares: the HTTP flags and the
// output flags.
type aclCommand struct {
	hf     httpFlags
	format string // "pretty" or "json"
	meta   bool   // show hashes and raft indexes
}

// register adds the shared flags to fs.
func (c *aclCommand) register(fs *flag.FlagSet) {
	c.hf.register(fs)
	fs.StringVar(&c.format, "format", "pretty", "Output format: pretty or json.")
	fs.BoolVar(&c.meta, "meta", false, "Show metadata: the content hash and the raft indexes.")
}

// parse parses args into fs (which has c registered), refuses positional
// arguments and the unknown formats, and returns the official client.
func (c *aclCommand) parse(fs *flag.FlagSet, args []string) (*consulapi.ACL, error) {
	if err := parseArgs(fs, args); err != nil {
		return nil, err
	}
	if err := noArgs(fs.Args()); err != nil {
		return nil, err
	}
	if c.format != "pretty" && c.format != "json" {
		return nil, verbatimf("Invalid format %q: must be pretty or json", c.format)
	}
	client, err := c.hf.official()
	if err != nil {
		return nil, err
	}
	return client.ACL(), nil
}

// parseTarget parses the flags of a command that names one object (a
// policy or a role, kind) by -id or -name, and returns the client.
func (c *aclCommand) parseTarget(usage, kind string, args []string, stderr io.Writer) (acl *consulapi.ACL, id, name string, err error) {
	fs := newFlagSet(usage, stderr)
	c.register(fs)
	fs.StringVar(&id, "id", "", "ID of the "+kind+" (or a unique prefix).")
	fs.StringVar(&name, "name", "", "Name of the "+kind+".")
	acl, err = c.parse(fs, args)
	return acl, id, name, err
}

// print writes v as JSON with -format=json, and else as pretty does.
func (c *aclCommand) print(w io.Writer, v any, pretty func(io.Writer)) error {
	if c.format == "json" {
		b, err := json.MarshalIndent(v, "", "    ")
		if err != nil {
			return fmt.Errorf("cannot encode the output: %v", err)
		}
		fmt.Fprintln(w, string(b))
		return nil
	}
	pretty(w)
	return nil
}

// Built-in ACL objects, which a user may name instead of giving their IDs.
const (
	anonymousTokenID         = "00000000-0000-0000-0000-000000000002"
	globalManagementPolicyID = "00000000-0000-0000-0000-000000000001"
)

// uuidLength is the length of a full ID; anything shorter is a prefix.
const uuidLength = 36

// matchPrefix returns the one ID of ids that starts with prefix. kind
// names the object in errors ("token", "policy", "role").
func matchPrefix(prefix string, ids []string, kind string) (string, error) {
	var found []string
	for _, id := range ids {
		if strings.HasPrefix(id, prefix) {
			found = append(found, id)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", fmt.Errorf("No such %s ID with prefix: %s", kind, prefix)
	default:
		return "", fmt.Errorf("Multiple %s IDs with prefix: %s", kind, prefix)
	}
}

// fullID returns id when it is a whole ID, else the one ID that listIDs
// returns that starts with it. kind names the object in errors.
func fullID(id, kind string, listIDs func() ([]string, error)) (string, error) {
	if len(id) >= uuidLength {
		return id, nil
	}
	ids, err := listIDs()
	if err != nil {
		return "", fmt.Errorf("Failed to list the %s IDs to match the prefix: %v", kind, err)
	}
	return matchPrefix(id, ids, kind)
}

// tokenID resolves an accessor ID given as the whole ID, a unique prefix,
// or "anonymous".
func tokenID(acl *consulapi.ACL, id string) (string, error) {
	if id == "anonymous" {
		return anonymousTokenID, nil
	}
	return fullID(id, "token", func() ([]string, error) {
		list, _, err := acl.TokenList(nil)
		ids := make([]string, len(list))
		for i, t := range list {
			ids[i] = t.AccessorID
		}
		return ids, err
	})
}

// policyID resolves a policy ID given as the whole ID, a unique prefix, or
// "global-management".
func policyID(acl *consulapi.ACL, id string) (string, error) {
	if id == "global-management" {
		return globalManagementPolicyID, nil
	}
	return fullID(id, "policy", func() ([]string, error) {
		list, _, err := acl.PolicyList(nil)
		ids := make([]string, len(list))
		for i, p := range list {
			ids[i] = p.ID
		}
		return ids, err
	})
}

// roleID resolves a role ID given as the whole ID or a unique prefix.
func roleID(acl *consulapi.ACL, id string) (string, error) {
	return fullID(id, "role", func() ([]string, error) {
		list, _, err := acl.RoleList(nil)
		ids := make([]string, len(list))
		for i, r := range list {
			ids[i] = r.ID
		}
		return ids, err
	})
}

// links are the policies, roles and identities a token or role is given
// with -policy-id, -policy-name, -role-id, -role-name, -service-identity
// and -node-identity.
type links struct {
	policyIDs, policyNames listFlag
	roleIDs, roleNames     listFlag
	serviceIdents          listFlag
	nodeIdents             listFlag
}

// registerPolicies adds the policy and identity flags (roles have no roles).
func (l *links) registerPolicies(fs *flag.FlagSet, of string) {
	fs.Var(&l.policyIDs, "policy-id", "ID (or unique ID prefix) of a policy for this "+of+". May be given more than once.")
	fs.Var(&l.policyNames, "policy-name", "Name of a policy for this "+of+". May be given more than once.")
	fs.Var(&l.serviceIdents, "service-identity",
		"Service identity for this "+of+": SERVICENAME or SERVICENAME:DC1,DC2. May be given more than once.")
	fs.Var(&l.nodeIdents, "node-identity", "Node identity for this "+of+": NODENAME:DATACENTER. May be given more than once.")
}

// registerRoles adds the role flags, for tokens.
func (l *links) registerRoles(fs *flag.FlagSet) {
	fs.Var(&l.roleIDs, "role-id", "ID (or unique ID prefix) of a role for this token. May be given more than once.")
	fs.Var(&l.roleNames, "role-name", "Name of a role for this token. May be given more than once.")
}

// policies returns the policy links, with ID prefixes resolved.
func (l *links) policies(acl *consulapi.ACL) ([]*consulapi.ACLLink, error) {
	var out []*consulapi.ACLLink
	for _, id := range l.policyIDs {
		full, err := policyID(acl, id)
		if err != nil {
			return nil, err
		}
		out = append(out, &consulapi.ACLLink{ID: full})
	}
	for _, name := range l.policyNames {
		out = append(out, &consulapi.ACLLink{Name: name})
	}
	return out, nil
}

// roles returns the role links, with ID prefixes resolved.
func (l *links) roles(acl *consulapi.ACL) ([]*consulapi.ACLLink, error) {
	var out []*consulapi.ACLLink
	for _, id := range l.roleIDs {
		full, err := roleID(acl, id)
		if err != nil {
			return nil, err
		}
		out = append(out, &consulapi.ACLLink{ID: full})
	}
	for _, name := range l.roleNames {
		out = append(out, &consulapi.ACLLink{Name: name})
	}
	return out, nil
}

// serviceIdentities parses -service-identity values: a name, optionally
// followed by ":" and a comma-separated list of datacenters.
func (l *links) serviceIdentities() ([]*consulapi.ACLServiceIdentity, error) {
	var out []*consulapi.ACLServiceIdentity
	for _, v := range l.serviceIdents {
		name, dcs, hasDCs := strings.Cut(v, ":")
		if name == "" || (hasDCs && dcs == "") {
			return nil, fmt.Errorf("Malformed -service-identity argument: %q", v)
		}
		id := &consulapi.ACLServiceIdentity{ServiceName: name}
		if hasDCs {
			id.Datacenters = strings.Split(dcs, ",")
		}
		out = append(out, id)
	}
	return out, nil
}

// nodeIdentities parses -node-identity values, NODENAME:DATACENTER.
func (l *links) nodeIdentities() ([]*consulapi.ACLNodeIdentity, error) {
	var out []*consulapi.ACLNodeIdentity
	for _, v := range l.nodeIdents {
		name, dc, ok := strings.Cut(v, ":")
		if name == "" || dc == "" || !ok {
			return nil, fmt.Errorf("Malformed -node-identity argument: %q", v)
		}
		out = append(out, &consulapi.ACLNodeIdentity{NodeName: name, Datacenter: dc})
	}
	return out, nil
}

// flagGiven reports whether the flag name was set on the command line, so
// that an update changes only what the user asked to change.
// flagSetter returns a function that sets *dst to v when the flag name was
// given on fs, or always when not merging (update -no-merge, create).
func flagSetter(fs *flag.FlagSet, merge bool) func(name string, dst *string, v string) {
	return func(name string, dst *string, v string) {
		if !merge || flagGiven(fs, name) {
			*dst = v
		}
	}
}

func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	consulapi "github.com/hashicorp/consul/api"
)

// The pretty output of the acl commands, laid out as consul's CLI lays it
// out, so that scripts reading "SecretID:" lines keep working: one
// "Label:  value" line per field (tokens pad labels to 18 columns, policies
// and roles to 14), then the links, each under its heading, indented by
// three spaces.

// tokenView is what a token and a token list entry share.
type tokenView struct {
	AccessorID, SecretID, Description string
	Local                             bool
	CreateTime                        time.Time
	ExpirationTime                    *time.Time
	Hash                              []byte
	CreateIndex, ModifyIndex          uint64
	Policies, Roles                   []*consulapi.ACLLink
	ServiceIdentities                 []*consulapi.ACLServiceIdentity
	NodeIdentities                    []*consulapi.ACLNodeIdentity
}

func viewToken(t *consulapi.ACLToken) tokenView {
	return tokenView{t.AccessorID, t.SecretID, t.Description, t.Local, t.CreateTime, t.ExpirationTime,
		t.Hash, t.CreateIndex, t.ModifyIndex, t.Policies, t.Roles, t.ServiceIdentities, t.NodeIdentities}
}

func viewTokenEntry(t *consulapi.ACLTokenListEntry) tokenView {
	return tokenView{t.AccessorID, t.SecretID, t.Description, t.Local, t.CreateTime, t.ExpirationTime,
		t.Hash, t.CreateIndex, t.ModifyIndex, t.Policies, t.Roles, t.ServiceIdentities, t.NodeIdentities}
}

// writeToken prints a token; meta adds its hash and indexes.
func writeToken(w io.Writer, t tokenView, meta bool) {
	line := func(label string, v any) { fmt.Fprintf(w, "%-18s%v\n", label+":", v) }
	line("AccessorID", t.AccessorID)
	line("SecretID", t.SecretID)
	line("Description", t.Description)
	line("Local", t.Local)
	line("Create Time", t.CreateTime)
	if t.ExpirationTime != nil && !t.ExpirationTime.IsZero() {
		line("Expiration Time", *t.ExpirationTime)
	}
	if meta {
		line("Hash", fmt.Sprintf("%x", t.Hash))
		line("Create Index", t.CreateIndex)
		line("Modify Index", t.ModifyIndex)
	}
	writeLinks(w, "", "Policies", t.Policies)
	writeLinks(w, "", "Roles", t.Roles)
	writeIdentities(w, "", t.ServiceIdentities, t.NodeIdentities)
}

// writeTokens prints a token list, a blank line between tokens.
func writeTokens(w io.Writer, list []*consulapi.ACLTokenListEntry, meta bool) {
	for i, t := range list {
		if i > 0 {
			fmt.Fprintln(w)
		}
		writeToken(w, viewTokenEntry(t), meta)
	}
}

// writePolicy prints one policy, rules last.
func writePolicy(w io.Writer, p *consulapi.ACLPolicy, meta bool) {
	writePolicyFields(w, "", p.ID, p.Name, p.Description, p.Datacenters, p.Hash, p.CreateIndex, p.ModifyIndex, meta)
	fmt.Fprintln(w, "Rules:")
	fmt.Fprintln(w, p.Rules)
}

// writePolicies prints a policy list: each policy's name, then its fields
// indented.
func writePolicies(w io.Writer, list []*consulapi.ACLPolicyListEntry, meta bool) {
	for _, p := range list {
		fmt.Fprintf(w, "%s:\n", p.Name)
		writePolicyFields(w, "   ", p.ID, "", p.Description, p.Datacenters, p.Hash, p.CreateIndex, p.ModifyIndex, meta)
	}
}

// writePolicyFields prints a policy's fields; an empty name is left out
// (lists print it as the heading).
func writePolicyFields(w io.Writer, indent, id, name, description string, dcs []string, hash []byte,
	createIndex, modifyIndex uint64, meta bool) {
	line := func(label string, v any) { fmt.Fprintf(w, "%s%-14s%v\n", indent, label+":", v) }
	line("ID", id)
	if name != "" {
		line("Name", name)
	}
	line("Description", description)
	line("Datacenters", strings.Join(dcs, ", "))
	if meta {
		line("Hash", fmt.Sprintf("%x", hash))
		line("Create Index", createIndex)
		line("Modify Index", modifyIndex)
	}
}

// writeRole prints one role.
func writeRole(w io.Writer, r *consulapi.ACLRole, meta bool) {
	writeRoleAt(w, "", r, true, meta)
}

// writeRoles prints a role list: each role's name, then its fields
// indented.
func writeRoles(w io.Writer, list []*consulapi.ACLRole, meta bool) {
	for _, r := range list {
		fmt.Fprintf(w, "%s:\n", r.Name)
		writeRoleAt(w, "   ", r, false, meta)
	}
}

func writeRoleAt(w io.Writer, indent string, r *consulapi.ACLRole, withName, meta bool) {
	line := func(label string, v any) { fmt.Fprintf(w, "%s%-14s%v\n", indent, label+":", v) }
	line("ID", r.ID)
	if withName {
		line("Name", r.Name)
	}
	line("Description", r.Description)
	if meta {
		line("Hash", fmt.Sprintf("%x", r.Hash))
		line("Create Index", r.CreateIndex)
		line("Modify Index", r.ModifyIndex)
	}
	writeLinks(w, indent, "Policies", r.Policies)
	writeIdentities(w, indent, r.ServiceIdentities, r.NodeIdentities)
}

// writeLinks prints the heading and "ID - Name" for each link, or nothing
// when there are none.
func writeLinks(w io.Writer, indent, heading string, links []*consulapi.ACLLink) {
	if len(links) == 0 {
		return
	}
	fmt.Fprintf(w, "%s%s:\n", indent, heading)
	for _, l := range links {
		fmt.Fprintf(w, "%s   %s - %s\n", indent, l.ID, l.Name)
	}
}

// writeIdentities prints service identities with their datacenters ("all"
// when unrestricted) and node identities with theirs.
func writeIdentities(w io.Writer, indent string, services []*consulapi.ACLServiceIdentity, nodes []*consulapi.ACLNodeIdentity) {
	if len(services) > 0 {
		fmt.Fprintf(w, "%sService Identities:\n", indent)
		for _, s := range services {
			dcs := "all"
			if len(s.Datacenters) > 0 {
				dcs = strings.Join(s.Datacenters, ", ")
			}
			fmt.Fprintf(w, "%s   %s (Datacenters: %s)\n", indent, s.ServiceName, dcs)
		}
	}
	if len(nodes) > 0 {
		fmt.Fprintf(w, "%sNode Identities:\n", indent)
		for _, n := range nodes {
			fmt.Fprintf(w, "%s   %s (Datacenter: %s)\n", indent, n.NodeName, n.Datacenter)
		}
	}
}

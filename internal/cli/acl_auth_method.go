package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	consulapi "github.com/hashicorp/consul/api"
)

// aclAuthMethodCommands are the subcommands of `concord acl auth-method`.
var aclAuthMethodCommands = []command{
	{name: "create", synopsis: "Create an ACL auth method", run: runAuthMethodCreate},
	{name: "delete", synopsis: "Delete an ACL auth method", run: runAuthMethodDelete},
	{name: "list", synopsis: "List ACL auth methods", run: runAuthMethodList},
	{name: "read", synopsis: "Read an ACL auth method", run: runAuthMethodRead},
	{name: "update", synopsis: "Update an ACL auth method", run: runAuthMethodUpdate},
}

func runACLAuthMethod(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "Usage: concord acl auth-method <subcommand> [options] [args]", aclAuthMethodCommands, args, stdout, stderr)
}

// authMethodFields are the flags create and update share, as consul's.
type authMethodFields struct {
	name, displayName, description, maxTokenTTL, tokenLocality string
	k8sHost, k8sCACert, k8sJWT                                 string
	config                                                     string
}

func (f *authMethodFields) register(fs *flag.FlagSet) {
	fs.StringVar(&f.name, "name", "", "The auth method's name.")
	fs.StringVar(&f.displayName, "display-name", "", "A name to show for the auth method in UIs.")
	fs.StringVar(&f.description, "description", "", "A description of the auth method.")
	fs.StringVar(&f.maxTokenTTL, "max-token-ttl", "", "How long tokens made by logging in through this method last (a duration).")
	fs.StringVar(&f.tokenLocality, "token-locality", "", "The kind of token a login makes: local (the default) or global.")
	fs.StringVar(&f.k8sHost, "kubernetes-host", "", "kubernetes: the API server's address (host, host:port or URL).")
	fs.StringVar(&f.k8sCACert, "kubernetes-ca-cert", "",
		"kubernetes: the PEM CA certificate of the API server; @path reads it from a file.")
	fs.StringVar(&f.k8sJWT, "kubernetes-service-account-jwt", "",
		"kubernetes: the service account token Concord calls the TokenReview API with.")
	fs.StringVar(&f.config, "config", "",
		"The auth method's configuration, in JSON; @path reads it from a file, - from stdin.")
}

// kubernetesGiven reports whether any -kubernetes-* flag was given.
func (f *authMethodFields) kubernetesGiven() bool {
	return f.k8sHost != "" || f.k8sCACert != "" || f.k8sJWT != ""
}

// fill sets m's fields from the flags given on fs; with merge, only those
// given change.
func (f *authMethodFields) fill(fs *flag.FlagSet, m *consulapi.ACLAuthMethod, merge bool) error {
	set := flagSetter(fs, merge)
	set("display-name", &m.DisplayName, f.displayName)
	set("description", &m.Description, f.description)
	set("token-locality", &m.TokenLocality, f.tokenLocality)
	if !merge || f.maxTokenTTL != "" {
		m.MaxTokenTTL = 0
		if f.maxTokenTTL != "" {
			d, err := time.ParseDuration(f.maxTokenTTL)
			if err != nil {
				return verbatimf("Invalid '-max-token-ttl' value %q: %v", f.maxTokenTTL, err)
			}
			m.MaxTokenTTL = d
		}
	}
	if f.config != "" {
		if f.kubernetesGiven() {
			return verbatimf("Cannot use command line arguments with '-config' flags")
		}
		data, err := readData(f.config)
		if err != nil {
			return verbatimf("Error loading configuration file: %v", err)
		}
		m.Config = nil
		if err := json.Unmarshal(data, &m.Config); err != nil {
			return verbatimf("Error parsing JSON configuration file: %v", err)
		}
		return nil
	}
	if m.Type != "kubernetes" || merge && !f.kubernetesGiven() {
		return nil
	}
	caCert := f.k8sCACert
	if caCert != "" {
		data, err := readData(caCert)
		if err != nil {
			return verbatimf("Invalid '-kubernetes-ca-cert' value: %v", err)
		}
		caCert = string(data)
	}
	cfg := map[string]any{}
	if merge {
		for k, v := range m.Config {
			cfg[k] = v
		}
	}
	for _, kv := range []struct{ flag, key, v string }{
		{"kubernetes-host", "Host", f.k8sHost}, {"kubernetes-ca-cert", "CACert", caCert},
		{"kubernetes-service-account-jwt", "ServiceAccountJWT", f.k8sJWT},
	} {
		switch {
		case kv.v != "":
			cfg[kv.key] = kv.v
		case !merge:
			return verbatimf("Missing required '-%s' flag", kv.flag)
		}
	}
	m.Config = cfg
	return nil
}

const authMethodCreateUsage = `
Usage: concord acl auth-method create -type TYPE -name NAME [options]

  Creates an auth method, through which /v1/acl/login (concord login)
  trades a credential issued elsewhere for a Concord token. TYPE is
  kubernetes (give -kubernetes-host, -kubernetes-ca-cert and
  -kubernetes-service-account-jwt) or jwt (give -config).

      $ concord acl auth-method create -type jwt -name ci \
          -config '{"JWTValidationPubKeys": ["..."], "ClaimMappings": {"sub": "name"}}'
`

func runAuthMethodCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	var f authMethodFields
	var typ string
	fs := newFlagSet(authMethodCreateUsage, stderr)
	c.register(fs)
	f.register(fs)
	fs.StringVar(&typ, "type", "", "The auth method's type: kubernetes or jwt.")
	acl, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case typ == "":
		return verbatimf("Missing required '-type' flag")
	case f.name == "":
		return verbatimf("Missing required '-name' flag")
	}
	m := &consulapi.ACLAuthMethod{Name: f.name, Type: typ}
	if err := f.fill(fs, m, false); err != nil {
		return err
	}
	created, _, err := acl.AuthMethodCreate(m, nil)
	if err != nil {
		return verbatimf("Failed to create new auth method: %v", err)
	}
	return c.print(stdout, created, func(w io.Writer) { writeAuthMethod(w, created, c.meta) })
}

// parseNamed parses the flags of a command that names one auth method.
func (c *aclCommand) parseNamed(usage string, args []string, stderr io.Writer) (*consulapi.ACL, string, error) {
	var name string
	fs := newFlagSet(usage, stderr)
	c.register(fs)
	fs.StringVar(&name, "name", "", "The auth method's name.")
	acl, err := c.parse(fs, args)
	if err == nil && name == "" {
		err = verbatimf("Missing required '-name' flag")
	}
	return acl, name, err
}

// readAuthMethod reads the auth method name, which must exist.
func readAuthMethod(acl *consulapi.ACL, name string) (*consulapi.ACLAuthMethod, error) {
	m, _, err := acl.AuthMethodRead(name, nil)
	if err != nil {
		return nil, verbatimf("Error reading auth method %q: %v", name, err)
	}
	if m == nil {
		return nil, verbatimf("Auth method not found: %s", name)
	}
	return m, nil
}

const authMethodReadUsage = `
Usage: concord acl auth-method read -name NAME [options]

  Prints an auth method, its configuration last.
`

func runAuthMethodRead(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	acl, name, err := c.parseNamed(authMethodReadUsage, args, stderr)
	if err != nil {
		return err
	}
	m, err := readAuthMethod(acl, name)
	if err != nil {
		return err
	}
	return c.print(stdout, m, func(w io.Writer) { writeAuthMethod(w, m, c.meta) })
}

const authMethodUpdateUsage = `
Usage: concord acl auth-method update -name NAME [options]

  Changes an auth method: only what is given changes, unless -no-merge is
  given, which sets every field to what the flags say. Its type cannot
  change.
`

func runAuthMethodUpdate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	var f authMethodFields
	var noMerge bool
	fs := newFlagSet(authMethodUpdateUsage, stderr)
	c.register(fs)
	f.register(fs)
	fs.BoolVar(&noMerge, "no-merge", false, "Replace every field instead of changing only those given.")
	acl, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if f.name == "" {
		return verbatimf("Missing required '-name' flag")
	}
	m, err := readAuthMethod(acl, f.name)
	if err != nil {
		return err
	}
	if err := f.fill(fs, m, !noMerge); err != nil {
		return err
	}
	updated, _, err := acl.AuthMethodUpdate(m, nil)
	if err != nil {
		return verbatimf("Failed to update auth method %q: %v", f.name, err)
	}
	return c.print(stdout, updated, func(w io.Writer) { writeAuthMethod(w, updated, c.meta) })
}

const authMethodDeleteUsage = `
Usage: concord acl auth-method delete -name NAME

  Deletes an auth method, its binding rules and the tokens logins through
  it made.
`

func runAuthMethodDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	acl, name, err := c.parseNamed(authMethodDeleteUsage, args, stderr)
	if err != nil {
		return err
	}
	if _, err := acl.AuthMethodDelete(name, nil); err != nil {
		return verbatimf("Error deleting auth method %q: %v", name, err)
	}
	fmt.Fprintf(stdout, "Auth-method %q deleted successfully\n", name)
	return nil
}

const authMethodListUsage = `
Usage: concord acl auth-method list [options]

  Lists the auth methods.
`

func runAuthMethodList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	fs := newFlagSet(authMethodListUsage, stderr)
	c.register(fs)
	acl, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	list, _, err := acl.AuthMethodList(nil)
	if err != nil {
		return verbatimf("Failed to retrieve the auth method list: %v", err)
	}
	return c.print(stdout, list, func(w io.Writer) {
		for _, m := range list {
			fmt.Fprintf(w, "%s:\n", m.Name)
			line := func(label string, v any) { fmt.Fprintf(w, "   %-14s%v\n", label+":", v) }
			line("Type", m.Type)
			if m.DisplayName != "" {
				line("DisplayName", m.DisplayName)
			}
			line("Description", m.Description)
			if c.meta {
				line("Create Index", m.CreateIndex)
				line("Modify Index", m.ModifyIndex)
			}
		}
	})
}

// writeAuthMethod prints an auth method as consul does, Config last as
// indented JSON.
func writeAuthMethod(w io.Writer, m *consulapi.ACLAuthMethod, meta bool) {
	line := func(label string, v any) { fmt.Fprintf(w, "%-15s%v\n", label+":", v) }
	line("Name", m.Name)
	line("Type", m.Type)
	if m.DisplayName != "" {
		line("DisplayName", m.DisplayName)
	}
	line("Description", m.Description)
	if m.MaxTokenTTL > 0 {
		line("MaxTokenTTL", m.MaxTokenTTL)
	}
	if m.TokenLocality != "" {
		line("TokenLocality", m.TokenLocality)
	}
	if meta {
		line("Create Index", m.CreateIndex)
		line("Modify Index", m.ModifyIndex)
	}
	fmt.Fprintln(w, "Config:")
	cfg, _ := json.MarshalIndent(m.Config, "", "  ")
	fmt.Fprintln(w, string(cfg))
}

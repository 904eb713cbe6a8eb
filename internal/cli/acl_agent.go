package cli

import (
	"context"
	"fmt"
	"io"

	consulapi "github.com/hashicorp/consul/api"
)

const aclBootstrapUsage = `
Usage: concord acl bootstrap [options]

  Creates the first management token of a cluster with ACLs enabled and
  prints it. It works once; keep the SecretID safe.
`

// runACLBootstrap is `concord acl bootstrap`.
func runACLBootstrap(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c aclCommand
	fs := newFlagSet(aclBootstrapUsage, stderr)
	c.register(fs)
	acl, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	t, _, err := acl.Bootstrap()
	if err != nil {
		return verbatimf("Failed ACL bootstrapping: %v", err)
	}
	return c.print(stdout, t, func(w io.Writer) { writeToken(w, viewToken(t), c.meta) })
}

const aclSetAgentTokenUsage = `
Usage: concord acl set-agent-token [options] TYPE TOKEN

  Gives the agent a token for its own use, until it restarts (or for good
  with acl.enable_token_persistence). TYPE is one of:

    default      used for requests that carry no token (HTTP and DNS)
    agent        used by the agent itself: registering its node, syncing
                 services and checks
    recovery     accepted for the agent's own endpoints when the servers
                 cannot be reached (formerly agent_master)
    replication  used to replicate ACL data between datacenters
    config_file_service_registration
                 used to register the services of the agent's config files
    dns          used to answer DNS queries
`

// agentTokenSetters maps set-agent-token's TYPE to the official client's
// call for it; old names are kept as consul keeps them.
var agentTokenSetters = map[string]func(*consulapi.Agent, string) error{
	"default":                          setter((*consulapi.Agent).UpdateDefaultACLToken),
	"agent":                            setter((*consulapi.Agent).UpdateAgentACLToken),
	"recovery":                         setter((*consulapi.Agent).UpdateAgentRecoveryACLToken),
	"agent_recovery":                   setter((*consulapi.Agent).UpdateAgentRecoveryACLToken),
	"master":                           setter((*consulapi.Agent).UpdateAgentRecoveryACLToken),
	"agent_master":                     setter((*consulapi.Agent).UpdateAgentRecoveryACLToken),
	"replication":                      setter((*consulapi.Agent).UpdateReplicationACLToken),
	"config_file_service_registration": setter((*consulapi.Agent).UpdateConfigFileRegistrationToken),
	"dns":                              setter((*consulapi.Agent).UpdateDNSToken),
}

func setter(f func(*consulapi.Agent, string, *consulapi.WriteOptions) (*consulapi.WriteMeta, error)) func(*consulapi.Agent, string) error {
	return func(a *consulapi.Agent, token string) error {
		_, err := f(a, token, nil)
		return err
	}
}

// runACLSetAgentToken is `concord acl set-agent-token`.
func runACLSetAgentToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var hf httpFlags
	fs := newFlagSet(aclSetAgentTokenUsage, stderr)
	hf.register(fs)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return verbatimf("Missing TYPE and TOKEN arguments (expected 2, got %d)", fs.NArg())
	}
	kind, token := fs.Arg(0), fs.Arg(1)
	set, ok := agentTokenSetters[kind]
	if !ok {
		return verbatimf("Unknown token type %q", kind)
	}
	c, err := hf.official()
	if err != nil {
		return err
	}
	if err := set(c.Agent(), token); err != nil {
		return verbatimf("Failed setting token: %v", err)
	}
	fmt.Fprintf(stdout, "ACL token %q set successfully\n", kind)
	return nil
}

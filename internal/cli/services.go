package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/config"
)

// servicesCommands are the subcommands of `concord services`, in usage order.
var servicesCommands = []command{
	{name: "deregister", synopsis: "Deregister services with the local agent", run: runServicesDeregister},
	{name: "register", synopsis: "Register services with the local agent", run: runServicesRegister},
}

// runServices is `concord services`: it runs one of servicesCommands.
func runServices(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "Usage: concord services <subcommand> [options] [args]", servicesCommands, args, stdout, stderr)
}

const servicesRegisterUsage = `
Usage: concord services register [options] [FILE...]

  Registers services with the local agent, which keeps them (and their
  checks) in the catalog until they are deregistered. Each FILE is a .hcl
  or .json file holding a "service" block or a "services" list, in the
  agent's config file syntax; every service in it is registered.

      $ concord services register web.hcl

  Without FILE, one service is registered from the flags; -name is then
  required. Flags and files cannot be mixed.

      $ concord services register -name=web -port=80 -tag=v1 -meta=team=a
`

// serviceFlagNames are the flags that describe a service, which files
// replace.
var serviceFlagNames = []string{"name", "id", "tag", "address", "port", "meta"}

// runServicesRegister is `concord services register`.
func runServicesRegister(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(servicesRegisterUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	var reg api.AgentServiceRegistration
	var tags listFlag
	meta := mapFlag{}
	fs.StringVar(&reg.Name, "name", "", "Name of the service to register.")
	fs.StringVar(&reg.ID, "id", "", "ID of the service to register. Defaults to its name.")
	fs.Var(&tags, "tag", "A `tag` of the service; may be given more than once.")
	fs.StringVar(&reg.Address, "address", "", "Address of the service. Defaults to the node's address.")
	fs.IntVar(&reg.Port, "port", 0, "Port of the service.")
	fs.Var(meta, "meta", "Metadata of the service as `key=value`; may be given more than once.")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	flagsSet := setFlags(fs, serviceFlagNames)

	var regs []*api.AgentServiceRegistration
	switch {
	case fs.NArg() > 0 && len(flagsSet) > 0:
		return fmt.Errorf("Cannot mix service flags (-%s) with FILE arguments", strings.Join(flagsSet, ", -"))
	case fs.NArg() > 0:
		var err error
		if regs, err = servicesFromFiles(fs.Args()); err != nil {
			return err
		}
	case reg.Name == "":
		return errors.New("Service registration requires at least one FILE argument or the -name flag")
	default:
		reg.Tags = tags
		if len(meta) > 0 {
			reg.Meta = meta
		}
		regs = []*api.AgentServiceRegistration{&reg}
	}

	c, err := hf.connect(ctx)
	if err != nil {
		return err
	}
	// Services are registered one by one, so a failure leaves the earlier
	// ones registered; the output names each one as it lands.
	for _, r := range regs {
		if err := c.Agent().ServiceRegister(r); err != nil {
			return fmt.Errorf("Cannot register service %q: %w", r.Name, err)
		}
		fmt.Fprintf(stdout, "Registered service: %s\n", r.Name)
	}
	return nil
}

const servicesDeregisterUsage = `
Usage: concord services deregister [options] [FILE...]

  Deregisters services from the local agent, and with them their checks.
  Each FILE is one that "concord services register" took: the services it
  defines are deregistered by ID (by name when they have no ID).

      $ concord services deregister web.hcl
      $ concord services deregister -id=web-1

  Only services registered on this agent can be deregistered here, never
  those another agent registered.
`

// runServicesDeregister is `concord services deregister`.
func runServicesDeregister(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(servicesDeregisterUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	id := fs.String("id", "", "ID of the service to deregister.")
	if err := parseArgs(fs, args); err != nil {
		return err
	}

	var ids []string
	switch {
	case fs.NArg() > 0 && *id != "":
		return errors.New("Give FILE arguments or -id, not both")
	case fs.NArg() > 0:
		regs, err := servicesFromFiles(fs.Args())
		if err != nil {
			return err
		}
		for _, r := range regs {
			if r.ID != "" {
				ids = append(ids, r.ID)
			} else {
				ids = append(ids, r.Name)
			}
		}
	case *id == "":
		return errors.New("Service deregistration requires at least one FILE argument or the -id flag")
	default:
		ids = []string{*id}
	}

	c, err := hf.connect(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := c.Agent().ServiceDeregister(id); err != nil {
			return fmt.Errorf("Cannot deregister service %q: %w", id, err)
		}
		fmt.Fprintf(stdout, "Deregistered service: %s\n", id)
	}
	return nil
}

// servicesFromFiles returns the service definitions of files, in order.
// The files are read as agent config files, so their syntax is exactly
// what the agent accepts at start-up; other settings in them are checked
// but ignored. They are loaded in -dev mode only so that a file holding
// nothing but services is a valid config (no data_dir needed).
func servicesFromFiles(files []string) ([]*api.AgentServiceRegistration, error) {
	args := []string{"-dev", "-node=services"}
	for _, f := range files {
		args = append(args, "-config-file="+f)
	}
	c, err := config.Parse(args)
	if err != nil {
		return nil, fmt.Errorf("cannot read service definitions: %v", err)
	}
	if len(c.Checks) > 0 {
		return nil, errors.New("cannot register checks on their own: put each check in its service's block")
	}
	if len(c.Services) == 0 {
		return nil, fmt.Errorf("no service or services block in %s", strings.Join(files, ", "))
	}
	return c.Services, nil
}

// setFlags returns those of names that were given on the command line.
func setFlags(fs *flag.FlagSet, names []string) []string {
	var set []string
	fs.Visit(func(f *flag.Flag) {
		for _, n := range names {
			if f.Name == n {
				set = append(set, n)
			}
		}
	})
	return set
}

// listFlag is a flag that may be given more than once; each value is
// appended.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// mapFlag is a repeatable key=value flag; a later value for a key wins.
type mapFlag map[string]string

func (m mapFlag) String() string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = k + "=" + m[k]
	}
	return strings.Join(pairs, ",")
}

func (m mapFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return errors.New("must be key=value")
	}
	m[k] = val
	return nil
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/concordhq/concord/api"
)

const maintUsage = `
Usage: concord maint [options]

  Puts the agent's node, or one of its services, in maintenance mode, or
  takes it out. While in maintenance a node or service has a critical check,
  so it drops out of DNS answers and healthy service queries. The mode
  survives until it is disabled; -reason is shown to operators.

      $ concord maint -enable -reason="kernel upgrade"
      $ concord maint -enable -service=web-1
      $ concord maint -disable

  Without -enable or -disable, lists what is in maintenance on the agent.
`

// Check IDs of the maintenance checks the agent adds.
const (
	nodeMaintCheckID   = "_node_maintenance"
	serviceMaintPrefix = "_service_maintenance:"
)

// runMaint is `concord maint`.
func runMaint(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(maintUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	enable := fs.Bool("enable", false, "Enable maintenance mode.")
	disable := fs.Bool("disable", false, "Disable maintenance mode.")
	reason := fs.String("reason", "", "Why maintenance is enabled, shown with the maintenance check.")
	serviceID := fs.String("service", "", "ID of the service to act on, instead of the node.")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs.Args()); err != nil {
		return err
	}
	switch {
	case *enable && *disable:
		return errors.New("Only one of -enable or -disable may be given")
	case *reason != "" && !*enable:
		return errors.New("-reason may only be given with -enable")
	case *serviceID != "" && !*enable && !*disable:
		return errors.New("-service requires -enable or -disable")
	}
	c, err := hf.connect(ctx)
	if err != nil {
		return err
	}
	if !*enable && !*disable {
		checks, err := c.Agent().Checks()
		if err != nil {
			return queryFailed(err)
		}
		writeMaintenance(stdout, checks)
		return nil
	}
	if *serviceID != "" {
		return setServiceMaint(c.Agent(), *serviceID, *enable, *reason, stdout)
	}
	return setNodeMaint(c.Agent(), *enable, *reason, stdout)
}

// maintVerb is the verb of maintenance messages.
func maintVerb(enable bool) string {
	if enable {
		return "enable"
	}
	return "disable"
}

// setNodeMaint puts the agent's node in maintenance, or takes it out.
func setNodeMaint(a *api.Agent, enable bool, reason string, stdout io.Writer) error {
	var err error
	if enable {
		err = a.EnableNodeMaintenance(reason)
	} else {
		err = a.DisableNodeMaintenance()
	}
	if err != nil {
		return fmt.Errorf("Cannot %s node maintenance: %w", maintVerb(enable), err)
	}
	fmt.Fprintf(stdout, "Node maintenance is now %sd\n", maintVerb(enable))
	return nil
}

// setServiceMaint puts service id in maintenance, or takes it out.
func setServiceMaint(a *api.Agent, id string, enable bool, reason string, stdout io.Writer) error {
	var err error
	if enable {
		err = a.EnableServiceMaintenance(id, reason)
	} else {
		err = a.DisableServiceMaintenance(id)
	}
	if err != nil {
		return fmt.Errorf("Cannot %s maintenance for service %q: %w", maintVerb(enable), id, err)
	}
	fmt.Fprintf(stdout, "Service maintenance is now %sd for %q\n", maintVerb(enable), id)
	return nil
}

// writeMaintenance prints the node's maintenance, if any, then each
// service's in ID order, as blocks of indented "Field: value" lines each
// followed by a blank line. Nothing in maintenance prints nothing.
func writeMaintenance(w io.Writer, checks map[string]*api.AgentCheck) {
	if c, ok := checks[nodeMaintCheckID]; ok {
		fmt.Fprintf(w, "Node:\n  Name:   %s\n  Reason: %s\n\n", c.Node, c.Notes)
	}
	var services []*api.AgentCheck
	for id, c := range checks {
		if strings.HasPrefix(id, serviceMaintPrefix) {
			services = append(services, c)
		}
	}
	sort.Slice(services, func(i, j int) bool { return services[i].ServiceID < services[j].ServiceID })
	for _, c := range services {
		fmt.Fprintf(w, "Service:\n  ID:     %s\n  Reason: %s\n\n", c.ServiceID, c.Notes)
	}
}

package cli

import (
	"context"
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
func runMaint(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet(maintUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	enable := fs.Bool("enable", false, "Enable maintenance mode.")
	disable := fs.Bool("disable", false, "Disable maintenance mode.")
	reason := fs.String("reason", "", "Why maintenance is enabled, shown with the maintenance check.")
	serviceID := fs.String("service", "", "ID of the service to act on, instead of the node.")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	switch {
	case !noArgs(fs.Args(), stderr):
		return 1
	case *enable && *disable:
		fmt.Fprintln(stderr, "Error! Only one of -enable or -disable may be given")
		return 1
	case *reason != "" && !*enable:
		fmt.Fprintln(stderr, "Error! -reason may only be given with -enable")
		return 1
	case *serviceID != "" && !*enable && !*disable:
		fmt.Fprintln(stderr, "Error! -service requires -enable or -disable")
		return 1
	}
	c, ok := connect(ctx, &hf, stderr)
	if !ok {
		return 1
	}
	a := c.Agent()

	if !*enable && !*disable {
		checks, err := a.Checks()
		if err != nil {
			return queryFailed(stderr, err)
		}
		writeMaintenance(stdout, checks)
		return 0
	}

	verb := "enable"
	if *disable {
		verb = "disable"
	}
	var err error
	switch {
	case *serviceID != "" && *enable:
		err = a.EnableServiceMaintenance(*serviceID, *reason)
	case *serviceID != "":
		err = a.DisableServiceMaintenance(*serviceID)
	case *enable:
		err = a.EnableNodeMaintenance(*reason)
	default:
		err = a.DisableNodeMaintenance()
	}
	if *serviceID != "" {
		if err != nil {
			fmt.Fprintf(stderr, "Error! Cannot %s maintenance for service %q: %v\n", verb, *serviceID, err)
			return 1
		}
		fmt.Fprintf(stdout, "Service maintenance is now %sd for %q\n", verb, *serviceID)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "Error! Cannot %s node maintenance: %v\n", verb, err)
		return 1
	}
	fmt.Fprintf(stdout, "Node maintenance is now %sd\n", verb)
	return 0
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

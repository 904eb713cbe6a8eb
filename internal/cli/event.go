package cli

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/concordhq/concord/api"
)

const eventUsage = `
Usage: concord event [options] -name=NAME [PAYLOAD]

  Fires a user event: the agent spreads it to every agent by gossip, and
  each agent whose node name matches -node, and which has a service
  matching -service (with a tag matching -tag), keeps it in its list of the
  last 256 events, where watches of -type=event see it. Filters are regular
  expressions. Delivery is best effort: an agent that is down never sees
  it (Concord's durable alternative is "concord stream").

  PAYLOAD is sent as given; "-" reads it from stdin and "@FILE" from a
  file. It may be at most 4 KiB.

      $ concord event -name=deploy -service=web v1.2.3
`

// runEvent is `concord event`.
func runEvent(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet(eventUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	var e api.UserEvent
	fs.StringVar(&e.Name, "name", "", "The event `name`; required.")
	registerEventFilters(fs, &e)
	if code, done := parseFlags(fs, args); done {
		return code
	}
	switch {
	case e.Name == "":
		fmt.Fprintln(stderr, "Error! Event name must be specified (-name)")
		return 1
	case !checkEventFilters(&e, stderr):
		return 1
	case fs.NArg() > 1:
		fmt.Fprintf(stderr, "Error! Too many arguments (expected at most 1 payload, got %d)\n", fs.NArg())
		return 1
	}
	if fs.NArg() == 1 {
		payload, err := readData(fs.Arg(0))
		if err != nil {
			fmt.Fprintf(stderr, "Error! %v\n", err)
			return 1
		}
		e.Payload = payload
	}
	c, ok := connect(ctx, &hf, stderr)
	if !ok {
		return 1
	}
	id, err := c.Event().Fire(&e)
	if err != nil {
		fmt.Fprintf(stderr, "Error firing event: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "Event ID: %s\n", id)
	return 0
}

// registerEventFilters adds -node, -service and -tag, which pick the agents
// an event (or an exec job) is for, to fs.
func registerEventFilters(fs *flag.FlagSet, e *api.UserEvent) {
	fs.StringVar(&e.NodeFilter, "node", "", "A regular expression the receiving node names must match.")
	fs.StringVar(&e.ServiceFilter, "service", "", "A regular expression one of the receiving agent's services must match.")
	fs.StringVar(&e.TagFilter, "tag", "", "A regular expression a tag of that service must match; needs -service.")
}

// checkEventFilters reports a -tag without -service on stderr; the agent
// checks the expressions.
func checkEventFilters(e *api.UserEvent, stderr io.Writer) bool {
	if e.TagFilter != "" && e.ServiceFilter == "" {
		fmt.Fprintln(stderr, "Error! Cannot provide -tag without -service")
		return false
	}
	return true
}

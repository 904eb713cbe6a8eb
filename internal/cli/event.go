package cli

import (
	"context"
	"errors"
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
func runEvent(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(eventUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	var e api.UserEvent
	fs.StringVar(&e.Name, "name", "", "The event `name`; required.")
	registerEventFilters(fs, &e)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if e.Name == "" {
		return errors.New("Event name must be specified (-name)")
	}
	if err := checkEventFilters(&e); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return fmt.Errorf("Too many arguments (expected at most 1 payload, got %d)", fs.NArg())
	}
	if fs.NArg() == 1 {
		payload, err := readData(fs.Arg(0))
		if err != nil {
			return err
		}
		e.Payload = payload
	}
	c, err := hf.connect(ctx)
	if err != nil {
		return err
	}
	id, err := c.Event().Fire(&e)
	if err != nil {
		return verbatimf("Error firing event: %v", err)
	}
	fmt.Fprintf(stdout, "Event ID: %s\n", id)
	return nil
}

// registerEventFilters adds -node, -service and -tag, which pick the agents
// an event (or an exec job) is for, to fs.
func registerEventFilters(fs *flag.FlagSet, e *api.UserEvent) {
	fs.StringVar(&e.NodeFilter, "node", "", "A regular expression the receiving node names must match.")
	fs.StringVar(&e.ServiceFilter, "service", "", "A regular expression one of the receiving agent's services must match.")
	fs.StringVar(&e.TagFilter, "tag", "", "A regular expression a tag of that service must match; needs -service.")
}

// checkEventFilters refuses a -tag without -service; the agent checks the
// expressions.
func checkEventFilters(e *api.UserEvent) error {
	if e.TagFilter != "" && e.ServiceFilter == "" {
		return errors.New("Cannot provide -tag without -service")
	}
	return nil
}

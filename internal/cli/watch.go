package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/concordhq/concord/internal/watch"
)

const watchUsage = `
Usage: concord watch -type=TYPE [options] [HANDLER...]

  Watches a view of the catalog, the health checks, the KV store or the
  user events with blocking queries. It fetches the view once at start,
  then again each time the agent says it may have changed, and reports it
  only when it did change: a query that timed out, or was woken by a write
  elsewhere, reports nothing.

  Without HANDLER each change is printed to stdout as indented JSON. With
  HANDLER, "sh -c 'HANDLER...'" runs for each change with the JSON on its
  stdin and CONSUL_INDEX set to the query index; a handler that fails is
  reported on stderr and the watch goes on.

  Types and their options:

      key         -key=KEY            the pair at KEY, or null
      keyprefix   -prefix=PREFIX      the pairs under PREFIX
      services                        service names and their tags
      nodes                           the nodes of the catalog
      service     -service=NAME [-tag=TAG...] [-passingonly]
                                      the health entries of a service
      checks      [-service=NAME | -state=STATE]
                                      health checks, by service or by state
                                      (any, passing, warning or critical)
      event       [-name=NAME]        user events this agent received: all
                                      it holds at start, then each new one

      $ concord watch -type=key -key=config/web ./reload.sh
      $ concord watch -type=service -service=web -passingonly
      $ concord watch -type=event -name=deploy ./deploy.sh
`

// runWatch is `concord watch`.
func runWatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(watchUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	var p watch.Params
	var tags listFlag
	fs.StringVar(&p.Type, "type", "", "What to watch: key, keyprefix, services, nodes, service, checks or event.")
	fs.StringVar(&p.Key, "key", "", "The key to watch, for -type=key.")
	fs.StringVar(&p.Prefix, "prefix", "", "The key prefix to watch, for -type=keyprefix.")
	fs.StringVar(&p.Service, "service", "", "The service to watch, for -type=service and -type=checks.")
	fs.Var(&tags, "tag", "A `tag` the service instances must have, for -type=service; may be given more than once.")
	fs.BoolVar(&p.PassingOnly, "passingonly", false, "Only instances whose checks all pass, for -type=service.")
	fs.StringVar(&p.State, "state", "", "The check state to watch, for -type=checks: any, passing, warning or critical.")
	fs.StringVar(&p.Name, "name", "", "The event name to watch, for -type=event; all events when empty.")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	p.Tags, p.Stale = tags, hf.stale
	if p.Type == "keyprefix" && len(setFlags(fs, []string{"prefix"})) == 0 {
		return errors.New("-type=keyprefix requires -prefix (-prefix= watches the whole store)")
	}
	plan, err := watch.Parse(p)
	if err != nil {
		return err
	}
	c, err := hf.connect(ctx)
	if err != nil {
		return err
	}

	h := printChange(stdout)
	if fs.NArg() > 0 {
		h = (&watch.Script{Args: fs.Args(), Shell: true, Stdout: stdout, Stderr: stderr}).Handle
	}
	// The watch goes on after an error: it is reported as it happens.
	plan.Run(ctx, c, h, watch.Options{OnError: func(err error) { fmt.Fprintf(stderr, "Error! %v\n", err) }})
	return nil
}

// printChange returns a handler that prints each change to stdout as
// indented JSON.
func printChange(stdout io.Writer) watch.Handler {
	return func(_ context.Context, _ uint64, data []byte) error {
		var buf bytes.Buffer
		if err := json.Indent(&buf, data, "", "    "); err != nil {
			buf.Reset()
			buf.Write(data)
		}
		_, err := stdout.Write(buf.Bytes())
		return err
	}
}

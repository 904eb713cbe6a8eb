package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/concordhq/concord/api"
)

// catalogCommands are the subcommands of `concord catalog`, in usage order.
var catalogCommands = []command{
	{name: "datacenters", synopsis: "Lists all known datacenters", run: runCatalogDatacenters},
	{name: "nodes", synopsis: "Lists all nodes in the given datacenter", run: runCatalogNodes},
	{name: "services", synopsis: "Lists all registered services in a datacenter", run: runCatalogServices},
}

// runCatalog is `concord catalog`: it runs one of catalogCommands.
func runCatalog(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "Usage: concord catalog <subcommand> [options] [args]", catalogCommands, args, stdout, stderr)
}

const catalogDatacentersUsage = `
Usage: concord catalog datacenters [options]

  Prints the datacenters the agent knows, one per line.
`

// runCatalogDatacenters is `concord catalog datacenters`.
func runCatalogDatacenters(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(catalogDatacentersUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	c, err := parseAndConnect(ctx, fs, &hf, args)
	if err != nil {
		return err
	}
	dcs, err := c.Catalog().Datacenters()
	if err != nil {
		return queryFailed(err)
	}
	if len(dcs) == 0 {
		return errors.New("No datacenters found")
	}
	for _, dc := range dcs {
		fmt.Fprintln(stdout, dc)
	}
	return nil
}

const catalogNodesUsage = `
Usage: concord catalog nodes [options]

  Prints the nodes of the datacenter as a table: name, the first part of the
  node ID, address and datacenter.

      $ concord catalog nodes
      $ concord catalog nodes -service=web -node-meta=rack=r1

  -service lists only the nodes running an instance of that service;
  -node-meta only the nodes whose metadata holds every key=value given.
  -detailed prints the whole node ID, the tagged addresses and the metadata.
  -near sorts them by estimated round trip time from a node (_agent: this
  agent's), nearest first.
`

// runCatalogNodes is `concord catalog nodes`.
func runCatalogNodes(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(catalogNodesUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	service := fs.String("service", "", "List only the nodes running this service (its name).")
	detailed := fs.Bool("detailed", false, "Print the full node ID, tagged addresses and metadata.")
	nodeMeta := mapFlag{}
	fs.Var(nodeMeta, "node-meta", "List only nodes with this `key=value` metadata; may be given more than once.")
	near := fs.String("near", "", "Sort the nodes by estimated round trip time from this `node` (_agent: this agent's).")
	c, err := parseAndConnect(ctx, fs, &hf, args)
	if err != nil {
		return err
	}

	q := hf.query()
	q.Near = *near
	var nodes []*api.Node
	if *service != "" {
		instances, _, err := c.Catalog().Service(*service, nil, q)
		if err != nil {
			return queryFailed(err)
		}
		nodes = nodesOf(instances)
	} else if nodes, _, err = c.Catalog().Nodes(q); err != nil {
		return queryFailed(err)
	}
	// The server does not filter on metadata, so it is done here.
	nodes = filterNodeMeta(nodes, nodeMeta)
	if len(nodes) == 0 {
		fmt.Fprintln(stderr, "No nodes match the given query - try expanding your search.")
		return nil
	}
	writeTable(stdout, 2, nodeRows(nodes, *detailed))
	return nil
}

// nodesOf returns the nodes that the service instances run on, each once,
// in the order first seen.
func nodesOf(instances []*api.CatalogService) []*api.Node {
	seen := map[string]bool{}
	var nodes []*api.Node
	for _, s := range instances {
		if seen[s.Node] {
			continue
		}
		seen[s.Node] = true
		nodes = append(nodes, &api.Node{
			ID: s.ID, Node: s.Node, Address: s.Address, Datacenter: s.Datacenter,
			TaggedAddresses: s.TaggedAddresses, Meta: s.NodeMeta,
		})
	}
	return nodes
}

// filterNodeMeta returns the nodes whose Meta holds every pair of want.
func filterNodeMeta(nodes []*api.Node, want map[string]string) []*api.Node {
	if len(want) == 0 {
		return nodes
	}
	var out []*api.Node
	for _, n := range nodes {
		match := true
		for k, v := range want {
			if got, ok := n.Meta[k]; !ok || got != v {
				match = false
				break
			}
		}
		if match {
			out = append(out, n)
		}
	}
	return out
}

// nodeRows is the `catalog nodes` table, header first.
func nodeRows(nodes []*api.Node, detailed bool) [][]string {
	header := []string{"Node", "ID", "Address", "DC"}
	if detailed {
		header = append(header, "TaggedAddresses", "Meta")
	}
	rows := [][]string{header}
	for _, n := range nodes {
		id := n.ID
		if !detailed {
			id, _, _ = strings.Cut(id, "-") // a UUID's first group: 8 hex digits
		}
		row := []string{n.Node, id, n.Address, n.Datacenter}
		if detailed {
			row = append(row, joinPairs(n.TaggedAddresses), joinPairs(n.Meta))
		}
		rows = append(rows, row)
	}
	return rows
}

// joinPairs formats m as "k1=v1, k2=v2", sorted by key.
func joinPairs(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = k + "=" + m[k]
	}
	return strings.Join(pairs, ", ")
}

const catalogServicesUsage = `
Usage: concord catalog services [options]

  Prints the names of the services registered in the datacenter, one per
  line, sorted.

      $ concord catalog services -tags
      $ concord catalog services -node=worker-1

  -node lists only the services with an instance on that node. -tags prints
  each service's tags after its name, comma-separated.
`

// runCatalogServices is `concord catalog services`.
func runCatalogServices(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(catalogServicesUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	node := fs.String("node", "", "List only the services registered on this node (its name).")
	showTags := fs.Bool("tags", false, "Print each service's tags.")
	c, err := parseAndConnect(ctx, fs, &hf, args)
	if err != nil {
		return err
	}

	var services map[string][]string
	if *node != "" {
		cn, _, err := c.Catalog().Node(*node, hf.query())
		if err != nil {
			return queryFailed(err)
		}
		services = servicesOf(cn)
	} else if services, _, err = c.Catalog().Services(hf.query()); err != nil {
		return queryFailed(err)
	}
	if len(services) == 0 {
		fmt.Fprintln(stderr, "No services match the given query - try expanding your search.")
		return nil
	}

	names := make([]string, 0, len(services))
	for name := range services {
		names = append(names, name)
	}
	sort.Strings(names)
	if !*showTags {
		for _, name := range names {
			fmt.Fprintln(stdout, name)
		}
		return nil
	}
	rows := make([][]string, len(names))
	for i, name := range names {
		tags := append([]string(nil), services[name]...)
		sort.Strings(tags)
		rows[i] = []string{name, strings.Join(tags, ",")}
	}
	writeTable(stdout, 6, rows)
	return nil
}

// servicesOf returns the services of a node by name, with the union of
// their instances' tags; a nil node has none.
func servicesOf(cn *api.CatalogNode) map[string][]string {
	out := map[string][]string{}
	if cn == nil {
		return out
	}
	for _, s := range cn.Services {
		tags := out[s.Service]
		for _, t := range s.Tags {
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
		out[s.Service] = tags
	}
	return out
}

// writeTable prints rows as aligned columns, gap spaces apart, with no
// trailing blanks.
func writeTable(w io.Writer, gap int, rows [][]string) {
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, cell := range row {
			b.WriteString(cell)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell)+gap))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// noArgs refuses positional arguments.
func noArgs(args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("Too many arguments (expected 0, got %d)", len(args))
	}
	return nil
}

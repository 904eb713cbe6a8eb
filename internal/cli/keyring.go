package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/concordhq/concord/api"
)

const keyringUsage = `
Usage: concord keyring [options]

  Manages the gossip encryption keys of the cluster: every agent's
  keyring changes at once, without a restart, and is kept in its data
  directory. To rotate: -install a new key, -use it, then -remove the old
  one. Exactly one action is given.

  -list            Lists the keys and how many agents hold each.
  -list-primary    Lists the primary (encrypting) keys only.
  -install=<key>   Adds a key (base64) to every agent's keyring.
  -use=<key>       Makes an installed key the one agents encrypt with.
  -remove=<key>    Removes a key; not the primary one.
  -local-only      With -list: this datacenter's pools only (no WAN).
  -relay-factor=N  Has each agent's answer relayed by N others (0-5).
`

// runKeyring is `concord keyring`.
func runKeyring(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(keyringUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	list := fs.Bool("list", false, "List the installed keys.")
	listPrimary := fs.Bool("list-primary", false, "List the primary keys.")
	install := fs.String("install", "", "Install a new key (base64).")
	use := fs.String("use", "", "Make an installed key the primary key.")
	remove := fs.String("remove", "", "Remove a key.")
	localOnly := fs.Bool("local-only", false, "List this datacenter's pools only, no WAN (with -list).")
	relay := fs.Int("relay-factor", 0, "Have each agent's answer relayed by this many others too (0-5), for lossy networks.")
	c, err := parseAndConnect(ctx, fs, &hf, args)
	if err != nil {
		return err
	}
	actions := 0
	for _, set := range []bool{*list, *listPrimary, *install != "", *use != "", *remove != ""} {
		if set {
			actions++
		}
	}
	switch {
	case actions == 0:
		fmt.Fprint(stderr, strings.TrimLeft(keyringUsage, "\n"))
		return verbatimf("At least one action is required")
	case actions > 1:
		return verbatimf("Only a single action is allowed")
	case *localOnly && !*list && !*listPrimary:
		return verbatimf("local-only can only be used with -list or -list-primary")
	}
	op := c.Operator()
	switch {
	case *list || *listPrimary:
		what := "installed"
		if *listPrimary {
			what = "primary"
		}
		fmt.Fprintf(stdout, "==> Gathering %s encryption keys...\n", what)
		resps, err := op.KeyringList(*localOnly, *relay)
		if err != nil {
			return verbatimf("error: %v", err)
		}
		printKeyrings(stdout, resps, *listPrimary)
		return nil
	case *install != "":
		fmt.Fprintln(stdout, "==> Installing new gossip encryption key...")
		err = op.KeyringInstall(*install, *relay)
	case *use != "":
		fmt.Fprintln(stdout, "==> Changing primary gossip encryption key...")
		err = op.KeyringUse(*use, *relay)
	default:
		fmt.Fprintln(stdout, "==> Removing gossip encryption key...")
		err = op.KeyringRemove(*remove, *relay)
	}
	if err != nil {
		return verbatimf("error: %v", err)
	}
	return nil
}

// printKeyrings prints each pool's keys with how many of its members
// hold them, as "key [held/members]".
func printKeyrings(w io.Writer, resps []*api.KeyringResponse, primary bool) {
	for _, r := range resps {
		pool := r.Datacenter + " (LAN)"
		if r.WAN {
			pool = "WAN"
		}
		keys := r.Keys
		if primary {
			keys = r.PrimaryKeys
		}
		fmt.Fprintf(w, "\n%s:\n", pool)
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			fmt.Fprintf(w, "  %s [%d/%d]\n", k, keys[k], r.NumNodes)
		}
	}
}

package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/concordhq/concord/api"
)

// operatorAutopilotCommands are the subcommands of `concord operator
// autopilot`.
var operatorAutopilotCommands = []command{
	{name: "get-config", synopsis: "Displays the current Autopilot configuration", run: runAutopilotGetConfig},
	{name: "set-config", synopsis: "Modifies the current Autopilot configuration", run: runAutopilotSetConfig},
	{name: "state", synopsis: "Displays the current Autopilot state", run: runAutopilotState},
}

func runOperatorAutopilot(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "Usage: concord operator autopilot <subcommand> [options]", operatorAutopilotCommands, args, stdout, stderr)
}

const autopilotGetConfigUsage = `
Usage: concord operator autopilot get-config [options]

  Prints the autopilot configuration the leader enforces.
`

// runAutopilotGetConfig is `concord operator autopilot get-config`.
func runAutopilotGetConfig(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(autopilotGetConfigUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	c, err := parseAndConnect(ctx, fs, &hf, args)
	if err != nil {
		return err
	}
	conf, err := c.Operator().AutopilotGetConfiguration(hf.query())
	if err != nil {
		return verbatimf("Error querying Autopilot configuration: %v", err)
	}
	fmt.Fprintf(stdout, "CleanupDeadServers = %v\n", conf.CleanupDeadServers)
	fmt.Fprintf(stdout, "LastContactThreshold = %v\n", conf.LastContactThreshold.Duration())
	fmt.Fprintf(stdout, "MaxTrailingLogs = %d\n", conf.MaxTrailingLogs)
	fmt.Fprintf(stdout, "MinQuorum = %d\n", conf.MinQuorum)
	fmt.Fprintf(stdout, "ServerStabilizationTime = %v\n", conf.ServerStabilizationTime.Duration())
	fmt.Fprintf(stdout, "RedundancyZoneTag = %q\n", conf.RedundancyZoneTag)
	fmt.Fprintf(stdout, "DisableUpgradeMigration = %v\n", conf.DisableUpgradeMigration)
	fmt.Fprintf(stdout, "UpgradeVersionTag = %q\n", conf.UpgradeVersionTag)
	return nil
}

const autopilotSetConfigUsage = `
Usage: concord operator autopilot set-config [options]

  Changes the autopilot configuration: only the settings given change.
  The change is made with check-and-set, so a concurrent change is not
  overwritten (try again).
`

// runAutopilotSetConfig is `concord operator autopilot set-config`.
func runAutopilotSetConfig(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(autopilotSetConfigUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	cleanup := fs.String("cleanup-dead-servers", "", "Remove failed servers from Raft: true or false.")
	lastContact := fs.String("last-contact-threshold", "", "How long a server may go without the leader's contact and stay healthy (e.g. 200ms).")
	maxTrailing := fs.String("max-trailing-logs", "", "How many Raft entries a server may lag by and stay healthy.")
	minQuorum := fs.String("min-quorum", "", "The fewest voters dead-server cleanup leaves.")
	stabilization := fs.String("server-stabilization-time", "", "How long a new server must be healthy before it votes (e.g. 10s).")
	zoneTag := fs.String("redundancy-zone-tag", "", "Enterprise setting, stored and not acted on.")
	noMigration := fs.String("disable-upgrade-migration", "", "Enterprise setting, stored and not acted on.")
	versionTag := fs.String("upgrade-version-tag", "", "Enterprise setting, stored and not acted on.")
	c, err := parseAndConnect(ctx, fs, &hf, args)
	if err != nil {
		return err
	}
	op := c.Operator()
	conf, err := op.AutopilotGetConfiguration(hf.query())
	if err != nil {
		return verbatimf("Error querying Autopilot configuration: %v", err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	changes := []func() error{
		boolSetting(set["cleanup-dead-servers"], "cleanup-dead-servers", *cleanup, &conf.CleanupDeadServers),
		boolSetting(set["disable-upgrade-migration"], "disable-upgrade-migration", *noMigration, &conf.DisableUpgradeMigration),
		durationSetting(set["last-contact-threshold"], "last-contact-threshold", *lastContact, &conf.LastContactThreshold),
		durationSetting(set["server-stabilization-time"], "server-stabilization-time", *stabilization, &conf.ServerStabilizationTime),
		uintSetting(set["max-trailing-logs"], "max-trailing-logs", *maxTrailing, func(n uint64) { conf.MaxTrailingLogs = n }),
		uintSetting(set["min-quorum"], "min-quorum", *minQuorum, func(n uint64) { conf.MinQuorum = uint(n) }),
	}
	for _, change := range changes {
		if err := change(); err != nil {
			return err
		}
	}
	if set["redundancy-zone-tag"] {
		conf.RedundancyZoneTag = *zoneTag
	}
	if set["upgrade-version-tag"] {
		conf.UpgradeVersionTag = *versionTag
	}
	ok, err := op.AutopilotCASConfiguration(conf)
	switch {
	case err != nil:
		return verbatimf("Error setting Autopilot configuration: %v", err)
	case !ok:
		return verbatimf("Configuration could not be atomically updated, please try again")
	}
	fmt.Fprintln(stdout, "Configuration updated!")
	return nil
}

func boolSetting(given bool, name, v string, dst *bool) func() error {
	return func() error {
		if !given {
			return nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return verbatimf("Error parsing -%s: %q is not true or false", name, v)
		}
		*dst = b
		return nil
	}
}

func durationSetting(given bool, name, v string, dst **api.ReadableDuration) func() error {
	return func() error {
		if !given {
			return nil
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return verbatimf("Error parsing -%s: %q is not a duration such as 10s", name, v)
		}
		*dst = api.NewReadableDuration(d)
		return nil
	}
}

func uintSetting(given bool, name, v string, set func(uint64)) func() error {
	return func() error {
		if !given {
			return nil
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return verbatimf("Error parsing -%s: %q is not a non-negative number", name, v)
		}
		set(n)
		return nil
	}
}

const autopilotStateUsage = `
Usage: concord operator autopilot state [options]

  Prints the leader's view of every server: its health, vote and Raft
  progress, and how many voters the cluster can lose.

  -format=pretty|json   Output format (default pretty).
`

// runAutopilotState is `concord operator autopilot state`.
func runAutopilotState(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(autopilotStateUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	format := fs.String("format", "pretty", "Output format: pretty or json.")
	c, err := parseAndConnect(ctx, fs, &hf, args)
	if err != nil {
		return err
	}
	if *format != "pretty" && *format != "json" {
		return verbatimf("Error: unknown format %q (want pretty or json)", *format)
	}
	st, err := c.Operator().AutopilotState(hf.query())
	if err != nil {
		return verbatimf("Error querying Autopilot state: %v", err)
	}
	if *format == "json" {
		data, err := json.MarshalIndent(st, "", "   ")
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, string(data))
		return nil
	}
	printAutopilotState(stdout, st)
	return nil
}

// printAutopilotState prints st as consul's pretty format does.
func printAutopilotState(w io.Writer, st *api.AutopilotState) {
	fmt.Fprintf(w, "Healthy:                      %v\n", st.Healthy)
	fmt.Fprintf(w, "Failure Tolerance:            %d\n", st.FailureTolerance)
	fmt.Fprintf(w, "Optimistic Failure Tolerance: %d\n", st.OptimisticFailureTolerance)
	fmt.Fprintf(w, "Leader:                       %s\n", st.Leader)
	fmt.Fprintln(w, "Voters:")
	for _, id := range st.Voters {
		fmt.Fprintf(w, "   %s\n", id)
	}
	fmt.Fprintln(w, "\nServers:")
	ids := make([]string, 0, len(st.Servers))
	for id := range st.Servers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s := st.Servers[id]
		fmt.Fprintf(w, "   %s\n", id)
		fmt.Fprintf(w, "      Name:            %s\n", s.Name)
		fmt.Fprintf(w, "      Address:         %s\n", s.Address)
		fmt.Fprintf(w, "      Version:         %s\n", s.Version)
		fmt.Fprintf(w, "      Status:          %s\n", s.Status)
		fmt.Fprintf(w, "      Node Type:       %s\n", s.NodeType)
		fmt.Fprintf(w, "      Node Status:     %s\n", s.NodeStatus)
		fmt.Fprintf(w, "      Healthy:         %v\n", s.Healthy)
		fmt.Fprintf(w, "      Last Contact:    %v\n", s.LastContact.Duration())
		fmt.Fprintf(w, "      Last Term:       %d\n", s.LastTerm)
		fmt.Fprintf(w, "      Last Index:      %d\n", s.LastIndex)
		fmt.Fprintf(w, "      Stable Since:    %s\n", s.StableSince.Format(time.RFC3339))
	}
}

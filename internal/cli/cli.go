// Package cli is the concord command line. Its commands and flags mirror
// consul's, so that scripts written for `consul` run against Concord.
//
// Main looks the first argument up in one table of commands; each command
// lives in its own file, parses its own flags with the standard flag package
// and writes only to the stdout and stderr it is given, so tests run commands
// in-process. A command returns an error, which Main prints once, as
// consul does ("Error! ..."), and turns into the exit code (see errors.go):
// 0 on success, 1 on a usage error or a failure, 2 where consul exits 2.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/concordhq/concord/api"
)

// runFunc runs one command with its arguments (those after its name).
type runFunc func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// command is one entry of a command table: a name, a one-line synopsis for
// the usage listing, and the function that runs it.
type command struct {
	name     string
	synopsis string
	run      runFunc
	hidden   bool // kept for compatibility, left out of the usage listing
}

// commands is what Main dispatches on, in the order usage lists them.
var commands = []command{
	{name: "acl", synopsis: "Interact with Concord's ACLs", run: runACL},
	{name: "agent", synopsis: "Runs a Concord agent", run: withExitCode(runAgent)},
	{name: "bench", synopsis: "Benchmarks a Concord or Consul agent over HTTP and DNS", run: runBench},
	{name: "catalog", synopsis: "Interact with the catalog", run: runCatalog},
	{name: "config", synopsis: "Interact with Concord's centralized config entries", run: runConfig},
	{name: "event", synopsis: "Fires a user event", run: runEvent},
	{name: "exec", synopsis: "Runs a command on Concord nodes (if their agents allow it)", run: runExec},
	{name: "force-leave", synopsis: "Forces a member of the cluster to enter the \"left\" state", run: runForceLeave},
	{name: "info", synopsis: "Provides debugging information for operators", run: runInfo},
	{name: "keygen", synopsis: "Generates a new encryption key", run: runKeygen},
	{name: "keyring", synopsis: "Manages gossip layer encryption keys", run: runKeyring},
	{name: "join", synopsis: "Tells the agent to join the cluster", run: runJoin},
	{name: "kv", synopsis: "Interact with the key-value store", run: runKV},
	{name: "leave", synopsis: "Gracefully leaves the cluster and shuts down", run: runLeave},
	{name: "lock", synopsis: "Runs a command while holding a lock or semaphore", run: runLock},
	{name: "login", synopsis: "Logs in to Concord through an auth method", run: runLogin},
	{name: "logout", synopsis: "Deletes a token made by 'concord login'", run: runLogout},
	{name: "members", synopsis: "Lists the members of the cluster", run: runMembers},
	{name: "monitor", synopsis: "Streams the agent's log", run: runMonitor},
	{name: "operator", synopsis: "Provides cluster-level tools for operators", run: runOperator},
	{name: "reload", synopsis: "Reloads the agent's service and check definitions", run: runReload},
	{name: "maint", synopsis: "Controls node or service maintenance mode", run: runMaint},
	{name: "rtt", synopsis: "Estimates network round trip time between nodes", run: runRTT},
	{name: "services", synopsis: "Interact with services", run: runServices},
	{name: "snapshot", synopsis: "Saves, restores and inspects snapshots of Concord server state", run: runSnapshot},
	{name: "stream", synopsis: "Publishes to or subscribes to a durable stream", run: runStream},
	{name: "tls", synopsis: "Builtin helpers for creating CAs and certificates", run: runTLS},
	{name: "validate", synopsis: "Validate config files/directories", run: withExitCode(runValidate)},
	{name: "configtest", synopsis: "Validate config files/directories", run: withExitCode(runValidate), hidden: true},
	{name: "version", synopsis: "Prints the Concord version", run: runVersion},
	{name: "watch", synopsis: "Watches for changes in the catalog, health checks, KV store or user events", run: runWatch},
}

const mainUsage = "Usage: concord [--version] [--help] <command> [<args>]"

// Main runs the command named by args[0] with the remaining args, reports
// its error if any, and returns the exit code. ctx ends on SIGINT/SIGTERM;
// long-running commands stop then.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "-v", "-version", "--version":
			return report(stderr, runVersion(ctx, args[1:], stdout, stderr))
		}
	}
	return report(stderr, dispatch(ctx, mainUsage, commands, args, stdout, stderr))
}

// dispatch runs the command of table named by args[0]. With no arguments or
// an unknown name it prints usage to stderr and fails; asked for help, it
// prints usage to stdout and succeeds.
func dispatch(ctx context.Context, usage string, table []command, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		writeUsage(stderr, usage, table)
		return silentExit(1)
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		writeUsage(stdout, usage, table)
		return nil
	}
	for _, c := range table {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "Unknown command: %q\n\n", args[0])
	writeUsage(stderr, usage, table)
	return silentExit(1)
}

// writeUsage prints usage and then the table's visible commands.
func writeUsage(w io.Writer, usage string, table []command) {
	fmt.Fprintf(w, "%s\n\nAvailable commands are:\n", usage)
	for _, c := range table {
		if !c.hidden {
			fmt.Fprintf(w, "    %-12s%s\n", c.name, c.synopsis)
		}
	}
}

// newFlagSet returns a flag set for one command that reports errors and
// prints help (usage, then the flags) on stderr instead of exiting.
func newFlagSet(usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "%s\n\nOptions:\n\n", strings.TrimSpace(usage))
		fs.PrintDefaults()
	}
	return fs
}

// parseArgs parses args into fs. It returns flag.ErrHelp after -h (the
// help is printed, the command succeeds), and after a bad flag, which fs
// has reported, an error that exits 1.
func parseArgs(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		return flag.ErrHelp
	default:
		return silentExit(1)
	}
}

// parseFlags is parseArgs for a command that returns its exit code
// (validate): when the command must stop there it returns done and the
// code. It goes when validate returns errors.
func parseFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	err := parseArgs(fs, args)
	return report(io.Discard, err), err != nil
}

// parseAndConnect parses args into fs, which has hf registered, refuses
// positional arguments and builds the client.
func parseAndConnect(ctx context.Context, fs *flag.FlagSet, hf *httpFlags, args []string) (*api.Client, error) {
	if err := parseArgs(fs, args); err != nil {
		return nil, err
	}
	if err := noArgs(fs.Args()); err != nil {
		return nil, err
	}
	return hf.connect(ctx)
}

// stdin is what commands read for the "-" argument; tests replace it.
var stdin io.Reader = os.Stdin

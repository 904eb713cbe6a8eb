package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/concordhq/concord/internal/bench"
)

const benchUsage = `
Usage: concord bench -op OP [options]

  Loads a Concord or Consul agent through its public HTTP API (or DNS, for
  -op dns-a and dns-srv) and prints one line: throughput, latency
  percentiles and errors. The run stops after -duration or -count
  operations, whichever comes first. Failed operations are counted, not
  fatal; the exit code is 1 only if no operation succeeded. While it runs,
  a progress line is shown on stderr if stderr is a terminal.

  -op load writes keys 0..K-1 of -keys K once each (the keys put and get
  use). -op watch measures write-to-wake latency: -watchers W blocking
  reads of one key, one write per round; a sample is the time from the
  write's acknowledgement to one watcher's wake-up. -op watch-service
  does the same with blocking reads of a service's health, changed by a
  catalog registration of one of its instances.
`

// runBench is `concord bench`: a load generator for any Consul-compatible
// endpoint (see package bench).
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := bench.DefaultConfig()
	fs := newFlagSet(benchUsage, stderr)
	fs.StringVar(&cfg.HTTPAddr, "http-addr", benchDefaultAddr(),
		"host:port of the HTTP API; several, comma-separated, are used in turn by the clients. Defaults to "+
			"CONCORD_HTTP_ADDR, then CONSUL_HTTP_ADDR, then 127.0.0.1:8500.")
	fs.StringVar(&cfg.DNSAddr, "dns-addr", cfg.DNSAddr, "host:port of the DNS server, for -op dns-a and dns-srv.")
	fs.StringVar(&cfg.Op, "op", cfg.Op, "Operation: "+strings.Join(bench.Ops(), ", ")+".")
	fs.IntVar(&cfg.Clients, "clients", cfg.Clients, "Concurrent clients, each with its own connection.")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "Run at most this long.")
	fs.Int64Var(&cfg.Count, "count", 0, "Run at most this many operations (0: no limit).")
	fs.IntVar(&cfg.ValueSize, "value-size", cfg.ValueSize, "Bytes per written value.")
	fs.IntVar(&cfg.Keys, "keys", cfg.Keys, "Distinct keys, or service instances for health and dns.")
	fs.IntVar(&cfg.Watchers, "watchers", cfg.Watchers, "Blocking readers, for -op watch and watch-service.")
	asJSON := fs.Bool("json", false, "Print the result as JSON.")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return verbatimf("bench takes no arguments")
	}
	cfg.HTTPAddr = strings.ReplaceAll(strings.TrimPrefix(cfg.HTTPAddr, "http://"), ",http://", ",")
	if isTerminal(stderr) {
		cfg.Progress = stderr
	}
	res, err := bench.Run(ctx, cfg)
	if err != nil {
		return verbatimf("Error: %v", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(res.JSON())
	} else {
		fmt.Fprintln(stdout, res)
	}
	if res.FirstErr != "" {
		fmt.Fprintf(stderr, "first error: %s\n", res.FirstErr)
	}
	if res.Ops == 0 && res.Errors > 0 {
		return silentExit(1) // nothing worked: the endpoint is wrong or down
	}
	return nil
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// benchDefaultAddr is the HTTP address from the environment, as for the
// other commands, or the local agent's.
func benchDefaultAddr() string {
	for _, name := range []string{"CONCORD_HTTP_ADDR", "CONSUL_HTTP_ADDR"} {
		if v := os.Getenv(name); v != "" {
			return v
		}
	}
	return "127.0.0.1:8500"
}

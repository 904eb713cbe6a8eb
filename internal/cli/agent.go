package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/concordhq/concord/internal/agent"
	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/version"
)

// shutdownGrace bounds how long a stopping agent waits for requests to drain.
const shutdownGrace = 10 * time.Second

// runAgent is `concord agent`: it parses the flags, starts the agent and runs
// it until ctx ends (SIGINT/SIGTERM), then shuts it down cleanly.
func runAgent(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := config.Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "==> %v\n", err)
		return 1
	}
	agent.TuneRuntime(cfg.Server, cfg.EnableDebug)
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel(cfg.LogLevel)}))
	for _, w := range cfg.Warnings {
		logger.Warn("config: " + w)
	}
	a, err := agent.New(cfg, logger)
	if err != nil {
		fmt.Fprintf(stderr, "==> Error starting agent: %v\n", err)
		return 1
	}
	a.SetConfigSource(func() (config.Config, error) { return config.Parse(args) })
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer func() { signal.Stop(hup); close(hup) }()
	go func() {
		for range hup {
			if err := a.AgentReload(); err != nil {
				logger.Error("reload failed", "error", err)
			}
		}
	}()
	fmt.Fprintf(stdout, "==> %s agent running!\n", version.String())
	fmt.Fprintf(stdout, "    Node name: '%s'\n    Datacenter: '%s'\n    Server: %t (dev: %t)\n    HTTP: %s\n",
		cfg.NodeName, cfg.Datacenter, cfg.Server, cfg.DevMode, a.HTTPAddr())
	select {
	case <-ctx.Done():
		fmt.Fprintln(stdout, "==> Caught signal, gracefully shutting down agent...")
		// A client agent leaves on a signal (Consul's defaults for
		// leave_on_terminate and skip_leave_on_interrupt), so its node is
		// deregistered at once rather than turning critical; a server only
		// stops, keeping its place in Raft for its restart.
		if !cfg.Server {
			if err := a.Leave(); err != nil {
				fmt.Fprintf(stderr, "==> Error leaving the cluster: %v\n", err)
			}
		}
	case <-a.LeftCh():
		fmt.Fprintln(stdout, "==> Left the cluster, shutting down agent...")
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := a.Shutdown(sctx); err != nil {
		fmt.Fprintf(stderr, "==> Error during shutdown: %v\n", err)
		return 1
	}
	return 0
}

// logLevel maps config's level names to slog levels; trace is debug.
func logLevel(name string) slog.Level {
	switch strings.ToLower(name) {
	case "trace", "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

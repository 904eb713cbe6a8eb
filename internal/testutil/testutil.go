// Package testutil starts real Concord agents for tests: in-process on
// loopback with free ports, or as a `concord` subprocess, and offers
// retry.Run-style polling so tests never sleep blindly.
package testutil

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/agent"
	"github.com/concordhq/concord/internal/config"
)

// TestAgent is an agent started for one test.
type TestAgent struct {
	*agent.Agent
	Config config.Config
}

// HTTPAddr is host:port of the agent's HTTP API.
func (a *TestAgent) HTTPAddr() string { return a.Agent.HTTPAddr() }

// StartAgent starts an in-process agent on loopback with free ports and waits
// until it has a leader. With dataDir "" it runs in dev mode (in memory);
// otherwise it is a durable single server over dataDir. modify, if not nil,
// may change the config before start. The agent stops at test cleanup.
func StartAgent(t testing.TB, dataDir string, modify func(*config.Config)) *TestAgent {
	t.Helper()
	cfg := config.Default()
	cfg.NodeName = "node-" + fmt.Sprint(os.Getpid())
	cfg.Server = true
	cfg.LogLevel = "warn"
	if dataDir == "" {
		cfg.DevMode = true
	} else {
		cfg.DataDir = dataDir
		cfg.BootstrapExpect = 1
	}
	cfg.Ports.HTTP = FreePort(t)
	cfg.Ports.Server = FreePort(t)
	cfg.Ports.DNS = 0 // any free port: tests run agents side by side
	cfg.Ports.SerfLAN = 0
	cfg.Ports.SerfWAN = 0
	if modify != nil {
		modify(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("invalid test config: %v", err)
	}
	var out io.Writer = io.Discard
	if testing.Verbose() {
		out = os.Stderr
	}
	logger := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := agent.New(cfg, logger)
	if err != nil {
		t.Fatalf("cannot start agent: %v", err)
	}
	ta := &TestAgent{Agent: a, Config: cfg}
	t.Cleanup(func() { ta.Stop(t) })
	WaitForLeader(t, ta.HTTPAddr())
	return ta
}

// Stop shuts the agent down; calling it twice is harmless.
func (a *TestAgent) Stop(t testing.TB) {
	t.Helper()
	if a.Agent == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Agent.Shutdown(ctx); err != nil {
		t.Errorf("agent shutdown: %v", err)
	}
	a.Agent = nil
}

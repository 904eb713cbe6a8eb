package agent

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/logstream"
)

// The log fan-out itself is tested in internal/logstream; this is the
// agent's wiring of it.
func TestAgentMonitor(t *testing.T) {
	var out bytes.Buffer
	logger := slog.New(logstream.NewHandler(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelWarn})))
	a := &Agent{logger: logger}
	lines, err := a.Monitor(t.Context(), "debug", false)
	if err != nil {
		t.Fatalf("Monitor(debug): %v", err)
	}
	logger.Debug("seen")
	if l := <-lines; !strings.HasSuffix(l, "[DEBUG] seen") {
		t.Errorf("first line = %q, want [DEBUG] seen", l)
	}
	var bad api.BadRequestError
	if _, err := a.Monitor(t.Context(), "loud", false); !errors.As(err, &bad) || bad.Reason != "Unknown log level: loud" {
		t.Errorf("Monitor(loud) = %v, want a bad request saying Unknown log level: loud", err)
	}
	if _, err := (&Agent{logger: slog.New(slog.DiscardHandler)}).Monitor(t.Context(), "info", false); err != errNoMonitor {
		t.Errorf("Monitor on a plain logger = %v, want errNoMonitor", err)
	}
}

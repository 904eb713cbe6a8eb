package logstream

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// newTestHandler returns a logger whose own output (at warn) goes to out,
// and its handler.
func newTestHandler(out *bytes.Buffer) (*slog.Logger, *Handler) {
	h := NewHandler(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return slog.New(h), h
}

// drain returns the lines queued for s.
func drain(s *subscriber) []string {
	var lines []string
	for {
		select {
		case l := <-s.ch:
			lines = append(lines, l)
		default:
			return lines
		}
	}
}

func TestSubscriberSeesLevelsTheLogLeavesOut(t *testing.T) {
	var out bytes.Buffer
	logger, h := newTestHandler(&out)
	logger.Debug("before any monitor")

	debug := h.hub.subscribe(slog.LevelDebug, false)
	warn := h.hub.subscribe(slog.LevelWarn, true)
	logger.With("component", "http").WithGroup("req").Debug("debug line", "path", "/v1/kv/a")
	logger.Warn("warn line", "n", 3)

	if got := out.String(); strings.Contains(got, "debug line") || !strings.Contains(got, "warn line") {
		t.Errorf("agent log = %q, want the warn line only", got)
	}
	lines := drain(debug)
	// Consul's text lines: time, [LEVEL], the component as module, the
	// message, then the attributes.
	if len(lines) != 2 || !strings.HasSuffix(lines[0], ` [DEBUG] http: debug line: req.path=/v1/kv/a`) ||
		!strings.HasSuffix(lines[1], ` [WARN]  warn line: n=3`) {
		t.Errorf("debug monitor got %q, want the debug line (with its attrs and group) and the warn line", lines)
	}
	lines = drain(warn)
	if len(lines) != 1 {
		t.Fatalf("warn monitor got %q, want one line", lines)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil || rec["@message"] != "warn line" ||
		rec["@level"] != "warn" || rec["n"] != 3.0 || rec["@timestamp"] == nil {
		t.Errorf("warn monitor line = %q (%v), want Consul's JSON: @message \"warn line\", @level warn, n 3", lines[0], err)
	}

	h.hub.unsubscribe(debug)
	h.hub.unsubscribe(warn)
	if h.Enabled(t.Context(), slog.LevelInfo) {
		t.Errorf("Enabled(info) = true with no monitor and the log at warn")
	}
	if _, ok := <-debug.ch; ok {
		t.Errorf("channel still open after unsubscribe")
	}
}

func TestDropsForSlowReaderAndSaysSo(t *testing.T) {
	var out bytes.Buffer
	logger, h := newTestHandler(&out)
	s := h.hub.subscribe(slog.LevelInfo, false)
	defer h.hub.unsubscribe(s)
	const extra = 10
	for i := 0; i < bufferSize+extra; i++ {
		logger.Info("line", "i", i)
	}
	if got := s.dropped.Load(); got != extra {
		t.Fatalf("dropped = %d, want %d", got, extra)
	}
	drain(s)
	logger.Info("after")
	lines := drain(s)
	if len(lines) != 2 || !strings.Contains(lines[0], "10 log lines dropped") || !strings.HasSuffix(lines[1], "[INFO]  after") {
		t.Errorf("after draining got %q, want the drop note then the new line", lines)
	}
	if s.unreported.Load() != 0 {
		t.Errorf("unreported = %d after the note, want 0", s.unreported.Load())
	}
}

func TestParseLevel(t *testing.T) {
	for name, want := range map[string]slog.Level{"": slog.LevelInfo, "INFO": slog.LevelInfo,
		"debug": slog.LevelDebug, "trace": slog.LevelDebug - 4, "warn": slog.LevelWarn, "ERR": slog.LevelError} {
		if got, err := ParseLevel(name); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	if _, err := ParseLevel("loud"); err == nil || err.Error() != "Unknown log level: loud" {
		t.Errorf("ParseLevel(loud) error = %v, want Unknown log level: loud", err)
	}
}

func TestSubscribeEndsWithContext(t *testing.T) {
	var out bytes.Buffer
	logger, h := newTestHandler(&out)
	ctx, cancel := context.WithCancel(t.Context())
	lines := h.Subscribe(ctx, slog.LevelDebug, false)
	logger.Debug("seen")
	if l := <-lines; !strings.HasSuffix(l, "[DEBUG] seen") {
		t.Errorf("first line = %q, want [DEBUG] seen", l)
	}
	cancel()
	for range lines { // closed once the subscription is gone
	}
	if h.Enabled(t.Context(), slog.LevelDebug) {
		t.Errorf("Enabled(debug) = true after the only subscriber ended")
	}
}

func TestTextLineQuotesValues(t *testing.T) {
	var out bytes.Buffer
	logger, h := newTestHandler(&out)
	s := h.hub.subscribe(slog.LevelInfo, false)
	defer h.hub.unsubscribe(s)
	logger.Error("cannot sync", "error", `no "leader" here`, "took", 1500*time.Millisecond, "empty", "")
	lines := drain(s)
	want := ` [ERROR] cannot sync: error="no \"leader\" here" took=1.5s empty=""`
	if len(lines) != 1 || !strings.HasSuffix(lines[0], want) {
		t.Errorf("line = %q, want suffix %q", lines, want)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z07:00", strings.Fields(lines[0])[0]); err != nil {
		t.Errorf("line %q does not start with a timestamp: %v", lines[0], err)
	}
}

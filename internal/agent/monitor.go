package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/concordhq/concord/api"
)

// monitorBuffer is how many lines a monitor may fall behind before its
// lines are dropped: a slow reader must never slow the agent's logging.
const monitorBuffer = 512

// errNoMonitor is returned by Monitor when the agent's logger was not
// wrapped by newMonitorHandler.
var errNoMonitor = errors.New("agent: log monitoring is not available")

// monitorHandler is the agent's slog.Handler: it passes every record to
// the handler it wraps (the agent's own log) and also hands each record at
// or above a monitor's level to that monitor (GET /v1/agent/monitor), so
// a monitor may see debug lines the agent's own log leaves out.
type monitorHandler struct {
	inner slog.Handler
	hub   *monitorHub // shared by every handler derived with With*
	ops   []handlerOp // With* calls since the root, replayed when formatting
}

// handlerOp is one WithAttrs (attrs) or WithGroup (group) call.
type handlerOp struct {
	group string
	attrs []slog.Attr
}

// newMonitorHandler wraps inner; Agent.Monitor subscribes through it.
func newMonitorHandler(inner slog.Handler) *monitorHandler {
	hub := &monitorHub{subs: map[*monitorSub]struct{}{}}
	hub.min.Store(math.MaxInt64)
	return &monitorHandler{inner: inner, hub: hub}
}

// Enabled is true if the agent's log or any monitor wants the level.
func (h *monitorHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l) || int64(l) >= h.hub.min.Load()
}

// Handle logs r to the agent's log when its level is enabled there, then
// to the monitors. Only the agent's log can fail.
func (h *monitorHandler) Handle(ctx context.Context, r slog.Record) error {
	var err error
	if h.inner.Enabled(ctx, r.Level) {
		err = h.inner.Handle(ctx, r)
	}
	if int64(r.Level) >= h.hub.min.Load() {
		h.hub.publish(h, r)
	}
	return err
}

func (h *monitorHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &monitorHandler{inner: h.inner.WithAttrs(attrs), hub: h.hub, ops: appendOp(h.ops, handlerOp{attrs: attrs})}
}

func (h *monitorHandler) WithGroup(name string) slog.Handler {
	return &monitorHandler{inner: h.inner.WithGroup(name), hub: h.hub, ops: appendOp(h.ops, handlerOp{group: name})}
}

// appendOp returns ops plus op in a new slice, so sibling handlers never
// share a backing array.
func appendOp(ops []handlerOp, op handlerOp) []handlerOp {
	out := make([]handlerOp, len(ops), len(ops)+1)
	copy(out, ops)
	return append(out, op)
}

// format renders r as one line, text or JSON, with the attributes and
// groups of h, the way the agent's own slog handlers would.
func (h *monitorHandler) format(r slog.Record, asJSON bool) string {
	var buf bytes.Buffer
	opts := &slog.HandlerOptions{Level: slog.Level(math.MinInt)}
	var f slog.Handler
	if asJSON {
		f = slog.NewJSONHandler(&buf, opts)
	} else {
		f = slog.NewTextHandler(&buf, opts)
	}
	for _, op := range h.ops {
		if op.group != "" {
			f = f.WithGroup(op.group)
		} else {
			f = f.WithAttrs(op.attrs)
		}
	}
	if err := f.Handle(context.Background(), r); err != nil {
		return fmt.Sprintf("cannot format log record %q: %v", r.Message, err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// monitorHub is the set of current monitors.
type monitorHub struct {
	min  atomic.Int64 // lowest level any monitor wants; MaxInt64 when none
	mu   sync.RWMutex
	subs map[*monitorSub]struct{} // guarded by mu
}

// monitorSub is one monitor: its level, format and line channel.
type monitorSub struct {
	level      slog.Level
	json       bool
	ch         chan string   // closed by unsubscribe
	dropped    atomic.Uint64 // lines dropped in all
	unreported atomic.Uint64 // drops not yet told to the reader
}

func (hub *monitorHub) subscribe(level slog.Level, asJSON bool) *monitorSub {
	s := &monitorSub{level: level, json: asJSON, ch: make(chan string, monitorBuffer)}
	hub.mu.Lock()
	hub.subs[s] = struct{}{}
	hub.resetMinLocked()
	hub.mu.Unlock()
	return s
}

func (hub *monitorHub) unsubscribe(s *monitorSub) {
	hub.mu.Lock()
	delete(hub.subs, s)
	hub.resetMinLocked()
	hub.mu.Unlock()
	close(s.ch)
}

func (hub *monitorHub) resetMinLocked() {
	lowest := int64(math.MaxInt64)
	for s := range hub.subs {
		lowest = min(lowest, int64(s.level))
	}
	hub.min.Store(lowest)
}

// publish hands r, formatted once per format, to every monitor that
// wants its level. It never blocks.
func (hub *monitorHub) publish(h *monitorHandler, r slog.Record) {
	var lines [2]string // text, JSON; formatted on first use
	hub.mu.RLock()
	defer hub.mu.RUnlock()
	for s := range hub.subs {
		if r.Level < s.level {
			continue
		}
		i := 0
		if s.json {
			i = 1
		}
		if lines[i] == "" {
			lines[i] = h.format(r, s.json)
		}
		s.send(lines[i])
	}
}

// send queues line unless the reader is too far behind, in which case the
// line is dropped and counted. The first line that fits after drops is
// preceded by a note saying how many were lost.
func (s *monitorSub) send(line string) {
	if n := s.unreported.Load(); n > 0 {
		note := fmt.Sprintf("[WARN] monitor: %d log lines dropped: this reader is too slow", n)
		select {
		case s.ch <- note:
			s.unreported.Add(^(n - 1)) // subtract n
		default:
			s.drop()
			return
		}
	}
	select {
	case s.ch <- line:
	default:
		s.drop()
	}
}

func (s *monitorSub) drop() {
	s.dropped.Add(1)
	s.unreported.Add(1)
}

// parseMonitorLevel maps Consul's log level names (any case) to slog's;
// "" is info, trace is below debug.
func parseMonitorLevel(name string) (slog.Level, error) {
	switch strings.ToLower(name) {
	case "trace":
		return slog.LevelDebug - 4, nil
	case "debug":
		return slog.LevelDebug, nil
	case "", "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "err", "error":
		return slog.LevelError, nil
	}
	return 0, api.BadRequestError{Reason: fmt.Sprintf("Unknown log level: %s", name)}
}

// Monitor answers /v1/agent/monitor: the agent's log lines at or above
// level, as they happen, as text or JSON lines, until ctx ends; then the
// channel is closed. The caller must keep reading: a reader more than
// monitorBuffer lines behind loses lines (it is told how many).
func (a *Agent) Monitor(ctx context.Context, level string, asJSON bool) (<-chan string, error) {
	h, ok := a.logger.Handler().(*monitorHandler)
	if !ok {
		return nil, errNoMonitor
	}
	l, err := parseMonitorLevel(level)
	if err != nil {
		return nil, err
	}
	s := h.hub.subscribe(l, asJSON)
	go func() {
		<-ctx.Done()
		h.hub.unsubscribe(s)
		if n := s.dropped.Load(); n > 0 {
			a.logger.Warn("a log monitor was too slow; lines were dropped", "dropped", n)
		}
	}()
	return s.ch, nil
}

// Package logstream copies an agent's log to live readers: GET
// /v1/agent/monitor, which `concord monitor` reads.
//
// The agent wraps its slog handler with NewHandler and logs through it as
// usual. Each record goes to the wrapped handler (the agent's own log) when
// that handler's level takes it, and to every subscriber whose level takes
// it, so a reader may see debug lines the agent's own log leaves out:
//
//  1. Subscribe adds a reader with its level and format (text or JSON);
//     the handler's Enabled now also says yes to that level.
//  2. Handle formats a record once per format, as the agent's own slog
//     handlers would (with the attributes and groups of With*), and queues
//     the line for each reader without ever blocking: a reader more than
//     bufferSize lines behind loses lines, and is told how many.
//  3. When the reader's ctx ends, it is removed and its channel closed.
package logstream

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
)

// bufferSize is how many lines a reader may fall behind before its lines
// are dropped: a slow reader must never slow the agent's logging.
const bufferSize = 512

// Handler is the agent's slog.Handler: it passes every record to the
// handler it wraps and hands it to the subscribers that want its level.
type Handler struct {
	inner slog.Handler
	hub   *hub        // shared by every handler derived with With*
	ops   []handlerOp // With* calls since the root, replayed when formatting
}

// handlerOp is one WithAttrs (attrs) or WithGroup (group) call.
type handlerOp struct {
	group string
	attrs []slog.Attr
}

// NewHandler wraps inner, which keeps logging as before.
func NewHandler(inner slog.Handler) *Handler {
	hb := &hub{subs: map[*subscriber]struct{}{}}
	hb.min.Store(math.MaxInt64)
	return &Handler{inner: inner, hub: hb}
}

// Enabled is true if the wrapped handler or any subscriber wants the level.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l) || int64(l) >= h.hub.min.Load()
}

// Handle logs r to the wrapped handler when its level is enabled there,
// then to the subscribers. Only the wrapped handler can fail.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	var err error
	if h.inner.Enabled(ctx, r.Level) {
		err = h.inner.Handle(ctx, r)
	}
	if int64(r.Level) >= h.hub.min.Load() {
		h.hub.publish(h, r)
	}
	return err
}

func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Handler{inner: h.inner.WithAttrs(attrs), hub: h.hub, ops: appendOp(h.ops, handlerOp{attrs: attrs})}
}

func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{inner: h.inner.WithGroup(name), hub: h.hub, ops: appendOp(h.ops, handlerOp{group: name})}
}

// appendOp returns ops plus op in a new slice, so sibling handlers never
// share a backing array.
func appendOp(ops []handlerOp, op handlerOp) []handlerOp {
	out := make([]handlerOp, len(ops), len(ops)+1)
	copy(out, ops)
	return append(out, op)
}

// format renders r as one line in Consul's text or JSON format (see
// consul.go), with the attributes and groups of h.
func (h *Handler) format(r slog.Record, asJSON bool) string {
	if asJSON {
		return h.formatJSON(r)
	}
	return h.formatText(r)
}

// hub is the set of current subscribers.
type hub struct {
	min  atomic.Int64 // lowest level any subscriber wants; MaxInt64 when none
	mu   sync.RWMutex
	subs map[*subscriber]struct{} // guarded by mu
}

// subscriber is one reader: its level, format and line channel.
type subscriber struct {
	level      slog.Level
	json       bool
	ch         chan string   // closed by unsubscribe
	dropped    atomic.Uint64 // lines dropped in all
	unreported atomic.Uint64 // drops not yet told to the reader
}

func (hb *hub) subscribe(level slog.Level, asJSON bool) *subscriber {
	s := &subscriber{level: level, json: asJSON, ch: make(chan string, bufferSize)}
	hb.mu.Lock()
	hb.subs[s] = struct{}{}
	hb.resetMinLocked()
	hb.mu.Unlock()
	return s
}

func (hb *hub) unsubscribe(s *subscriber) {
	hb.mu.Lock()
	delete(hb.subs, s)
	hb.resetMinLocked()
	hb.mu.Unlock()
	close(s.ch)
}

func (hb *hub) resetMinLocked() {
	lowest := int64(math.MaxInt64)
	for s := range hb.subs {
		lowest = min(lowest, int64(s.level))
	}
	hb.min.Store(lowest)
}

// publish hands r, formatted once per format, to every subscriber that
// wants its level. It never blocks.
func (hb *hub) publish(h *Handler, r slog.Record) {
	var lines [2]string // text, JSON; formatted on first use
	hb.mu.RLock()
	defer hb.mu.RUnlock()
	for s := range hb.subs {
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
func (s *subscriber) send(line string) {
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

func (s *subscriber) drop() {
	s.dropped.Add(1)
	s.unreported.Add(1)
}

// ParseLevel maps Consul's log level names (any case) to slog's; "" is
// info, trace is below debug.
func ParseLevel(name string) (slog.Level, error) {
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
	return 0, fmt.Errorf("Unknown log level: %s", name)
}

// Subscribe returns the log lines at or above level, as text or JSON lines,
// as they are logged, until ctx ends; then the channel is closed. The
// caller must keep reading: a reader more than bufferSize lines behind
// loses lines (it is told how many, and the loss is logged when it ends).
func (h *Handler) Subscribe(ctx context.Context, level slog.Level, asJSON bool) <-chan string {
	s := h.hub.subscribe(level, asJSON)
	go func() {
		<-ctx.Done()
		h.hub.unsubscribe(s)
		if n := s.dropped.Load(); n > 0 {
			slog.New(h).Warn("a log monitor was too slow; lines were dropped", "dropped", n)
		}
	}()
	return s.ch
}

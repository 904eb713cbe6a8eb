// Package bench is a load generator for any Consul-compatible endpoint. It
// speaks only Consul's public HTTP API and DNS, so the same run can be
// pointed at Concord or at Consul and the figures compared.
//
// A run goes:
//  1. Validate the Config and prepare the op's data (keys to read, service
//     instances to query) through one connection.
//  2. Start Config.Clients workers; each owns one keep-alive HTTP connection
//     (and a UDP socket for the dns ops) and runs the op in a closed loop.
//     With several HTTP addresses (a cluster) the workers take them in turn.
//  3. Each operation claims a sequence number; workers stop once Count
//     numbers are claimed, Duration has passed or ctx ends.
//  4. Merge the workers' latency samples into a Result.
//
// The watch op is the exception: one writer and Config.Watchers blocking
// readers run in rounds, and a sample is one reader's wake-up (see watch.go).
//
// A failed operation (transport error, non-2xx reply) is counted in
// Result.Errors and the run goes on; only a failed preparation ends it.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config is what one run does.
type Config struct {
	HTTPAddr  string        // host:port of the HTTP API; several, comma-separated, are used in turn
	DNSAddr   string        // host:port of the DNS server; used by the dns ops
	Op        string        // one of Ops
	Clients   int           // concurrent workers, each with its own connection
	Duration  time.Duration // run at most this long
	Count     int64         // run at most this many operations; 0: no bound (load: Keys)
	ValueSize int           // bytes per written value
	Keys      int           // distinct keys (or service instances) the op spreads over
	Watchers  int           // blocking readers of the watch op
	Progress  io.Writer     // if non-nil, gets a one-line progress report every second; nil: none
}

// DefaultConfig returns a 10 s put run with 16 clients on the local agent.
func DefaultConfig() Config {
	return Config{
		HTTPAddr:  "127.0.0.1:8500",
		DNSAddr:   "127.0.0.1:8600",
		Op:        "put",
		Clients:   16,
		Duration:  10 * time.Second,
		ValueSize: 256,
		Keys:      100,
		Watchers:  100,
	}
}

// Validate reports the first setting out of bounds.
func (c Config) Validate() error {
	switch {
	case ops[c.Op] == nil:
		return fmt.Errorf("bench: unknown op %q (want one of %s)", c.Op, strings.Join(Ops(), ", "))
	case slices.Contains(c.httpAddrs(), ""):
		return fmt.Errorf("bench: empty HTTP address in %q", c.HTTPAddr)
	case ops[c.Op].dns && c.DNSAddr == "":
		return fmt.Errorf("bench: the %s op needs a DNS address", c.Op)
	case c.Clients < 1 || c.Clients > 10000:
		return fmt.Errorf("bench: clients %d out of 1..10000", c.Clients)
	case c.Duration <= 0:
		return fmt.Errorf("bench: duration %v must be positive", c.Duration)
	case c.Count < 0:
		return fmt.Errorf("bench: count %d must not be negative", c.Count)
	case c.ValueSize < 16 || c.ValueSize > 512*1024:
		return fmt.Errorf("bench: value size %d out of 16..524288", c.ValueSize)
	case c.Keys < 1 || c.Keys > 10_000_000:
		return fmt.Errorf("bench: keys %d out of 1..10000000", c.Keys)
	case c.Watchers < 1 || c.Watchers > 10000:
		return fmt.Errorf("bench: watchers %d out of 1..10000", c.Watchers)
	}
	return nil
}

// httpAddrs splits HTTPAddr into its addresses.
func (c Config) httpAddrs() []string {
	addrs := strings.Split(c.HTTPAddr, ",")
	for i, a := range addrs {
		addrs[i] = strings.TrimSpace(a)
	}
	return addrs
}

// Result is what a run measured. Ops and Latency cover successful
// operations only; failed ones are in Errors.
type Result struct {
	Op       string
	Clients  int
	Watchers int // watch op only: blocking readers per write
	Ops      int64
	Errors   int64
	Elapsed  time.Duration
	Latency  Summary
	FirstErr string // the first error seen, for diagnosis; empty if none
}

// OpsPerSec is the successful operations per second of wall-clock time.
func (r Result) OpsPerSec() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Ops) / r.Elapsed.Seconds()
}

// String is the one-line report:
// op=put clients=64 ops=123456 ops/s=20576 p50=2.9ms p99=6.9ms p99.9=9.1ms errors=0
// The watch op adds watchers=W after clients.
func (r Result) String() string {
	watchers := ""
	if r.Watchers > 0 {
		watchers = fmt.Sprintf(" watchers=%d", r.Watchers)
	}
	return fmt.Sprintf("op=%s clients=%d%s ops=%d ops/s=%.0f p50=%s p99=%s p99.9=%s errors=%d",
		r.Op, r.Clients, watchers, r.Ops, r.OpsPerSec(), ms(r.Latency.P50), ms(r.Latency.P99), ms(r.Latency.P999),
		r.Errors)
}

// ms formats d in milliseconds: one decimal from 1 ms, three below.
func ms(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	if f >= 1 {
		return fmt.Sprintf("%.1fms", f)
	}
	return fmt.Sprintf("%.3fms", f)
}

// JSON is the machine-readable form of a Result, for -json.
type JSON struct {
	Op        string  `json:"op"`
	Clients   int     `json:"clients"`
	Watchers  int     `json:"watchers,omitempty"`
	Ops       int64   `json:"ops"`
	Errors    int64   `json:"errors"`
	ElapsedS  float64 `json:"elapsed_s"`
	OpsPerSec float64 `json:"ops_per_s"`
	P50Ms     float64 `json:"p50_ms"`
	P99Ms     float64 `json:"p99_ms"`
	P999Ms    float64 `json:"p99_9_ms"`
	MaxMs     float64 `json:"max_ms"`
	FirstErr  string  `json:"first_error,omitempty"`
}

// JSON returns r in its machine-readable form.
func (r Result) JSON() JSON {
	f := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return JSON{Op: r.Op, Clients: r.Clients, Watchers: r.Watchers, Ops: r.Ops, Errors: r.Errors,
		ElapsedS: r.Elapsed.Seconds(), OpsPerSec: r.OpsPerSec(), P50Ms: f(r.Latency.P50), P99Ms: f(r.Latency.P99),
		P999Ms: f(r.Latency.P999), MaxMs: f(r.Latency.Max), FirstErr: r.FirstErr}
}

// Run prepares cfg's op, runs it and returns what it measured. It returns
// an error only if cfg is invalid or the preparation failed.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	o := ops[cfg.Op]
	if o.once && (cfg.Count == 0 || cfg.Count > int64(cfg.Keys)) {
		cfg.Count = int64(cfg.Keys)
	}
	addrs := cfg.httpAddrs()
	if o.prepare != nil {
		c := newHTTPConn(addrs[0])
		err := o.prepare(cfg, c)
		c.Close()
		if err != nil {
			return Result{}, fmt.Errorf("cannot prepare %s: %w", cfg.Op, err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	r := &run{cfg: cfg, addrs: addrs, ctx: ctx, op: o}
	start := time.Now()
	stopProgress := r.progress(start)
	res := Result{Op: cfg.Op, Clients: cfg.Clients}
	var t tally
	if o.rounds != nil {
		res.Clients, res.Watchers = 1, cfg.Watchers
		t = o.rounds(r)
	} else {
		t = r.closedLoop()
	}
	res.Elapsed = time.Since(start)
	stopProgress()
	res.Ops, res.Errors = int64(len(t.samples)), t.errors
	if t.firstErr != nil {
		res.FirstErr = t.firstErr.Error()
	}
	res.Latency = Summarize(t.samples)
	return res, nil
}

// Ops returns the names of the supported ops, sorted.
func Ops() []string {
	names := make([]string, 0, len(ops))
	for name := range ops {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// run is the state the workers of one run share.
type run struct {
	cfg    Config
	addrs  []string        // cfg.HTTPAddr split; worker i uses addrs[i%len(addrs)]
	ctx    context.Context // ends at cfg.Duration
	op     *op
	next   atomic.Int64 // sequence number of the next operation
	done   atomic.Int64 // successful operations so far, for the progress line
	failed atomic.Int64 // failed operations so far, for the progress line
}

// closedLoop runs cfg.Clients workers to the end of the run and merges
// what they measured.
func (r *run) closedLoop() tally {
	workers := make([]*worker, r.cfg.Clients)
	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{run: r, id: i, http: newHTTPConn(r.addrs[i%len(r.addrs)]), value: make([]byte, r.cfg.ValueSize)}
		workers[i] = w
		wg.Go(w.loop)
	}
	wg.Wait()
	var t tally
	for _, w := range workers {
		t.merge(&w.tally)
	}
	return t
}

// progress writes "\r<op> <elapsed>/<duration> <n> ops <rate> ops/s <e> errors"
// to cfg.Progress every second until the returned func is called, which
// then erases the line. Without cfg.Progress it does nothing.
func (r *run) progress(start time.Time) (stop func()) {
	out := r.cfg.Progress
	if out == nil {
		return func() {}
	}
	quit, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				fmt.Fprint(out, "\r\x1b[K")
				return
			case <-tick.C:
				el := time.Since(start)
				n := r.done.Load()
				fmt.Fprintf(out, "\r\x1b[K%s %ds/%s  %d ops  %.0f ops/s  %d errors", r.cfg.Op, int(el.Seconds()),
					r.cfg.Duration, n, float64(n)/el.Seconds(), r.failed.Load())
			}
		}
	}()
	return func() { close(quit); <-exited }
}

// tally is what one worker (or the watch writer) measured.
type tally struct {
	samples  []time.Duration // latency of each successful operation
	errors   int64
	firstErr error
}

// merge adds o's figures to t's.
func (t *tally) merge(o *tally) {
	t.samples = append(t.samples, o.samples...)
	t.errors += o.errors
	if t.firstErr == nil {
		t.firstErr = o.firstErr
	}
}

// worker is one client: it runs the op in a closed loop on its own
// connections and keeps its own samples, so workers share nothing hot.
type worker struct {
	*run
	tally
	id      int
	http    *httpConn
	dns     *dnsConn // dns ops only
	session string   // lock op only: this worker's session
	value   []byte   // scratch value, rewritten for every write
}

func (w *worker) loop() {
	defer w.http.Close()
	if w.op.start != nil {
		if err := w.op.start(w); err != nil {
			w.fail(err)
			return
		}
	}
	if w.op.stop != nil {
		defer w.op.stop(w)
	}
	for w.ctx.Err() == nil {
		n := w.next.Add(1) - 1
		if w.cfg.Count > 0 && n >= w.cfg.Count {
			return
		}
		t0 := time.Now()
		err := w.op.do(w, n)
		if err != nil {
			if w.ctx.Err() != nil {
				return // cut short by the end of the run, not a failure
			}
			w.fail(err)
			if errors.Is(err, errConnect) {
				w.pause(connectBackoff) // nothing listens: do not spin
			}
			continue
		}
		w.samples = append(w.samples, time.Since(t0))
		w.done.Add(1)
	}
}

// connectBackoff is how long a worker waits after failing to connect.
const connectBackoff = 50 * time.Millisecond

// pause waits d or until the run ends.
func (r *run) pause(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.ctx.Done():
	}
}

// fail counts one failed operation.
func (w *worker) fail(err error) {
	w.run.failed.Add(1)
	w.tally.fail(err)
}

// fail counts one failed operation.
func (t *tally) fail(err error) {
	t.errors++
	if t.firstErr == nil {
		t.firstErr = err
	}
}

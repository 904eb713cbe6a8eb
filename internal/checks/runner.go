package checks

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/concordhq/concord/api"
)

// Errors returned by the Runner. Callers match them with errors.Is; the
// returned errors wrap them with the detail (the field, the check ID).
var (
	// ErrInvalidCheck is wrapped by the error Add returns for a definition
	// it cannot run: no type or several, a bad duration, a bad URL.
	ErrInvalidCheck = errors.New("checks: invalid check definition")
	// ErrScriptsDisabled is returned by Add for a script check that the
	// Config does not allow. Its text names the option to set.
	ErrScriptsDisabled = errors.New("checks: script checks are disabled; set enable_script_checks (or enable_local_script_checks for checks in config files)")
	// ErrUnknownCheck is wrapped by the error UpdateTTL returns when no
	// check has the ID.
	ErrUnknownCheck = errors.New("checks: unknown check")
	// ErrNotTTL is wrapped by the error UpdateTTL returns for a check that
	// is not a TTL check.
	ErrNotTTL = errors.New("checks: not a TTL check")
	// ErrStopped is returned by Add once Stop has been called.
	ErrStopped = errors.New("checks: runner stopped")
)

// Notifier receives check results; the agent's local state implements it.
type Notifier interface {
	// UpdateCheck is told a check's status (one of api.HealthPassing,
	// api.HealthWarning, api.HealthCritical) and its output.
	//
	// It is called by Add, on the caller's goroutine, with the initial
	// status before Add returns; then from the check's goroutine, including
	// for the updates UpdateTTL hands over (UpdateTTL returns after the
	// call). Calls for one check never overlap; calls for different checks
	// may run concurrently. It is called only when the status or the output
	// changed since the last call for the check.
	//
	// It must return quickly: a slow call delays the check's next probe,
	// and Add, Remove and Stop wait for it. It must not call the Runner,
	// and the callers of Add, Remove and Stop must not hold a lock that
	// UpdateCheck takes.
	UpdateCheck(checkID, status, output string)
}

// AliasSource answers alias checks.
type AliasSource interface {
	// AliasStatus returns the aggregated status of a node's checks (when
	// serviceID is empty) or of a service instance's checks and its node's
	// (when both are set); an empty node means the agent's own node. Like a
	// Consul blocking query, it blocks while the result's index is not
	// greater than waitIndex (0 means do not block), up to a wait time of
	// the source's choosing, or until ctx is done, and returns the status
	// and the current index.
	//
	// It is called from the alias check's goroutine, one call at a time
	// per check; calls for different checks may run concurrently. A status
	// other than passing, warning or critical (such as maintenance) is
	// mirrored as critical. After an error the check turns critical and
	// calls again after a backoff.
	AliasStatus(ctx context.Context, node, serviceID string, waitIndex uint64) (status string, index uint64, err error)
}

// Config holds the Runner's settings.
type Config struct {
	// EnableScriptChecks allows script checks from any source: the HTTP API
	// and config files (enable_script_checks).
	EnableScriptChecks bool
	// EnableLocalScriptChecks allows script checks only when they come from
	// config files (enable_local_script_checks).
	EnableLocalScriptChecks bool
	// OutputMaxSize caps, in bytes, the output kept from a probe or a TTL
	// update (check_output_max_size). At least 1.
	OutputMaxSize int
	// Logger receives status changes and held results. Non-nil.
	Logger *slog.Logger
	// Alias answers alias checks; nil means Add refuses them.
	Alias AliasSource
	// TLS, if not nil, returns the TLS settings HTTP and gRPC checks
	// start from: the agent's certificate and CA with
	// enable_agent_tls_for_checks. A check's TLSSkipVerify and
	// TLSServerName still apply. Read when a check is added.
	TLS func() *tls.Config
}

// DefaultConfig returns Consul's defaults: scripts disabled, 4096 bytes of
// output, a logger that discards, and no alias source.
func DefaultConfig() Config {
	return Config{
		OutputMaxSize: 4096,
		Logger:        slog.New(slog.DiscardHandler),
	}
}

// Validate reports the first setting out of bounds.
func (c *Config) Validate() error {
	if c.OutputMaxSize < 1 {
		return fmt.Errorf("checks: OutputMaxSize is %d, must be at least 1", c.OutputMaxSize)
	}
	if c.Logger == nil {
		return errors.New("checks: Logger is nil")
	}
	return nil
}

// Runner runs health checks and reports their results to a Notifier.
// Its methods are safe for concurrent use.
type Runner struct {
	cfg    Config
	notify Notifier // non-nil

	// mu is held for the whole of Add, Remove and Stop (including the
	// wait for a replaced or removed check's goroutine) so that they take
	// effect in order; UpdateTTL holds it only to look the check up.
	mu      sync.Mutex
	checks  map[string]*check // guarded by mu
	stopped bool              // guarded by mu
}

// check is one running check.
type check struct {
	cancel context.CancelFunc // ends the goroutine
	done   chan struct{}      // closed when the goroutine has returned
	ttl    chan ttlUpdate     // TTL checks only, else nil; read by the goroutine
}

// stop ends the check's goroutine and waits for it.
func (c *check) stop() {
	c.cancel()
	<-c.done
}

// NewRunner returns a Runner with no checks that reports to n.
func NewRunner(cfg Config, n Notifier) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if n == nil {
		return nil, errors.New("checks: Notifier is nil")
	}
	return &Runner{cfg: cfg, notify: n, checks: make(map[string]*check)}, nil
}

// Add starts the check id with the definition def, replacing (after
// stopping it) any check with the same ID. fromConfigFile says whether the
// definition came from a config file rather than the HTTP API, which
// matters for EnableLocalScriptChecks. It reports the initial status before
// it returns. It returns an error wrapping ErrInvalidCheck for a definition
// it cannot run, ErrScriptsDisabled, or ErrStopped; on error nothing
// changes.
func (r *Runner) Add(id string, def *api.AgentServiceCheck, fromConfigFile bool) error {
	if id == "" {
		return fmt.Errorf("%w: empty check ID", ErrInvalidCheck)
	}
	if def == nil {
		return fmt.Errorf("%w: no definition for check %q", ErrInvalidCheck, id)
	}
	log := r.cfg.Logger.With("check", id)
	sp, err := r.parse(def, fromConfigFile, log)
	if err != nil {
		return err
	}
	c := &check{done: make(chan struct{})}
	var run func(ctx context.Context, rep *reporter)
	switch sp.kind {
	case kindTTL:
		c.ttl = make(chan ttlUpdate)
		run = func(ctx context.Context, rep *reporter) { runTTL(ctx, rep, sp.ttl, c.ttl) }
	case kindAlias:
		a := aliasCheck{src: r.cfg.Alias, node: def.AliasNode, service: def.AliasService, log: log}
		run = a.run
	default:
		p, err := r.newProbe(sp, def)
		if err != nil {
			return err
		}
		run = func(ctx context.Context, rep *reporter) { runEvery(ctx, rep, p, sp.interval, sp.timeout) }
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return ErrStopped
	}
	if old := r.checks[id]; old != nil {
		old.stop()
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	rep := &reporter{ctx: ctx, id: id, notify: r.notify, log: log, limits: sp.limits}
	rep.set(sp.initial, "")
	r.checks[id] = c
	go func() {
		defer close(c.done)
		run(ctx, rep)
	}()
	return nil
}

// Validate reports whether Add would accept def, without running anything,
// so a caller can refuse a registration before changing any state.
func (r *Runner) Validate(def *api.AgentServiceCheck, fromConfigFile bool) error {
	if def == nil {
		return fmt.Errorf("%w: no definition", ErrInvalidCheck)
	}
	sp, err := r.parse(def, fromConfigFile, r.cfg.Logger)
	if err != nil || sp.kind == kindTTL || sp.kind == kindAlias {
		return err
	}
	_, err = r.newProbe(sp, def)
	return err
}

// checkTLS is the TLS configuration of def's HTTP or gRPC check: the
// agent's (Config.TLS) or none, with def's TLSSkipVerify and
// TLSServerName.
func (r *Runner) checkTLS(def *api.AgentServiceCheck) *tls.Config {
	conf := &tls.Config{}
	if r.cfg.TLS != nil {
		if base := r.cfg.TLS(); base != nil {
			conf = base.Clone()
		}
	}
	conf.InsecureSkipVerify = def.TLSSkipVerify
	if def.TLSServerName != "" {
		conf.ServerName = def.TLSServerName
	}
	return conf
}

// newProbe returns the probe of an interval check.
func (r *Runner) newProbe(sp spec, def *api.AgentServiceCheck) (probe, error) {
	switch sp.kind {
	case kindHTTP:
		return newHTTPProbe(def, r.checkTLS(def), r.cfg.OutputMaxSize)
	case kindTCP:
		return newTCPProbe(def)
	case kindUDP:
		return newUDPProbe(def)
	case kindGRPC:
		return newGRPCProbe(def, r.checkTLS(def))
	case kindScript:
		return newScriptProbe(def.Args, sp.timeout, r.cfg.OutputMaxSize), nil
	case kindDocker:
		return newDockerProbe(def, r.cfg.OutputMaxSize)
	}
	return nil, fmt.Errorf("%w: unsupported check type %q", ErrInvalidCheck, sp.kind)
}

// Remove stops the check id and waits for its goroutine; it does nothing
// if there is no such check.
func (r *Runner) Remove(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.checks[id]; c != nil {
		delete(r.checks, id)
		c.stop()
	}
}

// UpdateTTL sets the status (passing, warning or critical) and the output
// (cut to OutputMaxSize) of the TTL check id and restarts its TTL. The
// Notifier has been told of the change when it returns. It returns an
// error wrapping ErrUnknownCheck or ErrNotTTL for the wrong ID.
func (r *Runner) UpdateTTL(id, status, output string) error {
	if !validStatus(status) {
		return fmt.Errorf("checks: unknown status %q, want passing, warning or critical", status)
	}
	r.mu.Lock()
	c := r.checks[id]
	r.mu.Unlock()
	if c == nil {
		return fmt.Errorf("%w: %q", ErrUnknownCheck, id)
	}
	if c.ttl == nil {
		return fmt.Errorf("%w: %q", ErrNotTTL, id)
	}
	u := ttlUpdate{status: status, output: truncate(output, r.cfg.OutputMaxSize), done: make(chan struct{})}
	select {
	case c.ttl <- u:
	case <-c.done:
		return fmt.Errorf("%w: %q", ErrUnknownCheck, id) // removed meanwhile
	}
	<-u.done
	return nil
}

// Stop stops every check and waits for their goroutines. Add fails after
// it; calling it again does nothing.
func (r *Runner) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	for _, c := range r.checks {
		c.cancel()
	}
	for id, c := range r.checks {
		<-c.done
		delete(r.checks, id)
	}
}

// probe runs one check once, within ctx's deadline, and returns the
// status and output to report.
type probe func(ctx context.Context) (status, output string)

// runEvery runs p first after a random delay in [0, interval), so that
// checks added together spread their load, then one interval after each
// run ends, until ctx is done. Each run gets timeout.
func runEvery(ctx context.Context, rep *reporter, p probe, interval, timeout time.Duration) {
	t := time.NewTimer(rand.N(interval))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, timeout)
		status, output := p(pctx)
		cancel()
		rep.result(status, output)
		t.Reset(interval)
	}
}

package agent

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/watch"
)

// Watches of the agent config (watches = [...]) run inside the agent, as
// `concord watch` would, against the agent's own HTTP API. They start with
// the agent, stop at shutdown, and are replaced on reload. Script handlers
// run whatever enable_script_checks says, as in Consul: the config file's
// author chose them.

// watchSet is the running config watches.
type watchSet struct {
	cancel context.CancelFunc // stops them all
	wg     sync.WaitGroup     // done when they have all returned
}

// configWatch is a watch definition ready to run.
type configWatch struct {
	plan    *watch.Plan
	handler watch.Handler
	client  *api.Client
	name    string // for logs: the type and its main parameter
}

// startWatches stops the running config watches, if any, and starts those
// of defs. A definition that does not parse fails it before anything
// changes. Without an HTTP API there is nothing to watch through, so the
// watches are refused.
func (a *Agent) startWatches(defs []config.Watch) error {
	var ws []configWatch
	for i, def := range defs {
		w, err := a.newConfigWatch(def)
		if err != nil {
			return fmt.Errorf("watches[%d]: %w", i, err)
		}
		ws = append(ws, w)
	}
	a.watchMu.Lock()
	defer a.watchMu.Unlock()
	a.stopWatchesLocked()
	if len(ws) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(a.stopCtx)
	set := &watchSet{cancel: cancel}
	for _, w := range ws {
		logger := a.logger.With("component", "watch", "watch", w.name)
		set.wg.Add(1)
		go func() {
			defer set.wg.Done()
			logger.Debug("watch started")
			w.plan.Run(ctx, w.client, w.handler, watch.Options{
				OnError: func(err error) { logger.Warn("watch", "error", err) },
			})
		}()
	}
	a.watches = set
	return nil
}

// stopWatches stops the config watches and waits for them, and for any
// handler they were running.
func (a *Agent) stopWatches() {
	a.watchMu.Lock()
	defer a.watchMu.Unlock()
	a.stopWatchesLocked()
}

func (a *Agent) stopWatchesLocked() {
	if a.watches == nil {
		return
	}
	a.watches.cancel()
	a.watches.wg.Wait()
	a.watches = nil
}

// planFor parses def's type and parameters.
func planFor(def config.Watch) (*watch.Plan, error) {
	return watch.Parse(watch.Params{
		Type: def.Type, Key: def.Key, Prefix: def.Prefix, Service: def.Service, Tags: def.Tag,
		PassingOnly: def.PassingOnly, State: def.State, Name: def.Name, Stale: def.Stale,
	})
}

// CheckWatches reports the first config watch whose type or parameters
// are wrong, as the agent would at start (for concord validate).
func CheckWatches(defs []config.Watch) error {
	for i, def := range defs {
		if _, err := planFor(def); err != nil {
			return fmt.Errorf("watches[%d]: %w", i, err)
		}
	}
	return nil
}

// newConfigWatch parses def into a watch on this agent's HTTP API.
func (a *Agent) newConfigWatch(def config.Watch) (configWatch, error) {
	plan, err := planFor(def)
	if err != nil {
		return configWatch{}, err
	}
	addr := a.HTTPAddr()
	if addr == "" {
		return configWatch{}, fmt.Errorf("watches need the HTTP API, which ports.http = -1 turns off")
	}
	client, err := api.NewClient(&api.Config{Address: dialable(addr), Token: def.Token, Datacenter: def.Datacenter})
	if err != nil {
		return configWatch{}, err
	}
	w := configWatch{plan: plan, client: client, name: watchName(def)}
	switch def.HandlerType {
	case "http":
		w.handler = watch.HTTP(watch.HTTPConfig{Path: def.HTTP.Path, Method: def.HTTP.Method,
			Header: def.HTTP.Header, Timeout: def.HTTP.Timeout, TLSSkipVerify: def.HTTP.TLSSkipVerify})
	default:
		s := &watch.Script{Args: def.Args}
		if def.Handler != "" {
			s.Args, s.Shell = []string{def.Handler}, true
		}
		out := &logWriter{logger: a.logger.With("component", "watch", "watch", w.name)}
		s.Stdout, s.Stderr = out, out
		w.handler = s.Handle
	}
	return w, nil
}

// watchName describes def in logs: "key:config/web", "event:deploy".
func watchName(def config.Watch) string {
	for _, p := range []string{def.Key, def.Prefix, def.Service, def.Name, def.State} {
		if p != "" {
			return def.Type + ":" + p
		}
	}
	return def.Type
}

// dialable turns a listener address into one to dial: an unspecified
// host (0.0.0.0, ::) becomes loopback.
func dialable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// logWriter logs what a script handler writes, a line per record.
type logWriter struct{ logger *slog.Logger }

func (w *logWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.logger.Info("watch handler output", "output", line)
	}
	return len(p), nil
}

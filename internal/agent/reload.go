package agent

import (
	"context"
	"fmt"
	"time"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/server"
)

// loadFileDefinitions registers the services and checks of cfg's config
// files, and removes those an earlier load registered that cfg no longer
// has. It records which IDs came from files.
func (a *Agent) loadFileDefinitions(cfg config.Config) error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	services, checks := map[string]bool{}, map[string]bool{}
	for _, reg := range cfg.Services {
		if err := a.registerService(reg, true, true); err != nil {
			return fmt.Errorf("cannot register service %q from config: %w", reg.Name, err)
		}
		services[serviceID(reg.ID, reg.Name)] = true
	}
	for _, reg := range cfg.Checks {
		if reg.ID == "" {
			reg.ID = reg.Name
		}
		if err := a.validateCheck(reg, true); err != nil {
			return fmt.Errorf("cannot register check %q from config: %w", reg.Name, err)
		}
		if err := a.addCheck(reg, true); err != nil {
			return fmt.Errorf("cannot register check %q from config: %w", reg.Name, err)
		}
		checks[reg.ID] = true
	}
	for id := range a.fileServices {
		if !services[id] {
			a.AgentServiceDeregister(id)
		}
	}
	for id := range a.fileChecks {
		if !checks[id] {
			a.AgentCheckDeregister(id)
		}
	}
	a.fileServices, a.fileChecks = services, checks
	return nil
}

func serviceID(id, name string) string {
	if id != "" {
		return id
	}
	return name
}

// SetConfigSource gives the agent a way to load its configuration again,
// for reloads through the API (`concord reload`).
func (a *Agent) SetConfigSource(load func() (config.Config, error)) {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	a.configSource = load
}

// AgentReload loads the configuration again and applies it (PUT
// /v1/agent/reload).
func (a *Agent) AgentReload() error {
	a.reloadMu.Lock()
	load := a.configSource
	a.reloadMu.Unlock()
	if load == nil {
		return fmt.Errorf("this agent has no configuration source to reload")
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	return a.Reload(cfg)
}

// Reload applies the service and check definitions of a freshly loaded
// config (SIGHUP, `concord reload`), restarts its watches, loads the TLS
// certificates and CAs again and, on a server, sets the request rate
// limits (limits.request_limits). Other settings need a restart.
func (a *Agent) Reload(cfg config.Config) error {
	if err := a.reloadTLS(cfg); err != nil {
		return err
	}
	if a.server != nil {
		a.server.SetRequestLimits(requestLimits(cfg))
	}
	if err := a.loadFileDefinitions(cfg); err != nil {
		return err
	}
	if err := a.startWatches(cfg.Watches); err != nil {
		return err
	}
	a.logger.Info("configuration reloaded", "services", len(cfg.Services), "checks", len(cfg.Checks))
	return nil
}

// reapInterval is how often critical services are looked at for
// DeregisterCriticalServiceAfter.
const reapInterval = 5 * time.Second

// reapCriticalServices deregisters a service once one of its checks with
// DeregisterCriticalServiceAfter has been critical for that long.
func (a *Agent) reapCriticalServices(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	criticalSince := map[string]time.Time{} // check ID → first seen critical
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			for id, c := range a.local.Checks() {
				var after time.Duration
				if def, ok := a.local.CheckDefinition(id); ok {
					after, _ = time.ParseDuration(def.DeregisterCriticalServiceAfter)
				}
				if c.ServiceID == "" || after <= 0 || c.Status != "critical" {
					delete(criticalSince, id)
					continue
				}
				since, seen := criticalSince[id]
				if !seen {
					criticalSince[id] = now
					continue
				}
				if now.Sub(since) >= after {
					a.logger.Info("deregistering service whose check stayed critical",
						"service", c.ServiceID, "check", id, "after", after)
					a.AgentServiceDeregister(c.ServiceID)
					delete(criticalSince, id)
				}
			}
		}
	}
}

// requestLimits is the server's view of limits.request_limits.
func requestLimits(cfg config.Config) server.RequestLimits {
	r := cfg.Limits.RequestLimits
	return server.RequestLimits{Mode: r.Mode, ReadRate: r.ReadRate, WriteRate: r.WriteRate}
}

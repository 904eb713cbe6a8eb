package checks

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/concordhq/concord/api"
)

// Bounds and defaults of check timing, as in Consul.
const (
	// MinInterval is the shortest interval between probes; a definition
	// asking for less gets MinInterval.
	MinInterval = time.Second
	// DefaultTimeout bounds one HTTP, TCP, UDP or gRPC probe when the
	// definition sets no Timeout.
	DefaultTimeout = 10 * time.Second
	// DefaultScriptTimeout bounds one script run when the definition sets
	// no Timeout.
	DefaultScriptTimeout = 30 * time.Second
)

// Check types, as Type returns them.
const (
	kindScript = "script"
	kindHTTP   = "http"
	kindTCP    = "tcp"
	kindUDP    = "udp"
	kindGRPC   = "grpc"
	kindTTL    = "ttl"
	kindAlias  = "alias"
	// kindDocker checks run their ScriptArgs in a container (docker.go).
	kindDocker = "docker"
)

// Type returns the type of the check def defines, as the catalog's Type
// field shows it: "docker", "script", "http", "tcp", "udp", "grpc", "ttl",
// "alias", or "" when def sets none. A Docker check (DockerContainerID)
// also sets ScriptArgs, which it runs inside the container. When def sets several (which Add refuses), the
// first in that order wins.
func Type(def *api.AgentServiceCheck) string {
	if def == nil {
		return ""
	}
	if kinds := kindsOf(def); len(kinds) > 0 {
		return kinds[0]
	}
	return ""
}

// kindsOf returns the check types def sets, in Type's order.
func kindsOf(def *api.AgentServiceCheck) []string {
	var kinds []string
	add := func(set bool, kind string) {
		if set {
			kinds = append(kinds, kind)
		}
	}
	add(def.DockerContainerID != "", kindDocker)
	add(len(def.Args) > 0 && def.DockerContainerID == "", kindScript)
	add(def.HTTP != "", kindHTTP)
	add(def.TCP != "", kindTCP)
	add(def.UDP != "", kindUDP)
	add(def.GRPC != "", kindGRPC)
	add(def.TTL != "", kindTTL)
	add(def.AliasNode != "" || def.AliasService != "", kindAlias)
	return kinds
}

// spec is a validated check definition, with its durations parsed.
type spec struct {
	kind     string
	initial  string        // status reported by Add
	interval time.Duration // interval checks: between probes, >= MinInterval
	timeout  time.Duration // interval checks: bound on one probe
	ttl      time.Duration // TTL checks
	limits   thresholds    // interval checks; zero (no thresholds) otherwise
}

// parse validates def and returns its spec. Type-specific fields (URLs,
// addresses) are checked when the probe is built.
func (r *Runner) parse(def *api.AgentServiceCheck, fromConfigFile bool, log *slog.Logger) (spec, error) {
	kinds := kindsOf(def)
	switch {
	case len(kinds) == 0:
		return spec{}, fmt.Errorf("%w: no check type; set one of ScriptArgs, HTTP, TCP, UDP, GRPC, TTL, AliasNode, AliasService or DockerContainerID", ErrInvalidCheck)
	case len(kinds) > 1:
		return spec{}, fmt.Errorf("%w: more than one check type (%s); set only one", ErrInvalidCheck, strings.Join(kinds, ", "))
	}
	sp := spec{kind: kinds[0], initial: api.HealthCritical}
	if def.Status != "" {
		if !validStatus(def.Status) {
			return spec{}, fmt.Errorf("%w: Status %q, want passing, warning or critical", ErrInvalidCheck, def.Status)
		}
		sp.initial = def.Status
	}

	switch sp.kind {
	case kindTTL:
		ttl, err := parseDuration("TTL", def.TTL)
		if err != nil {
			return spec{}, err
		}
		if ttl == 0 {
			return spec{}, fmt.Errorf("%w: TTL must be greater than zero", ErrInvalidCheck)
		}
		sp.ttl = ttl
		return sp, nil
	case kindAlias:
		if r.cfg.Alias == nil {
			return spec{}, fmt.Errorf("%w: alias checks are not available on this agent (no alias source)", ErrInvalidCheck)
		}
		return sp, nil
	case kindDocker:
		if len(def.Args) == 0 {
			return spec{}, fmt.Errorf("%w: a Docker check needs ScriptArgs to run in the container", ErrInvalidCheck)
		}
		fallthrough // Consul allows Docker checks where it allows scripts
	case kindScript:
		if !r.cfg.EnableScriptChecks && !(fromConfigFile && r.cfg.EnableLocalScriptChecks) {
			return spec{}, ErrScriptsDisabled
		}
	}

	interval, err := parseDuration("Interval", def.Interval)
	if err != nil {
		return spec{}, err
	}
	if interval == 0 {
		return spec{}, fmt.Errorf("%w: Interval is required for %s checks", ErrInvalidCheck, sp.kind)
	}
	if interval < MinInterval {
		log.Warn("check interval below the minimum, raised", "interval", interval, "min", MinInterval)
		interval = MinInterval
	}
	sp.interval = interval

	sp.timeout = DefaultTimeout
	if sp.kind == kindScript || sp.kind == kindDocker {
		sp.timeout = DefaultScriptTimeout
	}
	timeout, err := parseDuration("Timeout", def.Timeout)
	if err != nil {
		return spec{}, err
	}
	if timeout > 0 {
		sp.timeout = timeout
	}

	if def.SuccessBeforePassing < 0 || def.FailuresBeforeWarning < 0 || def.FailuresBeforeCritical < 0 {
		return spec{}, fmt.Errorf("%w: SuccessBeforePassing, FailuresBeforeWarning and FailuresBeforeCritical must not be negative", ErrInvalidCheck)
	}
	sp.limits = thresholds{
		successBeforePassing:   def.SuccessBeforePassing,
		failuresBeforeWarning:  def.FailuresBeforeWarning,
		failuresBeforeCritical: def.FailuresBeforeCritical,
	}
	if sp.limits.failuresBeforeWarning == 0 {
		sp.limits.failuresBeforeWarning = sp.limits.failuresBeforeCritical
	}
	return sp, nil
}

// CheckDurations parses def's four durations (Interval, Timeout, TTL,
// DeregisterCriticalServiceAfter), whatever the check's type, and returns
// the first parse error as time.ParseDuration words it — the text Consul
// answers a registration with.
func CheckDurations(def *api.AgentServiceCheck) error {
	for _, s := range []string{def.Interval, def.Timeout, def.TTL, def.DeregisterCriticalServiceAfter} {
		if s == "" {
			continue
		}
		if _, err := time.ParseDuration(s); err != nil {
			return err
		}
	}
	return nil
}

// parseDuration parses the duration field name; empty means zero.
func parseDuration(name, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%w: %s %q: %v", ErrInvalidCheck, name, s, err)
	}
	if d < 0 {
		return 0, fmt.Errorf("%w: %s %q is negative", ErrInvalidCheck, name, s)
	}
	return d, nil
}

// validStatus reports whether s is a status a check can have.
func validStatus(s string) bool {
	return s == api.HealthPassing || s == api.HealthWarning || s == api.HealthCritical
}

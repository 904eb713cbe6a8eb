package checks_test

import (
	"errors"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/checks"
)

func TestTTL(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	r := newRunner(t, rec, func(c *checks.Config) { c.OutputMaxSize = 10 })
	// Long enough that a loaded machine's scheduling delays (hundreds of
	// ms under -race beside other tests) fit in the slack below.
	const ttl = time.Second
	mustAdd(t, r, "app", &api.AgentServiceCheck{TTL: ttl.String()})

	if u, _ := rec.last("app"); u.status != api.HealthCritical || u.output != "" {
		t.Fatalf("after Add: %q %q, want critical with no output", u.status, u.output)
	}

	// UpdateTTL reports before it returns; the output is cut.
	if err := r.UpdateTTL("app", api.HealthPassing, "all good, really good"); err != nil {
		t.Fatalf("UpdateTTL: %v", err)
	}
	if u, _ := rec.last("app"); u.status != api.HealthPassing || u.output != "all good, " {
		t.Fatalf("after UpdateTTL: %q %q, want passing %q", u.status, u.output, "all good, ")
	}

	// An update within the TTL restarts it.
	<-time.After(ttl / 2)
	if err := r.UpdateTTL("app", api.HealthWarning, "busy"); err != nil {
		t.Fatalf("UpdateTTL: %v", err)
	}
	updated := time.Now()
	<-time.After(ttl / 2)
	if u, _ := rec.last("app"); u.status != api.HealthWarning {
		t.Fatalf("an update within the TTL: %q %q, want warning still", u.status, u.output)
	}

	u := waitStatus(t, rec, "app", api.HealthCritical)
	if u.output != "TTL expired" {
		t.Errorf("expired output = %q, want %q", u.output, "TTL expired")
	}
	if elapsed := u.at.Sub(updated); elapsed < ttl*3/4 { // not ttl/2: the TTL restarted
		t.Errorf("expired %v after the second update, want about %v (the TTL restarted)", elapsed, ttl)
	}

	if err := r.UpdateTTL("app", api.HealthPassing, "back"); err != nil {
		t.Fatalf("UpdateTTL after expiry: %v", err)
	}
	if u, _ := rec.last("app"); u.status != api.HealthPassing {
		t.Errorf("after expiry and update: %q, want passing", u.status)
	}
}

func TestUpdateTTLErrors(t *testing.T) {
	t.Parallel()
	r := newRunner(t, newRecorder(), nil)
	mustAdd(t, r, "ttl", &api.AgentServiceCheck{TTL: "1m"})
	mustAdd(t, r, "tcp", &api.AgentServiceCheck{TCP: closedAddr(t), Interval: "1m"})

	tests := []struct {
		name, id, status string
		want             error // nil: any error
	}{
		{"unknown check", "nope", api.HealthPassing, checks.ErrUnknownCheck},
		{"not a TTL check", "tcp", api.HealthPassing, checks.ErrNotTTL},
		{"bad status", "ttl", "fine", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := r.UpdateTTL(tc.id, tc.status, "")
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("UpdateTTL(%q, %q) = %v, want %v", tc.id, tc.status, err, tc.want)
			}
		})
	}

	r.Remove("ttl")
	if err := r.UpdateTTL("ttl", api.HealthPassing, ""); !errors.Is(err, checks.ErrUnknownCheck) {
		t.Errorf("UpdateTTL after Remove = %v, want ErrUnknownCheck", err)
	}
}

package checks

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/concordhq/concord/api"
)

// Backoff between alias calls after an error.
const (
	aliasRetryMin = time.Second
	aliasRetryMax = 30 * time.Second
)

// aliasCheck mirrors the status its source gives for a node or a service
// instance.
type aliasCheck struct {
	src     AliasSource // non-nil
	node    string      // or "" for the agent's node
	service string      // or "" for the node's own checks
	log     *slog.Logger
}

// run asks the source in a loop of blocking calls and reports each status
// until ctx is done. After an error it reports critical, waits (1s,
// doubling up to 30s) and starts over from index 0.
func (a aliasCheck) run(ctx context.Context, rep *reporter) {
	var index uint64
	backoff := aliasRetryMin
	for {
		status, got, err := a.src.AliasStatus(ctx, a.node, a.service, index)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			a.log.Debug("alias source failed", "err", err, "retry_in", backoff)
			rep.set(api.HealthCritical, fmt.Sprintf("Cannot get the status of %s: %v", a.target(), err))
			index = 0
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			backoff = min(2*backoff, aliasRetryMax)
			continue
		}
		backoff = aliasRetryMin
		if !validStatus(status) {
			status = api.HealthCritical // maintenance, or unknown
		}
		rep.set(status, fmt.Sprintf("Alias of %s: %s", a.target(), status))

		switch {
		case got < index:
			index = 0 // the source went back (a restore): read afresh
		case got == 0:
			index = 1 // never wait on index 0, which would not block
		default:
			index = got
		}
	}
}

// target names what the check mirrors, for its output.
func (a aliasCheck) target() string {
	switch {
	case a.service == "":
		return fmt.Sprintf("node %q", a.node)
	case a.node == "":
		return fmt.Sprintf("service %q", a.service)
	default:
		return fmt.Sprintf("service %q on node %q", a.service, a.node)
	}
}

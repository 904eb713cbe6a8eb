package checks

import (
	"context"
	"time"

	"github.com/concordhq/concord/api"
)

// ttlExpired is the output of a TTL check whose TTL ran out.
const ttlExpired = "TTL expired"

// ttlUpdate is a status set by UpdateTTL, handed to the check's goroutine.
type ttlUpdate struct {
	status string
	output string
	done   chan struct{} // closed by the goroutine once it has reported
}

// runTTL runs a TTL check until ctx is done: each update is reported and
// restarts the TTL; when the TTL runs out the check turns critical, and
// stays so until the next update. Handling updates here, rather than in
// UpdateTTL, keeps every report of the check on one goroutine.
func runTTL(ctx context.Context, rep *reporter, ttl time.Duration, updates <-chan ttlUpdate) {
	t := time.NewTimer(ttl)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			rep.set(api.HealthCritical, ttlExpired)
		case u := <-updates:
			t.Reset(ttl)
			rep.set(u.status, u.output)
			close(u.done)
		}
	}
}

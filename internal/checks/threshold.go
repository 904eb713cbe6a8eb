package checks

import (
	"context"
	"log/slog"
	"unicode/utf8"

	"github.com/concordhq/concord/api"
)

// thresholds turn probe results into statuses to report, so that one odd
// result does not flip a check: a check turns passing after
// successBeforePassing passing results in a row, warning after
// failuresBeforeWarning failing (warning or critical) results in a row, and
// critical after failuresBeforeCritical critical results in a row. A count
// of 0 or 1 means the first such result is enough.
type thresholds struct {
	successBeforePassing   int
	failuresBeforeWarning  int // defaults to failuresBeforeCritical
	failuresBeforeCritical int

	successes int // passing results in a row so far
	failures  int // warning or critical results in a row so far
}

// next records a probe result and returns the status to report, or false
// when no threshold is reached yet and the check keeps its last status.
func (t *thresholds) next(status string) (string, bool) {
	if status == api.HealthPassing {
		t.failures = 0
		t.successes = min(t.successes+1, t.successBeforePassing)
		return api.HealthPassing, t.successes >= t.successBeforePassing
	}
	t.successes = 0
	t.failures = min(t.failures+1, max(t.failuresBeforeWarning, t.failuresBeforeCritical))
	if status == api.HealthCritical && t.failures >= t.failuresBeforeCritical {
		return api.HealthCritical, true
	}
	if t.failures >= t.failuresBeforeWarning {
		return api.HealthWarning, true
	}
	return "", false
}

// reporter passes one check's statuses to the Notifier. It drops a status
// and output equal to the last ones reported, and everything once the
// check's context is done, so that nothing is reported after Remove or Stop
// returns. It is used by one goroutine at a time: Add, then the check's.
type reporter struct {
	ctx    context.Context // the check's; done when it is removed or stopped
	id     string
	notify Notifier
	log    *slog.Logger
	limits thresholds

	status   string // last reported
	output   string // last reported
	reported bool   // whether status and output hold a report
}

// result reports a probe result through the check's thresholds. A result
// held by a threshold changes nothing, not even the output.
func (rp *reporter) result(status, output string) {
	s, ok := rp.limits.next(status)
	if !ok {
		rp.log.Debug("check result held by threshold", "result", status, "status", rp.status)
		return
	}
	rp.set(s, output)
}

// set reports status and output unless they were the last ones reported.
// Output-only changes are reported too: the Notifier decides how often to
// sync them.
func (rp *reporter) set(status, output string) {
	if rp.ctx.Err() != nil {
		return
	}
	if rp.reported && status == rp.status && output == rp.output {
		return
	}
	if status != rp.status {
		level := slog.LevelDebug
		if status == api.HealthCritical && rp.reported {
			level = slog.LevelWarn
		}
		rp.log.Log(rp.ctx, level, "check status changed", "status", status, "output", output)
	}
	rp.status, rp.output, rp.reported = status, output, true
	rp.notify.UpdateCheck(rp.id, status, output)
}

// truncate returns s cut to at most n bytes, without splitting a UTF-8
// sequence at the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && cut > n-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if !utf8.RuneStart(s[cut]) {
		cut = n // not UTF-8 anyway
	}
	return s[:cut]
}

package checks

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"time"
	"unicode/utf8"

	"github.com/concordhq/concord/api"
)

// scriptWaitDelay bounds how long a script run waits, after its process
// group is killed, for its output pipe to close (a child that left the
// group may hold it open).
const scriptWaitDelay = time.Second

// newScriptProbe returns the probe of a script check: it runs args (no
// shell) with its stdout and stderr combined as the output; exit status 0
// is passing, 1 is warning, anything else critical. A run past timeout is
// killed with its process group and is critical.
func newScriptProbe(args []string, timeout time.Duration, maxOutput int) probe {
	return func(ctx context.Context) (string, string) {
		out := &tailBuffer{max: maxOutput}
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Stdout = out
		cmd.Stderr = out // the same writer: exec writes to it from one goroutine
		cmd.WaitDelay = scriptWaitDelay
		killGroupOnCancel(cmd)
		err := cmd.Run()

		var exit *exec.ExitError
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			return api.HealthCritical, fmt.Sprintf("Timed out (%s) running check; killed. Output: %s", timeout, out)
		case err == nil:
			return api.HealthPassing, out.String()
		case errors.As(err, &exit) && exit.ExitCode() == 1:
			return api.HealthWarning, out.String()
		case errors.As(err, &exit):
			return api.HealthCritical, out.String()
		default:
			return api.HealthCritical, fmt.Sprintf("cannot run %q: %v", args[0], err)
		}
	}
}

// tailBuffer keeps the last max bytes written to it: the end of a script's
// output, where errors usually are.
type tailBuffer struct {
	max   int
	buf   []byte
	total int // bytes written, kept or not
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.total += len(p)
	if len(p) >= b.max {
		b.buf = append(b.buf[:0], p[len(p)-b.max:]...)
		return len(p), nil
	}
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

// String returns the output kept, after a note of the bytes dropped if
// any (the note comes on top of the max bytes).
func (b *tailBuffer) String() string {
	if b.total <= b.max {
		return string(b.buf)
	}
	kept := b.buf
	for i := 0; i < utf8.UTFMax-1 && len(kept) > 0 && !utf8.RuneStart(kept[0]); i++ {
		kept = kept[1:] // drop the rest of a rune cut at the front
	}
	return fmt.Sprintf("(output truncated: last %d of %d bytes)\n%s", len(kept), b.total, kept)
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/proc"
)

const lockUsage = `
Usage: concord lock [options] PREFIX COMMAND...

  Runs COMMAND while holding a lock in the KV store, for leader election,
  mutual exclusion or a pool of at most -n workers.

  With -n=1 (the default) the lock is the key PREFIX/.lock; with -n greater
  than 1 it is a semaphore under PREFIX with that many slots. Every user of
  a PREFIX must give the same -n.

  COMMAND starts once the lock is held, with CONSUL_LOCK_HELD=true and
  CONCORD_LOCK_INDEX set to the LockIndex of the held key: a number that
  grows each time the lock changes hands, to pass on as a fencing token.
  By default COMMAND runs through $SHELL -c (/bin/sh if unset), its words
  joined with spaces; with -shell=false it is run directly.

  When COMMAND exits, the lock is released and concord exits 0, or 2 with
  -child-exit-code if COMMAND failed. If the lock is lost, or concord is
  interrupted, COMMAND gets SIGTERM, then SIGKILL 5s later, the lock is
  released and concord exits 1. A shell may not pass SIGTERM on to the
  commands it started: use "exec COMMAND", or -shell=false.

      $ concord lock service/web/leader ./run-leader.sh
      $ concord lock -n 3 jobs/encode 'encode --worker "$CONCORD_LOCK_INDEX"'
`

// errChildFailed is runChild's error when the command failed by itself;
// with -child-exit-code `concord lock` then exits 2.
var errChildFailed = silentExit(2)

// Timings of `concord lock`.
const (
	killGrace      = 5 * time.Second  // SIGTERM to SIGKILL
	cleanupTimeout = 10 * time.Second // bound on release and session destroy
	lockMonitorGap = time.Second      // pause between -monitor-retry retries
)

// lockOptions are the flags and arguments of one `concord lock`.
type lockOptions struct {
	hf            httpFlags
	limit         int
	name          string
	wait          time.Duration // the shorter of -timeout and -try; 0 waits forever
	monitorRetry  int
	childExitCode bool
	verbose       bool
	shell         bool
	passStdin     bool
	prefix        string
	child         []string // COMMAND...
}

// runLock is `concord lock`: it takes the lock, runs the command while it
// is held, and releases it.
func runLock(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o lockOptions
	if err := o.parse(args, stderr); err != nil {
		return err
	}
	stdout, stderr = syncWriters(stdout, stderr)
	logf := func(format string, args ...any) {
		if o.verbose {
			fmt.Fprintf(stderr, format+"\n", args...)
		}
	}

	// The client outlives ctx, so that the lock is still released after
	// SIGINT; cancelling clientCtx bounds that cleanup.
	clientCtx, cancelClient := context.WithCancel(context.Background())
	defer cancelClient()
	c, err := o.hf.connect(clientCtx)
	if err != nil {
		return err
	}
	h, err := newLockHandle(c, o.prefix, o.limit, o.name, o.monitorRetry, o.wait)
	if err != nil {
		return err
	}
	logf("Acquiring %s", h.what)
	lost, err := h.take(ctx)
	if err != nil {
		return err
	}
	index := h.index()
	logf("Acquired %s (lock index %d)", h.what, index)

	childErr := runChild(ctx, o.child, childOptions{
		shell: o.shell, passStdin: o.passStdin, index: index, lost: lost,
		stdout: stdout, stderr: stderr, logf: logf,
	})
	if errors.Is(childErr, errChildFailed) && !o.childExitCode {
		childErr = nil
	}
	if err := h.giveBack(cancelClient, logf); err != nil {
		return err
	}
	return childErr
}

// parse reads the flags and arguments and checks them.
func (o *lockOptions) parse(args []string, stderr io.Writer) error {
	fs := newFlagSet(lockUsage, stderr)
	o.hf.register(fs)
	fs.IntVar(&o.limit, "n", 1, "Number of holders at once; more than 1 makes the lock a semaphore.")
	fs.StringVar(&o.name, "name", "", "Name of the lock's session. Defaults to one naming PREFIX and COMMAND.")
	timeout := fs.Duration("timeout", 0, "Give up if the lock is not acquired within this time; 0 waits forever.")
	try := fs.Duration("try", 0, "Same as -timeout, kept for scripts written for older consul versions.")
	fs.IntVar(&o.monitorRetry, "monitor-retry", 3,
		"Server errors in a row (1s apart) to ride out while watching the lock, before calling it lost.")
	fs.BoolVar(&o.childExitCode, "child-exit-code", false, "Exit 2 if COMMAND fails, instead of 0.")
	fs.BoolVar(&o.verbose, "verbose", false, "Report each step on stderr.")
	fs.BoolVar(&o.shell, "shell", true, "Run COMMAND through $SHELL -c (default /bin/sh).")
	fs.BoolVar(&o.passStdin, "pass-stdin", false, "Give COMMAND this process's stdin.")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 2 {
		return errors.New("Expected PREFIX and COMMAND")
	}
	o.prefix, o.child = strings.TrimPrefix(fs.Arg(0), "/"), fs.Args()[1:]
	switch {
	case o.prefix == "":
		return errors.New("PREFIX must not be empty")
	case o.limit < 1:
		return fmt.Errorf("-n must be at least 1, got %d", o.limit)
	case o.monitorRetry < 0:
		return fmt.Errorf("-monitor-retry must not be negative, got %d", o.monitorRetry)
	}
	o.wait = shortestBound(*timeout, *try)
	if o.name == "" {
		o.name = fmt.Sprintf("concord lock on %s: %s", o.prefix, strings.Join(o.child, " "))
	}
	return nil
}

// shortestBound returns the smaller of the non-zero durations, 0 if both
// are zero.
func shortestBound(a, b time.Duration) time.Duration {
	switch {
	case a <= 0:
		return max(b, 0)
	case b <= 0:
		return a
	default:
		return min(a, b)
	}
}

// lockHandle is a lock or a semaphore, as `concord lock` uses them.
type lockHandle struct {
	what    string        // "lock <key>" or "semaphore <prefix> (n slots)", for messages
	wait    time.Duration // bound on acquiring; 0 waits forever
	acquire func(stop <-chan struct{}) (<-chan struct{}, error)
	release func() error
	destroy func() error
	index   func() uint64 // LockIndex of the held key
}

// take acquires the lock, giving up when ctx ends or after h.wait, and
// returns the channel that is closed if the lock is lost.
func (h *lockHandle) take(ctx context.Context) (lost <-chan struct{}, err error) {
	lost, err = h.acquire(ctx.Done())
	switch {
	case err != nil:
		return nil, fmt.Errorf("Cannot acquire %s: %w", h.what, err)
	case lost == nil && ctx.Err() != nil:
		return nil, fmt.Errorf("Interrupted before %s was acquired", h.what)
	case lost == nil:
		return nil, fmt.Errorf("Gave up: %s not acquired within %v", h.what, h.wait)
	}
	return lost, nil
}

// giveBack releases the lock, then deletes its key if nobody else uses it;
// someone waiting for or holding it is the normal case, not an error.
// cancelClient, called after cleanupTimeout, bounds both.
func (h *lockHandle) giveBack(cancelClient context.CancelFunc, logf func(format string, args ...any)) error {
	bound := time.AfterFunc(cleanupTimeout, cancelClient)
	defer bound.Stop()
	logf("Releasing %s", h.what)
	if err := h.release(); err != nil && !errors.Is(err, api.ErrLockNotHeld) && !errors.Is(err, api.ErrSemaphoreNotHeld) {
		return fmt.Errorf("Cannot release %s: %w", h.what, err)
	}
	if err := h.destroy(); err != nil {
		logf("Left %s in place: %v", h.what, err)
	}
	return nil
}

// newLockHandle returns the lock PREFIX/.lock for limit 1, else a semaphore
// on prefix with limit slots. A non-zero wait bounds the acquisition.
func newLockHandle(c *api.Client, prefix string, limit int, name string, monitorRetries int, wait time.Duration) (*lockHandle, error) {
	if limit == 1 {
		key := path.Join(prefix, api.DefaultSemaphoreKey)
		l, err := c.LockOpts(&api.LockOptions{
			Key: key, SessionName: name,
			MonitorRetries: monitorRetries, MonitorRetryTime: lockMonitorGap,
			LockTryOnce: wait > 0, LockWaitTime: wait,
		})
		if err != nil {
			return nil, err
		}
		return &lockHandle{
			what: "lock " + key, wait: wait, acquire: l.Lock, release: l.Unlock, destroy: l.Destroy, index: l.LockIndex,
		}, nil
	}
	s, err := c.SemaphoreOpts(&api.SemaphoreOptions{
		Prefix: prefix, Limit: limit, SessionName: name,
		MonitorRetries: monitorRetries, MonitorRetryTime: lockMonitorGap,
		SemaphoreTryOnce: wait > 0, SemaphoreWaitTime: wait,
	})
	if err != nil {
		return nil, err
	}
	return &lockHandle{
		what:    fmt.Sprintf("semaphore %s (%d slots)", prefix, limit),
		wait:    wait,
		acquire: s.Acquire, release: s.Release, destroy: s.Destroy, index: s.LockIndex,
	}, nil
}

// syncWriters makes stdout and stderr safe to write from our goroutine and
// from the goroutines that copy the command's output. An *os.File is
// already safe and is left as it is, so the command writes to it directly
// (and still sees a terminal when it is one).
func syncWriters(stdout, stderr io.Writer) (io.Writer, io.Writer) {
	wrap := func(w io.Writer) io.Writer {
		if _, ok := w.(*os.File); ok {
			return w
		}
		return &lockedWriter{w: w}
	}
	if sameWriter(stdout, stderr) {
		w := wrap(stdout)
		return w, w
	}
	return wrap(stdout), wrap(stderr)
}

// sameWriter reports whether a and b are one writer; writers whose type
// cannot be compared are taken as different.
func sameWriter(a, b io.Writer) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer // guarded by mu
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// childOptions say how runChild runs the command.
type childOptions struct {
	shell, passStdin bool
	index            uint64
	lost             <-chan struct{} // closed when the lock is lost
	stdout, stderr   io.Writer
	logf             func(format string, args ...any)
}

// runChild runs the command while the lock is held. It returns nil if the
// command succeeded, errChildFailed if it failed by itself, and an error
// that exits 1 if it could not start or was stopped because the lock was
// lost or ctx ended. These are reported on stderr as they happen, before
// the lock is released.
func runChild(ctx context.Context, args []string, o childOptions) error {
	cmd := proc.Command(args, o.shell)
	proc.OwnGroup(cmd)
	cmd.Env = append(os.Environ(),
		"CONSUL_LOCK_HELD=true",
		"CONCORD_LOCK_INDEX="+strconv.FormatUint(o.index, 10))
	cmd.Stdout, cmd.Stderr = o.stdout, o.stderr
	if o.passStdin {
		cmd.Stdin = stdin
	}
	// The command's own children may keep our output pipes open after it
	// exits; stop waiting for them after a moment.
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(o.stderr, "Error! Cannot start command: %v\n", err)
		return silentExit(1)
	}
	o.logf("Started command (pid %d)", cmd.Process.Pid)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	select {
	case err := <-exited:
		if err != nil {
			o.logf("Command failed: %v", err)
			return errChildFailed
		}
		o.logf("Command finished")
		return nil
	case <-o.lost:
		fmt.Fprintln(o.stderr, "Error! Lock lost, stopping the command")
	case <-ctx.Done():
		fmt.Fprintln(o.stderr, "Interrupted, stopping the command")
	}
	proc.Stop(cmd.Process, exited, killGrace)
	return silentExit(1)
}

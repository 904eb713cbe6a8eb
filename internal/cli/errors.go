package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// How a command ends. It returns nil on success; otherwise Main reports the
// error on stderr, once, and exits with its code:
//
//   - flag.ErrHelp: the command printed its help, as asked; exit 0.
//   - an *exitError (verbatimf, silentExit): its message exactly as given,
//     if any, and its code. Commands use it for consul's messages that do
//     not start with "Error!", after output they printed themselves (a bad
//     flag, usage), and for exit codes other than 1.
//   - any other error: "Error! <error>" and exit 1.

// exitError ends a command with a message printed as it is, or none, and
// an exit code.
type exitError struct {
	code int    // the process exit code, 1 or more
	msg  string // printed on stderr with a newline; "" prints nothing
}

func (e *exitError) Error() string {
	if e.msg == "" {
		return fmt.Sprintf("exit code %d", e.code)
	}
	return e.msg
}

// verbatimf returns an error that Main prints as the formatted message
// alone, without "Error! ", exiting 1.
func verbatimf(format string, args ...any) error {
	return &exitError{code: 1, msg: fmt.Sprintf(format, args...)}
}

// silentExit returns an error that makes Main exit with code and print
// nothing more: the command has said why already, or has nothing to say.
func silentExit(code int) error { return &exitError{code: code} }

// report prints err on stderr as a command's failure and returns the
// process exit code (see above).
func report(stderr io.Writer, err error) int {
	var e *exitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &e):
		if e.msg != "" {
			fmt.Fprintln(stderr, e.msg)
		}
		return e.code
	default:
		fmt.Fprintf(stderr, "Error! %v\n", err)
		return 1
	}
}

// withExitCode adapts a command that prints its own errors and returns its
// exit code to the command table: agent and validate, until they return
// errors too.
func withExitCode(run func(ctx context.Context, args []string, stdout, stderr io.Writer) int) runFunc {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		if code := run(ctx, args, stdout, stderr); code != 0 {
			return silentExit(code)
		}
		return nil
	}
}

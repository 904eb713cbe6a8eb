package cli

import (
	"context"
	"errors"
	"io"
)

// runRTT is `concord rtt`.
func runRTT(context.Context, []string, io.Writer, io.Writer) error {
	return errors.New("concord rtt is not built yet")
}

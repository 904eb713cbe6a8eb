package cli

import (
	"context"
	"errors"
	"io"
)

// runTLS is `concord tls`.
func runTLS(context.Context, []string, io.Writer, io.Writer) error {
	return errors.New("concord tls is not built yet")
}

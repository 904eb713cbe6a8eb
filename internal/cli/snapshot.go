package cli

import (
	"context"
	"errors"
	"io"
)

// runSnapshot is `concord snapshot`.
func runSnapshot(context.Context, []string, io.Writer, io.Writer) error {
	return errors.New("concord snapshot is not built yet")
}

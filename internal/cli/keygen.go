package cli

import (
	"context"
	"errors"
	"io"
)

// runKeygen is `concord keygen`.
func runKeygen(context.Context, []string, io.Writer, io.Writer) error {
	return errors.New("concord keygen is not built yet")
}

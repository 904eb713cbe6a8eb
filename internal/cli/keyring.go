package cli

import (
	"context"
	"errors"
	"io"
)

// runKeyring is `concord keyring`.
func runKeyring(context.Context, []string, io.Writer, io.Writer) error {
	return errors.New("concord keyring is not built yet")
}

package cli

import (
	"context"
	"errors"
	"io"
)

// runACL is `concord acl`.
func runACL(context.Context, []string, io.Writer, io.Writer) error {
	return errors.New("concord acl is not built yet")
}

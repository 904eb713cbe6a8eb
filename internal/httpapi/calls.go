package httpapi

import (
	"context"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// readCall runs the declared read c with args through the backend and
// returns its value and meta.
func readCall[A, T any](ctx context.Context, h *Handler, c call.Call[A, call.Result[T]], args A) (T, api.QueryMeta, error) {
	res, err := c.Invoke(ctx, h.backend, args)
	return res.Value, res.Meta, err
}

// query wraps q for a call's arguments.
func query(q *api.QueryOptions) call.Query { return call.Query{Q: q} }

// doWrite runs the declared call c, whose result is empty, with args.
func doWrite[A any](ctx context.Context, h *Handler, c call.Call[A, struct{}], args A) error {
	_, err := c.Invoke(ctx, h.backend, args)
	return err
}

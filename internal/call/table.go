package call

import (
	"context"
	"fmt"
)

// Impl is a call's implementation on a server.
type Impl struct {
	desc   *Desc
	run    func(ctx context.Context, args any) (any, error) // args is *A; the result an R
	assign func(out, result any)                            // *out.(*R) = result.(R)
}

// Implement pairs c with fn, which answers it on a server.
func Implement[A, R any](c Call[A, R], fn func(ctx context.Context, args *A) (R, error)) Impl {
	return Impl{
		desc: c.Desc,
		run:  func(ctx context.Context, args any) (any, error) { return fn(ctx, args.(*A)) },
		assign: func(out, result any) {
			if out != nil {
				*out.(*R) = result.(R)
			}
		},
	}
}

// Hooks see every call a server receives for its own datacenter — from a
// client agent over the wire, or from the HTTP API in its own process —
// before it is answered or forwarded to the leader (a call for another
// datacenter is forwarded there first, and that datacenter's servers run
// their hooks). Nil hooks let every call through.
type Hooks struct {
	// Authorize decides whether the token the call carries (TokenFrom)
	// may make the call d with args (its *A) on the resources d declares;
	// an error refuses the whole call. For reads whose results must be
	// filtered (lists of nodes, services, sessions, keys) it returns a
	// Filter, else nil.
	Authorize func(ctx context.Context, d *Desc, args any) (Filter, error)
}

// Filter runs on a call's result (its *R) before it is answered: it
// leaves out what the token may not read, and may refuse the result
// instead (a token deleted while a blocking read waited).
type Filter func(ctx context.Context, out any) error

// Check runs the hooks for the call d with args. The Filter it returns,
// if not nil, must run on the result.
func (h Hooks) Check(ctx context.Context, d *Desc, args any) (Filter, error) {
	if h.Authorize != nil {
		return h.Authorize(ctx, d, args)
	}
	return nil, nil
}

// Table answers declared calls on a server, in process: each is run by
// its implementation, without encoding arguments or result.
type Table struct {
	impls map[string]Impl
}

// NewTable returns a table of impls. Every declared call must have an
// implementation, and no call two.
func NewTable(impls ...Impl) (*Table, error) {
	t := &Table{impls: make(map[string]Impl, len(impls))}
	for _, impl := range impls {
		if _, dup := t.impls[impl.desc.Name]; dup {
			return nil, fmt.Errorf("call: %s implemented twice", impl.desc.Name)
		}
		t.impls[impl.desc.Name] = impl
	}
	for _, d := range declared {
		if _, ok := t.impls[d.Name]; !ok {
			return nil, fmt.Errorf("call: %s has no implementation", d.Name)
		}
	}
	return t, nil
}

// Call runs the call d with args (its *A) and stores the result in out
// (its *R, or nil), without encoding either.
func (t *Table) Call(ctx context.Context, d *Desc, args, out any) error {
	impl, ok := t.impls[d.Name]
	if !ok {
		return fmt.Errorf("call: unknown call %q", d.Name)
	}
	res, err := impl.run(ctx, args)
	if err != nil {
		return err
	}
	impl.assign(out, res)
	return nil
}

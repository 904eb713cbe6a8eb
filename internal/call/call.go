// Package call declares every call on the replicated state — KV, sessions,
// catalog, health, streams, Raft operations — once: its name, its
// arguments and result, whether it reads or writes, and the resource it
// touches. Everything else derives from the declaration:
//
//  1. a caller (an HTTP handler, DNS, anti-entropy, remote exec) runs
//     Call.Invoke with the arguments over a Caller: a client agent's RPC
//     router, or the server it runs in;
//  2. the server's Table pairs each declaration with its implementation
//     (Implement) and answers both local calls, without encoding, and
//     calls off the wire, decoding the arguments the declaration names;
//  3. a call made in another datacenter (WithDatacenter) is forwarded by
//     the server to one of that datacenter's servers, which answers it as
//     its own;
//  4. before an implementation runs, the Table's Hooks see the call and
//     its resources: the one point where access control hangs.
//
// Adding a call is a state method, a declaration in calls.go, an Implement
// line in the server's table, and the HTTP handler and route.
package call

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/concordhq/concord/api"
)

// Kind says which server may answer a call.
type Kind uint8

const (
	// Write calls change the replicated state: the leader applies them
	// through Raft.
	Write Kind = iota
	// Read calls are answered by the leader or, with ?stale, by any server
	// (see Queried).
	Read
	// Local calls are answered by whichever server receives them, from its
	// own view (the leader's address, the peers).
	Local
)

// Resource is what a call touches, named as access rules name it: Kind
// is a rule kind such as "key", "key_prefix", "service", "node",
// "session", "operator"; Access is "read", "write" or "list".
type Resource struct {
	Kind   string
	Name   string
	Access string
	// Session, for a call on one session by its ID, names that session:
	// the server looks it up and names the resource after its node (a
	// session rule names the node a session belongs to), leaving Name ""
	// when there is no such session.
	Session string `json:",omitempty"`
	// Exact, on a read of a node, service or session, decides it on Name
	// as it is: a read of one named thing that Consul refuses rather than
	// hides (a config entry), where reads of these kinds are otherwise
	// allowed and their results filtered.
	Exact bool `json:",omitempty"`
}

// Desc is a declared call, whatever its types.
type Desc struct {
	Name      string
	Kind      Kind
	resources func(args any) []Resource // args is the call's *A
	newArgs   func() any                // a new *A, to decode into
	newResult func() any                // a new *R, to answer into
}

// NewResult returns a new *R for the call's result.
func (d *Desc) NewResult() any { return d.newResult() }

// Resources returns what args (the call's *A) touch: one resource, or one
// per operation of a transaction.
func (d *Desc) Resources(args any) []Resource { return d.resources(args) }

// DecodeArgs decodes a call's JSON arguments into a new *A.
func (d *Desc) DecodeArgs(raw json.RawMessage) (any, error) {
	args := d.newArgs()
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, args); err != nil {
			return nil, api.BadRequestError{Reason: fmt.Sprintf("rpc: cannot decode arguments of %s: %v", d.Name, err)}
		}
	}
	return args, nil
}

// IsRead reports whether the call with args only reads: a Read call, or a
// call whose arguments say so (a transaction of reads only).
func (d *Desc) IsRead(args any) bool {
	if ro, ok := args.(interface{ ReadOnly() bool }); ok {
		return ro.ReadOnly()
	}
	return d.Kind != Write
}

// Call is one declared call, with arguments A and result R.
type Call[A, R any] struct{ *Desc }

var (
	declared []*Desc              // every call, in declaration order
	byName   = map[string]*Desc{} // every call, by name
)

// Declared returns every declared call.
func Declared() []*Desc { return append([]*Desc(nil), declared...) }

// Lookup returns the call named name, or nil.
func Lookup(name string) *Desc { return byName[name] }

// declare adds a call to the table; resources says what a call with
// given arguments touches.
func declare[A, R any](name string, kind Kind, resources func(*A) []Resource) Call[A, R] {
	d := &Desc{
		Name:      name,
		Kind:      kind,
		resources: func(args any) []Resource { return resources(args.(*A)) },
		newArgs:   func() any { return new(A) },
		newResult: func() any { return new(R) },
	}
	if byName[name] != nil {
		panic("call: " + name + " declared twice")
	}
	byName[name] = d
	declared = append(declared, d)
	return Call[A, R]{d}
}

// Caller runs calls somewhere: args is the call's *A and out its *R.
// A client agent's Caller sends them to a server over RPC; a server's
// Table runs them in process.
type Caller interface {
	Call(ctx context.Context, d *Desc, args, out any) error
}

// Invoke runs c with args through caller and returns its result.
func (c Call[A, R]) Invoke(ctx context.Context, caller Caller, args A) (R, error) {
	var out R
	err := caller.Call(ctx, c.Desc, &args, &out)
	return out, err
}

// Result is a read's value with its meta.
type Result[T any] struct {
	Value T
	Meta  api.QueryMeta
}

// Queried is implemented by the arguments of reads (through the Query
// they embed): their query options, never nil.
type Queried interface{ Options() *api.QueryOptions }

// Query holds a read's options; arguments of reads embed it.
type Query struct {
	Q *api.QueryOptions `json:",omitempty"`
}

// Options returns the options, making empty ones if there are none.
func (q *Query) Options() *api.QueryOptions {
	if q.Q == nil {
		q.Q = &api.QueryOptions{}
	}
	return q.Q
}

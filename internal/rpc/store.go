package rpc

import (
	"context"
	"encoding/json"
	"time"

	"github.com/concordhq/concord/api"
)

// Store is every call an agent makes of the servers: the replicated
// state's reads and writes and the cluster status. *server.Server
// implements it locally; Client implements it over RPC.
type Store interface {
	KVApply(ctx context.Context, op *api.KVTxnOp) (bool, error)
	KVGet(ctx context.Context, q *api.QueryOptions, key string) (*api.KVPair, api.QueryMeta, error)
	KVList(ctx context.Context, q *api.QueryOptions, prefix string) ([]*api.KVPair, api.QueryMeta, error)
	KVKeys(ctx context.Context, q *api.QueryOptions, prefix, sep string) ([]string, api.QueryMeta, error)
	Txn(ctx context.Context, q *api.QueryOptions, ops []api.KVTxnOp) (*api.TxnResponse, api.QueryMeta, error)

	SessionCreate(ctx context.Context, sess *api.SessionEntry) (string, error)
	SessionDestroy(ctx context.Context, id string) error
	SessionRenew(ctx context.Context, id string) (*api.SessionEntry, error)
	SessionInfo(ctx context.Context, q *api.QueryOptions, id string) ([]*api.SessionEntry, api.QueryMeta, error)
	SessionList(ctx context.Context, q *api.QueryOptions, node string) ([]*api.SessionEntry, api.QueryMeta, error)

	CatalogRegister(ctx context.Context, req *api.CatalogRegistration) error
	CatalogDeregister(ctx context.Context, req *api.CatalogDeregistration) error
	CatalogNodes(ctx context.Context, q *api.QueryOptions) ([]*api.Node, api.QueryMeta, error)
	NodeChecks(ctx context.Context, q *api.QueryOptions, node string) ([]*api.HealthCheck, api.QueryMeta, error)
	CatalogServices(ctx context.Context, q *api.QueryOptions) (map[string][]string, api.QueryMeta, error)
	CatalogService(ctx context.Context, q *api.QueryOptions, service string, tags []string) ([]*api.CatalogService, api.QueryMeta, error)
	CatalogNode(ctx context.Context, q *api.QueryOptions, node string) (*api.CatalogNode, api.QueryMeta, error)
	HealthService(ctx context.Context, q *api.QueryOptions, service string, tags []string, passingOnly bool) ([]*api.ServiceEntry, api.QueryMeta, error)
	HealthChecks(ctx context.Context, q *api.QueryOptions, service string) ([]*api.HealthCheck, api.QueryMeta, error)
	HealthState(ctx context.Context, q *api.QueryOptions, status string) ([]*api.HealthCheck, api.QueryMeta, error)

	StreamAppend(ctx context.Context, topic string, value []byte) (uint64, error)
	StreamRead(ctx context.Context, q *api.QueryOptions, topic string, after uint64, limit int) ([]*api.StreamMessage, api.QueryMeta, error)

	RaftConfiguration(ctx context.Context, q *api.QueryOptions) (*api.RaftConfiguration, api.QueryMeta, error)
	RaftRemovePeer(ctx context.Context, id, address string) error

	Leader() string
	Peers() ([]string, error)
}

// args is every method's arguments; each method uses the fields it needs.
type args struct {
	Q       *api.QueryOptions          `json:",omitempty"`
	Key     string                     `json:",omitempty"` // key, prefix, ID, node, service, status or topic
	Sep     string                     `json:",omitempty"`
	Tags    []string                   `json:",omitempty"`
	Passing bool                       `json:",omitempty"`
	After   uint64                     `json:",omitempty"`
	Limit   int                        `json:",omitempty"`
	Value   []byte                     `json:",omitempty"`
	Op      *api.KVTxnOp               `json:",omitempty"`
	Ops     []api.KVTxnOp              `json:",omitempty"`
	Session *api.SessionEntry          `json:",omitempty"`
	Reg     *api.CatalogRegistration   `json:",omitempty"`
	Dereg   *api.CatalogDeregistration `json:",omitempty"`
}

// read is a read's result with its meta.
type read[T any] struct {
	Value T
	Meta  api.QueryMeta
}

// Caller sends one call to some server. A Client picks the server through
// it: the leader, for a server forwarding; any server, for a client agent.
type Caller interface {
	Call(ctx context.Context, method string, read bool, args, out any) error
}

// Client is a Store whose every call goes through a Caller.
type Client struct{ Caller Caller }

var _ Store = Client{}

func callRead[T any](ctx context.Context, c Client, method string, a args) (T, api.QueryMeta, error) {
	var out read[T]
	err := c.Caller.Call(ctx, method, true, a, &out)
	return out.Value, out.Meta, err
}

func callWrite[T any](ctx context.Context, c Client, method string, a args) (T, error) {
	var out T
	err := c.Caller.Call(ctx, method, false, a, &out)
	return out, err
}

func (c Client) KVApply(ctx context.Context, op *api.KVTxnOp) (bool, error) {
	return callWrite[bool](ctx, c, "KVApply", args{Op: op})
}

func (c Client) KVGet(ctx context.Context, q *api.QueryOptions, key string) (*api.KVPair, api.QueryMeta, error) {
	return callRead[*api.KVPair](ctx, c, "KVGet", args{Q: q, Key: key})
}

func (c Client) KVList(ctx context.Context, q *api.QueryOptions, prefix string) ([]*api.KVPair, api.QueryMeta, error) {
	return callRead[[]*api.KVPair](ctx, c, "KVList", args{Q: q, Key: prefix})
}

func (c Client) KVKeys(ctx context.Context, q *api.QueryOptions, prefix, sep string) ([]string, api.QueryMeta, error) {
	return callRead[[]string](ctx, c, "KVKeys", args{Q: q, Key: prefix, Sep: sep})
}

func (c Client) Txn(ctx context.Context, q *api.QueryOptions, ops []api.KVTxnOp) (*api.TxnResponse, api.QueryMeta, error) {
	var out read[*api.TxnResponse]
	err := c.Caller.Call(ctx, "Txn", TxnReadOnly(ops), args{Q: q, Ops: ops}, &out)
	return out.Value, out.Meta, err
}

// TxnReadOnly reports whether a transaction only reads (and so may be
// retried, or answered by any server under ?stale).
func TxnReadOnly(ops []api.KVTxnOp) bool {
	for i := range ops {
		if !ops[i].Verb.IsRead() {
			return false
		}
	}
	return true
}

func (c Client) SessionCreate(ctx context.Context, sess *api.SessionEntry) (string, error) {
	return callWrite[string](ctx, c, "SessionCreate", args{Session: sess})
}

func (c Client) SessionDestroy(ctx context.Context, id string) error {
	_, err := callWrite[struct{}](ctx, c, "SessionDestroy", args{Key: id})
	return err
}

func (c Client) SessionRenew(ctx context.Context, id string) (*api.SessionEntry, error) {
	return callWrite[*api.SessionEntry](ctx, c, "SessionRenew", args{Key: id})
}

func (c Client) SessionInfo(ctx context.Context, q *api.QueryOptions, id string) ([]*api.SessionEntry, api.QueryMeta, error) {
	return callRead[[]*api.SessionEntry](ctx, c, "SessionInfo", args{Q: q, Key: id})
}

func (c Client) SessionList(ctx context.Context, q *api.QueryOptions, node string) ([]*api.SessionEntry, api.QueryMeta, error) {
	return callRead[[]*api.SessionEntry](ctx, c, "SessionList", args{Q: q, Key: node})
}

func (c Client) CatalogRegister(ctx context.Context, req *api.CatalogRegistration) error {
	_, err := callWrite[struct{}](ctx, c, "CatalogRegister", args{Reg: req})
	return err
}

func (c Client) CatalogDeregister(ctx context.Context, req *api.CatalogDeregistration) error {
	_, err := callWrite[struct{}](ctx, c, "CatalogDeregister", args{Dereg: req})
	return err
}

func (c Client) CatalogNodes(ctx context.Context, q *api.QueryOptions) ([]*api.Node, api.QueryMeta, error) {
	return callRead[[]*api.Node](ctx, c, "CatalogNodes", args{Q: q})
}

func (c Client) NodeChecks(ctx context.Context, q *api.QueryOptions, node string) ([]*api.HealthCheck, api.QueryMeta, error) {
	return callRead[[]*api.HealthCheck](ctx, c, "NodeChecks", args{Q: q, Key: node})
}

func (c Client) CatalogServices(ctx context.Context, q *api.QueryOptions) (map[string][]string, api.QueryMeta, error) {
	return callRead[map[string][]string](ctx, c, "CatalogServices", args{Q: q})
}

func (c Client) CatalogService(ctx context.Context, q *api.QueryOptions, service string, tags []string) ([]*api.CatalogService, api.QueryMeta, error) {
	return callRead[[]*api.CatalogService](ctx, c, "CatalogService", args{Q: q, Key: service, Tags: tags})
}

func (c Client) CatalogNode(ctx context.Context, q *api.QueryOptions, node string) (*api.CatalogNode, api.QueryMeta, error) {
	return callRead[*api.CatalogNode](ctx, c, "CatalogNode", args{Q: q, Key: node})
}

func (c Client) HealthService(ctx context.Context, q *api.QueryOptions, service string, tags []string, passingOnly bool) ([]*api.ServiceEntry, api.QueryMeta, error) {
	return callRead[[]*api.ServiceEntry](ctx, c, "HealthService", args{Q: q, Key: service, Tags: tags, Passing: passingOnly})
}

func (c Client) HealthChecks(ctx context.Context, q *api.QueryOptions, service string) ([]*api.HealthCheck, api.QueryMeta, error) {
	return callRead[[]*api.HealthCheck](ctx, c, "HealthChecks", args{Q: q, Key: service})
}

func (c Client) HealthState(ctx context.Context, q *api.QueryOptions, status string) ([]*api.HealthCheck, api.QueryMeta, error) {
	return callRead[[]*api.HealthCheck](ctx, c, "HealthState", args{Q: q, Key: status})
}

func (c Client) StreamAppend(ctx context.Context, topic string, value []byte) (uint64, error) {
	return callWrite[uint64](ctx, c, "StreamAppend", args{Key: topic, Value: value})
}

func (c Client) StreamRead(ctx context.Context, q *api.QueryOptions, topic string, after uint64, limit int) ([]*api.StreamMessage, api.QueryMeta, error) {
	return callRead[[]*api.StreamMessage](ctx, c, "StreamRead", args{Q: q, Key: topic, After: after, Limit: limit})
}

func (c Client) RaftConfiguration(ctx context.Context, q *api.QueryOptions) (*api.RaftConfiguration, api.QueryMeta, error) {
	return callRead[*api.RaftConfiguration](ctx, c, "RaftConfiguration", args{Q: q})
}

func (c Client) RaftRemovePeer(ctx context.Context, id, address string) error {
	_, err := callWrite[struct{}](ctx, c, "RaftRemovePeer", args{Key: id, Sep: address})
	return err
}

// statusTimeout bounds the status calls, whose signatures carry no context.
const statusTimeout = 5 * time.Second

func (c Client) Leader() string {
	ctx, cancel := context.WithTimeout(context.Background(), statusTimeout)
	defer cancel()
	leader, _ := callWrite[string](ctx, c, "Leader", args{})
	return leader
}

func (c Client) Peers() ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), statusTimeout)
	defer cancel()
	var out []string
	err := c.Caller.Call(ctx, "Peers", true, args{}, &out)
	return out, err
}

// Handlers returns the server side of Store: one handler per method,
// calling s.
func Handlers(s Store) map[string]Handler {
	return map[string]Handler{
		"KVApply": write(func(ctx context.Context, a args) (any, error) { return s.KVApply(ctx, a.Op) }),
		"KVGet":   reader(func(ctx context.Context, a args) (any, api.QueryMeta, error) { return s.KVGet(ctx, a.Q, a.Key) }),
		"KVList":  reader(func(ctx context.Context, a args) (any, api.QueryMeta, error) { return s.KVList(ctx, a.Q, a.Key) }),
		"KVKeys": reader(func(ctx context.Context, a args) (any, api.QueryMeta, error) {
			return s.KVKeys(ctx, a.Q, a.Key, a.Sep)
		}),
		"Txn": reader(func(ctx context.Context, a args) (any, api.QueryMeta, error) { return s.Txn(ctx, a.Q, a.Ops) }),
		"SessionCreate": write(func(ctx context.Context, a args) (any, error) {
			return s.SessionCreate(ctx, a.Session)
		}),
		"SessionDestroy": write(func(ctx context.Context, a args) (any, error) {
			return struct{}{}, s.SessionDestroy(ctx, a.Key)
		}),
		"SessionRenew": write(func(ctx context.Context, a args) (any, error) { return s.SessionRenew(ctx, a.Key) }),
		"SessionInfo": reader(func(ctx context.Context, a args) (any, api.QueryMeta, error) {
			return s.SessionInfo(ctx, a.Q, a.Key)
		}),
		"SessionList": reader(func(ctx context.Context, a args) (any, api.QueryMeta, error) {
			return s.SessionList(ctx, a.Q, a.Key)
		}),
		"CatalogRegister": write(func(ctx context.Context, a args) (any, error) {
			return struct{}{}, s.CatalogRegister(ctx, a.Reg)
		}),
		"CatalogDeregister": write(func(ctx context.Context, a args) (any, error) {
			return struct{}{}, s.CatalogDeregister(ctx, a.Dereg)
		}),
		"CatalogNodes": reader(func(ctx context.Context, a args) (any, api.QueryMeta, error) { return s.CatalogNodes(ctx, a.Q) }),
		"NodeChecks": reader(func(ctx context.Context, a args) (any, api.QueryMeta, error) {
			return s.NodeChecks(ctx, a.Q, a.Key)
		}),
		"CatalogServices": reader(func(ctx context.Context, a args) (any, api.QueryMeta, error) {
			return s.CatalogServices(ctx, a.Q)
		}),
		"CatalogService": reader(func(ctx context.Context, a args) (any, api.QueryMeta, error) {
			return s.CatalogService(ctx, a.Q, a.Key, a.Tags)
		}),
		"CatalogNode": reader(func(ctx context.Context, a args) (any, api.QueryMeta, error) {
			return s.CatalogNode(ctx, a.Q, a.Key)
		}),
		"HealthService": reader(func(ctx context.Context, a args) (any, api.QueryMeta, error) {
			return s.HealthService(ctx, a.Q, a.Key, a.Tags, a.Passing)
		}),
		"HealthChecks": reader(func(ctx context.Context, a args) (any, api.QueryMeta, error) {
			return s.HealthChecks(ctx, a.Q, a.Key)
		}),
		"HealthState": reader(func(ctx context.Context, a args) (any, api.QueryMeta, error) {
			return s.HealthState(ctx, a.Q, a.Key)
		}),
		"StreamAppend": write(func(ctx context.Context, a args) (any, error) {
			return s.StreamAppend(ctx, a.Key, a.Value)
		}),
		"StreamRead": reader(func(ctx context.Context, a args) (any, api.QueryMeta, error) {
			return s.StreamRead(ctx, a.Q, a.Key, a.After, a.Limit)
		}),
		"RaftConfiguration": reader(func(ctx context.Context, a args) (any, api.QueryMeta, error) {
			return s.RaftConfiguration(ctx, a.Q)
		}),
		"RaftRemovePeer": write(func(ctx context.Context, a args) (any, error) {
			return struct{}{}, s.RaftRemovePeer(ctx, a.Key, a.Sep)
		}),
		"Leader": write(func(context.Context, args) (any, error) { return s.Leader(), nil }),
		"Peers":  write(func(context.Context, args) (any, error) { return s.Peers() }),
	}
}

func decodeArgs(raw json.RawMessage) (args, error) {
	var a args
	if err := json.Unmarshal(raw, &a); err != nil {
		return a, api.BadRequestError{Reason: "rpc: cannot decode arguments: " + err.Error()}
	}
	if a.Q == nil {
		a.Q = &api.QueryOptions{}
	}
	return a, nil
}

func write(fn func(context.Context, args) (any, error)) Handler {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		a, err := decodeArgs(raw)
		if err != nil {
			return nil, err
		}
		return fn(ctx, a)
	}
}

func reader(fn func(context.Context, args) (any, api.QueryMeta, error)) Handler {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		a, err := decodeArgs(raw)
		if err != nil {
			return nil, err
		}
		v, m, err := fn(ctx, a)
		if err != nil {
			return nil, err
		}
		return read[any]{Value: v, Meta: m}, nil
	}
}

package call

import "github.com/concordhq/concord/api"

// One resource of kind k on name with access.
func one(k, name, access string) []Resource { return []Resource{{Kind: k, Name: name, Access: access}} }

// Rule kinds and accesses, as access rules name them.
const (
	key      = "key"
	keyPre   = "key_prefix"
	node     = "node"
	service  = "service"
	session  = "session"
	operator = "operator"
	stream   = "stream" // Concord's durable streams
	status   = "status" // the cluster's public status: leader and peers

	read  = "read"
	write = "write"
	list  = "list"
)

// KV.

type (
	KVApplyArgs struct{ Op *api.KVTxnOp }
	KVGetArgs   struct {
		Query
		Key string
	}
	KVListArgs struct {
		Query
		Prefix string
	}
	KVKeysArgs struct {
		Query
		Prefix, Separator string
	}
	TxnArgs struct {
		Query
		Ops []api.KVTxnOp
		// Catalog is the whole request instead, when it holds node,
		// service or check operations (Ops is then nil).
		Catalog []api.TxnOp
	}
)

// ReadOnly reports whether the transaction only reads: it may then be
// answered like a read, also with ?stale.
func (a *TxnArgs) ReadOnly() bool {
	for i := range a.Ops {
		if !a.Ops[i].Verb.IsRead() {
			return false
		}
	}
	for i := range a.Catalog {
		if !a.Catalog[i].ReadOnly() {
			return false
		}
	}
	return true
}

var (
	KVApply = declare[KVApplyArgs, bool]("KVApply", Write,
		func(a *KVApplyArgs) []Resource { return []Resource{opResource(a.Op)} })
	KVGet = declare[KVGetArgs, Result[*api.KVPair]]("KVGet", Read,
		func(a *KVGetArgs) []Resource { return one(key, a.Key, read) })
	KVList = declare[KVListArgs, Result[[]*api.KVPair]]("KVList", Read,
		func(a *KVListArgs) []Resource { return one(keyPre, a.Prefix, read) })
	KVKeys = declare[KVKeysArgs, Result[[]string]]("KVKeys", Read,
		func(a *KVKeysArgs) []Resource { return one(keyPre, a.Prefix, list) })
	Txn = declare[TxnArgs, Result[*api.TxnResponse]]("Txn", Write, txnResources)
)

// opResource is what one KV operation touches: a tree operation the
// prefix, a read the key for reading, any other the key for writing.
func opResource(op *api.KVTxnOp) Resource {
	switch {
	case op == nil:
		return Resource{Kind: key, Access: write}
	case op.Verb == api.KVDeleteTree:
		return Resource{Kind: keyPre, Name: op.Key, Access: write}
	case op.Verb == api.KVGetTree:
		return Resource{Kind: keyPre, Name: op.Key, Access: read}
	case op.Verb.IsRead():
		return Resource{Kind: key, Name: op.Key, Access: read}
	}
	return Resource{Kind: key, Name: op.Key, Access: write}
}

// catalogOpResource is what one operation of a transaction touches: a
// node operation its node, a service operation the service, a check
// operation its node; read for gets, write otherwise.
func catalogOpResource(op *api.TxnOp) Resource {
	access := write
	if op.ReadOnly() {
		access = read
	}
	switch {
	case op.KV != nil:
		return opResource(op.KV)
	case op.Node != nil:
		return Resource{Kind: node, Name: op.Node.Node.Node, Access: access}
	case op.Service != nil:
		return Resource{Kind: service, Name: op.Service.Service.Service, Access: access}
	case op.Check != nil:
		return Resource{Kind: node, Name: op.Check.Check.Node, Access: access}
	}
	return Resource{Kind: key, Access: write}
}

// txnResources is one resource per operation: a transaction any of whose
// operations is refused is refused whole.
func txnResources(a *TxnArgs) []Resource {
	out := make([]Resource, 0, len(a.Ops)+len(a.Catalog))
	for i := range a.Ops {
		out = append(out, opResource(&a.Ops[i]))
	}
	for i := range a.Catalog {
		out = append(out, catalogOpResource(&a.Catalog[i]))
	}
	if len(out) == 0 {
		out = one(key, "", read)
	}
	return out
}

// Sessions.

type (
	SessionCreateArgs struct{ Session *api.SessionEntry }
	// SessionIDArgs names one session; its node is found when access is
	// decided.
	SessionIDArgs  struct{ ID string }
	SessionGetArgs struct {
		Query
		ID string
	}
	SessionListArgs struct {
		Query
		Node string // "" for every node
	}
)

var (
	SessionCreate = declare[SessionCreateArgs, string]("SessionCreate", Write,
		func(a *SessionCreateArgs) []Resource {
			if a.Session == nil {
				return one(session, "", write)
			}
			return one(session, a.Session.Node, write)
		})
	SessionDestroy = declare[SessionIDArgs, struct{}]("SessionDestroy", Write, sessionByID)
	SessionRenew   = declare[SessionIDArgs, *api.SessionEntry]("SessionRenew", Write, sessionByID)
	// SessionInfo's result is filtered by the session's node, as lists are.
	SessionInfo = declare[SessionGetArgs, Result[[]*api.SessionEntry]]("SessionInfo", Read,
		func(a *SessionGetArgs) []Resource { return one(session, "", read) })
	SessionList = declare[SessionListArgs, Result[[]*api.SessionEntry]]("SessionList", Read,
		func(a *SessionListArgs) []Resource { return one(session, a.Node, read) })
)

// sessionByID is a write on one session: its node's session rule decides,
// which the server finds from the ID (Resource.Session).
func sessionByID(a *SessionIDArgs) []Resource {
	return []Resource{{Kind: session, Access: write, Session: a.ID}}
}

// Catalog and health.

type (
	RegisterArgs   struct{ Reg *api.CatalogRegistration }
	DeregisterArgs struct{ Dereg *api.CatalogDeregistration }
	// NodesArgs lists every node.
	NodesArgs struct{ Query }
	NodeArgs  struct {
		Query
		Node string
	}
	ServicesArgs struct{ Query }
	ServiceArgs  struct {
		Query
		Service string
		Tags    []string
	}
	HealthServiceArgs struct {
		Query
		Service     string
		Tags        []string
		PassingOnly bool
	}
	HealthChecksArgs struct {
		Query
		Service string
	}
	HealthStateArgs struct {
		Query
		State string
	}
)

var (
	CatalogRegister   = declare[RegisterArgs, struct{}]("CatalogRegister", Write, registerResources)
	CatalogDeregister = declare[DeregisterArgs, struct{}]("CatalogDeregister", Write,
		func(a *DeregisterArgs) []Resource {
			if a.Dereg == nil {
				return one(node, "", write)
			}
			return one(node, a.Dereg.Node, write)
		})
	CatalogNodes = declare[NodesArgs, Result[[]*api.Node]]("CatalogNodes", Read,
		func(*NodesArgs) []Resource { return one(node, "", read) })
	NodeChecks = declare[NodeArgs, Result[[]*api.HealthCheck]]("NodeChecks", Read,
		func(a *NodeArgs) []Resource { return one(node, a.Node, read) })
	CatalogNode = declare[NodeArgs, Result[*api.CatalogNode]]("CatalogNode", Read,
		func(a *NodeArgs) []Resource { return one(node, a.Node, read) })
	CatalogServices = declare[ServicesArgs, Result[map[string][]string]]("CatalogServices", Read,
		func(*ServicesArgs) []Resource { return one(service, "", read) })
	CatalogService = declare[ServiceArgs, Result[[]*api.CatalogService]]("CatalogService", Read,
		func(a *ServiceArgs) []Resource { return one(service, a.Service, read) })
	HealthService = declare[HealthServiceArgs, Result[[]*api.ServiceEntry]]("HealthService", Read,
		func(a *HealthServiceArgs) []Resource { return one(service, a.Service, read) })
	HealthChecks = declare[HealthChecksArgs, Result[[]*api.HealthCheck]]("HealthChecks", Read,
		func(a *HealthChecksArgs) []Resource { return one(service, a.Service, read) })
	HealthState = declare[HealthStateArgs, Result[[]*api.HealthCheck]]("HealthState", Read,
		func(*HealthStateArgs) []Resource { return one(node, "", read) })
)

// registerResources is what a catalog registration writes: its node, its
// service, and each check — a service's check is a write on that service,
// a node's check on the node.
func registerResources(a *RegisterArgs) []Resource {
	if a.Reg == nil {
		return one(node, "", write)
	}
	r := a.Reg
	out := one(node, r.Node, write)
	if r.Service != nil {
		out = append(out, Resource{Kind: service, Name: r.Service.Service, Access: write})
	}
	checks := r.Checks
	if r.Check != nil {
		checks = append([]*api.HealthCheck{r.Check}, checks...)
	}
	for _, c := range checks {
		if c == nil {
			continue
		}
		switch {
		case c.ServiceID == "":
			// a node check: covered by the node's write
		case r.Service != nil && (c.ServiceID == r.Service.ID || c.ServiceID == r.Service.Service):
			// the registered service's check: covered by its write
		default:
			out = append(out, Resource{Kind: service, Name: c.ServiceName, Access: write})
		}
	}
	return out
}

// Streams.

type (
	StreamAppendArgs struct {
		Topic string
		Value []byte
	}
	StreamReadArgs struct {
		Query
		Topic string
		After uint64
		Limit int
	}
)

var (
	StreamAppend = declare[StreamAppendArgs, uint64]("StreamAppend", Write,
		func(a *StreamAppendArgs) []Resource { return one(stream, a.Topic, write) })
	StreamRead = declare[StreamReadArgs, Result[[]*api.StreamMessage]]("StreamRead", Read,
		func(a *StreamReadArgs) []Resource { return one(stream, a.Topic, read) })
)

// Raft operations and status.

type (
	RaftConfigurationArgs struct{ Query }
	RemovePeerArgs        struct{ ID, Address string }
	StatusArgs            struct{}
)

var (
	RaftConfiguration = declare[RaftConfigurationArgs, Result[*api.RaftConfiguration]]("RaftConfiguration", Read,
		func(*RaftConfigurationArgs) []Resource { return one(operator, "", read) })
	RaftRemovePeer = declare[RemovePeerArgs, struct{}]("RaftRemovePeer", Write,
		func(*RemovePeerArgs) []Resource { return one(operator, "", write) })
	Leader = declare[StatusArgs, string]("Leader", Local,
		func(*StatusArgs) []Resource { return one(status, "", read) })
	Peers = declare[StatusArgs, []string]("Peers", Local,
		func(*StatusArgs) []Resource { return one(status, "", read) })
)

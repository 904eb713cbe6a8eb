package api

// TxnOp is one element of the PUT /v1/txn body: exactly one of KV, Node,
// Service and Check.
type TxnOp struct {
	KV      *KVTxnOp      `json:",omitempty"`
	Node    *NodeTxnOp    `json:",omitempty"`
	Service *ServiceTxnOp `json:",omitempty"`
	Check   *CheckTxnOp   `json:",omitempty"`
}

// CatalogOp is the verb of a node, service or check operation.
type CatalogOp string

// The verbs of node, service and check operations.
const (
	CatalogSet       CatalogOp = "set"
	CatalogCAS       CatalogOp = "cas"
	CatalogGet       CatalogOp = "get"
	CatalogDelete    CatalogOp = "delete"
	CatalogDeleteCAS CatalogOp = "delete-cas"
)

// Valid reports whether op is a known verb.
func (op CatalogOp) Valid() bool {
	switch op {
	case CatalogSet, CatalogCAS, CatalogGet, CatalogDelete, CatalogDeleteCAS:
		return true
	}
	return false
}

// NodeTxnOp is a node operation: the node by ID or name (ID first), and
// for cas and delete-cas its ModifyIndex.
type NodeTxnOp struct {
	Verb CatalogOp
	Node Node
}

// ServiceTxnOp is a service operation on the instance Service.ID of Node.
type ServiceTxnOp struct {
	Verb    CatalogOp
	Node    string
	Service NodeService
}

// CheckTxnOp is a check operation on Check.CheckID of Check.Node.
type CheckTxnOp struct {
	Verb  CatalogOp
	Check HealthCheck
}

// ReadOnly reports whether op changes nothing.
func (op *TxnOp) ReadOnly() bool {
	switch {
	case op.KV != nil:
		return op.KV.Verb.IsRead()
	case op.Node != nil:
		return op.Node.Verb == CatalogGet
	case op.Service != nil:
		return op.Service.Verb == CatalogGet
	case op.Check != nil:
		return op.Check.Verb == CatalogGet
	}
	return true
}

// KVTxnOp is the KV part of a TxnOp.
type KVTxnOp struct {
	Verb    KVOp
	Key     string
	Value   []byte
	Flags   uint64
	Index   uint64
	Session string
}

// TxnResult is one result of a transaction; deletes and checks add none.
type TxnResult struct {
	KV      *KVPair      `json:",omitempty"`
	Node    *Node        `json:",omitempty"`
	Service *NodeService `json:",omitempty"`
	Check   *HealthCheck `json:",omitempty"`
}

// TxnError says which operation made a transaction roll back, and why.
type TxnError struct {
	OpIndex int
	What    string
}

// TxnResponse is the body of a /v1/txn reply: Results when every operation
// succeeded (200), Errors when the transaction rolled back (409).
type TxnResponse struct {
	Results []TxnResult
	Errors  []TxnError
}

// MaxTxnOps is the most operations one transaction may hold (Consul ≥ 1.14).
const MaxTxnOps = 128

// MaxTxnBodySize is Consul's txn_max_req_len default (512 KiB).
const MaxTxnBodySize = 512 * 1024

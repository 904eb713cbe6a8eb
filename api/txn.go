package api

// TxnOp is one element of the PUT /v1/txn body. Only KV is supported until the
// catalog exists; a request naming Node, Service or Check gets a clear error.
type TxnOp struct {
	KV      *KVTxnOp `json:",omitempty"`
	Node    any      `json:",omitempty"`
	Service any      `json:",omitempty"`
	Check   any      `json:",omitempty"`
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
	KV *KVPair `json:",omitempty"`
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

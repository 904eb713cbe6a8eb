package api

// KVPair is one key in the KV store, as GET /v1/kv returns it.
//
// Value is raw bytes; encoding/json writes it as base64 and a nil Value as
// null, which is what Consul emits for empty values and folder keys.
type KVPair struct {
	LockIndex   uint64
	Key         string
	Flags       uint64
	Value       []byte
	Session     string `json:",omitempty"` // absent when the key is unlocked
	CreateIndex uint64
	ModifyIndex uint64
}

// Clone returns a deep copy of p, so that callers may change it without
// touching a copy held by the state store.
func (p *KVPair) Clone() *KVPair {
	if p == nil {
		return nil
	}
	c := *p
	if p.Value != nil {
		c.Value = append([]byte(nil), p.Value...)
	}
	return &c
}

// KVOp names a KV write or read; the strings are Consul's txn verbs.
type KVOp string

// The KV verbs of PUT /v1/txn; the write verbs are also the operations of the
// plain KV endpoint.
const (
	KVSet            KVOp = "set"
	KVCAS            KVOp = "cas"
	KVLock           KVOp = "lock"
	KVUnlock         KVOp = "unlock"
	KVGet            KVOp = "get"
	KVGetOrEmpty     KVOp = "get-or-empty"
	KVGetTree        KVOp = "get-tree"
	KVCheckIndex     KVOp = "check-index"
	KVCheckSession   KVOp = "check-session"
	KVCheckNotExists KVOp = "check-not-exists"
	KVDelete         KVOp = "delete"
	KVDeleteCAS      KVOp = "delete-cas"
	KVDeleteTree     KVOp = "delete-tree"
)

// IsRead reports whether op only reads.
func (op KVOp) IsRead() bool {
	switch op {
	case KVGet, KVGetOrEmpty, KVGetTree, KVCheckIndex, KVCheckSession, KVCheckNotExists:
		return true
	}
	return false
}

// Valid reports whether op is one of the known verbs.
func (op KVOp) Valid() bool {
	switch op {
	case KVSet, KVCAS, KVLock, KVUnlock, KVDelete, KVDeleteCAS, KVDeleteTree:
		return true
	}
	return op.IsRead()
}

// MaxKVValueSize is Consul's default kv_max_value_size: the largest value a
// key may hold (512 KiB).
const MaxKVValueSize = 512 * 1024

package fsm

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/concordhq/concord/api"
)

// MessageType is the first byte of every Raft command. The list is
// append-only: a value, once used, keeps its meaning forever, since old logs
// and snapshots hold it.
type MessageType uint8

const (
	// KVType is one KV write (set, cas, delete, delete-cas, delete-tree).
	KVType MessageType = 1
	// TxnType is a /v1/txn request: several KV operations, all or none.
	TxnType MessageType = 2
	// TombstoneReapType drops tombstones up to an index.
	TombstoneReapType MessageType = 3
	// SessionType creates or destroys a session (JSON body).
	SessionType MessageType = 4
	// RegisterType is a catalog registration (JSON body).
	RegisterType MessageType = 5
	// DeregisterType is a catalog deregistration (JSON body).
	DeregisterType MessageType = 6
	// StreamAppendType appends a message to a durable stream (JSON body).
	StreamAppendType MessageType = 7
	// ACLType writes or deletes an ACL token, policy or role, or
	// bootstraps ACLs (JSON body; see acl.go).
	ACLType MessageType = 8
	// PreparedQueryType creates, updates or deletes a prepared query (JSON
	// body; see query.go).
	PreparedQueryType MessageType = 9
	// CoordinateType is a batch of network coordinate updates (JSON body;
	// see coordinate.go).
	CoordinateType MessageType = 10
	// OperatorType changes operator settings such as the autopilot
	// configuration (JSON body; see operator.go).
	OperatorType MessageType = 11
	// CatalogTxnType is a /v1/txn request holding node, service or check
	// operations, KV ones among them (JSON []api.TxnOp); KV-only
	// transactions stay TxnType, whose binary body is cheaper.
	CatalogTxnType MessageType = 12
	// CatalogBatchType is a run of independent catalog registrations and
	// deregistrations, applied in order as if each were a command of its
	// own (JSON []CatalogOp; see catalog_batch.go). The leader writes
	// gossip's membership changes this way, many members an entry.
	CatalogBatchType MessageType = 13
	// ConfigEntryType sets or deletes a config entry (JSON body; see
	// config_entry.go).
	ConfigEntryType MessageType = 14
)

// StreamAppend is the body of a StreamAppendType command. The retention
// limits travel with each append, so every server trims alike.
type StreamAppend struct {
	Topic       string
	Value       []byte
	MaxMessages int
	MaxAge      time.Duration
}

// EncodeStreamAppend returns the command that appends to a stream.
func EncodeStreamAppend(req *StreamAppend, now time.Time) []byte {
	return encodeJSON(StreamAppendType, req, now)
}

// Every command is: type byte | leader's clock in unix nanoseconds (uvarint)
// | body. The clock lets Apply compute lock-delays without reading its own
// clock, so every server applies the same way.

// header starts a command of type typ made at now.
func header(typ MessageType, now time.Time, sizeHint int) encoder {
	e := encoder{buf: make([]byte, 0, 1+binary.MaxVarintLen64+sizeHint)}
	e.buf = append(e.buf, byte(typ))
	e.uvarint(uint64(now.UnixNano()))
	return e
}

// splitCommand returns a command's type, clock and body.
func splitCommand(data []byte) (MessageType, time.Time, []byte, error) {
	if len(data) == 0 {
		return 0, time.Time{}, nil, errShort
	}
	nanos, n := binary.Uvarint(data[1:])
	if n <= 0 {
		return 0, time.Time{}, nil, errShort
	}
	return MessageType(data[0]), time.Unix(0, int64(nanos)), data[1+n:], nil
}

// SessionOp is the body of a SessionType command.
type SessionOp struct {
	Op      string // "create" or "destroy"
	Session api.SessionEntry
}

// Session operations.
const (
	SessionCreate  = "create"
	SessionDestroy = "destroy"
)

// EncodeSession returns the command for a session operation.
func EncodeSession(op *SessionOp, now time.Time) []byte { return encodeJSON(SessionType, op, now) }

// EncodeRegister returns the command for a catalog registration.
func EncodeRegister(req *api.CatalogRegistration, now time.Time) []byte {
	return encodeJSON(RegisterType, req, now)
}

// EncodeDeregister returns the command for a catalog deregistration.
func EncodeDeregister(req *api.CatalogDeregistration, now time.Time) []byte {
	return encodeJSON(DeregisterType, req, now)
}

func encodeJSON(typ MessageType, v any, now time.Time) []byte {
	body, err := json.Marshal(v)
	if err != nil {
		// Only plain data types are encoded; this is a programming error.
		panic(fmt.Sprintf("fsm: cannot encode command %d: %v", typ, err))
	}
	e := header(typ, now, len(body))
	e.buf = append(e.buf, body...)
	return e.buf
}

// IgnoreUnknownFlag set on a type lets a server that does not know the type
// skip the entry instead of stopping; for commands that are safe to miss.
const IgnoreUnknownFlag MessageType = 128

// errShort is returned when a payload ends inside a field.
var errShort = errors.New("fsm: payload too short")

// encoder appends length-prefixed fields to a byte slice.
type encoder struct{ buf []byte }

func (e *encoder) uvarint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }
func (e *encoder) bytes(b []byte) {
	// 0 marks nil; a present value stores len+1, so nil and empty differ.
	if b == nil {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(len(b)) + 1)
	e.buf = append(e.buf, b...)
}
func (e *encoder) string(s string) {
	e.uvarint(uint64(len(s)))
	e.buf = append(e.buf, s...)
}

// decoder reads what encoder wrote; the first error sticks.
type decoder struct {
	buf []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) take(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.buf)) {
		d.err = errShort
		return nil
	}
	b := d.buf[:n:n]
	d.buf = d.buf[n:]
	return b
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n == 0 {
		return nil
	}
	return append([]byte{}, d.take(n-1)...)
}

func (d *decoder) string() string { return string(d.take(d.uvarint())) }

// encodeKVOp writes one KV operation.
func (e *encoder) kvOp(op *api.KVTxnOp) {
	e.string(string(op.Verb))
	e.string(op.Key)
	e.bytes(op.Value)
	e.uvarint(op.Flags)
	e.uvarint(op.Index)
	e.string(op.Session)
}

func (d *decoder) kvOp() api.KVTxnOp {
	return api.KVTxnOp{
		Verb:    api.KVOp(d.string()),
		Key:     d.string(),
		Value:   d.bytes(),
		Flags:   d.uvarint(),
		Index:   d.uvarint(),
		Session: d.string(),
	}
}

// EncodeKV returns the Raft command for one KV write.
func EncodeKV(op *api.KVTxnOp, now time.Time) []byte {
	e := header(KVType, now, 16+len(op.Key)+len(op.Value)+len(op.Session))
	e.kvOp(op)
	return e.buf
}

// EncodeTxn returns the Raft command for a transaction.
func EncodeTxn(ops []api.KVTxnOp, now time.Time) []byte {
	e := header(TxnType, now, 0)
	e.uvarint(uint64(len(ops)))
	for i := range ops {
		e.kvOp(&ops[i])
	}
	return e.buf
}

// EncodeCatalogTxn returns the command of a transaction with node,
// service or check operations.
func EncodeCatalogTxn(ops []api.TxnOp, now time.Time) []byte {
	return encodeJSON(CatalogTxnType, ops, now)
}

// EncodeTombstoneReap returns the command that reaps tombstones up to idx.
func EncodeTombstoneReap(idx uint64, now time.Time) []byte {
	e := header(TombstoneReapType, now, 0)
	e.uvarint(idx)
	return e.buf
}

// decodeKV reads the body of a KVType command.
func decodeKV(body []byte) (api.KVTxnOp, error) {
	d := decoder{buf: body}
	op := d.kvOp()
	return op, d.finish()
}

// decodeTxn reads the body of a TxnType command.
func decodeTxn(body []byte) ([]api.KVTxnOp, error) {
	d := decoder{buf: body}
	n := d.uvarint()
	if n > api.MaxTxnOps*4 {
		return nil, fmt.Errorf("fsm: transaction of %d operations", n)
	}
	ops := make([]api.KVTxnOp, 0, n)
	for i := uint64(0); i < n && d.err == nil; i++ {
		ops = append(ops, d.kvOp())
	}
	return ops, d.finish()
}

func decodeTombstoneReap(body []byte) (uint64, error) {
	d := decoder{buf: body}
	idx := d.uvarint()
	return idx, d.finish()
}

// finish reports a decode error or trailing bytes.
func (d *decoder) finish() error {
	if d.err == nil && len(d.buf) > 0 {
		d.err = fmt.Errorf("fsm: %d trailing bytes", len(d.buf))
	}
	return d.err
}

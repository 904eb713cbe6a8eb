package rpc

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"google.golang.org/grpc/mem"
)

// The envelope is binary: gRPC carries a call's arguments and its result
// as the JSON bytes the ends encode, framed by a few length-prefixed
// strings, so neither end parses, validates or copies that JSON a second
// time (JSON envelopes holding them as json.RawMessage did, and it cost
// more than decoding the result itself).
//
//	request: uvarint len, method; uvarint len, token; uvarint len, datacenter; then the arguments
//	reply:   replyResult, then the result as JSON
//	         or replyBinary, then the result in binary (binary.go)
//	         or replyError, then the wireError as JSON (errors are rare, and
//	         JSON carries whatever fields wireError gains)
const (
	replyResult byte = iota
	replyError
	replyBinary
)

// request is what travels for every call: the call's name, its encoded
// arguments, the ACL token it is made with (call.TokenFrom; "" for the
// anonymous token), which the receiving server resolves and checks, and
// the datacenter it is made in (call.DatacenterFrom; "" for the
// receiver's). The token is never trusted from the connection: a call
// without one is the anonymous token's.
type request struct {
	Method     string
	Args       []byte
	Token      string
	Datacenter string
}

// reply carries the method's encoded result, or an error that keeps its
// kind.
type reply struct {
	Result []byte
	Binary bool // Result is in binary (binary.go), not JSON
	Err    *wireError
}

// codec is the gRPC codec of the envelope: it frames requests and
// replies and leaves their bodies as they are.
type codec struct{}

func (codec) Name() string { return "concord" }

func (codec) Marshal(v any) (mem.BufferSlice, error) {
	var head, body []byte
	switch m := v.(type) {
	case *request:
		head = make([]byte, 0, 3*binary.MaxVarintLen16+len(m.Method)+len(m.Token)+len(m.Datacenter))
		head = appendString(head, m.Method)
		head = appendString(head, m.Token)
		head = appendString(head, m.Datacenter)
		body = m.Args
	case *reply:
		if m.Err != nil {
			var err error
			head = []byte{replyError}
			if body, err = json.Marshal(m.Err); err != nil {
				return nil, err
			}
		} else {
			head = []byte{replyResult}
			if m.Binary {
				head[0] = replyBinary
			}
			body = m.Result
		}
	default:
		return nil, fmt.Errorf("rpc: cannot frame %T", v)
	}
	// Two buffers: the body is sent as it is, not copied behind the head.
	out := mem.BufferSlice{mem.SliceBuffer(head)}
	if len(body) > 0 {
		out = append(out, mem.SliceBuffer(body))
	}
	return out, nil
}

func (codec) Unmarshal(data mem.BufferSlice, v any) error {
	// Materialize copies the frame into a slice of our own, so the body
	// may be kept as a part of it after gRPC frees its buffers.
	b := data.Materialize()
	switch m := v.(type) {
	case *request:
		return decodeRequest(b, m)
	case *reply:
		return decodeReply(b, m)
	}
	return fmt.Errorf("rpc: cannot unframe %T", v)
}

// errFrame is a frame too short for what its lengths say.
var errFrame = errors.New("rpc: malformed frame")

func decodeRequest(b []byte, m *request) error {
	var err error
	if m.Method, b, err = readString(b); err != nil {
		return err
	}
	if m.Token, b, err = readString(b); err != nil {
		return err
	}
	if m.Datacenter, b, err = readString(b); err != nil {
		return err
	}
	m.Args = b
	return nil
}

func decodeReply(b []byte, m *reply) error {
	if len(b) == 0 {
		return errFrame
	}
	switch b[0] {
	case replyResult, replyBinary:
		m.Result, m.Binary = b[1:], b[0] == replyBinary
		return nil
	case replyError:
		m.Err = new(wireError)
		return json.Unmarshal(b[1:], m.Err)
	}
	return fmt.Errorf("rpc: unknown reply type %d", b[0])
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// readString reads a length-prefixed string and returns the rest.
func readString(b []byte) (string, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return "", nil, errFrame
	}
	return string(b[k : k+int(n)]), b[k+int(n):], nil
}

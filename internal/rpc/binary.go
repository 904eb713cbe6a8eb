package rpc

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// Results travel as JSON, except the few that a client agent asks for
// most and that cost most to decode: a service's instances (health
// ?passing and every DNS service lookup: JSON decoding was three
// quarters of a client agent's CPU under such load) and a KV read. These
// have a compact binary form of their own, written and read field by
// field below; the reply's header says which form a body is in.
//
// The binary form keeps every field, and nil apart from empty: a slice,
// map or pointer is written as 0 for nil, else 1 + its length (or 1 for a
// pointer) and its elements. The deep, rarely set parts — a service's mesh
// blocks (Proxy, Connect) and a check's Definition — are written as 0 when
// empty, else as JSON, as every result was before.
// TestBinaryResultsKeepEveryField fills every field of these types by
// reflection, so a field added to them and forgotten here fails it.

// encodeResult encodes a call's result, in binary when its type has a
// binary form (isBinary).
func encodeResult(v any) (data []byte, isBinary bool, err error) {
	switch r := v.(type) {
	case *call.Result[[]*api.ServiceEntry]:
		w := writer{b: appendQueryMeta(make([]byte, 0, 256*len(r.Value)+32), &r.Meta)}
		w.b = appendLen(w.b, r.Value == nil, len(r.Value))
		for _, e := range r.Value {
			w.serviceEntry(e)
		}
		if w.err == nil {
			return w.b, true, nil
		}
		// A mesh block JSON cannot encode: the whole result as JSON,
		// which answers the same error.
	case *call.Result[*api.KVPair]:
		b := appendQueryMeta(make([]byte, 0, 64+kvSize(r.Value)), &r.Meta)
		return appendKVPair(b, r.Value), true, nil
	}
	data, err = json.Marshal(v)
	return data, false, err
}

// decodeBinary decodes a binary result into out, which must be of the
// type it was encoded from.
func decodeBinary(data []byte, out any) error {
	r := &reader{s: string(data)}
	switch o := out.(type) {
	case *call.Result[[]*api.ServiceEntry]:
		r.queryMeta(&o.Meta)
		if n, ok := r.len(); ok {
			o.Value = make([]*api.ServiceEntry, n)
			for i := range o.Value {
				o.Value[i] = r.serviceEntry()
			}
		} else {
			o.Value = nil
		}
	case *call.Result[*api.KVPair]:
		r.queryMeta(&o.Meta)
		o.Value = r.kvPair()
	default:
		return fmt.Errorf("rpc: a binary result cannot be decoded into %T", out)
	}
	if r.err == nil && len(r.s) > 0 {
		r.err = errTrailing
	}
	return r.err
}

var (
	errShort    = errors.New("rpc: binary result ends early")
	errTrailing = errors.New("rpc: binary result has bytes after its end")
)

// Writing.

func appendUint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }
func appendInt(b []byte, v int64) []byte   { return binary.AppendVarint(b, v) }

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendStr(b []byte, s string) []byte { return append(appendUint(b, uint64(len(s))), s...) }

// appendLen writes 0 for nil, else n+1.
func appendLen(b []byte, isNil bool, n int) []byte {
	if isNil {
		return append(b, 0)
	}
	return appendUint(b, uint64(n)+1)
}

func appendStrings(b []byte, ss []string) []byte {
	b = appendLen(b, ss == nil, len(ss))
	for _, s := range ss {
		b = appendStr(b, s)
	}
	return b
}

// appendStringMap writes a map's pairs in the map's order: the reader
// builds an equal map whatever the order.
func appendStringMap(b []byte, m map[string]string) []byte {
	b = appendLen(b, m == nil, len(m))
	for k, v := range m {
		b = appendStr(appendStr(b, k), v)
	}
	return b
}

func appendQueryMeta(b []byte, m *api.QueryMeta) []byte {
	b = appendUint(b, m.LastIndex)
	b = appendInt(b, int64(m.LastContact))
	b = appendBool(b, m.KnownLeader)
	b = appendStr(b, m.Consistency)
	return appendBool(b, m.ResultsFilteredByACLs)
}

// writer appends the parts that may fail (JSON blobs), keeping the first
// error.
type writer struct {
	b   []byte
	err error
}

// blob appends *v as 0 when it is the zero value, else as 1 and its JSON.
func (w *writer) blob(v any) {
	if reflect.ValueOf(v).Elem().IsZero() {
		w.b = append(w.b, 0)
		return
	}
	data, err := json.Marshal(v)
	if err != nil && w.err == nil {
		w.err = err
	}
	w.b = append(appendUint(w.b, uint64(len(data))+1), data...)
}

func (w *writer) serviceEntry(e *api.ServiceEntry) {
	if e == nil {
		w.b = append(w.b, 0)
		return
	}
	w.b = appendNode(append(w.b, 1), e.Node)
	w.nodeService(e.Service)
	w.b = appendLen(w.b, e.Checks == nil, len(e.Checks))
	for _, c := range e.Checks {
		w.healthCheck(c)
	}
}

func appendNode(b []byte, n *api.Node) []byte {
	if n == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	b = appendStr(b, n.ID)
	b = appendStr(b, n.Node)
	b = appendStr(b, n.Address)
	b = appendStr(b, n.Datacenter)
	b = appendStringMap(b, n.TaggedAddresses)
	b = appendStringMap(b, n.Meta)
	b = appendUint(b, n.CreateIndex)
	return appendUint(b, n.ModifyIndex)
}

func (w *writer) nodeService(s *api.NodeService) {
	if s == nil {
		w.b = append(w.b, 0)
		return
	}
	b := append(w.b, 1)
	b = appendStr(b, string(s.Kind))
	b = appendStr(b, s.ID)
	b = appendStr(b, s.Service)
	b = appendStrings(b, s.Tags)
	b = appendStr(b, s.Address)
	b = appendStringMap(b, s.Meta)
	b = appendInt(b, int64(s.Port))
	b = appendLen(b, s.Ports == nil, len(s.Ports))
	for _, p := range s.Ports {
		b = appendBool(appendInt(appendStr(b, p.Name), int64(p.Port)), p.Default)
	}
	b = appendStr(b, s.SocketPath)
	b = appendLen(b, s.TaggedAddresses == nil, len(s.TaggedAddresses))
	for k, a := range s.TaggedAddresses {
		b = appendInt(appendStr(appendStr(b, k), a.Address), int64(a.Port))
	}
	if s.Locality == nil {
		b = append(b, 0)
	} else {
		b = appendStr(appendStr(append(b, 1), s.Locality.Region), s.Locality.Zone)
	}
	b = appendInt(b, int64(s.Weights.Passing))
	b = appendInt(b, int64(s.Weights.Warning))
	b = appendBool(b, s.EnableTagOverride)
	b = appendUint(b, s.CreateIndex)
	w.b = appendUint(b, s.ModifyIndex)
	w.blob(&s.Proxy)
	w.blob(&s.Connect)
}

func (w *writer) healthCheck(c *api.HealthCheck) {
	if c == nil {
		w.b = append(w.b, 0)
		return
	}
	b := append(w.b, 1)
	for _, s := range [...]string{c.Node, c.CheckID, c.Name, c.Status, c.Notes, c.Output, c.ServiceID, c.ServiceName} {
		b = appendStr(b, s)
	}
	b = appendStrings(b, c.ServiceTags)
	b = appendStr(b, c.Type)
	b = appendUint(b, c.CreateIndex)
	w.b = appendUint(b, c.ModifyIndex)
	w.blob(&c.Definition)
}

func kvSize(p *api.KVPair) int {
	if p == nil {
		return 0
	}
	return len(p.Key) + len(p.Value) + len(p.Session)
}

func appendKVPair(b []byte, p *api.KVPair) []byte {
	if p == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	b = appendUint(b, p.LockIndex)
	b = appendStr(b, p.Key)
	b = appendUint(b, p.Flags)
	b = appendLen(b, p.Value == nil, len(p.Value))
	b = append(b, p.Value...)
	b = appendStr(b, p.Session)
	b = appendUint(b, p.CreateIndex)
	return appendUint(b, p.ModifyIndex)
}

// Reading. A reader keeps the first error and reads zeros after it, so
// the decoders read straight through and check once at the end. It reads
// from one string made of the whole body, so the strings it returns are
// parts of it rather than an allocation each.

type reader struct {
	s   string // what is left to read
	err error
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.s = ""
}

func (r *reader) uint() uint64 {
	var v uint64
	for i := 0; i < len(r.s) && i < binary.MaxVarintLen64; i++ {
		c := r.s[i]
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				break // overflows 64 bits
			}
			r.s = r.s[i+1:]
			return v
		}
	}
	r.fail(errShort)
	return 0
}

func (r *reader) int() int64 {
	u := r.uint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

// intN reads an int that must fit Go's int.
func (r *reader) intN() int {
	v := r.int()
	if v < math.MinInt || v > math.MaxInt {
		r.fail(errShort)
		return 0
	}
	return int(v)
}

func (r *reader) byte() byte {
	if len(r.s) == 0 {
		r.fail(errShort)
		return 0
	}
	c := r.s[0]
	r.s = r.s[1:]
	return c
}

func (r *reader) bool() bool { return r.byte() != 0 }

// present reads a pointer's marker: whether one follows.
func (r *reader) present() bool { return r.byte() != 0 }

// take reads n bytes.
func (r *reader) take(n uint64) string {
	if n > uint64(len(r.s)) {
		r.fail(errShort)
		return ""
	}
	v := r.s[:n]
	r.s = r.s[n:]
	return v
}

func (r *reader) str() string { return r.take(r.uint()) }

// len reads a length written by appendLen: ok is false for nil. A length
// larger than the bytes left (each element takes at least one) is an
// error, so a corrupt body cannot make a decoder allocate much.
func (r *reader) len() (int, bool) {
	n := r.uint()
	if n == 0 {
		return 0, false
	}
	if n-1 > uint64(len(r.s)) {
		r.fail(errShort)
		return 0, false
	}
	return int(n - 1), true
}

func (r *reader) strings() []string {
	n, ok := r.len()
	if !ok {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = r.str()
	}
	return ss
}

func (r *reader) stringMap() map[string]string {
	n, ok := r.len()
	if !ok {
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		k := r.str()
		m[k] = r.str()
	}
	return m
}

func (r *reader) queryMeta(m *api.QueryMeta) {
	m.LastIndex = r.uint()
	m.LastContact = time.Duration(r.int())
	m.KnownLeader = r.bool()
	m.Consistency = r.str()
	m.ResultsFilteredByACLs = r.bool()
}

func (r *reader) serviceEntry() *api.ServiceEntry {
	if !r.present() {
		return nil
	}
	e := &api.ServiceEntry{Node: r.node(), Service: r.nodeService()}
	if n, ok := r.len(); ok {
		e.Checks = make([]*api.HealthCheck, n)
		for i := range e.Checks {
			e.Checks[i] = r.healthCheck()
		}
	}
	return e
}

func (r *reader) node() *api.Node {
	if !r.present() {
		return nil
	}
	return &api.Node{ID: r.str(), Node: r.str(), Address: r.str(), Datacenter: r.str(),
		TaggedAddresses: r.stringMap(), Meta: r.stringMap(), CreateIndex: r.uint(), ModifyIndex: r.uint()}
}

func (r *reader) nodeService() *api.NodeService {
	if !r.present() {
		return nil
	}
	s := &api.NodeService{Kind: api.ServiceKind(r.str()), ID: r.str(), Service: r.str(), Tags: r.strings(), Address: r.str(),
		Meta: r.stringMap(), Port: r.intN()}
	if n, ok := r.len(); ok {
		s.Ports = make(api.ServicePorts, n)
		for i := range s.Ports {
			s.Ports[i] = api.ServicePort{Name: r.str(), Port: r.intN(), Default: r.bool()}
		}
	}
	s.SocketPath = r.str()
	if n, ok := r.len(); ok {
		s.TaggedAddresses = make(map[string]api.ServiceAddress, n)
		for range n {
			k := r.str()
			s.TaggedAddresses[k] = api.ServiceAddress{Address: r.str(), Port: r.intN()}
		}
	}
	if r.present() {
		s.Locality = &api.Locality{Region: r.str(), Zone: r.str()}
	}
	s.Weights = api.AgentWeights{Passing: r.intN(), Warning: r.intN()}
	s.EnableTagOverride = r.bool()
	s.CreateIndex = r.uint()
	s.ModifyIndex = r.uint()
	r.blob(&s.Proxy)
	r.blob(&s.Connect)
	return s
}

func (r *reader) healthCheck() *api.HealthCheck {
	if !r.present() {
		return nil
	}
	c := &api.HealthCheck{Node: r.str(), CheckID: r.str(), Name: r.str(), Status: r.str(), Notes: r.str(),
		Output: r.str(), ServiceID: r.str(), ServiceName: r.str(), ServiceTags: r.strings(), Type: r.str(),
		CreateIndex: r.uint(), ModifyIndex: r.uint()}
	r.blob(&c.Definition)
	return c
}

// blob reads what writer.blob wrote into v (left as it is for 0).
func (r *reader) blob(v any) {
	n, ok := r.len()
	if !ok {
		return
	}
	if err := json.Unmarshal([]byte(r.take(uint64(n))), v); err != nil {
		r.fail(err)
	}
}

func (r *reader) kvPair() *api.KVPair {
	if !r.present() {
		return nil
	}
	p := &api.KVPair{LockIndex: r.uint(), Key: r.str(), Flags: r.uint()}
	if n, ok := r.len(); ok {
		p.Value = []byte(r.take(uint64(n)))
	}
	p.Session = r.str()
	p.CreateIndex = r.uint()
	p.ModifyIndex = r.uint()
	return p
}

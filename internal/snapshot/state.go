package snapshot

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
)

// state.bin is internal/fsm's snapshot stream (see fsm/snapshot.go, which
// writes it and is the authority on it):
//
//	magic "CNCDSNAP" | version byte | index (uvarint)
//	then records: kind byte | payload length (uvarint) | payload
//	ending with the kind byte 0.
//
// This file reads only that framing: enough to count records by kind and
// to rewrite the index, without building a store.
const (
	stateMagic   = "CNCDSNAP"
	stateVersion = 1
	recordEnd    = 0
	recordObject = 8 // payload: table name (uvarint length, bytes), then the row
)

// recordKinds name the record kinds of state.bin (kind 8 is named by its
// table instead).
var recordKinds = map[byte]string{
	1: "KV", 2: "Tombstone", 3: "Node", 4: "Service", 5: "Check", 6: "Session", 7: "StreamMessage",
}

// ErrNotState is returned for a state.bin that is not Concord's FSM stream
// (a Consul snapshot, say).
var ErrNotState = errors.New("snapshot: state.bin is not a Concord state snapshot")

// RecordStat counts the records of one type in a state.bin.
type RecordStat struct {
	Type  string // "KV", "Node"...; an object table's own name
	Count int
	Size  int64 // bytes of the records, framing included
}

// StateInfo is what ReadState finds in a state.bin.
type StateInfo struct {
	Index   uint64
	Records []RecordStat // largest first
	Total   int64        // bytes of the whole stream
}

// ReadState reads a state.bin stream's framing and counts its records by
// type. It does not decode the records: a stream it accepts may still hold
// a record the FSM refuses.
func ReadState(r io.Reader) (StateInfo, error) {
	cr := &countingReader{r: bufio.NewReader(r)}
	index, err := readHeader(cr)
	if err != nil {
		return StateInfo{}, err
	}
	info := StateInfo{Index: index}
	byType := map[string]*RecordStat{}
	for {
		start := cr.n
		kind, err := cr.ReadByte()
		if err != nil {
			return StateInfo{}, fmt.Errorf("snapshot: state.bin ends without its end marker: %w", err)
		}
		if kind == recordEnd {
			break
		}
		n, err := binary.ReadUvarint(cr)
		if err != nil || n > MaxStateSize {
			return StateInfo{}, fmt.Errorf("snapshot: bad record length in state.bin")
		}
		name, ok := recordKinds[kind]
		skip := int64(n)
		if kind == recordObject {
			tn, err := binary.ReadUvarint(cr)
			if err != nil || tn > 256 || tn > n {
				return StateInfo{}, fmt.Errorf("snapshot: bad object record in state.bin")
			}
			table := make([]byte, tn)
			if _, err := io.ReadFull(cr, table); err != nil {
				return StateInfo{}, fmt.Errorf("snapshot: truncated record in state.bin")
			}
			name, ok = string(table), true
			skip = int64(n) - int64(uvarintLen(tn)) - int64(tn)
		}
		if !ok {
			return StateInfo{}, fmt.Errorf("snapshot: unknown record kind %d in state.bin", kind)
		}
		if m, err := io.CopyN(io.Discard, cr, skip); err != nil || m != skip {
			return StateInfo{}, fmt.Errorf("snapshot: truncated record in state.bin")
		}
		st := byType[name]
		if st == nil {
			st = &RecordStat{Type: name}
			byType[name] = st
		}
		st.Count++
		st.Size += cr.n - start
	}
	if _, err := cr.ReadByte(); err != io.EOF {
		return StateInfo{}, fmt.Errorf("snapshot: data after the end of state.bin")
	}
	info.Total = cr.n
	for _, st := range byType {
		info.Records = append(info.Records, *st)
	}
	sort.Slice(info.Records, func(i, j int) bool {
		a, b := info.Records[i], info.Records[j]
		if a.Size != b.Size {
			return a.Size > b.Size
		}
		return a.Type < b.Type
	})
	return info, nil
}

// StateIndex returns the index in a state.bin's header.
func StateIndex(state []byte) (uint64, error) { return readHeader(bytes.NewReader(state)) }

// Reindex returns state with its header's index set to index. A restore
// raises the index so that the restored state's X-Consul-Index never goes
// back and every blocking query sees a change.
func Reindex(state []byte, index uint64) ([]byte, error) {
	r := bytes.NewReader(state)
	if _, err := readHeader(r); err != nil {
		return nil, err
	}
	rest := state[len(state)-r.Len():]
	out := make([]byte, 0, len(state)+binary.MaxVarintLen64)
	out = append(out, stateMagic...)
	out = append(out, stateVersion)
	out = binary.AppendUvarint(out, index)
	return append(out, rest...), nil
}

// readHeader reads the magic, version and index of a state.bin.
func readHeader(r io.ByteReader) (uint64, error) {
	head := make([]byte, len(stateMagic)+1)
	for i := range head {
		b, err := r.ReadByte()
		if err != nil {
			return 0, ErrNotState
		}
		head[i] = b
	}
	if string(head[:len(stateMagic)]) != stateMagic {
		return 0, ErrNotState
	}
	if v := head[len(stateMagic)]; v != stateVersion {
		return 0, fmt.Errorf("snapshot: state.bin version %d not supported (want %d)", v, stateVersion)
	}
	index, err := binary.ReadUvarint(r)
	if err != nil {
		return 0, fmt.Errorf("snapshot: cannot read the index of state.bin: %w", err)
	}
	return index, nil
}

func uvarintLen(v uint64) int { return len(binary.AppendUvarint(nil, v)) }

// countingReader counts the bytes read through it.
type countingReader struct {
	r *bufio.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

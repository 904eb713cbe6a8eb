package fsm

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/state"
	"github.com/hashicorp/raft"
)

// Snapshot format, version 1:
//
//	magic "CNCDSNAP" | version byte | snapshot index (uvarint)
//	then records: kind byte | payload length (uvarint) | payload
//	ending with the kind byte recordEnd.
const (
	snapMagic   = "CNCDSNAP"
	snapVersion = 1

	recordEnd       byte = 0
	recordKV        byte = 1
	recordTombstone byte = 2
	recordNode      byte = 3 // JSON api.Node
	recordService   byte = 4 // JSON serviceRecord
	recordCheck     byte = 5 // JSON api.HealthCheck
	recordSession   byte = 6 // JSON api.SessionEntry
	recordStream    byte = 7 // JSON api.StreamMessage
	recordObject    byte = 8 // table name, then the row's JSON (state.objectTable)
)

// serviceRecord is a service instance with its node, in snapshots.
type serviceRecord struct {
	Node    string
	Service *api.NodeService
}

// maxRecordSize bounds one record so a corrupt length cannot exhaust memory.
const maxRecordSize = 16 << 20

// Snapshot freezes the store; Raft persists it later, off the apply path.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	return &fsmSnapshot{snap: f.State().Snapshot()}, nil
}

type fsmSnapshot struct {
	snap *state.Snapshot
}

// Persist writes the snapshot to sink and closes it, or cancels it on error.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := s.write(sink); err != nil {
		sink.Cancel()
		return fmt.Errorf("cannot write snapshot: %w", err)
	}
	return sink.Close()
}

func (s *fsmSnapshot) write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	e := encoder{buf: append([]byte(snapMagic), snapVersion)}
	e.uvarint(s.snap.Index())
	if _, err := bw.Write(e.buf); err != nil {
		return err
	}
	record := func(kind byte, payload []byte) error {
		hdr := binary.AppendUvarint([]byte{kind}, uint64(len(payload)))
		if _, err := bw.Write(hdr); err != nil {
			return err
		}
		_, err := bw.Write(payload)
		return err
	}
	err := s.snap.KVs(func(p *api.KVPair) error {
		e := encoder{}
		e.kvPair(p)
		return record(recordKV, e.buf)
	})
	if err != nil {
		return err
	}
	err = s.snap.Tombstones(func(ts state.Tombstone) error {
		e := encoder{}
		e.string(ts.Key)
		e.uvarint(ts.Index)
		return record(recordTombstone, e.buf)
	})
	if err != nil {
		return err
	}
	jsonRecord := func(kind byte, v any) error {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		return record(kind, data)
	}
	err = s.snap.Catalog(
		func(n *api.Node) error { return jsonRecord(recordNode, n) },
		func(node string, svc *api.NodeService) error {
			return jsonRecord(recordService, serviceRecord{Node: node, Service: svc})
		},
		func(c *api.HealthCheck) error { return jsonRecord(recordCheck, c) },
	)
	if err != nil {
		return err
	}
	err = s.snap.Sessions(func(sess *api.SessionEntry) error { return jsonRecord(recordSession, sess) })
	if err != nil {
		return err
	}
	err = s.snap.Stream(func(m *api.StreamMessage) error { return jsonRecord(recordStream, m) })
	if err != nil {
		return err
	}
	err = s.snap.Objects(func(table string, row any) error {
		data, err := json.Marshal(row)
		if err != nil {
			return err
		}
		e := encoder{}
		e.string(table)
		return record(recordObject, append(e.buf, data...))
	})
	if err != nil {
		return err
	}
	if err := bw.WriteByte(recordEnd); err != nil {
		return err
	}
	return bw.Flush()
}

// Release is a no-op: the memdb snapshot is garbage collected.
func (s *fsmSnapshot) Release() {}

func (e *encoder) kvPair(p *api.KVPair) {
	e.string(p.Key)
	e.bytes(p.Value)
	e.uvarint(p.Flags)
	e.uvarint(p.LockIndex)
	e.string(p.Session)
	e.uvarint(p.CreateIndex)
	e.uvarint(p.ModifyIndex)
}

func (d *decoder) kvPair() *api.KVPair {
	return &api.KVPair{
		Key:         d.string(),
		Value:       d.bytes(),
		Flags:       d.uvarint(),
		LockIndex:   d.uvarint(),
		Session:     d.string(),
		CreateIndex: d.uvarint(),
		ModifyIndex: d.uvarint(),
	}
}

// Restore replaces the state with the snapshot read from rc. The old store
// is abandoned only after the new one is complete, so a bad snapshot leaves
// the current state in place.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	st, err := readSnapshot(rc)
	if err != nil {
		return fmt.Errorf("cannot restore snapshot: %w", err)
	}
	old := f.state.Swap(st)
	old.Abandon()
	return nil
}

// ErrBadSnapshot is returned for a snapshot that is not in Concord's format.
var ErrBadSnapshot = errors.New("fsm: not a Concord snapshot")

// readSnapshot builds a new store from a snapshot stream.
func readSnapshot(r io.Reader) (*state.Store, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head := make([]byte, len(snapMagic)+1)
	if _, err := io.ReadFull(br, head); err != nil || string(head[:len(snapMagic)]) != snapMagic {
		return nil, ErrBadSnapshot
	}
	if head[len(snapMagic)] != snapVersion {
		return nil, fmt.Errorf("fsm: snapshot version %d not supported", head[len(snapMagic)])
	}
	index, err := binary.ReadUvarint(br)
	if err != nil {
		return nil, fmt.Errorf("fsm: cannot read snapshot index: %w", err)
	}
	st := state.New()
	restore := st.Restore()
	if err := readRecords(br, restore); err != nil {
		restore.Abort()
		return nil, err
	}
	if err := restore.Commit(index); err != nil {
		return nil, err
	}
	return st, nil
}

func readRecords(br *bufio.Reader, restore *state.Restorer) error {
	for {
		kind, err := br.ReadByte()
		if err != nil {
			return fmt.Errorf("fsm: snapshot ends without end marker: %w", err)
		}
		if kind == recordEnd {
			return nil
		}
		n, err := binary.ReadUvarint(br)
		if err != nil || n > maxRecordSize {
			return fmt.Errorf("fsm: bad snapshot record length")
		}
		// Read up to the claimed length rather than allocating it first, so
		// a corrupt length costs no more memory than the data present.
		payload, err := io.ReadAll(io.LimitReader(br, int64(n)))
		if err != nil || uint64(len(payload)) != n {
			return fmt.Errorf("fsm: truncated snapshot record")
		}
		d := decoder{buf: payload}
		switch kind {
		case recordKV:
			p := d.kvPair()
			if err := d.finish(); err != nil {
				return err
			}
			err = restore.KV(p)
		case recordTombstone:
			ts := state.Tombstone{Key: d.string(), Index: d.uvarint()}
			if err := d.finish(); err != nil {
				return err
			}
			err = restore.Tombstone(ts)
		case recordNode:
			var n api.Node
			if err = json.Unmarshal(payload, &n); err == nil {
				err = restore.Node(&n)
			}
		case recordService:
			var rec serviceRecord
			if err = json.Unmarshal(payload, &rec); err == nil {
				if rec.Service == nil {
					return fmt.Errorf("fsm: snapshot service record without a service")
				}
				err = restore.Service(rec.Node, rec.Service)
			}
		case recordCheck:
			var c api.HealthCheck
			if err = json.Unmarshal(payload, &c); err == nil {
				err = restore.Check(&c)
			}
		case recordSession:
			var sess api.SessionEntry
			if err = json.Unmarshal(payload, &sess); err == nil {
				err = restore.Session(&sess)
			}
		case recordStream:
			var m api.StreamMessage
			if err = json.Unmarshal(payload, &m); err == nil {
				err = restore.StreamMessage(&m)
			}
		case recordObject:
			table := d.string()
			if d.err != nil {
				return fmt.Errorf("fsm: bad snapshot object record: %w", d.err)
			}
			err = restore.Object(table, d.buf)
		default:
			return fmt.Errorf("fsm: unknown snapshot record kind %d", kind)
		}
		if err != nil {
			return err
		}
	}
}

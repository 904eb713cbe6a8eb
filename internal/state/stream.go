package state

import (
	"fmt"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/hashicorp/go-memdb"
)

// streamRow is a stored stream message.
type streamRow struct {
	Topic string
	Index uint64
	Time  int64 // unix nanoseconds, from the leader's clock in the command
	Value []byte
}

// streamMeta counts a topic's messages, so retention need not scan it.
type streamMeta struct {
	Topic string
	Count int
}

func streamIndexKey(topic string) string { return "stream." + topic }

// StreamAppend adds a message to topic at idx, then drops the topic's
// oldest messages beyond maxCount or older than maxAge at now.
func (t *Txn) StreamAppend(idx uint64, now time.Time, topic string, value []byte, maxCount int, maxAge time.Duration) error {
	if err := t.tx.Insert(tableStream, &streamRow{Topic: topic, Index: idx, Time: now.UnixNano(), Value: value}); err != nil {
		return fmt.Errorf("cannot append to stream %q: %w", topic, err)
	}
	meta := &streamMeta{Topic: topic}
	if raw, err := t.tx.First(tableStreamMeta, "id", topic); err == nil && raw != nil {
		meta.Count = raw.(*streamMeta).Count
	}
	meta.Count++
	it, err := t.tx.LowerBound(tableStream, "id", topic, uint64(0))
	if err != nil {
		return fmt.Errorf("cannot read stream %q: %w", topic, err)
	}
	cutoff := now.Add(-maxAge).UnixNano()
	var doomed []*streamRow
	for raw := it.Next(); raw != nil; raw = it.Next() {
		row := raw.(*streamRow)
		if row.Topic != topic || row.Index == idx {
			break
		}
		if (maxCount <= 0 || meta.Count-len(doomed) <= maxCount) && (maxAge <= 0 || row.Time >= cutoff) {
			break
		}
		doomed = append(doomed, row)
	}
	for _, row := range doomed {
		if err := t.tx.Delete(tableStream, row); err != nil {
			return fmt.Errorf("cannot trim stream %q: %w", topic, err)
		}
	}
	meta.Count -= len(doomed)
	if err := t.tx.Insert(tableStreamMeta, meta); err != nil {
		return fmt.Errorf("cannot count stream %q: %w", topic, err)
	}
	t.setIndex(streamIndexKey(topic), idx)
	return nil
}

// StreamRead returns up to limit messages of topic with an index above
// after, oldest first. The index is the topic's last append (0 if none).
func (s *Store) StreamRead(ws memdb.WatchSet, topic string, after uint64, limit int) (uint64, []*api.StreamMessage, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	ch, _, err := tx.FirstWatch(tableIndex, "id", streamIndexKey(topic))
	if err != nil {
		return 0, nil, fmt.Errorf("cannot read stream %q: %w", topic, err)
	}
	ws.Add(ch)
	it, err := tx.LowerBound(tableStream, "id", topic, after+1)
	if err != nil {
		return 0, nil, fmt.Errorf("cannot read stream %q: %w", topic, err)
	}
	out := []*api.StreamMessage{}
	for raw := it.Next(); raw != nil && len(out) < limit; raw = it.Next() {
		row := raw.(*streamRow)
		if row.Topic != topic {
			break
		}
		out = append(out, &api.StreamMessage{Topic: topic, Index: row.Index, Time: time.Unix(0, row.Time).UTC(), Value: row.Value})
	}
	return maxIndex(tx, streamIndexKey(topic)), out, nil
}

// Stream calls fn for every stream message, by topic then index, stopping
// at the first error.
func (snap *Snapshot) Stream(fn func(*api.StreamMessage) error) error {
	it, err := snap.tx.Get(tableStream, "id")
	if err != nil {
		return fmt.Errorf("cannot list stream messages: %w", err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		row := raw.(*streamRow)
		m := &api.StreamMessage{Topic: row.Topic, Index: row.Index, Time: time.Unix(0, row.Time).UTC(), Value: row.Value}
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

// StreamMessage adds one stream message; counts and topic indexes are
// rebuilt as messages arrive.
func (r *Restorer) StreamMessage(m *api.StreamMessage) error {
	if err := r.insert(tableStream, &streamRow{Topic: m.Topic, Index: m.Index, Time: m.Time.UnixNano(), Value: m.Value}); err != nil {
		return err
	}
	meta := &streamMeta{Topic: m.Topic, Count: 1}
	if raw, err := r.tx.First(tableStreamMeta, "id", m.Topic); err == nil && raw != nil {
		meta.Count = raw.(*streamMeta).Count + 1
	}
	if err := r.insert(tableStreamMeta, meta); err != nil {
		return err
	}
	r.max = max(r.max, m.Index)
	return r.insert(tableIndex, &indexEntry{Table: streamIndexKey(m.Topic), Value: m.Index})
}

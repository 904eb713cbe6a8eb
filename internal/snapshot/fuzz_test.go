package snapshot_test

import (
	"bytes"
	"testing"

	"github.com/concordhq/concord/internal/snapshot"
)

// FuzzRead feeds arbitrary bytes to the archive reader and the state
// reader: they must refuse what is not whole, never panic, and what Read
// accepts must be exactly the state its metadata describes.
func FuzzRead(f *testing.F) {
	state := fsmState(f)
	f.Add(archive(f, state))
	f.Add(state)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var got bytes.Buffer
		meta, err := snapshot.Read(bytes.NewReader(data), &got)
		if err == nil && meta.Size != int64(got.Len()) {
			t.Fatalf("Read accepted a state of %d bytes whose metadata says %d", got.Len(), meta.Size)
		}
		info, err := snapshot.ReadState(bytes.NewReader(data))
		if err == nil && info.Total != int64(len(data)) {
			t.Fatalf("ReadState accepted %d bytes but counted %d", len(data), info.Total)
		}
		if _, err := snapshot.Reindex(data, 7); err == nil {
			if idx, err := snapshot.StateIndex(mustReindex(t, data)); err != nil || idx != 7 {
				t.Fatalf("StateIndex after Reindex(7) = %d, %v", idx, err)
			}
		}
	})
}

func mustReindex(t *testing.T, data []byte) []byte {
	out, err := snapshot.Reindex(data, 7)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

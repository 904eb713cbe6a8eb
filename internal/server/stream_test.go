package server_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/concordhq/concord/api"
)

// TestStreamSurvivesSnapshotAndRestart: stream messages written before a
// snapshot come back from it, later ones from the log, with their indexes,
// and retention still counts them right afterwards.
func TestStreamSurvivesSnapshotAndRestart(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.StreamMaxMessages = 8
	s := startServer(t, cfg)
	ctx := context.Background()
	var idx []uint64
	appendN := func(s *testServer, from, n int) {
		for i := from; i < from+n; i++ {
			id, err := s.StreamAppend(ctx, "t", []byte(strconv.Itoa(i)))
			if err != nil {
				t.Fatalf("StreamAppend(%d) = %v", i, err)
			}
			idx = append(idx, id)
		}
	}
	appendN(s, 0, 5)
	if err := s.TakeSnapshot(); err != nil {
		t.Fatalf("TakeSnapshot = %v", err)
	}
	appendN(s, 5, 2)
	s.stop(t)

	s2 := startServer(t, cfg)
	read := func() []*api.StreamMessage {
		msgs, _, err := s2.StreamRead(ctx, &api.QueryOptions{}, "t", 0, 100)
		if err != nil {
			t.Fatalf("StreamRead = %v", err)
		}
		return msgs
	}
	msgs := read()
	if len(msgs) != 7 || msgs[0].Index != idx[0] || msgs[6].Index != idx[6] || string(msgs[6].Value) != "6" {
		t.Fatalf("after restart, stream = %d messages, want the 7 written (indexes %v)", len(msgs), idx)
	}
	// Three more: the oldest two go, as max_messages is 8.
	appendN(s2, 7, 3)
	msgs = read()
	if len(msgs) != 8 || string(msgs[0].Value) != "2" || string(msgs[7].Value) != "9" {
		got := []string{}
		for _, m := range msgs {
			got = append(got, string(m.Value))
		}
		t.Fatalf("after 3 more appends, stream = %v, want 2..9", got)
	}
}

package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
)

// publish appends one message and returns its index.
func publish(t *testing.T, addr, topic, value string) uint64 {
	t.Helper()
	req, _ := http.NewRequest("PUT", "http://"+addr+"/v1/stream/"+topic, bytes.NewReader([]byte(value)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	defer resp.Body.Close()
	var out struct{ Index uint64 }
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&out) != nil || out.Index == 0 {
		t.Fatalf("PUT /v1/stream/%s = %d, index %d", topic, resp.StatusCode, out.Index)
	}
	return out.Index
}

// readStream reads the messages after index after; query adds parameters.
func readStream(t *testing.T, addr, topic string, after uint64, query string) ([]api.StreamMessage, *http.Response) {
	t.Helper()
	url := fmt.Sprintf("http://%s/v1/stream/%s?after=%d%s", addr, topic, after, query)
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var msgs []api.StreamMessage
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(body, &msgs); err != nil {
			t.Fatalf("GET %s: bad body %q: %v", url, body, err)
		}
	}
	return msgs, resp
}

// TestStreamConsumerMissesNothing: a consumer that reads in small batches,
// "dies" and resumes from the last index it saw gets every message exactly
// once, in order.
func TestStreamConsumerMissesNothing(t *testing.T) {
	t.Parallel()
	ta := testutil.StartAgent(t, "", nil)
	const n = 50
	var want []uint64
	for i := 0; i < n; i++ {
		want = append(want, publish(t, ta.HTTPAddr(), "orders", "m"+strconv.Itoa(i)))
	}
	var got []string
	var last uint64
	for round := 0; len(got) < n && round < 100; round++ {
		// Each round is a fresh consumer that only knows the last index.
		msgs, resp := readStream(t, ta.HTTPAddr(), "orders", last, "&limit=7&wait=1s")
		if resp.StatusCode != 200 {
			t.Fatalf("read after %d = %d", last, resp.StatusCode)
		}
		for _, m := range msgs {
			if m.Index <= last {
				t.Fatalf("message %d after %d: out of order or repeated", m.Index, last)
			}
			got = append(got, string(m.Value))
			last = m.Index
		}
	}
	if len(got) != n {
		t.Fatalf("received %d messages, want %d", len(got), n)
	}
	for i, v := range got {
		if v != "m"+strconv.Itoa(i) {
			t.Fatalf("message %d = %q, want %q", i, v, "m"+strconv.Itoa(i))
		}
	}
	if last != want[n-1] {
		t.Errorf("last index %d, want %d", last, want[n-1])
	}
}

// TestStreamReadBlocksUntilPublish: a read past the newest message waits
// for the next one, and one with nothing new times out empty.
func TestStreamReadBlocksUntilPublish(t *testing.T) {
	t.Parallel()
	ta := testutil.StartAgent(t, "", nil)
	first := publish(t, ta.HTTPAddr(), "events", "a")

	done := make(chan []api.StreamMessage, 1)
	start := time.Now()
	go func() {
		msgs, _ := readStream(t, ta.HTTPAddr(), "events", first, "&wait=10s")
		done <- msgs
	}()
	time.Sleep(200 * time.Millisecond) // let the read reach the server and block
	publish(t, ta.HTTPAddr(), "events", "b")
	select {
	case msgs := <-done:
		if len(msgs) != 1 || string(msgs[0].Value) != "b" {
			t.Fatalf("woken read = %+v, want the one new message", msgs)
		}
		if time.Since(start) > 5*time.Second {
			t.Errorf("read woke after %v, want at once", time.Since(start))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("blocked read did not wake on publish")
	}

	// An empty topic blocks too, then answers [] at the wait.
	t0 := time.Now()
	msgs, resp := readStream(t, ta.HTTPAddr(), "empty", 0, "&wait=300ms")
	if resp.StatusCode != 200 || len(msgs) != 0 || time.Since(t0) < 300*time.Millisecond {
		t.Errorf("read of an empty topic = %d %+v after %v, want 200 [] after the 300ms wait", resp.StatusCode, msgs, time.Since(t0))
	}
}

// TestStreamRetentionAndLimits: a topic keeps only its newest
// max_messages; bad parameters get 400 and oversized messages 413.
func TestStreamRetentionAndLimits(t *testing.T) {
	t.Parallel()
	ta := testutil.StartAgent(t, "", func(c *config.Config) { c.StreamMaxMessages = 3 })
	for i := 0; i < 5; i++ {
		publish(t, ta.HTTPAddr(), "small", strconv.Itoa(i))
	}
	publish(t, ta.HTTPAddr(), "other", "x") // topics are trimmed separately
	msgs, _ := readStream(t, ta.HTTPAddr(), "small", 0, "")
	if len(msgs) != 3 || string(msgs[0].Value) != "2" || string(msgs[2].Value) != "4" {
		t.Fatalf("after 5 publishes with max_messages 3, topic = %+v, want the newest 3 (2, 3, 4)", msgs)
	}
	if other, _ := readStream(t, ta.HTTPAddr(), "other", 0, ""); len(other) != 1 {
		t.Errorf("other topic = %+v, want its one message", other)
	}

	if _, resp := readStream(t, ta.HTTPAddr(), "small", 0, "&limit=0"); resp.StatusCode != 400 {
		t.Errorf("limit=0 = %d, want 400", resp.StatusCode)
	}
	resp, err := http.Get("http://" + ta.HTTPAddr() + "/v1/stream/small?after=abc")
	if err != nil || resp.StatusCode != 400 {
		t.Errorf("after=abc = %v %v, want 400", resp, err)
	}
	req, _ := http.NewRequest("PUT", "http://"+ta.HTTPAddr()+"/v1/stream/small", bytes.NewReader(make([]byte, api.MaxKVValueSize+1)))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 413 {
		t.Errorf("oversized publish = %v %v, want 413", resp, err)
	}
}

// TestStreamSurvivesRestart: messages are in the Raft log, so a durable
// agent restarted on its data dir still serves them.
func TestStreamSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := testutil.StartAgent(t, dir, nil)
	var last uint64
	for i := 0; i < 10; i++ {
		last = publish(t, first.HTTPAddr(), "durable", strconv.Itoa(i))
	}
	first.Stop(t)
	second := restartAgent(t, dir, nil)
	msgs, _ := readStream(t, second.HTTPAddr(), "durable", 0, "")
	if len(msgs) != 10 || msgs[9].Index != last {
		t.Fatalf("after restart, topic = %d messages (last %v), want 10 ending at %d", len(msgs), msgs, last)
	}
}

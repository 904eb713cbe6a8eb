package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Stream is the /v1/stream endpoints: durable topics (Concord's extension).
type Stream struct{ c *Client }

// Stream returns a handle on the /v1/stream endpoints.
func (c *Client) Stream() *Stream { return &Stream{c} }

// Publish appends value to topic and returns the message's index.
func (s *Stream) Publish(topic string, value []byte) (uint64, error) {
	req, err := s.c.newRequest(http.MethodPut, "/v1/stream/"+topic, nil, bytes.NewReader(value))
	if err != nil {
		return 0, err
	}
	resp, err := s.c.do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var out struct{ Index uint64 }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return 0, fmt.Errorf("api: cannot decode publish reply: %w", err)
	}
	return out.Index, nil
}

// Read returns up to limit (0: the server's maximum) messages of topic
// after index after, waiting up to wait for one to arrive.
func (s *Stream) Read(topic string, after uint64, limit int, wait time.Duration) ([]*StreamMessage, error) {
	p := url.Values{"after": {strconv.FormatUint(after, 10)}}
	if limit > 0 {
		p.Set("limit", strconv.Itoa(limit))
	}
	if wait > 0 {
		p.Set("wait", strconv.FormatInt(wait.Milliseconds(), 10)+"ms")
	}
	var out []*StreamMessage
	if _, err := s.c.read("/v1/stream/"+topic, p, &out); err != nil {
		return nil, err
	}
	return out, nil
}

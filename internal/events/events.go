// Package events keeps the user events an agent has received: the last
// 256, newest last, with a blocking list keyed by the newest event's ID,
// and decides whether an event's node, service and tag filters select
// this agent. Spreading events is gossip's job; this package only encodes
// them for it.
package events

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/concordhq/concord/api"
)

// Keep is how many events an agent remembers, as Consul.
const Keep = 256

// Buffer is the ring of received events.
type Buffer struct {
	mu      sync.Mutex
	events  []*api.UserEvent // oldest first; guarded by mu
	changed chan struct{}    // closed and replaced on each new event; guarded by mu
}

// NewBuffer returns an empty buffer.
func NewBuffer() *Buffer { return &Buffer{changed: make(chan struct{})} }

// Add records a received event.
func (b *Buffer) Add(e *api.UserEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events = append(b.events, e)
	if len(b.events) > Keep {
		b.events = append([]*api.UserEvent(nil), b.events[len(b.events)-Keep:]...)
	}
	close(b.changed)
	b.changed = make(chan struct{})
}

// List returns the events named name ("" for all), oldest first, and the
// index of the newest: IDToIndex of its ID (1 when there is none), as
// Consul's clients expect.
// With minIndex > 0 it waits until that index differs or ctx ends.
func (b *Buffer) List(ctx context.Context, name string, minIndex uint64) ([]*api.UserEvent, uint64) {
	for {
		b.mu.Lock()
		var out []*api.UserEvent
		for _, e := range b.events {
			if name == "" || e.Name == name {
				out = append(out, e)
			}
		}
		changed := b.changed
		b.mu.Unlock()
		idx := uint64(1) // never 0, so that clients block on an empty list
		if len(out) > 0 {
			idx = max(IDToIndex(out[len(out)-1].ID), 1)
		}
		if minIndex == 0 || idx != minIndex {
			return out, idx
		}
		select {
		case <-ctx.Done():
			return out, idx
		case <-changed:
		}
	}
}

// IDToIndex folds an event's UUID into the index /v1/event/list reports:
// the first 8 bytes XOR the last 8, so that any new event changes it.
func IDToIndex(id string) uint64 {
	raw, err := hex.DecodeString(strings.ReplaceAll(id, "-", ""))
	if err != nil || len(raw) != 16 {
		return 0
	}
	var hi, lo uint64
	for i := 0; i < 8; i++ {
		hi = hi<<8 | uint64(raw[i])
		lo = lo<<8 | uint64(raw[8+i])
	}
	return hi ^ lo
}

// Validate checks an event before it is fired.
func Validate(e *api.UserEvent) error {
	if e.Name == "" {
		return api.BadRequestError{Reason: "User event name is required"}
	}
	if len(e.Payload) > api.MaxEventPayload {
		return api.TooLargeError{Reason: fmt.Sprintf("Payload of %d bytes is over the %d-byte limit for user events", len(e.Payload), api.MaxEventPayload)}
	}
	if e.TagFilter != "" && e.ServiceFilter == "" {
		return api.BadRequestError{Reason: "Cannot provide tag filter without service filter"}
	}
	for _, f := range []string{e.NodeFilter, e.ServiceFilter, e.TagFilter} {
		if _, err := regexp.Compile(f); err != nil {
			return api.BadRequestError{Reason: fmt.Sprintf("Invalid filter %q: %v", f, err)}
		}
	}
	return nil
}

// Encode and Decode turn an event into a gossip payload and back.
func Encode(e *api.UserEvent) ([]byte, error) { return json.Marshal(e) }

func Decode(data []byte) (*api.UserEvent, error) {
	var e api.UserEvent
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("cannot decode user event: %w", err)
	}
	return &e, nil
}

// Service is a local service, for matching an event's filters.
type Service struct {
	Name string
	Tags []string
}

// Selects reports whether e is meant for this agent: its node filter
// matches node, and its service (and tag) filters match a local service.
func Selects(e *api.UserEvent, node string, services []Service) bool {
	if e.NodeFilter != "" && !matches(e.NodeFilter, node) {
		return false
	}
	if e.ServiceFilter == "" {
		return true
	}
	for _, s := range services {
		if !matches(e.ServiceFilter, s.Name) {
			continue
		}
		if e.TagFilter == "" {
			return true
		}
		for _, t := range s.Tags {
			if matches(e.TagFilter, t) {
				return true
			}
		}
	}
	return false
}

func matches(pattern, s string) bool {
	re, err := regexp.Compile(pattern)
	return err == nil && re.MatchString(s)
}

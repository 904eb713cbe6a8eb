package api

import "time"

// StreamMessage is one message of a durable stream (Concord's extension,
// /v1/stream): Index is the Raft index that appended it, so it orders
// messages and lets a consumer resume after the last one it saw.
type StreamMessage struct {
	Topic string
	Index uint64
	Time  time.Time
	Value []byte
}

// Stream retention defaults: the oldest messages of a topic are dropped
// beyond this many, or once older than this.
const (
	DefaultStreamMaxMessages = 10000
	DefaultStreamMaxAge      = 24 * time.Hour
	// MaxStreamRead is the most messages one read returns.
	MaxStreamRead = 1000
)

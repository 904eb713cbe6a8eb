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

// MaxStreamRead is the most messages one stream read returns.
const MaxStreamRead = 1000

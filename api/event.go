package api

// UserEvent is a user event as /v1/event/fire returns it and
// /v1/event/list lists it.
type UserEvent struct {
	ID            string
	Name          string
	Payload       []byte
	NodeFilter    string
	ServiceFilter string
	TagFilter     string
	Version       int
	LTime         uint64
}

// MaxEventPayload bounds a user event's payload. Consul's whole message
// must fit in 512 bytes; Concord's gossip messages allow more.
const MaxEventPayload = 4 << 10

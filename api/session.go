package api

import "time"

// SessionEntry is a session as the /v1/session endpoints return it.
// LockDelay is integer nanoseconds on the wire; TTL a Go duration string.
type SessionEntry struct {
	ID            string
	Name          string
	Node          string
	LockDelay     time.Duration
	Behavior      string
	TTL           string
	NodeChecks    []string
	ServiceChecks []ServiceCheck
	CreateIndex   uint64
	ModifyIndex   uint64
}

// Clone returns a deep copy of s.
func (s *SessionEntry) Clone() *SessionEntry {
	c := *s
	c.NodeChecks = append([]string(nil), s.NodeChecks...)
	c.ServiceChecks = append([]ServiceCheck(nil), s.ServiceChecks...)
	return &c
}

// CheckIDs lists every check the session is bound to.
func (s *SessionEntry) CheckIDs() []string {
	ids := append([]string(nil), s.NodeChecks...)
	for _, sc := range s.ServiceChecks {
		ids = append(ids, sc.ID)
	}
	return ids
}

// ServiceCheck names a service-level check a session is bound to.
type ServiceCheck struct {
	ID        string
	Namespace string
}

// Session behaviors: what happens to the keys a session holds when it is
// invalidated.
const (
	SessionBehaviorRelease = "release" // keys stay, unlocked
	SessionBehaviorDelete  = "delete"  // keys are deleted
)

// Session limits and defaults (Consul's).
const (
	DefaultLockDelay = 15 * time.Second
	MaxLockDelay     = 60 * time.Second
	MaxSessionTTL    = 24 * time.Hour
)

// SerfCheckID is the node's gossip health check, which sessions are bound
// to by default.
const SerfCheckID = "serfHealth"

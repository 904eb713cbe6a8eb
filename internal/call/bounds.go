package call

import (
	"errors"
	"time"
)

// Blocking query bounds (Consul's): a blocking read waits DefaultQueryTime
// when ?wait is unset, and MaxQueryTime at most. Servers apply them to
// calls, and the agent to /v1/event/list, which it answers itself.
const (
	DefaultQueryTime = 5 * time.Minute
	MaxQueryTime     = 10 * time.Minute
)

// ErrNotLeader is returned by a server asked for a leader-only operation
// while it is not the leader (HTTP 500, Consul's text). It crosses the
// wire with its kind (package rpc), so a forwarding server sees it too.
var ErrNotLeader = errors.New("node is not the leader")

package api

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// AutopilotConfiguration is /v1/operator/autopilot/configuration: how the
// leader looks after the servers. It is replicated through Raft, so every
// server enforces the same settings once it leads.
type AutopilotConfiguration struct {
	// CleanupDeadServers lets the leader remove servers that failed in
	// gossip from the Raft configuration.
	CleanupDeadServers bool
	// LastContactThreshold is how long a follower may go without hearing
	// from the leader and still count as healthy.
	LastContactThreshold *ReadableDuration
	// MaxTrailingLogs is how many entries a server may lag the leader by
	// and still count as healthy.
	MaxTrailingLogs uint64
	// MinQuorum is the fewest voters dead-server cleanup leaves.
	MinQuorum uint
	// ServerStabilizationTime is how long a new server must be healthy
	// before it becomes a voter.
	ServerStabilizationTime *ReadableDuration

	// Enterprise settings, kept as given and not acted on.
	RedundancyZoneTag       string
	DisableUpgradeMigration bool
	UpgradeVersionTag       string

	CreateIndex uint64
	ModifyIndex uint64
}

// DefaultAutopilotConfiguration is Consul's default autopilot
// configuration.
func DefaultAutopilotConfiguration() AutopilotConfiguration {
	return AutopilotConfiguration{
		CleanupDeadServers:      true,
		LastContactThreshold:    NewReadableDuration(200 * time.Millisecond),
		MaxTrailingLogs:         250,
		ServerStabilizationTime: NewReadableDuration(10 * time.Second),
	}
}

// ReadableDuration is a duration written in JSON as Go's duration text
// ("200ms"); a number is read as nanoseconds.
type ReadableDuration time.Duration

// NewReadableDuration returns a pointer to d as a ReadableDuration.
func NewReadableDuration(d time.Duration) *ReadableDuration {
	r := ReadableDuration(d)
	return &r
}

// Duration is d as a time.Duration; 0 for nil.
func (d *ReadableDuration) Duration() time.Duration {
	if d == nil {
		return 0
	}
	return time.Duration(*d)
}

// MarshalJSON writes d as a duration string.
func (d ReadableDuration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string or a number of nanoseconds.
func (d *ReadableDuration) UnmarshalJSON(raw []byte) error {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		*d = ReadableDuration(v)
		return nil
	}
	v, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return fmt.Errorf("duration must be a string such as \"10s\" or a number of nanoseconds: %s", raw)
	}
	*d = ReadableDuration(time.Duration(v))
	return nil
}

// OperatorHealthReply is /v1/operator/autopilot/health.
type OperatorHealthReply struct {
	// Healthy is whether every server is healthy.
	Healthy bool
	// FailureTolerance is how many voters may fail with the rest still a
	// quorum.
	FailureTolerance int
	Servers          []ServerHealth
}

// ServerHealth is one server's health as the leader sees it.
type ServerHealth struct {
	ID          string
	Name        string
	Address     string
	SerfStatus  string
	Version     string
	Leader      bool
	LastContact *ReadableDuration
	LastTerm    uint64
	LastIndex   uint64
	Healthy     bool
	Voter       bool
	StableSince time.Time // when Healthy last changed
}

// AutopilotState is /v1/operator/autopilot/state: the leader's view of
// the servers, by ID.
type AutopilotState struct {
	Healthy                    bool
	FailureTolerance           int
	OptimisticFailureTolerance int // as FailureTolerance, were every voter healthy
	Servers                    map[string]AutopilotServer
	Leader                     string
	Voters                     []string
}

// AutopilotServer is one server of AutopilotState.
type AutopilotServer struct {
	ID          string
	Name        string
	Address     string
	NodeStatus  string
	Version     string
	LastContact *ReadableDuration
	LastTerm    uint64
	LastIndex   uint64
	Healthy     bool
	StableSince time.Time
	ReadReplica bool
	Status      string // "leader", "voter" or "non-voter"
	Meta        map[string]string
	NodeType    string // "voter"
}

// TransferLeaderResponse is the reply of
// /v1/operator/raft/transfer-leader.
type TransferLeaderResponse struct {
	Success bool
}

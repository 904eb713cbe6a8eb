package call

import (
	"time"

	"github.com/concordhq/concord/api"
)

// Autopilot, Raft leadership and usage: the operator calls.

type (
	AutopilotGetArgs struct{ Query }
	// AutopilotSetArgs stores Config; with CAS, only if the stored
	// configuration's ModifyIndex is Config.ModifyIndex.
	AutopilotSetArgs struct {
		Config *api.AutopilotConfiguration
		CAS    bool
	}
	AutopilotHealthArgs struct{ Query }
	// TransferLeaderArgs names the server to hand leadership to by Raft
	// ID; "" lets Raft pick the most up-to-date voter.
	TransferLeaderArgs struct{ ID string }
	UsageArgs          struct{ Query }
	ServerStatsArgs    struct{}
)

// ServerStats is one server's Raft progress, which the leader gathers
// from every server to judge its health.
type ServerStats struct {
	// LastContact is how long ago this server last heard from the leader
	// (0 on the leader; -1 if never).
	LastContact time.Duration
	LastTerm    uint64 // term of the last log entry
	LastIndex   uint64 // index of the last log entry
}

var (
	AutopilotGetConfiguration = declare[AutopilotGetArgs, Result[*api.AutopilotConfiguration]]("AutopilotGetConfiguration", Read,
		func(*AutopilotGetArgs) []Resource { return one(operator, "", read) })
	AutopilotSetConfiguration = declare[AutopilotSetArgs, bool]("AutopilotSetConfiguration", Write,
		func(*AutopilotSetArgs) []Resource { return one(operator, "", write) })
	// AutopilotServerHealth and AutopilotState are known to the leader
	// only: it alone gathers every server's stats.
	AutopilotServerHealth = declare[AutopilotHealthArgs, Result[*api.OperatorHealthReply]]("AutopilotServerHealth", Read,
		func(*AutopilotHealthArgs) []Resource { return one(operator, "", read) })
	AutopilotState = declare[AutopilotHealthArgs, Result[*api.AutopilotState]]("AutopilotState", Read,
		func(*AutopilotHealthArgs) []Resource { return one(operator, "", read) })
	RaftTransferLeader = declare[TransferLeaderArgs, bool]("RaftTransferLeader", Write,
		func(*TransferLeaderArgs) []Resource { return one(operator, "", write) })
	OperatorUsage = declare[UsageArgs, Result[*api.Usage]]("OperatorUsage", Read,
		func(*UsageArgs) []Resource { return one(operator, "", read) })
	// RaftServerStats is asked of each server by the leader, over RPC,
	// without a token: like the leader and peers, a server's Raft progress
	// is public status, so autopilot works under a default-deny policy.
	RaftServerStats = declare[ServerStatsArgs, ServerStats]("RaftServerStats", Local,
		func(*ServerStatsArgs) []Resource { return one(status, "", read) })
)

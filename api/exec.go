package api

import "time"

// Remote exec (`concord exec`) works through the KV store and one user
// event, with Consul's layout, so either side may be Consul's:
//
//  1. The caller creates a session and writes a RemoteExecSpec, as JSON,
//     to <prefix>/<session>/job, acquired by the session.
//  2. It fires the user event RemoteExecEvent with a RemoteExecPayload,
//     filtered by node, service and tag like any event.
//  3. Each agent the event selects writes <prefix>/<session>/<node>/ack,
//     then the command's output in chunks under .../<node>/out/ (five hex
//     digits, from 00000; an empty chunk is a heartbeat), then
//     .../<node>/exit holding the exit code in decimal. All are acquired
//     by the session, so destroying it (Behavior delete) removes them.
const (
	RemoteExecEvent  = "_rexec" // the user event's name
	RemoteExecPrefix = "_rexec" // the default KV prefix
)

// RemoteExecPayload is the payload of the RemoteExecEvent: where the job is.
type RemoteExecPayload struct {
	Prefix  string
	Session string
}

// RemoteExecSpec is the job: a shell command line (Command), or a command
// and its arguments run without a shell (Args), or a script (Script), and
// the caller's quiet wait, which paces the agents' heartbeats.
type RemoteExecSpec struct {
	Command string
	Args    []string
	Script  []byte
	Wait    time.Duration
}

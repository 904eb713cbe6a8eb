package call

import "github.com/concordhq/concord/api"

type (
	// KeyringArgs is a gossip keyring operation: Op ("list", "install",
	// "use" or "remove", as package gossip names them) with
	// Key (base64; unused by a list), each member's answer relayed by
	// Relay others (0–5).
	KeyringArgs struct {
		Op        string
		Key       string
		Relay     uint8
		LocalOnly bool // this datacenter's LAN pool only (a list)
		// Forwarded marks the part one datacenter runs: its LAN pool
		// only, for the server that runs the whole operation.
		Forwarded bool
	}
	// KeyringResult is one response per pool, the WAN pool's first, then
	// each datacenter's LAN pool, with the failures, one per line, as
	// Consul words them ("dc1 (LAN) error: ...", then each member's
	// message).
	KeyringResult struct {
		Responses []*api.KeyringResponse
		Errors    []string
	}
)

// KeyringOperation runs a keyring operation the way Consul does, from a
// server, whichever agent was asked: the answering server runs it on the
// WAN pool (unless LocalOnly), then has a server of every datacenter run
// it on its LAN pool (this datacenter's alone with LocalOnly).
var KeyringOperation = declare[KeyringArgs, KeyringResult]("KeyringOperation", Local,
	func(a *KeyringArgs) []Resource {
		if a.Op == "list" {
			return one("keyring", "", read)
		}
		return one("keyring", "", write)
	})

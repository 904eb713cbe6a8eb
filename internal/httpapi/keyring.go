package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/concordhq/concord/api"
)

// KeyringBackend runs gossip keyring operations from this agent.
type KeyringBackend interface {
	// Keyring runs op ("list", "install", "use" or "remove") with key
	// (base64; unused by list) across the gossip pools, each member's
	// answer relayed by relay others (0–5); localOnly keeps a list to this
	// datacenter's pools (no WAN). The responses are returned with the
	// error too, when some members failed.
	Keyring(ctx context.Context, op, key string, relay uint8, localOnly bool) ([]*api.KeyringResponse, error)
}

// keyringRoutes are the keyring endpoints. Access is decided on the agent
// (agentGuards: keyring read or write).
var keyringRoutes = []route{
	{"GET", "/v1/operator/keyring", (*Handler).keyringList},
	{"POST", "/v1/operator/keyring", keyringChange("install")},
	{"PUT", "/v1/operator/keyring", keyringChange("use")},
	{"DELETE", "/v1/operator/keyring", keyringChange("remove")},
}

// maxKeyringBody bounds a keyring request body.
const maxKeyringBody = 4 << 10

// keyringList serves GET /v1/operator/keyring[?local-only][&relay-factor=]:
// one response per gossip pool, the WAN pool's and every datacenter's LAN
// pool's (?local-only: this datacenter's LAN pool alone), with how many
// members hold each key.
func (h *Handler) keyringList(_ http.ResponseWriter, r *http.Request) (any, error) {
	relay, localOnly, err := keyringParams(r)
	if err != nil {
		return nil, err
	}
	out, err := h.backend.Keyring(r.Context(), "list", "", relay, localOnly)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// keyringChange serves the keyring's POST (install), PUT (use) and
// DELETE (remove), each with a body {"Key": "<base64>"}.
func keyringChange(op string) handlerFunc {
	return func(h *Handler, _ http.ResponseWriter, r *http.Request) (any, error) {
		relay, localOnly, err := keyringParams(r)
		if err != nil {
			return nil, err
		}
		if localOnly {
			return nil, badRequest("Invalid use of local-only: local-only can only be set for list requests")
		}
		var req api.KeyringRequest
		if err := decodeBody(r, maxKeyringBody, &req); err != nil {
			return nil, err
		}
		_, err = h.backend.Keyring(r.Context(), op, req.Key, relay, false)
		return empty, err
	}
}

// keyringParams reads ?relay-factor (0–5) and ?local-only.
func keyringParams(r *http.Request) (uint8, bool, error) {
	q := r.URL.Query()
	var relay uint8
	if v := q.Get("relay-factor"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, false, badRequest(fmt.Sprintf("Error parsing relay factor: %v", err))
		}
		if n < 0 || n > 5 {
			return 0, false, badRequest("Invalid relay-factor: Relay factor must be in range: [0, 5]")
		}
		relay = uint8(n)
	}
	localOnly := false
	if v := q.Get("local-only"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return 0, false, badRequest(fmt.Sprintf("Error parsing local-only: %v", err))
		}
		localOnly = b
	}
	return relay, localOnly, nil
}

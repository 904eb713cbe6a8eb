package cli_test

// The operator commands against a real dev agent that encrypts gossip:
// keygen, keyring, operator autopilot and operator raft transfer-leader,
// run as `concord` would be.

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/concordhq/concord/internal/testutil"
)

func TestOperatorCommands(t *testing.T) {
	t.Parallel()
	first := concord(t, "keygen")
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(first.stdout))
	if first.code != 0 || err != nil || len(key) != 32 {
		t.Fatalf("concord keygen = exit %d, %q; want a base64 32-byte key", first.code, first.stdout)
	}
	second := concord(t, "keygen")
	if second.stdout == first.stdout {
		t.Fatalf("concord keygen printed the same key twice: %q", first.stdout)
	}
	oldKey, newKey := strings.TrimSpace(first.stdout), strings.TrimSpace(second.stdout)

	httpPort := testutil.FreePort(t)
	a := startAgent(t, httpPort, "-dev", "-node=cli", "-log-level=warn", "-encrypt="+oldKey,
		"-http-port="+strconv.Itoa(httpPort), "-server-port="+strconv.Itoa(testutil.FreePort(t)))
	addr := "-http-addr=" + a.Addr

	t.Run("keyring", func(t *testing.T) {
		res := concord(t, "keyring", addr)
		if res.code != 1 || !strings.HasPrefix(res.stderr, "Usage: concord keyring") || !strings.HasSuffix(res.stderr, "At least one action is required\n") {
			t.Errorf("keyring without an action = exit %d, stderr %q; want 1, the help and the reason", res.code, res.stderr)
		}
		concord(t, "keyring", "-list", "-use="+newKey, addr).want(t, "keyring -list -use", 1, "", "Only a single action is allowed\n")
		concord(t, "keyring", "-install="+newKey, addr).want(t, "keyring -install", 0, "==> Installing new gossip encryption key...\n", "")
		concord(t, "keyring", "-list", addr).want(t, "keyring -list", 0,
			"==> Gathering installed encryption keys...\n\nWAN:\n"+sortedKeyLines(oldKey, newKey, "1/1")+
				"\ndc1 (LAN):\n"+sortedKeyLines(oldKey, newKey, "1/1"), "")
		concord(t, "keyring", "-use="+newKey, addr).want(t, "keyring -use", 0, "==> Changing primary gossip encryption key...\n", "")
		res = concord(t, "keyring", "-remove="+newKey, addr)
		if res.code != 1 || !strings.Contains(res.stderr, "error: ") || !strings.Contains(res.stderr, "removing the primary key is not allowed") {
			t.Errorf("keyring -remove=<primary> = exit %d, stderr %q; want 1 and the refusal", res.code, res.stderr)
		}
		concord(t, "keyring", "-remove="+oldKey, addr).want(t, "keyring -remove", 0, "==> Removing gossip encryption key...\n", "")
		concord(t, "keyring", "-list-primary", addr).want(t, "keyring -list-primary", 0,
			"==> Gathering primary encryption keys...\n\nWAN:\n  "+newKey+" [1/1]\n\ndc1 (LAN):\n  "+newKey+" [1/1]\n", "")
		concord(t, "keyring", "-list", "-local-only", addr).want(t, "keyring -list -local-only", 0,
			"==> Gathering installed encryption keys...\n\ndc1 (LAN):\n  "+newKey+" [1/1]\n", "")
	})

	t.Run("autopilot", func(t *testing.T) {
		res := concord(t, "operator", "autopilot", "get-config", addr)
		if res.code != 0 || !strings.HasPrefix(res.stdout, "CleanupDeadServers = true\nLastContactThreshold = 200ms\n"+
			"MaxTrailingLogs = 250\nMinQuorum = 0\nServerStabilizationTime = 10s\n") {
			t.Fatalf("operator autopilot get-config = exit %d, %q, %q; want Consul's defaults", res.code, res.stdout, res.stderr)
		}
		concord(t, "operator", "autopilot", "set-config", "-cleanup-dead-servers=false", "-max-trailing-logs=99",
			"-server-stabilization-time=3s", addr).want(t, "operator autopilot set-config", 0, "Configuration updated!\n", "")
		res = concord(t, "operator", "autopilot", "get-config", addr)
		if !strings.Contains(res.stdout, "CleanupDeadServers = false\nLastContactThreshold = 200ms\nMaxTrailingLogs = 99\n") ||
			!strings.Contains(res.stdout, "ServerStabilizationTime = 3s\n") {
			t.Errorf("get-config after set-config = %q; want the three settings changed, the others kept", res.stdout)
		}
		concord(t, "operator", "autopilot", "set-config", "-max-trailing-logs=lots", addr).want(t, "set-config bad number", 1, "",
			"Error parsing -max-trailing-logs: \"lots\" is not a non-negative number\n")

		res = concord(t, "operator", "autopilot", "state", addr)
		if res.code != 0 || !strings.Contains(res.stdout, "Healthy:                      true\n") ||
			!strings.Contains(res.stdout, "      Name:            cli\n") || !strings.Contains(res.stdout, "      Status:          leader\n") {
			t.Errorf("operator autopilot state = exit %d, %q, %q", res.code, res.stdout, res.stderr)
		}
		res = concord(t, "operator", "autopilot", "state", "-format=json", addr)
		var st struct {
			Healthy bool
			Voters  []string
		}
		if err := json.Unmarshal([]byte(res.stdout), &st); err != nil || !st.Healthy || len(st.Voters) != 1 {
			t.Errorf("operator autopilot state -format=json = %q (%v)", res.stdout, err)
		}
	})

	t.Run("transfer-leader", func(t *testing.T) {
		res := concord(t, "operator", "raft", "transfer-leader", "-id=nobody", addr)
		if res.code != 1 || !strings.HasPrefix(res.stderr, "Error transferring leadership: ") || !strings.Contains(res.stderr, "404") {
			t.Errorf("operator raft transfer-leader -id=nobody = exit %d, stderr %q; want 1 and a 404", res.code, res.stderr)
		}
	})
}

// sortedKeyLines are the list lines of two keys held by count agents, in
// the order the command prints them.
func sortedKeyLines(a, b, count string) string {
	if b < a {
		a, b = b, a
	}
	return "  " + a + " [" + count + "]\n  " + b + " [" + count + "]\n"
}

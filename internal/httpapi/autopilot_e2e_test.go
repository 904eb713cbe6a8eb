package httpapi_test

// End-to-end tests of the operator endpoints on one in-process server:
// the autopilot configuration, health and state, leadership transfer,
// usage and the gossip keyring, through the official Consul client. The
// multi-server behaviour (stabilization, transfer to a follower, rotation
// across agents) is in test/cluster/operator_test.go.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	consulapi "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
)

// Two gossip keys (16 bytes each, base64) for the keyring tests.
const (
	oldGossipKey = "d8wu8CSUrqgtjVsvcBPmhQ=="
	newGossipKey = "qxycTi/SsePj/TZzCBmNXw=="
)

// TestAutopilotOnOneServer shares one encrypted dev server whose autopilot
// block differs from Consul's defaults in two settings.
func TestAutopilotOnOneServer(t *testing.T) {
	t.Parallel()
	ta := testutil.StartAgent(t, "", devConfig(func(c *config.Config) {
		c.NodeName = "solo"
		c.Autopilot.MaxTrailingLogs = 77
		c.Autopilot.ServerStabilizationTime = 3 * time.Second
		c.EncryptKey = oldGossipKey
	}))
	c := newConsulClient(t, ta.HTTPAddr(), nil)
	op := c.Operator()

	t.Run("the first leader stores the agent's autopilot block", func(t *testing.T) {
		var conf *consulapi.AutopilotConfiguration
		testutil.Run(t, 10*time.Second, func(r *testutil.R) {
			var err error
			if conf, err = op.AutopilotGetConfiguration(nil); err != nil {
				r.Fatalf("AutopilotGetConfiguration: %v", err)
			}
		})
		if !conf.CleanupDeadServers || conf.LastContactThreshold.Duration() != 200*time.Millisecond ||
			conf.MaxTrailingLogs != 77 || conf.MinQuorum != 0 || conf.ServerStabilizationTime.Duration() != 3*time.Second ||
			conf.ModifyIndex == 0 || conf.CreateIndex != conf.ModifyIndex {
			t.Fatalf("AutopilotGetConfiguration() = %+v; want Consul's defaults but MaxTrailingLogs 77 and ServerStabilizationTime 3s, with indexes", conf)
		}
	})

	t.Run("cas", func(t *testing.T) {
		conf, err := op.AutopilotGetConfiguration(nil)
		if err != nil {
			t.Fatal(err)
		}
		stale := *conf
		stale.ModifyIndex--
		stale.CleanupDeadServers = false
		if ok, err := op.AutopilotCASConfiguration(&stale, nil); err != nil || ok {
			t.Fatalf("AutopilotCASConfiguration(ModifyIndex %d, current %d) = %v, %v; want false", stale.ModifyIndex, conf.ModifyIndex, ok, err)
		}
		next := *conf
		next.CleanupDeadServers = false
		next.MinQuorum = 3
		if ok, err := op.AutopilotCASConfiguration(&next, nil); err != nil || !ok {
			t.Fatalf("AutopilotCASConfiguration(current ModifyIndex) = %v, %v; want true", ok, err)
		}
		got, err := op.AutopilotGetConfiguration(nil)
		if err != nil || got.CleanupDeadServers || got.MinQuorum != 3 || got.ModifyIndex <= conf.ModifyIndex || got.CreateIndex != conf.CreateIndex {
			t.Fatalf("after CAS: %+v, %v; want cleanup off, min quorum 3, a new ModifyIndex, the same CreateIndex", got, err)
		}
		// A plain PUT replaces the whole configuration, as in Consul.
		if err := op.AutopilotSetConfiguration(&consulapi.AutopilotConfiguration{CleanupDeadServers: true,
			LastContactThreshold: consulapi.NewReadableDuration(time.Second), MaxTrailingLogs: 250,
			ServerStabilizationTime: consulapi.NewReadableDuration(10 * time.Second)}, nil); err != nil {
			t.Fatalf("AutopilotSetConfiguration: %v", err)
		}
		got, err = op.AutopilotGetConfiguration(nil)
		if err != nil || !got.CleanupDeadServers || got.LastContactThreshold.Duration() != time.Second || got.MinQuorum != 0 {
			t.Fatalf("after PUT: %+v, %v", got, err)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		for _, tc := range []struct {
			query, body, want string
		}{
			{"", `{"LastContactThreshold": "soon"}`, "Error parsing autopilot config"},
			{"", `{`, "Error parsing autopilot config"},
			{"?cas=x", `{}`, "Error parsing cas value"},
		} {
			resp := doRaw(t, ta.HTTPAddr(), "PUT", "/v1/operator/autopilot/configuration"+tc.query, strings.NewReader(tc.body))
			if resp.Code != http.StatusBadRequest || !strings.Contains(string(resp.Body), tc.want) {
				t.Errorf("PUT %s %s = %d %q; want 400 %q", tc.query, tc.body, resp.Code, resp.Body, tc.want)
			}
		}
	})

	t.Run("health and state", func(t *testing.T) {
		self, err := c.Agent().Self()
		if err != nil {
			t.Fatal(err)
		}
		id := self["Config"]["NodeID"].(string)
		testutil.Run(t, 10*time.Second, func(r *testutil.R) {
			h, err := op.AutopilotServerHealth(nil)
			if err != nil {
				r.Fatalf("AutopilotServerHealth: %v", err)
			}
			if !h.Healthy || h.FailureTolerance != 0 || len(h.Servers) != 1 {
				r.Fatalf("health = %+v; want healthy, tolerance 0, one server", h)
			}
			s := h.Servers[0]
			if s.ID != id || s.Name != "solo" || s.SerfStatus != "alive" || !s.Leader || !s.Voter || !s.Healthy ||
				s.LastIndex == 0 || s.LastTerm == 0 || s.StableSince.IsZero() || s.Version == "" {
				r.Fatalf("server health = %+v", s)
			}
		})
		st, err := op.AutopilotState(nil)
		if err != nil {
			t.Fatalf("AutopilotState: %v", err)
		}
		srv, ok := st.Servers[id]
		if !st.Healthy || st.Leader != id || len(st.Voters) != 1 || st.Voters[0] != id || !ok ||
			srv.Name != "solo" || srv.Status != consulapi.AutopilotServerLeader || !srv.Healthy || srv.NodeStatus != "alive" {
			t.Fatalf("AutopilotState() = %+v", st)
		}
		info, err := c.Agent().Metrics()
		if err != nil {
			t.Fatalf("Agent().Metrics() = %v", err)
		}
		gauges := map[string]float32{}
		for _, g := range info.Gauges {
			if i := strings.Index(g.Name, "autopilot."); i >= 0 {
				gauges[g.Name[i:]] = g.Value
			}
		}
		// go-metrics' global instance is shared by the agents of this test
		// process, so only the gauges' presence is this agent's doing.
		_, healthy := gauges["autopilot.healthy"]
		_, tolerance := gauges["autopilot.failure_tolerance"]
		if !healthy || !tolerance {
			t.Errorf("autopilot gauges = %v; want autopilot.healthy and autopilot.failure_tolerance", gauges)
		}
	})

	t.Run("transfer-leader with no other server", func(t *testing.T) {
		if _, err := op.RaftLeaderTransfer("", nil); err == nil || !strings.Contains(err.Error(), "500") {
			t.Errorf("RaftLeaderTransfer(\"\") alone = %v; want a 500", err)
		}
		if _, err := op.RaftLeaderTransfer("no-such-id", nil); err == nil || !strings.Contains(err.Error(), "404") {
			t.Errorf("RaftLeaderTransfer(unknown) = %v; want a 404", err)
		}
	})

	t.Run("usage", func(t *testing.T) {
		for _, id := range []string{"redis1", "redis2"} {
			if _, err := c.Catalog().Register(&consulapi.CatalogRegistration{Node: "foobar", Address: "192.168.10.10",
				Service: &consulapi.AgentService{ID: id, Service: "redis", Port: 8000}}, nil); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.KV().Put(&consulapi.KVPair{Key: "usage/k", Value: []byte("v")}, nil); err != nil {
			t.Fatal(err)
		}
		usage, _, err := op.Usage(nil)
		if err != nil {
			t.Fatalf("Usage: %v", err)
		}
		dc := usage.Usage["dc1"]
		if dc.Nodes != 2 || dc.Services != 2 || dc.ServiceInstances != 3 || dc.BillableServiceInstances != 2 ||
			dc.ConnectServiceInstances["connect-proxy"] != 0 || len(dc.ConnectServiceInstances) != 6 {
			t.Fatalf("Usage()[dc1] = %+v; want 2 nodes, services consul and redis, 3 instances, 2 billable", dc)
		}
	})

	t.Run("keyring", func(t *testing.T) {
		if err := op.KeyringInstall(newGossipKey, nil); err != nil {
			t.Fatalf("KeyringInstall: %v", err)
		}
		list := keyring(t, op)
		if list.Keys[oldGossipKey] != 1 || list.Keys[newGossipKey] != 1 || list.PrimaryKeys[oldGossipKey] != 1 ||
			list.NumNodes != 1 || list.WAN || list.Datacenter != "dc1" {
			t.Fatalf("after install: %+v", list)
		}
		if err := op.KeyringUse(newGossipKey, nil); err != nil {
			t.Fatalf("KeyringUse: %v", err)
		}
		err := op.KeyringRemove(newGossipKey, nil)
		if err == nil || !strings.Contains(err.Error(), "removing the primary key is not allowed") {
			t.Fatalf("KeyringRemove(primary) = %v; want Consul's refusal", err)
		}
		if err := op.KeyringRemove(oldGossipKey, nil); err != nil {
			t.Fatalf("KeyringRemove(old): %v", err)
		}
		list = keyring(t, op)
		if len(list.Keys) != 1 || list.Keys[newGossipKey] != 1 || list.PrimaryKeys[newGossipKey] != 1 {
			t.Fatalf("after rotation: %+v; want the new key alone", list)
		}
		for _, tc := range []struct {
			method, query, body string
			code                int
			want                string
		}{
			{"POST", "", `{"Key": "not base64!"}`, 500, "illegal base64"},
			{"POST", "", `{"Key": "c2hvcnQ="}`, 500, "key size must be 16, 24 or 32 bytes"},
			{"POST", "", `{`, 400, "Request decode failed"},
			{"GET", "?relay-factor=9", "", 400, "Invalid relay-factor"},
			{"GET", "?local-only=maybe", "", 400, "Error parsing local-only"},
			{"PUT", "?local-only=true", `{"Key": "` + newGossipKey + `"}`, 400, "local-only can only be set for list requests"},
		} {
			resp := doRaw(t, ta.HTTPAddr(), tc.method, "/v1/operator/keyring"+tc.query, strings.NewReader(tc.body))
			if resp.Code != tc.code || !strings.Contains(string(resp.Body), tc.want) {
				t.Errorf("%s %s %s = %d %q; want %d %q", tc.method, tc.query, tc.body, resp.Code, resp.Body, tc.code, tc.want)
			}
		}
		resp := doRaw(t, ta.HTTPAddr(), "GET", "/v1/operator/keyring?local-only=true", nil)
		var local []*consulapi.KeyringResponse
		if err := json.Unmarshal(resp.Body, &local); err != nil || resp.Code != 200 || len(local) != 1 ||
			local[0].Keys[newGossipKey] != 1 || local[0].NumNodes != 1 {
			t.Fatalf("GET ?local-only = %d %s (%v)", resp.Code, resp.Body, err)
		}
	})
}

// keyring lists the keyring and returns its one (LAN) response.
func keyring(t *testing.T, op *consulapi.Operator) *consulapi.KeyringResponse {
	t.Helper()
	list, err := op.KeyringList(nil)
	if err != nil || len(list) != 2 || !list[0].WAN || list[1].WAN {
		t.Fatalf("KeyringList() = %v, %v; want the WAN response, then the LAN one", list, err)
	}
	// A lone server is the only member of both pools: they hold the same keys.
	if fmt.Sprint(list[0].Keys, list[0].PrimaryKeys) != fmt.Sprint(list[1].Keys, list[1].PrimaryKeys) {
		t.Fatalf("WAN keyring %+v differs from the LAN one %+v", list[0], list[1])
	}
	return list[1]
}

// TestKeyringWithoutEncryption: an agent that does not encrypt gossip has
// no keyring to list or change, and says so (500, as Consul).
func TestKeyringWithoutEncryption(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	if _, err := c.Operator().KeyringList(nil); err == nil || !strings.Contains(err.Error(), "encryption not enabled") {
		t.Errorf("KeyringList() unencrypted = %v; want an error naming it", err)
	}
	resp := doRaw(t, ta.HTTPAddr(), "GET", "/v1/operator/keyring?local-only=true", nil)
	if resp.Code != http.StatusInternalServerError {
		t.Errorf("GET ?local-only unencrypted = %d %q; want 500", resp.Code, resp.Body)
	}
}

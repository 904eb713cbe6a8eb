package httpapi_test

import (
	"net"
	"net/http"
	"strconv"
	"testing"

	consulapi "github.com/hashicorp/consul/api"
)

func TestOperatorRaftConfiguration(t *testing.T) {
	t.Parallel()
	srv, client := startPair(t)
	self, err := newConsulClient(t, srv.HTTPAddr(), nil).Agent().Self()
	if err != nil {
		t.Fatalf("Self: %v", err)
	}
	wantID := self["Config"]["NodeID"]
	wantAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(srv.Config.Ports.Server))

	// The client agent's answer comes from the server over RPC.
	for _, a := range []struct{ name, addr string }{{"server", srv.HTTPAddr()}, {"client agent", client.HTTPAddr()}} {
		for _, stale := range []bool{false, true} {
			c := newConsulClient(t, a.addr, nil)
			conf, err := c.Operator().RaftGetConfiguration(&consulapi.QueryOptions{AllowStale: stale})
			if err != nil {
				t.Fatalf("%s: RaftGetConfiguration(stale=%v): %v", a.name, stale, err)
			}
			if len(conf.Servers) != 1 {
				t.Fatalf("%s: RaftGetConfiguration(stale=%v) = %d servers, want 1", a.name, stale, len(conf.Servers))
			}
			s := conf.Servers[0]
			if s.Node != "srv" || s.ID != wantID || s.Address != wantAddr || !s.Leader || !s.Voter || s.ProtocolVersion != "3" {
				t.Errorf("%s: RaftGetConfiguration(stale=%v).Servers[0] = %+v; want srv, ID %v, address %s, leader, voter, protocol 3",
					a.name, stale, s, wantID, wantAddr)
			}
		}
	}
}

func TestOperatorRaftRemovePeerErrors(t *testing.T) {
	t.Parallel()
	srv, _ := startDevAgent(t)
	for _, tc := range []struct {
		name, query string
		code        int
	}{
		{"neither id nor address", "", http.StatusBadRequest},
		{"both id and address", "?id=x&address=127.0.0.1:1", http.StatusBadRequest},
		{"another datacenter", "?id=x&dc=elsewhere", http.StatusInternalServerError},
	} {
		r := doRaw(t, srv.HTTPAddr(), "DELETE", "/v1/operator/raft/peer"+tc.query, nil)
		wantStatus(t, "DELETE /v1/operator/raft/peer ("+tc.name+")", r, tc.code)
	}
	r := doRaw(t, srv.HTTPAddr(), "GET", "/v1/operator/raft/configuration?stale&consistent", nil)
	wantStatus(t, "GET /v1/operator/raft/configuration?stale&consistent", r, http.StatusBadRequest)
}

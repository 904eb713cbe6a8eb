package cli

import (
	"strings"
	"testing"

	"github.com/concordhq/concord/api"
)

func TestMembersTable(t *testing.T) {
	members := []*api.AgentMember{
		{Name: "web-1", Addr: "10.0.0.9", Port: 8301, Status: 4,
			Tags: map[string]string{"role": "node", "dc": "dc1", "vsn": "2", "build": "1.20.0:concord-0.1.0"}},
		{Name: "s2", Addr: "10.0.0.2", Port: 8301, Status: 1,
			Tags: map[string]string{"role": "consul", "dc": "dc1", "vsn": "2", "build": "1.20.0:concord-0.1.0", "port": "8300"}},
		{Name: "s1", Addr: "10.0.0.1", Port: 8301, Status: 3,
			Tags: map[string]string{"role": "consul", "dc": "dc1", "vsn": "2", "build": "1.20.0:concord-0.1.0", "port": "8300"}},
	}
	sortMembers(members)
	var b strings.Builder
	writeTable(&b, 2, memberRows(members, false))
	want := `Node   Address        Status  Type    Build   Protocol  DC   Partition  Segment
s1     10.0.0.1:8301  left    server  1.20.0  2         dc1  default    <all>
s2     10.0.0.2:8301  alive   server  1.20.0  2         dc1  default    <all>
web-1  10.0.0.9:8301  failed  client  1.20.0  2         dc1  default    <default>
`
	if b.String() != want {
		t.Errorf("members table =\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	writeTable(&b, 2, memberRows(members[2:], true))
	want = `Node   Address        Status  Tags
web-1  10.0.0.9:8301  failed  build=1.20.0:concord-0.1.0,dc=dc1,role=node,vsn=2
`
	if b.String() != want {
		t.Errorf("members -detailed table =\n%s\nwant\n%s", b.String(), want)
	}
}

func TestWriteStats(t *testing.T) {
	var b strings.Builder
	writeStats(&b, map[string]any{
		"raft":  map[string]any{"state": "Leader", "applied_index": "7"},
		"agent": map[string]any{"services": "1", "checks": "0"},
	})
	want := "agent:\n\tchecks = 0\n\tservices = 1\nraft:\n\tapplied_index = 7\n\tstate = Leader\n"
	if b.String() != want {
		t.Errorf("writeStats =\n%q\nwant\n%q", b.String(), want)
	}
}

package cli

import (
	"net/http"
	"strings"
	"testing"
)

// The fake catalog (see newFakeAgent) holds n1 (web-1, web-2, db) and
// worker-two (web).

func TestCatalogDatacenters(t *testing.T) {
	runAgentCases(t, []string{"catalog", "datacenters"}, []agentCase{
		{name: "list", wantOut: "dc1\n"},
		{
			name: "extra argument", args: []string{"x"},
			wantCode: 1, wantErr: "Error! Too many arguments (expected 0, got 1)\n", check: wantNoRequest,
		},
		{
			name: "agent error", setup: func(f *fakeAgent) { f.fail = http.StatusInternalServerError },
			wantCode: 1, wantErr: "Error! Cannot query the agent: Unexpected response code: 500 (fake failure)\n",
		},
	})
}

func TestCatalogNodes(t *testing.T) {
	const table = "" +
		"Node        ID        Address    DC\n" +
		"n1          1b662d97  10.0.0.1   dc1\n" +
		"worker-two  9f00aa11  10.0.0.22  dc1\n"
	const detailed = "" +
		"Node        ID                                    Address    DC   TaggedAddresses            Meta\n" +
		"n1          1b662d97-1111-2222-3333-444455556666  10.0.0.1   dc1  lan=10.0.0.1, wan=1.2.3.4  os=linux, rack=r1\n" +
		"worker-two  9f00aa11-1111-2222-3333-444455556666  10.0.0.22  dc1                             rack=r2\n"
	runAgentCases(t, []string{"catalog", "nodes"}, []agentCase{
		{name: "all", wantOut: table},
		{name: "detailed", args: []string{"-detailed"}, wantOut: detailed},
		{name: "running a service, each node once", args: []string{"-service=web"}, wantOut: table},
		{
			name: "running a service on one node", args: []string{"-service=db"},
			wantOut: "Node  ID        Address   DC\nn1    1b662d97  10.0.0.1  dc1\n",
		},
		{
			name: "node meta", args: []string{"-node-meta=rack=r2"},
			wantOut: "Node        ID        Address    DC\nworker-two  9f00aa11  10.0.0.22  dc1\n",
		},
		{
			name: "node meta, every pair must match", args: []string{"-node-meta=rack=r1", "-node-meta", "os=linux"},
			wantOut: "Node  ID        Address   DC\nn1    1b662d97  10.0.0.1  dc1\n",
		},
		{
			name: "no match", args: []string{"-node-meta=rack=r9"},
			wantErr: "No nodes match the given query - try expanding your search.\n",
		},
		{
			name: "unknown service", args: []string{"-service=nope"},
			wantErr: "No nodes match the given query - try expanding your search.\n",
		},
		{
			name: "stale", args: []string{"-stale"}, wantOut: table,
			check: func(t *testing.T, f *fakeAgent) {
				f.mu.Lock()
				defer f.mu.Unlock()
				if q := f.requests[0].URL.RawQuery; q != "stale=" {
					t.Errorf("catalog nodes -stale sent ?%s, want ?stale=", q)
				}
			},
		},
		{
			name: "bad node meta", args: []string{"-node-meta=rack"},
			wantCode: 1, wantErr: `invalid value "rack" for flag -node-meta: must be key=value...`, check: wantNoRequest,
		},
		{
			name: "agent error", setup: func(f *fakeAgent) { f.fail = http.StatusInternalServerError },
			wantCode: 1, wantErr: "Error! Cannot query the agent: Unexpected response code: 500 (fake failure)\n",
		},
	})
}

func TestCatalogServices(t *testing.T) {
	runAgentCases(t, []string{"catalog", "services"}, []agentCase{
		{name: "names", wantOut: "db\nweb\n"},
		{name: "tags", args: []string{"-tags"}, wantOut: "db\nweb      http,v1,v2\n"},
		{name: "on a node", args: []string{"-node=worker-two"}, wantOut: "web\n"},
		{name: "on a node, with tags", args: []string{"-node=n1", "-tags"}, wantOut: "db\nweb      http,v1,v2\n"},
		{
			name: "unknown node", args: []string{"-node=nope"},
			wantErr: "No services match the given query - try expanding your search.\n",
		},
		{
			name: "agent error", setup: func(f *fakeAgent) { f.fail = http.StatusInternalServerError },
			wantCode: 1, wantErr: "Error! Cannot query the agent: Unexpected response code: 500 (fake failure)\n",
		},
	})
}

func TestWriteTable(t *testing.T) {
	tests := []struct {
		name string
		gap  int
		rows [][]string
		want string
	}{
		{"empty", 2, nil, ""},
		{"aligned", 2, [][]string{{"a", "bb", "c"}, {"ccc", "d", "e"}}, "a    bb  c\nccc  d   e\n"},
		{"no trailing blanks", 6, [][]string{{"x", ""}, {"yy", "t"}}, "x\nyy      t\n"},
		{"wide runes", 1, [][]string{{"é", "1"}, {"ab", "2"}}, "é  1\nab 2\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			writeTable(&b, tt.gap, tt.rows)
			if got := b.String(); got != tt.want {
				t.Errorf("writeTable(%q) = %q, want %q", tt.rows, got, tt.want)
			}
		})
	}
}

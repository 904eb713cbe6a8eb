package cli_test

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/concordhq/concord/internal/testutil"
)

// benchLine matches the one-line report of `concord bench`.
var benchLine = regexp.MustCompile(`^op=(\S+) clients=(\d+)(?: watchers=(\d+))? ops=(\d+) ops/s=(\d+) ` +
	`p50=\S+ms p99=\S+ms p99\.9=\S+ms errors=(\d+)\n$`)

// TestBenchEveryOp runs a few hundred operations of every op against one
// agent and wants each to finish on its own, with no error.
func TestBenchEveryOp(t *testing.T) {
	httpPort, dnsPort := testutil.FreePort(t), testutil.FreePort(t)
	a := startAgent(t, httpPort, "-dev", "-node=bench", "-log-level=warn",
		"-http-port="+strconv.Itoa(httpPort), "-server-port="+strconv.Itoa(testutil.FreePort(t)),
		"-dns-port="+strconv.Itoa(dnsPort))
	dnsAddr := "127.0.0.1:" + strconv.Itoa(dnsPort)
	common := []string{"-count=200", "-clients=4", "-keys=10"}
	tests := []struct {
		name         string
		args         []string
		wantClients  string
		wantWatchers string
	}{
		{"put", common, "4", ""},
		{"get", common, "4", ""},
		{"get-consistent", common, "4", ""},
		{"get-stale", common, "4", ""},
		{"cas", common, "4", ""},
		{"txn", common, "4", ""},
		{"session", common, "4", ""},
		{"lock", common, "4", ""},
		{"register", common, "4", ""},
		{"health", common, "4", ""},
		{"dns-a", common, "4", ""},
		{"dns-srv", common, "4", ""},
		{"load", []string{"-clients=4", "-keys=200"}, "4", ""}, // -count is -keys
		{"watch", []string{"-watchers=20", "-count=200"}, "1", "20"},
		{"watch-service", []string{"-watchers=20", "-count=200"}, "1", "20"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"bench", "-http-addr=" + a.Addr, "-dns-addr=" + dnsAddr, "-op=" + tc.name,
				"-duration=15s"}, tc.args...)
			res := concord(t, args...)
			if res.code != 0 {
				t.Fatalf("concord %s = exit %d, stderr %q", strings.Join(args, " "), res.code, res.stderr)
			}
			m := benchLine.FindStringSubmatch(res.stdout)
			if m == nil {
				t.Fatalf("concord %s printed %q, stderr %q; want one report line", strings.Join(args, " "),
					res.stdout, res.stderr)
			}
			ops, _ := strconv.Atoi(m[4])
			rate, _ := strconv.Atoi(m[5])
			if m[1] != tc.name || m[2] != tc.wantClients || m[3] != tc.wantWatchers || ops != 200 || rate <= 0 ||
				m[6] != "0" {
				t.Errorf("concord %s printed %q (stderr %q); want op=%s clients=%s watchers=%q ops=200, ops/s > 0, "+
					"errors=0", strings.Join(args, " "), res.stdout, res.stderr, tc.name, tc.wantClients, tc.wantWatchers)
			}
		})
	}
	t.Run("load then get", func(t *testing.T) {
		// load writes the keys put and get use: the last one is there.
		if p := getPair(t, a.Addr, "concord-bench/kv/199"); p == nil {
			t.Errorf("GET concord-bench/kv/199 after -op load -keys 200: missing")
		}
	})
}

// TestBenchSeveralAddrs gives -http-addr a comma-separated list (with and
// without http://): the clients use the addresses in turn.
func TestBenchSeveralAddrs(t *testing.T) {
	a := startDevAgent(t)
	res := concord(t, "bench", "-http-addr="+a.Addr+",http://"+a.Addr, "-op=put", "-count=100", "-clients=2")
	m := benchLine.FindStringSubmatch(res.stdout)
	if res.code != 0 || m == nil || m[4] != "100" || m[6] != "0" {
		t.Errorf("concord bench -http-addr A,http://A = exit %d, stdout %q, stderr %q; want 100 ops, no errors",
			res.code, res.stdout, res.stderr)
	}
}

func TestBenchJSON(t *testing.T) {
	a := startDevAgent(t)
	res := concord(t, "bench", "-http-addr="+a.Addr, "-op=put", "-count=50", "-clients=2", "-json")
	if res.code != 0 {
		t.Fatalf("concord bench -json = exit %d, stderr %q", res.code, res.stderr)
	}
	var got struct {
		Op        string  `json:"op"`
		Ops       int64   `json:"ops"`
		Errors    int64   `json:"errors"`
		OpsPerSec float64 `json:"ops_per_s"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &got); err != nil {
		t.Fatalf("concord bench -json printed %q: %v", res.stdout, err)
	}
	if got.Op != "put" || got.Ops != 50 || got.Errors != 0 || got.OpsPerSec <= 0 {
		t.Errorf("concord bench -json = %+v; want op put, 50 ops, no errors, positive ops/s", got)
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-op=nope"},
		{"-op=put", "-clients=0"},
		{"-op=put", "-duration=0s"},
		{"-op=put", "extra"},
		{"-op=put", "-duration=200ms"}, // nothing listens: every operation fails
		{"-op=watch", "-watchers=0"},
		{"-op=dns"}, // now dns-a or dns-srv
		{"-op=put", "-http-addr=127.0.0.1:1,"},
	} {
		res := concord(t, append([]string{"bench", "-http-addr=127.0.0.1:1"}, args...)...)
		if res.code != 1 || res.stderr == "" {
			t.Errorf("concord bench %s = exit %d, stdout %q, stderr %q; want exit 1 and an error on stderr",
				strings.Join(args, " "), res.code, res.stdout, res.stderr)
		}
	}
}

package dig_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
)

// put sends a JSON body to the agent and decodes the reply into out (nil
// to ignore it).
func put(t *testing.T, addr, method, path, body string, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+addr+path, bytes.NewReader([]byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: status %d", method, path, resp.StatusCode)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// TestDigPreparedQuery: dig asks <name>.query.consul and <id>.query.consul
// (A and SRV) of a real agent, which answers with the query's instances
// and its DNS TTL.
func TestDigPreparedQuery(t *testing.T) {
	needDig(t)
	httpPort, dnsPort := testutil.FreePort(t), testutil.FreePort(t)
	p := testutil.StartAgentProcess(t, binary, nil, httpPort, "-dev", "-node=querier", "-log-level=warn",
		"-http-port="+strconv.Itoa(httpPort), "-server-port="+strconv.Itoa(testutil.FreePort(t)),
		"-dns-port="+strconv.Itoa(dnsPort))
	for i, tag := range []string{"blue", "green"} {
		body := fmt.Sprintf(`{"Node":"db-%d","Address":"10.4.0.%d","Service":{"Service":"db","Port":%d,"Tags":[%q]}}`, i, i+1, 5432+i, tag)
		put(t, p.Addr, "PUT", "/v1/catalog/register", body, nil)
	}
	var created struct{ ID string }
	put(t, p.Addr, "POST", "/v1/query", `{"Name":"db-blue","Service":{"Service":"db","Tags":["!green"]},"DNS":{"TTL":"42s"}}`, &created)

	testutil.Run(t, 10*time.Second, func(r *testutil.R) {
		if got := dig(t, dnsPort, "db-blue.query.consul", "A"); !slices.Equal(got, []string{"10.4.0.1"}) {
			r.Fatalf("dig db-blue.query.consul A = %q, want [10.4.0.1]", got)
		}
	})
	if got := dig(t, dnsPort, created.ID+".query.consul", "SRV"); len(got) != 1 || !strings.HasPrefix(got[0], "1 1 5432 db-0.node.dc1.consul.") {
		t.Errorf("dig <id>.query.consul SRV = %q, want one record for db-0 port 5432", got)
	}
	out, err := exec.Command("dig", "@127.0.0.1", "-p", strconv.Itoa(dnsPort), "+noall", "+answer", "db-blue.query.consul", "A").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "42\tIN\tA\t10.4.0.1") {
		t.Errorf("dig +answer db-blue.query.consul = %q (%v), want TTL 42", out, err)
	}
	if got := dig(t, dnsPort, "nothing.query.consul", "A"); len(got) != 0 {
		t.Errorf("dig nothing.query.consul A = %q, want no answer", got)
	}
}

// Package dig_test checks the DNS interface with a real resolver tool:
// dig, from Debian's bind9-dnsutils (.ci/run installs it), against a real
// `concord agent` process.
package dig_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
)

var binary string

func TestMain(m *testing.M) { os.Exit(testutil.RunWithConcord(m, &binary)) }

// dig runs dig against the agent's DNS port and returns its +short output
// lines, sorted.
func dig(t *testing.T, port int, args ...string) []string {
	t.Helper()
	all := append([]string{"@127.0.0.1", "-p", strconv.Itoa(port), "+short", "+time=2", "+tries=1"}, args...)
	out, err := exec.Command("dig", all...).CombinedOutput()
	if err != nil {
		t.Fatalf("dig %s: %v\n%s", strings.Join(all, " "), err, out)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	slices.Sort(lines)
	return lines
}

// needDig skips a test where dig is missing; .ci/run installs it, so CI
// always runs these.
func needDig(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("dig"); err != nil {
		t.Skip("dig is not installed here (apt-get install bind9-dnsutils); .ci/run installs it")
	}
}

func TestDigAgainstAgent(t *testing.T) {
	needDig(t)
	httpPort, dnsPort := testutil.FreePort(t), testutil.FreePort(t)
	p := testutil.StartAgentProcess(t, binary, nil, httpPort, "-dev", "-node=digger", "-log-level=warn",
		"-http-port="+strconv.Itoa(httpPort), "-server-port="+strconv.Itoa(testutil.FreePort(t)),
		"-dns-port="+strconv.Itoa(dnsPort))

	for i, addr := range []string{"10.1.0.1", "10.1.0.2"} {
		body := fmt.Sprintf(`{"Node":"web-%d","Address":%q,"Service":{"Service":"web","Port":%d,"Tags":["blue"]}}`, i, addr, 8080+i)
		req, _ := http.NewRequest("PUT", "http://"+p.Addr+"/v1/catalog/register", bytes.NewReader([]byte(body)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("register web-%d: %v %v", i, err, resp)
		}
		resp.Body.Close()
	}

	testutil.Run(t, 10*time.Second, func(r *testutil.R) {
		if got := dig(t, dnsPort, "web.service.consul", "A"); !slices.Equal(got, []string{"10.1.0.1", "10.1.0.2"}) {
			r.Fatalf("dig web.service.consul A = %q, want both instances", got)
		}
	})
	if got := dig(t, dnsPort, "blue.web.service.consul", "A"); len(got) != 2 {
		t.Errorf("dig blue.web.service.consul A = %q, want 2 addresses", got)
	}
	srv := dig(t, dnsPort, "_web._tcp.service.consul", "SRV")
	if len(srv) != 2 || !strings.Contains(strings.Join(srv, " "), "8080") || !strings.Contains(strings.Join(srv, " "), "web-0.node.dc1.consul.") {
		t.Errorf("dig _web._tcp.service.consul SRV = %q, want 2 records with ports and node targets", srv)
	}
	if got := dig(t, dnsPort, "web-1.node.consul", "A"); !slices.Equal(got, []string{"10.1.0.2"}) {
		t.Errorf("dig web-1.node.consul A = %q, want [10.1.0.2]", got)
	}
	if got := dig(t, dnsPort, "-x", "10.1.0.1"); !slices.Equal(got, []string{"web-0.node.dc1.consul."}) {
		t.Errorf("dig -x 10.1.0.1 = %q, want [web-0.node.dc1.consul.]", got)
	}
	if got := dig(t, dnsPort, "nothing.service.consul", "A"); len(got) != 0 {
		t.Errorf("dig nothing.service.consul A = %q, want no answer (NXDOMAIN)", got)
	}
	// Over TCP too.
	if got := dig(t, dnsPort, "+tcp", "web.service.consul", "A"); len(got) != 2 {
		t.Errorf("dig +tcp web.service.consul A = %q, want 2 addresses", got)
	}
}

// TestServersAsService: servers register themselves as the service
// "consul", or the name server_service_name gives.
func TestServersAsService(t *testing.T) {
	needDig(t)
	for _, tc := range []struct{ name, hcl string }{{"consul", ""}, {"concord", `server_service_name = "concord"`}} {
		t.Run(tc.name, func(t *testing.T) {
			httpPort, dnsPort := testutil.FreePort(t), testutil.FreePort(t)
			args := []string{"-dev", "-node=srv", "-log-level=warn", "-http-port=" + strconv.Itoa(httpPort),
				"-server-port=" + strconv.Itoa(testutil.FreePort(t)), "-dns-port=" + strconv.Itoa(dnsPort)}
			if tc.hcl != "" {
				args = append(args, "-hcl", tc.hcl)
			}
			testutil.StartAgentProcess(t, binary, nil, httpPort, args...)
			testutil.Run(t, 10*time.Second, func(r *testutil.R) {
				if got := dig(t, dnsPort, tc.name+".service.consul", "A"); !slices.Equal(got, []string{"127.0.0.1"}) {
					r.Fatalf("dig %s.service.consul A = %q, want [127.0.0.1]", tc.name, got)
				}
			})
		})
	}
}

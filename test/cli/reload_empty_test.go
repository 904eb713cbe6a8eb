package cli_test

import (
	"strconv"
	"testing"

	consulapi "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/internal/testutil"
)

// TestReloadFromEmptyConfigFile: as in Consul's TestAPI_AgentReload, the
// agent starts on an empty JSON config file, the file is then given a
// service (with named ports and Meta), and a reload through the API
// registers it as written.
func TestReloadFromEmptyConfigFile(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "reload.json", "")
	httpPort := testutil.FreePort(t)
	p := startAgent(t, httpPort, "-dev", "-node=reload-empty", "-log-level=warn", "-config-file="+file,
		"-http-port="+strconv.Itoa(httpPort), "-server-port="+strconv.Itoa(testutil.FreePort(t)))
	c, err := consulapi.NewClient(&consulapi.Config{Address: p.Addr})
	if err != nil {
		t.Fatalf("consulapi.NewClient: %v", err)
	}

	writeFile(t, dir, "reload.json", `{"service":{"name":"redis", "ports": [{"name": "http", "port": 8080, "default": true}, {"name": "metrics", "port": 9090}], "Meta": {"some": "meta"}}}`)
	if err := c.Agent().Reload(); err != nil {
		t.Fatalf("Agent.Reload: %v", err)
	}
	services, err := c.Agent().Services()
	if err != nil {
		t.Fatalf("Agent.Services: %v", err)
	}
	svc := services["redis"]
	if svc == nil {
		t.Fatalf("Agent.Services() after reload = %v, want redis", services)
	}
	want := consulapi.ServicePorts{{Name: "http", Port: 8080, Default: true}, {Name: "metrics", Port: 9090}}
	if len(svc.Ports) != 2 || svc.Ports[0] != want[0] || svc.Ports[1] != want[1] || svc.Meta["some"] != "meta" {
		t.Errorf("redis after reload: Ports %v, Meta %v; want %v and some=meta", svc.Ports, svc.Meta, want)
	}
}

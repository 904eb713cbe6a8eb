package cli_test

// `concord config write|read|list|delete` against a real dev agent, with
// entries in HCL (snake_case, as Consul's docs write them) and JSON.

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestConfigEntryCommands(t *testing.T) {
	t.Parallel()
	a := startDevAgent(t)
	addr := "-http-addr=" + a.Addr
	dir := t.TempDir()

	hcl := writeFile(t, dir, "web.hcl", `
Kind = "service-defaults"
Name = "web"
protocol = "HTTP"
max_inbound_connections = 7
mesh_gateway {
  mode = "local"
}
upstream_config {
  overrides = [{ name = "db", connect_timeout_ms = 250 }]
}
meta {
  Owner_Team = "a"
}
`)
	concord(t, "config", "write", addr, hcl).want(t, "config write web.hcl", 0, "Config entry written: service-defaults/web\n", "")
	res := concord(t, "config", "read", addr, "-kind=service-defaults", "-name=web")
	var web map[string]any
	if res.code != 0 || json.Unmarshal([]byte(res.stdout), &web) != nil {
		t.Fatalf("config read = exit %d, %q, %q", res.code, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stdout, "\n    \"Kind\": \"service-defaults\",\n") || web["Protocol"] != "http" ||
		web["MaxInboundConnections"] != 7.0 || web["MeshGateway"].(map[string]any)["Mode"] != "local" ||
		web["Meta"].(map[string]any)["Owner_Team"] != "a" || web["ModifyIndex"] == 0.0 {
		t.Errorf("config read printed %s", res.stdout)
	}
	overrides := web["UpstreamConfig"].(map[string]any)["Overrides"].([]any)
	if o := overrides[0].(map[string]any); len(overrides) != 1 || o["Name"] != "db" || o["ConnectTimeoutMs"] != 250.0 {
		t.Errorf("config read: upstream overrides %v", overrides)
	}

	// JSON on stdin; a CAS write with a stale index is not stored (one
	// that changes nothing would answer true, as in Consul).
	proxy := `{"Kind": "proxy-defaults", "Name": "global", "Config": {"protocol": "http"}}`
	run{stdin: proxy}.concord(t, "config", "write", addr, "-").want(t, "config write - (proxy-defaults)", 0,
		"Config entry written: proxy-defaults/global\n", "")
	changed := strings.Replace(proxy, `"http"`, `"grpc"`, 1)
	run{stdin: changed}.concord(t, "config", "write", addr, "-cas", "-modify-index=1", "-").want(t, "config write -cas (stale)", 1,
		"", "Config entry not updated: proxy-defaults/global\n")
	for _, name := range []string{"api", "zed"} {
		run{stdin: `{"Kind": "service-defaults", "Name": "` + name + `"}`}.concord(t, "config", "write", addr, "-").
			want(t, "config write "+name, 0, "Config entry written: service-defaults/"+name+"\n", "")
	}
	concord(t, "config", "list", addr, "-kind=service-defaults").want(t, "config list", 0, "api\nweb\nzed\n", "")
	concord(t, "config", "list", addr, "-kind=proxy-defaults").want(t, "config list proxy-defaults", 0, "global\n", "")
	concord(t, "config", "list", addr, "-kind=service-defaults", `-filter=Protocol == "http"`).want(t, "config list -filter", 0, "web\n", "")

	// Refusals: a mesh kind, an unknown key, missing flags; deletes.
	mesh := writeFile(t, dir, "router.hcl", "Kind = \"service-router\"\nName = \"web\"\n")
	res = concord(t, "config", "write", addr, mesh)
	if res.code != 1 || !strings.HasPrefix(res.stderr, `Failed to decode config entry input: config entry kind "service-router" is not supported`) {
		t.Errorf("config write of a mesh kind = exit %d, stderr %q", res.code, res.stderr)
	}
	bad := writeFile(t, dir, "bad.json", `{"Kind": "service-defaults", "Name": "x", "Protocl": "http"}`)
	concord(t, "config", "write", addr, bad).want(t, "config write bad.json", 1, "",
		"Failed to decode config entry input: invalid config key \"Protocl\"\n")
	concord(t, "config", "write", addr).want(t, "config write without FILE", 1, "",
		"Must provide exactly one positional argument to specify the config entry to write\n")
	concord(t, "config", "read", addr, "-kind=service-defaults").want(t, "config read without -name", 1, "", "Must specify the -name parameter\n")
	concord(t, "config", "list", addr).want(t, "config list without -kind", 1, "", "Must specify the -kind parameter\n")
	res = concord(t, "config", "read", addr, "-kind=service-defaults", "-name=none")
	if res.code != 1 || !strings.HasPrefix(res.stderr, "Error reading config entry service-defaults/none: ") ||
		!strings.Contains(res.stderr, "Config entry not found") {
		t.Errorf("config read of a missing entry = exit %d, stderr %q", res.code, res.stderr)
	}
	concord(t, "config", "delete", addr, "-kind=service-defaults", "-name=api", "-modify-index=3").want(t,
		"config delete -modify-index without -cas", 1, "", "Cannot specify -modify-index without -cas\n")
	concord(t, "config", "delete", addr, "-kind=service-defaults", "-name=api", "-cas", "-modify-index=1").want(t,
		"config delete -cas (stale)", 1, "", "Config entry not deleted: service-defaults/api\n")
	concord(t, "config", "delete", addr, "-kind=service-defaults", "-name=api").want(t, "config delete", 0,
		"Config entry deleted: service-defaults/api\n", "")
	concord(t, "config", "delete", addr, "-filename="+hcl).want(t, "config delete -filename", 0,
		"Config entry deleted: service-defaults/web\n", "")
	concord(t, "config", "list", addr, "-kind=service-defaults").want(t, "config list after deletes", 0, "zed\n", "")
}

package layout

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/concordhq/concord/"

// allowed lists, for each package, the project packages it may import.
// Imports point one way, from the wiring down to the wire types, so a
// change to a low package never needs a change above it. A new package
// must be added here, with what it may import.
var allowed = map[string][]string{
	"api":                 {},
	"internal/version":    {},
	"internal/tlsutil":    {},
	"internal/config":     {"api", "internal/tlsutil"},
	"internal/state":      {"api"},
	"internal/fsm":        {"api", "internal/state"},
	"internal/snapshot":   {},
	"internal/call":       {"api"},
	"internal/acl":        {"api", "internal/call"},
	"internal/rpc":        {"api", "internal/call", "internal/acl"},
	"internal/authmethod": {"api"},
	"internal/gossip":     {},
	"internal/events":     {"api"},
	"internal/proc":       {},
	"internal/watch":      {"api", "internal/proc"},
	"internal/rexec":      {"api", "internal/watch"},
	"internal/logstream":  {},
	"internal/server": {"api", "internal/state", "internal/fsm", "internal/call", "internal/rpc", "internal/acl", "internal/snapshot",
		"internal/authmethod"},
	"internal/cache":   {"api"},
	"internal/wanaddr": {"api"},
	"internal/httpapi": {"api", "internal/call", "internal/acl", "internal/cache", "internal/wanaddr"},
	"internal/local":   {"api"},
	"internal/metrics": {},
	"internal/checks":  {"api"},
	"internal/dns":     {"api"},
	"internal/ui":      {},
	"internal/agent": {"api", "internal/version", "internal/config", "internal/server", "internal/httpapi",
		"internal/local", "internal/checks", "internal/dns", "internal/metrics", "internal/ui", "internal/rpc",
		"internal/gossip", "internal/events", "internal/watch", "internal/rexec", "internal/logstream", "internal/call",
		"internal/acl", "internal/tlsutil", "internal/cache", "internal/wanaddr"},
	"internal/bench": {"api"},
	"internal/cli": {"api", "internal/version", "internal/config", "internal/agent", "internal/bench", "internal/watch",
		"internal/proc", "internal/snapshot", "internal/tlsutil"},
	"internal/testutil": {"internal/agent", "internal/config"},
	"cmd/concord":       {"internal/cli"},
	"test/cluster":      {},
	"test/acl":          {},
	"test/multidc":      {},
	"test/chaos":        {},
	"test/layout":       {},
}

type pkg struct {
	ImportPath string
	Name       string
	Doc        string
	Imports    []string
	GoFiles    []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", module+"...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func TestPackagesHaveDocs(t *testing.T) {
	for _, p := range listPackages(t) {
		if len(p.GoFiles) > 0 && strings.TrimSpace(p.Doc) == "" {
			t.Errorf("package %s has no package doc comment", p.ImportPath)
		}
	}
}

func TestImportsFollowLayout(t *testing.T) {
	for _, p := range listPackages(t) {
		if len(p.GoFiles) == 0 {
			continue // test-only packages (test/cli, test/crash)
		}
		rel := strings.TrimPrefix(p.ImportPath, module)
		may, ok := allowed[rel]
		if !ok {
			t.Errorf("package %s is not in the layout table; add it with the packages it may import", rel)
			continue
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			dep := strings.TrimPrefix(imp, module)
			if !slices.Contains(may, dep) {
				t.Errorf("%s imports %s, which the layout does not allow (allowed: %v)", rel, dep, may)
			}
		}
	}
}

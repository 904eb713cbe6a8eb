package config

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// These fuzz targets are in the package itself so that HCL and JSON text
// can be parsed and applied without writing files.

// fuzzSlow is how long parsing, applying and validating one input may
// take; inputs are small, so anything near it is a blowup.
const fuzzSlow = 2 * time.Second

// hclSeeds and jsonSeeds are configs good and bad: every kind of key, the
// ways to write sections and lists, and the errors of each step.
var hclSeeds = []string{
	``,
	`node_name = "n1"
datacenter = "dc2"
data_dir = "/var/lib/concord"
server = true
bootstrap_expect = 3
log_level = "DEBUG"
encrypt = "AAAAAAAAAAAAAAAAAAAAAA=="`,
	`ports { http = 8080
  dns = -1
  serf_lan = 0 }`,
	`ports = { http = 8.5e3 }`,
	`ports { http = 1 }
ports { dns = 2 }`,
	`ports "x" { http = 1 }`,
	`ports = 5`,
	`ports { http = "abc" }`,
	`ports { http = 1e9999999 }`,
	`ports { http = 1e300 * 1e300 * 1e300 * 1e300 }`,
	`ports { http = 0.5 }`,
	`retry_join = ["10.0.0.1", "10.0.0.2:8301"]
start_join = "c"`,
	`recursors = ["8.8.8.8", "[::1]:53"]
dns_config { node_ttl = "10s"
  service_ttl { "*" = "5s" }
  udp_answer_limit = 0
  only_passing = "true" }`,
	`domain = "Consul."
alt_domain = "concord"`,
	`session_ttl_min = "1s"`,
	`session_ttl_min = "ten"`,
	`bind_addr = "999.1.1.1"`,
	`advertise_addr = "{{ GetPrivateIP }}"`,
	`bootstrap = true
bootstrap_expect = 2`,
	`datacenter = null`,
	`server = true
server = false`,
	`service { name = "web"
  port = 80
  check { ttl = "10s" } }`,
	`services = [{ name = "a" }, { Name = "b", enable_tag_override = true }]`,
	`service { port = 80 }`,
	`check { name = "mem", args = ["free"], interval = "10s" }`,
	`checks = "no"`,
	`node_name = "a${1 + 2}"`,
	`node_name = "%{for x in [1, 2]}${x}%{endfor}"`,
	`node_meta = { a = [for x in [1, 2]: [for y in [1, 2]: y]] }`,
	`node_name = var.x`,
	`node_name = upper("x")`,
	`raft_logstore { backend = "wal" }`,
	`performance { raft_multiplier = 11 }`,
	`gossip_lan { probe_interval = "-1s" }`,
	`dta_dir = "/x"`,
	`server = `,
	// HCL1 forms of Consul's files.
	`ports { http = 8500 dns = 8600 }`,
	`dns_config { allow_stale = true max_stale = "87600h" node_ttl = "10s" }`,
	"node_meta { rack = \"r1\" }\nnode_meta = { zone = \"a\" }",
	"service { name = \"a\" }\nservice { name = \"b\" check { ttl = \"5s\" } }",
	"watches = [{ type = \"key\" key = \"k\" handler = <<EOF\n/bin/true\nEOF\n}]",
	"x = <<-EOT\n  a\n  EOT\n",
	`ports "x" "y" { http = 1 }`,
	`ports { http = 0x1f90 dns = 010 }`,
	`ports { http = 99999999999999999999 }`,
	`telemetry { prometheus_retention_time = "24h" disable_hostname = true statsd_address = "x" }`,
	`acl { enabled = true tokens { agent = "t" } } connect { enabled = true ca_config { x = [1, {y = 2}] } }`,
	`telemetry { prefix_filter = ["+consul.raft", "-consul.kvs"] metrics_prefix = "acme" }`,
	`acl { enabeld = true }`,
	`a = [[[[[[1]]]]]]`,
}

var jsonSeeds = []string{
	`{}`,
	`{"ports": {"http": 8080, "serf_lan": 9301}}`,
	`{"server": "true", "bootstrap_expect": "3"}`,
	`{"ui": true}`,
	`{"retry_join": ["a"], "start_join": "c"}`,
	`{"datacenter": null}`,
	`{"ports": {"dns": 70000}}`,
	`{"ports": {"dns": 53.5}}`,
	`{"ports": {"dns": 1e9999999}}`,
	`{"ports": [{"http": 1}, {"dns": 2}]}`,
	`{"ports": [1]}`,
	`{"encrypt": "not base64"}`,
	`{"server": "yes please"}`,
	`{"data_dir": 5}`,
	`{"services": [{"name": "web", "port": 80, "checks": [{"ttl": "10s"}]}]}`,
	`{"service": {"Name": "a", "name": "b"}}`,
	`{"check": {"name": "x", "script_args": ["true"], "interval": "1s"}}`,
	`{"dns_config": {"service_ttl": {"*": "5s", "web": "1s"}}}`,
	`["x"]`,
	`{"a": 1} {"b": 2}`,
	`{"a":`,
	``,
	`null`,
}

// loadTree applies a parsed tree over the defaults and validates the
// result, checking what each step promises. It returns the config (zero
// when a step failed) and the first error.
func loadTree(t *testing.T, what string, tr tree, parseErr error) (Config, error) {
	t.Helper()
	if parseErr != nil {
		if tr != nil || !strings.HasPrefix(parseErr.Error(), "config: ") {
			t.Fatalf("%s: parse error %q with tree %v; want a \"config: \" error and no tree", what, parseErr, tr)
		}
		return Config{}, parseErr
	}
	if tr == nil {
		t.Fatalf("%s: no tree and no error", what)
	}
	c := Default()
	if err := applyTree(&c, "fuzz", tr); err != nil {
		if !strings.HasPrefix(err.Error(), "config: fuzz: ") {
			t.Fatalf("%s: apply error %q does not name its source", what, err)
		}
		return Config{}, err
	}
	err := c.Validate()
	for _, e := range unjoin(err) {
		if !strings.HasPrefix(e.Error(), "config: ") {
			t.Fatalf("%s: Validate error %q does not start with \"config: \"", what, e)
		}
	}
	again := c
	if err2 := again.Validate(); errString(err2) != errString(err) || !reflect.DeepEqual(again, c) {
		t.Fatalf("%s: Validate is not idempotent: %v, then %v", what, err, err2)
	}
	return c, err
}

// unjoin returns the errors errors.Join put together in err.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// sameTwice runs load twice and fails unless both runs agree, so that map
// order never decides a config or an error, and unless each run is quick.
func sameTwice(t *testing.T, what string, load func() (Config, error)) (Config, error) {
	t.Helper()
	start := time.Now()
	c1, err1 := load()
	if d := time.Since(start); d > fuzzSlow {
		t.Fatalf("%s: took %v", what, d)
	}
	c2, err2 := load()
	if errString(err1) != errString(err2) || !reflect.DeepEqual(c1, c2) {
		t.Fatalf("%s: two runs differ:\n%v\n%+v\nthen\n%v\n%+v", what, err1, c1, err2, c2)
	}
	return c1, err1
}

// FuzzConfigHCL parses, applies and validates any HCL1 text. Besides
// panics, slowness and errors of the wrong shape, it checks that the tree
// written out as JSON loads to the same config: the two syntaxes share one
// key table and must agree (on UTF-8 text).
func FuzzConfigHCL(f *testing.F) {
	for _, s := range hclSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		what := "HCL " + truncate(src)
		c, err := sameTwice(t, what, func() (Config, error) {
			tr, err := parseHCL([]byte(src), "fuzz.hcl")
			return loadTree(t, what, tr, err)
		})
		// JSON cannot carry bytes that are not UTF-8 (json.Marshal turns
		// them into U+FFFD), which HCL lets through; compare the rest.
		tr, perr := parseHCL([]byte(src), "fuzz.hcl")
		if perr != nil || !utf8.ValidString(src) {
			return
		}
		data, jerr := json.Marshal(tr)
		if jerr != nil {
			t.Fatalf("%s: tree %v does not encode as JSON: %v", what, tr, jerr)
		}
		jtr, jperr := parseJSON(data, "fuzz.json")
		jc, jerr := loadTree(t, "JSON of "+what, jtr, jperr)
		if errString(jerr) != errString(err) || !reflect.DeepEqual(jc, c) {
			t.Fatalf("%s loads as\n%v\n%+v\nbut as JSON %s as\n%v\n%+v", what, err, c, truncate(string(data)), jerr, jc)
		}
	})
}

// FuzzConfigJSON parses, applies and validates any JSON text.
func FuzzConfigJSON(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		what := "JSON " + truncate(string(src))
		sameTwice(t, what, func() (Config, error) {
			tr, err := parseJSON(src, "fuzz.json")
			return loadTree(t, what, tr, err)
		})
	})
}

// FuzzConfigFlags runs Parse on any argument list, one argument per line
// of args. Parse reads -config-file and -config-dir paths, but only files
// named *.hcl or *.json, so a fuzzed path reads nothing else.
func FuzzConfigFlags(f *testing.F) {
	seeds := []string{
		"-dev",
		"-dev\n-node=n1\n-datacenter=dc2\n-http-port=0\n-dns-port=-1",
		"-data-dir=/tmp/x\n-server\n-bootstrap-expect=3\n-retry-join=10.0.0.1\n-retry-join=10.0.0.2",
		"-data-dir=/tmp/x\n-bootstrap\n-bootstrap-expect=1",
		"-dev\n-hcl\nports { http = 1 }\n-hcl\nnode_name = \"h\"",
		"-dev\n-hcl=server = ",
		"-dev\n-hcl=ports { http = 1e9999999 }",
		"-dev\n-log-level=LOUD",
		"-dev\n-encrypt=AAAAAAAAAAAAAAAAAAAAAA==",
		"-dev\n-encrypt=secret",
		"-dev\n-bind=::1\n-client=0.0.0.0\n-advertise=10.0.0.1",
		"-dev\n-recursor=8.8.8.8\n-domain=example.\n-alt-domain=concord",
		"-dev\n-ui=false\n-enable-script-checks",
		"-dev\n-config-file=/nonexistent/a.hcl",
		"-dev\n-config-dir=/nonexistent",
		"-dev\n-config-file=.",
		"-dev\nextra",
		"-h",
		"-help",
		"--dev",
		"-",
		"--",
		"-nosuchflag",
		"-http-port",
		"-http-port=99999",
		"",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, args string) {
		argv := strings.Split(args, "\n")
		what := "Parse " + truncate(strings.Join(argv, " "))
		c, err := sameTwice(t, what, func() (Config, error) { return Parse(argv) })
		switch {
		case err != nil && !strings.HasPrefix(err.Error(), "config: "):
			t.Fatalf("%s: error %q does not start with \"config: \"", what, err)
		case err == nil:
			if verr := c.Validate(); verr != nil {
				t.Fatalf("%s: returned a config that fails Validate: %v", what, verr)
			}
		}
	})
}

// truncate shortens an input for a failure message.
func truncate(s string) string {
	const n = 300
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

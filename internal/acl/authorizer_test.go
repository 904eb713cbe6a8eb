package acl

import (
	"fmt"
	"strings"
	"testing"
)

// compile parses each rules text and compiles them into one token's
// authorizer.
func compile(t testing.TB, opts Options, rules ...string) *Authorizer {
	t.Helper()
	var ps []*Policy
	for _, r := range rules {
		p, err := Parse(r)
		if err != nil {
			t.Fatalf("Parse(%q) = %v", r, err)
		}
		ps = append(ps, p)
	}
	return Compile(ps, opts)
}

var (
	denyByDefault  = Options{}
	allowByDefault = Options{DefaultAllow: true}
)

// precedenceCases is one case a line: the default (deny or allow) |
// the token's policies, separated by ";;" | kind:name:access | the
// answer. Rules are HCL, several on a line.
const precedenceCases = `
deny  |                                                              | key:a:read            | false
allow |                                                              | key:a:write           | true
deny  | key "a/b" { policy = "read" }                                | key:a/b:read          | true
deny  | key "a/b" { policy = "read" }                                | key:a/bc:read         | false
allow | key "a" { policy = "read" }                                  | key:a:write           | false
deny  | key "a" { policy = "write" }                                 | key:a:read            | true
deny  | key_prefix "a" { policy = "write" }                          | key:a:list            | true
deny  | key_prefix "a" { policy = "list" }                           | key:a/x:read          | true
deny  | key_prefix "a" { policy = "read" }                           | key:a/x:list          | false
deny  | key_prefix "a" { policy = "list" }                           | key:a/x:write         | false
deny  | key_prefix "" { policy = "read" }                            | key:anything:read     | true
deny  | key_prefix "a/" { policy = "write" } key "a/s" { policy = "deny" } | key:a/s:read    | false
deny  | key_prefix "a/" { policy = "deny" } key "a/o" { policy = "read" }  | key:a/o:read    | true
deny  | key "a/b" { policy = "read" } key_prefix "a/b" { policy = "deny" } | key:a/b:read    | true
deny  | key_prefix "a/" { policy = "write" } key_prefix "a/p/" { policy = "deny" } | key:a/p/x:read | false
deny  | key_prefix "" { policy = "deny" } key_prefix "a/" { policy = "read" } | key:a/x:read | true
deny  | key_prefix "" { policy = "deny" } key_prefix "a/" { policy = "read" } | key:b/x:read | false
deny  | key_prefix "a/" { policy = "deny" } ;; key_prefix "a/b/" { policy = "write" } | key:a/b/c:write | true
deny  | key "a" { policy = "write" } ;; key "a" { policy = "deny" }  | key:a:read            | false
deny  | key_prefix "a" { policy = "deny" } key_prefix "a" { policy = "write" } | key:a/b:read | false
deny  | key "a" { policy = "read" } ;; key "a" { policy = "write" }  | key:a:write           | true
deny  | key_prefix "a" { policy = "read" } ;; key_prefix "a" { policy = "list" } | key:a:list | true
allow | key_prefix "a" { policy = "deny" }                           | key:a/b:read          | false
allow | key_prefix "a" { policy = "deny" }                           | key:b:write           | true
deny  | key_prefix "" { policy = "write" }                           | service:web:read      | false
deny  | service_prefix "web" { policy = "write" }                    | service:web-api:write | true
deny  | node "n1" { policy = "write" }                               | node:n1:write         | true
deny  | node "n1" { policy = "write" }                               | node:n2:read          | false
deny  | session_prefix "" { policy = "read" }                        | session:n1:read       | true
deny  | event_prefix "deploy" { policy = "write" }                   | event:deploy-web:write | true
deny  | query "q" { policy = "read" }                                | query:q:write         | false
deny  | agent_prefix "" { policy = "read" }                          | agent:n1:read         | true
deny  | operator = "read"                                            | operator::read        | true
deny  | operator = "read"                                            | operator::write       | false
deny  | operator = "write" ;; operator = "deny"                      | operator::read        | false
allow |                                                              | operator::write       | true
deny  | keyring = "write"                                            | keyring::write        | true
deny  | acl = "read"                                                 | acl::read             | true
allow |                                                              | acl::read             | false
allow | acl = "write"                                                | acl::write            | true
`

func TestAllowedPrecedence(t *testing.T) {
	for _, line := range strings.Split(strings.TrimSpace(precedenceCases), "\n") {
		f := strings.Split(line, "|")
		if len(f) != 4 {
			t.Fatalf("bad case %q", line)
		}
		opts := Options{DefaultAllow: strings.TrimSpace(f[0]) == "allow"}
		var policies []string
		if rules := strings.TrimSpace(f[1]); rules != "" {
			policies = strings.Split(rules, ";;")
		}
		check := strings.SplitN(strings.TrimSpace(f[2]), ":", 3)
		kind, _, _ := parseKind(check[0])
		want, _ := parseWant(check[2])
		a := compile(t, opts, policies...)
		if got := a.Allowed(kind, check[1], want); fmt.Sprint(got) != strings.TrimSpace(f[3]) {
			t.Errorf("%s: Allowed = %v", line, got)
		}
	}
	if compile(t, allowByDefault).Allowed(Kind(99), "", Read) {
		t.Error("Allowed(an unknown kind) = true")
	}
}

// keyWritePrefixCases is one case a line: the default | the rules | the
// prefix a recursive delete names | the answer.
const keyWritePrefixCases = `
deny  |                                                                     | a/   | false
allow |                                                                     | a/   | true
deny  | key_prefix "a/" { policy = "write" }                                | a/b/ | true
allow | key_prefix "a/" { policy = "read" }                                 | a/b/ | false
deny  | key_prefix "a/" { policy = "write" } key "a/b/c" { policy = "read" } | a/b/ | false
deny  | key_prefix "" { policy = "write" } key_prefix "a/b/x" { policy = "deny" } | a/ | false
deny  | key_prefix "" { policy = "write" } key "a/b" { policy = "write" }   | a/   | true
deny  | key "a/b" { policy = "write" }                                      | a/   | false
allow | key "a/b" { policy = "write" }                                      | a/   | true
deny  | key_prefix "" { policy = "write" } key "b" { policy = "deny" }      | a/   | true
deny  | key_prefix "" { policy = "write" } key "b" { policy = "deny" }      |      | false
`

func TestKeyWritePrefix(t *testing.T) {
	for _, line := range strings.Split(strings.TrimSpace(keyWritePrefixCases), "\n") {
		f := strings.Split(line, "|")
		a := compile(t, Options{DefaultAllow: strings.TrimSpace(f[0]) == "allow"}, f[1])
		if got := a.KeyWritePrefix(strings.TrimSpace(f[2])); fmt.Sprint(got) != strings.TrimSpace(f[3]) {
			t.Errorf("%s: KeyWritePrefix = %v", line, got)
		}
	}
}

func TestManage(t *testing.T) {
	m := Manage()
	if !m.IsManagement() || compile(t, allowByDefault).IsManagement() {
		t.Fatal("IsManagement is wrong")
	}
	for k := range numKinds {
		for _, want := range []Access{Read, List, Write} {
			if !m.Allowed(k, "x", want) {
				t.Errorf("Manage().Allowed(%s, x, %s) = false", k, want)
			}
		}
	}
	if !m.KeyWritePrefix("") {
		t.Error("Manage().KeyWritePrefix(\"\") = false")
	}
}

func TestCompileSkipsNil(t *testing.T) {
	a := Compile([]*Policy{nil, {Rules: []Rule{{Kind: Key, Name: "a", Access: Read}, {Kind: Kind(77), Access: Write}}}}, denyByDefault)
	if !a.Allowed(Key, "a", Read) || a.Allowed(Key, "b", Read) {
		t.Error("Compile with a nil policy and an unknown kind lost the key rule")
	}
}

package acl

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/concordhq/concord/api"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		rules string
		want  []Rule
	}{
		{"empty", "", nil},
		{"comment only", "# nothing yet\n", nil},
		{"key", `key "a/b" { policy = "write" }`, []Rule{{Kind: Key, Name: "a/b", Access: Write}}},
		{"key_prefix empty", `key_prefix "" { policy = "read" }`, []Rule{{Kind: Key, Prefix: true, Access: Read}}},
		{"list", `key_prefix "app/" { policy = "list" }`, []Rule{{Kind: Key, Name: "app/", Prefix: true, Access: List}}},
		{"deny", `key "secret" { policy = "deny" }`, []Rule{{Kind: Key, Name: "secret", Access: Deny}}},
		{"every named kind", `
service "web" { policy = "write" }
service_prefix "" { policy = "read" intentions = "read" }
node "n1" { policy = "write" }
node_prefix "" { policy = "read" }
session "n1" { policy = "write" }
session_prefix "" { policy = "deny" }
event "deploy" { policy = "write" }
event_prefix "" { policy = "read" }
query "q" { policy = "write" }
query_prefix "" { policy = "read" }
agent "n1" { policy = "write" }
agent_prefix "" { policy = "read" }
`, []Rule{
			{Kind: Service, Name: "web", Access: Write},
			{Kind: Service, Prefix: true, Access: Read, Intentions: Read},
			{Kind: Node, Name: "n1", Access: Write},
			{Kind: Node, Prefix: true, Access: Read},
			{Kind: Session, Name: "n1", Access: Write},
			{Kind: Session, Prefix: true, Access: Deny},
			{Kind: Event, Name: "deploy", Access: Write},
			{Kind: Event, Prefix: true, Access: Read},
			{Kind: Query, Name: "q", Access: Write},
			{Kind: Query, Prefix: true, Access: Read},
			{Kind: Agent, Name: "n1", Access: Write},
			{Kind: Agent, Prefix: true, Access: Read},
		}},
		{"single settings", "operator = \"read\"\nkeyring = \"write\"\nacl = \"deny\"",
			[]Rule{{Kind: Operator, Access: Read}, {Kind: Keyring, Access: Write}, {Kind: ACL, Access: Deny}}},
		{"one line", `key "a" { policy = "read" } key "b" { policy = "write" } operator = "write"`,
			[]Rule{{Kind: Key, Name: "a", Access: Read}, {Kind: Key, Name: "b", Access: Write}, {Kind: Operator, Access: Write}}},
		{"map form", `key = { "a" = { policy = "read" } "b" = { policy = "write" } }`,
			[]Rule{{Kind: Key, Name: "a", Access: Read}, {Kind: Key, Name: "b", Access: Write}}},
		{"repeated rule kept twice", "key \"a\" { policy = \"read\" }\nkey \"a\" { policy = \"deny\" }",
			[]Rule{{Kind: Key, Name: "a", Access: Read}, {Kind: Key, Name: "a", Access: Deny}}},
		{"json", `{"key": {"a/b": {"policy": "write"}}, "key_prefix": {"": {"policy": "list"}}, "operator": "read"}`,
			[]Rule{{Kind: Key, Name: "a/b", Access: Write}, {Kind: Key, Prefix: true, Access: List}, {Kind: Operator, Access: Read}}},
		{"json lists", `{"service_prefix": [{"web": [{"policy": "write"}]}], "node": [{"n1": {"policy": "read"}}]}`,
			[]Rule{{Kind: Service, Name: "web", Prefix: true, Access: Write}, {Kind: Node, Name: "n1", Access: Read}}},
		{"json several names", `{"key": {"a": {"policy": "read"}, "b": {"policy": "deny"}}}`,
			[]Rule{{Kind: Key, Name: "a", Access: Read}, {Kind: Key, Name: "b", Access: Deny}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.rules)
			if err != nil {
				t.Fatalf("Parse(%q) = %v", tc.rules, err)
			}
			if !reflect.DeepEqual(p.Rules, tc.want) {
				t.Errorf("Parse(%q) rules\n got %+v\nwant %+v", tc.rules, p.Rules, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, rules, want string
	}{
		{"syntax", `key "a" { policy = "read"`, "invalid rules: At 1:"},
		{"unknown kind", `keys "a" { policy = "read" }`, `line 1, column 1: unknown rule kind "keys"`},
		{"unknown prefix kind", `operator_prefix "" { policy = "read" }`, `unknown rule kind "operator_prefix"`},
		{"bad policy", `key "a" { policy = "admin" }`, `invalid key policy "admin" (want read, write or deny, or list)`},
		{"list on service", `service "web" { policy = "list" }`, `invalid service policy "list" (want read, write or deny)`},
		{"list on operator", `operator = "list"`, `invalid operator policy "list"`},
		{"bad operator", `operator = "all"`, `invalid operator policy "all"`},
		{"operator block", `operator { policy = "read" }`, `operator must be a string policy`},
		{"operator with name", `operator "x" { policy = "read" }`, `operator takes no name`},
		{"operator number", `operator = 1`, `operator must be a string policy`},
		{"no policy", `key "a" { }`, `key "a" has no policy`},
		{"unknown field", `key "a" { policy = "read" mode = "x" }`, `unknown field "mode" in a key rule`},
		{"intentions on key", `key "a" { policy = "read" intentions = "read" }`, `unknown field "intentions"`},
		{"list intentions", `service "a" { policy = "read" intentions = "list" }`, `line 1, column 31: invalid service policy "list"`},
		{"policy not string", `key "a" { policy = 3 }`, `policy must be a string`},
		{"two names", `key "a" "b" { policy = "read" }`, `key takes one name, not 2`},
		{"no name", `key { policy = "read" }`, `key must be a block`},
		{"key string", `key = "read"`, `key must be a block`},
		{"list of strings", `key = ["a"]`, `key must be a block`},
		{"dangling assign", "key \"a\" { policy = \"read\" }\noperator =", `line 2, column 10: missing value after '='`},
		{"json syntax", `{"key": {"a": {"policy": "read"}}`, "rules are not valid JSON"},
		{"json bad policy", `{"key": {"a": {"policy": "rw"}}}`, `invalid key policy "rw"`},
		{"json unknown kind", `{"kv": {"a": {"policy": "read"}}}`, `unknown rule kind "kv"`},
		{"json top list", `["a"]`, "invalid rules:"},
		{"too long", strings.Repeat("#", MaxRulesBytes+1), "over the limit of"},
		{"long name", fmt.Sprintf(`key %q { policy = "read" }`, strings.Repeat("k", MaxNameBytes+1)), "over the limit of 1024"},
		{"too many", strings.Repeat(`key "a" { policy = "read" }`+"\n", MaxRules+1), "more than 2000 rules"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.rules)
			if err == nil {
				t.Fatalf("Parse(%.60q) = %+v, want an error containing %q", tc.rules, p, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%.60q) error %q, want it to contain %q", tc.rules, err, tc.want)
			}
			var bad api.BadRequestError
			if !errors.As(err, &bad) {
				t.Errorf("Parse(%.60q) error %T, want an api.BadRequestError (HTTP 400)", tc.rules, err)
			}
		})
	}
}

func TestAccessString(t *testing.T) {
	for a, want := range map[Access]string{Deny: "deny", Read: "read", List: "list", Write: "write", 9: "Access(9)"} {
		if got := a.String(); got != want {
			t.Errorf("Access(%d).String() = %q, want %q", a, got, want)
		}
	}
	if got := Kind(42).String(); got != "Kind(42)" {
		t.Errorf("Kind(42).String() = %q", got)
	}
}

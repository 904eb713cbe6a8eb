package acl

import (
	"errors"
	"strings"
	"testing"

	"github.com/concordhq/concord/internal/call"
)

const accessor = "6a1253d2-1785-24fd-91c2-f8e78c745511"

func TestAuthorize(t *testing.T) {
	scoped := `
key_prefix "app/" { policy = "write" }
key "app/locked" { policy = "read" }
key_prefix "app/private/" { policy = "deny" }
key_prefix "ro/" { policy = "read" }
key_prefix "ls/" { policy = "list" }
node "n1" { policy = "write" }
service_prefix "web" { policy = "write" }
session "n1" { policy = "write" }
event_prefix "deploy" { policy = "write" }
query "q" { policy = "read" }
agent "n1" { policy = "read" }
key_prefix "_stream/orders" { policy = "write" }
key "_stream/audit" { policy = "read" }
operator = "read"
keyring = "write"
`
	// One case a line: the options (deny, or list for the key list
	// policy) | the resources, kind:access:name separated by spaces | ok,
	// or what the denial says after the accessor.
	const cases = `
deny | key:read:app/x                    | ok
deny | key:write:app/x                   | ok
deny | key:write:app/locked              | lacks permission 'key:write' on "app/locked"
deny | key:read:app/private/k            | lacks permission 'key:read' on "app/private/k"
deny | key:read:other                    | lacks permission 'key:read' on "other"
deny | key:list:ls/a                     | ok
deny | key:list:ro/a                     | lacks permission 'key:list' on "ro/a"
deny | key_prefix:read:nothing/          | ok
deny | key_prefix:list:nothing/          | ok
list | key_prefix:read:ls/               | ok
list | key_prefix:read:ro/               | lacks permission 'key:list' on "ro/"
list | key_prefix:list:x/                | lacks permission 'key:list' on "x/"
deny | key_prefix:write:app/public/      | ok
deny | key_prefix:write:app/             | lacks permission 'key:write' on "app/"
deny | key:write:app/a key:read:app/b key:write:secret | lacks permission 'key:write' on "secret"
deny | node:write:n1                     | ok
deny | node:write:n2                     | lacks permission 'node:write' on "n2"
deny | node:read:n2                      | ok
deny | service:write:web-1               | ok
deny | service:write:db                  | lacks permission 'service:write' on "db"
deny | service:read:db                   | ok
deny | session:write:n1                  | ok
deny | session:write:n2                  | lacks permission 'session:write' on "n2"
deny | session:read:                     | ok
deny | event:write:deploy-web            | ok
deny | event:read:x                      | lacks permission 'event:read' on "x"
deny | query:read:q                      | ok
deny | query:write:q                     | lacks permission 'query:write' on "q"
deny | agent:read:n1                     | ok
deny | agent:write:n1                    | lacks permission 'agent:write' on "n1"
deny | operator:read:                    | ok
deny | operator:write:                   | lacks permission 'operator:write'
deny | keyring:write:                    | ok
deny | acl:read:                         | lacks permission 'acl:read'
deny | stream:write:orders-eu            | ok
deny | stream:read:audit                 | ok
deny | stream:write:audit                | lacks permission 'key:write' on "_stream/audit"
deny | status:read:                      | ok
deny |                                   | ok
`
	for _, line := range strings.Split(strings.TrimSpace(cases), "\n") {
		f := strings.Split(line, "|")
		opts := Options{KeyListPolicy: strings.TrimSpace(f[0]) == "list"}
		var rs []call.Resource
		for _, r := range strings.Fields(f[1]) {
			p := strings.SplitN(r, ":", 3)
			rs = append(rs, call.Resource{Kind: p[0], Access: p[1], Name: p[2]})
		}
		want := strings.TrimSpace(f[2])
		err := compile(t, opts, scoped).Authorize(accessor, rs)
		switch {
		case want == "ok" && err != nil:
			t.Errorf("%s: Authorize = %v", line, err)
		case want == "ok":
		case err == nil || !strings.HasSuffix(err.Error(), "token with AccessorID '"+accessor+"' "+want):
			t.Errorf("%s: Authorize = %v", line, err)
		case !errors.Is(err, ErrPermissionDenied):
			t.Errorf("%s: Authorize = %T, not a permission denial", line, err)
		}
	}
}

func TestPermissionDeniedText(t *testing.T) {
	tests := []struct {
		err  PermissionDeniedError
		want string
	}{
		{PermissionDeniedError{AccessorID: "abc", Kind: "key", Access: "write", Name: "a/b"},
			`Permission denied: token with AccessorID 'abc' lacks permission 'key:write' on "a/b"`},
		{PermissionDeniedError{AccessorID: "abc", Kind: "operator", Access: "read"},
			`Permission denied: token with AccessorID 'abc' lacks permission 'operator:read'`},
		{PermissionDeniedError{Kind: "node", Access: "write", Name: "n1"},
			`Permission denied: provided token lacks permission 'node:write' on "n1"`},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	var pd PermissionDeniedError
	err := compile(t, denyByDefault).Authorize("abc", []call.Resource{{Kind: "key", Name: "a", Access: "read"}})
	if !errors.As(err, &pd) || pd.AccessorID != "abc" || pd.Kind != "key" || pd.Access != "read" || pd.Name != "a" {
		t.Errorf("Authorize error = %#v", err)
	}
}

func TestAuthorizeUnknown(t *testing.T) {
	for _, r := range []call.Resource{
		{Kind: "kv", Name: "a", Access: "read"},
		{Kind: "operator_prefix", Access: "read"},
		{Kind: "key", Name: "a", Access: "delete"},
		{Kind: "status", Access: ""},
	} {
		err := Manage().Authorize(accessor, []call.Resource{r})
		if err == nil || errors.Is(err, ErrPermissionDenied) {
			t.Errorf("Authorize(%+v) = %v, want a plain error", r, err)
		}
	}
}

// TestEveryDeclaredCall checks that each declared call's resources are
// ones Authorize knows: management allows them, and a token with no
// rules gets either nil (status, filtered reads) or a denial.
func TestEveryDeclaredCall(t *testing.T) {
	none := compile(t, denyByDefault)
	for _, d := range call.Declared() {
		args, err := d.DecodeArgs(nil)
		if err != nil {
			t.Fatalf("%s: DecodeArgs = %v", d.Name, err)
		}
		rs := d.Resources(args)
		if err := Manage().Authorize(accessor, rs); err != nil {
			t.Errorf("%s: management refused %+v: %v", d.Name, rs, err)
		}
		if err := none.Authorize(accessor, rs); err != nil && !errors.Is(err, ErrPermissionDenied) {
			t.Errorf("%s: %+v: %v", d.Name, rs, err)
		}
	}
}

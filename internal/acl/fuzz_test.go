package acl

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// FuzzParse checks that no rules text panics the parser, that errors are
// all 400s, and that what parses compiles to an authorizer whose checks
// hold the package's invariants.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		``,
		`key "a/b" { policy = "write" }`,
		`key_prefix "" { policy = "list" }`,
		`service_prefix "web" { policy = "write" intentions = "read" }`,
		"operator = \"read\"\nkeyring = \"write\"\nacl = \"deny\"",
		`key = { "a" = { policy = "read" } }`,
		`{"key": {"a": {"policy": "read"}}, "operator": "write"}`,
		`{"node_prefix": [{"": [{"policy": "read"}]}]}`,
		"key \"a\" { policy = <<EOT\nread\nEOT\n}",
		`key "a" { policy = "read"`,
		`operator =`,
		`key "\u00e9\x" { policy = "read" }`,
		`{"key": }`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, rules string) {
		p, err := Parse(rules)
		if err != nil {
			var bad api.BadRequestError
			if !errors.As(err, &bad) || !strings.HasPrefix(err.Error(), "acl: invalid rules: ") {
				t.Fatalf("Parse(%q) error %T %v, want an api.BadRequestError", rules, err, err)
			}
			return
		}
		if len(p.Rules) > MaxRules {
			t.Fatalf("Parse(%q) gave %d rules", rules, len(p.Rules))
		}
		for _, r := range p.Rules {
			if r.Kind >= numKinds || r.Access == noAccess || r.Access > Write || (r.Access == List && r.Kind != Key) ||
				(!r.Kind.named() && (r.Name != "" || r.Prefix)) || len(r.Name) > MaxNameBytes {
				t.Fatalf("Parse(%q) gave an invalid rule %+v", rules, r)
			}
		}
		a := Compile([]*Policy{p}, Options{})
		for _, r := range p.Rules {
			// Write implies list implies read.
			read, list, write := a.Allowed(r.Kind, r.Name, Read), a.Allowed(r.Kind, r.Name, List), a.Allowed(r.Kind, r.Name, Write)
			if (write && !list) || (list && !read) {
				t.Fatalf("rules %q: %s %q read %v list %v write %v", rules, r.Kind, r.Name, read, list, write)
			}
			if err := a.Authorize("x", []call.Resource{{Kind: r.Kind.String(), Name: r.Name, Access: "write"}}); err != nil &&
				!errors.Is(err, ErrPermissionDenied) {
				t.Fatalf("rules %q: Authorize %s:write %q = %v", rules, r.Kind, r.Name, err)
			}
		}
		_ = a.KeyWritePrefix("")
	})
}

// policy100 is a policy of 100 rules of every kind of match.
func policy100() string {
	var b strings.Builder
	for i := range 25 {
		fmt.Fprintf(&b, "key_prefix \"app/%d/\" { policy = \"write\" }\n", i)
		fmt.Fprintf(&b, "key \"app/%d/config\" { policy = \"read\" }\n", i)
		fmt.Fprintf(&b, "key_prefix \"app/%d/secret/\" { policy = \"deny\" }\n", i)
		fmt.Fprintf(&b, "service_prefix \"svc-%d\" { policy = \"write\" }\n", i)
	}
	return b.String()
}

func BenchmarkAuthorize(b *testing.B) {
	a := compile(b, denyByDefault, policy100())
	allowed := []call.Resource{{Kind: "key", Name: "app/17/data/item-42", Access: "write"}}
	denied := []call.Resource{{Kind: "key", Name: "app/17/secret/token", Access: "read"}}
	b.Run("allowed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := a.Authorize(accessor, allowed); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("denied", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := a.Authorize(accessor, denied); err == nil {
				b.Fatal("allowed")
			}
		}
	})
}

func BenchmarkCompile(b *testing.B) {
	p, err := Parse(policy100())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		Compile([]*Policy{p}, Options{})
	}
}

func BenchmarkParse(b *testing.B) {
	rules := policy100()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(rules); err != nil {
			b.Fatal(err)
		}
	}
}

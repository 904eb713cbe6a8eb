package acl

import (
	"encoding/json"
	"testing"
)

// TestAuthorizerJSONRoundTrip checks that an authorizer sent to a client
// agent decides as it did on the server.
func TestAuthorizerJSONRoundTrip(t *testing.T) {
	p, err := Parse(`key_prefix "app/" { policy = "write" }
key "app/secret" { policy = "deny" }
service_prefix "" { policy = "read" }
agent "n1" { policy = "write" }
operator = "read"`)
	if err != nil {
		t.Fatal(err)
	}
	for _, orig := range []*Authorizer{Compile([]*Policy{p}, Options{}), Compile([]*Policy{p}, Options{DefaultAllow: true}), Manage()} {
		data, err := json.Marshal(orig)
		if err != nil {
			t.Fatal(err)
		}
		var got Authorizer
		if err := json.Unmarshal(data, &got); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			k    Kind
			name string
			want Access
		}{
			{Key, "app/x", Write}, {Key, "app/secret", Read}, {Key, "other", Read}, {Service, "web", Read},
			{Service, "web", Write}, {Agent, "n1", Write}, {Agent, "n2", Read}, {Operator, "", Read},
			{Operator, "", Write}, {ACL, "", Read},
		} {
			if g, w := got.Allowed(c.k, c.name, c.want), orig.Allowed(c.k, c.name, c.want); g != w {
				t.Errorf("after JSON %s: Allowed(%s %q, %s) = %v, want %v", data, c.k, c.name, c.want, g, w)
			}
		}
	}
}

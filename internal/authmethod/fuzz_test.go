package authmethod

import (
	"encoding/json"
	"testing"

	"github.com/concordhq/concord/api"
)

// FuzzNew: any Config, of either type, is accepted or refused with an
// error, never a panic; an accepted method's blank identity works with
// CheckRule.
func FuzzNew(f *testing.F) {
	f.Add("jwt", `{"JWTValidationPubKeys":["x"],"ClaimMappings":{"a":"b","c":"b"}}`)
	f.Add("jwt", `{"ClaimMappings":{"a":"b"},"ListClaimMappings":{"g":"groups"},"JWTSupportedAlgs":["RS256","HS256"]}`)
	f.Add("jwt", `{"JWKSURL":"https://127.0.0.1:1/k","JWKSCACert":"x"}`)
	f.Add("kubernetes", `{"Host":"h","CACert":"-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----","ServiceAccountJWT":"a.b.c"}`)
	f.Add("kubernetes", `{"Host":1,"Bogus":[]}`)
	f.Fuzz(func(t *testing.T, typ, config string) {
		var cfg map[string]any
		if json.Unmarshal([]byte(config), &cfg) != nil {
			return
		}
		v, err := New(&api.ACLAuthMethod{Name: "m", Type: typ, Config: cfg})
		if err != nil {
			return
		}
		_ = CheckRule(&api.ACLBindingRule{BindType: api.BindTypeService, BindName: "x"}, v.NewIdentity())
	})
}

// FuzzBindName: a bind name template and selector are checked or
// refused, never a panic; a service name Bind makes is always valid.
func FuzzBindName(f *testing.F) {
	f.Add("svc-${value.name}", `value.name == "a"`)
	f.Add("${value.name", "")
	f.Add("${}${ }$${x}", `"a" in list.groups`)
	f.Fuzz(func(t *testing.T, name, selector string) {
		blank := &Identity{Fields: &jwtFields{Values: map[string]string{"name": ""}, Lists: map[string][]string{"groups": nil}},
			Vars: map[string]string{"value.name": ""}}
		rule := &api.ACLBindingRule{BindType: api.BindTypeService, BindName: name, Selector: selector}
		if CheckRule(rule, blank) != nil {
			return
		}
		id := &Identity{Fields: &jwtFields{Values: map[string]string{"name": "a"}, Lists: map[string][]string{"groups": {"a"}}},
			Vars: map[string]string{"value.name": "A"}}
		b, err := Bind([]*api.ACLBindingRule{rule}, id)
		if err != nil {
			return // a value can make a name invalid that "fake" did not
		}
		for _, s := range b.ServiceIdentities {
			if !api.ValidACLIdentityName(s) {
				t.Errorf("Bind made the invalid service name %q from %q", s, name)
			}
		}
	})
}

package authmethod

import (
	"testing"

	"github.com/concordhq/concord/api"
)

func TestInterpolate(t *testing.T) {
	vars := map[string]string{"value.name": "Web", "serviceaccount.namespace": "default"}
	for _, tc := range []struct {
		tmpl, want string
		err        bool
	}{
		{"plain", "plain", false},
		{"${value.name}", "web", false},
		{"svc-${value.name}-${ serviceaccount.namespace }", "svc-web-default", false},
		{"${value.team}", "", true},
		{"${value.name", "", true},
	} {
		got, err := interpolate(tc.tmpl, vars)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("interpolate(%q) = %q, %v; want %q, error %v", tc.tmpl, got, err, tc.want, tc.err)
		}
	}
}

func TestClaimPointer(t *testing.T) {
	all := map[string]any{"sub": "a", "org": map[string]any{"team/x": "web", "list": []any{"p", "q"}}}
	for name, want := range map[string]any{"sub": "a", "/org/team~1x": "web", "/org/list/1": "q", "/org/none": nil, "/org/list/7": nil} {
		if got := claim(all, name); got != want {
			t.Errorf("claim(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestBind: rules whose selectors match add their names; names are
// lowercased from the variables; a name that comes out invalid is an
// error.
func TestBind(t *testing.T) {
	id := &Identity{Fields: &jwtFields{Values: map[string]string{"team": "web"}, Lists: map[string][]string{"groups": {"ops"}}},
		Vars: map[string]string{"value.team": "Web"}}
	rules := []*api.ACLBindingRule{
		{Selector: `value.team == "web"`, BindType: api.BindTypeService, BindName: "svc-${value.team}"},
		{Selector: `value.team == "db"`, BindType: api.BindTypeService, BindName: "never"},
		{Selector: `"ops" in list.groups`, BindType: api.BindTypeRole, BindName: "Ops_Role"},
		{Selector: `bogus ==`, BindType: api.BindTypePolicy, BindName: "never"},
		{BindType: api.BindTypeNode, BindName: "n-${value.team}"},
	}
	b, err := Bind(rules, id)
	if err != nil {
		t.Fatalf("Bind = %v", err)
	}
	if len(b.ServiceIdentities) != 1 || b.ServiceIdentities[0] != "svc-web" || len(b.Roles) != 1 || b.Roles[0] != "Ops_Role" ||
		len(b.Policies) != 0 || len(b.NodeIdentities) != 1 || b.NodeIdentities[0] != "n-web" {
		t.Errorf("Bind = %+v", b)
	}
	if _, err := Bind([]*api.ACLBindingRule{{BindType: api.BindTypeService, BindName: "a b"}}, id); err == nil {
		t.Error("Bind with an invalid service name = nil error")
	}
}

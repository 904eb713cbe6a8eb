package server

import (
	"reflect"
	"strings"
	"testing"

	"github.com/concordhq/concord/api"
)

func TestQueryTemplateRender(t *testing.T) {
	tmpl := &api.PreparedQuery{Name: "geo-", Template: api.QueryTemplate{Type: api.QueryTemplateNamePrefix, Regexp: `^geo-([a-z]+)-(\w+)$`, RemoveEmptyTags: true},
		Service: api.ServiceQuery{
			Service:        "${match(1)}",
			Tags:           []string{"${match(2)}", "${match(7)}", "x-${name.suffix}", "$${literal}"},
			Near:           "${ name.full }",
			NodeMeta:       map[string]string{"zone": "${match(2)}"},
			IgnoreCheckIDs: []string{"${name.prefix}check"},
			Failover:       api.QueryFailoverOptions{Datacenters: []string{"dc-${match(2)}"}},
		}}
	ct, err := compileTemplate(tmpl)
	if err != nil {
		t.Fatalf("compileTemplate: %v", err)
	}
	got, err := ct.render("GEO-db-east")
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	// The regexp is case-sensitive: "GEO-" does not match it, so the
	// captures are empty (and those tags go), while name.suffix is cut
	// without regard to case.
	want := api.ServiceQuery{
		Service:        "",
		Tags:           []string{"x-db-east", "${literal}"},
		Near:           "GEO-db-east",
		NodeMeta:       map[string]string{"zone": ""},
		IgnoreCheckIDs: []string{"geo-check"},
		Failover:       api.QueryFailoverOptions{Datacenters: []string{"dc-"}},
	}
	if !reflect.DeepEqual(got.Service, want) {
		t.Errorf("render(GEO-db-east).Service = %+v, want %+v", got.Service, want)
	}
	got, _ = ct.render("geo-db-east")
	if got.Service.Service != "db" || got.Service.Tags[0] != "east" || got.Service.NodeMeta["zone"] != "east" {
		t.Errorf("render(geo-db-east).Service = %+v, want db/east", got.Service)
	}
	if tmpl.Service.Service != "${match(1)}" || tmpl.Service.NodeMeta["zone"] != "${match(2)}" {
		t.Errorf("render changed the stored template: %+v", tmpl.Service)
	}
}

func TestQueryTemplateErrors(t *testing.T) {
	for _, tc := range []struct {
		service, want string
	}{
		{"${name.bogus}", "unknown variable accessed: name.bogus"},
		{"${match(x)}", "match() takes one non-negative integer"},
		{"${match(-1)}", "match() takes one non-negative integer"},
		{"${name.full", "unclosed ${"},
	} {
		_, err := compileTemplate(&api.PreparedQuery{Template: api.QueryTemplate{Type: api.QueryTemplateNamePrefix},
			Service: api.ServiceQuery{Service: tc.service}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("compileTemplate(Service %q) = %v, want an error with %q", tc.service, err, tc.want)
		}
	}
}

// FuzzQueryTemplate: any template text and name render or fail cleanly.
func FuzzQueryTemplate(f *testing.F) {
	f.Add("${match(1)}-${name.suffix}", `^a-(.*)$`, "a-b")
	f.Add("$${x}${", "", "")
	f.Add("${ match( 99 ) }", "(", "zz")
	f.Fuzz(func(t *testing.T, field, re, name string) {
		q := &api.PreparedQuery{Name: "a-", Template: api.QueryTemplate{Type: api.QueryTemplateNamePrefix, Regexp: re},
			Service: api.ServiceQuery{Service: field, Tags: []string{field}, NodeMeta: map[string]string{"k": field}}}
		ct, err := compileTemplate(q)
		if err != nil {
			return
		}
		if _, err := ct.render(name); err != nil {
			t.Fatalf("render(%q) after a clean compile: %v", name, err)
		}
	})
}

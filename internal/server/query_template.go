package server

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/concordhq/concord/api"
)

// queryTemplate is a template query ready to be rendered for the names it
// answers.
//
// Rendering interpolates every string of the query's Service: ${name.full}
// is the name executed, ${name.prefix} the template's Name, ${name.suffix}
// the rest of the name, ${match(N)} the Nth capture group of the template's
// Regexp matched against the whole name ("" when it does not match or has
// no such group), and ${agent.segment} the network segment ("", as Concord
// has none). "$${" is a literal "${".
type queryTemplate struct {
	q  *api.PreparedQuery
	re *regexp.Regexp // nil when the template has no Regexp
}

// compileTemplate checks a template and makes it ready to render. It
// renders it once for its bare name, so that a bad field fails when the
// query is written rather than when it is executed.
func compileTemplate(q *api.PreparedQuery) (*queryTemplate, error) {
	if q.Template.Type != api.QueryTemplateNamePrefix {
		return nil, fmt.Errorf("Bad Template.Type '%s'", q.Template.Type)
	}
	ct := &queryTemplate{q: q}
	if q.Template.Regexp != "" {
		re, err := regexp.Compile(q.Template.Regexp)
		if err != nil {
			return nil, fmt.Errorf("Bad Regexp: %v", err)
		}
		ct.re = re
	}
	if _, err := ct.render(q.Name); err != nil {
		return nil, err
	}
	return ct, nil
}

// render returns a copy of the template with its Service interpolated for
// name.
func (ct *queryTemplate) render(name string) (*api.PreparedQuery, error) {
	vars := templateVars{full: name, prefix: ct.q.Name}
	if p := len(ct.q.Name); len(name) >= p && strings.EqualFold(name[:p], ct.q.Name) {
		vars.suffix = name[p:]
	}
	if ct.re != nil {
		vars.matches = ct.re.FindStringSubmatch(name)
	}
	out := clonePreparedQuery(ct.q)
	svc := &out.Service
	var err error
	do := func(s *string) {
		if err == nil {
			*s, err = vars.interpolate(*s)
		}
	}
	do(&svc.Service)
	do(&svc.Near)
	do(&svc.SamenessGroup)
	do(&svc.Peer)
	for _, list := range [][]string{svc.Tags, svc.IgnoreCheckIDs, svc.Failover.Datacenters} {
		for i := range list {
			do(&list[i])
		}
	}
	for i := range svc.Failover.Targets {
		do(&svc.Failover.Targets[i].Peer)
		do(&svc.Failover.Targets[i].Datacenter)
	}
	for _, m := range []map[string]string{svc.NodeMeta, svc.ServiceMeta} {
		for k, v := range m {
			do(&v)
			m[k] = v
		}
	}
	if err != nil {
		return nil, fmt.Errorf("Failed to render query template: %w", err)
	}
	if ct.q.Template.RemoveEmptyTags {
		svc.Tags = slices.DeleteFunc(svc.Tags, func(t string) bool { return t == "" })
	}
	return out, nil
}

// templateVars are the values a template's fields may use.
type templateVars struct {
	full, prefix, suffix string
	matches              []string // the Regexp's match and groups; nil when none
}

// interpolate replaces each ${...} in s by its value.
func (v *templateVars) interpolate(s string) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for rest := s; ; {
		i := strings.Index(rest, "${")
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		if i > 0 && rest[i-1] == '$' { // "$${": a literal "${"
			b.WriteString(rest[:i-1])
			b.WriteString("${")
			rest = rest[i+2:]
			continue
		}
		b.WriteString(rest[:i])
		end := strings.IndexByte(rest[i+2:], '}')
		if end < 0 {
			return "", fmt.Errorf("unclosed ${ in %q", s)
		}
		val, err := v.eval(strings.TrimSpace(rest[i+2 : i+2+end]))
		if err != nil {
			return "", err
		}
		b.WriteString(val)
		rest = rest[i+2+end+1:]
	}
}

// eval returns the value of one expression.
func (v *templateVars) eval(expr string) (string, error) {
	switch expr {
	case "name.full":
		return v.full, nil
	case "name.prefix":
		return v.prefix, nil
	case "name.suffix":
		return v.suffix, nil
	case "agent.segment":
		return "", nil
	}
	arg, ok := strings.CutPrefix(expr, "match(")
	if !ok {
		return "", fmt.Errorf("unknown variable accessed: %s", expr)
	}
	arg, ok = strings.CutSuffix(arg, ")")
	n, err := strconv.Atoi(strings.TrimSpace(arg))
	if !ok || err != nil || n < 0 {
		return "", fmt.Errorf("match() takes one non-negative integer, not %q", expr)
	}
	if n >= len(v.matches) {
		return "", nil
	}
	return v.matches[n], nil
}

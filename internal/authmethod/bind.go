package authmethod

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/concordhq/concord/api"
	"github.com/hashicorp/go-bexpr"
)

// Bindings are what the binding rules that matched a login give its
// token: service and node identities by name, and the names of roles and
// policies to link (the server drops names that match nothing, as
// Consul does).
type Bindings struct {
	ServiceIdentities []string
	NodeIdentities    []string
	Roles             []string
	Policies          []string
}

// Bind runs rules on id: every rule whose Selector matches id's fields
// adds its BindName, with id's variables filled in, to what its BindType
// names. A rule whose selector cannot be evaluated does not match; a
// bind name that comes out invalid is an error.
func Bind(rules []*api.ACLBindingRule, id *Identity) (*Bindings, error) {
	var b Bindings
	for _, r := range rules {
		if !selectorMatches(r.Selector, id.Fields) {
			continue
		}
		name, err := bindName(r.BindType, r.BindName, id.Vars)
		if err != nil {
			return nil, err
		}
		switch r.BindType {
		case api.BindTypeService:
			b.ServiceIdentities = append(b.ServiceIdentities, name)
		case api.BindTypeNode:
			b.NodeIdentities = append(b.NodeIdentities, name)
		case api.BindTypeRole:
			b.Roles = append(b.Roles, name)
		case api.BindTypePolicy:
			b.Policies = append(b.Policies, name)
		}
	}
	return &b, nil
}

func selectorMatches(selector string, fields any) bool {
	if selector == "" {
		return true
	}
	eval, err := bexpr.CreateEvaluator(selector)
	if err != nil {
		return false
	}
	ok, err := eval.Evaluate(fields)
	return err == nil && ok
}

// CheckRule checks a binding rule against blank, a blank identity of its
// auth method: the selector must parse and name fields the method's
// logins have, the bind type must be known, and the bind name, with
// every variable filled in, must be a valid name for it. The errors are
// Consul's texts.
func CheckRule(r *api.ACLBindingRule, blank *Identity) error {
	if r.Selector != "" {
		eval, err := bexpr.CreateEvaluator(r.Selector)
		if err == nil {
			_, err = eval.Evaluate(blank.Fields)
		}
		if err != nil {
			return fmt.Errorf("invalid Binding Rule: Selector is invalid: %v", err)
		}
	}
	switch {
	case r.BindType == "":
		return errors.New("Invalid Binding Rule: no BindType is set")
	case r.BindName == "":
		return errors.New("Invalid Binding Rule: no BindName is set")
	}
	switch r.BindType {
	case api.BindTypeService, api.BindTypeNode, api.BindTypeRole, api.BindTypePolicy:
	default:
		return fmt.Errorf("Invalid Binding Rule: unknown BindType %q", r.BindType)
	}
	fake := make(map[string]string, len(blank.Vars))
	for k := range blank.Vars {
		fake[k] = "fake"
	}
	if _, err := bindName(r.BindType, r.BindName, fake); err != nil {
		return fmt.Errorf("Invalid Binding Rule: invalid BindName: %v", err)
	}
	return nil
}

// bindName fills ${var} in tmpl from vars — lowercased, since identity
// names are — and checks the result is a valid name for typ.
func bindName(typ, tmpl string, vars map[string]string) (string, error) {
	name, err := interpolate(tmpl, vars)
	if err != nil {
		return "", fmt.Errorf("error interpreting template: %w", err)
	}
	valid := api.ValidACLIdentityName
	switch typ {
	case api.BindTypeRole:
		valid = api.ValidACLRoleName
	case api.BindTypePolicy:
		valid = api.ValidACLPolicyName
	}
	if !valid(name) {
		return "", fmt.Errorf("invalid bind name: %q", name)
	}
	return name, nil
}

// varRE is one ${name} in a bind name.
var varRE = regexp.MustCompile(`\$\{([^}]*)\}`)

// interpolate replaces each ${name} in tmpl with vars[name], lowercased;
// a name vars lacks is an error.
func interpolate(tmpl string, vars map[string]string) (string, error) {
	var missing string
	out := varRE.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := strings.TrimSpace(m[2 : len(m)-1])
		v, ok := vars[name]
		if !ok && missing == "" {
			missing = name
		}
		return strings.ToLower(v)
	})
	if missing != "" {
		return "", fmt.Errorf("unknown variable accessed: %s", missing)
	}
	if strings.Contains(out, "${") {
		return "", errors.New("unterminated ${ in template")
	}
	return out, nil
}

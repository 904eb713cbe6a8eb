package acl

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/concordhq/concord/api"
	"github.com/hashicorp/hcl"
	"github.com/hashicorp/hcl/hcl/ast"
	"github.com/hashicorp/hcl/hcl/scanner"
	"github.com/hashicorp/hcl/hcl/token"
)

// Bounds on a policy's rules, so that one stored policy cannot make every
// request that uses it slow or every server that compiles it short of
// memory. Consul has none; these are far above any hand-written policy.
const (
	// MaxRulesBytes bounds the length of a policy's rules text.
	MaxRulesBytes = 128 << 10
	// MaxRules bounds the number of rules in one policy.
	MaxRules = 2000
	// MaxNameBytes bounds the length of one rule's name (a key, a
	// service, a prefix).
	MaxNameBytes = 1024
)

// Access is a rule's policy: what it grants on the resources it matches.
// The levels are ordered: each grants what the ones below it grant, except
// Deny, which grants nothing.
type Access uint8

const (
	// noAccess is the absence of a rule: the default policy decides.
	noAccess Access = iota
	// Deny refuses everything, and wins over any other rule for the same
	// resource within a token.
	Deny
	// Read allows reading.
	Read
	// List allows reading and listing keys under a prefix; only key rules
	// take it.
	List
	// Write allows reading, listing and changing.
	Write
)

var accessNames = [...]string{noAccess: "", Deny: "deny", Read: "read", List: "list", Write: "write"}

func (a Access) String() string {
	if int(a) < len(accessNames) {
		return accessNames[a]
	}
	return fmt.Sprintf("Access(%d)", uint8(a))
}

// grants reports whether a rule with access a allows want (Read, List or
// Write): write implies list and read, list implies read.
func (a Access) grants(want Access) bool { return a != Deny && a >= want }

// merge is the access of two rules for the same resource in one token:
// deny wins, otherwise the wider grant.
func merge(a, b Access) Access {
	if a == Deny || b == Deny {
		return Deny
	}
	return max(a, b)
}

// Kind is what a rule governs, as rules name it.
type Kind uint8

// The rule kinds. The first seven take a name and come in an exact and a
// _prefix form; the last three are single settings (`operator = "read"`).
const (
	Key Kind = iota
	Node
	Service
	Session
	Event
	Query
	Agent
	Operator
	Keyring
	ACL
	numKinds
)

var kindNames = [numKinds]string{"key", "node", "service", "session", "event", "query", "agent", "operator", "keyring", "acl"}

func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// named reports whether rules of kind k take a name.
func (k Kind) named() bool { return k < Operator }

// Rule is one parsed rule.
type Rule struct {
	Kind   Kind
	Name   string // the key, node, service... or prefix; "" for operator, keyring, acl
	Prefix bool   // a _prefix rule: Name is a prefix
	Access Access
	// Intentions is a service rule's intentions policy: parsed and
	// checked, but not enforced, since Concord has no intentions.
	Intentions Access
}

// Policy is a parsed set of rules.
type Policy struct {
	Rules []Rule
}

// Parse parses a policy's rules, in Consul's HCL or in JSON (a text whose
// first character is '{'), as in:
//
//	key_prefix "" { policy = "read" }
//	key "app/config" { policy = "write" }
//	service_prefix "web" { policy = "write" intentions = "read" }
//	operator = "read"
//
// Named rules (key, node, service, session, event, query, agent and
// their _prefix forms) take a policy of read, write or deny, and key rules
// also list; operator, keyring and acl take read, write or deny. An
// unknown rule kind, field or policy is an error, an api.BadRequestError
// naming the problem and where it is. Empty rules are a policy that
// grants nothing.
func Parse(rules string) (p *Policy, err error) {
	if len(rules) > MaxRulesBytes {
		return nil, badRules("rules are %d bytes, over the limit of %d", len(rules), MaxRulesBytes)
	}
	// The HCL library panics on some malformed literals; such input is a
	// syntax error like any other.
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, badRules("cannot parse: %v", r)
		}
	}()
	// The JSON parser of the HCL library takes some invalid JSON, such as
	// a missing last brace.
	if strings.HasPrefix(strings.TrimSpace(rules), "{") && !json.Valid([]byte(rules)) {
		return nil, badRules("rules are not valid JSON")
	}
	file, err := hcl.ParseString(rules)
	if err != nil {
		return nil, badRules("%v", err)
	}
	list, ok := file.Node.(*ast.ObjectList)
	if !ok {
		return nil, badRules("rules must be a list of rules")
	}
	if last := lastToken(rules); last.Type == token.ASSIGN {
		return nil, badRules("%s: missing value after '='", at(last.Pos))
	}
	p = &Policy{}
	for _, item := range list.Items {
		keys, err := keyNames(item)
		if err != nil {
			return nil, err
		}
		if err := p.add(item.Pos(), keys[0], keys[1:], item.Val); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// badRules is a rules error, answered with HTTP 400.
func badRules(format string, args ...any) error {
	return api.BadRequestError{Reason: "acl: invalid rules: " + fmt.Sprintf(format, args...)}
}

func at(pos token.Pos) string { return fmt.Sprintf("line %d, column %d", pos.Line, pos.Column) }

// lastToken is the last token of src other than a comment: rules that end
// in `name =` have lost a value the HCL parser drops without a word.
func lastToken(src string) (last token.Token) {
	sc := scanner.New([]byte(src))
	sc.Error = func(token.Pos, string) {} // the parser has reported them
	for t := sc.Scan(); t.Type != token.EOF; t = sc.Scan() {
		if t.Type != token.COMMENT {
			last = t
		}
	}
	return last
}

// keyNames returns the item's keys as text: the rule kind, then its name.
func keyNames(item *ast.ObjectItem) ([]string, error) {
	if len(item.Keys) == 0 {
		return nil, badRules("%s: rule without a kind", at(item.Pos()))
	}
	out := make([]string, len(item.Keys))
	for i, k := range item.Keys {
		s, ok := k.Token.Value().(string)
		if !ok {
			return nil, badRules("%s: %q is not a name", at(k.Pos()), k.Token.Text)
		}
		out[i] = s
	}
	return out, nil
}

// add adds the rules of one item: `kind "name" { ... }` (names holds the
// name), `kind = { "name" = { ... } }` or JSON's `"kind": {"name": {...}}`
// and `"kind": [{"name": [{...}]}]` (names is empty), or `kind = "policy"`.
func (p *Policy) add(pos token.Pos, kindName string, names []string, val ast.Node) error {
	kind, prefix, ok := parseKind(kindName)
	if !ok {
		return badRules("%s: unknown rule kind %q", at(pos), kindName)
	}
	if !kind.named() {
		if len(names) > 0 {
			return badRules("%s: %s takes no name: write %s = \"<policy>\"", at(pos), kind, kind)
		}
		s, ok := stringValue(val)
		if !ok {
			return badRules("%s: %s must be a string policy, as %s = \"read\"", at(pos), kind, kind)
		}
		a, err := parseAccess(pos, kind, s)
		if err != nil {
			return err
		}
		return p.append(pos, Rule{Kind: kind, Access: a})
	}
	if len(names) > 1 {
		return badRules("%s: %s takes one name, not %d", at(pos), kindName, len(names))
	}
	objs, err := objects(pos, kindName, val)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		// A map from names to rule bodies.
		for _, obj := range objs {
			for _, item := range obj.List.Items {
				keys, err := keyNames(item)
				if err != nil {
					return err
				}
				if err := p.add(item.Pos(), kindName, keys, item.Val); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if len(names[0]) > MaxNameBytes {
		return badRules("%s: %s name is %d bytes, over the limit of %d", at(pos), kindName, len(names[0]), MaxNameBytes)
	}
	r := Rule{Kind: kind, Name: names[0], Prefix: prefix}
	for _, obj := range objs {
		if err := r.body(obj.List); err != nil {
			return err
		}
	}
	if r.Access == noAccess {
		return badRules("%s: %s %q has no policy", at(pos), kindName, r.Name)
	}
	return p.append(pos, r)
}

func (p *Policy) append(pos token.Pos, r Rule) error {
	if len(p.Rules) >= MaxRules {
		return badRules("%s: more than %d rules", at(pos), MaxRules)
	}
	p.Rules = append(p.Rules, r)
	return nil
}

// body reads a named rule's fields: policy, and intentions for services.
func (r *Rule) body(list *ast.ObjectList) error {
	for _, item := range list.Items {
		keys, err := keyNames(item)
		if err != nil {
			return err
		}
		field := keys[0]
		if len(keys) != 1 || (field != "policy" && (field != "intentions" || r.Kind != Service)) {
			return badRules("%s: unknown field %q in a %s rule", at(item.Pos()), strings.Join(keys, " "), r.Kind)
		}
		s, ok := stringValue(item.Val)
		if !ok {
			return badRules("%s: %s must be a string", at(item.Pos()), field)
		}
		if field == "intentions" {
			if r.Intentions, err = parseAccess(item.Pos(), r.Kind, s); err != nil {
				return err
			}
			continue
		}
		if r.Access, err = parseAccess(item.Pos(), r.Kind, s); err != nil {
			return err
		}
	}
	return nil
}

// objects returns the rule bodies of val: an object, or a list of them.
func objects(pos token.Pos, kindName string, val ast.Node) ([]*ast.ObjectType, error) {
	switch v := val.(type) {
	case *ast.ObjectType:
		return []*ast.ObjectType{v}, nil
	case *ast.ListType:
		out := make([]*ast.ObjectType, 0, len(v.List))
		for _, n := range v.List {
			obj, ok := n.(*ast.ObjectType)
			if !ok {
				return nil, badRules("%s: %s must be a block, as %s \"name\" { policy = \"read\" }", at(pos), kindName, kindName)
			}
			out = append(out, obj)
		}
		return out, nil
	}
	return nil, badRules("%s: %s must be a block, as %s \"name\" { policy = \"read\" }", at(pos), kindName, kindName)
}

func stringValue(val ast.Node) (string, bool) {
	lit, ok := val.(*ast.LiteralType)
	if !ok || (lit.Token.Type != token.STRING && lit.Token.Type != token.HEREDOC) {
		return "", false
	}
	s, ok := lit.Token.Value().(string)
	return s, ok
}

// parseKind maps a rule kind's name to its Kind and whether it is the
// _prefix form.
func parseKind(name string) (Kind, bool, bool) {
	base, prefix := strings.CutSuffix(name, "_prefix")
	for k := range numKinds {
		if kindNames[k] == base && (!prefix || k.named()) {
			return k, prefix, true
		}
	}
	return 0, false, false
}

func parseAccess(pos token.Pos, kind Kind, s string) (Access, error) {
	switch s {
	case "read":
		return Read, nil
	case "write":
		return Write, nil
	case "deny":
		return Deny, nil
	case "list":
		if kind == Key {
			return List, nil
		}
	}
	return noAccess, badRules("%s: invalid %s policy %q (want read, write or deny%s)", at(pos), kind, s, listHint(kind))
}

func listHint(kind Kind) string {
	if kind == Key {
		return ", or list"
	}
	return ""
}

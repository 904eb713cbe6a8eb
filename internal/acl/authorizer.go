package acl

import (
	"slices"
	"strings"
)

// Options are the settings of compiled authorizers that come from the
// agent's acl config rather than from policies.
type Options struct {
	// DefaultAllow allows what no rule decides (default_policy = "allow");
	// the zero value denies it. It never opens the acl rules: ACL
	// management needs an acl rule or the management policy, as in Consul.
	DefaultAllow bool
	// KeyListPolicy makes recursive KV reads and key listings need list
	// on their prefix (Consul's acl.enable_key_list_policy); without it
	// they are let through and their results filtered key by key.
	KeyListPolicy bool
}

// Authorizer decides what one token may do: the merged rules of its
// policies over a default. It is immutable and safe for concurrent use;
// one Authorizer serves every token with the same policies (see Cache).
type Authorizer struct {
	manage bool // the management policy: everything is allowed
	opts   Options
	named  [Operator]table  // rules of the named kinds, by Kind
	single [numKinds]Access // operator, keyring and acl rules, by Kind
}

// table holds the rules of one named kind.
type table struct {
	exact  map[string]Access
	prefix map[string]Access
	lens   []int // the lengths of the prefixes in prefix, longest first
}

// Manage returns the authorizer of the management policy, which allows
// everything.
func Manage() *Authorizer { return &Authorizer{manage: true} }

// Compile merges the rules of a token's policies into one Authorizer.
// Within the token, rules for the same resource (the same kind, name and
// exactness) merge: deny wins over any grant, and otherwise the wider
// grant wins. An exact rule decides over prefix rules for its name, and
// the longest matching prefix decides over shorter ones, whatever the
// policy they come from. Where no rule matches, opts.DefaultAllow decides.
func Compile(policies []*Policy, opts Options) *Authorizer {
	a := &Authorizer{opts: opts}
	for _, p := range policies {
		if p == nil {
			continue
		}
		for _, r := range p.Rules {
			a.add(r)
		}
	}
	for k := range a.named {
		t := &a.named[k]
		for p := range t.prefix {
			if !slices.Contains(t.lens, len(p)) {
				t.lens = append(t.lens, len(p))
			}
		}
		slices.Sort(t.lens)
		slices.Reverse(t.lens)
	}
	return a
}

func (a *Authorizer) add(r Rule) {
	if r.Kind >= numKinds || r.Access == noAccess {
		return
	}
	if !r.Kind.named() {
		a.single[r.Kind] = merge(a.single[r.Kind], r.Access)
		return
	}
	t := &a.named[r.Kind]
	m := &t.exact
	if r.Prefix {
		m = &t.prefix
	}
	if *m == nil {
		*m = map[string]Access{}
	}
	(*m)[r.Name] = merge((*m)[r.Name], r.Access)
}

// lookup returns the access of the rule that decides for name: the exact
// rule, else the longest prefix rule, else noAccess.
func (t *table) lookup(name string) Access {
	if a, ok := t.exact[name]; ok {
		return a
	}
	return t.longestPrefix(name)
}

// longestPrefix returns the access of the longest prefix rule that
// matches name, or noAccess.
func (t *table) longestPrefix(name string) Access {
	for _, n := range t.lens {
		if n <= len(name) {
			if a, ok := t.prefix[name[:n]]; ok {
				return a
			}
		}
	}
	return noAccess
}

// Allowed reports whether the token may have want (Read, List or Write)
// on the resource of kind k named name ("" for operator, keyring and
// acl). Write implies list and read; list implies read.
func (a *Authorizer) Allowed(k Kind, name string, want Access) bool {
	if a.manage {
		return true
	}
	var got Access
	switch {
	case k.named():
		got = a.named[k].lookup(name)
	case k < numKinds:
		got = a.single[k]
	default:
		return false
	}
	if got == noAccess {
		return a.opts.DefaultAllow && k != ACL
	}
	return got.grants(want)
}

// KeyWritePrefix reports whether the token may write every key under
// prefix, as a recursive delete does: the rule that decides for the
// prefix itself must allow write (or, with no such rule, the default),
// and no rule for a key or prefix under it may grant less than write.
func (a *Authorizer) KeyWritePrefix(prefix string) bool {
	if a.manage {
		return true
	}
	t := &a.named[Key]
	for _, m := range []map[string]Access{t.exact, t.prefix} {
		for name, got := range m {
			if strings.HasPrefix(name, prefix) && got != Write {
				return false
			}
		}
	}
	if got := t.longestPrefix(prefix); got != noAccess {
		return got == Write
	}
	return a.opts.DefaultAllow
}

// IsManagement reports whether a is the management authorizer.
func (a *Authorizer) IsManagement() bool { return a.manage }

package dns

import "strings"

// form is the shape of a name in our domain.
type form uint8

const (
	formUnknown form = iota // no shape we know: NXDOMAIN
	formApex                // the domain itself
	formNS                  // ns.<domain>, the name our NS record gives
	formNode                // <node>.node[.<dc>]
	formService             // [<tag>.]<service>.service[.<dc>] and RFC 2782
	formAddr                // <hex-ip>.addr[.<dc>]
	formQuery               // <query-id-or-name>.query[.<dc>]
)

// zone holds the names built from one of our domains, once, so that
// answers need not build them per query.
type zone struct {
	domain     string // lower case, with the final dot: "consul."
	nodeSuffix string // ".node.<dc>.<domain>"
	addrSuffix string // ".addr.<dc>.<domain>"
	ns         string // "ns.<domain>", our name server
	hostmaster string // "hostmaster.<domain>", the SOA mailbox
}

func newZone(domain, dc string) *zone {
	return &zone{
		domain:     domain,
		nodeSuffix: ".node." + dc + "." + domain,
		addrSuffix: ".addr." + dc + "." + domain,
		ns:         "ns." + domain,
		hostmaster: "hostmaster." + domain,
	}
}

// query is a name of our domain taken apart. Its strings are slices of the
// name given to parseName.
type query struct {
	form   form
	name   string // node or service name, or hex address
	tag    string // service tag; "" for none
	dc     string // datacenter label; "" when the name has none
	domain string // the zone the name is in: Domain or AltDomain
}

// parseName takes apart name, a lower-case FQDN, if it lies in domain or
// alt (lower-case FQDNs; alt may be ""). ok is false when it lies in
// neither. It allocates nothing.
func parseName(name, domain, alt string) (q query, ok bool) {
	// Try the longer zone first, in case one holds the other.
	first, second := domain, alt
	if len(alt) > len(domain) {
		first, second = alt, domain
	}
	switch {
	case inZone(name, first):
		q.domain = first
	case second != "" && inZone(name, second):
		q.domain = second
	default:
		return query{}, false
	}
	rel := strings.TrimSuffix(name[:len(name)-len(q.domain)], ".")
	switch {
	case rel == "":
		q.form = formApex
		return q, true
	case rel == "ns":
		q.form = formNS
		return q, true
	case strings.IndexByte(rel, '\\') >= 0:
		// Escaped bytes never occur in node or service names; and an
		// escaped dot would make the labels below lie.
		return q, true
	}

	// The form label is the last one, or the one before a datacenter.
	rest, last := cutLast(rel)
	if f := formOf(last); f != formUnknown {
		return parts(q, f, rest), true
	}
	if rest != "" {
		prefix, prev := cutLast(rest)
		if f := formOf(prev); f != formUnknown {
			q.dc = last
			return parts(q, f, prefix), true
		}
	}

	// RFC 2782 without the service label: _<service>._<tag>[.<dc>].
	if strings.Count(rel, ".") == 2 {
		rel, q.dc = cutLast(rel)
	}
	if svc, tag, ok := rfc2782(rel); ok {
		q.form, q.name, q.tag = formService, svc, tag
	}
	return q, true
}

// inZone reports whether name is zone or a name below it.
func inZone(name, zone string) bool {
	if !strings.HasSuffix(name, zone) {
		return false
	}
	i := len(name) - len(zone) - 1 // the dot before zone
	if i < 0 {
		return true // name == zone
	}
	return name[i] == '.' && !escaped(name, i)
}

// escaped reports whether the byte at i follows an odd run of backslashes.
func escaped(s string, i int) bool {
	n := 0
	for i--; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// cutLast splits s before its last label: "a.b.c" gives "a.b" and "c".
func cutLast(s string) (rest, last string) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return "", s
	}
	return s[:i], s[i+1:]
}

func formOf(label string) form {
	switch label {
	case "node":
		return formNode
	case "service":
		return formService
	case "addr":
		return formAddr
	case "query":
		return formQuery
	}
	return formUnknown
}

// parts fills q from prefix, the labels before the form label; q's form
// stays unknown when they do not fit f.
func parts(q query, f form, prefix string) query {
	if prefix == "" {
		return q
	}
	switch f {
	case formNode, formQuery:
		q.name = prefix
	case formAddr:
		if strings.IndexByte(prefix, '.') >= 0 {
			return q
		}
		q.name = prefix
	case formService:
		if svc, tag, ok := rfc2782(prefix); ok {
			q.name, q.tag = svc, tag
			break
		}
		q.tag, q.name = cutLast(prefix)
		if q.name == "" {
			return q
		}
	}
	q.form = f
	return q
}

// rfc2782 splits "_<service>._<tag>"; a tag of tcp or udp means none.
func rfc2782(s string) (svc, tag string, ok bool) {
	svc, tag, ok = strings.Cut(s, ".")
	if !ok || len(svc) < 2 || len(tag) < 2 || svc[0] != '_' || tag[0] != '_' || strings.IndexByte(tag, '.') >= 0 {
		return "", "", false
	}
	svc, tag = svc[1:], tag[1:]
	if tag == "tcp" || tag == "udp" {
		tag = ""
	}
	return svc, tag, true
}

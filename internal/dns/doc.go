// Package dns is Concord's DNS interface: it answers Consul-style names for
// nodes and healthy service instances over UDP and TCP, with
// github.com/miekg/dns doing the wire work.
//
// The names it knows, under Config.Domain (or Config.AltDomain, whose
// answers then use that domain), with an optional datacenter label: names
// of another datacenter than Config.Datacenter are answered from there
// (the Catalog takes the datacenter; one it has no path to is NXDOMAIN,
// as in Consul), except addr names, which need no catalog:
//
//	<node>.node[.<dc>].<domain>                 A/AAAA, TXT from node meta
//	[<tag>.]<service>.service[.<dc>].<domain>   A/AAAA (or CNAME), SRV
//	_<service>._<tag|tcp|udp>[.service][.<dc>].<domain>   as above (RFC 2782)
//	<hex-ip>.addr[.<dc>].<domain>               A (8 hex digits), AAAA (32)
//	<query-id-or-name>.query[.<dc>].<domain>    as a service, from a prepared query
//	<domain>                                    SOA, NS
//	<reversed-ip>.in-addr.arpa / ip6.arpa       PTR to <node>.node.<dc>.<domain>
//
// Names are matched without regard to case. Any other name is forwarded to
// Config.Recursors, or refused when there are none.
//
// The path of one query:
//
//  1. miekg/dns reads a packet (UDP) or a framed message (TCP), drops or
//     answers FORMERR to what it cannot parse, and calls [Server.ServeDNS]
//     in a goroutine of its own. Only the first question is answered.
//     A source past Config.QueryRatePerSource is answered REFUSED there
//     (ratelimit.go), before any other work.
//  2. ServeDNS finds the zone of the name: our domain, the alternative
//     domain, the reverse zones, or elsewhere. Names elsewhere, and
//     reverse names no node has, go to the recursors (recurse.go), whose
//     answer is sent back as it is.
//  3. parseName splits a name of our domain into a query: its form (node,
//     service, addr, apex), name, tag and datacenter. It allocates nothing.
//  4. The answer for the form is built from the [Catalog] (node.go,
//     service.go, addr.go, ptr.go, soa.go), under one context that bounds
//     every catalog call of the query. Errors become an rcode in one place,
//     rcodeFor: an unknown name NXDOMAIN, anything else SERVFAIL.
//     Negative answers (NXDOMAIN, or no record of the asked type) carry the
//     SOA in the authority section.
//  5. size.go fits the reply to the transport: over UDP at most
//     Config.UDPAnswerLimit address records for a client without EDNS0
//     (this limit is applied while building the answer), and no more
//     bytes than the client takes (512, or its EDNS0 size, echoed in an
//     OPT record); over TCP up to 64 KiB. SRV answers are cut with their
//     additional records. The reply is packed, always compressed, and
//     written.
//
// A panic while answering is recovered and answered SERVFAIL, so that bad
// input or a faulty Catalog cannot stop the server.
package dns

package dns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/concordhq/concord/api"
)

// Catalog is what the DNS server reads. The agent implements it over its
// server, with stale reads allowed so that DNS stays fast.
//
// The server calls it from the goroutine of each query, so calls run
// concurrently. Each call gets a context that ends when the query gives up.
// The server never modifies what a call returns, so an implementation may
// hand out values it shares with others.
type Catalog interface {
	// ServiceEntries returns the instances of service that carry every
	// tag (the names in lower case, to be matched without regard to case),
	// with their node and their checks (the node's own and the
	// instance's), whatever their state: the server filters on health.
	// Unknown services give no entries and no error. dc names the
	// datacenter to read, "" for the agent's own; one the agent has no
	// path to is api.ErrUnknownDC (an unknown name, NXDOMAIN).
	ServiceEntries(ctx context.Context, dc, service string, tags []string) ([]*api.ServiceEntry, error)
	// Node returns the node of that name (lower case, to be matched
	// without regard to case) in datacenter dc, as ServiceEntries takes
	// it, or nil when there is none.
	Node(ctx context.Context, dc, name string) (*api.Node, error)
	// Nodes returns every node of the agent's datacenter; reverse (PTR)
	// lookups scan them.
	Nodes(ctx context.Context) ([]*api.Node, error)
}

// catalogTimeout bounds the catalog calls made for one query, so that a
// query never waits longer than a resolver waits for its answer.
const catalogTimeout = 2 * time.Second

// udpReadSize is the largest UDP query read; longer ones are cut and fail
// to parse.
const udpReadSize = 4096

// errNoName marks a name we are authoritative for but do not know: the
// answer is NXDOMAIN.
var errNoName = errors.New("dns: no such name")

// Server answers DNS queries over UDP and TCP on one port.
type Server struct {
	cfg     Config         // validated; Recursors as host:port
	cat     Catalog        // non-nil
	log     *slog.Logger   // non-nil
	primary *zone          // Config.Domain; non-nil
	alt     *zone          // Config.AltDomain, or nil
	dc      string         // Config.Datacenter in lower case
	nsAddr  netip.Addr     // the address ns.<domain> has; invalid when bound to all addresses
	fwd     forwarder      // asks Config.Recursors
	limiter *sourceLimiter // Config.QueryRatePerSource, or nil for none

	udp, tcp *mdns.Server
	addr     string // the bound host:port

	shutdownOnce sync.Once
	shutdownErr  error // set once by Shutdown
}

// New binds UDP and TCP on cfg.Addr (the same port for both) and starts
// serving queries answered from cat.
func New(cfg Config, cat Catalog) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cat == nil {
		return nil, errors.New("dns: catalog is nil")
	}
	recursors := make([]string, len(cfg.Recursors))
	for i, r := range cfg.Recursors {
		recursors[i], _ = recursorAddr(r) // Validate checked them
	}
	cfg.Recursors = recursors
	dc := strings.ToLower(cfg.Datacenter)
	s := &Server{
		cfg:     cfg,
		cat:     cat,
		log:     cfg.Logger,
		primary: newZone(canonical(cfg.Domain), dc),
		dc:      dc,
		fwd:     newForwarder(recursors, cfg.RecursorTimeout),
	}
	if cfg.AltDomain != "" {
		s.alt = newZone(canonical(cfg.AltDomain), dc)
	}
	if cfg.QueryRatePerSource > 0 {
		s.limiter = newSourceLimiter(cfg.QueryRatePerSource, time.Now)
	}

	pc, ln, err := listen(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("dns: cannot listen on %s: %w", cfg.Addr, err)
	}
	bound := pc.LocalAddr().(*net.UDPAddr)
	s.addr = bound.String()
	if ip, ok := netip.AddrFromSlice(bound.IP); ok && !ip.IsUnspecified() {
		s.nsAddr = ip.Unmap()
	}
	s.udp = &mdns.Server{PacketConn: pc, Handler: s, UDPSize: udpReadSize, MsgAcceptFunc: acceptMsg}
	s.tcp = &mdns.Server{Listener: ln, Handler: s, MsgAcceptFunc: acceptMsg}
	if err := s.start(s.udp, "udp"); err != nil {
		pc.Close()
		ln.Close()
		return nil, err
	}
	if err := s.start(s.tcp, "tcp"); err != nil {
		ln.Close()
		s.udp.Shutdown()
		return nil, err
	}
	return s, nil
}

// listen binds UDP on addr, then TCP on the port UDP got. When addr asks
// for any free port and TCP's is taken, it tries another.
func listen(addr string) (net.PacketConn, net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, err
	}
	for range 10 {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, err
		}
		bound := pc.LocalAddr().(*net.UDPAddr)
		tcpHost := host
		if !bound.IP.IsUnspecified() {
			tcpHost = bound.IP.String()
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(tcpHost, strconv.Itoa(bound.Port)))
		if err == nil {
			return pc, ln, nil
		}
		pc.Close()
		if port != "0" {
			return nil, nil, err
		}
	}
	return nil, nil, errors.New("no port free for both UDP and TCP")
}

// start runs srv in a goroutine and returns once it serves.
func (s *Server) start(srv *mdns.Server, network string) error {
	started := make(chan struct{})
	failed := make(chan error, 1)
	srv.NotifyStartedFunc = func() { close(started) }
	go func() {
		if err := srv.ActivateAndServe(); err != nil {
			s.log.Error("dns: server stopped", "net", network, "error", err)
			failed <- err
		}
	}()
	select {
	case <-started:
		return nil
	case err := <-failed:
		return fmt.Errorf("dns: cannot serve %s: %w", network, err)
	}
}

// acceptMsg lets through queries with at least one question (the first
// is answered, the others ignored); miekg's default wants exactly one.
// Responses are dropped, other opcodes answered NOTIMP, and messages with
// records a query never carries answered FORMERR.
func acceptMsg(h mdns.Header) mdns.MsgAcceptAction {
	const qrBit = 1 << 15
	if h.Bits&qrBit != 0 {
		return mdns.MsgIgnore
	}
	if opcode := int(h.Bits>>11) & 0xF; opcode != mdns.OpcodeQuery {
		return mdns.MsgRejectNotImplemented
	}
	if h.Qdcount == 0 || h.Ancount > 1 || h.Nscount > 1 || h.Arcount > 2 {
		return mdns.MsgReject
	}
	return mdns.MsgAccept
}

// Addr returns the address the server listens on, for UDP and TCP.
func (s *Server) Addr() string { return s.addr }

// Shutdown stops both listeners and waits, until ctx is done, for the
// queries being answered. Later calls return the first call's result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() {
		s.shutdownErr = errors.Join(s.udp.ShutdownContext(ctx), s.tcp.ShutdownContext(ctx))
	})
	return s.shutdownErr
}

// request is what the answer to one question depends on, besides its name.
type request struct {
	name   string    // the question's name as asked: the owner of answers
	qtype  uint16    // the question's type
	zone   *zone     // the zone of ours the name is in; nil when not answering from the catalog
	size   int       // the most bytes the reply may take, OPT record aside
	opt    *mdns.OPT // to add to the reply, or nil
	limit  int       // the most address records to answer; 0 for no limit
	client string    // the asking client's IP address: a prepared query's Near "_ip"
	cut    bool      // set when limit left records out
	full   bool      // set when records were left out for size

	// srvEnds[i] is len(Extra) once the records of SRV answer i are in,
	// so that size.go can drop answers with their additional records.
	srvEnds []int
}

// bufPool holds buffers to pack replies in. miekg/dns packs in a buffer
// no shorter than the uncompressed reply, so these take any reply to a
// client with an EDNS0 buffer of 4096 bytes or less.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 16<<10); return &b }}

// ServeDNS answers r on w. miekg/dns calls it in a goroutine per query.
func (s *Server) ServeDNS(w mdns.ResponseWriter, r *mdns.Msg) {
	_, udp := w.RemoteAddr().(*net.UDPAddr)
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	if s.limiter != nil && !s.limiter.allow(w.RemoteAddr()) {
		if out, err := failure(r, mdns.RcodeRefused).PackBuffer(*buf); err == nil {
			w.Write(out)
		}
		return
	}
	if out := s.respond(r, udp, clientIP(w.RemoteAddr()), *buf); out != nil {
		w.Write(out)
	}
}

// clientIP is the IP address of a client's network address, "" if none.
func clientIP(addr net.Addr) string {
	switch a := addr.(type) {
	case *net.UDPAddr:
		return a.IP.String()
	case *net.TCPAddr:
		return a.IP.String()
	}
	return ""
}

// respond returns the reply to r packed, in buf when it fits. A panic
// while building it, or a reply that does not pack, gives SERVFAIL.
func (s *Server) respond(r *mdns.Msg, udp bool, client string, buf []byte) (out []byte) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("dns: panic answering query", "question", questionOf(r), "panic", p)
			out, _ = failure(r, mdns.RcodeServerFailure).PackBuffer(buf)
		}
	}()
	req := request{client: client}
	m := s.reply(r, udp, &req)
	out, err := s.pack(m, &req, buf)
	if err != nil {
		// A name from the catalog that does not fit in DNS, say.
		s.log.Warn("dns: cannot pack answer", "question", questionOf(r), "error", err)
		out, _ = failure(r, mdns.RcodeServerFailure).PackBuffer(buf)
	}
	return out
}

// reply returns the answer to r: from the catalog for names of our zones,
// filling req, else from the recursors.
func (s *Server) reply(r *mdns.Msg, udp bool, req *request) *mdns.Msg {
	if len(r.Question) == 0 {
		return failure(r, mdns.RcodeFormatError)
	}
	q := r.Question[0]
	if r.Opcode != mdns.OpcodeQuery || q.Qtype == mdns.TypeAXFR || q.Qtype == mdns.TypeIXFR {
		return failure(r, mdns.RcodeNotImplemented)
	}
	name := strings.ToLower(q.Name)
	pq, ours := s.parseName(name)
	ip, reverse := netip.Addr{}, false
	z := s.primary // PTR targets are in the primary domain
	if ours {
		z = s.zoneOf(pq)
	} else if ip, reverse = parseReverse(name); !reverse {
		return s.forward(r, udp)
	}

	m := new(mdns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	m.RecursionAvailable = s.fwd.enabled()
	*req = request{name: q.Name, qtype: q.Qtype, zone: z, client: req.client}
	s.budget(r, udp, req)

	ctx, cancel := context.WithTimeout(context.Background(), catalogTimeout)
	defer cancel()
	var err error
	if reverse {
		err = s.servePTR(ctx, req, ip, m)
		if errors.Is(err, errNoName) && s.fwd.enabled() {
			*req = request{}
			return s.forward(r, udp)
		}
	} else {
		err = s.serve(ctx, req, pq, m)
	}
	m.Rcode = rcodeFor(err)
	if m.Rcode == mdns.RcodeServerFailure {
		s.log.Warn("dns: cannot answer", "question", questionOf(r), "error", err)
	}
	if m.Rcode == mdns.RcodeNameError || (m.Rcode == mdns.RcodeSuccess && len(m.Answer) == 0) {
		m.Ns = append(m.Ns, z.soa())
	}
	return m
}

// serve answers a name of our domain by its form.
func (s *Server) serve(ctx context.Context, req *request, pq query, m *mdns.Msg) error {
	dc := s.remoteDC(pq.dc)
	if dc != "" {
		// Targets of SRV answers name the datacenter that answered.
		req.zone = newZone(req.zone.domain, dc)
	}
	switch pq.form {
	case formApex:
		return s.serveApex(req, m)
	case formNS:
		return s.serveNSHost(req, m)
	case formNode:
		return s.serveNode(ctx, req, dc, pq.name, m)
	case formService:
		return s.serveService(ctx, req, dc, pq.name, pq.tag, m)
	case formAddr:
		return s.serveAddr(req, pq.name, m)
	case formQuery:
		return s.serveQuery(ctx, req, dc, pq.name, m)
	}
	return errNoName
}

// remoteDC returns label, a name's datacenter label, when it names
// another datacenter than ours, else "".
func (s *Server) remoteDC(label string) string {
	if label == s.dc {
		return ""
	}
	return label
}

// parseName is parseName over our zones.
func (s *Server) parseName(name string) (query, bool) {
	alt := ""
	if s.alt != nil {
		alt = s.alt.domain
	}
	return parseName(name, s.primary.domain, alt)
}

// zoneOf returns the zone pq was found in.
func (s *Server) zoneOf(pq query) *zone {
	if s.alt != nil && pq.domain == s.alt.domain {
		return s.alt
	}
	return s.primary
}

// rcodeFor maps the error of an answer to its rcode: the one place that
// decides it.
func rcodeFor(err error) int {
	switch {
	case err == nil:
		return mdns.RcodeSuccess
	case errors.Is(err, errNoName), errors.Is(err, api.ErrUnknownDC):
		// A datacenter we have no path to is an unknown name, as in
		// Consul.
		return mdns.RcodeNameError
	}
	return mdns.RcodeServerFailure
}

// failure returns a reply to r with rcode and nothing else but, when r had
// one, an OPT record.
func failure(r *mdns.Msg, rcode int) *mdns.Msg {
	m := new(mdns.Msg)
	m.SetRcode(r, rcode)
	if opt := r.IsEdns0(); opt != nil {
		m.SetEdns0(max(opt.UDPSize(), mdns.MinMsgSize), false)
	}
	return m
}

// questionOf describes r's question for the log.
func questionOf(r *mdns.Msg) string {
	if len(r.Question) == 0 {
		return ""
	}
	q := r.Question[0]
	return q.Name + " " + mdns.Type(q.Qtype).String()
}

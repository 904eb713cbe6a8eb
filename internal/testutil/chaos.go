package testutil

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"
)

// FaultMode is how a cut between two servers behaves.
type FaultMode int

const (
	// Refuse closes the pair's open connections and refuses new ones: the
	// peers see errors at once, as after a reset.
	Refuse FaultMode = iota + 1
	// Blackhole holds the pair's traffic: open connections stop moving
	// data and new ones are accepted but carry nothing, until the cut
	// heals and the held bytes flow again (or a peer gives up on them), as
	// when packets are dropped and later retransmitted.
	Blackhole
)

func (m FaultMode) String() string {
	switch m {
	case Refuse:
		return "refuse"
	case Blackhole:
		return "blackhole"
	}
	return "mode(" + strconv.Itoa(int(m)) + ")"
}

// ProxiedCluster is a Cluster of servers whose Raft and RPC traffic between
// each other passes through proxies in the test process, so a test can cut
// chosen pairs of servers apart. Server i binds 127.0.0.(i+1) and
// advertises its proxy's port (ports.server_advertise), so every server
// dials its peers through their proxies, from its own address, and each
// proxy knows which server is calling. Gossip (serf) does not go through
// the proxies: a cut server still looks alive to the others' failure
// detectors; only Raft and RPC are cut.
type ProxiedCluster struct {
	*Cluster
	servers int
	proxies []*faultProxy // proxies[i] fronts Servers()[i]

	mu      sync.Mutex
	cuts    map[[2]int]FaultMode // guarded by mu; key is {low, high} server index
	changed chan struct{}        // guarded by mu; closed and replaced on every change
}

// StartProxiedCluster starts servers servers (bootstrap_expect = servers,
// at most 9) behind fault proxies, with extra added to every agent's flags,
// and waits until each sees a leader. Servers have no client agents; their
// HTTP APIs listen on 127.0.0.1.
func StartProxiedCluster(t testing.TB, binary string, servers int, extra ...string) *ProxiedCluster {
	t.Helper()
	if servers < 1 || servers > 9 {
		t.Fatalf("StartProxiedCluster: %d servers, want 1 to 9", servers)
	}
	pc := &ProxiedCluster{
		Cluster: &Cluster{t: t, binary: binary, extra: extra},
		servers: servers,
		cuts:    make(map[[2]int]FaultMode),
		changed: make(chan struct{}),
	}
	var firstSerf string
	for i := range servers {
		ip := serverIP(i)
		httpPort, serverPort, serfPort := FreePort(t), FreePort(t), FreePort(t)
		proxy, err := newFaultProxy(pc, i, net.JoinHostPort(ip, strconv.Itoa(serverPort)))
		if err != nil {
			t.Fatalf("cannot start the proxy for server %d: %v", i+1, err)
		}
		t.Cleanup(proxy.close)
		pc.proxies = append(pc.proxies, proxy)
		n := &Node{
			c: pc.Cluster, Server: true, Name: fmt.Sprintf("s%d", i+1), DataDir: t.TempDir(),
			HTTPAddr: "127.0.0.1:" + strconv.Itoa(httpPort),
			RaftAddr: proxy.ln.Addr().String(), // what peers dial and /v1/status/leader shows
			SerfAddr: net.JoinHostPort(ip, strconv.Itoa(serfPort)),
		}
		if firstSerf == "" {
			firstSerf = n.SerfAddr
		}
		n.args = append(nodeArgs(n, ip, httpPort, serverPort, serfPort, firstSerf),
			"-hcl=ports { server_advertise = "+strconv.Itoa(proxy.port())+" }",
			"-server", "-bootstrap-expect="+strconv.Itoa(servers))
		n.args = append(n.args, extra...)
		pc.Nodes = append(pc.Nodes, n)
	}
	pc.start(t)
	return pc
}

// serverIP is the loopback address server i binds.
func serverIP(i int) string { return "127.0.0." + strconv.Itoa(i+1) }

// serverIndex is the index of the server bound to ip, or -1.
func serverIndex(ip net.IP, servers int) int {
	ip4 := ip.To4()
	if ip4 == nil || ip4[0] != 127 || ip4[1] != 0 || ip4[2] != 0 || int(ip4[3]) < 1 || int(ip4[3]) > servers {
		return -1
	}
	return int(ip4[3]) - 1
}

// Isolate cuts n off from every other server.
func (c *ProxiedCluster) Isolate(n *Node, mode FaultMode) {
	var rest []*Node
	for _, s := range c.Servers() {
		if s != n {
			rest = append(rest, s)
		}
	}
	c.Partition([]*Node{n}, rest, mode)
}

// Partition cuts every server in a from every server in b, in mode; cuts
// made before stay.
func (c *ProxiedCluster) Partition(a, b []*Node, mode FaultMode) {
	c.mu.Lock()
	for _, x := range a {
		for _, y := range b {
			i, j := c.index(x), c.index(y)
			c.cuts[[2]int{min(i, j), max(i, j)}] = mode
		}
	}
	c.notifyLocked()
	c.mu.Unlock()
	if mode == Refuse {
		for _, p := range c.proxies {
			p.dropRefused()
		}
	}
}

// Heal removes every cut; held traffic flows again.
func (c *ProxiedCluster) Heal() {
	c.mu.Lock()
	clear(c.cuts)
	c.notifyLocked()
	c.mu.Unlock()
}

func (c *ProxiedCluster) index(n *Node) int {
	for i, s := range c.Nodes {
		if s == n {
			return i
		}
	}
	panic("testutil: node " + n.Name + " is not in this cluster")
}

func (c *ProxiedCluster) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// state says how traffic between servers i and j is treated now (0: it
// flows), and returns a channel closed at the next change.
func (c *ProxiedCluster) state(i, j int) (FaultMode, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i < 0 || j < 0 || i == j {
		return 0, c.changed
	}
	return c.cuts[[2]int{min(i, j), max(i, j)}], c.changed
}

// faultProxy forwards connections to one server's Raft/RPC port, subject
// to the cluster's cuts between the caller and that server.
type faultProxy struct {
	c      *ProxiedCluster
	index  int    // the server it fronts
	target string // that server's real host:port
	ln     net.Listener
	done   chan struct{} // closed by close

	mu    sync.Mutex
	links map[*proxyLink]struct{} // guarded by mu
}

// proxyLink is one proxied connection: from the caller to the proxy (in)
// and from the proxy to the server (out).
type proxyLink struct {
	from    int // index of the calling server, -1 when unknown
	in, out net.Conn
	once    sync.Once
}

func (l *proxyLink) close() {
	l.once.Do(func() {
		l.in.Close()
		l.out.Close()
	})
}

func newFaultProxy(c *ProxiedCluster, index int, target string) (*faultProxy, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(serverIP(index), "0"))
	if err != nil {
		return nil, err
	}
	p := &faultProxy{c: c, index: index, target: target, ln: ln, done: make(chan struct{}),
		links: make(map[*proxyLink]struct{})}
	go p.serve()
	return p, nil
}

func (p *faultProxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func (p *faultProxy) serve() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(in)
	}
}

func (p *faultProxy) handle(in net.Conn) {
	from := serverIndex(in.RemoteAddr().(*net.TCPAddr).IP, p.c.servers)
	if mode, _ := p.c.state(from, p.index); mode == Refuse {
		in.Close()
		return
	}
	out, err := net.DialTimeout("tcp", p.target, 2*time.Second)
	if err != nil { // the server is down: the caller sees a reset
		in.Close()
		return
	}
	l := &proxyLink{from: from, in: in, out: out}
	p.mu.Lock()
	select {
	case <-p.done:
		p.mu.Unlock()
		l.close()
		return
	default:
	}
	p.links[l] = struct{}{}
	p.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pipe(l, in, out) }()
	go func() { defer wg.Done(); p.pipe(l, out, in) }()
	wg.Wait()
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
}

// pipe copies src to dst, holding each chunk while the link's pair is
// blackholed; it closes the link when either side ends or the pair is
// refused.
func (p *faultProxy) pipe(l *proxyLink, src, dst net.Conn) {
	defer l.close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.pass(l.from) {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil { // EOF or a closed link: either way this direction is done
			return
		}
	}
}

// pass waits while traffic between from and this proxy's server is
// blackholed, and reports whether it may flow (false: refused, or the
// proxy is closing).
func (p *faultProxy) pass(from int) bool {
	for {
		mode, changed := p.c.state(from, p.index)
		switch mode {
		case 0:
			return true
		case Refuse:
			return false
		}
		select {
		case <-changed:
		case <-p.done:
			return false
		}
	}
}

// dropRefused closes the links whose pair is now refused.
func (p *faultProxy) dropRefused() {
	p.mu.Lock()
	var drop []*proxyLink
	for l := range p.links {
		if mode, _ := p.c.state(l.from, p.index); mode == Refuse {
			drop = append(drop, l)
		}
	}
	p.mu.Unlock()
	for _, l := range drop {
		l.close()
	}
}

func (p *faultProxy) close() {
	p.mu.Lock()
	close(p.done)
	links := make([]*proxyLink, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	p.mu.Unlock()
	p.ln.Close()
	for _, l := range links {
		l.close()
	}
}

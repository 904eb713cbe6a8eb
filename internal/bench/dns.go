package bench

import (
	"fmt"
	"time"

	"github.com/miekg/dns"
)

// dnsConn is one worker's UDP socket to the DNS server.
type dnsConn struct {
	conn *dns.Conn
	msg  dns.Msg // the query, reused with a new ID each time
}

func startDNS(w *worker) error {
	c, err := dns.DialTimeout("udp", w.cfg.DNSAddr, ioTimeout)
	if err != nil {
		return fmt.Errorf("cannot reach DNS at %s: %w", w.cfg.DNSAddr, err)
	}
	w.dns = &dnsConn{conn: c}
	w.dns.msg.SetQuestion(serviceName+".service.consul.", dns.TypeA)
	return nil
}

func stopDNS(w *worker) {
	if w.dns != nil {
		w.dns.conn.Close()
	}
}

// doDNS asks for the A records of serviceName and wants at least one.
func doDNS(w *worker, n int64) error {
	d := w.dns
	d.msg.Id = dns.Id()
	d.conn.SetDeadline(time.Now().Add(2 * time.Second))
	if err := d.conn.WriteMsg(&d.msg); err != nil {
		return fmt.Errorf("DNS query: %w", err)
	}
	for {
		reply, err := d.conn.ReadMsg()
		if err != nil {
			return fmt.Errorf("DNS query: %w", err)
		}
		if reply.Id != d.msg.Id {
			continue // a late answer to an earlier, timed-out query
		}
		if reply.Rcode != dns.RcodeSuccess || len(reply.Answer) == 0 {
			return fmt.Errorf("DNS %s: rcode %s, %d answers", d.msg.Question[0].Name,
				dns.RcodeToString[reply.Rcode], len(reply.Answer))
		}
		return nil
	}
}

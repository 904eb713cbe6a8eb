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

// startDNS returns the start of a dns op: it opens the worker's socket
// and sets the question, serviceName's records of type qtype.
func startDNS(qtype uint16) func(w *worker) error {
	return func(w *worker) error {
		c, err := dns.DialTimeout("udp", w.cfg.DNSAddr, ioTimeout)
		if err != nil {
			return fmt.Errorf("cannot reach DNS at %s: %w", w.cfg.DNSAddr, err)
		}
		w.dns = &dnsConn{conn: c}
		w.dns.msg.SetQuestion(serviceName+".service.consul.", qtype)
		return nil
	}
}

func stopDNS(w *worker) {
	if w.dns != nil {
		w.dns.conn.Close()
	}
}

// doDNS asks the worker's question and wants at least one answer.
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
			q := d.msg.Question[0]
			return fmt.Errorf("DNS %s %s: rcode %s, %d answers", q.Name, dns.TypeToString[q.Qtype],
				dns.RcodeToString[reply.Rcode], len(reply.Answer))
		}
		return nil
	}
}

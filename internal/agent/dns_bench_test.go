package agent_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"github.com/concordhq/concord/internal/testutil"
	mdns "github.com/miekg/dns"
)

// BenchmarkDNSAgent measures DNS queries per second through a real agent
// (its catalog, health filtering and miekg server) for a service with 50
// instances, from 16 concurrent UDP clients: A and SRV.
func BenchmarkDNSAgent(b *testing.B) {
	ta := testutil.StartAgent(b, "", nil)
	for i := 0; i < 50; i++ {
		body := fmt.Sprintf(`{"Node":"bench-%d","Address":"10.2.%d.%d","Service":{"Service":"web","Port":%d}}`, i, i/250, i%250+1, 8000+i)
		req, _ := http.NewRequest("PUT", "http://"+ta.HTTPAddr()+"/v1/catalog/register", bytes.NewReader([]byte(body)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("register: %v %v", err, resp)
		}
		resp.Body.Close()
	}
	for _, qtype := range []uint16{mdns.TypeA, mdns.TypeSRV} {
		b.Run(mdns.TypeToString[qtype], func(b *testing.B) {
			conns := make([]*mdns.Conn, 16)
			for i := range conns {
				c, err := mdns.Dial("udp", ta.DNSAddr())
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				conns[i] = c
			}
			measure(b, len(conns), func(w, i int) error {
				m := new(mdns.Msg)
				m.SetQuestion("web.service.consul.", qtype)
				if err := conns[w].WriteMsg(m); err != nil {
					return err
				}
				r, err := conns[w].ReadMsg()
				if err != nil {
					return err
				}
				if r.Rcode != mdns.RcodeSuccess || len(r.Answer) == 0 {
					return fmt.Errorf("query %s: rcode %d, %d answers", mdns.TypeToString[qtype], r.Rcode, len(r.Answer))
				}
				return nil
			})
		})
	}
}

package multidc_test

import (
	"testing"

	consul "github.com/hashicorp/consul/api"
)

// BenchmarkKVGet measures what ?dc adds to a KV read: the same default
// (leader) read through dc1's client agent, of a key in dc1 and of a key
// in dc2, which dc1's server forwards to dc2's over the server port. Both
// run against one federation of dc1 and dc2 (a server and a client agent
// each), one after the other, so their ratio is measured on the same
// machine in the same moment. Run it with
//
//	go test ./test/multidc -run '^$' -bench KVGet -count 5
func BenchmarkKVGet(b *testing.B) {
	f := startFederation(b, 1, 1)
	c := f.agent(b, "dc1")
	for _, dc := range []string{"dc1", "dc2"} {
		if _, err := c.KV().Put(&consul.KVPair{Key: "bench/key", Value: []byte("value")}, to(dc)); err != nil {
			b.Fatalf("put in %s: %v", dc, err)
		}
	}
	for _, tc := range []struct{ name, dc string }{{"local", ""}, {"dc=dc2", "dc2"}} {
		b.Run(tc.name, func(b *testing.B) {
			opts := in(tc.dc)
			for b.Loop() {
				p, _, err := c.KV().Get("bench/key", opts)
				if err != nil || p == nil {
					b.Fatalf("get in %q = %v, %v", tc.dc, p, err)
				}
			}
		})
	}
}

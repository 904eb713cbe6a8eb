package server_test

import (
	"context"
	"testing"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// BenchmarkKVGet reads one key on a single in-memory server, directly and
// through the endpoint every agent uses (call table, hooks, routing), so
// that the cost of the call path shows beside the read itself (at the
// call table's introduction: about +250 ns and 4 allocations a read).
func BenchmarkKVGet(b *testing.B) {
	s := startServer(b, testConfig(""))
	if _, err := s.KVApply(context.Background(), &api.KVTxnOp{Verb: api.KVSet, Key: "k", Value: []byte("v")}); err != nil {
		b.Fatal(err)
	}
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := s.KVGet(context.Background(), &api.QueryOptions{}, "k"); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("endpoint", func(b *testing.B) {
		b.ReportAllocs()
		e := s.Endpoint()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := call.KVGet.Invoke(context.Background(), e, call.KVGetArgs{Key: "k"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"testing"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// BenchmarkCall is the RPC path's own cost for the calls a client agent
// makes most, with the arguments and results they carry: a KV read of a
// 256 B value, a KV write of one, and the passing instances of a service
// with 50 of them (what health ?passing and DNS ask). The server answers
// from a prepared value, so CPU time per call (both ends: one process) is
// the encoding, the envelope and gRPC, as the agent and the server pay
// them.
func BenchmarkCall(b *testing.B) {
	value := bytes.Repeat([]byte("v"), 256)
	for _, tc := range []struct {
		name   string
		method string
		args   any
		result any
		out    func() any
	}{
		{"kv-get", "KVGet", &call.KVGetArgs{Key: "concord-bench/kv/17"},
			&call.Result[*api.KVPair]{Value: &api.KVPair{Key: "concord-bench/kv/17", Value: value, CreateIndex: 12, ModifyIndex: 4711},
				Meta: api.QueryMeta{LastIndex: 4711, KnownLeader: true}},
			func() any { return new(call.Result[*api.KVPair]) }},
		{"kv-apply", "KVApply", &call.KVApplyArgs{Op: &api.KVTxnOp{Verb: api.KVSet, Key: "concord-bench/kv/17", Value: value}},
			true, func() any { return new(bool) }},
		{"health-50", "HealthService", &call.HealthServiceArgs{Service: "bench", PassingOnly: true},
			benchEntries(50), func() any { return new(call.Result[[]*api.ServiceEntry]) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			m := NewMuxTLS(ln, ln.Addr(), nil, 0, nil)
			defer m.Close()
			srv := NewServer(func(context.Context, string, json.RawMessage) (any, error) { return tc.result, nil })
			go srv.Serve(m.RPCListener())
			defer srv.Stop()
			p := NewPool()
			defer p.Close()
			ctx := call.WithToken(context.Background(), "5ba7ba3c-3c8e-4b1b-8a6d-2c2bd29e8a6e")
			addr := ln.Addr().String()
			if err := p.Call(ctx, addr, tc.method, tc.args, tc.out()); err != nil {
				b.Fatal(err)
			}
			b.SetParallelism(16) // 16 × GOMAXPROCS callers, like 64 clients on a few cores
			b.ReportAllocs()
			cpu0 := cpuTime()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := p.Call(ctx, addr, tc.method, tc.args, tc.out()); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// benchEntries is a health result of n passing instances, each on its
// own node, as bench's health and dns ops register them.
func benchEntries(n int) *call.Result[[]*api.ServiceEntry] {
	r := &call.Result[[]*api.ServiceEntry]{Meta: api.QueryMeta{LastIndex: 812, KnownLeader: true}}
	for i := range n {
		node := fmt.Sprintf("concord-bench-node-%d", i)
		r.Value = append(r.Value, &api.ServiceEntry{
			Node: &api.Node{ID: fmt.Sprintf("0d5c7e9a-0000-4000-8000-%012d", i), Node: node, Address: "127.0.0.1", Datacenter: "dc1",
				TaggedAddresses: map[string]string{"lan": "127.0.0.1"}, Meta: map[string]string{}, CreateIndex: 10, ModifyIndex: 12},
			Service: &api.NodeService{ID: fmt.Sprintf("concord-bench-%d", i), Service: "concord-bench", Tags: []string{"bench"},
				Address: "127.0.0.1", Meta: map[string]string{}, Port: 20000 + i, Weights: api.AgentWeights{Passing: 1, Warning: 1},
				CreateIndex: 11, ModifyIndex: 11},
			Checks: []*api.HealthCheck{{Node: node, CheckID: "service:concord-bench-" + fmt.Sprint(i), Name: "bench", Status: api.HealthPassing,
				ServiceID: fmt.Sprintf("concord-bench-%d", i), ServiceName: "concord-bench", ServiceTags: []string{"bench"}, CreateIndex: 11, ModifyIndex: 11}},
		})
	}
	return r
}

package httpapi_test

import (
	"strings"
	"testing"

	consulapi "github.com/hashicorp/consul/api"
)

// TestTxnCatalogOperations: /v1/txn takes node, service and check
// operations beside KV ones, through the official client: all of them
// apply atomically, gets read them back, and a transaction with failing
// operations changes nothing and names each failure.
func TestTxnCatalogOperations(t *testing.T) {
	_, c := startDevAgent(t)
	txn := c.Txn()

	ops := consulapi.TxnOps{
		{KV: &consulapi.KVTxnOp{Verb: consulapi.KVSet, Key: "txn/cat", Value: []byte("v")}},
		{Node: &consulapi.NodeTxnOp{Verb: consulapi.NodeSet,
			Node: consulapi.Node{Node: "ext", Address: "10.1.2.3", Meta: map[string]string{"k": "v"}}}},
		{Service: &consulapi.ServiceTxnOp{Verb: consulapi.ServiceSet, Node: "ext",
			Service: consulapi.AgentService{ID: "db1", Service: "db", Port: 5432, Tags: []string{"primary"}}}},
		{Check: &consulapi.CheckTxnOp{Verb: consulapi.CheckSet,
			Check: consulapi.HealthCheck{Node: "ext", CheckID: "db1-alive", Name: "alive", Status: "passing", ServiceID: "db1"}}},
	}
	ok, resp, _, err := txn.Txn(ops, nil)
	if err != nil || !ok {
		t.Fatalf("Txn(set node, service, check) = %v, %+v, %v", ok, resp, err)
	}
	if len(resp.Results) != 4 || resp.Results[1].Node == nil || resp.Results[1].Node.Address != "10.1.2.3" ||
		resp.Results[2].Service == nil || resp.Results[2].Service.Port != 5432 ||
		resp.Results[3].Check == nil || resp.Results[3].Check.Status != "passing" {
		t.Fatalf("results = %+v", resp.Results)
	}
	entries, _, err := c.Health().Service("db", "primary", true, nil)
	if err != nil || len(entries) != 1 || entries[0].Node.Node != "ext" || len(entries[0].Checks) != 1 {
		t.Fatalf("health of db after the txn: %+v, %v", entries, err)
	}

	// Gets only: answered without Raft, also with ?stale.
	ok, resp, _, err = txn.Txn(consulapi.TxnOps{
		{Node: &consulapi.NodeTxnOp{Verb: consulapi.NodeGet, Node: consulapi.Node{Node: "ext"}}},
		{Service: &consulapi.ServiceTxnOp{Verb: consulapi.ServiceGet, Node: "ext", Service: consulapi.AgentService{ID: "db1"}}},
		{Check: &consulapi.CheckTxnOp{Verb: consulapi.CheckGet, Check: consulapi.HealthCheck{Node: "ext", CheckID: "db1-alive"}}},
	}, &consulapi.QueryOptions{AllowStale: true})
	if err != nil || !ok || len(resp.Results) != 3 || resp.Results[0].Node.Meta["k"] != "v" ||
		resp.Results[1].Service.Service != "db" || resp.Results[2].Check.ServiceID != "db1" {
		t.Fatalf("Txn(gets) = %v, %+v, %v", ok, resp, err)
	}

	// A stale cas and a missing node: nothing applies, both are named.
	ok, resp, _, err = txn.Txn(consulapi.TxnOps{
		{KV: &consulapi.KVTxnOp{Verb: consulapi.KVDelete, Key: "txn/cat"}},
		{Service: &consulapi.ServiceTxnOp{Verb: consulapi.ServiceCAS, Node: "ext",
			Service: consulapi.AgentService{ID: "db1", Service: "db", ModifyIndex: 1}}},
		{Node: &consulapi.NodeTxnOp{Verb: consulapi.NodeGet, Node: consulapi.Node{Node: "nowhere"}}},
	}, nil)
	if err != nil || ok || len(resp.Errors) != 2 || resp.Errors[0].OpIndex != 1 ||
		!strings.Contains(resp.Errors[0].What, "index is stale") || resp.Errors[1].OpIndex != 2 ||
		!strings.Contains(resp.Errors[1].What, "doesn't exist") {
		t.Fatalf("Txn(failing) = %v, %+v, %v", ok, resp, err)
	}
	if kv, _, err := c.KV().Get("txn/cat", nil); err != nil || kv == nil {
		t.Fatalf("the rolled-back transaction deleted txn/cat: %v, %v", kv, err)
	}

	// Deletes.
	ok, resp, _, err = txn.Txn(consulapi.TxnOps{
		{Check: &consulapi.CheckTxnOp{Verb: consulapi.CheckDelete, Check: consulapi.HealthCheck{Node: "ext", CheckID: "db1-alive"}}},
		{Node: &consulapi.NodeTxnOp{Verb: consulapi.NodeDelete, Node: consulapi.Node{Node: "ext"}}},
	}, nil)
	if err != nil || !ok {
		t.Fatalf("Txn(deletes) = %v, %+v, %v", ok, resp, err)
	}
	if n, _, err := c.Catalog().Node("ext", nil); err != nil || n != nil {
		t.Fatalf("node ext after deletion: %+v, %v", n, err)
	}

	// A malformed operation is a 400.
	if _, _, _, err := txn.Txn(consulapi.TxnOps{{Node: &consulapi.NodeTxnOp{Verb: "explode",
		Node: consulapi.Node{Node: "x"}}}}, nil); err == nil || !strings.Contains(err.Error(), `unknown verb "explode"`) {
		t.Fatalf("unknown verb: %v, want it refused", err)
	}
}

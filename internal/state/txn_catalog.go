package state

import (
	"fmt"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/hashicorp/go-memdb"
)

// TxnOps runs the operations of a /v1/txn request that holds node, service
// or check operations inside t, in order. As Consul does, it goes on past a
// failed operation so that the reply names every one that failed; with any
// error the caller must Abort t, so that nothing is applied.
func (t *Txn) TxnOps(idx uint64, now time.Time, ops []api.TxnOp) ([]api.TxnResult, []api.TxnError) {
	return runOps(ops, func(op *api.TxnOp) ([]api.TxnResult, error) { return t.txnOp(idx, now, op) })
}

func (t *Txn) txnOp(idx uint64, now time.Time, op *api.TxnOp) ([]api.TxnResult, error) {
	switch {
	case op.KV != nil:
		return t.kvTxnOp(idx, now, op.KV)
	case op.Node != nil:
		return t.nodeTxnOp(idx, now, op.Node)
	case op.Service != nil:
		return t.serviceTxnOp(idx, now, op.Service)
	case op.Check != nil:
		return t.checkTxnOp(idx, now, op.Check)
	}
	return nil, fmt.Errorf("empty operation")
}

// ReadTxn runs a transaction made only of reads (KV reads and catalog
// gets), without Raft, reporting every operation that failed.
func (s *Store) ReadTxn(ops []api.TxnOp) ([]api.TxnResult, []api.TxnError) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	tree := kvTreeOf(tx)
	return runOps(ops, func(op *api.TxnOp) ([]api.TxnResult, error) {
		switch {
		case op.KV != nil:
			return kvTxnRead(tx, tree, op.KV)
		case op.Node != nil:
			return nodeGet(tx, &op.Node.Node)
		case op.Service != nil:
			return serviceGet(tx, op.Service.Node, op.Service.Service.ID)
		case op.Check != nil:
			return checkGet(tx, op.Check.Check.Node, op.Check.Check.CheckID)
		}
		return nil, fmt.Errorf("empty operation")
	})
}

// findNode is the node by ID when the operation gives one, else by name.
func findNode(tx *memdb.Txn, n *api.Node) *api.Node {
	if n.ID != "" {
		it, err := tx.Get(tableNodes, "id")
		if err == nil {
			for raw := it.Next(); raw != nil; raw = it.Next() {
				if node := raw.(*api.Node); node.ID == n.ID {
					return node
				}
			}
		}
	}
	raw, err := tx.First(tableNodes, "id", n.Node)
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*api.Node)
}

func nodeGet(tx *memdb.Txn, n *api.Node) ([]api.TxnResult, error) {
	node := findNode(tx, n)
	if node == nil {
		return nil, fmt.Errorf("node %q doesn't exist", nodeLabel(n))
	}
	return []api.TxnResult{{Node: node}}, nil
}

func nodeLabel(n *api.Node) string {
	if n.Node != "" {
		return n.Node
	}
	return n.ID
}

func (t *Txn) nodeTxnOp(idx uint64, now time.Time, op *api.NodeTxnOp) ([]api.TxnResult, error) {
	n := op.Node
	cur := findNode(t.tx, &n)
	switch op.Verb {
	case api.CatalogGet:
		return nodeGet(t.tx, &n)
	case api.CatalogCAS, api.CatalogDeleteCAS:
		if err := casCheck("node", nodeLabel(&n), cur != nil, modifyIndex(cur), n.ModifyIndex); err != nil {
			return nil, err
		}
	}
	switch op.Verb {
	case api.CatalogSet, api.CatalogCAS:
		if n.Node == "" {
			return nil, fmt.Errorf("missing node name")
		}
		if err := t.ensureNode(idx, &n); err != nil {
			return nil, err
		}
		return nodeGet(t.tx, &n)
	case api.CatalogDelete, api.CatalogDeleteCAS:
		if cur == nil {
			return nil, nil
		}
		return nil, t.deleteNode(idx, now, cur.Node)
	}
	return nil, fmt.Errorf("unknown node operation %q", op.Verb)
}

func modifyIndex(n *api.Node) uint64 {
	if n == nil {
		return 0
	}
	return n.ModifyIndex
}

// casCheck is the check of a cas or delete-cas: index 0 asks that the
// entry not exist, any other that it exist with that ModifyIndex.
func casCheck(kind, name string, exists bool, current, want uint64) error {
	if want == 0 && !exists || exists && current == want {
		return nil
	}
	return fmt.Errorf("failed to set %s %q, index is stale", kind, name)
}

func serviceGet(tx *memdb.Txn, node, id string) ([]api.TxnResult, error) {
	raw, err := tx.First(tableServices, "id", node, id)
	if err != nil {
		return nil, fmt.Errorf("cannot read service %q: %w", id, err)
	}
	if raw == nil {
		return nil, fmt.Errorf("service %q on node %q doesn't exist", id, node)
	}
	svc := raw.(*serviceRow).NodeService
	return []api.TxnResult{{Service: &svc}}, nil
}

func (t *Txn) serviceTxnOp(idx uint64, now time.Time, op *api.ServiceTxnOp) ([]api.TxnResult, error) {
	svc := op.Service
	if op.Node == "" {
		return nil, fmt.Errorf("missing node name")
	}
	if svc.ID == "" {
		svc.ID = svc.Service
	}
	if op.Verb == api.CatalogGet {
		return serviceGet(t.tx, op.Node, svc.ID)
	}
	raw, err := t.tx.First(tableServices, "id", op.Node, svc.ID)
	if err != nil {
		return nil, fmt.Errorf("cannot read service %q: %w", svc.ID, err)
	}
	if op.Verb == api.CatalogCAS || op.Verb == api.CatalogDeleteCAS {
		var cur uint64
		if raw != nil {
			cur = raw.(*serviceRow).ModifyIndex
		}
		if err := casCheck("service", svc.ID, raw != nil, cur, svc.ModifyIndex); err != nil {
			return nil, err
		}
	}
	switch op.Verb {
	case api.CatalogSet, api.CatalogCAS:
		if t.node(op.Node) == nil {
			return nil, fmt.Errorf("node %q doesn't exist", op.Node)
		}
		if svc.Service == "" {
			return nil, fmt.Errorf("missing service name")
		}
		if err := api.ValidateMesh(svc.Kind, svc.Port, svc.SocketPath, &svc.Proxy, &svc.Connect); err != nil {
			return nil, err
		}
		if err := t.ensureService(idx, op.Node, &svc); err != nil {
			return nil, err
		}
		return serviceGet(t.tx, op.Node, svc.ID)
	case api.CatalogDelete, api.CatalogDeleteCAS:
		return nil, t.deleteService(idx, now, op.Node, svc.ID)
	}
	return nil, fmt.Errorf("unknown service operation %q", op.Verb)
}

func checkGet(tx *memdb.Txn, node, id string) ([]api.TxnResult, error) {
	raw, err := tx.First(tableChecks, "id", node, id)
	if err != nil {
		return nil, fmt.Errorf("cannot read check %q: %w", id, err)
	}
	if raw == nil {
		return nil, fmt.Errorf("check %q on node %q doesn't exist", id, node)
	}
	return []api.TxnResult{{Check: raw.(*api.HealthCheck)}}, nil
}

func (t *Txn) checkTxnOp(idx uint64, now time.Time, op *api.CheckTxnOp) ([]api.TxnResult, error) {
	c := op.Check
	if c.Node == "" {
		return nil, fmt.Errorf("missing node name")
	}
	if op.Verb == api.CatalogGet {
		return checkGet(t.tx, c.Node, c.CheckID)
	}
	raw, err := t.tx.First(tableChecks, "id", c.Node, c.CheckID)
	if err != nil {
		return nil, fmt.Errorf("cannot read check %q: %w", c.CheckID, err)
	}
	if op.Verb == api.CatalogCAS || op.Verb == api.CatalogDeleteCAS {
		var cur uint64
		if raw != nil {
			cur = raw.(*api.HealthCheck).ModifyIndex
		}
		if err := casCheck("check", c.CheckID, raw != nil, cur, c.ModifyIndex); err != nil {
			return nil, err
		}
	}
	switch op.Verb {
	case api.CatalogSet, api.CatalogCAS:
		if t.node(c.Node) == nil {
			return nil, fmt.Errorf("node %q doesn't exist", c.Node)
		}
		if err := t.ensureCheck(idx, now, c.Node, &c); err != nil {
			return nil, err
		}
		return checkGet(t.tx, c.Node, c.CheckID)
	case api.CatalogDelete, api.CatalogDeleteCAS:
		return nil, t.deleteCheck(idx, now, c.Node, c.CheckID)
	}
	return nil, fmt.Errorf("unknown check operation %q", op.Verb)
}

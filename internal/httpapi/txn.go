package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// txn serves PUT /v1/txn: up to MaxTxnOps operations applied atomically.
// The reply is 200 with Results, or 409 with Errors when anything failed
// and nothing was applied.
func (h *Handler) txn(w http.ResponseWriter, r *http.Request) (any, error) {
	opts, err := h.parseQueryOptions(r)
	if err != nil {
		return nil, err
	}
	if r.ContentLength > api.MaxTxnBodySize {
		return nil, txnTooLarge(r.ContentLength)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, api.MaxTxnBodySize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read request body: %w", err)
	}
	if len(body) > api.MaxTxnBodySize {
		return nil, txnTooLarge(int64(len(body)))
	}
	var ops []api.TxnOp
	if err := json.Unmarshal(body, &ops); err != nil {
		return nil, badRequest("Failed to parse body: " + err.Error())
	}
	if len(ops) > api.MaxTxnOps {
		return nil, api.TooLargeError{Reason: fmt.Sprintf(
			"Transaction contains too many operations (%d > %d)", len(ops), api.MaxTxnOps)}
	}
	args := call.TxnArgs{Query: query(opts)}
	if hasCatalogOps(ops) {
		args.Catalog, err = catalogOps(ops)
	} else {
		args.Ops, err = kvOps(ops)
	}
	if err != nil {
		return nil, err
	}
	resp, m, err := readCall(r.Context(), h, call.Txn, args)
	if err != nil {
		return nil, err
	}
	if resp.Errors != nil {
		return statusBody{code: http.StatusConflict, body: resp}, nil
	}
	setMeta(w, &m)
	return resp, nil
}

// hasCatalogOps reports whether a txn body holds node, service or check
// operations.
func hasCatalogOps(ops []api.TxnOp) bool {
	for i := range ops {
		if ops[i].Node != nil || ops[i].Service != nil || ops[i].Check != nil {
			return true
		}
	}
	return false
}

// kvOps takes the KV operations out of a txn body, checking each.
func kvOps(ops []api.TxnOp) ([]api.KVTxnOp, error) {
	out := make([]api.KVTxnOp, 0, len(ops))
	for i := range ops {
		kv, err := checkKVOp(i, &ops[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *kv)
	}
	return out, nil
}

// catalogOps checks a txn body with node, service or check operations.
func catalogOps(ops []api.TxnOp) ([]api.TxnOp, error) {
	out := make([]api.TxnOp, 0, len(ops))
	for i := range ops {
		op := ops[i]
		var verb api.CatalogOp
		switch {
		case op.KV != nil:
			kv, err := checkKVOp(i, &op)
			if err != nil {
				return nil, err
			}
			op.KV = kv
			out = append(out, op)
			continue
		case op.Node != nil:
			verb = op.Node.Verb
			if op.Node.Node.Node == "" && op.Node.Node.ID == "" {
				return nil, badRequest(fmt.Sprintf("Operation %d: missing node name or ID", i))
			}
		case op.Service != nil:
			verb = op.Service.Verb
			if op.Service.Node == "" {
				return nil, badRequest(fmt.Sprintf("Operation %d: missing node name", i))
			}
		case op.Check != nil:
			verb = op.Check.Verb
			if op.Check.Check.Node == "" || op.Check.Check.CheckID == "" {
				return nil, badRequest(fmt.Sprintf("Operation %d: missing node name or check ID", i))
			}
		default:
			return nil, badRequest(fmt.Sprintf("Operation %d: empty operation", i))
		}
		if !verb.Valid() {
			return nil, badRequest(fmt.Sprintf("Operation %d: unknown verb %q", i, verb))
		}
		out = append(out, op)
	}
	return out, nil
}

// checkKVOp checks the KV operation of ops[i] and returns a copy to use.
func checkKVOp(i int, op *api.TxnOp) (*api.KVTxnOp, error) {
	if op.KV == nil {
		return nil, badRequest(fmt.Sprintf("Operation %d: empty operation", i))
	}
	if !op.KV.Verb.Valid() {
		return nil, badRequest(fmt.Sprintf("Operation %d: unknown KV verb %q", i, op.KV.Verb))
	}
	if op.KV.Key == "" && op.KV.Verb != api.KVDeleteTree && op.KV.Verb != api.KVGetTree {
		return nil, badRequest(fmt.Sprintf("Operation %d: missing key name", i))
	}
	if n := len(op.KV.Value); n > api.MaxKVValueSize {
		return nil, api.TooLargeError{Reason: fmt.Sprintf(
			"Value for key %q is too large (%d > %d bytes)", op.KV.Key, n, api.MaxKVValueSize)}
	}
	kv := *op.KV
	if len(kv.Value) == 0 {
		kv.Value = nil
	}
	return &kv, nil
}

func txnTooLarge(n int64) error {
	return api.TooLargeError{Reason: fmt.Sprintf(
		"Request body(%d bytes) too large, max size: %d bytes", n, api.MaxTxnBodySize)}
}

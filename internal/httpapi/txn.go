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
	kvOps, err := kvOps(ops)
	if err != nil {
		return nil, err
	}
	resp, m, err := readCall(r.Context(), h, call.Txn, call.TxnArgs{Query: query(opts), Ops: kvOps})
	if err != nil {
		return nil, err
	}
	if resp.Errors != nil {
		return statusBody{code: http.StatusConflict, body: resp}, nil
	}
	setMeta(w, &m)
	return resp, nil
}

// kvOps takes the KV operations out of a txn body, checking each.
func kvOps(ops []api.TxnOp) ([]api.KVTxnOp, error) {
	out := make([]api.KVTxnOp, 0, len(ops))
	for i, op := range ops {
		if op.KV == nil {
			if op.Node != nil || op.Service != nil || op.Check != nil {
				return nil, badRequest(fmt.Sprintf("Operation %d: Node, Service and Check operations are not supported by this server yet", i))
			}
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
		out = append(out, kv)
	}
	return out, nil
}

func txnTooLarge(n int64) error {
	return api.TooLargeError{Reason: fmt.Sprintf(
		"Request body(%d bytes) too large, max size: %d bytes", n, api.MaxTxnBodySize)}
}

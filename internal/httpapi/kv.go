package httpapi

import (
	"fmt"
	"io"
	"net/http"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// kvGet serves GET /v1/kv/<key>: one key, a tree (?recurse), or key names
// (?keys, folded at ?separator). A missing key answers 404 with the index
// headers, so clients can block until it appears.
func (h *Handler) kvGet(w http.ResponseWriter, r *http.Request) (any, error) {
	opts, err := h.parseQueryOptions(r)
	if err != nil {
		return nil, err
	}
	key := r.PathValue("key")
	q := r.URL.Query()
	ctx := r.Context()
	switch {
	case has(q, "keys"):
		sep := q.Get("separator")
		if sep == "" {
			sep = q.Get("seperator") // Consul still accepts its old misspelling
		}
		keys, m, err := readCall(ctx, h, call.KVKeys, call.KVKeysArgs{Query: query(opts), Prefix: key, Separator: sep})
		setMeta(w, &m)
		if err != nil {
			return nil, err
		}
		if len(keys) == 0 {
			if key != "" {
				return nil, errNotFound
			}
			keys = []string{}
		}
		return keys, nil
	case has(q, "recurse"):
		list, m, err := readCall(ctx, h, call.KVList, call.KVListArgs{Query: query(opts), Prefix: key})
		setMeta(w, &m)
		if err != nil {
			return nil, err
		}
		if len(list) == 0 {
			return nil, errNotFound
		}
		return list, nil
	}
	if key == "" {
		return nil, badRequest("Missing key name")
	}
	e, m, err := readCall(ctx, h, call.KVGet, call.KVGetArgs{Query: query(opts), Key: key})
	setMeta(w, &m)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, errNotFound
	}
	if has(q, "raw") {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "sandbox")
		return rawBody{contentType: "text/plain; charset=utf-8", data: e.Value}, nil
	}
	return []*api.KVPair{e}, nil
}

// kvPut serves PUT /v1/kv/<key>: the body is the raw value; ?flags sets
// the flags (omitted means 0); ?cas, ?acquire and ?release make the write
// conditional. The reply is true or false.
func (h *Handler) kvPut(_ http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	key := r.PathValue("key")
	if key == "" {
		return nil, badRequest("Missing key name")
	}
	op := &api.KVTxnOp{Verb: api.KVSet, Key: key}
	var err error
	if op.Flags, _, err = uintParam(q, "flags"); err != nil {
		return nil, err
	}
	if err := conflicting(q, "cas", "acquire", "release"); err != nil {
		return nil, err
	}
	cas, hasCAS, err := uintParam(q, "cas")
	switch {
	case err != nil:
		return nil, err
	case hasCAS:
		op.Verb, op.Index = api.KVCAS, cas
	case has(q, "acquire"):
		op.Verb, op.Session = api.KVLock, q.Get("acquire")
	case has(q, "release"):
		op.Verb, op.Session = api.KVUnlock, q.Get("release")
	}
	if op.Value, err = readValue(r); err != nil {
		return nil, err
	}
	return call.KVApply.Invoke(r.Context(), h.backend, call.KVApplyArgs{Op: op})
}

// readValue reads a KV value from the body, refusing one over the limit
// without storing anything. An empty body is a nil value (JSON null).
func readValue(r *http.Request) ([]byte, error) {
	if r.ContentLength > api.MaxKVValueSize {
		return nil, tooLarge(r.ContentLength)
	}
	var data []byte
	var err error
	if r.ContentLength >= 0 {
		// Known length (the usual case): one exact allocation.
		data = make([]byte, r.ContentLength)
		_, err = io.ReadFull(r.Body, data)
	} else {
		data, err = io.ReadAll(io.LimitReader(r.Body, api.MaxKVValueSize+1))
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read request body: %w", err)
	}
	if len(data) > api.MaxKVValueSize {
		return nil, tooLarge(int64(len(data)))
	}
	if len(data) == 0 {
		return nil, nil
	}
	return data, nil
}

func tooLarge(n int64) error {
	return api.TooLargeError{Reason: fmt.Sprintf(
		"Request body(%d bytes) too large, max size: %d bytes", n, api.MaxKVValueSize)}
}

// kvDelete serves DELETE /v1/kv/<key>: one key, a tree (?recurse), or a
// check-and-set delete (?cas).
func (h *Handler) kvDelete(_ http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	if err := conflicting(q, "recurse", "cas"); err != nil {
		return nil, err
	}
	op := &api.KVTxnOp{Verb: api.KVDelete, Key: r.PathValue("key")}
	cas, hasCAS, err := uintParam(q, "cas")
	switch {
	case err != nil:
		return nil, err
	case has(q, "recurse"):
		op.Verb = api.KVDeleteTree
	case hasCAS:
		op.Verb, op.Index = api.KVDeleteCAS, cas
	}
	if op.Key == "" && op.Verb != api.KVDeleteTree {
		return nil, badRequest("Missing key name")
	}
	return call.KVApply.Invoke(r.Context(), h.backend, call.KVApplyArgs{Op: op})
}

// conflicting rejects a request that sets more than one of names.
func conflicting(q map[string][]string, names ...string) error {
	var set []string
	for _, n := range names {
		if _, ok := q[n]; ok {
			set = append(set, n)
		}
	}
	if len(set) > 1 {
		return badRequest(fmt.Sprintf("Conflicting flags: %v", set))
	}
	return nil
}

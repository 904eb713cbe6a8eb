package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// KV is the /v1/kv and /v1/txn endpoints: reads, writes, locks and
// transactions on the key-value store.
type KV struct{ c *Client }

// KV returns a handle on the KV endpoints.
func (c *Client) KV() *KV { return &KV{c} }

// kvPath is the URL path of key. The key is not escaped here: url.URL does it
// when the request is built, leaving the slashes as they are.
func kvPath(key string) string { return "/v1/kv/" + key }

// Get returns the pair at key, or a nil pair when there is none. The meta is
// returned for a missing key too, so a caller can block until it appears.
func (kv *KV) Get(key string, q *QueryOptions) (*KVPair, *QueryMeta, error) {
	var pairs []*KVPair
	meta, err := kv.c.read(kvPath(key), queryParams(q), &pairs)
	if isNotFound(err) {
		return nil, meta, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if len(pairs) == 0 {
		return nil, meta, nil
	}
	return pairs[0], meta, nil
}

// List returns every pair whose key starts with prefix, sorted by key; none
// is not an error.
func (kv *KV) List(prefix string, q *QueryOptions) ([]*KVPair, *QueryMeta, error) {
	params := queryParams(q)
	params.Set("recurse", "")
	var pairs []*KVPair
	meta, err := kv.c.read(kvPath(prefix), params, &pairs)
	if isNotFound(err) {
		return nil, meta, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return pairs, meta, nil
}

// Keys returns the keys that start with prefix. A non-empty separator rolls
// up the keys below the next separator into one "folder" key ending with it,
// as a directory listing does.
func (kv *KV) Keys(prefix, separator string, q *QueryOptions) ([]string, *QueryMeta, error) {
	params := queryParams(q)
	params.Set("keys", "")
	if separator != "" {
		params.Set("separator", separator)
	}
	var keys []string
	meta, err := kv.c.read(kvPath(prefix), params, &keys)
	if isNotFound(err) {
		return nil, meta, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return keys, meta, nil
}

// Put writes p.Value and p.Flags at p.Key. It reports the server's answer,
// which is true for a plain write.
func (kv *KV) Put(p *KVPair) (bool, error) {
	return kv.write(http.MethodPut, p.Key, kvWriteParams(p), p.Value)
}

// CAS writes p only if the key's ModifyIndex still equals p.ModifyIndex; an
// index of 0 writes only if the key does not exist. It reports whether the
// write happened.
func (kv *KV) CAS(p *KVPair) (bool, error) {
	params := kvWriteParams(p)
	params.Set("cas", strconv.FormatUint(p.ModifyIndex, 10))
	return kv.write(http.MethodPut, p.Key, params, p.Value)
}

// Acquire writes p and locks the key for session p.Session. It reports
// whether the lock was taken: false while another session holds it or the
// key is in its lock-delay.
func (kv *KV) Acquire(p *KVPair) (bool, error) {
	params := kvWriteParams(p)
	params.Set("acquire", p.Session)
	return kv.write(http.MethodPut, p.Key, params, p.Value)
}

// Release writes p and unlocks the key if session p.Session holds it. It
// reports whether that session held the lock.
func (kv *KV) Release(p *KVPair) (bool, error) {
	params := kvWriteParams(p)
	params.Set("release", p.Session)
	return kv.write(http.MethodPut, p.Key, params, p.Value)
}

// kvWriteParams sends ?flags only when they are set. The server resets
// flags to 0 when the parameter is omitted, so both forms mean the same.
func kvWriteParams(p *KVPair) url.Values {
	params := url.Values{}
	if p.Flags != 0 {
		params.Set("flags", strconv.FormatUint(p.Flags, 10))
	}
	return params
}

// Delete removes key; a missing key is not an error.
func (kv *KV) Delete(key string) (bool, error) {
	return kv.write(http.MethodDelete, key, nil, nil)
}

// DeleteCAS removes p.Key only if its ModifyIndex still equals
// p.ModifyIndex, and reports whether it did.
func (kv *KV) DeleteCAS(p *KVPair) (bool, error) {
	params := url.Values{"cas": {strconv.FormatUint(p.ModifyIndex, 10)}}
	return kv.write(http.MethodDelete, p.Key, params, nil)
}

// DeleteTree removes every key that starts with prefix; an empty prefix
// empties the store.
func (kv *KV) DeleteTree(prefix string) (bool, error) {
	return kv.write(http.MethodDelete, prefix, url.Values{"recurse": {""}}, nil)
}

// write sends one KV write and reports the server's true/false answer. A
// leading slash is refused here because the server would treat it as part of
// the key, which is never what the caller meant.
func (kv *KV) write(method, key string, params url.Values, value []byte) (bool, error) {
	if strings.HasPrefix(key, "/") {
		return false, fmt.Errorf("api: invalid key %q: must not begin with a '/'", key)
	}
	var body io.Reader
	if method == http.MethodPut {
		body = bytes.NewReader(value)
	}
	req, err := kv.c.newRequest(method, kvPath(key), params, body)
	if err != nil {
		return false, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	resp, err := kv.c.do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64))
	if err != nil {
		return false, fmt.Errorf("api: cannot read reply: %w", err)
	}
	return bytes.Contains(b, []byte("true")), nil
}

// Txn applies ops atomically with PUT /v1/txn. When every operation
// succeeded it returns ok=true and the Results; when the server rolled the
// transaction back (409) it returns ok=false and the Errors, with a nil
// error, because a failed check is an answer rather than a fault.
func (kv *KV) Txn(ops []*TxnOp) (ok bool, resp *TxnResponse, err error) {
	if ops == nil {
		ops = []*TxnOp{} // the server wants an array, never null
	}
	body, err := json.Marshal(ops)
	if err != nil {
		return false, nil, fmt.Errorf("api: cannot encode txn: %w", err)
	}
	req, err := kv.c.newRequest(http.MethodPut, "/v1/txn", nil, bytes.NewReader(body))
	if err != nil {
		return false, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	httpResp, err := kv.c.hc.Do(req)
	if err != nil {
		return false, nil, err
	}
	defer httpResp.Body.Close()
	switch httpResp.StatusCode {
	case http.StatusOK, http.StatusConflict:
		resp = new(TxnResponse)
		if err := json.NewDecoder(httpResp.Body).Decode(resp); err != nil {
			return false, nil, fmt.Errorf("api: cannot decode txn reply: %w", err)
		}
		return httpResp.StatusCode == http.StatusOK, resp, nil
	default:
		b, _ := io.ReadAll(io.LimitReader(httpResp.Body, maxErrorBody))
		return false, nil, &StatusError{Code: httpResp.StatusCode, Body: string(b)}
	}
}

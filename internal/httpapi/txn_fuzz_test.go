package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/concordhq/concord/api"
)

// FuzzTxn sends PUT /v1/txn with any body and query. Besides the
// harness's checks: a 200 carries no errors, and a 409 carries at least
// one, each naming an operation of the body.
func FuzzTxn(f *testing.F) {
	addBodySeeds(f, []bodySeed{
		{`[{"KV":{"Verb":"set","Key":"t/a","Value":"dmFsdWU="}}]`, ""},
		{`[{"KV":{"Verb":"set","Key":"t/a","Value":"dmFsdWU=","Flags":7}},{"KV":{"Verb":"get","Key":"t/a"}}]`, ""},
		{`[{"KV":{"Verb":"cas","Key":"t/a","Value":"eA==","Index":0}}]`, ""},
		{`[{"KV":{"Verb":"get-tree","Key":"t/"}},{"KV":{"Verb":"get","Key":"missing"}}]`, "stale"},
		{`[{"KV":{"Verb":"get-tree","Key":""}}]`, "consistent&index=3"},
		{`[{"KV":{"Verb":"check-index","Key":"t/a","Index":99}}]`, ""},
		{`[{"KV":{"Verb":"check-not-exists","Key":"t/a"}}]`, ""},
		{`[{"KV":{"Verb":"check-session","Key":"t/a","Session":"5a0ec9e8-4e52-4b1c-9b83-cb6f4c2a2a6b"}}]`, ""},
		{`[{"KV":{"Verb":"lock","Key":"t/l","Session":"not-a-uuid"}}]`, ""},
		{`[{"KV":{"Verb":"unlock","Key":"t/l","Session":""}}]`, ""},
		{`[{"KV":{"Verb":"delete","Key":"t/a"}},{"KV":{"Verb":"delete-tree","Key":""}}]`, ""},
		{`[{"KV":{"Verb":"delete-cas","Key":"t/a","Index":1}}]`, ""},
		{`[{"KV":{"Verb":"explode","Key":"t/a"}}]`, ""},
		{`[{"KV":{"Verb":"set","Key":""}}]`, ""},
		{`[{"KV":{"Verb":"set","Key":"t/a","Value":"not base64!"}}]`, ""},
		{`[{"KV":{"Verb":"set","Key":"t/a","Flags":-1}}]`, ""},
		{`[{"KV":{"Verb":"set","Key":"t/a","Index":18446744073709551616}}]`, ""},
		{`[{"Node":{"Verb":"set","Node":{"Node":"n"}}}]`, ""},
		{`[{"Service":{}},{"Check":{}}]`, ""},
		{`[{}]`, ""},
		{`[]`, ""},
		{`null`, ""},
		{``, ""},
		{`{"KV":{}}`, ""},
		{`[{"kv":{"verb":"set","key":"t/lower"}}]`, "dc=dc1"},
		{`[{"KV":{"Verb":"set","Key":"t/a"}}]`, "dc=dc2"},
		{`[{"KV":{"Verb":"get","Key":"t/a"}}]`, "stale&consistent"},
		{`[{"KV":{"Verb":"get","Key":"t/a"}}]`, "wait=forever"},
		{"[" + strings.Repeat(`{"KV":{"Verb":"get","Key":"k"}},`, 128) + `{"KV":{"Verb":"get","Key":"k"}}]`, ""},
	})
	a := startFuzzAgent(f)

	f.Fuzz(func(t *testing.T, body []byte, query string) {
		a.begin(t)
		target := withQuery("/v1/txn", query)
		r, ok := a.do(t, "PUT", target, body)
		if !ok || (r.code != 200 && r.code != 409) {
			return
		}
		var ops []api.TxnOp
		if err := json.Unmarshal(body, &ops); err != nil {
			t.Fatalf("PUT %q (body %q) = %d, but the body does not decode: %v", target, truncate(body), r.code, err)
		}
		var resp api.TxnResponse
		if err := json.Unmarshal(r.body, &resp); err != nil {
			t.Fatalf("PUT %q (body %q) = %d %q: %v", target, truncate(body), r.code, truncate(r.body), err)
		}
		switch {
		case r.code == 200 && len(resp.Errors) > 0:
			t.Fatalf("PUT %q (body %q) = 200 with errors %+v", target, truncate(body), resp.Errors)
		case r.code == 409 && len(resp.Errors) == 0:
			t.Fatalf("PUT %q (body %q) = 409 without errors", target, truncate(body))
		}
		for _, e := range resp.Errors {
			if e.OpIndex < 0 || e.OpIndex >= len(ops) {
				t.Fatalf("PUT %q (body %q) = 409 blaming operation %d of %d", target, truncate(body), e.OpIndex, len(ops))
			}
		}
	})
}

package httpapi

import (
	"net/http/httptest"
	"testing"
)

// TestRequestToken checks where a request's token is read from, in
// Consul's order: ?token=, X-Consul-Token, Authorization: Bearer.
func TestRequestToken(t *testing.T) {
	for _, tc := range []struct {
		name, url, header, bearer string
		want                      string
		ok                        bool
	}{
		{name: "none", url: "/v1/kv/a"},
		{name: "query", url: "/v1/kv/a?token=q", header: "h", want: "q", ok: true},
		{name: "header", url: "/v1/kv/a", header: "h", bearer: "Bearer b", want: "h", ok: true},
		{name: "bearer", url: "/v1/kv/a", bearer: "Bearer b", want: "b", ok: true},
		{name: "bearer any case", url: "/v1/kv/a", bearer: "bearer  b ", want: "b", ok: true},
		{name: "basic is not a token", url: "/v1/kv/a", bearer: "Basic dXNlcg=="},
		{name: "empty query falls through", url: "/v1/kv/a?token=", header: "h", want: "h", ok: true},
	} {
		r := httptest.NewRequest("GET", tc.url, nil)
		if tc.header != "" {
			r.Header.Set("X-Consul-Token", tc.header)
		}
		if tc.bearer != "" {
			r.Header.Set("Authorization", tc.bearer)
		}
		if got, ok := requestToken(r); got != tc.want || ok != tc.ok {
			t.Errorf("%s: requestToken = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

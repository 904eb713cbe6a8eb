package bench

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHTTPConn(t *testing.T) {
	big := strings.Repeat("x", 100_000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/small":
			w.Write([]byte("ok"))
		case "/big": // no Content-Length: net/http sends it chunked
			w.Write([]byte(big[:50_000]))
			w.(http.Flusher).Flush()
			w.Write([]byte(big[50_000:]))
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		case "/missing":
			http.NotFound(w, r)
		case "/echo":
			var b strings.Builder
			b.WriteString(r.Method + " ")
			buf := make([]byte, 100)
			n, _ := r.Body.Read(buf)
			b.Write(buf[:n])
			w.Write([]byte(b.String()))
		}
	}))
	defer srv.Close()
	c := newHTTPConn(strings.TrimPrefix(srv.URL, "http://"))
	defer c.Close()
	tests := []struct {
		method, path, body string
		wantCode           int
		wantBody           string
	}{
		{"GET", "/small", "", 200, "ok"},
		{"GET", "/big", "", 200, big},
		{"GET", "/empty", "", 204, ""},
		{"GET", "/missing", "", 404, "404 page not found\n"},
		{"PUT", "/echo", "hello", 200, "PUT hello"},
		{"GET", "/small", "", 200, "ok"},
	}
	for _, tc := range tests {
		code, body, err := c.do(tc.method, tc.path, []byte(tc.body))
		if err != nil || code != tc.wantCode || string(body) != tc.wantBody {
			t.Errorf("do(%s %s) = %d, %d bytes, %v; want %d, %d bytes", tc.method, tc.path, code, len(body), err,
				tc.wantCode, len(tc.wantBody))
		}
	}
}

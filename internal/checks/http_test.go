package checks_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/checks"
)

func TestHTTPStatusCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		code int
		want string
	}{
		{"200 is passing", http.StatusOK, api.HealthPassing},
		{"204 is passing", http.StatusNoContent, api.HealthPassing},
		{"429 is warning", http.StatusTooManyRequests, api.HealthWarning},
		{"500 is critical", http.StatusInternalServerError, api.HealthCritical},
		{"404 is critical", http.StatusNotFound, api.HealthCritical},
	}
	rec := newRecorder()
	r := newRunner(t, rec, nil)
	urls := make(map[string]string)
	for _, tc := range tests {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.code)
			io.WriteString(w, "body text")
		}))
		t.Cleanup(srv.Close)
		urls[tc.name] = srv.URL + "/health"
		mustAdd(t, r, tc.name, &api.AgentServiceCheck{HTTP: urls[tc.name], Interval: "1s"})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The first run comes after the initial (critical) report.
			waitFor(t, "a first probe result", func() bool { return len(rec.history(tc.name)) >= 2 })
			u, _ := rec.last(tc.name)
			if u.status != tc.want {
				t.Errorf("status = %q, want %q (output %q)", u.status, tc.want, u.output)
			}
			wantPrefix := "HTTP GET " + urls[tc.name] + ": " + strconv.Itoa(tc.code) + " " + http.StatusText(tc.code)
			if !strings.HasPrefix(u.output, wantPrefix) {
				t.Errorf("output = %q, want it to start with %q", u.output, wantPrefix)
			}
			if tc.code != http.StatusNoContent && !strings.HasSuffix(u.output, " Output: body text") {
				t.Errorf("output = %q, want the body at the end", u.output)
			}
		})
	}
}

// seenRequest is what an HTTP check's request carried.
type seenRequest struct {
	method, host, ua, body string
	tokens                 []string
}

// requestRecorder starts an HTTP server that passes on its first request.
func requestRecorder(t *testing.T) (*httptest.Server, <-chan seenRequest) {
	t.Helper()
	got := make(chan seenRequest, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		select {
		case got <- seenRequest{r.Method, r.Host, r.UserAgent(), string(b), r.Header.Values("X-Token")}:
		default:
		}
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func TestHTTPRequest(t *testing.T) {
	t.Parallel()
	plainSrv, plain := requestRecorder(t)
	customSrv, custom := requestRecorder(t)
	r := newRunner(t, newRecorder(), nil)
	mustAdd(t, r, "plain", &api.AgentServiceCheck{HTTP: plainSrv.URL, Interval: "1s"})
	mustAdd(t, r, "custom", &api.AgentServiceCheck{
		HTTP:     customSrv.URL,
		Interval: "1s",
		Method:   http.MethodPut,
		Header:   map[string][]string{"X-Token": {"a", "b"}, "Host": {"example.test"}, "User-Agent": {"probe/1"}},
		Body:     `{"ping":true}`,
	})

	t.Run("defaults", func(t *testing.T) {
		s := recv(t, plain)
		if s.method != http.MethodGet || s.ua != "Concord Health Check" || s.body != "" {
			t.Errorf("request = %s UA %q body %q, want GET UA %q and no body", s.method, s.ua, s.body, "Concord Health Check")
		}
	})
	t.Run("method, header and body", func(t *testing.T) {
		s := recv(t, custom)
		if s.method != http.MethodPut {
			t.Errorf("method = %q, want PUT", s.method)
		}
		if strings.Join(s.tokens, ",") != "a,b" {
			t.Errorf("X-Token = %q, want [a b]", s.tokens)
		}
		if s.host != "example.test" {
			t.Errorf("Host = %q, want example.test", s.host)
		}
		if s.ua != "probe/1" {
			t.Errorf("User-Agent = %q, want the definition's probe/1", s.ua)
		}
		if s.body != `{"ping":true}` {
			t.Errorf("body = %q, want %q", s.body, `{"ping":true}`)
		}
	})
}

func TestHTTPRedirects(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.Handle("/old", http.RedirectHandler("/new", http.StatusFound))
	mux.HandleFunc("/new", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "moved here") })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	rec := newRecorder()
	r := newRunner(t, rec, nil)

	mustAdd(t, r, "follow", &api.AgentServiceCheck{HTTP: srv.URL + "/old", Interval: "1s"})
	mustAdd(t, r, "stay", &api.AgentServiceCheck{HTTP: srv.URL + "/old", Interval: "1s", DisableRedirects: true})

	if u := waitStatus(t, rec, "follow", api.HealthPassing); !strings.Contains(u.output, "moved here") {
		t.Errorf("followed redirect output = %q, want the target's body", u.output)
	}
	waitFor(t, "a first probe of the check not following redirects", func() bool { return len(rec.history("stay")) >= 2 })
	if u, _ := rec.last("stay"); u.status != api.HealthCritical || !strings.Contains(u.output, "302 Found") {
		t.Errorf("with DisableRedirects: %q %q, want critical with 302 Found", u.status, u.output)
	}
}

func TestHTTPOutputTruncated(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		max        int
		wantBody   string
	}{
		{"ascii", strings.Repeat("x", 5000), 100, strings.Repeat("x", 100)},
		{"no rune split", strings.Repeat("é", 100), 11, strings.Repeat("é", 5)},
		{"short body kept", "ok", 100, "ok"},
	}
	// One runner per case (OutputMaxSize differs), all started first.
	recs := make(map[string]*recorder)
	for _, tc := range tests {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, tc.body) }))
		t.Cleanup(srv.Close)
		recs[tc.name] = newRecorder()
		r := newRunner(t, recs[tc.name], func(c *checks.Config) { c.OutputMaxSize = tc.max })
		mustAdd(t, r, "big", &api.AgentServiceCheck{HTTP: srv.URL, Interval: "1s"})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := waitStatus(t, recs[tc.name], "big", api.HealthPassing)
			_, body, _ := strings.Cut(u.output, "Output: ")
			if body != tc.wantBody {
				t.Errorf("body in output = %q (%d bytes), want %q (%d bytes)", body, len(body), tc.wantBody, len(tc.wantBody))
			}
			if !utf8.ValidString(u.output) {
				t.Errorf("output %q is not valid UTF-8", u.output)
			}
		})
	}
}

func TestHTTPTLS(t *testing.T) {
	t.Parallel()
	srv := newTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	rec := newRecorder()
	r := newRunner(t, rec, nil)
	mustAdd(t, r, "verify", &api.AgentServiceCheck{HTTP: srv.URL, Interval: "1s"})
	mustAdd(t, r, "skip", &api.AgentServiceCheck{HTTP: srv.URL, Interval: "1s", TLSSkipVerify: true})

	waitStatus(t, rec, "skip", api.HealthPassing)
	waitFor(t, "a first probe of the verifying check", func() bool { return len(rec.history("verify")) >= 2 })
	if u, _ := rec.last("verify"); u.status != api.HealthCritical || !strings.Contains(u.output, "certificate") {
		t.Errorf("self-signed certificate, verified: %q %q, want critical with a certificate error", u.status, u.output)
	}
}

func TestHTTPConnectionRefused(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	r := newRunner(t, rec, nil)
	mustAdd(t, r, "down", &api.AgentServiceCheck{HTTP: "http://" + closedAddr(t) + "/", Interval: "1s", Status: api.HealthPassing})
	if u := waitStatus(t, rec, "down", api.HealthCritical); !strings.Contains(u.output, "refused") {
		t.Errorf("output = %q, want connection refused", u.output)
	}
}

package ui_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
)

// noRedirect is a client that reports redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func fetch(t *testing.T, method, url string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// TestServing checks what the agent serves with the UI on and off, over
// plain HTTP (no browser needed).
func TestServing(t *testing.T) {
	on := testutil.StartAgent(t, "", func(c *config.Config) { c.UI = true })
	base := "http://" + on.HTTPAddr()

	t.Run("root redirects to the UI", func(t *testing.T) {
		resp, _ := fetch(t, "GET", base+"/", nil)
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/ui/" {
			t.Errorf("GET / = %d Location %q; want 302 to /ui/", resp.StatusCode, resp.Header.Get("Location"))
		}
	})

	t.Run("page and modules", func(t *testing.T) {
		resp, body := fetch(t, "GET", base+"/ui/", nil)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(body, `<script type="module" src="app.js">`) {
			t.Fatalf("GET /ui/ = %d %q, body %.200q; want the HTML page", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("Content-Security-Policy = %q; want scripts from the agent only", csp)
		}
		for _, name := range []string{"app.js", "api.js", "dom.js", "services.js", "nodes.js", "kv.js", "sessions.js", "acl.js", "login.js"} {
			resp, body := fetch(t, "GET", base+"/ui/"+name, nil)
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") || body == "" {
				t.Errorf("GET /ui/%s = %d %q; want a JavaScript module", name, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if strings.Contains(body, "http://") || strings.Contains(body, "https://") {
				t.Errorf("/ui/%s refers to an external URL; the UI must work offline", name)
			}
		}
	})

	t.Run("unchanged files revalidate to 304", func(t *testing.T) {
		resp, _ := fetch(t, "GET", base+"/ui/style.css", nil)
		tag := resp.Header.Get("ETag")
		if tag == "" || resp.Header.Get("Cache-Control") != "no-cache" {
			t.Fatalf("GET /ui/style.css: ETag %q, Cache-Control %q; want an ETag and no-cache", tag, resp.Header.Get("Cache-Control"))
		}
		resp, _ = fetch(t, "GET", base+"/ui/style.css", http.Header{"If-None-Match": {tag}})
		if resp.StatusCode != http.StatusNotModified {
			t.Errorf("GET /ui/style.css with If-None-Match = %d; want 304", resp.StatusCode)
		}
	})

	t.Run("errors", func(t *testing.T) {
		if resp, _ := fetch(t, "GET", base+"/ui/missing.js", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /ui/missing.js = %d; want 404", resp.StatusCode)
		}
		if resp, _ := fetch(t, "POST", base+"/ui/", nil); resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST /ui/ = %d; want 405", resp.StatusCode)
		}
	})

	t.Run("the API is unchanged", func(t *testing.T) {
		resp, body := fetch(t, "GET", base+"/v1/catalog/datacenters", nil)
		var dcs []string
		if err := json.Unmarshal([]byte(body), &dcs); resp.StatusCode != http.StatusOK || err != nil || len(dcs) != 1 || dcs[0] != "dc1" {
			t.Errorf("GET /v1/catalog/datacenters = %d %q; want [\"dc1\"]", resp.StatusCode, body)
		}
	})

	t.Run("off by default", func(t *testing.T) {
		off := testutil.StartAgent(t, "", nil)
		offBase := "http://" + off.HTTPAddr()
		if resp, _ := fetch(t, "GET", offBase+"/ui/", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("UI off: GET /ui/ = %d; want 404", resp.StatusCode)
		}
		if resp, body := fetch(t, "GET", offBase+"/", nil); resp.StatusCode != http.StatusOK || body != "Concord Agent" {
			t.Errorf("UI off: GET / = %d %q; want 200 \"Concord Agent\"", resp.StatusCode, body)
		}
	})
}

// Package ui serves Concord's web UI: a few ES modules, an HTML page and a
// stylesheet, embedded in the binary and served under /ui/. The pages talk
// to the agent only through the public /v1 HTTP API, the same one the CLI
// and the official clients use, so the UI needs no server code of its own.
//
// There is no build step: the files in static/ are what the browser loads.
package ui

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
)

// Prefix is the path the UI is served under.
const Prefix = "/ui/"

//go:embed static
var static embed.FS

// contentSecurityPolicy lets the pages load only the agent's own files and
// call only the agent's own API: no CDN, no inline script.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves the embedded files for paths under Prefix.
func Handler() http.Handler {
	files, err := fs.Sub(static, "static")
	if err != nil {
		panic("ui: embedded files missing: " + err.Error()) // a build problem, not a runtime one
	}
	etags := contentTags(files)
	fileServer := http.StripPrefix(Prefix, http.FileServerFS(files))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method "+r.Method+" not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// Revalidate on every load, so a new binary's files are picked up at
		// once; the ETag makes that a 304 when nothing changed.
		h.Set("Cache-Control", "no-cache")
		name := strings.TrimPrefix(r.URL.Path, Prefix)
		if name == "" || strings.HasSuffix(name, "/") {
			name += "index.html"
		}
		if tag, ok := etags[name]; ok {
			h.Set("ETag", tag)
		}
		fileServer.ServeHTTP(w, r)
	})
}

// Mount returns a handler that sends Prefix and everything under it to the
// UI, redirects a browser asking for "/" (or "/ui") to Prefix, and passes
// every other request to next, the HTTP API.
func Mount(next http.Handler) http.Handler {
	uiHandler := Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, Prefix):
			uiHandler.ServeHTTP(w, r)
		case (r.URL.Path == "/" || r.URL.Path == "/ui") &&
			(r.Method == http.MethodGet || r.Method == http.MethodHead):
			// 302, not 301: browsers keep a 301 forever, and the UI may be
			// turned off later.
			http.Redirect(w, r, Prefix, http.StatusFound)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// contentTags returns a strong ETag for each file, from its content.
func contentTags(files fs.FS) map[string]string {
	tags := map[string]string{}
	err := fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(files, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		tags[path] = `"` + hex.EncodeToString(sum[:8]) + `"`
		return nil
	})
	if err != nil {
		panic("ui: cannot read embedded files: " + err.Error())
	}
	return tags
}

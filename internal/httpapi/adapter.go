package httpapi

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/acl"
	"github.com/concordhq/concord/internal/call"
)

// rawBody is a reply sent as is rather than as JSON (?raw, GET /).
type rawBody struct {
	contentType string
	data        []byte
}

// statusBody is a JSON reply with a status other than 200 (txn's 409).
type statusBody struct {
	code int
	body any
}

// handled marks a reply the handler has written itself.
type handled struct{}

// statusText is a plain-text reply with a status other than 200.
type statusText struct {
	code int
	text string
}

// errNotFound makes the adapter answer 404 with an empty body, as Consul
// does for a missing key; the handler has set the index headers already.
var errNotFound = errors.New("not found")

// serve runs fn and writes its result or error.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, fn handlerFunc) {
	r = h.withDatacenter(h.withToken(r))
	if h.cfg.TranslateWANAddrs {
		w.Header().Set("X-Consul-Translate-Addresses", "true")
	}
	out, err := fn(h, w, r)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	if h.cfg.TranslateWANAddrs {
		out = h.translateWAN(r, out)
	}
	switch v := out.(type) {
	case handled:
	case bool:
		// The common reply of writes; skip the encoder.
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(strconv.FormatBool(v)))
	case rawBody:
		w.Header().Set("Content-Type", v.contentType)
		w.Write(v.data)
	case statusBody:
		h.writeJSON(w, r, v.code, v.body)
	case statusText:
		writeError(w, v.code, v.text)
	default:
		h.writeJSON(w, r, http.StatusOK, v)
	}
}

// writeJSON encodes v, indented when asked for (?pretty or dev mode).
func (h *Handler) writeJSON(w http.ResponseWriter, r *http.Request, code int, v any) {
	var data []byte
	var err error
	if h.cfg.Pretty || strings.Contains(r.URL.RawQuery, "pretty") && has(r.URL.Query(), "pretty") {
		data, err = json.MarshalIndent(v, "", "    ")
		data = append(data, '\n')
	} else {
		data, err = json.Marshal(v)
	}
	if err != nil {
		h.cfg.Logger.Error("cannot encode reply", "path", r.URL.Path, "error", err)
		writeError(w, http.StatusInternalServerError, "cannot encode reply: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(data)
}

// writeErr maps err to Consul's status code; the body is the error text.
func (h *Handler) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	var bad api.BadRequestError
	var large api.TooLargeError
	var maxBytes *http.MaxBytesError
	var notFound api.NotFoundError
	var limited call.RateLimitError
	switch {
	case errors.As(err, &limited):
		// Whole seconds, rounded up: a client waiting that long finds
		// the server's bucket refilled.
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(limited.RetryAfter.Seconds())))))
		writeError(w, http.StatusTooManyRequests, err.Error())
	case isACLError(err):
		writeError(w, http.StatusForbidden, err.Error())
	case errors.Is(err, acl.ErrDisabled):
		writeError(w, http.StatusUnauthorized, err.Error())
	case errors.As(err, &notFound):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, errNotFound):
		w.WriteHeader(http.StatusNotFound)
	case errors.As(err, &bad):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.As(err, &large):
		writeError(w, http.StatusRequestEntityTooLarge, err.Error())
	case errors.As(err, &maxBytes):
		writeError(w, http.StatusRequestEntityTooLarge, "Request body too large, max size: "+strconv.FormatInt(maxBytes.Limit, 10)+" bytes")
	case errors.Is(err, r.Context().Err()) && r.Context().Err() != nil:
		// The client went away or the agent is stopping; nobody reads this.
		writeError(w, http.StatusServiceUnavailable, api.ErrShuttingDown.Error())
	default:
		if !errors.Is(err, api.ErrNoLeader) && !errors.Is(err, api.ErrUnknownDC) {
			h.cfg.Logger.Warn("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		}
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}

// writeError writes a plain-text error, as Consul's API does.
func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	w.Write([]byte(msg))
}

// setMeta writes the X-Consul-* headers of a read.
func setMeta(w http.ResponseWriter, m *api.QueryMeta) {
	hdr := w.Header()
	hdr.Set("X-Consul-Index", strconv.FormatUint(max(m.LastIndex, 1), 10))
	hdr.Set("X-Consul-Knownleader", strconv.FormatBool(m.KnownLeader))
	hdr.Set("X-Consul-Lastcontact", strconv.FormatInt(m.LastContact.Milliseconds(), 10))
	if m.Consistency != "" {
		hdr.Set("X-Consul-Effective-Consistency", m.Consistency)
	}
	if m.ResultsFilteredByACLs {
		hdr.Set("X-Consul-Results-Filtered-By-ACLs", "true")
	}
}

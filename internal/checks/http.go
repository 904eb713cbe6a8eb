package checks

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/concordhq/concord/api"
)

// userAgent is the User-Agent of HTTP checks whose Header sets none.
const userAgent = "Concord Health Check"

// httpProbe requests a URL: a 2xx answer is passing, 429 Too Many Requests
// is warning, anything else (or no answer) is critical.
type httpProbe struct {
	url       string
	method    string
	header    http.Header // User-Agent set; Host moved to host
	host      string      // the Host header from the definition, or ""
	body      string
	client    *http.Client
	maxOutput int // bytes of the response body kept
}

// newHTTPProbe checks the URL and method of def and returns its probe.
// Redirects are followed (up to net/http's limit of 10) unless
// DisableRedirects, in which case a 3xx answer is critical. Connections are
// not kept between probes, and no proxy is used. tlsConf is for https
// URLs (Runner.checkTLS).
func newHTTPProbe(def *api.AgentServiceCheck, tlsConf *tls.Config, maxOutput int) (probe, error) {
	u, err := url.Parse(def.HTTP)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: HTTP %q is not an http or https URL", ErrInvalidCheck, def.HTTP)
	}
	method := def.Method
	if method == "" {
		method = http.MethodGet
	}
	if _, err := http.NewRequest(method, def.HTTP, nil); err != nil {
		return nil, fmt.Errorf("%w: Method %q: %v", ErrInvalidCheck, method, err)
	}

	header := make(http.Header)
	for k, vs := range def.Header {
		for _, v := range vs {
			header.Add(k, v)
		}
	}
	host := header.Get("Host")
	header.Del("Host")
	if header.Get("User-Agent") == "" {
		header.Set("User-Agent", userAgent)
	}

	transport := &http.Transport{
		TLSClientConfig:   tlsConf,
		DisableKeepAlives: true,
		ForceAttemptHTTP2: true,
	}
	client := &http.Client{Transport: transport}
	if def.DisableRedirects {
		client.CheckRedirect = func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}
	}
	p := &httpProbe{
		url:       def.HTTP,
		method:    method,
		header:    header,
		host:      host,
		body:      def.Body,
		client:    client,
		maxOutput: maxOutput,
	}
	return p.run, nil
}

func (p *httpProbe) run(ctx context.Context) (status, output string) {
	req, err := http.NewRequestWithContext(ctx, p.method, p.url, strings.NewReader(p.body))
	if err != nil {
		return api.HealthCritical, err.Error()
	}
	req.Header = p.header.Clone()
	if p.host != "" {
		req.Host = p.host
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return api.HealthCritical, err.Error()
	}
	defer resp.Body.Close()

	// Read one byte more than kept, so that truncate sees a cut rune.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, int64(p.maxOutput)+1))
	output = fmt.Sprintf("HTTP %s %s: %s Output: %s", p.method, p.url, resp.Status, truncate(string(body), p.maxOutput))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
		return api.HealthPassing, output
	case resp.StatusCode == http.StatusTooManyRequests:
		return api.HealthWarning, output
	default:
		return api.HealthCritical, output
	}
}

package authmethod

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// remoteKeys fetches a jwt method's keys from a JWKS URL, or from the
// JWKS an OIDC provider's discovery document names (which also gives the
// issuer a token must have). Keys are fetched for each login: a login is
// rare next to reads, and a rotated key then works at once.
type remoteKeys struct {
	client       *http.Client
	jwksURL      string // JWKSURL; "" with discovery
	discoveryURL string // OIDCDiscoveryURL; "" with JWKS
}

// remoteTimeout bounds one fetch of a discovery document or key set.
const remoteTimeout = 10 * time.Second

// maxRemoteReply bounds what is read of a discovery document or key set.
const maxRemoteReply = 1 << 20

// newRemoteKeys returns the fetcher for url, trusting caPEM (system roots
// when ""); discovery says url is an OIDC provider's.
func newRemoteKeys(url, caPEM string, discovery bool) (*remoteKeys, error) {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if caPEM != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(caPEM)) {
			return nil, errors.New("could not parse CA PEM value successfully")
		}
		tlsConfig.RootCAs = pool
	}
	r := &remoteKeys{client: &http.Client{Timeout: remoteTimeout,
		Transport: &http.Transport{TLSClientConfig: tlsConfig, DisableKeepAlives: true}}}
	if discovery {
		r.discoveryURL = url
	} else {
		r.jwksURL = url
	}
	return r, nil
}

// Check fetches the keys once, for an auth method being written.
func (r *remoteKeys) Check(ctx context.Context) error {
	_, _, err := r.fetch(ctx)
	if err == nil {
		return nil
	}
	if r.discoveryURL != "" {
		return fmt.Errorf("error checking OIDCDiscoveryURL: %v", err)
	}
	return fmt.Errorf("error checking JWKSURL: %v", err)
}

// fetch returns the current keys and, with discovery, the provider's issuer.
func (r *remoteKeys) fetch(ctx context.Context) (issuer string, keys []jose.JSONWebKey, err error) {
	ctx, cancel := context.WithTimeout(ctx, remoteTimeout)
	defer cancel()
	jwksURL := r.jwksURL
	if r.discoveryURL != "" {
		var doc struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		wellKnown := strings.TrimSuffix(r.discoveryURL, "/") + "/.well-known/openid-configuration"
		if err := r.get(ctx, wellKnown, &doc); err != nil {
			return "", nil, err
		}
		if doc.Issuer != r.discoveryURL {
			return "", nil, fmt.Errorf("oidc: issuer did not match the issuer returned by provider, expected %q got %q",
				r.discoveryURL, doc.Issuer)
		}
		if doc.JWKSURI == "" {
			return "", nil, errors.New("oidc: the discovery document names no jwks_uri")
		}
		issuer, jwksURL = doc.Issuer, doc.JWKSURI
	}
	var set jose.JSONWebKeySet
	if err := r.get(ctx, jwksURL, &set); err != nil {
		return "", nil, err
	}
	for _, k := range set.Keys {
		if k.Valid() && k.IsPublic() {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return "", nil, fmt.Errorf("%s holds no public keys", jwksURL)
	}
	return issuer, keys, nil
}

func (r *remoteKeys) get(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxRemoteReply))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("cannot decode %s: %v", url, err)
	}
	return nil
}

// keysFor picks from keys those a token signed with key ID kid may be
// checked with: the one with that ID, or every key when the token names
// none.
func keysFor(keys []jose.JSONWebKey, kid string) []any {
	var out []any
	for _, k := range keys {
		if kid == "" || k.KeyID == kid {
			out = append(out, k.Key)
		}
	}
	return out
}

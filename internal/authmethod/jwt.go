package authmethod

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// jwtConfig is a jwt method's Config, with Consul's key names. The OIDC
// login flow's keys (type oidc, an Enterprise feature) are there to be
// refused with Consul's text.
type jwtConfig struct {
	JWTSupportedAlgs     []string
	BoundAudiences       []string
	ClaimMappings        map[string]string
	ListClaimMappings    map[string]string
	OIDCDiscoveryURL     string
	OIDCDiscoveryCACert  string
	JWKSURL              string
	JWKSCACert           string
	JWTValidationPubKeys []string
	BoundIssuer          string
	ExpirationLeeway     time.Duration
	NotBeforeLeeway      time.Duration
	ClockSkewLeeway      time.Duration

	OIDCClientID        string
	OIDCClientSecret    string
	OIDCScopes          []string
	OIDCACRValues       []string
	AllowedRedirectURIs []string
	VerboseOIDCLogging  bool
	OIDCClientAssertion json.RawMessage
	OIDCClientUsePKCE   *bool
}

// jwtMethod logs in with a JWT signed by one of the configured keys, or
// of the keys fetched from a JWKS URL or an OIDC provider.
type jwtMethod struct {
	cfg    jwtConfig
	keys   []any // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
	remote *remoteKeys
	algs   []jose.SignatureAlgorithm
}

// Check fetches a remote method's keys, for an auth method being written.
func (m *jwtMethod) Check(ctx context.Context) error {
	if m.remote == nil {
		return nil
	}
	return m.remote.Check(ctx)
}

// asymmetric are the algorithms a public key can check; JWTSupportedAlgs
// narrows them.
var asymmetric = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512,
	jose.PS256, jose.PS384, jose.PS512, jose.EdDSA}

// Leeways when the config leaves them 0 (-1 turns one off), as Consul's.
const (
	defaultExpiryLeeway = 150 * time.Second
	defaultClockLeeway  = 60 * time.Second
)

func newJWT(raw map[string]any) (*jwtMethod, error) {
	var c jwtConfig
	if err := decodeConfig(raw, &c); err != nil {
		return nil, err
	}
	const typ = `"jwt"`
	for _, bad := range []struct {
		name string
		set  bool
	}{
		{"OIDCClientID", c.OIDCClientID != ""}, {"OIDCClientSecret", c.OIDCClientSecret != ""},
		{"OIDCScopes", len(c.OIDCScopes) > 0}, {"OIDCACRValues", len(c.OIDCACRValues) > 0},
		{"AllowedRedirectURIs", len(c.AllowedRedirectURIs) > 0}, {"VerboseOIDCLogging", c.VerboseOIDCLogging},
		{"OIDCClientAssertion", len(c.OIDCClientAssertion) > 0 && string(c.OIDCClientAssertion) != "null"},
		{"OIDCClientUsePKCE", c.OIDCClientUsePKCE != nil},
	} {
		if bad.set {
			return nil, fmt.Errorf("'%s' must not be set for type %s", bad.name, typ)
		}
	}
	n := 0
	for _, set := range []bool{c.OIDCDiscoveryURL != "", len(c.JWTValidationPubKeys) > 0, c.JWKSURL != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, fmt.Errorf("exactly one of 'JWTValidationPubKeys', 'JWKSURL', or 'OIDCDiscoveryURL' must be set for type %s", typ)
	}
	m := &jwtMethod{cfg: c, algs: asymmetric}
	var err error
	switch {
	case c.JWKSURL != "":
		if m.remote, err = newRemoteKeys(c.JWKSURL, c.JWKSCACert, false); err != nil {
			return nil, fmt.Errorf("error checking JWKSCACert: %v", err)
		}
	case c.JWKSCACert != "":
		return nil, errors.New("'JWKSCACert' should not be set unless 'JWKSURL' is set")
	}
	switch {
	case c.OIDCDiscoveryURL != "":
		if m.remote, err = newRemoteKeys(c.OIDCDiscoveryURL, c.OIDCDiscoveryCACert, true); err != nil {
			return nil, fmt.Errorf("error checking OIDCDiscoveryCACert: %v", err)
		}
		// An OIDC provider's tokens are RS256 unless said otherwise.
		m.algs = []jose.SignatureAlgorithm{jose.RS256}
	case c.OIDCDiscoveryCACert != "":
		return nil, errors.New("'OIDCDiscoveryCACert' should not be set unless 'OIDCDiscoveryURL' is set")
	}
	for i, k := range c.JWTValidationPubKeys {
		key, err := parsePublicKeyPEM(k)
		if err != nil {
			return nil, fmt.Errorf("error parsing public key JWTValidationPubKeys[%d]: %v", i, err)
		}
		m.keys = append(m.keys, key)
	}
	if len(c.JWTSupportedAlgs) > 0 {
		m.algs = nil
		for _, a := range c.JWTSupportedAlgs {
			alg := jose.SignatureAlgorithm(a)
			if alg == jose.EdDSA || !slices.Contains(asymmetric, alg) {
				return nil, fmt.Errorf("Invalid supported algorithm: %s", a)
			}
			m.algs = append(m.algs, alg)
		}
	}
	for _, mappings := range []struct {
		name string
		m    map[string]string
	}{{"ClaimMappings", c.ClaimMappings}, {"ListClaimMappings", c.ListClaimMappings}} {
		seen := map[string]bool{}
		for _, target := range mappings.m {
			if seen[target] {
				return nil, fmt.Errorf("%s contains multiple mappings for key %q", mappings.name, target)
			}
			seen[target] = true
		}
	}
	return m, nil
}

// parsePublicKeyPEM reads an RSA, ECDSA or Ed25519 public key, or a
// certificate's, from PEM.
func parsePublicKeyPEM(data string) (any, error) {
	block, _ := pem.Decode([]byte(data))
	if block != nil {
		key, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			cert, cerr := x509.ParseCertificate(block.Bytes)
			if cerr != nil {
				return nil, err
			}
			key = cert.PublicKey
		}
		switch key.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
			return key, nil
		}
	}
	return nil, errors.New("data does not contain any valid RSA, ECDSA, or ED25519 public keys")
}

// jwtFields are what binding rules' selectors see of a JWT login: the
// mapped claims, as value.<name> and list.<name>.
type jwtFields struct {
	Values map[string]string   `bexpr:"value"`
	Lists  map[string][]string `bexpr:"list"`
}

func (m *jwtMethod) NewIdentity() *Identity {
	f := &jwtFields{Values: map[string]string{}, Lists: map[string][]string{}}
	vars := map[string]string{}
	for _, k := range sortedValues(m.cfg.ClaimMappings) {
		f.Values[k] = ""
		vars["value."+k] = ""
	}
	for _, k := range sortedValues(m.cfg.ListClaimMappings) {
		f.Lists[k] = nil
	}
	return &Identity{Fields: f, Vars: vars}
}

func (m *jwtMethod) Login(ctx context.Context, bearer string) (*Identity, error) {
	if bearer == "" {
		return nil, errors.New("missing jwt")
	}
	tok, err := jwt.ParseSigned(bearer, m.algs)
	if err != nil {
		return nil, fmt.Errorf("error parsing token: %v", err)
	}
	keys, issuer := m.keys, ""
	if m.remote != nil {
		var remote []jose.JSONWebKey
		if issuer, remote, err = m.remote.fetch(ctx); err != nil {
			return nil, fmt.Errorf("error fetching keys: %v", err)
		}
		kid := ""
		if len(tok.Headers) > 0 {
			kid = tok.Headers[0].KeyID
		}
		keys = keysFor(remote, kid)
	}
	var claims jwt.Claims
	var all map[string]any
	valid := false
	for _, key := range keys {
		if err := tok.Claims(key, &claims, &all); err == nil {
			valid = true
			break
		}
	}
	if !valid {
		return nil, errors.New("no known key successfully validated the token signature")
	}
	if m.remote != nil && m.remote.discoveryURL != "" {
		if err := checkOIDC(&claims, issuer, m.cfg.BoundAudiences); err != nil {
			return nil, err
		}
		return m.identity(all)
	}
	if err := m.checkTimes(&claims); err != nil {
		return nil, err
	}
	if err := checkAudience(m.cfg.BoundAudiences, claims.Audience); err != nil {
		return nil, fmt.Errorf("error validating claims: %v", err)
	}
	return m.identity(all)
}

// checkOIDC checks an OIDC provider's token as Consul's OIDC verifier
// does: an expiry that has not passed, the provider's issuer, and one of
// the bound audiences when any are bound (a token without aud passes).
func checkOIDC(c *jwt.Claims, issuer string, bound []string) error {
	if c.Expiry == nil {
		return errors.New("error validating signature: oidc: token has no expiry")
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: issuer, Time: time.Now()}, 0); err != nil {
		return fmt.Errorf("error validating signature: %v", err)
	}
	if len(bound) > 0 && len(c.Audience) > 0 {
		if err := checkAudience(bound, c.Audience); err != nil {
			return fmt.Errorf("error validating claims: %v", err)
		}
	}
	return nil
}

// checkTimes checks exp, nbf and iat as Consul does: a token must have
// one of them; a missing exp is the latest of iat and nbf plus the
// expiration leeway, a missing nbf is iat, or exp less the not-before
// leeway.
func (m *jwtMethod) checkTimes(c *jwt.Claims) error {
	num := func(d *jwt.NumericDate) int64 {
		if d == nil {
			return 0
		}
		return int64(*d)
	}
	iat, exp, nbf := num(c.IssuedAt), num(c.Expiry), num(c.NotBefore)
	if iat == 0 && exp == 0 && nbf == 0 {
		return errors.New("no issue time, notbefore, or expiration time encoded in token")
	}
	if exp == 0 {
		exp = max(iat, nbf) + int64(leeway(m.cfg.ExpirationLeeway, defaultExpiryLeeway).Seconds())
	}
	if nbf == 0 {
		if iat != 0 {
			nbf = iat
		} else {
			nbf = exp - int64(leeway(m.cfg.NotBeforeLeeway, defaultExpiryLeeway).Seconds())
		}
	}
	expD, nbfD := jwt.NumericDate(exp), jwt.NumericDate(nbf)
	c.Expiry, c.NotBefore = &expD, &nbfD
	want := jwt.Expected{Issuer: m.cfg.BoundIssuer, Time: time.Now()}
	if err := c.ValidateWithLeeway(want, leeway(m.cfg.ClockSkewLeeway, defaultClockLeeway)); err != nil {
		return fmt.Errorf("error validating claims: %v", err)
	}
	return nil
}

// leeway is a configured leeway: 0 is the default, below 0 none.
func leeway(d, def time.Duration) time.Duration {
	switch {
	case d < 0:
		return 0
	case d == 0:
		return def
	}
	return d
}

// checkAudience checks the aud claim: it must name one of bound, and
// there must be none when nothing is bound.
func checkAudience(bound []string, aud jwt.Audience) error {
	if len(bound) == 0 {
		if len(aud) > 0 {
			return errors.New("audience claim found in JWT but no audiences are bound")
		}
		return nil
	}
	for _, b := range bound {
		if slices.Contains(aud, b) {
			return nil
		}
	}
	return errors.New("aud claim does not match any bound audience")
}

// identity maps the verified claims into an identity by ClaimMappings
// (a claim's name, or a JSON pointer such as /a/b) and ListClaimMappings.
func (m *jwtMethod) identity(all map[string]any) (*Identity, error) {
	id := m.NewIdentity()
	f := id.Fields.(*jwtFields)
	for source, target := range m.cfg.ClaimMappings {
		raw := claim(all, source)
		if raw == nil {
			continue
		}
		s, ok := stringify(raw)
		if !ok {
			return nil, fmt.Errorf("error converting claim '%s' to string from unknown type %T", source, raw)
		}
		f.Values[target] = s
		id.Vars["value."+target] = s
	}
	for source, target := range m.cfg.ListClaimMappings {
		raw := claim(all, source)
		if raw == nil {
			continue
		}
		items, ok := raw.([]any)
		if !ok {
			items = []any{raw}
		}
		list := []string{}
		for _, item := range items {
			s, ok := stringify(item)
			if !ok {
				return nil, fmt.Errorf("value %v in %q list claim could not be parsed as string", item, source)
			}
			if s != "" {
				list = append(list, s)
			}
		}
		f.Lists[target] = list
	}
	return id, nil
}

// claim finds a claim by name, or by JSON pointer when name starts with /.
func claim(all map[string]any, name string) any {
	if !strings.HasPrefix(name, "/") {
		return all[name]
	}
	var cur any = all
	for _, part := range strings.Split(name[1:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		switch v := cur.(type) {
		case map[string]any:
			cur = v[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(v) {
				return nil
			}
			cur = v[i]
		default:
			return nil
		}
	}
	return cur
}

// stringify writes a string, bool or number claim as a string (numbers
// truncated to integers, as Consul does).
func stringify(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		return strconv.FormatInt(int64(v), 10), true
	case json.Number:
		return v.String(), true
	}
	return "", false
}

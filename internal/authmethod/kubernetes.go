package authmethod

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// kubernetesConfig is a kubernetes method's Config, as Consul names it.
type kubernetesConfig struct {
	// Host is the API server: a host, host:port or URL.
	Host string
	// CACert is the PEM CA certificate the API server's is checked with.
	CACert string
	// ServiceAccountJWT is the token Concord calls the TokenReview and
	// ServiceAccount APIs with.
	ServiceAccountJWT string
}

// kubernetes logs in with a Kubernetes service account token: the API
// server says, by a TokenReview, whether it is valid and whose it is.
type kubernetes struct {
	base   string // the API server's URL, without a trailing /
	jwt    string
	client *http.Client
}

// serviceNameAnnotation on a ServiceAccount names the service its
// identity takes instead of the account's name, as in Consul.
const serviceNameAnnotation = "consul.hashicorp.com/service-name"

// kubeTimeout bounds one login's calls to the API server.
const kubeTimeout = 10 * time.Second

// anyAlgorithm is every JWS algorithm, for parsing a token whose
// signature is not checked here (the API server checks it).
var anyAlgorithm = []jose.SignatureAlgorithm{jose.EdDSA, jose.HS256, jose.HS384, jose.HS512, jose.RS256, jose.RS384,
	jose.RS512, jose.ES256, jose.ES384, jose.ES512, jose.PS256, jose.PS384, jose.PS512}

func newKubernetes(raw map[string]any) (*kubernetes, error) {
	var c kubernetesConfig
	if err := decodeConfig(raw, &c); err != nil {
		return nil, err
	}
	if c.Host == "" {
		return nil, errors.New("Config.Host is required")
	}
	if c.CACert == "" {
		return nil, errors.New("Config.CACert is required")
	}
	pool, err := parseCertsPEM(c.CACert)
	if err != nil {
		return nil, fmt.Errorf("error parsing kubernetes ca cert: %v", err)
	}
	if c.ServiceAccountJWT == "" {
		return nil, errors.New("Config.ServiceAccountJWT is required")
	}
	if _, err := jwt.ParseSigned(c.ServiceAccountJWT, anyAlgorithm); err != nil {
		return nil, fmt.Errorf("Config.ServiceAccountJWT is not a valid JWT: %v", err)
	}
	base := c.Host
	if !strings.Contains(base, "://") {
		base = "https://" + base
	}
	if _, err := url.Parse(base); err != nil {
		return nil, fmt.Errorf("Config.Host is not a valid URL: %v", err)
	}
	return &kubernetes{
		base: strings.TrimRight(base, "/"),
		jwt:  c.ServiceAccountJWT,
		client: &http.Client{Timeout: kubeTimeout, Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
			DisableKeepAlives: true, // a validator lives for one login
		}},
	}, nil
}

// parseCertsPEM reads one or more PEM certificates into a pool; any
// block that is not a valid certificate is an error.
func parseCertsPEM(data string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	rest, n := []byte(data), 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, errors.New("data does not contain any valid RSA or ECDSA certificates")
	}
	return pool, nil
}

// kubeFields are what binding rules' selectors see of a Kubernetes login.
type kubeFields struct {
	ServiceAccount struct {
		Namespace string `bexpr:"namespace"`
		Name      string `bexpr:"name"`
		UID       string `bexpr:"uid"`
	} `bexpr:"serviceaccount"`
}

func (k *kubernetes) NewIdentity() *Identity {
	return &Identity{Fields: &kubeFields{}, Vars: map[string]string{
		"serviceaccount.namespace": "", "serviceaccount.name": "", "serviceaccount.uid": ""}}
}

// tokenReview is the part of Kubernetes' authentication.k8s.io/v1
// TokenReview that a login reads and writes.
type tokenReview struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       struct {
		Token string `json:"token"`
	} `json:"spec"`
	Status struct {
		Authenticated bool   `json:"authenticated"`
		Error         string `json:"error,omitempty"`
		User          struct {
			Username string `json:"username"`
			UID      string `json:"uid"`
		} `json:"user"`
	} `json:"status"`
}

func (k *kubernetes) Login(ctx context.Context, bearer string) (*Identity, error) {
	if _, err := jwt.ParseSigned(bearer, anyAlgorithm); err != nil {
		return nil, fmt.Errorf("failed to parse and validate JWT: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, kubeTimeout)
	defer cancel()
	review := tokenReview{APIVersion: "authentication.k8s.io/v1", Kind: "TokenReview"}
	review.Spec.Token = bearer
	if err := k.call(ctx, http.MethodPost, "/apis/authentication.k8s.io/v1/tokenreviews", review, &review); err != nil {
		return nil, fmt.Errorf("lookup failed: %v", err)
	}
	switch {
	case review.Status.Error != "":
		return nil, fmt.Errorf("lookup failed: %s", review.Status.Error)
	case !review.Status.Authenticated:
		return nil, errors.New("lookup failed: service account jwt not valid")
	}
	// The username is system:serviceaccount:<namespace>:<name>.
	parts := strings.Split(review.Status.User.Username, ":")
	if len(parts) != 4 {
		return nil, errors.New("lookup failed: unexpected username format")
	}
	if parts[0] != "system" || parts[1] != "serviceaccount" {
		return nil, errors.New("lookup failed: username returned is not a service account")
	}
	ns, name := parts[2], parts[3]
	var sa struct {
		Metadata struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
	}
	path := "/api/v1/namespaces/" + url.PathEscape(ns) + "/serviceaccounts/" + url.PathEscape(name)
	if err := k.call(ctx, http.MethodGet, path, nil, &sa); err != nil {
		return nil, fmt.Errorf("annotation lookup failed: %v", err)
	}
	if override, ok := sa.Metadata.Annotations[serviceNameAnnotation]; ok {
		name = override
	}
	id := k.NewIdentity()
	f := id.Fields.(*kubeFields)
	f.ServiceAccount.Namespace, f.ServiceAccount.Name, f.ServiceAccount.UID = ns, name, review.Status.User.UID
	id.Vars["serviceaccount.namespace"], id.Vars["serviceaccount.name"], id.Vars["serviceaccount.uid"] = ns, name, review.Status.User.UID
	return id, nil
}

// maxKubeReply bounds what is read of the API server's replies.
const maxKubeReply = 1 << 20

// call makes one API call with the method's service account token,
// sending in as JSON (when not nil) and decoding the reply into out.
func (k *kubernetes) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, k.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+k.jwt)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxKubeReply))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(data)))
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("cannot decode %s reply: %v", path, err)
	}
	return nil
}

package testutil

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// JWTIssuer signs JWTs (RS256) with a fresh RSA key, for tests of jwt
// auth methods: PublicKeyPEM goes in a method's JWTValidationPubKeys,
// JWK in a key set it fetches.
type JWTIssuer struct {
	key          *rsa.PrivateKey
	PublicKeyPEM string
}

// NewJWTIssuer makes an issuer with a new 2048-bit key.
func NewJWTIssuer(t testing.TB) *JWTIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return &JWTIssuer{key: key, PublicKeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}
}

// JWK is the public key as a key set holds it, with key ID kid.
func (j *JWTIssuer) JWK(kid string) jose.JSONWebKey {
	return jose.JSONWebKey{Key: &j.key.PublicKey, KeyID: kid, Algorithm: string(jose.RS256), Use: "sig"}
}

// Sign returns a JWT of claims and extra (private claims, may be nil),
// naming the key ID kid in its header unless "".
func (j *JWTIssuer) Sign(t testing.TB, kid string, claims jwt.Claims, extra map[string]any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: j.key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(sig).Claims(claims).Claims(extra).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

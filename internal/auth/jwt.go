package auth

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// claims are the JWT claims we read. Role is decoded loosely (any JSON value)
// so a non-string role is reported as an unknown role, not a malformed token.
type claims struct {
	jwt.RegisteredClaims
	Role any `json:"role"`
}

var errAlgorithm = errors.New("signing algorithm not configured")

// parseRSAPublicKey parses the JWT_RS256_PUBLIC_KEY value.
func parseRSAPublicKey(pemText string) (*rsa.PublicKey, error) {
	if !strings.Contains(pemText, "\n") {
		// One-line env var with escaped newlines.
		pemText = strings.ReplaceAll(pemText, `\n`, "\n")
	}
	key, err := jwt.ParseRSAPublicKeyFromPEM([]byte(strings.TrimSpace(pemText)))
	if err != nil {
		return nil, fmt.Errorf("not a PEM-encoded RSA public key: %w", err)
	}
	if bits := key.N.BitLen(); bits < minRSABits {
		return nil, fmt.Errorf("RSA key has %d bits, want at least %d", bits, minRSABits)
	}
	return key, nil
}

// looksLikeJWT reports whether token has the JWS compact shape: three
// dot-separated base64url parts (the signature may be empty, as in
// "alg: none" tokens, which must reach the JWT path to be rejected as such).
func looksLikeJWT(token string) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return false
	}
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			c := p[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// keyFor returns the verification key for the token's algorithm. The key
// type is chosen by us, per algorithm, never by the token: an RS256 public key
// can therefore never be used as an HS256 secret (algorithm confusion).
func (a *Authenticator) keyFor(t *jwt.Token) (any, error) {
	switch t.Method {
	case jwt.SigningMethodHS256:
		if a.hs256Secret != nil {
			return a.hs256Secret, nil
		}
	case jwt.SigningMethodRS256:
		if a.rs256Key != nil {
			return a.rs256Key, nil
		}
	}
	return nil, errAlgorithm
}

// verifyJWT verifies the signature and the claims of token.
func (a *Authenticator) verifyJWT(token string) (Principal, error) {
	if a.jwtParser == nil {
		return Principal{}, fail(ReasonJWTNotAccepted, nil)
	}
	var c claims
	t, err := a.jwtParser.ParseWithClaims(token, &c, a.keyFor)
	if err != nil {
		return Principal{}, fail(a.jwtReason(t, &c, err), fmt.Errorf("verify JWT: %w", err))
	}
	if c.Role == nil {
		return Principal{}, fail(ReasonMissingRole, nil)
	}
	s, _ := c.Role.(string)
	role, err := ParseRole(s)
	if err != nil {
		return Principal{}, fail(ReasonUnknownRole, nil) // not wrapped: it would quote the claim
	}
	subject := c.Subject
	if subject == "" {
		subject = "jwt"
	}
	return Principal{Subject: subject, Role: role, Method: MethodJWT}, nil
}

// jwtReason turns a golang-jwt error into a client-safe reason. The checks go
// from the most fundamental (can the token be read, is it ours) to the claims,
// because several claim errors can be reported at once.
func (a *Authenticator) jwtReason(t *jwt.Token, c *claims, err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return ReasonMalformedToken
	case t == nil || t.Method == nil || errors.Is(err, errAlgorithm):
		// No or unknown "alg", or one we do not accept.
		return ReasonAlgorithm
	case t.Method.Alg() != jwt.SigningMethodHS256.Alg() && t.Method.Alg() != jwt.SigningMethodRS256.Alg():
		return ReasonAlgorithm // e.g. "none", rejected by WithValidMethods
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		if _, kerr := a.keyFor(t); kerr != nil {
			return ReasonAlgorithm // HS256/RS256, but not the configured one
		}
		return ReasonSignature
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return ReasonAlgorithm
	case errors.Is(err, jwt.ErrTokenExpired):
		return ReasonExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return ReasonNotYetValid
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return ReasonIssuer
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return ReasonAudience
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		// The signature was good, so the claims were decoded: say which.
		switch {
		case c.ExpiresAt == nil:
			return ReasonNoExpiry
		case a.jwtIssuer != "" && c.Issuer == "":
			return ReasonIssuer
		default:
			return ReasonAudience
		}
	default:
		return ReasonInvalidClaims
	}
}

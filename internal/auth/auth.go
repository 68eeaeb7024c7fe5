// Package auth authenticates GraphQL API requests and says what the caller's
// role may see and do.
//
// Credentials are configured by the operator (see [Config]): API keys, stored
// only as SHA-256 digests, and/or JWT bearer tokens signed with HS256 (shared
// secret) or RS256 (PEM public key). Every authenticated request carries a
// [Principal] with one of three roles:
//
//   - admin: reads and writes, sees personal data;
//   - analyst: reads everything, personal data is pseudonymised ([Authenticator.Mask]);
//   - viewer: reads, personal data fields are not returned at all.
//
// With no credentials configured the package runs in development mode: every
// request is an admin (Method "dev"), so a local checkout works without setup.
// That is why [Authenticator.Enabled] exists: the server should log loudly when
// it is false.
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Role is what a principal may do. The zero value is no role at all: it can
// neither write nor see personal data, so a forgotten Principal fails closed.
type Role string

// The roles.
const (
	RoleAdmin   Role = "admin"   // read and write, personal data in clear
	RoleAnalyst Role = "analyst" // read, personal data pseudonymised
	RoleViewer  Role = "viewer"  // read, personal data fields hidden
)

// ParseRole parses a role name, ignoring case and surrounding space (env vars
// and identity providers are not consistent about either).
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case RoleAdmin, RoleAnalyst, RoleViewer:
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q (want admin, analyst or viewer)", s)
}

// CanWrite reports whether the role may run mutations (admin only).
func (r Role) CanWrite() bool { return r == RoleAdmin }

// SeesPersonalData reports whether personal data is returned in clear (admin only).
func (r Role) SeesPersonalData() bool { return r == RoleAdmin }

// MasksPersonalData reports whether personal data is returned pseudonymised
// (analyst). A role that neither sees nor masks personal data must not be
// given those fields at all (viewer, and the zero Role).
func (r Role) MasksPersonalData() bool { return r == RoleAnalyst }

// How a principal was authenticated.
const (
	MethodAPIKey = "api-key"
	MethodJWT    = "jwt"
	MethodDev    = "dev"
)

// Principal is the authenticated caller.
type Principal struct {
	// Subject identifies the caller in logs: "api-key:<first 12 hex of the
	// key's SHA-256>" (never the key), the JWT "sub" claim, or "dev".
	Subject string
	Role    Role
	Method  string // MethodAPIKey, MethodJWT or MethodDev
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p (used by Middleware, and by tests and
// background jobs that act as a given principal).
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal put in ctx by Middleware or WithPrincipal.
// When ok is false the caller must treat the request as unauthenticated.
func FromContext(ctx context.Context) (p Principal, ok bool) {
	p, ok = ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Config is the operator's configuration, as strings read from the
// environment by internal/config. The field comments name the env vars, which
// New's errors also name.
type Config struct {
	// APIKeys (API_KEYS) lists "role:sha256hex" entries separated by commas
	// (newlines and spaces around entries are ignored). The digest is
	// HashKey(key); the key itself is never configured on the server.
	APIKeys string
	// JWTHS256Secret (JWT_HS256_SECRET) enables HS256 JWTs; at least 32 bytes.
	JWTHS256Secret string
	// JWTRS256PublicKeyPEM (JWT_RS256_PUBLIC_KEY) enables RS256 JWTs: a PEM
	// "PUBLIC KEY", "RSA PUBLIC KEY" or certificate, RSA of at least 2048 bits.
	// Literal "\n" sequences are accepted in place of newlines, since
	// multi-line env vars are awkward in many deployment tools.
	JWTRS256PublicKeyPEM string
	// JWTIssuer (JWT_ISSUER) and JWTAudience (JWT_AUDIENCE), when set, must
	// match the token's "iss" and one of its "aud" values.
	JWTIssuer, JWTAudience string
	// PseudonymKey (PII_PSEUDONYM_KEY) keys the pseudonyms shown to analysts;
	// at least 32 bytes. When empty it is derived from JWT_HS256_SECRET, else
	// from the API key digests (so adding or removing a key changes every
	// pseudonym: set it explicitly in production), and with no credentials at
	// all (development mode) a fixed, public development value is used.
	PseudonymKey string
}

// Env var names, for error messages.
const (
	envAPIKeys      = "API_KEYS"
	envHS256Secret  = "JWT_HS256_SECRET"
	envRS256Key     = "JWT_RS256_PUBLIC_KEY"
	envIssuer       = "JWT_ISSUER"
	envAudience     = "JWT_AUDIENCE"
	envPseudonymKey = "PII_PSEUDONYM_KEY"
)

const (
	// minSecretLen follows RFC 7518 §3.2: an HS256 key must be at least as
	// long as the hash output. The same floor applies to the pseudonym key.
	minSecretLen = 32
	minRSABits   = 2048
	// jwtLeeway tolerates clock skew between the token issuer and us.
	jwtLeeway = 30 * time.Second
	// devPseudonymKey is public: development data is not personal data.
	devPseudonymKey = "c360 development pseudonym key - not a secret"
	// pseudonymKeyLabel separates the derived pseudonym key from any other use
	// of the same secret (e.g. an HS256 signature).
	pseudonymKeyLabel = "c360/pii-pseudonym-key/v1"
)

// Authenticator checks request credentials against the configuration.
// It is immutable after New and safe for concurrent use.
type Authenticator struct {
	apiKeys      []apiKey
	hs256Secret  []byte         // nil when HS256 is not configured
	rs256Key     *rsa.PublicKey // nil when RS256 is not configured
	jwtParser    *jwt.Parser    // nil when no JWT algorithm is configured
	jwtIssuer    string         // expected "iss", if any
	pseudonymKey []byte
	now          func() time.Time // for tests; time.Now otherwise
}

// New validates cfg and returns an Authenticator. Errors name the offending
// env var and never contain secret values.
func New(cfg Config) (*Authenticator, error) {
	a := &Authenticator{now: time.Now}
	var err error
	if a.apiKeys, err = parseAPIKeys(cfg.APIKeys); err != nil {
		return nil, fmt.Errorf("%s: %w", envAPIKeys, err)
	}
	if s := cfg.JWTHS256Secret; s != "" {
		if len(s) < minSecretLen {
			return nil, fmt.Errorf("%s: must be at least %d bytes, got %d (generate one with `openssl rand -hex 32`)",
				envHS256Secret, minSecretLen, len(s))
		}
		a.hs256Secret = []byte(s)
	}
	if p := cfg.JWTRS256PublicKeyPEM; strings.TrimSpace(p) != "" {
		if a.rs256Key, err = parseRSAPublicKey(p); err != nil {
			return nil, fmt.Errorf("%s: %w", envRS256Key, err)
		}
	}

	var algs []string
	if a.hs256Secret != nil {
		algs = append(algs, jwt.SigningMethodHS256.Alg())
	}
	if a.rs256Key != nil {
		algs = append(algs, jwt.SigningMethodRS256.Alg())
	}
	iss, aud := strings.TrimSpace(cfg.JWTIssuer), strings.TrimSpace(cfg.JWTAudience)
	if len(algs) == 0 {
		// An issuer or audience without a key means the operator believes
		// JWTs are being checked when they are not: refuse to start.
		if iss != "" {
			return nil, fmt.Errorf("%s is set but no JWT key is configured (set %s or %s)", envIssuer, envHS256Secret, envRS256Key)
		}
		if aud != "" {
			return nil, fmt.Errorf("%s is set but no JWT key is configured (set %s or %s)", envAudience, envHS256Secret, envRS256Key)
		}
	} else {
		opts := []jwt.ParserOption{
			// The allow-list is what defeats "alg: none" and algorithm
			// confusion; keyFor checks it again per algorithm.
			jwt.WithValidMethods(algs),
			jwt.WithExpirationRequired(),
			jwt.WithLeeway(jwtLeeway),
			// Reject non-canonical base64 so a token has one encoding only.
			jwt.WithStrictDecoding(),
			jwt.WithTimeFunc(func() time.Time { return a.now() }),
		}
		if iss != "" {
			a.jwtIssuer = iss
			opts = append(opts, jwt.WithIssuer(iss))
		}
		if aud != "" {
			opts = append(opts, jwt.WithAudience(aud))
		}
		a.jwtParser = jwt.NewParser(opts...)
	}

	if a.pseudonymKey, err = a.derivePseudonymKey(cfg.PseudonymKey); err != nil {
		return nil, err
	}
	return a, nil
}

// derivePseudonymKey picks the pseudonym key as documented on Config.PseudonymKey.
func (a *Authenticator) derivePseudonymKey(explicit string) ([]byte, error) {
	if explicit != "" {
		if len(explicit) < minSecretLen {
			return nil, fmt.Errorf("%s: must be at least %d bytes, got %d (generate one with `openssl rand -hex 32`)",
				envPseudonymKey, minSecretLen, len(explicit))
		}
		return []byte(explicit), nil
	}
	derive := func(secret []byte) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(pseudonymKeyLabel))
		return m.Sum(nil)
	}
	switch {
	case a.hs256Secret != nil:
		// Preferred source: it does not change when API keys are rotated.
		return derive(a.hs256Secret), nil
	case len(a.apiKeys) > 0:
		// Sorted so the order of API_KEYS entries does not matter.
		digests := make([]string, len(a.apiKeys))
		for i, k := range a.apiKeys {
			digests[i] = string(k.digest[:])
		}
		slices.Sort(digests)
		return derive([]byte(strings.Join(digests, ""))), nil
	case a.rs256Key != nil:
		// A public key is public: pseudonyms keyed by it could be reversed
		// by anyone hashing candidate e-mail addresses.
		return nil, fmt.Errorf("%s: required when %s is the only credential configured (a public key is not a secret)",
			envPseudonymKey, envRS256Key)
	default:
		return []byte(devPseudonymKey), nil
	}
}

// Enabled reports whether any credential is configured. When false
// (development mode) every request is authenticated as an admin.
func (a *Authenticator) Enabled() bool {
	return len(a.apiKeys) > 0 || a.jwtParser != nil
}

// devPrincipal is everyone in development mode.
var devPrincipal = Principal{Subject: "dev", Role: RoleAdmin, Method: MethodDev}

// Reasons for an authentication failure, safe to show to the client: they
// never contain the presented credential.
const (
	ReasonMissing          = "missing credentials: send Authorization: Bearer <token> or X-API-Key: <key>"
	ReasonMalformed        = "malformed credentials"
	ReasonAmbiguous        = "send credentials in one header only: Authorization or X-API-Key"
	ReasonScheme           = "unsupported Authorization scheme: use Bearer"
	ReasonUnknownKey       = "unknown API key"
	ReasonJWTNotAccepted   = "JWT bearer tokens are not accepted by this server"
	ReasonMalformedToken   = "malformed token"
	ReasonAlgorithm        = "token signing algorithm not accepted"
	ReasonSignature        = "invalid token signature"
	ReasonExpired          = "token expired"
	ReasonNoExpiry         = "token has no expiry (exp claim)"
	ReasonNotYetValid      = "token not yet valid"
	ReasonIssuer           = "token has the wrong issuer"
	ReasonAudience         = "token has the wrong audience"
	ReasonInvalidClaims    = "token has invalid claims"
	ReasonMissingRole      = "token has no role claim"
	ReasonUnknownRole      = "token role is not one of admin, analyst, viewer"
	reasonUnauthenticated  = "unauthenticated"
	unauthenticatedErrCode = "UNAUTHENTICATED"
)

// Error is an authentication failure. Reason is safe to show to the client;
// the underlying cause (for logs) is available through errors.Unwrap and never
// contains the credential either.
type Error struct {
	Reason string
	cause  error
}

func (e *Error) Error() string { return "authentication failed: " + e.Reason }

// Unwrap returns the cause, if any (e.g. a golang-jwt validation error).
func (e *Error) Unwrap() error { return e.cause }

func fail(reason string, cause error) *Error { return &Error{Reason: reason, cause: cause} }

// reasonOf returns the client-safe reason of err.
func reasonOf(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Reason
	}
	return reasonUnauthenticated
}

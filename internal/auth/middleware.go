package auth

import (
	"errors"
	"net/http"
	"strings"

	"github.com/c360/c360/internal/httperror"
)

// maxCredentialLen bounds the work one request can cause (decoding, hashing,
// RSA verification); real API keys and JWTs are far shorter.
const maxCredentialLen = 16 << 10

// Authenticate returns the principal for the request's credentials, taken
// from "Authorization: Bearer <token>" or "X-API-Key: <key>" (not both). A
// bearer token shaped like a JWT is verified as one; anything else, and
// anything in X-API-Key, as an API key. Errors are *Error. In development
// mode (Enabled false) every request is an admin and headers are ignored.
func (a *Authenticator) Authenticate(r *http.Request) (Principal, error) {
	if !a.Enabled() {
		return devPrincipal, nil
	}
	token, apiKeyHeader, err := credential(r.Header)
	if err != nil {
		return Principal{}, err
	}
	if !apiKeyHeader && looksLikeJWT(token) {
		return a.verifyJWT(token)
	}
	return a.verifyAPIKey(token)
}

// credential extracts the one credential of the request and reports whether
// it came from X-API-Key.
func credential(h http.Header) (token string, apiKeyHeader bool, err error) {
	auths, keys := nonEmpty(h.Values("Authorization")), nonEmpty(h.Values("X-API-Key"))
	switch {
	case len(auths) == 0 && len(keys) == 0:
		return "", false, fail(ReasonMissing, nil)
	case len(auths)+len(keys) > 1:
		// Two credentials that could disagree: refuse rather than pick one,
		// so no other layer can end up checking a different one than we did.
		return "", false, fail(ReasonAmbiguous, nil)
	case len(keys) == 1:
		token, apiKeyHeader = keys[0], true
	default:
		scheme, rest, _ := strings.Cut(auths[0], " ")
		if !strings.EqualFold(scheme, "Bearer") { // schemes are case-insensitive (RFC 9110 §11.1)
			return "", false, fail(ReasonScheme, nil)
		}
		token = strings.TrimSpace(rest)
	}
	if !wellFormed(token) {
		return "", false, fail(ReasonMalformed, errors.New("credential is empty, too long or has characters outside printable ASCII"))
	}
	return token, apiKeyHeader, nil
}

func nonEmpty(vs []string) []string {
	var out []string
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// wellFormed accepts printable, non-space ASCII of reasonable length: every
// key made as README.md says and every compact JWT is such.
func wellFormed(token string) bool {
	if token == "" || len(token) > maxCredentialLen {
		return false
	}
	for i := 0; i < len(token); i++ {
		if c := token[i]; c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// Middleware authenticates every request. On failure it answers 401 with
// "WWW-Authenticate: Bearer" and a GraphQL-shaped body (so GraphQL clients
// show the reason) and does not call next; on success next sees the
// Principal through FromContext. CORS preflight handling, if any, must wrap
// this middleware: browsers send preflights without credentials.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Authenticate(r)
		if err != nil {
			writeUnauthenticated(w, reasonOf(err))
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

func writeUnauthenticated(w http.ResponseWriter, reason string) {
	w.Header().Set("WWW-Authenticate", "Bearer")
	httperror.Write(w, http.StatusUnauthorized, unauthenticatedErrCode, reason)
}

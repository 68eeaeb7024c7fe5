package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fixedNow is the clock of every Authenticator built by newAuth, so token
// times are exact and tests do not depend on the wall clock.
var fixedNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

const (
	testSecret   = "0123456789abcdef0123456789abcdef-hs256-test-secret"
	otherSecret  = "fedcba9876543210fedcba9876543210-other-test-secret"
	testIssuer   = "https://idp.example.test/"
	testAudience = "c360-api"
)

var (
	rsaKeys = sync.OnceValue(func() [2]*rsa.PrivateKey {
		var ks [2]*rsa.PrivateKey
		for i := range ks {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			ks[i] = k
		}
		return ks
	})
)

func newAuth(t testing.TB, cfg Config) *Authenticator {
	t.Helper()
	a, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	a.now = func() time.Time { return fixedNow }
	return a
}

func publicPEM(t testing.TB, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func sign(t testing.TB, m jwt.SigningMethod, key any, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// validClaims returns claims that pass every check of an Authenticator
// configured with testIssuer and testAudience; tests change one thing.
func validClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"sub":  "user-42",
		"role": "analyst",
		"iss":  testIssuer,
		"aud":  testAudience,
		"iat":  fixedNow.Add(-time.Minute).Unix(),
		"exp":  fixedNow.Add(time.Hour).Unix(),
	}
}

func with(c jwt.MapClaims, kv ...any) jwt.MapClaims {
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
		} else {
			c[kv[i].(string)] = kv[i+1]
		}
	}
	return c
}

func request(headers ...string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{__typename}"}`))
	for i := 0; i < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	return r
}

// serve runs the middleware and returns the response and the principal the
// next handler saw (ok false if it was not called).
func serve(a *Authenticator, r *http.Request) (*httptest.ResponseRecorder, Principal, bool) {
	var (
		got    Principal
		called bool
	)
	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, called = FromContext(r.Context())
		if !called {
			panic("middleware called next without a principal")
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec, got, called
}

// wantReason asserts that err is an *Error with the given reason.
func wantReason(t *testing.T, err error, reason string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *Error with reason %q", err, err, reason)
	}
	if e.Reason != reason {
		t.Fatalf("reason = %q, want %q (cause: %v)", e.Reason, reason, e.Unwrap())
	}
}

// want401 asserts the full failure answer of the middleware and that the
// body does not contain secret.
func want401(t *testing.T, rec *httptest.ResponseRecorder, called bool, reason, secret string) {
	t.Helper()
	if called {
		t.Fatal("next handler was called on an authentication failure")
	}
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("status = %d, want 401", rec.Code)
	}
	if got := rec.Header().Get("WWW-Authenticate"); got != "Bearer" {
		t.Errorf("WWW-Authenticate = %q, want Bearer", got)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	body := rec.Body.String()
	if secret != "" && strings.Contains(body, secret) {
		t.Errorf("body echoes the credential: %s", body)
	}
	var resp struct {
		Data   any `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, body)
	}
	if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != "UNAUTHENTICATED" || resp.Errors[0].Message != reason {
		t.Fatalf("body = %s, want one UNAUTHENTICATED error %q", body, reason)
	}
}

func TestAPIKeyFromBothHeaders(t *testing.T) {
	analystKey := newKey()
	adminKey := newKey()
	a := newAuth(t, Config{APIKeys: "analyst:" + HashKey(analystKey) + ",\n admin:" + strings.ToUpper(HashKey(adminKey)) + ","})
	if !a.Enabled() {
		t.Fatal("Enabled() = false with API keys configured")
	}
	for _, tc := range []struct {
		name     string
		req      *http.Request
		wantRole Role
	}{
		{"authorization bearer", request("Authorization", "Bearer "+analystKey), RoleAnalyst},
		{"scheme is case-insensitive", request("Authorization", "bearer  "+analystKey), RoleAnalyst},
		{"x-api-key", request("X-API-Key", analystKey), RoleAnalyst},
		{"second key, upper-case digest in config", request("X-API-Key", adminKey), RoleAdmin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, p, called := serve(a, tc.req)
			if !called || rec.Code != http.StatusNoContent {
				t.Fatalf("status %d, body %s", rec.Code, rec.Body)
			}
			if p.Role != tc.wantRole || p.Method != MethodAPIKey {
				t.Fatalf("principal = %+v, want role %s via api-key", p, tc.wantRole)
			}
			if !strings.HasPrefix(p.Subject, "api-key:") || strings.Contains(p.Subject, analystKey) || strings.Contains(p.Subject, adminKey) {
				t.Fatalf("subject %q should identify the key by digest prefix only", p.Subject)
			}
		})
	}
}

func TestWrongKeyIs401WithoutEcho(t *testing.T) {
	key := newKey()
	a := newAuth(t, Config{APIKeys: "admin:" + HashKey(key)})
	wrong := newKey()
	for _, r := range []*http.Request{
		request("Authorization", "Bearer "+wrong),
		request("X-API-Key", wrong),
		request("X-API-Key", key+"x"),
	} {
		rec, _, called := serve(a, r)
		want401(t, rec, called, ReasonUnknownKey, wrong)
		if strings.Contains(rec.Body.String(), key) {
			t.Fatal("body contains the configured key")
		}
	}
}

func TestMalformedOrMissingCredentials(t *testing.T) {
	key := newKey()
	a := newAuth(t, Config{APIKeys: "viewer:" + HashKey(key)})
	for _, tc := range []struct {
		name   string
		req    *http.Request
		reason string
	}{
		{"no headers", request(), ReasonMissing},
		{"empty authorization", request("Authorization", "  "), ReasonMissing},
		{"basic scheme", request("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("u:"+key))), ReasonScheme},
		{"bearer without token", request("Authorization", "Bearer"), ReasonMalformed},
		{"token with space", request("Authorization", "Bearer "+key+" extra"), ReasonMalformed},
		{"non-ASCII", request("X-API-Key", key+"é"), ReasonMalformed},
		{"both headers", request("Authorization", "Bearer "+key, "X-API-Key", key), ReasonAmbiguous},
		{"two authorization headers", request("Authorization", "Bearer "+key, "Authorization", "Bearer "+key), ReasonAmbiguous},
		{"too long", request("X-API-Key", strings.Repeat("a", maxCredentialLen+1)), ReasonMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Authenticate(tc.req)
			wantReason(t, err, tc.reason)
			rec, _, called := serve(a, tc.req)
			want401(t, rec, called, tc.reason, "")
		})
	}
}

func TestHS256(t *testing.T) {
	a := newAuth(t, Config{JWTHS256Secret: testSecret, JWTIssuer: testIssuer, JWTAudience: testAudience})
	rsaKey := rsaKeys()[0]
	hs := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodHS256, []byte(testSecret), c) }

	valid := hs(validClaims())
	parts := strings.Split(valid, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"user-42","role":"admin","iss":"`+testIssuer+`","aud":"`+testAudience+`","exp":9999999999}`)) + "." + parts[2]
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	claimsPart := parts[1]

	for _, tc := range []struct {
		name     string
		token    string
		reason   string // "" = accepted
		wantRole Role
	}{
		{"valid", valid, "", RoleAnalyst},
		{"role is case-insensitive", hs(with(validClaims(), "role", "Admin")), "", RoleAdmin},
		{"aud array containing ours", hs(with(validClaims(), "aud", []string{"other", testAudience})), "", RoleAnalyst},
		{"expired within leeway", hs(with(validClaims(), "exp", fixedNow.Add(-10*time.Second).Unix())), "", RoleAnalyst},
		{"nbf within leeway", hs(with(validClaims(), "nbf", fixedNow.Add(10*time.Second).Unix())), "", RoleAnalyst},
		{"expired", hs(with(validClaims(), "exp", fixedNow.Add(-time.Hour).Unix())), ReasonExpired, ""},
		{"no exp", hs(with(validClaims(), "exp", nil)), ReasonNoExpiry, ""},
		{"nbf in the future", hs(with(validClaims(), "nbf", fixedNow.Add(time.Hour).Unix())), ReasonNotYetValid, ""},
		{"wrong signature", sign(t, jwt.SigningMethodHS256, []byte(otherSecret), validClaims()), ReasonSignature, ""},
		{"tampered payload", tampered, ReasonSignature, ""},
		{"alg none, empty signature", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, with(validClaims(), "role", "admin")), ReasonAlgorithm, ""},
		{"alg none, HS256 signature kept", noneHeader + "." + claimsPart + "." + parts[2], ReasonAlgorithm, ""},
		{"RS256 when HS256 configured", sign(t, jwt.SigningMethodRS256, rsaKey, validClaims()), ReasonAlgorithm, ""},
		{"HS512 with the right secret", sign(t, jwt.SigningMethodHS512, []byte(testSecret), validClaims()), ReasonAlgorithm, ""},
		{"wrong issuer", hs(with(validClaims(), "iss", "https://evil.example/")), ReasonIssuer, ""},
		{"missing issuer", hs(with(validClaims(), "iss", nil)), ReasonIssuer, ""},
		{"wrong audience", hs(with(validClaims(), "aud", "someone-else")), ReasonAudience, ""},
		{"missing audience", hs(with(validClaims(), "aud", nil)), ReasonAudience, ""},
		{"role missing", hs(with(validClaims(), "role", nil)), ReasonMissingRole, ""},
		{"role unknown", hs(with(validClaims(), "role", "root")), ReasonUnknownRole, ""},
		{"role not a string", hs(with(validClaims(), "role", 1)), ReasonUnknownRole, ""},
		{"garbage JWT-shaped", "eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl", ReasonMalformedToken, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, p, called := serve(a, request("Authorization", "Bearer "+tc.token))
			if tc.reason != "" {
				want401(t, rec, called, tc.reason, tc.token)
				return
			}
			if !called {
				t.Fatalf("rejected: %s", rec.Body)
			}
			if p != (Principal{Subject: "user-42", Role: tc.wantRole, Method: MethodJWT}) {
				t.Fatalf("principal = %+v", p)
			}
		})
	}
}

func TestJWTChecksAreOptional(t *testing.T) {
	// Without JWT_ISSUER/JWT_AUDIENCE, tokens without iss/aud are fine,
	// but exp is still required.
	a := newAuth(t, Config{JWTHS256Secret: testSecret})
	tok := sign(t, jwt.SigningMethodHS256, []byte(testSecret), with(validClaims(), "iss", nil, "aud", nil, "sub", nil))
	p, err := a.Authenticate(request("Authorization", "Bearer "+tok))
	if err != nil || p.Role != RoleAnalyst || p.Subject != "jwt" {
		t.Fatalf("got %+v, %v", p, err)
	}
	tok = sign(t, jwt.SigningMethodHS256, []byte(testSecret), with(validClaims(), "aud", nil, "exp", nil))
	_, err = a.Authenticate(request("Authorization", "Bearer "+tok))
	wantReason(t, err, ReasonNoExpiry)
}

func TestRS256(t *testing.T) {
	key, other := rsaKeys()[0], rsaKeys()[1]
	pubPEM := publicPEM(t, &key.PublicKey)
	a := newAuth(t, Config{JWTRS256PublicKeyPEM: pubPEM, JWTAudience: testAudience, PseudonymKey: otherSecret})

	p, err := a.Authenticate(request("Authorization", "Bearer "+sign(t, jwt.SigningMethodRS256, key, with(validClaims(), "role", "viewer"))))
	if err != nil || p != (Principal{Subject: "user-42", Role: RoleViewer, Method: MethodJWT}) {
		t.Fatalf("valid RS256: %+v, %v", p, err)
	}
	for _, tc := range []struct{ name, token, reason string }{
		{"signed by another key", sign(t, jwt.SigningMethodRS256, other, validClaims()), ReasonSignature},
		// The classic confusion attack: HS256 keyed with the public key text.
		{"HS256 keyed with the public PEM", sign(t, jwt.SigningMethodHS256, []byte(pubPEM), validClaims()), ReasonAlgorithm},
		{"PS256 with the right key", sign(t, jwt.SigningMethodPS256, key, validClaims()), ReasonAlgorithm},
		{"expired", sign(t, jwt.SigningMethodRS256, key, with(validClaims(), "exp", fixedNow.Add(-time.Minute).Unix())), ReasonExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Authenticate(request("Authorization", "Bearer "+tc.token))
			wantReason(t, err, tc.reason)
		})
	}

	// One-line env var with escaped newlines, and both algorithms at once:
	// each is verified with its own key only.
	both := newAuth(t, Config{JWTRS256PublicKeyPEM: strings.ReplaceAll(pubPEM, "\n", `\n`), JWTHS256Secret: testSecret})
	for _, tok := range []string{
		sign(t, jwt.SigningMethodRS256, key, validClaims()),
		sign(t, jwt.SigningMethodHS256, []byte(testSecret), validClaims()),
	} {
		if _, err := both.Authenticate(request("Authorization", "Bearer "+tok)); err != nil {
			t.Fatalf("both configured: %v", err)
		}
	}
	_, err = both.Authenticate(request("Authorization", "Bearer "+sign(t, jwt.SigningMethodHS256, []byte(pubPEM), validClaims())))
	wantReason(t, err, ReasonSignature)
}

func TestJWTNotConfigured(t *testing.T) {
	key := newKey()
	a := newAuth(t, Config{APIKeys: "admin:" + HashKey(key)})
	tok := sign(t, jwt.SigningMethodHS256, []byte(testSecret), validClaims())
	_, err := a.Authenticate(request("Authorization", "Bearer "+tok))
	wantReason(t, err, ReasonJWTNotAccepted)
	// In X-API-Key a JWT-shaped value is just a (wrong) API key.
	_, err = a.Authenticate(request("X-API-Key", tok))
	wantReason(t, err, ReasonUnknownKey)
}

func TestDevMode(t *testing.T) {
	a := newAuth(t, Config{})
	if a.Enabled() {
		t.Fatal("Enabled() = true with no credentials")
	}
	for _, r := range []*http.Request{request(), request("Authorization", "Bearer whatever")} {
		rec, p, called := serve(a, r)
		if !called || rec.Code != http.StatusNoContent {
			t.Fatalf("dev mode rejected: %d %s", rec.Code, rec.Body)
		}
		if p != (Principal{Subject: "dev", Role: RoleAdmin, Method: MethodDev}) || !p.Role.CanWrite() {
			t.Fatalf("principal = %+v", p)
		}
	}
}

func TestConfigErrorsNameTheEnvVar(t *testing.T) {
	rawKey := newKey()
	digest := HashKey(rawKey)
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaPEM := publicPEM(t, &rsaKeys()[0].PublicKey)
	for _, tc := range []struct {
		name   string
		cfg    Config
		want   []string
		secret string // must not appear in the error
	}{
		{"unknown role", Config{APIKeys: "superuser:" + digest}, []string{"API_KEYS", "entry 1", "unknown role"}, ""},
		{"no colon", Config{APIKeys: "admin:" + digest + "," + digest}, []string{"API_KEYS", "entry 2"}, ""},
		{"raw key instead of digest", Config{APIKeys: "admin:" + rawKey}, []string{"API_KEYS", "64 hex"}, rawKey},
		{"bad hex", Config{APIKeys: "admin:" + strings.Repeat("zz", 32)}, []string{"API_KEYS", "hexadecimal"}, ""},
		{"duplicate", Config{APIKeys: "admin:" + digest + ",viewer:" + digest}, []string{"API_KEYS", "twice"}, ""},
		{"short HS256 secret", Config{JWTHS256Secret: "tooshort-secret"}, []string{"JWT_HS256_SECRET", "32 bytes"}, "tooshort-secret"},
		{"not PEM", Config{JWTRS256PublicKeyPEM: "not a pem"}, []string{"JWT_RS256_PUBLIC_KEY", "PEM"}, ""},
		{"EC key", Config{JWTRS256PublicKeyPEM: publicPEM(t, &ec.PublicKey), PseudonymKey: otherSecret}, []string{"JWT_RS256_PUBLIC_KEY"}, ""},
		{"weak RSA", Config{JWTRS256PublicKeyPEM: publicPEM(t, &weak.PublicKey), PseudonymKey: otherSecret}, []string{"JWT_RS256_PUBLIC_KEY", "1024 bits"}, ""},
		{"issuer without key", Config{APIKeys: "admin:" + digest, JWTIssuer: testIssuer}, []string{"JWT_ISSUER"}, ""},
		{"audience without key", Config{JWTAudience: testAudience}, []string{"JWT_AUDIENCE"}, ""},
		{"short pseudonym key", Config{PseudonymKey: "short-pii-key"}, []string{"PII_PSEUDONYM_KEY"}, "short-pii-key"},
		{"RS256 only needs a pseudonym key", Config{JWTRS256PublicKeyPEM: rsaPEM}, []string{"PII_PSEUDONYM_KEY", "JWT_RS256_PUBLIC_KEY"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := New(tc.cfg)
			if err == nil {
				t.Fatalf("New succeeded: %+v", a)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if tc.secret != "" && strings.Contains(err.Error(), tc.secret) {
				t.Errorf("error %q leaks the secret", err)
			}
		})
	}
}

func TestRoles(t *testing.T) {
	for _, tc := range []struct {
		in                 string
		want               Role
		write, sees, masks bool
	}{
		{"admin", RoleAdmin, true, true, false},
		{" Analyst ", RoleAnalyst, false, false, true},
		{"VIEWER", RoleViewer, false, false, false},
	} {
		r, err := ParseRole(tc.in)
		if err != nil || r != tc.want {
			t.Fatalf("ParseRole(%q) = %q, %v", tc.in, r, err)
		}
		if r.CanWrite() != tc.write || r.SeesPersonalData() != tc.sees || r.MasksPersonalData() != tc.masks {
			t.Errorf("%s: CanWrite %v SeesPersonalData %v MasksPersonalData %v", r, r.CanWrite(), r.SeesPersonalData(), r.MasksPersonalData())
		}
	}
	for _, bad := range []string{"", "root", "admins"} {
		if _, err := ParseRole(bad); err == nil {
			t.Errorf("ParseRole(%q) succeeded", bad)
		}
	}
	var zero Role // a forgotten principal must fail closed
	if zero.CanWrite() || zero.SeesPersonalData() || zero.MasksPersonalData() {
		t.Error("zero Role grants something")
	}
}

func TestContext(t *testing.T) {
	if _, ok := FromContext(t.Context()); ok {
		t.Fatal("principal in an empty context")
	}
	p := Principal{Subject: "s", Role: RoleViewer, Method: MethodAPIKey}
	if got, ok := FromContext(WithPrincipal(t.Context(), p)); !ok || got != p {
		t.Fatalf("got %+v, %v", got, ok)
	}
}

// newKey makes a key as README.md tells operators to:
// echo "c360_$(openssl rand 32 | basenc --base64url | tr -d '=')".
func newKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return "c360_" + base64.RawURLEncoding.EncodeToString(b)
}

func TestHashKey(t *testing.T) {
	// FIPS 180-2 test vector.
	if got := HashKey("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("HashKey(abc) = %s", got)
	}
}

// A key made as the README says is well formed and taken for an API key,
// never for a JWT.
func TestTheDocumentedKeyFormatIsAnAPIKey(t *testing.T) {
	k := newKey()
	if !regexp.MustCompile(`^c360_[A-Za-z0-9_-]{43}$`).MatchString(k) || !wellFormed(k) {
		t.Fatalf("key %q", k)
	}
	if looksLikeJWT(k) {
		t.Fatal("a documented key looks like a JWT")
	}
}

func TestPseudonym(t *testing.T) {
	a := newAuth(t, Config{PseudonymKey: testSecret})
	b := newAuth(t, Config{PseudonymKey: otherSecret})
	const email = "jane.doe@example.com"

	if a.Pseudonym(KindEmail, "Customer.email", email) != a.Pseudonym(KindEmail, "Customer.email", email) {
		t.Fatal("not deterministic")
	}
	if again := newAuth(t, Config{PseudonymKey: testSecret}); again.Pseudonym(KindEmail, "Customer.email", email) != a.Pseudonym(KindEmail, "Customer.email", email) {
		t.Fatal("not stable across Authenticators with the same key")
	}
	if a.Pseudonym(KindEmail, "Customer.email", email) == b.Pseudonym(KindEmail, "Customer.email", email) {
		t.Fatal("same pseudonym under different keys")
	}
	if a.Pseudonym(KindEmail, "Customer.email", email) == a.Pseudonym(KindEmail, "Customer.email", "john@example.com") {
		t.Fatal("same pseudonym for different values")
	}
	// Different kinds: compare the hex parts, which have the same shape.
	if strings.TrimPrefix(a.Pseudonym(KindCity, "Customer.city", "Lyon"), "city ") == strings.TrimPrefix(a.Pseudonym(KindRegion, "Customer.city", "Lyon"), "region ") {
		t.Fatal("kind is not part of the HMAC input")
	}
	if a.Pseudonym("ab", "c", "d") == a.Pseudonym("a", "bc", "d") || a.Pseudonym("a", "bc", "d") == a.Pseudonym("a", "b", "cd") {
		t.Fatal("kind, field and value are not separated")
	}

	shapes := map[string]*regexp.Regexp{
		KindEmail:   regexp.MustCompile(`^u_[0-9a-f]{16}@pseudonym\.invalid$`),
		KindPhone:   regexp.MustCompile(`^\+999[0-9]{11}$`),
		KindName:    regexp.MustCompile(`^Customer [0-9a-f]{10}$`),
		KindText:    regexp.MustCompile(`^\[redacted [0-9a-f]{8}\]$`),
		KindCity:    regexp.MustCompile(`^city [0-9a-f]{8}$`),
		KindRegion:  regexp.MustCompile(`^region [0-9a-f]{8}$`),
		KindAddress: regexp.MustCompile(`^address [0-9a-f]{8}$`),
		KindDate:    regexp.MustCompile(`^1987-01-01$`),
		"ssn":       regexp.MustCompile(`^\[redacted [0-9a-f]{8}\]$`), // unknown kind fails closed
	}
	inputs := map[string][]string{
		KindEmail: {email, "x@y.z"}, KindPhone: {"+33612345678", "+15555550123"}, KindName: {"Jane Doe"},
		KindText: {"called about her divorce"}, KindCity: {"Lyon"}, KindRegion: {"Auvergne-Rhône-Alpes"},
		KindAddress: {"1 rue de la Paix"}, KindDate: {"1987-06-30", "1987-06-30T00:00:00Z"}, "ssn": {"1 87 06 75 123 456"},
	}
	for kind, re := range shapes {
		for _, v := range inputs[kind] {
			got := a.Mask(kind, "Customer.x", v)
			if !re.MatchString(got) {
				t.Errorf("Mask(%s, %q) = %q, want %s", kind, v, got, re)
			}
			if kind != KindDate && strings.Contains(got, v) {
				t.Errorf("Mask(%s, %q) = %q contains the value", kind, v, got)
			}
		}
	}
	for _, tc := range [][2]string{{KindEmail, ""}, {KindDate, "30/06/1987"}, {KindDate, "abcd-01-01"}} {
		if got := a.Mask(tc[0], "Customer.x", tc[1]); got != "" {
			t.Errorf("Mask(%s, %q) = %q, want empty", tc[0], tc[1], got)
		}
	}
}

// The same value in two fields gives two unrelated pseudonyms (a customer's
// city equal to their region does not show), while within one field it gives
// the same pseudonym (joins and group-bys on that field are intended).
func TestPseudonymIsKeyedPerField(t *testing.T) {
	a := newAuth(t, Config{PseudonymKey: testSecret})
	for _, kind := range []string{KindAddress, KindEmail, KindText, "unknown"} {
		city, region := a.Mask(kind, "Customer.city", "Uusimaa"), a.Mask(kind, "Customer.region", "Uusimaa")
		if city == region {
			t.Errorf("%s: Customer.city and Customer.region of the same value both give %q", kind, city)
		}
		if other := a.Mask(kind, "Customer.city", "Uusimaa"); other != city {
			t.Errorf("%s: Customer.city of the same value gives %q, then %q", kind, city, other)
		}
	}
}

func TestPseudonymKeyDerivation(t *testing.T) {
	k1 := newKey()
	k2 := newKey()
	v := "jane.doe@example.com"
	dev := newAuth(t, Config{}).Pseudonym(KindEmail, "Customer.email", v)
	if dev != newAuth(t, Config{}).Pseudonym(KindEmail, "Customer.email", v) {
		t.Fatal("dev pseudonyms not stable")
	}
	hs := newAuth(t, Config{JWTHS256Secret: testSecret}).Pseudonym(KindEmail, "Customer.email", v)
	keys12 := newAuth(t, Config{APIKeys: "admin:" + HashKey(k1) + ",viewer:" + HashKey(k2)}).Pseudonym(KindEmail, "Customer.email", v)
	keys21 := newAuth(t, Config{APIKeys: "viewer:" + HashKey(k2) + ",admin:" + HashKey(k1)}).Pseudonym(KindEmail, "Customer.email", v)
	explicit := newAuth(t, Config{JWTHS256Secret: testSecret, PseudonymKey: otherSecret}).Pseudonym(KindEmail, "Customer.email", v)
	if keys12 != keys21 {
		t.Error("derived key depends on the order of API_KEYS")
	}
	seen := map[string]string{}
	for name, p := range map[string]string{"dev": dev, "hs256": hs, "api keys": keys12, "explicit": explicit} {
		if other, dup := seen[p]; dup {
			t.Errorf("%s and %s give the same pseudonym", name, other)
		}
		seen[p] = name
	}
	// HS256 is preferred over API keys so key rotation keeps pseudonyms.
	if got := newAuth(t, Config{JWTHS256Secret: testSecret, APIKeys: "admin:" + HashKey(k1)}).Pseudonym(KindEmail, "Customer.email", v); got != hs {
		t.Error("adding an API key changed pseudonyms although JWT_HS256_SECRET is set")
	}
}

// knownReasons is every reason Authenticate may give: a fuzzed failure must
// carry one of them verbatim, which also proves the input is not echoed.
var knownReasons = map[string]bool{
	ReasonMissing: true, ReasonMalformed: true, ReasonAmbiguous: true, ReasonScheme: true,
	ReasonUnknownKey: true, ReasonJWTNotAccepted: true, ReasonMalformedToken: true,
	ReasonAlgorithm: true, ReasonSignature: true, ReasonExpired: true, ReasonNoExpiry: true,
	ReasonNotYetValid: true, ReasonIssuer: true, ReasonAudience: true, ReasonInvalidClaims: true,
	ReasonMissingRole: true, ReasonUnknownRole: true,
}

func FuzzAuthenticate(f *testing.F) {
	key := rsaKeys()[0]
	apiKey := newKey()
	a := newAuth(f, Config{
		APIKeys:              "admin:" + HashKey(apiKey),
		JWTHS256Secret:       testSecret,
		JWTRS256PublicKeyPEM: publicPEM(f, &key.PublicKey),
		JWTIssuer:            testIssuer,
		JWTAudience:          testAudience,
	})
	// Seeds: near misses of every kind. None is valid (a fuzzer cannot
	// re-sign a mutated token, nor guess a 256-bit key).
	other := newKey()
	for _, s := range []string{
		"", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "bearer " + other, "Bearer " + other,
		"Bearer a.b.c", "Bearer a.b.", "Bearer ..", "Bearer " + strings.Repeat("A", 100),
		"Bearer " + sign(f, jwt.SigningMethodHS256, []byte(testSecret), with(validClaims(), "exp", fixedNow.Add(-time.Hour).Unix())),
		"Bearer " + sign(f, jwt.SigningMethodHS256, []byte(testSecret), with(validClaims(), "role", nil)),
		"Bearer " + sign(f, jwt.SigningMethodHS256, []byte(otherSecret), validClaims()),
		"Bearer " + sign(f, jwt.SigningMethodRS256, rsaKeys()[1], validClaims()),
		"Bearer " + sign(f, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, validClaims()),
		"Bearer eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjp7fX0.AAAA",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		for _, h := range []string{"Authorization", "X-API-Key"} {
			r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			r.Header.Set(h, value)
			p, err := a.Authenticate(r)
			if err == nil {
				t.Fatalf("%s: %q authenticated as %+v", h, value, p)
			}
			var e *Error
			if !errors.As(err, &e) || !knownReasons[e.Reason] {
				t.Fatalf("%s: %q: error %v is not a known *Error reason", h, value, err)
			}
			rec, _, called := serve(a, r)
			if called || rec.Code != http.StatusUnauthorized {
				t.Fatalf("%s: %q: middleware let it through (%d)", h, value, rec.Code)
			}
		}
	})
}

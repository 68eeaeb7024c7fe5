package httperror_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/c360/c360/internal/httperror"
)

func TestTheBodyIsOneGraphQLErrorWithItsCode(t *testing.T) {
	rec := httptest.NewRecorder()
	httperror.Write(rec, http.StatusTooManyRequests, "RATE_LIMITED", `retry <later> & "soon"`)
	if rec.Code != http.StatusTooManyRequests {
		t.Errorf("status = %d", rec.Code)
	}
	// The bytes json.Marshal gives gqlgen's error list, HTML-escaped alike.
	const want = `{"errors":[{"message":"retry \u003clater\u003e \u0026 \"soon\"","extensions":{"code":"RATE_LIMITED"}}]}`
	if got := rec.Body.String(); got != want {
		t.Errorf("body = %s\nwant   %s", got, want)
	}
	for h, want := range map[string]string{"Content-Type": "application/json; charset=utf-8",
		"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
		if got := rec.Header().Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
}

func TestTheNegotiatedMediaTypeIsKept(t *testing.T) {
	rec := httptest.NewRecorder()
	rec.Header().Set("Content-Type", "application/graphql-response+json; charset=utf-8")
	httperror.Write(rec, http.StatusBadRequest, "BAD_REQUEST", "the request body is empty")
	if got := rec.Header().Get("Content-Type"); got != "application/graphql-response+json; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
}

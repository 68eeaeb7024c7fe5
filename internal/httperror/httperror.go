// Package httperror writes the answer to a request refused outside GraphQL
// execution (malformed transport, credentials, rate, a response that failed
// to encode) in the shape of the GraphQL over HTTP spec, so GraphQL clients
// show the reason: {"errors":[{"message":…,"extensions":{"code":…}}]}. It is
// the one writer of such bodies.
package httperror

import (
	"encoding/json"
	"net/http"
)

type body struct {
	Errors [1]entry `json:"errors"`
}

type entry struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

// Write answers status with one error of the given extensions.code and
// message. A Content-Type already set (the media type the client asked for)
// is kept; the answer is never cached or sniffed as another type.
func Write(w http.ResponseWriter, status int, code, message string) {
	var b body
	b.Errors[0].Message = message
	b.Errors[0].Extensions.Code = code
	// Marshalling strings cannot fail (invalid UTF-8 becomes U+FFFD).
	out, _ := json.Marshal(b)
	h := w.Header()
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(out) // the client is gone if this fails; nothing to do
}

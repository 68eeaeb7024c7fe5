package server

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/c360/c360/internal/errcode"
	"github.com/c360/c360/internal/httperror"
)

const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// httpTransport serves GraphQL over HTTP as the GraphQL over HTTP spec asks,
// where gqlgen's stock transports differ: request errors (bad JSON, parse,
// validation, variable coercion) answer 200 under application/json and 400
// without a data entry under application/graphql-response+json; bodies are
// capped (413) and never echoed; form and text posts are refused (415), which
// also keeps browsers from sending simple cross-site requests; JSON-array
// batches are refused; mutations over GET get 405 with an Allow header.
type httpTransport struct {
	maxBody int64
}

var _ graphql.Transport = httpTransport{}

func (httpTransport) Supports(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodPost) && r.Header.Get("Upgrade") == ""
}

// request is the JSON body of a POST; fields are raw so types can be checked.
type request struct {
	Query         json.RawMessage `json:"query"`
	OperationName json.RawMessage `json:"operationName"`
	Variables     json.RawMessage `json:"variables"`
	Extensions    json.RawMessage `json:"extensions"`
}

func (t httpTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	media := negotiate(r.Header.Get("Accept"))
	w.Header().Set("Content-Type", media+"; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	start := graphql.Now()

	var params *graphql.RawParams
	var status int
	var msg string
	if r.Method == http.MethodGet {
		params, status, msg = fromQueryString(r)
	} else {
		params, status, msg = t.fromBody(w, r)
	}
	if params == nil {
		httperror.Write(w, status, errcode.BadRequest, msg)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	rc, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		code := http.StatusOK
		if media == mediaGraphQLResponse {
			code = http.StatusBadRequest
		}
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs)
		writeResponse(w, code, resp)
		return
	}
	if r.Method == http.MethodGet && rc.Operation != nil && rc.Operation.Operation != ast.Query {
		w.Header().Set("Allow", http.MethodPost)
		httperror.Write(w, http.StatusMethodNotAllowed, errcode.BadRequest, "only queries may be sent with GET; send "+string(rc.Operation.Operation)+"s with POST")
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeResponse(w, http.StatusOK, responses(ctx))
}

// negotiate picks the response media type from Accept: application/json when
// it is missing or a wildcard (the spec's advice for legacy clients).
func negotiate(accept string) string {
	if accept == "" {
		return mediaJSON
	}
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case mediaGraphQLResponse:
			return mediaGraphQLResponse
		case mediaJSON, "*/*", "application/*":
			return mediaJSON
		}
	}
	return mediaJSON
}

func fromQueryString(r *http.Request) (*graphql.RawParams, int, string) {
	q := r.URL.Query()
	p := &graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName")}
	if v := q.Get("variables"); v != "" {
		if separators([]byte(v)) > maxVariableValues {
			return nil, http.StatusBadRequest, fmt.Sprintf("variables hold more than %d values", maxVariableValues)
		}
		if err := decodeObject([]byte(v), &p.Variables); err != nil {
			return nil, http.StatusBadRequest, "variables must be a JSON object"
		}
	}
	if v := q.Get("extensions"); v != "" {
		if err := decodeObject([]byte(v), &p.Extensions); err != nil {
			return nil, http.StatusBadRequest, "extensions must be a JSON object"
		}
	}
	if p.Query == "" && p.Extensions["persistedQuery"] == nil {
		return nil, http.StatusBadRequest, "the query parameter is required"
	}
	return p, 0, ""
}

func (t httpTransport) fromBody(w http.ResponseWriter, r *http.Request) (*graphql.RawParams, int, string) {
	ct := r.Header.Get("Content-Type")
	mt, ctParams, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != mediaJSON {
		return nil, http.StatusUnsupportedMediaType, "send the request as Content-Type: application/json"
	}
	if cs, ok := ctParams["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return nil, http.StatusUnsupportedMediaType, "the request body must be UTF-8"
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, t.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, http.StatusRequestEntityTooLarge, "the request body is larger than the limit"
		}
		return nil, http.StatusBadRequest, "the request body could not be read"
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, http.StatusBadRequest, "the request body is empty"
	}
	if body[0] == '[' {
		return nil, http.StatusBadRequest, "batched requests are not supported: send one operation per request"
	}
	var req request
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, http.StatusBadRequest, "the request body is not a valid JSON object"
	}
	p := &graphql.RawParams{}
	if err := decodeString(req.Query, &p.Query); err != nil {
		return nil, http.StatusBadRequest, "query must be a string"
	}
	if err := decodeString(req.OperationName, &p.OperationName); err != nil {
		return nil, http.StatusBadRequest, "operationName must be a string"
	}
	// Count before decoding: decoding a list of 100,000 values costs more
	// than refusing it.
	if separators(req.Variables) > maxVariableValues {
		return nil, http.StatusBadRequest, fmt.Sprintf("variables hold more than %d values", maxVariableValues)
	}
	if err := decodeObject(req.Variables, &p.Variables); err != nil {
		return nil, http.StatusBadRequest, "variables must be a JSON object"
	}
	if err := decodeObject(req.Extensions, &p.Extensions); err != nil {
		return nil, http.StatusBadRequest, "extensions must be a JSON object"
	}
	// A persisted query may come as its hash alone (extensions.persistedQuery).
	if p.Query == "" && p.Extensions["persistedQuery"] == nil {
		return nil, http.StatusBadRequest, "query must be a non-empty string"
	}
	return p, 0, ""
}

var errType = errors.New("wrong JSON type")

// maxVariableValues bounds the values in an operation's variables: no
// operation of this API needs more, and coercing huge lists costs CPU.
const maxVariableValues = 10000

// separators counts the commas and colons outside strings of a JSON text:
// one more than the values it holds, found in one pass without decoding.
func separators(raw []byte) int {
	n, inString, escaped := 0, false, false
	for _, c := range raw {
		switch {
		case escaped:
			escaped = false
		case inString:
			if c == '\\' {
				escaped = true
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == ',' || c == ':':
			n++
		}
	}
	return n
}

func decodeString(raw json.RawMessage, dst *string) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] != '"' {
		return errType
	}
	return json.Unmarshal(raw, dst)
}

// decodeObject decodes a JSON object keeping numbers exact (json.Number), as
// gqlgen's own transports do.
func decodeObject(raw []byte, dst *map[string]any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] != '{' {
		return errType
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(dst)
}

// response is graphql.Response with data left out when there is none, as a
// request error must have no data entry.
type response struct {
	Errors     gqlerror.List   `json:"errors,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
	Extensions map[string]any  `json:"extensions,omitempty"`
}

// writeResponse writes r as json.Marshal(response{...}) would, without
// encoding the data again: gqlgen has written it as compact JSON, which
// json.Marshal would scan, copy whole and escape <, > and & in (as
// json.HTMLEscape does); here it is checked and written as it is, escaped
// only when it holds such a byte.
func writeResponse(w http.ResponseWriter, status int, r *graphql.Response) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", mediaJSON+"; charset=utf-8")
	}
	sortErrors(r.Errors)
	head, data, tail, err := encodeResponse(r)
	if err != nil {
		httperror.Write(w, http.StatusInternalServerError, errcode.InternalError, errcode.InternalMessage)
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write(head)
	_, _ = w.Write(data)
	_, _ = w.Write(tail)
}

// encodeResponse returns the response in three parts, the data in the
// middle: the bytes of json.Marshal(response{...}).
func encodeResponse(r *graphql.Response) (head, data, tail []byte, err error) {
	data = r.Data
	if len(data) > 0 && !json.Valid(data) {
		return nil, nil, nil, errors.New("the response data is not JSON")
	}
	head = append(head, '{')
	if len(r.Errors) > 0 {
		b, err := json.Marshal(r.Errors)
		if err != nil {
			return nil, nil, nil, err
		}
		head = append(append(head, `"errors":`...), b...)
	}
	if len(data) > 0 {
		if len(head) > 1 {
			head = append(head, ',')
		}
		head = append(head, `"data":`...)
		if needsHTMLEscape(data) {
			var b bytes.Buffer
			json.HTMLEscape(&b, data)
			data = b.Bytes()
		}
	}
	if len(r.Extensions) > 0 {
		b, err := json.Marshal(r.Extensions)
		if err != nil {
			return nil, nil, nil, err
		}
		if len(head) > 1 || len(data) > 0 {
			tail = append(tail, ',')
		}
		tail = append(append(tail, `"extensions":`...), b...)
	}
	tail = append(tail, '}')
	return head, data, tail, nil
}

// needsHTMLEscape reports whether json.HTMLEscape would change b: it holds
// <, > or &, or the first byte of U+2028 or U+2029.
func needsHTMLEscape(b []byte) bool {
	for _, c := range []byte{'<', '>', '&', 0xE2} {
		if bytes.IndexByte(b, c) >= 0 {
			return true
		}
	}
	return false
}

// sortErrors puts field errors in a fixed order: by path (indexes by
// number), then location and message. gqlgen resolves list elements
// concurrently and lists errors as they come, so without it one operation
// could answer with differently ordered bodies, and no two execution paths
// (resolvers, compiled reads) could be held to byte-identical answers.
func sortErrors(errs gqlerror.List) {
	slices.SortStableFunc(errs, func(a, b *gqlerror.Error) int {
		for i := 0; i < len(a.Path) && i < len(b.Path); i++ {
			if c := comparePathElement(a.Path[i], b.Path[i]); c != 0 {
				return c
			}
		}
		if c := cmp.Compare(len(a.Path), len(b.Path)); c != 0 {
			return c
		}
		for i := 0; i < len(a.Locations) && i < len(b.Locations); i++ {
			la, lb := a.Locations[i], b.Locations[i]
			if c := cmp.Or(cmp.Compare(la.Line, lb.Line), cmp.Compare(la.Column, lb.Column)); c != 0 {
				return c
			}
		}
		return cmp.Or(cmp.Compare(len(a.Locations), len(b.Locations)), strings.Compare(a.Message, b.Message))
	})
}

// comparePathElement orders indexes by number, names by name, an index before a name.
func comparePathElement(a, b ast.PathElement) int {
	ai, aIdx := a.(ast.PathIndex)
	bi, bIdx := b.(ast.PathIndex)
	switch {
	case aIdx && bIdx:
		return cmp.Compare(ai, bi)
	case aIdx:
		return -1
	case bIdx:
		return 1
	}
	an, _ := a.(ast.PathName)
	bn, _ := b.(ast.PathName)
	return strings.Compare(string(an), string(bn))
}

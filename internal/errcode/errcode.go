// Package errcode maps every error a resolver can return to the GraphQL error
// the client sees, in this one place: extensions.code from the contract for
// each fault error (and ent's own), extensions.field for bad input, and a
// generic message for anything internal (SQL, file paths and personal data
// never reach the client; they are logged).
package errcode

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/internal/fault"
)

// The codes of the contract. UNAUTHENTICATED is internal/auth's, which
// refuses a request before GraphQL runs.
const (
	BadUserInput       = "BAD_USER_INPUT"
	NotFound           = "NOT_FOUND"
	Forbidden          = "FORBIDDEN"
	QueryTooComplex    = "QUERY_TOO_COMPLEX"
	InternalError      = "INTERNAL_SERVER_ERROR"
	RequestTimeoutCode = "TIMEOUT"
	// BadRequest is a request the transport cannot read as GraphQL.
	BadRequest = "BAD_REQUEST"
	// RateLimited is a request over its credential's rate (HTTP 429).
	RateLimited = "RATE_LIMITED"
)

const (
	// InternalMessage is all a client learns of an internal error.
	InternalMessage = "internal server error"
	timeoutMessage  = "the request took too long and was cancelled"
)

// NewPresenter returns gqlgen's error presenter. With hideSchema (suggestions
// off) validation errors name nothing of the schema that the request does not
// name itself: with introspection off, "Did you mean" lists and the types in
// messages such as `Field "x" is not defined by type "CustomerWhereInput"`
// would otherwise give the schema away one guess at a time.
func NewPresenter(hideSchema bool) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error { return present(ctx, err, hideSchema) }
}

func present(ctx context.Context, err error, hideSchema bool) *gqlerror.Error {
	var gqlErr *gqlerror.Error
	if !errors.As(err, &gqlErr) {
		gqlErr = gqlerror.WrapPath(graphql.GetPath(ctx), err)
	}
	inner := gqlErr.Unwrap()
	if inner == nil {
		// Produced by gqlgen or gqlparser themselves (parse, validation,
		// coercion of variables): safe to show as they are, but for schema
		// names when they are hidden. A variable that fails coercion is the
		// client's bad input: say which field.
		if hideSchema && gqlErr.Rule != "" && graphql.HasOperationContext(ctx) {
			gqlErr.Message = hideUnaskedNames(gqlErr.Message, graphql.GetOperationContext(ctx).RawQuery)
		}
		if f := variablePath(gqlErr.Path); f != "" {
			gqlErr.Extensions = map[string]any{"code": BadUserInput, "field": f}
			gqlErr.Message = qualify(f, jsonWords(gqlErr.Message))
		}
		return gqlErr
	}
	if _, coded := gqlErr.Extensions["code"]; coded {
		return gqlErr
	}
	out := &gqlerror.Error{Path: gqlErr.Path, Locations: gqlErr.Locations, Rule: gqlErr.Rule}
	code, field, msg := classify(ctx, gqlErr, inner)
	out.Message = msg
	out.Extensions = map[string]any{"code": code}
	if field != "" {
		out.Extensions["field"] = field
	}
	if code == InternalError {
		slog.ErrorContext(ctx, "internal error", "err", inner.Error(), "path", gqlErr.Path.String())
	}
	return out
}

func classify(ctx context.Context, gqlErr *gqlerror.Error, err error) (code, field, msg string) {
	var (
		badInput   *fault.BadInput
		validErr   *ent.ValidationError
		notFound   *fault.NotFound
		entNF      *ent.NotFoundError
		conflict   *fault.Conflict
		tooComplex *fault.TooComplex
	)
	switch {
	case introspectionRefused(ctx):
		return Forbidden, "", "introspection is disabled on this server"
	case errors.As(err, &badInput):
		if badInput.Field == "" {
			f := argumentPath(ctx, gqlErr.Path)
			return BadUserInput, f, qualify(f, badInput.Message)
		}
		return BadUserInput, badInput.Field, badInput.Message
	case errors.As(err, &validErr):
		f := camel(validErr.Name)
		reason := validErr.Error()
		if u := errors.Unwrap(validErr); u != nil {
			reason = u.Error()
		}
		return BadUserInput, f, qualify(f, reason)
	case errors.As(err, &notFound):
		return NotFound, "", notFound.Error()
	case errors.As(err, &entNF):
		return NotFound, "", "not found"
	case errors.As(fault.FromDatabase(err), &conflict):
		return BadUserInput, conflict.Field, conflict.Error()
	case errors.As(err, &tooComplex):
		return QueryTooComplex, "", tooComplex.Error()
	case emptyFilter.MatchString(err.Error()):
		f := emptyFilterPath(err.Error())
		return BadUserInput, f, qualify(f, "is an empty filter, with no condition set; give it one or leave it out")
	case errors.Is(err, context.DeadlineExceeded):
		return RequestTimeoutCode, "", timeoutMessage
	case errors.Is(err, context.Canceled):
		return RequestTimeoutCode, "", "the request was cancelled"
	}
	// An error while coercing an argument (a bad ID, Decimal, Date or enum
	// literal) comes with the argument's path: it is the client's input.
	if f := argumentPath(ctx, gqlErr.Path); f != "" {
		if argumentType(ctx, gqlErr.Path) == "Cursor" {
			// entgql's cursor decoder answers in msgpack's and base64's words.
			return BadUserInput, f, qualify(f, "is not a cursor of this API; pass a startCursor or endCursor from pageInfo")
		}
		return BadUserInput, f, qualify(f, err.Error())
	}
	return InternalError, "", InternalMessage
}

// introspectionRefused tells whether the error is gqlgen's refusal of
// __schema or __type with introspection off: what the client may not do, not
// a fault of the server.
func introspectionRefused(ctx context.Context) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || (fc.Field.Name != "__schema" && fc.Field.Name != "__type") {
		return false
	}
	return graphql.HasOperationContext(ctx) && graphql.GetOperationContext(ctx).DisableIntrospection
}

// quoted is a double-quoted part of a validation message, and name a GraphQL
// name in it ("[OrderItemInput!]!", "Query.customers" and "$w" hold names).
var (
	quoted = regexp.MustCompile(`"[^"]*"`)
	name   = regexp.MustCompile(`[_A-Za-z][_0-9A-Za-z]*`)
)

// wellKnown are the names every GraphQL schema has: showing them tells nothing.
var wellKnown = map[string]bool{"Query": true, "Mutation": true, "Subscription": true,
	"String": true, "Int": true, "Float": true, "Boolean": true, "ID": true}

// hideUnaskedNames replaces each quoted part of msg that holds a name the
// query does not spell out with (hidden), and drops gqlparser's suggestions.
func hideUnaskedNames(msg, query string) string {
	if i := strings.Index(msg, " Did you mean"); i >= 0 {
		msg = msg[:i]
	}
	asked := map[string]bool{}
	for _, n := range name.FindAllString(query, -1) {
		asked[n] = true
	}
	return quoted.ReplaceAllStringFunc(msg, func(q string) string {
		for _, n := range name.FindAllString(q, -1) {
			if !asked[n] && !wellKnown[n] {
				return "(hidden)"
			}
		}
		return q
	})
}

// gqlparser's coercion of variables names Go's reflect kinds ("cannot use
// map as ID", "must be a CustomerWhereInput, not a slice") and, for a number
// out of range, prints a value the client never sent ("cannot use value 0 as
// Int" for 1.5).
var (
	goKindAs   = regexp.MustCompile(`^cannot use (\w+) as (\w+)$`)
	notGoKind  = regexp.MustCompile(`^must be a (\w+), not a (\w+)$`)
	valueAs    = regexp.MustCompile(`^cannot use value \S+ as (\w+)$`)
	jsonKindOf = map[string]string{"map": "an object", "slice": "an array", "bool": "a boolean", "string": "a string",
		"int": "a number", "int32": "a number", "int64": "a number", "float32": "a number", "float64": "a number"}
)

// jsonWords says a variable coercion error in the words of the JSON the
// client sent.
func jsonWords(msg string) string {
	if m := valueAs.FindStringSubmatch(msg); m != nil {
		return "is not a valid " + m[1]
	}
	if m := goKindAs.FindStringSubmatch(msg); m != nil && jsonKindOf[m[1]] != "" {
		return "must be of type " + m[2] + ", not " + jsonKindOf[m[1]]
	}
	if m := notGoKind.FindStringSubmatch(msg); m != nil && jsonKindOf[m[2]] != "" {
		return "must be of type " + m[1] + ", not " + jsonKindOf[m[2]]
	}
	return msg
}

func qualify(field, msg string) string {
	if field == "" {
		return msg
	}
	return field + ": " + msg
}

// argumentPath turns the path of an argument coercion error — the field's
// response path followed by the argument's path, e.g.
// ["createOrder","input","items",0,"unitPrice"] — into an input field name
// ("items[0].unitPrice"); the wrapper argument "input" is left out. It returns
// "" when the path is not an argument's.
func argumentPath(ctx context.Context, p ast.Path) string {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Definition == nil {
		return ""
	}
	resp := fc.Path()
	if len(p) <= len(resp) || p[:len(resp)].String() != resp.String() {
		return ""
	}
	p = p[len(resp):]
	first, ok := p[0].(ast.PathName)
	if !ok || fc.Field.Definition.Arguments.ForName(string(first)) == nil {
		return ""
	}
	if first == "input" && len(p) > 1 {
		p = p[1:]
	}
	return formatPath(p)
}

// argumentType names the type of the argument an argument coercion error's
// path starts with ("" when it is not an argument's).
func argumentType(ctx context.Context, p ast.Path) string {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Definition == nil {
		return ""
	}
	resp := fc.Path()
	if len(p) <= len(resp) {
		return ""
	}
	first, ok := p[len(resp)].(ast.PathName)
	if !ok {
		return ""
	}
	if arg := fc.Field.Definition.Arguments.ForName(string(first)); arg != nil {
		return arg.Type.Name()
	}
	return ""
}

// variablePath names the input field of a variable coercion error, whose path
// is ["variable", NAME, field...]: the fields below the variable, or the
// variable itself.
func variablePath(p ast.Path) string {
	if len(p) < 2 || p[0] != ast.PathName("variable") {
		return ""
	}
	if _, list := p[min(2, len(p)-1)].(ast.PathIndex); len(p) == 2 || list {
		// The variable itself, or an element of a list variable ("ids[0]").
		return formatPath(p[1:])
	}
	return formatPath(p[2:])
}

func formatPath(p ast.Path) string {
	var b strings.Builder
	for _, el := range p {
		switch v := el.(type) {
		case ast.PathIndex:
			b.WriteString("[" + strconv.Itoa(int(v)) + "]")
		case ast.PathName:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(string(v))
		}
	}
	return b.String()
}

// emptyFilter is entgql's refusal of a nested where input with no condition
// (not: {}, and: [{}], hasOrdersWith: [{}]), innermost field first; an empty
// where at the top means no filter and passes.
var (
	emptyFilter      = regexp.MustCompile(`ent: empty predicate \w+WhereInput((?:: field '\w+')+)`)
	emptyFilterField = regexp.MustCompile(`field '(\w+)'`)
)

// emptyFilterPath turns entgql's refusal into the input's path: "field 'not':
// field 'HasCustomerWith'" is where.hasCustomerWith.not.
func emptyFilterPath(msg string) string {
	fields := emptyFilterField.FindAllStringSubmatch(emptyFilter.FindStringSubmatch(msg)[1], -1)
	path := "where"
	for i := len(fields) - 1; i >= 0; i-- {
		f := fields[i][1]
		path += "." + strings.ToLower(f[:1]) + f[1:]
	}
	return path
}

func camel(snake string) string {
	parts := strings.Split(snake, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// Recover turns a resolver panic into an internal error, logging the stack.
func Recover(ctx context.Context, v any) error {
	slog.ErrorContext(ctx, "panic in resolver", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	return errors.New(InternalMessage)
}

// New returns an error with a code, for refusals decided outside resolvers
// (limits, authorization).
func New(code, field, msg string) *gqlerror.Error {
	e := &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}
	if field != "" {
		e.Extensions["field"] = field
	}
	return e
}

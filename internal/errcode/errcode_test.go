package errcode_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"

	"github.com/c360/c360/graph"
	"github.com/c360/c360/internal/errcode"
	"github.com/c360/c360/internal/fault"
)

// run executes a document against the real schema with resolvers that have
// no database: the customers resolver dereferences a nil client and panics.
func run(t *testing.T, query string, vars map[string]any) *graphql.Response {
	exec := executor.New(graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}))
	exec.SetErrorPresenter(errcode.NewPresenter(false))
	exec.SetRecoverFunc(errcode.Recover)
	ctx := graphql.StartOperationTrace(context.Background())
	rc, errs := exec.CreateOperationContext(ctx, &graphql.RawParams{Query: query, Variables: vars})
	if errs != nil {
		return exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs)
	}
	h, ctx := exec.DispatchOperation(ctx, rc)
	return h(ctx)
}

func TestResolverPanicIsGeneric(t *testing.T) {
	resp := run(t, `{ customers(first: 1) { totalCount } }`, nil)
	if len(resp.Errors) != 1 {
		t.Fatalf("expected one error, got %v", resp.Errors)
	}
	e := resp.Errors[0]
	b, _ := json.Marshal(e)
	if e.Message != "internal server error" || e.Extensions["code"] != errcode.InternalError {
		t.Fatalf("panic not masked: %s", b)
	}
	for _, leak := range []string{"nil pointer", "runtime", ".go", "goroutine"} {
		if strings.Contains(string(b), leak) {
			t.Fatalf("panic leaks %q: %s", leak, b)
		}
	}
}

func TestCoercionErrorNamesField(t *testing.T) {
	resp := run(t, `mutation { createOrder(input: {customerID: 1, channel: WEB, items: [{sku: "a", name: "b", quantity: 1, unitPrice: "1.234"}]}) { id } }`, nil)
	if len(resp.Errors) != 1 {
		t.Fatalf("expected one error, got %v", resp.Errors)
	}
	e := resp.Errors[0]
	if e.Extensions["code"] != errcode.BadUserInput || e.Extensions["field"] != "items[0].unitPrice" {
		b, _ := json.Marshal(e)
		t.Fatalf("coercion error: %s", b)
	}
}

func TestEachFaultIsPresentedWithItsCodeFieldAndMessage(t *testing.T) {
	present := errcode.NewPresenter(false)
	for _, tc := range []struct {
		err              error
		code, field, msg string
	}{
		{&fault.BadInput{Field: "email", Message: "email: is not a valid email address"},
			errcode.BadUserInput, "email", "email: is not a valid email address"},
		{fmt.Errorf("creating order: %w", &fault.NotFound{What: "customer 7"}), errcode.NotFound, "", "customer 7 not found"},
		{errors.New("ent: constraint failed: UNIQUE constraint failed: customers.external_ref"),
			errcode.BadUserInput, "externalRef", "externalRef: is already in use"},
		{&fault.Conflict{Err: errors.New("FOREIGN KEY constraint failed")},
			errcode.BadUserInput, "", "the change conflicts with existing data"},
		{&fault.TooComplex{Message: "query depth 16 exceeds the limit of 15"},
			errcode.QueryTooComplex, "", "query depth 16 exceeds the limit of 15"},
		{fmt.Errorf("reading: %w", context.DeadlineExceeded), errcode.RequestTimeoutCode, "", "the request took too long and was cancelled"},
		{errors.New("pq: relation customers does not exist"), errcode.InternalError, "", "internal server error"},
	} {
		got := present(context.Background(), tc.err)
		if got.Message != tc.msg || got.Extensions["code"] != tc.code || (got.Extensions["field"] != nil) != (tc.field != "") ||
			(tc.field != "" && got.Extensions["field"] != tc.field) {
			b, _ := json.Marshal(got)
			t.Errorf("%v presented as %s, want code %s, field %q, message %q", tc.err, b, tc.code, tc.field, tc.msg)
		}
	}
}

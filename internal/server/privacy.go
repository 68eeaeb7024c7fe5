package server

import (
	"context"
	"fmt"
	"github.com/vektah/gqlparser/v2/ast"
	"maps"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/c360/c360/internal/auth"
	"github.com/c360/c360/internal/date"
	"github.com/c360/c360/internal/errcode"
)

// personalData implements @personalData: admins see the value, analysts a
// pseudonym keyed by the field's coordinate ("Customer.email"), consistent
// within that field only, viewers a FORBIDDEN error on the field (the rest of
// the query still answers). Kinds auth withholds (few distinct values, so
// counting reverses their pseudonyms) are refused to analysts like to viewers.
func personalData(a *auth.Authenticator) func(ctx context.Context, obj any, next graphql.Resolver, kind string) (any, error) {
	return func(ctx context.Context, obj any, next graphql.Resolver, kind string) (any, error) {
		p, ok := auth.FromContext(ctx)
		fc := graphql.GetFieldContext(ctx)
		switch {
		case ok && p.Role.SeesPersonalData():
			return next(ctx)
		case ok && p.Role.MasksPersonalData() && auth.Withheld(kind) && fc != nil:
			return nil, forbidden(ctx, fc.Field.Name+" is not available to the "+roleOf(ctx)+
				" role: it has few distinct values, so counting would reverse its pseudonyms")
		case ok && p.Role.MasksPersonalData() && fc != nil:
			v, err := next(ctx)
			if err != nil {
				return v, err
			}
			return mask(a, kind, fc.Object+"."+fc.Field.Name, v), nil
		}
		// No field context means no coordinate to key the pseudonym by:
		// refuse rather than mask under a key shared with other fields.
		return nil, forbidden(ctx, "personal data is not available to the "+roleOf(ctx)+" role")
	}
}

func mask(a *auth.Authenticator, kind, field string, v any) any {
	switch t := v.(type) {
	case *string:
		if t == nil {
			return t
		}
		m := a.Mask(kind, field, *t)
		if m == "" {
			return (*string)(nil)
		}
		return &m
	case string:
		return a.Mask(kind, field, t)
	case *date.Date:
		if t == nil {
			return t
		}
		m := date.Date(a.Mask(kind, field, string(*t)))
		if m == "" {
			return (*date.Date)(nil)
		}
		return &m
	}
	return nil // an unknown type is never shown unmasked
}

func roleOf(ctx context.Context) string {
	if p, ok := auth.FromContext(ctx); ok {
		return string(p.Role)
	}
	return "anonymous"
}

func forbidden(ctx context.Context, msg string) error {
	fc := graphql.GetFieldContext(ctx)
	field := ""
	if fc != nil {
		field = fc.Field.Name
	}
	e := errcode.New(errcode.Forbidden, field, msg)
	e.Path = graphql.GetPath(ctx)
	return e
}

// personalFields are the input names that filter or order by personal data;
// a role that may not see a field may not probe it through filters either.
var personalFields = []string{"email", "phone", "birthDate", "region", "city", "comment"}

// authorizeField refuses writes to roles that cannot write, and filters,
// orderings and lookups on personal data to roles that may not see it.
// fieldRules calls it for the fields its walk found refused.
func authorizeField(ctx context.Context, fc *graphql.FieldContext) error {
	p, _ := auth.FromContext(ctx)
	if fc.Object == "Mutation" && !p.Role.CanWrite() {
		return forbidden(ctx, "the "+roleOf(ctx)+" role may not write")
	}
	if !p.Role.SeesPersonalData() && auditOnly(fc.Field.Field, fc.Field.ArgumentMap(graphql.GetOperationContext(ctx).Variables)) {
		return forbidden(ctx, fc.Field.Name+" is for admins, not the "+roleOf(ctx)+" role")
	}
	if !p.Role.SeesPersonalData() && len(fc.Field.Arguments) > 0 {
		oc := graphql.GetOperationContext(ctx)
		if path := personalArgument(fc.Field.ArgumentMap(oc.Variables)); path != "" {
			return errcode.New(errcode.Forbidden, path,
				fmt.Sprintf("%s: filtering or ordering by personal data is not available to the %s role", path, roleOf(ctx)))
		}
	}
	return nil
}

// auditOnly reports a field only admins may read: Query.events and a
// Subscription.customerEvents without customerID (every customer's
// history), duplicateCandidates, whose rules tell who shares a birth date or
// an identity (and whose whole list reads every customer), and webhooks,
// which get every customer's events.
func auditOnly(f *ast.Field, args map[string]any) bool {
	if f.ObjectDefinition == nil {
		return false
	}
	switch f.ObjectDefinition.Name {
	case "Webhook", "WebhookDelivery": // also reached through node(id:)
		return true
	}
	switch f.ObjectDefinition.Name + "." + f.Name {
	case "Query.events", "Query.duplicateCandidates", "Query.webhooks",
		"Mutation.createWebhook", "Mutation.deleteWebhook", "Mutation.replayWebhook":
		return true
	case "Subscription.customerEvents":
		return args["customerID"] == nil
	}
	return false
}

// personalArgument returns the path of the first personal-data input among
// a field's arguments, or "". Names are taken in sorted order (as in
// personalInput), so a refusal names the same input every time.
func personalArgument(args map[string]any) string {
	for _, name := range slices.Sorted(maps.Keys(args)) {
		if path := personalInput(name, args[name]); path != "" {
			return path
		}
	}
	return ""
}

// personalInput returns the path of the first personal-data input inside an
// argument value ("where.hasCustomerWith[0].emailContainsFold"), or "".
func personalInput(path string, v any) string {
	switch t := v.(type) {
	case map[string]any:
		if f, ok := t["field"].(string); ok && (f == "EMAIL" || f == "BIRTH_DATE") {
			return path + ".field"
		}
		if path == "identity" { // customer(identity: ...): a phone, an email, a handle
			return path
		}
		for _, k := range slices.Sorted(maps.Keys(t)) {
			if p := personalInput(path+"."+k, t[k]); p != "" {
				return p
			}
		}
	case []any:
		for i, sub := range t {
			if p := personalInput(fmt.Sprintf("%s[%d]", path, i), sub); p != "" {
				return p
			}
		}
	}
	// A leaf: the key itself may name personal data (where.emailContainsFold,
	// or customer(email: ...)).
	last := path[strings.LastIndexAny(path, ".")+1:]
	for _, f := range personalFields {
		if strings.HasPrefix(last, f) {
			if _, isMap := v.(map[string]any); !isMap {
				return path
			}
		}
	}
	return ""
}

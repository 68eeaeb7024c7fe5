package querylimit

import (
	"fmt"
	"sort"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/c360/c360/internal/fault"
)

// Input values are bounded before gqlgen coerces them: coercion, validation
// and the filters built from them recurse once per level and copy the path
// at each, so a variables document of 80 KB nesting `not` 9,990 deep cost
// about 1 GB before the database refused it; and SQLite refuses expressions
// deeper than 1,000 anyway.

// inputShape is the nesting depth of a value (a scalar 0, a list or an
// object one more than its deepest element) and its longest list.
type inputShape struct{ depth, list int }

func (s *inputShape) merge(o inputShape) {
	s.depth = max(s.depth, o.depth)
	s.list = max(s.list, o.list)
}

// jsonShape measures a decoded JSON value (a variable), in time linear in
// its size; the JSON decoder bounds its depth (10,000).
func jsonShape(v any) inputShape {
	var s inputShape
	switch x := v.(type) {
	case []any:
		s.list = len(x)
		for _, e := range x {
			s.merge(jsonShape(e))
		}
		s.depth++
	case map[string]any:
		for _, e := range x {
			s.merge(jsonShape(e))
		}
		s.depth++
	}
	return s
}

// literalShape measures a value written in the document; the token limit
// bounds its size.
func literalShape(v *ast.Value) inputShape {
	var s inputShape
	if v == nil {
		return s
	}
	switch v.Kind {
	case ast.ListValue, ast.ObjectValue:
		if v.Kind == ast.ListValue {
			s.list = len(v.Children)
		}
		for _, c := range v.Children {
			s.merge(literalShape(c.Value))
		}
		s.depth++
	}
	return s
}

// checkVariables refuses the first variable (by name, for a stable answer)
// nested deeper than l.MaxInputDepth or holding a list longer than
// l.MaxInputList, as the client's bad input naming the variable.
func checkVariables(vars map[string]any, l Limits) *gqlerror.Error {
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := jsonShape(vars[n])
		switch {
		case s.depth > l.MaxInputDepth:
			return gqlerror.Wrap(&fault.BadInput{Field: n, Message: fmt.Sprintf(
				"variable %q nests input %d deep; the limit is %d (MAX_INPUT_DEPTH)", n, s.depth, l.MaxInputDepth)})
		case s.list > l.MaxInputList:
			return gqlerror.Wrap(&fault.BadInput{Field: n, Message: fmt.Sprintf(
				"variable %q holds a list of %d values; the limit is %d (MAX_INPUT_LIST)", n, s.list, l.MaxInputList)})
		}
	}
	return nil
}

// checkLiterals records in w.input the refusal of the first argument
// (of field or directive owner) whose literal value is nested deeper than
// MaxInputDepth or holds a list longer than MaxInputList.
func (w *walker) checkLiterals(owner string, args ast.ArgumentList) {
	if w.input != "" {
		return
	}
	l := w.limits
	for _, a := range args {
		s := literalShape(a.Value)
		switch {
		case s.depth > l.MaxInputDepth:
			w.input = fmt.Sprintf("argument %q of %s nests input %d deep; the limit is %d (MAX_INPUT_DEPTH)",
				shorten(a.Name), owner, s.depth, l.MaxInputDepth)
		case s.list > l.MaxInputList:
			w.input = fmt.Sprintf("argument %q of %s holds a list of %d values; the limit is %d (MAX_INPUT_LIST)",
				shorten(a.Name), owner, s.list, l.MaxInputList)
		default:
			continue
		}
		return
	}
}

func (w *walker) checkDirectives(ds ast.DirectiveList) {
	for _, d := range ds {
		if len(d.Arguments) > 0 {
			w.checkLiterals("@"+shorten(d.Name), d.Arguments)
		}
	}
}

package schema

import (
	"context"
	"errors"
	"time"

	"entgo.io/ent"

	"github.com/c360/c360/internal/date"
	"github.com/c360/c360/internal/duplicates"
	"github.com/c360/c360/internal/personas"
	"github.com/c360/c360/internal/validate"
)

// The hooks below use ent's generic Mutation interface only: the schema
// package cannot import the client generated from it.

// normalizeEmail lower-cases emails so the unique index is case-insensitive.
func normalizeEmail(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if v, ok := m.Field("email"); ok {
			if s, ok := v.(string); ok {
				if err := m.SetField("email", validate.NormalizeEmail(s)); err != nil {
					return nil, err
				}
			}
		}
		return next.Mutate(ctx, m)
	})
}

// matchKeys keeps the blocking keys of duplicate detection in step with the
// name and the city.
func matchKeys(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		set := map[string]string{}
		if v, ok := m.Field("name"); ok {
			key := duplicates.NameKey(toString(v))
			head, tail := duplicates.HeadTail(key)
			set["match_name"], set["match_head"], set["match_tail"] = key, head, tail
		}
		if v, ok := m.Field("city"); ok {
			set["match_city"] = duplicates.NameKey(toString(v))
		} else if m.FieldCleared("city") {
			set["match_city"] = ""
		}
		for f, v := range set {
			if err := m.SetField(f, v); err != nil {
				return nil, err
			}
		}
		return next.Mutate(ctx, m)
	})
}

// checkCriteria validates persona criteria (ent cannot attach a validator to a
// JSON field).
func checkCriteria(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if v, ok := m.Field("criteria"); ok {
			if c, ok := v.(personas.Criteria); ok {
				if err := c.Validate(); err != nil {
					return nil, err
				}
			}
		}
		return next.Mutate(ctx, m)
	})
}

// checkFeedbackScore applies the per-kind score rule on creation (feedback is
// not updated after it is given).
func checkFeedbackScore(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if m.Op().Is(ent.OpCreate) {
			kind, _ := m.Field("kind")
			var score *int
			if v, ok := m.Field("score"); ok {
				s := v.(int)
				score = &s
			}
			if err := validate.FeedbackScore(toString(kind), score); err != nil {
				return nil, err
			}
		}
		return next.Mutate(ctx, m)
	})
}

func toString(v any) string {
	if s, ok := v.(interface{ String() string }); ok {
		return s.String()
	}
	s, _ := v.(string)
	return s
}

func validBirthDate(s string) error {
	d, err := date.Parse(s)
	if err != nil {
		return err
	}
	if d > date.Of(time.Now().UTC()) {
		return errors.New("must not be in the future")
	}
	return nil
}

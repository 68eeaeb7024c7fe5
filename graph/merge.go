package graph

import (
	"context"

	"github.com/c360/c360/internal/store"
)

func (r *Resolver) mergeCustomers(ctx context.Context, survivorID int, mergedIDs []int, dry *bool, choices []*MergeFieldChoiceInput) (*MergeResult, error) {
	if dry != nil && *dry {
		if err := dryRun(ctx); err != nil {
			return nil, err
		}
	}
	fc := make([]store.FieldChoice, len(choices))
	for i, c := range choices {
		fc[i] = store.FieldChoice{Field: c.Field, From: c.FromCustomerID}
	}
	m, err := store.Merge(ctx, r.ent(ctx), survivorID, mergedIDs, fc)
	if err != nil {
		return nil, err
	}
	s, err := r.ent(ctx).Customer.Get(ctx, survivorID)
	if err != nil {
		return nil, err
	}
	if dry != nil && *dry {
		m = nil
	}
	return &MergeResult{Merge: m, Survivor: s}, nil
}

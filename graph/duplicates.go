package graph

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/internal/duplicates"
	"github.com/c360/c360/internal/store"
	"github.com/c360/c360/internal/validate"
)

// duplicateCandidates pages store.DuplicateCandidates. A cursor holds the
// pair's position in the order (score, then ids), so a page after it is
// right even when pairs before it came or went.
func (r *Resolver) duplicateCandidates(ctx context.Context, customerID *int, minScore *float64, first *int, after *entgql.Cursor[int]) (*DuplicateCandidateConnection, error) {
	min := 0.7
	if minScore != nil {
		if *minScore < 0 || *minScore > 1 {
			return nil, validate.Errorf("minScore", "must be between 0 and 1, got %v", *minScore)
		}
		min = *minScore
	}
	all, err := store.DuplicateCandidates(ctx, r.ent(ctx), customerID, min)
	if err != nil {
		return nil, err
	}
	start := 0
	if after != nil {
		score, b, err := cursorPosition(after)
		if err != nil {
			return nil, validate.Errorf("after", "%s", err)
		}
		for start < len(all) && !beyond(all[start], score, after.ID, b) {
			start++
		}
	}
	page := all[start:]
	if first != nil && *first < len(page) {
		page = page[:*first]
	}
	conn := &DuplicateCandidateConnection{TotalCount: len(all), PageInfo: &entgql.PageInfo[int]{
		HasNextPage: start+len(page) < len(all), HasPreviousPage: start > 0}}
	ids := make([]int, 0, 2*len(page))
	for _, c := range page {
		ids = append(ids, c.A, c.B)
	}
	sides := make(map[string]map[int]*ent.Customer, 2)
	for _, side := range []string{"customer", "other"} {
		if sides[side], err = r.pairCustomers(ctx, side, ids); err != nil {
			return nil, err
		}
	}
	for _, c := range page {
		a, b := c.A, c.B
		if customerID != nil && *customerID == b {
			a, b = b, a
		}
		node := &DuplicateCandidate{Customer: pick(sides["customer"], a), Other: pick(sides["other"], b), Score: c.Score}
		for _, reason := range c.Reasons {
			node.Reasons = append(node.Reasons, &MatchReason{Rule: reason.Rule, Detail: reason.Detail})
		}
		if node.Customer == nil || node.Other == nil {
			return nil, fmt.Errorf("duplicate candidates: customer %d or %d went away", a, b)
		}
		cursor := entgql.Cursor[int]{ID: c.A, Value: strconv.FormatFloat(c.Score, 'g', -1, 64) + " " + strconv.Itoa(c.B)}
		conn.Edges = append(conn.Edges, &DuplicateCandidateEdge{Node: node, Cursor: cursor})
	}
	if n := len(conn.Edges); n > 0 {
		conn.PageInfo.StartCursor, conn.PageInfo.EndCursor = &conn.Edges[0].Cursor, &conn.Edges[n-1].Cursor
	}
	return conn, nil
}

func cursorPosition(c *entgql.Cursor[int]) (float64, int, error) {
	s, _ := c.Value.(string)
	score, b, ok := strings.Cut(s, " ")
	sc, err1 := strconv.ParseFloat(score, 64)
	id, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("not a cursor of duplicateCandidates")
	}
	return sc, id, nil
}

// beyond reports whether c comes after the pair (score, a, b) in the order.
func beyond(c duplicates.Candidate, score float64, a, b int) bool {
	switch {
	case c.Score != score:
		return c.Score < score
	case c.A != a:
		return c.A > a
	}
	return c.B > b
}

// pick returns customer id of a side, a bare one when the query selects
// nothing under the side.
func pick(side map[int]*ent.Customer, id int) *ent.Customer {
	if side == nil {
		return &ent.Customer{ID: id}
	}
	return side[id]
}

// pairCustomers loads the customers of one side of the page's pairs with
// what the query selects under it (their edges too), one query per alias.
func (r *Resolver) pairCustomers(ctx context.Context, side string, ids []int) (map[int]*ent.Customer, error) {
	fields := nodeFields(ctx, side)
	if len(fields) == 0 {
		return nil, nil
	}
	out := make(map[int]*ent.Customer, len(ids))
	for _, f := range fields {
		fctx := graphql.WithFieldContext(ctx, &graphql.FieldContext{Object: "DuplicateCandidate", Field: f})
		q, err := r.ent(ctx).Customer.Query().Where(customer.IDIn(ids...)).CollectFields(fctx)
		if err != nil {
			return nil, err
		}
		cs, err := q.All(ctx)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			out[c.ID] = c
		}
	}
	return out, nil
}

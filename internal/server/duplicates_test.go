package server_test

import (
	"testing"
)

const candidatesPage = `query($min: Float, $first: Int, $after: Cursor) {
  duplicateCandidates(minScore: $min, first: $first, after: $after) {
    totalCount
    edges { cursor node { customer { name } other { name } score reasons { rule } } }
    pageInfo { hasNextPage endCursor }
  }
}`

type candidatesOut struct {
	DuplicateCandidates struct {
		TotalCount int
		Edges      []struct {
			Cursor string
			Node   struct {
				Customer, Other struct{ Name string }
				Score           float64
				Reasons         []struct{ Rule string }
			}
		}
		PageInfo struct {
			HasNextPage bool
			EndCursor   *string
		}
	}
}

// TestDuplicateCandidatesComeByScoreAndPageByCursor: the pairs of Finnish,
// Bulgarian and Italian customers that the rules find, highest score first,
// the same one page at a time as all at once; minScore leaves out the lower
// ones.
func TestDuplicateCandidatesComeByScoreAndPageByCursor(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		for _, c := range []map[string]any{
			{"kind": "INDIVIDUAL", "name": "Aino Jääskeläinen", "birthDate": "1990-04-12", "city": "Tampere"},
			{"kind": "INDIVIDUAL", "name": "Jaaskelainen  Aino", "birthDate": "1990-04-12", "city": "Oulu"},
			{"kind": "INDIVIDUAL", "name": "Giulia Rossi", "city": "Roma"},
			{"kind": "INDIVIDUAL", "name": "Guilia Rossi", "city": "Roma"},
			{"kind": "INDIVIDUAL", "name": "Виктор Петров", "birthDate": "1985-01-30", "city": "София"},
			{"kind": "INDIVIDUAL", "name": "Victor Petrov", "birthDate": "1985-01-30", "city": "Sofia"},
			{"kind": "BUSINESS", "name": "Атанасов ООД", "country": "BG"},
			{"kind": "BUSINESS", "name": "атанасов  ООД", "country": "BG"},
			{"kind": "INDIVIDUAL", "name": "Mikko Korhonen", "phone": "+358401234567"},
			{"kind": "INDIVIDUAL", "name": "M. Korhonen", "phone": "+358401234567"},
		} {
			a.customer(c)
		}
		var all candidatesOut
		a.ok(candidatesPage, map[string]any{"first": 100}, &all)
		var got []string
		for _, e := range all.DuplicateCandidates.Edges {
			got = append(got, e.Node.Customer.Name+" / "+e.Node.Other.Name+" "+e.Node.Reasons[0].Rule)
		}
		want := []string{
			"Mikko Korhonen / M. Korhonen SHARED_IDENTITY",
			"Aino Jääskeläinen / Jaaskelainen  Aino SAME_NAME_AND_BIRTH_DATE",
			"Атанасов ООД / атанасов  ООД SAME_BUSINESS_NAME_AND_COUNTRY",
			"Giulia Rossi / Guilia Rossi SIMILAR_NAME_AND_CITY",
		}
		if len(got) != len(want) || all.DuplicateCandidates.TotalCount != len(want) {
			t.Fatalf("candidates = %q (total %d), want %q", got, all.DuplicateCandidates.TotalCount, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("candidate %d = %q, want %q", i, got[i], want[i])
			}
		}

		var paged []string
		var after any
		for page := 0; page < 10; page++ {
			var out candidatesOut
			a.ok(candidatesPage, map[string]any{"first": 1, "after": after}, &out)
			for _, e := range out.DuplicateCandidates.Edges {
				paged = append(paged, e.Node.Customer.Name+" / "+e.Node.Other.Name+" "+e.Node.Reasons[0].Rule)
			}
			if !out.DuplicateCandidates.PageInfo.HasNextPage {
				break
			}
			after = *out.DuplicateCandidates.PageInfo.EndCursor
		}
		if len(paged) != len(got) || paged[len(paged)-1] != got[len(got)-1] {
			t.Errorf("one at a time = %q, want %q", paged, got)
		}

		var high candidatesOut
		a.ok(candidatesPage, map[string]any{"min": 0.9, "first": 100}, &high)
		if n := len(high.DuplicateCandidates.Edges); n != 3 {
			t.Errorf("%d candidates scoring 0.9 or more, want 3 (not the similar names)", n)
		}
		a.fails(candidatesPage, map[string]any{"min": 1.5}, "BAD_USER_INPUT", "minScore")
		a.fails(candidatesPage, map[string]any{"after": "gaFpAQ"}, "BAD_USER_INPUT", "after")
	})
}

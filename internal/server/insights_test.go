package server_test

import (
	"context"
	"testing"
	"time"
)

// Contract (scores.md, "Windows with an end, and series"): insightsSeries
// answers calendar buckets oldest first, each point's scores those of
// insights(personaID, since: start, until: end); until is exclusive, and a
// bad window is BAD_USER_INPUT naming the argument.
func TestInsightsSeriesPointsAreInsightsOfTheirBuckets(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		if _, err := a.app.LoadDemo(context.Background(), 300); err != nil {
			t.Fatal(err)
		}
		const figures = `customerCount buyerCount orderCount revenue averageOrderValue repeatPurchaseRate
			npsResponses promoters passives detractors nps averageCsat csatSatisfiedShare`
		type point struct {
			Start, End time.Time
			Scores     map[string]any
		}
		var series struct{ InsightsSeries []point }
		since := time.Now().UTC().AddDate(-3, 0, 0)
		a.ok(`query($since: Time!) { insightsSeries(interval: QUARTER, since: $since) { start end scores { `+figures+` } } }`,
			map[string]any{"since": since}, &series)
		points := series.InsightsSeries
		if len(points) < 12 || len(points) > 13 {
			t.Fatalf("%d quarterly points over 3 years", len(points))
		}
		busy := 0
		for i, p := range points {
			if p.Start.Month()%3 != 1 || p.Start.Day() != 1 || !p.End.Equal(p.Start.AddDate(0, 3, 0)) ||
				(i > 0 && !p.Start.Equal(points[i-1].End)) {
				t.Fatalf("point %d: [%s, %s) is not the calendar quarter after the last", i, p.Start, p.End)
			}
			var one struct{ Insights map[string]any }
			a.ok(`query($since: Time, $until: Time) { insights(since: $since, until: $until) { `+figures+` } }`,
				map[string]any{"since": p.Start, "until": p.End}, &one)
			for k, v := range one.Insights {
				if p.Scores[k] != v {
					t.Errorf("point [%s, %s) %s = %v, insights of its window %v", p.Start, p.End, k, p.Scores[k], v)
				}
			}
			if p.Scores["orderCount"] != float64(0) {
				busy++
			}
		}
		if busy == 0 {
			t.Fatal("no point has orders: the demo data should")
		}
		if first := points[0]; since.Before(first.Start) || !since.Before(first.End) {
			t.Errorf("the first point [%s, %s) does not contain since %s", first.Start, first.End, since)
		}
		a.fails(`{ insightsSeries(interval: WEEK, since: "2000-01-01T00:00:00Z") { start } }`, nil, "BAD_USER_INPUT", "since")
		a.fails(`{ insightsSeries(interval: MONTH, since: "2024-01-01T00:00:00Z", until: "2023-01-01T00:00:00Z") { start } }`, nil, "BAD_USER_INPUT", "until")
	})
}

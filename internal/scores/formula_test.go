package scores

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/c360/c360/internal/date"
	"github.com/c360/c360/internal/money"
)

func customerOn(orders int, ltv money.Cents, first, last string, nps *int) *Customer {
	c := &Customer{OrderCount: orders, LifetimeValue: ltv, LatestNps: nps}
	if orders > 0 {
		f, _ := time.Parse(time.DateOnly, first)
		l, _ := time.Parse(time.DateOnly, last)
		c.FirstOrderAt, c.LastOrderAt = &f, &l
	}
	return c
}

func TestLoyaltyAndChurnFormulas(t *testing.T) {
	today := date.Date("2026-06-30")
	nine, three := 9, 3
	cases := []struct {
		name           string
		c              *Customer
		loyalty, churn int
	}{
		// Prospect: only the neutral NPS part of loyalty; fully lapsed, neutral NPS risk.
		{"prospect", customerOn(0, 0, "", "", nil), 10, 90},
		// 20 orders, 5,000.00, last order today, promoter: every component full.
		{"champion", customerOn(20, 500000, "2025-06-30", "2026-06-30", &nine), 98, 0},
		// One order 100 days ago (default gap 90 days): slightly overdue; detractor.
		// R = 1-100/365, F = ln2/ln21, M = ln101/ln5001, N = 0.3
		//   -> 0.35*0.7260+0.25*0.2277+0.2*0.5419+0.2*0.3 = 0.4794
		// overdue = (100/90-1)/3 = 0.0370 -> 0.8*0.0370+0.2*1 = 0.2296
		{"one order, detractor", customerOn(1, 10000, "2026-03-22", "2026-03-22", &three), 48, 23},
		// 13 orders over 365 days (gap 30.42 days), last one 120 days ago:
		// R = 0.6712, F = ln14/ln21 = 0.8668, M = ln1301/ln5001 = 0.8419, N = 0.5 -> 0.7200
		// overdue = (120/30.42-1)/3 = 0.9817 -> 0.8*0.9817+0.2*0.5 = 0.8854
		{"lapsed monthly buyer", customerOn(13, 130000, "2025-03-02", "2026-03-02", nil), 72, 89},
	}
	for _, tc := range cases {
		tc.c.derive(today)
		if tc.c.LoyaltyScore != tc.loyalty || tc.c.ChurnRisk != tc.churn {
			t.Errorf("%s: loyalty %d churn %d, want %d and %d", tc.name, tc.c.LoyaltyScore, tc.c.ChurnRisk, tc.loyalty, tc.churn)
		}
	}
}

// Properties: a more recent last order never lowers loyalty nor raises churn;
// more orders and more value never lower loyalty; both stay in 0..100.
func TestLoyaltyAndChurnMonotonic(t *testing.T) {
	today := date.Date("2026-06-30")
	for orders := 1; orders <= 40; orders += 3 {
		prevLoyalty, prevChurn := -1, 101
		for days := 800; days >= 0; days -= 20 {
			last := today.Time().AddDate(0, 0, -days).Format(time.DateOnly)
			c := customerOn(orders, money.Cents(orders*2500), "2024-01-01", last, nil)
			if days > 900 {
				continue
			}
			c.derive(today)
			if c.LoyaltyScore < 0 || c.LoyaltyScore > 100 || c.ChurnRisk < 0 || c.ChurnRisk > 100 {
				t.Fatalf("out of range: %+v", c)
			}
			if c.LoyaltyScore < prevLoyalty || c.ChurnRisk > prevChurn {
				t.Fatalf("orders %d, %d days: loyalty %d (was %d), churn %d (was %d)", orders, days, c.LoyaltyScore, prevLoyalty, c.ChurnRisk, prevChurn)
			}
			prevLoyalty, prevChurn = c.LoyaltyScore, c.ChurnRisk
		}
	}
	small := customerOn(2, 2000, "2026-01-01", "2026-06-01", nil)
	big := customerOn(10, 200000, "2026-01-01", "2026-06-01", nil)
	small.derive(today)
	big.derive(today)
	if big.LoyaltyScore <= small.LoyaltyScore {
		t.Fatalf("more orders and value should mean more loyalty: %d vs %d", big.LoyaltyScore, small.LoyaltyScore)
	}
}

func TestRatioRoundsHalfAwayFromZero(t *testing.T) {
	cases := []struct {
		num, den int64
		dec      int
		want     float64
	}{{1, 8, 2, 0.13}, {-1, 8, 2, -0.13}, {2, 3, 4, 0.6667}, {100, 3, 1, 33.3}, {-200, 3, 1, -66.7}, {1, 2, 0, 1}, {5, 1, 2, 5}}
	for _, c := range cases {
		if got := *ratio(c.num, c.den, c.dec); got != c.want {
			t.Errorf("ratio(%d, %d, %d) = %v, want %v", c.num, c.den, c.dec, got, c.want)
		}
	}
}

func TestBinaryEncodingRoundTrip(t *testing.T) {
	nps, csat := 7, 4.33
	aov := money.Cents(1999)
	first, last := time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC), time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)
	for _, c := range []*Customer{
		{},
		{OrderCount: 3, LifetimeValue: 5997, AverageOrderValue: &aov, FirstOrderAt: &first, LastOrderAt: &last,
			FeedbackCount: 4, LatestNps: &nps, AverageCsat: &csat, LoyaltyScore: 77, ChurnRisk: 12},
	} {
		c.RepeatCustomer = c.OrderCount >= 2
		if c.LatestNps != nil {
			cat := CategoryOf(*c.LatestNps)
			c.NpsCategory = &cat
		}
		var back Customer
		if err := back.unmarshalBinary(c.marshalBinary()); err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(c)
		b, _ := json.Marshal(&back)
		if string(a) != string(b) {
			t.Fatalf("round trip:\n%s\n%s", a, b)
		}
	}
	var c Customer
	if err := c.unmarshalBinary([]byte{9, 0}); err == nil {
		t.Fatal("unknown encoding version accepted")
	}
}

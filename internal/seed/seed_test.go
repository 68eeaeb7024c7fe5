package seed

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/c360/c360/internal/ndjson"
	"github.com/c360/c360/internal/personas"
)

var testNow = time.Date(2025, 6, 15, 12, 30, 45, 123456789, time.UTC)

// recorder keeps every record in emission order.
type recorder struct{ recs []any }

func (r *recorder) Persona(p ndjson.Persona) error   { r.recs = append(r.recs, p); return nil }
func (r *recorder) Customer(c ndjson.Customer) error { r.recs = append(r.recs, c); return nil }
func (r *recorder) Order(o ndjson.Order) error       { r.recs = append(r.recs, o); return nil }
func (r *recorder) Feedback(f ndjson.Feedback) error { r.recs = append(r.recs, f); return nil }

func generate(t testing.TB, cfg Config) []any {
	t.Helper()
	var r recorder
	if err := Generate(cfg, &r); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return r.recs
}

// generateFiles returns the four NDJSON streams.
func generateFiles(t testing.TB, cfg Config) [4]string {
	t.Helper()
	var b [4]bytes.Buffer
	s := NewWriterSink(&b[0], &b[1], &b[2], &b[3])
	if err := Generate(cfg, s); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	return [4]string{b[0].String(), b[1].String(), b[2].String(), b[3].String()}
}

func TestDeterminism(t *testing.T) {
	cfg := Config{Customers: 300, Seed: 42, Now: testNow}
	a, b := generateFiles(t, cfg), generateFiles(t, cfg)
	if a != b {
		t.Fatal("same Config produced different output")
	}
	if !reflect.DeepEqual(generate(t, cfg), generate(t, cfg)) {
		t.Fatal("same Config produced different record sequences")
	}
	cfg.Seed = 43
	c := generateFiles(t, cfg)
	if c[1] == a[1] || c[2] == a[2] || c[3] == a[3] {
		t.Fatal("a different seed produced the same customers/orders/feedback")
	}
	if c[0] != a[0] {
		t.Error("personas should not depend on the seed")
	}
	// Customers do not depend on the total: a smaller data set is a prefix.
	cfg.Seed = 42
	cfg.Customers = 100
	small := generateFiles(t, cfg)
	for k := 1; k < 4; k++ {
		if !strings.HasPrefix(a[k], small[k]) {
			t.Errorf("stream %d of 100 customers is not a prefix of the one of 300 customers", k)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	if err := Generate(Config{Customers: 1}, &recorder{}); err == nil {
		t.Error("zero Now accepted")
	}
	if err := Generate(Config{Customers: -1, Now: testNow}, &recorder{}); err == nil {
		t.Error("negative Customers accepted")
	}
	recs := generate(t, Config{Customers: 0, Now: testNow})
	if len(recs) != len(personaDefs) {
		t.Errorf("0 customers: %d records, want only the %d personas", len(recs), len(personaDefs))
	}
}

type failingSink struct {
	recorder
	after int
}

var errStop = errors.New("stop")

func (f *failingSink) Order(o ndjson.Order) error {
	if f.after == 0 {
		return errStop
	}
	f.after--
	return f.recorder.Order(o)
}

func TestSinkErrorStops(t *testing.T) {
	s := &failingSink{after: 5}
	if err := Generate(Config{Customers: 100, Now: testNow}, s); !errors.Is(err, errStop) {
		t.Fatalf("err = %v, want errStop", err)
	}
}

func TestPersonas(t *testing.T) {
	ps := Personas()
	if len(ps) < 8 {
		t.Fatalf("%d personas", len(ps))
	}
	seen := map[string]bool{}
	empty := 0
	for _, p := range ps {
		if !strings.HasPrefix(p.ExternalRef, "P-") || seen[p.ExternalRef] || p.Name == "" {
			t.Errorf("bad persona %+v", p)
		}
		seen[p.ExternalRef] = true
		if reflect.DeepEqual(*p.Criteria, personas.Criteria{}) {
			empty++
		}
		if c := p.Criteria; c.MinAge != nil && c.MaxAge != nil && *c.MinAge > *c.MaxAge {
			t.Errorf("%s: minAge > maxAge", p.ExternalRef)
		}
	}
	if empty != 1 {
		t.Errorf("%d personas with empty criteria, want 1", empty)
	}
	for _, ref := range []string{"P-young-urban", "P-italian-retirees", "P-public-sector", "P-high-earners"} {
		if !seen[ref] {
			t.Errorf("persona %s missing", ref)
		}
	}
}

func TestFold(t *testing.T) {
	cases := map[string]string{
		"Aino Virtanen":       "aino.virtanen",
		"Päivi Häkkinen":      "paivi.hakkinen",
		"Öhman & Åberg Oy":    "ohman.aberg.oy",
		"Цветелина Димитрова": "tsvetelina.dimitrova",
		"Щерев Чакъров ЕООД":  "shterev.chakarov.eood",
		"Юлия Янева":          "yuliya.yaneva",
		"Niccolò D'Angelo":    "niccolo.dangelo",
		"Rossi S.r.l.":        "rossi.s.r.l",
		"Seán O'Sullivan":     "sean.osullivan",
		"Zoë":                 "zoe",
		"☕":                   "",
	}
	for in, want := range cases {
		if got := fold(in); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}

var (
	reCustomer = regexp.MustCompile(`^C-\d{7}$`)
	reOrder    = regexp.MustCompile(`^O-\d{8}$`)
	reFeedback = regexp.MustCompile(`^F-\d{8}$`)
	rePrice    = regexp.MustCompile(`^\d+\.\d\d$`)
	rePhone    = regexp.MustCompile(`^\+[1-9]\d{1,14}$`)
	reCountry  = regexp.MustCompile(`^[A-Z]{2}$`)
	reEmail    = regexp.MustCompile(`^[a-z0-9]+(\.[a-z0-9]+)*@example\.[a-z.]+$`)
	reSKU      = regexp.MustCompile(`^SKU-\d{3}$`)
)

func within(t *testing.T, what string, got, lo, hi float64) {
	t.Helper()
	if got < lo || got > hi {
		t.Errorf("%s = %.4f, want within [%.4f, %.4f]", what, got, lo, hi)
	} else {
		t.Logf("%s = %.4f", what, got)
	}
}

func set(vals ...string) map[string]bool {
	m := map[string]bool{}
	for _, v := range vals {
		m[v] = true
	}
	return m
}

func TestShape(t *testing.T) {
	const n = 2000
	recs := generate(t, Config{Customers: n, Seed: 7, Now: testNow})
	now := testNow
	threeYearsAgo := now.Truncate(time.Second).AddDate(-3, 0, 0)
	yearAgo := now.Truncate(time.Second).AddDate(-1, 0, 0)

	checkTime := func(what string, ts time.Time) {
		t.Helper()
		if ts.Location() != time.UTC || ts.Nanosecond() != 0 {
			t.Errorf("%s %v: not UTC or not truncated to the second", what, ts)
		}
		if !ts.Before(now) || ts.Before(threeYearsAgo) {
			t.Errorf("%s %v not within the 3 years before Now", what, ts)
		}
	}
	countryCode := map[string]string{"FI": "+358", "BG": "+359", "IT": "+39", "GB": "+44", "IE": "+353"}
	countryLang := map[string]string{"FI": "fi", "BG": "bg", "IT": "it", "GB": "en", "IE": "en"}
	cities := map[string]map[string]string{} // country -> city -> region
	for _, l := range locales {
		cities[l.country] = map[string]string{}
		for _, c := range l.cities {
			cities[l.country][c.name] = c.region
		}
	}
	isCyrillic := func(s string) bool {
		for _, r := range s {
			if unicode.Is(unicode.Cyrillic, r) {
				return true
			}
		}
		return false
	}
	isLatinNonASCII := func(s string) bool {
		for _, r := range s {
			if r > 127 && unicode.Is(unicode.Latin, r) {
				return true
			}
		}
		return false
	}

	type custState struct {
		c         ndjson.Customer
		orders    int
		lastOrder time.Time
	}
	var (
		personas, prospects, churned, buyers, heavy int
		totalOrders, totalFeedback, fbWithOrderRef  int
		fbOfBuyers, fbNoComment                     int
		noEmail, noPhone, individuals, internal     int
		cyrillicNames, latinAccentNames             int
		freeItems                                   int
		supportScored, supportUnscored              int
		socialScored, socialUnscored                int
		detractors, promoters                       int
		phase                                       = 0 // 0 personas, 1 customers and their records
		cur                                         *custState
		orderSeq, fbSeq, custSeq                    int
		emails                                      = map[string]bool{}
		statusSeen, chanSeen                        = map[string]bool{}, map[string]bool{}
		fbKindSeen, fbChanSeen, incomeSeen          = map[string]bool{}, map[string]bool{}, map[string]bool{}
		orderOwner                                  = map[string]string{}
		orderPlaced                                 = map[string]time.Time{}
		custDone                                    = func() {}
		dupKinds                                    = map[string]int{}
	)
	custDone = func() {
		if cur == nil {
			return
		}
		c := cur.c
		switch *c.LifecycleStage {
		case "PROSPECT":
			prospects++
			if cur.orders != 0 {
				t.Errorf("%s: prospect with %d orders", c.ExternalRef, cur.orders)
			}
		case "CHURNED":
			churned++
			if cur.orders == 0 || !cur.lastOrder.Before(yearAgo) {
				t.Errorf("%s: churned with %d orders, last %v", c.ExternalRef, cur.orders, cur.lastOrder)
			}
		case "ACTIVE":
			if cur.orders == 0 || cur.lastOrder.Before(yearAgo) {
				t.Errorf("%s: active with %d orders, last %v", c.ExternalRef, cur.orders, cur.lastOrder)
			}
		default:
			t.Errorf("%s: lifecycle %q", c.ExternalRef, *c.LifecycleStage)
		}
		if cur.orders > 0 {
			buyers++
		}
		if cur.orders >= 30 {
			heavy++
		}
	}

	for _, rec := range recs {
		switch r := rec.(type) {
		case ndjson.Persona:
			personas++
			if phase != 0 {
				t.Fatal("persona after customers")
			}
		case ndjson.Customer:
			phase = 1
			if strings.HasPrefix(r.ExternalRef, "D-") {
				checkDuplicate(t, cur.c, r, dupKinds)
				continue
			}
			custDone()
			custSeq++
			cur = &custState{c: r}
			if r.ExternalRef != fmt.Sprintf("C-%07d", custSeq) || !reCustomer.MatchString(r.ExternalRef) {
				t.Errorf("customer ref %q, want #%d", r.ExternalRef, custSeq)
			}
			if r.Name == "" || r.Country == nil || !reCountry.MatchString(*r.Country) || r.CreatedAt == nil ||
				r.Relationship == nil || r.LifecycleStage == nil || r.City == nil || r.Region == nil {
				t.Fatalf("incomplete customer %+v", r)
			}
			checkTime(r.ExternalRef+" createdAt", *r.CreatedAt)
			if !set("INDIVIDUAL", "BUSINESS", "PUBLIC_ORGANIZATION")[r.Kind] {
				t.Errorf("kind %q", r.Kind)
			}
			switch *r.Relationship {
			case "INTERNAL":
				internal++
			case "EXTERNAL":
			default:
				t.Errorf("relationship %q", *r.Relationship)
			}
			country := *r.Country
			if reg, ok := cities[country][*r.City]; !ok || reg != *r.Region {
				t.Errorf("%s: city %q / region %q inconsistent with country %s", r.ExternalRef, *r.City, *r.Region, country)
			}
			if isCyrillic(r.Name) != (country == "BG") {
				t.Errorf("%s: name %q does not match country %s", r.ExternalRef, r.Name, country)
			}
			if isCyrillic(r.Name) {
				cyrillicNames++
			}
			if isLatinNonASCII(r.Name) {
				latinAccentNames++
			}
			if r.Email == nil {
				noEmail++
			} else {
				e := strings.ToLower(*r.Email)
				if emails[e] {
					t.Errorf("duplicate email %q", e)
				}
				emails[e] = true
				if !reEmail.MatchString(*r.Email) {
					t.Errorf("email %q", *r.Email)
				}
			}
			if r.Phone == nil {
				noPhone++
			} else if !rePhone.MatchString(*r.Phone) || !strings.HasPrefix(*r.Phone, countryCode[country]) {
				t.Errorf("%s: phone %q for country %s", r.ExternalRef, *r.Phone, country)
			}
			if r.Kind == "INDIVIDUAL" {
				individuals++
				if r.Gender == nil || !set("FEMALE", "MALE", "NON_BINARY", "UNDISCLOSED")[*r.Gender] {
					t.Errorf("%s: gender %v", r.ExternalRef, r.Gender)
				}
				if r.BirthDate != nil {
					bd, err := time.Parse(time.DateOnly, *r.BirthDate)
					if err != nil {
						t.Errorf("birthDate %q: %v", *r.BirthDate, err)
					} else if a := ageAt(bd, now); a < 18 || a > 90 {
						t.Errorf("%s: age %d", r.ExternalRef, a)
					}
				}
				if r.IncomeBand != nil {
					if !set(incomes...)[*r.IncomeBand] {
						t.Errorf("income band %q", *r.IncomeBand)
					}
					incomeSeen[*r.IncomeBand] = true
				}
			} else if r.Gender != nil || r.BirthDate != nil {
				t.Errorf("%s: %s with gender or birth date", r.ExternalRef, r.Kind)
			}
		case ndjson.Order:
			if cur == nil || r.CustomerRef != cur.c.ExternalRef {
				t.Fatalf("order %s not right after its customer", r.ExternalRef)
			}
			orderSeq++
			if r.ExternalRef != fmt.Sprintf("O-%08d", orderSeq) || !reOrder.MatchString(r.ExternalRef) {
				t.Errorf("order ref %q, want #%d", r.ExternalRef, orderSeq)
			}
			totalOrders++
			cur.orders++
			checkTime(r.ExternalRef+" placedAt", (*r.PlacedAt))
			if !(*r.PlacedAt).After(*cur.c.CreatedAt) {
				t.Errorf("%s placed %v before customer created %v", r.ExternalRef, (*r.PlacedAt), *cur.c.CreatedAt)
			}
			if (*r.PlacedAt).Before(cur.lastOrder) {
				t.Errorf("%s: orders not sorted by placedAt", r.ExternalRef)
			}
			cur.lastOrder = (*r.PlacedAt)
			orderOwner[r.ExternalRef] = r.CustomerRef
			orderPlaced[r.ExternalRef] = (*r.PlacedAt)
			if r.Currency != "EUR" {
				t.Errorf("currency %q", r.Currency)
			}
			if !set(statuses...)[(*r.Status)] || !set(orderChannels...)[r.Channel] {
				t.Errorf("status %q channel %q", (*r.Status), r.Channel)
			}
			statusSeen[(*r.Status)] = true
			chanSeen[r.Channel] = true
			if len(r.Items) < 1 || len(r.Items) > 5 {
				t.Errorf("%s: %d items", r.ExternalRef, len(r.Items))
			}
			skus := map[string]bool{}
			for _, it := range r.Items {
				if !reSKU.MatchString(it.Sku) || skus[it.Sku] || it.Name == "" {
					t.Errorf("%s: bad or duplicate item %+v", r.ExternalRef, it)
				}
				skus[it.Sku] = true
				if it.Quantity < 1 || it.Quantity > 4 {
					t.Errorf("quantity %d", it.Quantity)
				}
				p := string(it.UnitPrice)
				if !rePrice.MatchString(p) {
					t.Errorf("unitPrice %q", p)
				}
				var cents int64
				var whole, frac int64
				fmt.Sscanf(p, "%d.%d", &whole, &frac)
				cents = whole*100 + frac
				if p == "0.00" {
					freeItems++
				} else if cents < 50 || cents > 49900 {
					t.Errorf("unitPrice %s out of range", p)
				}
			}
		case ndjson.Feedback:
			if cur == nil || r.CustomerRef != cur.c.ExternalRef {
				t.Fatalf("feedback %s not right after its customer", r.ExternalRef)
			}
			fbSeq++
			if r.ExternalRef != fmt.Sprintf("F-%08d", fbSeq) || !reFeedback.MatchString(r.ExternalRef) {
				t.Errorf("feedback ref %q, want #%d", r.ExternalRef, fbSeq)
			}
			totalFeedback++
			checkTime(r.ExternalRef+" submittedAt", (*r.SubmittedAt))
			if (*r.SubmittedAt).Before(*cur.c.CreatedAt) {
				t.Errorf("%s submitted before the customer was created", r.ExternalRef)
			}
			if cur.orders > 0 {
				fbOfBuyers++
			}
			if r.OrderRef != nil {
				fbWithOrderRef++
				owner, ok := orderOwner[*r.OrderRef]
				if !ok || owner != r.CustomerRef {
					t.Errorf("%s: orderRef %s is not an earlier order of %s", r.ExternalRef, *r.OrderRef, r.CustomerRef)
				} else if (*r.SubmittedAt).Before(orderPlaced[*r.OrderRef]) {
					t.Errorf("%s submitted %v before order placed %v", r.ExternalRef, (*r.SubmittedAt), orderPlaced[*r.OrderRef])
				}
			}
			fbKindSeen[r.Kind] = true
			fbChanSeen[r.Channel] = true
			if !set(feedbackChannels...)[r.Channel] {
				t.Errorf("feedback channel %q", r.Channel)
			}
			score := -1
			if r.Score != nil {
				score = *r.Score
			}
			switch r.Kind {
			case "NPS":
				if score < 0 || score > 10 {
					t.Errorf("NPS score %v", r.Score)
				}
				if score >= 0 && score <= 6 {
					detractors++
				}
				if score >= 9 {
					promoters++
				}
			case "CSAT", "REVIEW":
				if score < 1 || score > 5 {
					t.Errorf("%s score %v", r.Kind, r.Score)
				}
			case "SOCIAL":
				if r.Score == nil {
					socialUnscored++
				} else if score < 1 || score > 5 {
					t.Errorf("SOCIAL score %d", score)
				} else {
					socialScored++
				}
			case "SUPPORT":
				if r.Score == nil {
					supportUnscored++
				} else if score < 1 || score > 5 {
					t.Errorf("SUPPORT score %d", score)
				} else {
					supportScored++
				}
			default:
				t.Errorf("feedback kind %q", r.Kind)
			}
			if (r.Comment == nil) != (r.Language == nil) {
				t.Errorf("%s: comment and language must come together", r.ExternalRef)
			}
			if r.Comment == nil {
				fbNoComment++
			} else {
				if *r.Language != countryLang[*cur.c.Country] {
					t.Errorf("%s: language %q for country %s", r.ExternalRef, *r.Language, *cur.c.Country)
				}
				if isCyrillic(*r.Comment) != (*r.Language == "bg") {
					t.Errorf("%s: comment %q not in %s", r.ExternalRef, *r.Comment, *r.Language)
				}
			}
		default:
			t.Fatalf("unexpected record %T", rec)
		}
	}
	custDone()

	if personas != len(personaDefs) || custSeq != n {
		t.Fatalf("%d personas, %d customers", personas, custSeq)
	}
	within(t, "prospect share", float64(prospects)/n, 0.07, 0.13)
	within(t, "churned share of buyers", float64(churned)/float64(buyers), 0.11, 0.19)
	within(t, "mean orders per customer", float64(totalOrders)/n, 8, 12)
	within(t, "share of customers with >= 30 orders", float64(heavy)/n, 0.02, 0.10)
	within(t, "mean feedback per customer", float64(totalFeedback)/n, 1.3, 1.7)
	within(t, "orderRef share of buyers' feedback", float64(fbWithOrderRef)/float64(fbOfBuyers), 0.52, 0.68)
	within(t, "feedback without comment", float64(fbNoComment)/float64(totalFeedback), 0.22, 0.38)
	within(t, "customers without email", float64(noEmail)/n, 0.07, 0.13)
	within(t, "customers without phone", float64(noPhone)/n, 0.16, 0.24)
	within(t, "individual share", float64(individuals)/n, 0.80, 0.90)
	within(t, "internal share", float64(internal)/n, 0.03, 0.07)
	dups := dupKinds["email"] + dupKinds["typo"] + dupKinds["phone"]
	within(t, "share of individuals recorded twice", float64(dups)/float64(individuals), 0.015, 0.045)
	if len(dupKinds) != 3 {
		t.Errorf("duplicates %v: want another email, a typo and a phone-only contact", dupKinds)
	}
	if len(statusSeen) != 5 || len(chanSeen) != 5 {
		t.Errorf("order statuses %v, channels %v: want all 5", statusSeen, chanSeen)
	}
	if len(fbKindSeen) != 5 || len(fbChanSeen) != 8 {
		t.Errorf("feedback kinds %v, channels %v: want 5 and 8", fbKindSeen, fbChanSeen)
	}
	if len(incomeSeen) != 5 {
		t.Errorf("income bands %v", incomeSeen)
	}
	if cyrillicNames == 0 || latinAccentNames == 0 {
		t.Errorf("cyrillic names %d, accented Latin names %d", cyrillicNames, latinAccentNames)
	}
	if freeItems == 0 || supportScored == 0 || supportUnscored == 0 || detractors == 0 || promoters <= detractors {
		t.Errorf("free items %d, support scored/unscored %d/%d, NPS promoters/detractors %d/%d",
			freeItems, supportScored, supportUnscored, promoters, detractors)
	}
	// data-format.md: SOCIAL scores are optional, so the data set has both.
	within(t, "scored share of SOCIAL feedback", float64(socialScored)/float64(socialScored+socialUnscored), 0.08, 0.25)
}

// TestRoundTrip checks that the generated files read back through the ndjson
// reader without errors and give the same records.
func TestRoundTrip(t *testing.T) {
	cfg := Config{Customers: 200, Seed: 1, Now: testNow}
	recs := generate(t, cfg)
	files := generateFiles(t, cfg)
	var got []any
	got = append(got, readAll[ndjson.Persona](t, files[0])...)
	got = append(got, readAll[ndjson.Customer](t, files[1])...)
	got = append(got, readAll[ndjson.Order](t, files[2])...)
	got = append(got, readAll[ndjson.Feedback](t, files[3])...)
	// The files hold the records grouped by type, each group in emission order.
	var want [4][]any
	for _, r := range recs {
		switch r.(type) {
		case ndjson.Persona:
			want[0] = append(want[0], r)
		case ndjson.Customer:
			want[1] = append(want[1], r)
		case ndjson.Order:
			want[2] = append(want[2], r)
		case ndjson.Feedback:
			want[3] = append(want[3], r)
		}
	}
	flat := slices.Concat(want[:]...)
	if len(got) != len(flat) {
		t.Fatalf("read %d records, generated %d", len(got), len(flat))
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], flat[i]) {
			t.Fatalf("record %d differs:\n got %#v\nwant %#v", i, got[i], flat[i])
		}
	}
}

func readAll[T any](t *testing.T, text string) []any {
	t.Helper()
	rd := ndjson.NewReader[T](strings.NewReader(text), "x")
	var out []any
	for {
		rec, _, err := rd.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
}

func TestWriteDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	counts, err := WriteDir(dir, Config{Customers: 50, Seed: 3, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if counts.Personas != len(personaDefs) || counts.Customers != 50 || counts.Orders == 0 || counts.Feedback == 0 {
		t.Errorf("counts %+v", counts)
	}
	want := map[string]int{ndjson.PersonasFile: counts.Personas, ndjson.CustomersFile: counts.Customers,
		ndjson.OrdersFile: counts.Orders, ndjson.FeedbackFile: counts.Feedback}
	for name, n := range want {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if lines := bytes.Count(b, []byte("\n")); lines != n {
			t.Errorf("%s: %d lines, want %d", name, lines, n)
		}
	}
}

// BenchmarkGenerate reports generated records per second (no-op sink).
func BenchmarkGenerate(b *testing.B) {
	const customers = 1000
	var s nopSink
	b.ReportAllocs()
	for b.Loop() {
		if err := Generate(Config{Customers: customers, Seed: 1, Now: testNow}, &s); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(s.n)/b.Elapsed().Seconds(), "records/s")
}

type nopSink struct{ n int }

func (s *nopSink) Persona(ndjson.Persona) error   { s.n++; return nil }
func (s *nopSink) Customer(ndjson.Customer) error { s.n++; return nil }
func (s *nopSink) Order(ndjson.Order) error       { s.n++; return nil }
func (s *nopSink) Feedback(ndjson.Feedback) error { s.n++; return nil }

// checkDuplicate checks a second record of customer c: the same person as
// another system records it (seed.duplicate), counted by kind.
func checkDuplicate(t *testing.T, c, d ndjson.Customer, kinds map[string]int) {
	t.Helper()
	if d.ExternalRef != "D-"+strings.TrimPrefix(c.ExternalRef, "C-") || c.Kind != "INDIVIDUAL" || d.Kind != c.Kind {
		t.Errorf("duplicate %s (%s) after customer %s (%s)", d.ExternalRef, d.Kind, c.ExternalRef, c.Kind)
		return
	}
	switch {
	case d.Email != nil && d.Name == c.Name && *d.Email != *ptrOr(c.Email, "") && reflect.DeepEqual(d.BirthDate, c.BirthDate):
		kinds["email"]++
	case d.Name != c.Name && len(d.Name) == len(c.Name) && reflect.DeepEqual(d.City, c.City):
		kinds["typo"]++
	case d.Phone != nil && c.Phone != nil && *d.Phone == *c.Phone && d.Email == nil:
		kinds["phone"]++
	default:
		t.Errorf("duplicate %+v of %+v is none of the three kinds", d, c)
	}
}

func ptrOr(p *string, v string) *string {
	if p == nil {
		return &v
	}
	return p
}

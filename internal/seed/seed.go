// Package seed generates a deterministic synthetic customer-360 data set
// (personas, customers, orders and feedback) as ndjson records.
//
// The same Config always yields byte-identical output. Memory use does not
// depend on Config.Customers: records are generated and emitted one customer
// at a time.
package seed

import (
	"cmp"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/c360/c360/internal/ndjson"
	"github.com/c360/c360/internal/personas"
)

// Config controls the generator.
type Config struct {
	Customers int       // number of customers
	Seed      int64     // RNG seed: same Config -> byte-identical output
	Now       time.Time // reference "now"; all generated timestamps lie within the 3 years before it
}

// Sink receives the generated records.
type Sink interface {
	Persona(ndjson.Persona) error
	Customer(ndjson.Customer) error
	Order(ndjson.Order) error
	Feedback(ndjson.Feedback) error
}

// Generate emits all personas first, then, for each customer in turn, the
// customer, its orders (by placedAt) and its feedback (by submittedAt). Callers
// that need the file load order write to four files (see WriterSink). The
// first error returned by the sink stops the generation and is returned.
//
// Reference numbers: customers "C-%07d" (1-based), orders "O-%08d" and
// feedback "F-%08d" (global sequences in emission order). Customers are
// independent of each other: customer i is the same whatever cfg.Customers is.
func Generate(cfg Config, sink Sink) error {
	if cfg.Customers < 0 {
		return errors.New("seed: Config.Customers must not be negative")
	}
	if cfg.Now.IsZero() {
		return errors.New("seed: Config.Now must be set (it is part of the deterministic input)")
	}
	if sink == nil {
		return errors.New("seed: nil Sink")
	}
	for _, p := range Personas() {
		if err := sink.Persona(p); err != nil {
			return err
		}
	}
	g := newGenerator(cfg)
	for i := 1; i <= cfg.Customers; i++ {
		if err := g.customer(i, sink); err != nil {
			return err
		}
	}
	return nil
}

// Personas returns the generated personas (the same for every Config).
func Personas() []ndjson.Persona {
	out := make([]ndjson.Persona, 0, len(personaDefs))
	for _, d := range personaDefs {
		p := ndjson.Persona{ExternalRef: d.ref, Name: d.name}
		if d.description != "" {
			p.Description = ptr(d.description)
		}
		c := personas.Criteria{Countries: slices.Clone(d.countries)}
		if d.minAge > 0 {
			c.MinAge = ptr(d.minAge)
		}
		if d.maxAge > 0 {
			c.MaxAge = ptr(d.maxAge)
		}
		for _, g := range d.genders {
			c.Genders = append(c.Genders, personas.Gender(g))
		}
		for _, b := range d.incomes {
			c.IncomeBands = append(c.IncomeBands, personas.IncomeBand(b))
		}
		for _, k := range d.kinds {
			c.Kinds = append(c.Kinds, personas.Kind(k))
		}
		p.Criteria = &c
		samplePersona(&p, sampler{})
		out = append(out, p)
	}
	return out
}

const (
	minute = int64(60)
	hour   = 60 * minute
	day    = 24 * hour
)

// Enumerations and their weights.
var (
	kinds      = []string{"INDIVIDUAL", "BUSINESS", "PUBLIC_ORGANIZATION"}
	kindPick   = newPicker(85, 12, 3)
	genders    = []string{"FEMALE", "MALE", "NON_BINARY", "UNDISCLOSED"}
	genderPick = newPicker(48, 47, 2, 3)
	incomes    = []string{"LOW", "LOWER_MIDDLE", "MIDDLE", "UPPER_MIDDLE", "HIGH"}
	incomePick = newPicker(15, 22, 30, 20, 13)

	ageRanges = [][2]int{{18, 24}, {25, 34}, {35, 44}, {45, 54}, {55, 64}, {65, 74}, {75, 90}}
	agePick   = newPicker(12, 22, 20, 17, 14, 10, 5)

	// Order counts of customers with orders. With 10% prospects (no orders)
	// the overall mean is about 10 orders per customer.
	orderRanges = [][2]int{{1, 3}, {4, 12}, {13, 29}, {30, 108}}
	orderPick   = newPicker(500, 278, 155, 67)

	statuses         = []string{"PENDING", "PAID", "FULFILLED", "CANCELLED", "REFUNDED"}
	recentStatusPick = newPicker(25, 35, 30, 7, 3) // orders of the last 14 days
	oldStatusPick    = newPicker(1, 1, 85, 8, 5)

	orderChannels  = []string{"WEB", "MOBILE_APP", "STORE", "PHONE", "PARTNER"}
	personChanPick = newPicker(42, 28, 20, 5, 5)
	orgChanPick    = newPicker(35, 5, 10, 25, 25)

	itemCountPick = newPicker(40, 25, 17, 10, 8) // 1..5 items
	quantityPick  = newPicker(70, 18, 7, 5)      // 1..4
	productPick   picker
	samples       []int // indexes of free samples in catalogue

	feedbackCountPick = newPicker(30, 25, 20, 15, 7, 3) // 0..5 per customer
	feedbackKinds     = []string{"NPS", "CSAT", "REVIEW", "SOCIAL", "SUPPORT"}
	feedbackKindPick  = newPicker(30, 25, 20, 10, 15)
	feedbackChannels  = []string{"EMAIL", "WEB_FORM", "CHAT", "SMS", "PHONE", "SOCIAL_MEDIA", "REVIEW_SITE", "IN_STORE"}
	feedbackChanPick  = []picker{ // per feedback kind
		newPicker(45, 20, 0, 20, 0, 0, 0, 15),  // NPS
		newPicker(35, 20, 20, 10, 5, 0, 0, 10), // CSAT
		newPicker(0, 40, 0, 0, 0, 0, 60, 0),    // REVIEW
		newPicker(0, 0, 0, 0, 0, 100, 0, 0),    // SOCIAL
		newPicker(30, 0, 40, 0, 30, 0, 0, 0),   // SUPPORT
	}
	commentPercent = []int{60, 55, 85, 100, 80} // per feedback kind
	npsPick        = newPicker(2, 1, 1, 2, 2, 4, 5, 12, 16, 25, 30)
	csatPick       = newPicker(5, 8, 17, 35, 35)
	reviewPick     = newPicker(6, 6, 13, 30, 45)
	supportPick    = newPicker(10, 10, 20, 30, 30)
	socialPick     = newPicker(15, 8, 12, 25, 40) // posts are polarised

	localePick picker
	cityPicks  []picker // per locale
)

func init() {
	w := make([]int, len(catalogue))
	for i, p := range catalogue {
		w[i] = p.weight
		if p.weight == 0 {
			samples = append(samples, i)
		}
	}
	productPick = newPicker(w...)
	w = w[:0]
	for _, l := range locales {
		w = append(w, l.weight)
		cw := make([]int, len(l.cities))
		for i, c := range l.cities {
			cw[i] = c.weight
		}
		cityPicks = append(cityPicks, newPicker(cw...))
	}
	localePick = newPicker(w...)
}

// picker chooses an index with probability proportional to its weight.
type picker struct{ cum []int }

func newPicker(weights ...int) picker {
	cum := make([]int, len(weights))
	total := 0
	for i, w := range weights {
		total += w
		cum[i] = total
	}
	return picker{cum}
}

func (p picker) pick(r *rand.Rand) int {
	x := r.IntN(p.cum[len(p.cum)-1]) + 1
	i, _ := slices.BinarySearch(p.cum, x) // first i with cum[i] >= x
	return i
}

type orderInfo struct {
	ref    string
	placed int64
}

type feedbackDraft struct {
	rec       ndjson.Feedback
	submitted int64
}

type generator struct {
	seed   uint64
	src    rand.PCG
	rng    *rand.Rand
	dupSrc rand.PCG // duplicate's stream

	now, yearAgo, threeYearsAgo int64 // Unix seconds
	nowDate                     time.Time

	orderSeq, feedbackSeq int

	// per-customer scratch space, reused
	times  []int64
	orders []orderInfo
	fbs    []feedbackDraft
	picked []int
}

func newGenerator(cfg Config) *generator {
	now := cfg.Now.UTC().Truncate(time.Second)
	g := &generator{
		seed:          uint64(cfg.Seed),
		now:           now.Unix(),
		yearAgo:       now.AddDate(-1, 0, 0).Unix(),
		threeYearsAgo: now.AddDate(-3, 0, 0).Unix(),
		nowDate:       time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC),
	}
	g.rng = rand.New(&g.src)
	return g
}

// splitmix64 scrambles seeds so that neighbouring customers get unrelated
// random streams.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// between returns a uniformly random integer in [lo, hi]; lo if hi < lo.
func (g *generator) between(lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + g.rng.Int64N(hi-lo+1)
}

func (g *generator) percent(p int) bool { return g.rng.IntN(100) < p }

func (g *generator) customer(i int, sink Sink) error {
	// Each customer has its own random stream derived from (Seed, i).
	g.src.Seed(splitmix64(g.seed^0x5eed5eed5eed5eed), splitmix64(uint64(i)))
	r := g.rng

	li := localePick.pick(r)
	loc := &locales[li]
	ct := &loc.cities[cityPicks[li].pick(r)]
	kind := kinds[kindPick.pick(r)]
	c := ndjson.Customer{
		ExternalRef:  ref("C-", i, 7),
		Kind:         kind,
		Relationship: ptr("EXTERNAL"),
		Country:      ptr(loc.country),
		Region:       ptr(ct.region),
		City:         ptr(ct.name),
	}
	if g.percent(5) {
		c.Relationship = ptr("INTERNAL") // employees and internal departments
	}

	switch kind {
	case "INDIVIDUAL":
		gender := genders[genderPick.pick(r)]
		c.Gender = ptr(gender)
		female := gender == "FEMALE" || (gender != "MALE" && r.IntN(2) == 0)
		first, surname := loc.male[r.IntN(len(loc.male))], loc.surnames[r.IntN(len(loc.surnames))]
		if female {
			first = loc.female[r.IntN(len(loc.female))]
			if loc.feminine != nil {
				surname = loc.feminine(surname)
			}
		}
		c.Name = first + " " + surname
	case "BUSINESS":
		// A surname and a trade name made from i: one name per company
		// (surnames alone gave thousands of companies one name).
		pattern := loc.business[r.IntN(len(loc.business))]
		c.Name = strings.Replace(pattern, "%s", loc.surnames[r.IntN(len(loc.surnames))]+" "+tradeName(loc, i), 1)
	default:
		c.Name = ct.publicOrgs[r.IntN(len(ct.publicOrgs))] + " " + strconv.Itoa(i) // a unit of it
	}

	if !g.percent(10) {
		local := fold(c.Name)
		if local == "" {
			local = "customer"
		}
		c.Email = ptr(local + "." + strconv.Itoa(i) + "@" + loc.emailDomain)
	}
	if !g.percent(20) {
		var b strings.Builder
		b.WriteString(loc.callingCode)
		b.WriteString(loc.mobile[r.IntN(len(loc.mobile))])
		b.WriteString(uniqueDigits(i, loc.mobileLen))
		c.Phone = ptr(b.String())
	}
	if kind == "INDIVIDUAL" {
		if !g.percent(10) {
			c.BirthDate = ptr(g.birthDate())
		}
		if !g.percent(10) {
			c.IncomeBand = ptr(incomes[incomePick.pick(r)])
		}
	}

	// Lifecycle, number of orders and customer creation time.
	nOrders, stage := 0, "PROSPECT"
	var created, end int64 // orders are placed in (created, end]
	total := g.now - g.threeYearsAgo
	switch {
	case g.percent(10):
		created = g.between(g.threeYearsAgo, g.now-hour)
	default:
		rg := orderRanges[orderPick.pick(r)]
		nOrders = rg[0] + r.IntN(rg[1]-rg[0]+1)
		busy := int64(nOrders) * 5 * day // frequent buyers have been customers longer
		if g.percent(15) {
			stage = "CHURNED" // no orders in the last year
			span := g.yearAgo - g.threeYearsAgo
			created = g.yearAgo - g.between(min(max(busy, 30*day), span-day), span)
			end = g.yearAgo - 1
		} else {
			stage = "ACTIVE"
			created = g.now - g.between(min(max(busy, day), total-day), total)
			end = g.now - 1
		}
	}
	c.LifecycleStage = ptr(stage)
	createdAt := time.Unix(created, 0).UTC()
	c.CreatedAt = &createdAt
	sampleCustomer(&c, sampler{loc})
	if err := sink.Customer(c); err != nil {
		return err
	}

	// Orders.
	g.times = g.times[:0]
	for range nOrders {
		g.times = append(g.times, g.between(created+minute, end))
	}
	if stage == "ACTIVE" && slices.Max(g.times) < g.yearAgo {
		// an active customer has ordered within the last year
		g.times[0] = g.between(max(created+minute, g.yearAgo), end)
	}
	slices.Sort(g.times)
	g.orders = g.orders[:0]
	chanPick := personChanPick
	if kind != "INDIVIDUAL" {
		chanPick = orgChanPick
	}
	for _, t := range g.times {
		g.orderSeq++
		o := ndjson.Order{
			ExternalRef: ref("O-", g.orderSeq, 8),
			CustomerRef: c.ExternalRef,
			Channel:     orderChannels[chanPick.pick(r)],
			Currency:    "EUR",
			PlacedAt:    ptr(time.Unix(t, 0).UTC()),
			Items:       g.items(),
		}
		if g.now-t < 14*day {
			o.Status = &statuses[recentStatusPick.pick(r)]
		} else {
			o.Status = &statuses[oldStatusPick.pick(r)]
		}
		g.orders = append(g.orders, orderInfo{o.ExternalRef, t})
		sampleOrder(&o, sampler{loc})
		if err := sink.Order(o); err != nil {
			return err
		}
	}

	// Feedback.
	g.fbs = g.fbs[:0]
	for range feedbackCountPick.pick(r) {
		k := feedbackKindPick.pick(r)
		f := ndjson.Feedback{
			CustomerRef: c.ExternalRef,
			Kind:        feedbackKinds[k],
			Channel:     feedbackChannels[feedbackChanPick[k].pick(r)],
		}
		var submitted int64
		if len(g.orders) > 0 && g.percent(60) {
			o := g.orders[r.IntN(len(g.orders))]
			f.OrderRef = ptr(o.ref)
			submitted = g.between(min(o.placed+10*minute, g.now-1), min(o.placed+30*day, g.now-1))
		} else {
			submitted = g.between(created+minute, g.now-1)
		}
		f.SubmittedAt = ptr(time.Unix(submitted, 0).UTC())

		// sentiment: 1 positive, 0 neutral, -1 negative
		sentiment := 0
		switch f.Kind {
		case "NPS":
			s := npsPick.pick(r)
			f.Score = ptr(s)
			sentiment = cmpScore(s, 9, 7)
		case "CSAT", "REVIEW", "SUPPORT", "SOCIAL":
			// SUPPORT and SOCIAL scores are optional (data-format.md): about
			// 70% of support contacts are rated, and 15% of social posts (a
			// star rating or a scored sentiment), as in real exports.
			if (f.Kind == "SUPPORT" && g.percent(30)) || (f.Kind == "SOCIAL" && g.percent(85)) {
				sentiment = g.randomSentiment()
				break
			}
			p := csatPick
			switch f.Kind {
			case "REVIEW":
				p = reviewPick
			case "SUPPORT":
				p = supportPick
			case "SOCIAL":
				p = socialPick
			}
			s := p.pick(r) + 1
			f.Score = ptr(s)
			sentiment = cmpScore(s, 4, 3)
		}
		if g.percent(commentPercent[k]) {
			list := loc.comments.neutral
			switch sentiment {
			case 1:
				list = loc.comments.positive
			case -1:
				list = loc.comments.negative
			}
			f.Comment = ptr(list[r.IntN(len(list))])
			f.Language = ptr(loc.lang)
		}
		sampleFeedback(&f, sampler{loc})
		g.fbs = append(g.fbs, feedbackDraft{f, submitted})
	}
	slices.SortStableFunc(g.fbs, func(a, b feedbackDraft) int { return cmp.Compare(a.submitted, b.submitted) })
	for _, d := range g.fbs {
		g.feedbackSeq++
		d.rec.ExternalRef = ref("F-", g.feedbackSeq, 8)
		if err := sink.Feedback(d.rec); err != nil {
			return err
		}
	}
	if d := g.duplicate(i, &c); d != nil {
		return sink.Customer(*d)
	}
	return nil
}

// sampler gives generated values for the fields the schema names a sample
// source for (Interchange.Sample; records_gen.go sets them), so that a field
// added to the schema reaches generated data sets with no edit here. Sources
// take no random numbers: the rest of a data set stays as it was.
type sampler struct{ loc *locale }

func (s sampler) string(source string) string {
	switch {
	case source == "language" && s.loc != nil:
		return s.loc.lang
	}
	panic("seed: no sample source " + strconv.Quote(source) + " for this record")
}

// cmpScore maps a score to a sentiment: >= pos positive, >= neutral neutral.
func cmpScore(s, pos, neutral int) int {
	switch {
	case s >= pos:
		return 1
	case s >= neutral:
		return 0
	}
	return -1
}

func (g *generator) randomSentiment() int {
	switch x := g.rng.IntN(100); {
	case x < 60:
		return 1
	case x < 85:
		return 0
	}
	return -1
}

// birthDate returns a "YYYY-MM-DD" date of someone aged 18..90 at Now.
func (g *generator) birthDate() string {
	rg := ageRanges[agePick.pick(g.rng)]
	age := rg[0] + g.rng.IntN(rg[1]-rg[0]+1)
	latest := g.nowDate.AddDate(-age, 0, 0)
	earliest := g.nowDate.AddDate(-age-1, 0, 1)
	days := int(latest.Sub(earliest).Hours() / 24)
	bd := earliest.AddDate(0, 0, g.rng.IntN(days+1))
	// Correct leap-day rounding so the age is exact.
	for ageAt(bd, g.nowDate) < age {
		bd = bd.AddDate(0, 0, -1)
	}
	for ageAt(bd, g.nowDate) > age {
		bd = bd.AddDate(0, 0, 1)
	}
	return bd.Format(time.DateOnly)
}

// ageAt returns the age in whole years on date now of someone born on bd.
func ageAt(bd, now time.Time) int {
	age := now.Year() - bd.Year()
	if now.Month() < bd.Month() || (now.Month() == bd.Month() && now.Day() < bd.Day()) {
		age--
	}
	return age
}

// items returns 1-5 order lines of distinct products.
func (g *generator) items() []ndjson.OrderItem {
	r := g.rng
	n := itemCountPick.pick(r) + 1
	g.picked = g.picked[:0]
	for len(g.picked) < n {
		p := productPick.pick(r)
		if !slices.Contains(g.picked, p) {
			g.picked = append(g.picked, p)
		}
	}
	if n < 5 && g.percent(4) {
		g.picked = append(g.picked, samples[r.IntN(len(samples))])
	}
	items := make([]ndjson.OrderItem, len(g.picked))
	for j, pi := range g.picked {
		p := &catalogue[pi]
		cents := p.cents
		if cents > 0 && g.percent(8) { // promotion: 10-20% off
			cents = max(cents*int64(100-10-r.IntN(11))/100, 50)
		}
		items[j] = ndjson.OrderItem{
			Sku:       p.sku,
			Name:      p.name,
			Quantity:  quantityPick.pick(r) + 1,
			UnitPrice: ndjson.Decimal(formatCents(cents)),
		}
		if p.category != "" {
			items[j].Category = ptr(p.category)
		}
	}
	return items
}

func formatCents(c int64) string {
	b := strconv.AppendInt(make([]byte, 0, 12), c/100, 10)
	b = append(b, '.', byte('0'+c%100/10), byte('0'+c%10))
	return string(b)
}

// ref formats prefix + n zero-padded to width digits.
func ref(prefix string, n, width int) string {
	b := make([]byte, 0, len(prefix)+width+2)
	b = append(b, prefix...)
	digits := strconv.Itoa(n)
	for k := len(digits); k < width; k++ {
		b = append(b, '0')
	}
	return string(append(b, digits...))
}

func ptr[T any](v T) *T { return &v }

// uniqueDigits returns n digits that differ for every i below 10^n (7919 is
// prime to 10, so multiplying by it permutes the residues): no two
// generated customers share a phone unless they are one person.
func uniqueDigits(i, n int) string {
	mod := uint64(1)
	for range n {
		mod *= 10
	}
	d := strconv.FormatUint((uint64(i)*7919+104729)%mod, 10)
	return strings.Repeat("0", n-len(d)) + d
}

// tradeName returns a word made of the locale's syllables, one per i.
func tradeName(loc *locale, i int) string {
	syl := latinSyllables
	if loc.country == "BG" {
		syl = cyrillicSyllables
	}
	var b strings.Builder
	for n := i; ; n /= len(syl) {
		b.WriteString(syl[n%len(syl)])
		if n < len(syl) {
			break
		}
	}
	w := []rune(b.String())
	return strings.ToUpper(string(w[:1])) + string(w[1:])
}

var (
	latinSyllables    = []string{"ka", "lo", "mi", "ne", "ri", "sa", "tu", "va", "po", "le", "ta", "ni", "ro", "si", "de", "ma"}
	cyrillicSyllables = []string{"ка", "ло", "ми", "не", "ри", "са", "ту", "ва", "по", "ле", "та", "ни", "ро", "си", "де", "ма"}
)

// DuplicatePercent is the share of individuals recorded twice.
const DuplicatePercent = 3

// duplicate returns, for some individuals, a second record of the same
// person as other systems make them: another email from the shop, a typo in
// the name from a CRM import, or a support contact with only the phone.
// Its externalRef is "D-" and the customer's number. It has its own random
// stream, so the customer's other records are the same with or without it.
func (g *generator) duplicate(i int, c *ndjson.Customer) *ndjson.Customer {
	if c.Kind != "INDIVIDUAL" {
		return nil
	}
	g.dupSrc.Seed(splitmix64(g.seed^0xd0b1d0b1d0b1d0b1), splitmix64(uint64(i)))
	r := rand.New(&g.dupSrc)
	if r.IntN(100) >= DuplicatePercent {
		return nil
	}
	d := ndjson.Customer{ExternalRef: ref("D-", i, 7), Kind: c.Kind, Name: c.Name, Relationship: c.Relationship,
		LifecycleStage: ptr("PROSPECT"), CreatedAt: c.CreatedAt, Country: c.Country}
	switch r.IntN(3) {
	case 0: // the shop's account, another email
		d.Email = ptr(fold(c.Name) + "." + strconv.Itoa(i) + ".shop@example.com")
		d.BirthDate, d.City, d.Region, d.Gender = c.BirthDate, c.City, c.Region, c.Gender
	case 1: // a CRM import with two letters swapped
		if d.Name = swapLetters(c.Name, r); d.Name == c.Name {
			return nil // a word of one letter repeated
		}
		d.BirthDate, d.City, d.Region = c.BirthDate, c.City, c.Region
	default: // a support contact: the phone only
		if c.Phone == nil {
			return nil
		}
		d.Phone = c.Phone
	}
	return &d
}

// swapLetters swaps two neighbouring letters inside the longest word.
func swapLetters(name string, r *rand.Rand) string {
	words := strings.Fields(name)
	w := 0
	for k := range words {
		if len([]rune(words[k])) > len([]rune(words[w])) {
			w = k
		}
	}
	rs := []rune(words[w])
	if len(rs) < 4 {
		return name
	}
	k := 1 + r.IntN(len(rs)-3)
	for n := 0; n < len(rs)-3 && rs[k] == rs[k+1]; n++ { // "Callum": not the two l's
		k = 1 + (k % (len(rs) - 3))
	}
	rs[k], rs[k+1] = rs[k+1], rs[k]
	words[w] = string(rs)
	return strings.Join(words, " ")
}

// fold turns a name into an ASCII e-mail local part: lower case, diacritics
// removed, Cyrillic transliterated (Bulgarian streamlined system),
// apostrophes dropped, other characters collapsed to single dots.
func fold(s string) string {
	var b strings.Builder
	sep := false
	for _, c := range strings.ToLower(s) {
		var t string
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			t = string(c)
		case c == '\'' || c == '’':
			continue
		default:
			t = foldMap[c]
		}
		if t == "" {
			sep = sep || b.Len() > 0
			continue
		}
		if sep {
			b.WriteByte('.')
			sep = false
		}
		b.WriteString(t)
	}
	return b.String()
}

var foldMap = func() map[rune]string {
	m := map[rune]string{
		'æ': "ae", 'œ': "oe", 'ß': "ss",
		// Bulgarian Cyrillic (streamlined system, 2009)
		'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ж': "zh", 'з': "z", 'и': "i",
		'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s",
		'т': "t", 'у': "u", 'ф': "f", 'х': "h", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "sht",
		'ъ': "a", 'ь': "y", 'ю': "yu", 'я': "ya",
	}
	for base, letters := range map[string]string{
		"a": "àáâäãåā", "c": "çčć", "e": "èéêëē", "i": "ìíîïī", "n": "ñń",
		"o": "òóôöõøō", "u": "ùúûüū", "y": "ýÿ", "s": "šś", "z": "žźż",
	} {
		for _, c := range letters {
			m[c] = base
		}
	}
	return m
}()

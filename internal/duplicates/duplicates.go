// Package duplicates finds customers that may be one person or one
// organization recorded twice, by four rules (README: Identity resolution):
//
//   - SHARED_IDENTITY (score 1.0): the same normalized identity (an email,
//     a phone, another system's id, a loyalty card, a social handle);
//   - SAME_NAME_AND_BIRTH_DATE (0.95): the same name key (below) and the
//     same birth date;
//   - SAME_BUSINESS_NAME_AND_COUNTRY (0.9): two businesses or public
//     organizations with the same name key in the same country;
//   - SIMILAR_NAME_AND_CITY (0.8 × the Jaro-Winkler similarity of the name
//     keys, when they differ and it is at least 0.95): two individuals with
//     similar names in the same city (businesses differing in a letter are
//     often two: Атанасов ООД and Атанасов ЕООД), unless both have birth dates and they differ (Ciara and
//     Ciaran Gallagher of Dublin, born years apart, are two people).
//
// A name key is the name case-folded, without accents, with runs of spaces
// as one and its words in alphabetical order: "Jääskeläinen  Aino" and
// "aino jaaskelainen" have one key. Names are not matched across scripts
// (Виктор is not Victor).
//
// Candidates come from blocking keys, never from all pairs: only customers
// sharing an identity, a name key with a birth date or a country, or a city
// with the first or the last three letters of the name key are compared. A
// blocking key shared by more than MaxBlock customers (a switchboard phone,
// a very common name in a big city) tells nothing and is skipped.
package duplicates

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/hbollon/go-edlib"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// The rules, as MatchReason.rule names them.
const (
	SharedIdentity     = "SHARED_IDENTITY"
	SameNameBirthDate  = "SAME_NAME_AND_BIRTH_DATE"
	SameBusinessName   = "SAME_BUSINESS_NAME_AND_COUNTRY"
	SimilarNameAndCity = "SIMILAR_NAME_AND_CITY"
)

// MaxBlock bounds the customers compared under one blocking key.
const MaxBlock = 500

// minSimilarity is the Jaro-Winkler similarity of two different name keys
// from which SIMILAR_NAME_AND_CITY holds: a typo ("Giulia"/"Guilia": 0.98),
// not two names of one family ("Virtanen"/"Virtala": 0.93). Identical names
// in one city are namesakes, not evidence (measured on the generated data:
// 882,727 candidates among 100,000 customers with them).
const minSimilarity = 0.95

// Customer is what the rules look at.
type Customer struct {
	ID         int
	Individual bool // an individual, not a business or public organization
	Name       string
	BirthDate  string // YYYY-MM-DD, "" when unknown
	City       string
	Country    string
	// Identities are "KIND:value" in the kind's normal form
	// (identities.Normalize), the customer's own email and phone among them.
	Identities []string
}

// Reason is a rule that holds for a pair, with what it found.
type Reason struct{ Rule, Detail string }

// Candidate is a pair of customers that may be one.
type Candidate struct {
	A, B    int // customer ids, A < B
	Score   float64
	Reasons []Reason
}

var fold = cases.Fold()

// NameKey returns the key names are compared by.
func NameKey(name string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(fold.String(name)) {
		if unicode.Is(unicode.Mn, r) {
			continue // an accent
		}
		b.WriteRune(r)
	}
	words := strings.Fields(b.String())
	slices.Sort(words)
	return strings.Join(words, " ")
}

// HeadTail returns the first and the last three letters of a name key,
// which block similar names in a city.
func HeadTail(key string) (head, tail string) {
	r := []rune(key)
	return string(r[:min(3, len(r))]), string(r[max(0, len(r)-3):])
}

// Index holds customers by their blocking keys.
type Index struct {
	customers map[int]*indexed
	blocks    map[string][]int
}

type indexed struct {
	Customer
	key, city string // the name keys of the name and of the city
}

func index(c Customer) *indexed {
	return &indexed{Customer: c, key: NameKey(c.Name), city: NameKey(c.City)}
}

// NewIndex indexes customers.
func NewIndex(customers []Customer) *Index {
	x := &Index{customers: make(map[int]*indexed, len(customers)), blocks: make(map[string][]int)}
	for _, c := range customers {
		in := index(c)
		x.customers[c.ID] = in
		for _, k := range blockingKeys(in) {
			x.blocks[k] = append(x.blocks[k], c.ID)
		}
	}
	return x
}

// blockingKeys are the keys under which c is compared with others.
func blockingKeys(c *indexed) []string {
	var keys []string
	for _, id := range c.Identities {
		keys = append(keys, "i\x00"+id)
	}
	if c.key == "" {
		return keys
	}
	if c.Individual && c.BirthDate != "" {
		keys = append(keys, "n\x00"+c.key+"\x00"+c.BirthDate)
	}
	if !c.Individual && c.Country != "" {
		keys = append(keys, "b\x00"+c.key+"\x00"+c.Country)
	}
	if c.city != "" {
		head, tail := HeadTail(c.key)
		keys = append(keys, "c\x00"+c.city+"\x00<"+head, "c\x00"+c.city+"\x00>"+tail)
	}
	return keys
}

// All returns every candidate pair with a score of at least minScore, by
// score (highest first), then by ids.
func (x *Index) All(minScore float64) []Candidate {
	pairs := make(map[[2]int]*Candidate)
	for _, ids := range x.blocks {
		if len(ids) < 2 || len(ids) > MaxBlock {
			continue
		}
		for i, a := range ids {
			for _, b := range ids[i+1:] {
				x.consider(pairs, a, b)
			}
		}
	}
	return sorted(pairs, minScore)
}

// For returns the candidates of one indexed customer, as All orders them.
func (x *Index) For(id int, minScore float64) []Candidate {
	c, ok := x.customers[id]
	if !ok {
		return nil
	}
	pairs := make(map[[2]int]*Candidate)
	for _, k := range blockingKeys(c) {
		if ids := x.blocks[k]; len(ids) <= MaxBlock {
			for _, other := range ids {
				x.consider(pairs, id, other)
			}
		}
	}
	return sorted(pairs, minScore)
}

// consider applies the rules to a pair and keeps it when one holds. Pairs
// that share several blocks are compared again rather than remembered:
// remembering every pair compared took 750 MB at 100,000 customers.
func (x *Index) consider(pairs map[[2]int]*Candidate, a, b int) {
	if a == b {
		return
	}
	if a > b {
		a, b = b, a
	}
	if _, found := pairs[[2]int{a, b}]; found {
		return
	}
	if c := match(x.customers[a], x.customers[b]); c != nil {
		pairs[[2]int{a, b}] = c
	}
}

// Match applies the rules to two customers; nil when none holds.
func Match(a, b Customer) *Candidate { return match(index(a), index(b)) }

func match(a, b *indexed) *Candidate {
	ka, kb := a.key, b.key
	var reasons []Reason
	score := 0.0
	add := func(rule, detail string, s float64) {
		reasons = append(reasons, Reason{rule, detail})
		score = max(score, math.Round(s*1000)/1000)
	}
	for _, id := range a.Identities {
		if slices.Contains(b.Identities, id) {
			add(SharedIdentity, id, 1)
		}
	}
	if ka != "" && ka == kb {
		if a.Individual && b.Individual && a.BirthDate != "" && a.BirthDate == b.BirthDate {
			add(SameNameBirthDate, ka+", born "+a.BirthDate, 0.95)
		}
		if !a.Individual && !b.Individual && a.Country != "" && a.Country == b.Country {
			add(SameBusinessName, ka+", "+a.Country, 0.9)
		}
	}
	bornApart := a.BirthDate != "" && b.BirthDate != "" && a.BirthDate != b.BirthDate
	if a.Individual && b.Individual && ka != "" && kb != "" && ka != kb && a.city != "" && a.city == b.city && !bornApart {
		if sim := float64(edlib.JaroWinklerSimilarity(ka, kb)); sim >= minSimilarity {
			add(SimilarNameAndCity, ka+" ~ "+kb+" in "+a.City, 0.8*sim)
		}
	}
	if len(reasons) == 0 {
		return nil
	}
	if a.ID > b.ID {
		a, b = b, a
	}
	return &Candidate{A: a.ID, B: b.ID, Score: score, Reasons: reasons}
}

func sorted(pairs map[[2]int]*Candidate, minScore float64) []Candidate {
	var out []Candidate
	for _, c := range pairs {
		if c != nil && c.Score >= minScore {
			out = append(out, *c)
		}
	}
	slices.SortFunc(out, func(p, q Candidate) int {
		if c := cmp.Compare(q.Score, p.Score); c != 0 {
			return c
		}
		if c := cmp.Compare(p.A, q.A); c != 0 {
			return c
		}
		return cmp.Compare(p.B, q.B)
	})
	return out
}

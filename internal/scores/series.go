package scores

import (
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
)

// A Window is [Since, Until): the orders placed and the feedback submitted
// in it count (scores.md, "Windows with an end"); a nil end is open.
type Window struct{ Since, Until *time.Time }

// utc returns the window with its ends in UTC: SQLite compares times as
// text, stored in UTC.
func (w Window) utc() Window {
	out := Window{}
	if w.Since != nil {
		t := w.Since.UTC()
		out.Since = &t
	}
	if w.Until != nil {
		t := w.Until.UTC()
		out.Until = &t
	}
	return out
}

// where keeps the rows of s whose column is inside the window.
func (w Window) where(s *sql.Selector, column string) {
	if w.Since != nil {
		s.Where(sql.GTE(s.C(column), *w.Since))
	}
	if w.Until != nil {
		s.Where(sql.LT(s.C(column), *w.Until))
	}
}

// monthly reports whether the window's ends are month starts (or open):
// the month summaries hold its figures.
func (w Window) monthly() bool {
	start := func(t *time.Time) bool { return t == nil || t.Equal(Month.start(*t)) }
	return start(w.Since) && start(w.Until)
}

// whereMonth keeps the rows of s whose month (bucketKey text) is inside a
// monthly window.
func (w Window) whereMonth(s *sql.Selector, column string) {
	// Written out: sql.GTE on a column of a selector cloned into a
	// subquery lost its operator.
	compare := func(op string, t time.Time) *sql.Predicate {
		return sql.P(func(b *sql.Builder) { b.WriteString(s.C(column) + op).Arg(t.Format(bucketKey)) })
	}
	if w.Since != nil {
		s.Where(compare(" >= ", *w.Since))
	}
	if w.Until != nil {
		s.Where(compare(" < ", *w.Until))
	}
}

// An Interval is the length of a series' buckets: calendar weeks (from
// Monday 00:00), months, quarters or years, in UTC.
type Interval string

// The intervals of insightsSeries.
const (
	Week    Interval = "WEEK"
	Month   Interval = "MONTH"
	Quarter Interval = "QUARTER"
	Year    Interval = "YEAR"
)

// MaxSeriesPoints bounds a series: ten years of weeks.
const MaxSeriesPoints = 530

// start is the start of the bucket that contains t.
func (i Interval) start(t time.Time) time.Time {
	t = t.UTC()
	y, m, d := t.Date()
	switch i {
	case Week:
		return time.Date(y, m, d-(int(t.Weekday())+6)%7, 0, 0, 0, 0, time.UTC)
	case Month:
		return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	case Quarter:
		return time.Date(y, (m-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC)
	default:
		return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	}
}

// next is the start of the bucket after the one starting at t.
func (i Interval) next(t time.Time) time.Time {
	switch i {
	case Week:
		return t.AddDate(0, 0, 7)
	case Month:
		return t.AddDate(0, 1, 0)
	case Quarter:
		return t.AddDate(0, 3, 0)
	default:
		return t.AddDate(1, 0, 0)
	}
}

// A Point is one bucket of a series and its figures.
type Point struct {
	Start, End time.Time
	Scores     *Segment
}

// buckets are the starts of the buckets from the one that contains since
// to the last that starts before until, and the end of that last one; ok
// is false when there are more than MaxSeriesPoints.
func (i Interval) buckets(since, until time.Time) (starts []time.Time, end time.Time, ok bool) {
	for b := i.start(since); b.Before(until); b = i.next(b) {
		if len(starts) == MaxSeriesPoints {
			return nil, time.Time{}, false
		}
		starts = append(starts, b)
		end = i.next(b)
	}
	return starts, end, true
}

// bucketKey is the layout of bucketSQL's values.
const bucketKey = "2006-01-02"

// noBucket is the bucketSQL of no interval: every row in bucket "".
const noBucket = "''"

// bucketSQL is the SQL of the start of the bucket (bucketKey layout) that
// contains a timestamp column, in parentheses (ent takes it for an
// expression, not a column name).
func bucketSQL(d string, i Interval, column string) string {
	if i == "" {
		return noBucket
	}
	return "(" + bucketOf(d, i, column) + ")"
}

func bucketOf(d string, i Interval, column string) string {
	if d == dialect.Postgres {
		unit := map[Interval]string{Week: "week", Month: "month", Quarter: "quarter", Year: "year"}[i]
		return "to_char(date_trunc('" + unit + "', " + column + " AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
	}
	// SQLite keeps times as UTC text, "2006-01-02 15:04:05+00:00"
	// (schema.now, store and import normalise them): the bucket is cut
	// from the text, a fifth cheaper than strftime's parse.
	day := "substr(" + column + ", 1, 10)"
	switch i {
	case Week:
		return "date(" + day + ", '-6 days', 'weekday 1')" // the Monday on or before
	case Month:
		return "substr(" + column + ", 1, 8) || '01'"
	case Quarter:
		month := "substr(" + column + ", 6, 2)"
		return "substr(" + column + ", 1, 5) || CASE WHEN " + month + " < '04' THEN '01' WHEN " + month + " < '07' THEN '04' WHEN " +
			month + " < '10' THEN '07' ELSE '10' END || '-01'"
	default:
		return "substr(" + column + ", 1, 4) || '-01-01'"
	}
}

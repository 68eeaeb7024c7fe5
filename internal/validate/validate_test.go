package validate

import (
	"errors"
	"strings"
	"testing"

	"github.com/c360/c360/internal/fault"
)

// data-format.md, feedback.ndjson: "NPS: 0-10, required · CSAT: 1-5, required ·
// REVIEW: a 1-5 rating, required · SOCIAL: optional, 1-5 when given ·
// SUPPORT: optional, 1-5 when given."
func TestFeedbackScoreFollowsTheDataFormat(t *testing.T) {
	for _, tc := range []struct {
		kind  string
		score *int
		field string // "" = accepted
	}{
		{"NPS", new(0), ""}, {"NPS", new(10), ""}, {"NPS", new(11), "score"}, {"NPS", nil, "score"},
		{"CSAT", new(1), ""}, {"CSAT", new(0), "score"}, {"CSAT", nil, "score"},
		{"REVIEW", new(5), ""}, {"REVIEW", new(6), "score"}, {"REVIEW", nil, "score"},
		{"SOCIAL", nil, ""}, {"SOCIAL", new(1), ""}, {"SOCIAL", new(4), ""}, {"SOCIAL", new(5), ""},
		{"SOCIAL", new(0), "score"}, {"SOCIAL", new(6), "score"},
		{"SUPPORT", nil, ""}, {"SUPPORT", new(3), ""}, {"SUPPORT", new(6), "score"},
		{"COMPLAINT", new(3), "kind"},
	} {
		err := FeedbackScore(tc.kind, tc.score)
		var fe *fault.BadInput
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s %v: refused: %v", tc.kind, show(tc.score), err)
		case tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field):
			t.Errorf("%s %v: got %v, want an error on %q", tc.kind, show(tc.score), err, tc.field)
		case tc.field == "score" && !strings.Contains(err.Error(), tc.kind):
			t.Errorf("%s %v: the error does not name the kind: %v", tc.kind, show(tc.score), err)
		}
	}
}

func show(p *int) any {
	if p == nil {
		return "no score"
	}
	return *p
}

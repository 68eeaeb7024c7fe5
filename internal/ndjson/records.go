// Package ndjson implements the customer-360 data interchange format: a
// directory of NDJSON files (one JSON object per line, UTF-8) holding
// personas, customers, orders and feedback (see shared/spec/data-format.md).
//
// The package only deals with syntax: record types whose JSON form matches the
// spec exactly, a streaming line reader that reports errors with file and line
// number, and a writer. Semantic validation (enums, required fields, decimal
// format, references) belongs to the domain layer.
package ndjson

import (
	"bytes"
	"encoding/json"
	"reflect"
	"time"

	"github.com/c360/c360/internal/personas"
)

// File names of the interchange format.
const (
	PersonasFile  = "personas.ndjson"
	CustomersFile = "customers.ndjson"
	OrdersFile    = "orders.ndjson"
	FeedbackFile  = "feedback.ndjson"
)

// LoadOrder is the order in which the files of a data set directory must be
// imported (later files reference records of earlier ones). Every file is
// optional.
var LoadOrder = []string{PersonasFile, CustomersFile, OrdersFile, FeedbackFile}

// Persona is one line of personas.ndjson: a demographic segment.
type Persona struct {
	ExternalRef string            `json:"externalRef"`
	Name        string            `json:"name"`
	Description *string           `json:"description,omitempty"`
	Criteria    personas.Criteria `json:"criteria"` // the domain type: its JSON is this format's
}

// Customer is one line of customers.ndjson. ExternalRef, Kind and Name are
// required; every other field is optional (nil = absent).
type Customer struct {
	ExternalRef    string     `json:"externalRef"`
	Kind           string     `json:"kind"`                     // INDIVIDUAL | BUSINESS | PUBLIC_ORGANIZATION
	Relationship   *string    `json:"relationship,omitempty"`   // EXTERNAL | INTERNAL
	LifecycleStage *string    `json:"lifecycleStage,omitempty"` // PROSPECT | ACTIVE | CHURNED
	Name           string     `json:"name"`
	Email          *string    `json:"email,omitempty"`
	Phone          *string    `json:"phone,omitempty"`      // E.164
	BirthDate      *string    `json:"birthDate,omitempty"`  // YYYY-MM-DD
	Gender         *string    `json:"gender,omitempty"`     // FEMALE | MALE | NON_BINARY | UNDISCLOSED
	IncomeBand     *string    `json:"incomeBand,omitempty"` // LOW | LOWER_MIDDLE | MIDDLE | UPPER_MIDDLE | HIGH
	Country        *string    `json:"country,omitempty"`    // ISO 3166-1 alpha-2
	Region         *string    `json:"region,omitempty"`
	City           *string    `json:"city,omitempty"`
	CreatedAt      *time.Time `json:"createdAt,omitempty"`
}

// Order is one line of orders.ndjson.
type Order struct {
	ExternalRef string    `json:"externalRef"`
	CustomerRef string    `json:"customerRef"`
	Status      string    `json:"status"`  // PENDING | PAID | FULFILLED | CANCELLED | REFUNDED
	Channel     string    `json:"channel"` // WEB | MOBILE_APP | STORE | PHONE | PARTNER
	Currency    string    `json:"currency"`
	PlacedAt    time.Time `json:"placedAt"`
	Items       []Item    `json:"items"`
}

// Item is an order line.
type Item struct {
	SKU       string  `json:"sku"`
	Name      string  `json:"name"`
	Category  *string `json:"category,omitempty"`
	Quantity  int     `json:"quantity"`
	UnitPrice Decimal `json:"unitPrice"`
}

// Feedback is one line of feedback.ndjson.
type Feedback struct {
	ExternalRef string    `json:"externalRef"`
	CustomerRef string    `json:"customerRef"`
	OrderRef    *string   `json:"orderRef,omitempty"`
	Kind        string    `json:"kind"`    // NPS | CSAT | REVIEW | SOCIAL | SUPPORT
	Channel     string    `json:"channel"` // EMAIL | WEB_FORM | CHAT | SMS | PHONE | SOCIAL_MEDIA | REVIEW_SITE | IN_STORE
	Score       *int      `json:"score,omitempty"`
	Comment     *string   `json:"comment,omitempty"`
	Language    *string   `json:"language,omitempty"` // BCP 47
	SubmittedAt time.Time `json:"submittedAt"`
}

// Decimal is a decimal number kept as its literal text. On input it accepts a
// JSON string ("19.90") or a JSON number (19.9), keeping the text exactly as
// written; on output it is always a JSON string. The format is not validated
// here (the domain layer parses it).
type Decimal string

var decimalType = reflect.TypeFor[Decimal]()

// UnmarshalJSON implements json.Unmarshaler.
func (d *Decimal) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return &json.UnmarshalTypeError{Value: "empty input", Type: decimalType}
	}
	switch c := data[0]; {
	case c == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*d = Decimal(s)
		return nil
	case c == '-' || (c >= '0' && c <= '9'):
		// The decoder has already checked the number's syntax.
		*d = Decimal(data)
		return nil
	default:
		var what string
		switch c {
		case 't', 'f':
			what = "bool"
		case 'n':
			what = "null"
		case '{':
			what = "object"
		case '[':
			what = "array"
		default:
			what = "value"
		}
		return &json.UnmarshalTypeError{Value: what, Type: decimalType}
	}
}

// MarshalJSON implements json.Marshaler; a Decimal is written as a JSON string.
func (d Decimal) MarshalJSON() ([]byte, error) {
	return json.Marshal(string(d))
}

// String returns the literal text.
func (d Decimal) String() string { return string(d) }

// Package activity holds what a customer's event log records: the event
// types (shared/spec/graphql-contract.md, Activity), the field changes an
// event carries, and the thresholds of the derived signals. The events are
// written by store, in the transaction of the change they record.
package activity

// The event types; ent's CustomerEvent.type, and through it the GraphQL
// enum CustomerEventType, take their values from Types.
const (
	CustomerCreated     = "CUSTOMER_CREATED"
	CustomerUpdated     = "CUSTOMER_UPDATED"
	CustomerMerged      = "CUSTOMER_MERGED"
	CustomerUnmerged    = "CUSTOMER_UNMERGED"
	CustomerErased      = "CUSTOMER_ERASED"
	OrderPlaced         = "ORDER_PLACED"
	OrderStatusChanged  = "ORDER_STATUS_CHANGED"
	FeedbackReceived    = "FEEDBACK_RECEIVED"
	PersonaJoined       = "PERSONA_JOINED"
	PersonaLeft         = "PERSONA_LEFT"
	SignalNewDetractor  = "SIGNAL_NEW_DETRACTOR"
	SignalChurnRiskHigh = "SIGNAL_CHURN_RISK_HIGH"
)

// Types lists the event types.
var Types = []string{CustomerCreated, CustomerUpdated, CustomerMerged, CustomerUnmerged, CustomerErased,
	OrderPlaced, OrderStatusChanged, FeedbackReceived, PersonaJoined, PersonaLeft,
	SignalNewDetractor, SignalChurnRiskHigh}

// FieldChange is a field an event changed, with its values before and after
// as text (nil: null). Values may be personal data.
type FieldChange struct {
	Field string  `json:"field"`
	From  *string `json:"from,omitempty"`
	To    *string `json:"to,omitempty"`
}

// DetractorMax is the highest NPS score of a detractor (scores.md).
const DetractorMax = 6

// ErasedSummary replaces the summary of an erased customer's events.
const ErasedSummary = "(erased)"

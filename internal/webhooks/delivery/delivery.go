// Package delivery holds what a webhook delivery records: its states and
// attempts (ent's WebhookDelivery; sent by internal/webhooks).
package delivery

import "time"

// The states of a delivery.
const (
	Pending   = "PENDING"   // to be sent (again) at next_attempt_at
	Delivered = "DELIVERED" // the endpoint answered 2xx
	Dead      = "DEAD"      // Config.MaxAttempts attempts failed
)

// Statuses lists the states of a delivery (ent's WebhookDelivery.status).
var Statuses = []string{Pending, Delivered, Dead}

// Attempt is one try of a delivery.
type Attempt struct {
	At time.Time `json:"at"`
	// StatusCode is the endpoint's HTTP status; nil when none came.
	StatusCode *int `json:"statusCode,omitempty"`
	// Error says why the attempt failed; nil when it succeeded.
	Error    *string       `json:"error,omitempty"`
	Duration time.Duration `json:"duration"`
}

// DurationMs is how long the attempt took, in whole milliseconds.
func (a Attempt) DurationMs() int { return int(a.Duration.Milliseconds()) }

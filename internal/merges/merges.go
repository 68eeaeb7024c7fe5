// Package merges holds what a merge of customers keeps to be undone. The
// merge itself is a write of store (store.Merge, store.Unmerge); this
// package holds only its record, which the ent schema stores as JSON.
package merges

import "encoding/json"

// Record is what undoing a merge needs. It holds personal data: it is
// dropped when the merge is undone and erased with the survivor.
type Record struct {
	// Survivor is the survivor as it was before the merge, After as the
	// merge left it (ent.Customer in JSON), and Changed the fields the merge
	// set: undoing restores a field only if it still holds the merge's value.
	Survivor json.RawMessage `json:"survivor"`
	After    json.RawMessage `json:"after"`
	Changed  []string        `json:"changed,omitempty"`
	// Merged are the merged customers as they were (ent.Customer in JSON),
	// Moved what each of them brought to the survivor.
	Merged []json.RawMessage `json:"merged"`
	Moved  []Moved           `json:"moved"`
	// Repointed are the merges whose survivor was merged by this one: the
	// survivor of this one became theirs.
	Repointed []Repoint `json:"repointed,omitempty"`
}

// Repoint is a merge whose survivor a later merge merged, and that survivor.
type Repoint struct {
	Merge    int `json:"merge"`
	Survivor int `json:"survivor"`
}

// Moved is what one merged customer brought to the survivor.
type Moved struct {
	Customer   int        `json:"customer"`
	Orders     []int      `json:"orders,omitempty"`
	Feedback   []int      `json:"feedback,omitempty"`
	Identities []Identity `json:"identities,omitempty"`
	Events     []int      `json:"events,omitempty"` // its event log
}

// Identity is a moved identity and the source it had.
type Identity struct {
	ID     int     `json:"id"`
	Source *string `json:"source,omitempty"`
}

package schema

// Interchange places a type or a field in the NDJSON interchange format
// (shared/spec/data-format.md). The records, their checks, the rows the
// import writes and the export are generated from the schema
// (ent/interchangegen), so a field reaches all of them from here.
//
// On a type, File names the file holding its records; a type without one is
// written inside its parent's records (an order's items). A record holds
// externalRef, every field not skipped, and a reference by externalRef
// (customerRef, orderRef) for each edge that has a field.
type Interchange struct {
	// File is the type's file, e.g. "customers.ndjson".
	File string `json:"file,omitempty"`
	// Load is the type's place in the load order (referenced types first).
	Load int `json:"load,omitempty"`
	// With names fields of a mixin that are skipped elsewhere but belong to
	// this type's records (a customer's createdAt).
	With []string `json:"with,omitempty"`
	// Skip leaves a field or an edge out of the format (updatedAt: the
	// database's own).
	Skip bool `json:"skip,omitempty"`
	// Derived marks a field the write layer computes from the record (an
	// order's total from its items): written, exported never, read never.
	Derived bool `json:"derived,omitempty"`
	// Sample names where the seed generator takes the field's values from
	// (internal/seed, sampler: "language" is the language of the record's
	// locale); a field without one is left out of generated data.
	Sample string `json:"sample,omitempty"`
	// Keep names the exporter's predicate (internal/exporter) of the stored
	// rows of a type that are records; the others are derived and left out
	// (identities that are a customer's own email, phone or externalRef).
	Keep string `json:"keep,omitempty"`
}

// Name implements schema.Annotation.
func (Interchange) Name() string { return "Interchange" }

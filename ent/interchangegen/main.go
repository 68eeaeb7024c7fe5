// Command interchangegen generates the NDJSON interchange format's code from
// the ent schema (go generate, after ent's own generator): the record types
// (internal/ndjson), the field checks and row binding of the import
// (internal/importer), the export's queries (internal/exporter) and the
// fields the seed generator fills from a sample source (internal/seed). Which
// types and fields take part is said by the schema's Interchange annotations
// (ent/schema/interchange.go); a field added to the schema reaches the
// format, the import and the export with no other edit.
package main

import (
	"bytes"
	"cmp"
	"embed"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"slices"
	"strings"
	"text/template"
	"unicode"

	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"entgo.io/ent/schema/field"
	"golang.org/x/tools/imports"
)

//go:embed *.tmpl
var templates embed.FS

// annotation mirrors schema.Interchange (annotations reach the generator as JSON).
type annotation struct {
	File    string   `json:"file"`
	Load    int      `json:"load"`
	With    []string `json:"with"`
	Skip    bool     `json:"skip"`
	Derived bool     `json:"derived"`
	Sample  string   `json:"sample"`
	Keep    string   `json:"keep"`
}

func annotationOf(a gen.Annotations) annotation {
	var out annotation
	if v, ok := a["Interchange"]; ok {
		b, _ := json.Marshal(v)
		_ = json.Unmarshal(b, &out)
	}
	return out
}

// Type is a type of the format: one file's records, or records embedded in
// their parent's (Parent set).
type Type struct {
	Name, Pkg, Table, File string
	Load                   int
	Keep                   string    // the exporter's predicate of the stored rows that are records
	Fields                 []*Field  // the record's fields, in order
	Columns                []*Column // the columns an import writes, in order
	Embedded               []*Embed
	Parent                 *Type
	Mutable                []string // columns an upsert updates
	Params                 []string // the bind function's parameters beyond the record
	node                   *gen.Type
}

// Field is a field of a record.
type Field struct {
	JSON, Go, Column string
	// Kind: ref (externalRef), edge (a reference by externalRef), string,
	// enum, int, decimal, time, json.
	Kind      string
	Type      string // the record's Go type, without the pointer
	Ptr       bool
	Required  bool
	Validator string   // the ent validator, "" if none
	Enum      []string // enum values
	Default   string   // Go expression of the default value (record type), "" if none
	Mutable   bool
	EntGo     string // the entity's struct field
	EntPtr    bool   // the entity's field is a pointer
	Edge      string // kind edge: the edge's struct field (Customer)
	Target    *Type  // kind edge: the referenced type
	Param     string // kind edge: the bind parameter holding the id
	Import    string // kind json: the package of Type
	Sample    string // the seed's source of generated values, "" if none
}

// Column is a column the import writes, with the Go expression of its value.
type Column struct{ Name, Expr string }

// Embed is a list of records inside the parent's.
type Embed struct {
	JSON, Go, Edge string
	Type           *Type
}

func main() {
	graph, err := entc.LoadGraph("./ent/schema", &gen.Config{})
	if err != nil {
		log.Fatalf("interchangegen: loading the schema: %v", err)
	}
	types := model(graph)
	for _, out := range []struct{ tmpl, path string }{
		{"records.tmpl", "internal/ndjson/records_gen.go"},
		{"import.tmpl", "internal/importer/records_gen.go"},
		{"export.tmpl", "internal/exporter/records_gen.go"},
		{"seed.tmpl", "internal/seed/records_gen.go"},
	} {
		if err := render(out.tmpl, out.path, types); err != nil {
			log.Fatalf("interchangegen: %s: %v", out.path, err)
		}
	}
}

func model(graph *gen.Graph) []*Type {
	byName := map[string]*Type{}
	var files []*Type
	for _, n := range graph.Nodes {
		a := annotationOf(n.Annotations)
		t := &Type{Name: n.Name, Pkg: n.Package(), Table: n.Table(), File: a.File, Load: a.Load, Keep: a.Keep, node: n}
		byName[n.Name] = t
		if a.File != "" {
			files = append(files, t)
		}
	}
	// Embedded types first: their fields depend on their parent.
	for _, t := range byName {
		for _, e := range t.node.Edges {
			if annotationOf(e.Annotations).Skip {
				continue // not in the format (yet)
			}
			if target := byName[e.Type.Name]; target.File == "" && !e.IsInverse() {
				target.Parent = t
				t.Embedded = append(t.Embedded, &Embed{JSON: lowerFirst(e.StructField()), Go: e.StructField(),
					Edge: e.StructField(), Type: target})
			}
		}
	}
	for _, t := range byName {
		if t.File == "" && t.Parent == nil {
			continue // not in the format
		}
		n := t.node
		with := annotationOf(n.Annotations).With
		// externalRef first, then the references, the type's own fields,
		// and the mixin's fields named by With (embedded records come last).
		var ref, refs, own, mixed []*Field
		for _, f := range n.Fields {
			a := annotationOf(f.Annotations)
			switch {
			case f.Name == "external_ref":
				ref = []*Field{{JSON: "externalRef", Go: "ExternalRef", Column: f.Name, Kind: "ref",
					Type: "string", Required: true, Validator: t.Pkg + "." + f.Validator(), EntGo: f.StructField(), EntPtr: f.Nillable}}
			case f.IsEdgeField():
				e, err := f.Edge()
				if err != nil {
					log.Fatal(err)
				}
				target := byName[e.Type.Name]
				if t.Parent != nil && target == t.Parent {
					continue // the parent of an embedded record
				}
				refs = append(refs, &Field{JSON: lowerFirst(e.StructField()) + "Ref", Go: e.StructField() + "Ref",
					Column: f.Name, Kind: "edge", Type: "string", Ptr: f.Optional, Required: !f.Optional,
					Validator: target.Pkg + ".ExternalRefValidator", Edge: e.StructField(), Target: target,
					Param: lowerFirst(e.StructField()) + "ID", EntGo: f.StructField(), EntPtr: f.Nillable})
			case a.Skip && !slices.Contains(with, f.Name), a.Derived:
			default:
				fld := newField(t, f)
				if f.Position != nil && f.Position.MixedIn {
					mixed = append(mixed, fld)
				} else {
					own = append(own, fld)
				}
			}
		}
		t.Fields = slices.Concat(ref, refs, own, mixed)
	}
	for _, t := range byName {
		if t.File != "" || t.Parent != nil {
			t.Columns = columns(t)
		}
	}
	slices.SortFunc(files, func(a, b *Type) int { return a.Load - b.Load })
	var out []*Type
	for _, t := range files {
		out = append(out, t)
		for _, e := range t.Embedded {
			out = append(out, e.Type)
		}
	}
	return out
}

func newField(t *Type, f *gen.Field) *Field {
	fld := &Field{JSON: lowerFirst(pascal(f.Name)), Go: pascal(f.Name), Column: f.Name,
		Mutable: !f.Immutable, EntGo: f.StructField(), EntPtr: f.Nillable, Sample: annotationOf(f.Annotations).Sample}
	fld.Ptr = f.Optional || f.Default || f.Nillable
	fld.Required = !fld.Ptr
	if f.Validators > 0 && !f.IsEnum() {
		fld.Validator = t.Pkg + "." + f.Validator()
	}
	switch {
	case f.IsEnum():
		fld.Kind, fld.Type, fld.Enum = "enum", "string", f.EnumValues()
		if f.Default {
			fld.Default = fmt.Sprintf("%q", fmt.Sprint(f.DefaultValue()))
		}
	case f.IsString():
		fld.Kind, fld.Type = "string", "string"
	case f.Type.Type == field.TypeInt64 && f.Type.Ident == "money.Cents":
		fld.Kind, fld.Type = "decimal", "Decimal"
	case f.IsInt():
		fld.Kind, fld.Type = "int", "int"
	case f.IsTime() && f.Nillable:
		log.Fatalf("interchangegen: %s.%s: nillable times are not supported", t.Name, f.Name)
	case f.IsTime():
		fld.Kind, fld.Type = "time", "time.Time"
	case f.IsBool():
		fld.Kind, fld.Type = "bool", "bool"
		if f.Default {
			fld.Default = fmt.Sprint(f.DefaultValue())
		}
	case f.IsJSON():
		fld.Kind, fld.Type, fld.Import = "json", f.Type.String(), f.Type.PkgPath
	default:
		log.Fatalf("interchangegen: %s.%s: no interchange form for %s", t.Name, f.Name, f.Type)
	}
	return fld
}

// columns lists what the import writes: every column of the table but the
// id (the database assigns it), in the schema's order, each with its
// value's expression.
func columns(t *Type) []*Column {
	var cols []*Column
	byColumn := map[string]*Field{}
	for _, f := range t.Fields {
		byColumn[f.Column] = f
	}
	own := false // the record has fields of its own an upsert replaces
	for _, f := range t.node.Fields {
		fld, inFormat := byColumn[f.Name]
		var expr string
		switch {
		case f.IsEdgeField() && !inFormat:
			expr = "int64(" + t.Parent.lowerName() + "ID)" // the embedding parent
			t.Params = append(t.Params, t.Parent.lowerName()+"ID int")
		case inFormat && fld.Kind == "edge" && fld.Ptr:
			expr = "optInt(" + fld.Param + ")"
			t.Params = append(t.Params, fld.Param+" *int")
		case inFormat && fld.Kind == "edge":
			expr = "int64(" + fld.Param + ")"
			t.Params = append(t.Params, fld.Param+" int")
		case annotationOf(f.Annotations).Derived:
			expr = lowerFirst(pascal(f.Name))
			if f.Type.Type != field.TypeString {
				expr = "int64(" + expr + ")"
			}
			t.Params = append(t.Params, lowerFirst(pascal(f.Name))+" "+f.Type.String())
		case !inFormat && f.IsTime():
			expr = "nowArg"
		case !inFormat:
			log.Fatalf("interchangegen: %s.%s is neither in the format nor derived", t.Name, f.Name)
		default:
			expr = fld.bindExpr("r." + fld.Go)
		}
		cols = append(cols, &Column{Name: f.Name, Expr: expr})
		// An upsert replaces the record's own mutable fields (not its key,
		// not its references: a merge moves orders, an import does not) and
		// the update time.
		derived := annotationOf(f.Annotations).Derived
		if !f.Immutable && f.Name != "external_ref" && !f.IsEdgeField() && (inFormat || derived || f.Name == "updated_at") {
			t.Mutable = append(t.Mutable, f.Name)
			own = own || inFormat
		}
	}
	if !own {
		t.Mutable = nil // nothing of the record's own changes: written once
	}
	return cols
}

// bindExpr is the Go expression of the value written for the record's field.
func (f *Field) bindExpr(v string) string {
	switch {
	case f.Kind == "decimal" && f.Ptr:
		log.Fatalf("interchangegen: optional decimals (%s) are not supported", f.JSON)
	case f.Kind == "decimal":
		return "int64(cents(" + v + "))"
	case f.Kind == "json":
		return "jsonText(" + v + ")"
	case f.Kind == "time" && f.Ptr:
		return "timeOr(" + v + ", now)"
	case f.Kind == "time":
		return v + ".UTC()"
	case f.Kind == "bool" && f.Ptr:
		return "boolOr(" + v + ", " + cmp.Or(f.Default, "false") + ")"
	case f.Ptr && f.Default != "":
		return "stringOr(" + v + ", " + f.Default + ")"
	case f.Ptr && f.Kind == "int":
		return "optInt(" + v + ")"
	case f.Ptr:
		return "optString(" + v + ")"
	case f.Kind == "int":
		return "int64(" + v + ")"
	}
	return v
}

func (t *Type) lowerName() string { return lowerFirst(t.Name) }

// MutableFields are the record's fields an upsert replaces.
func (t *Type) MutableFields() []*Field {
	var out []*Field
	for _, f := range t.Fields {
		if f.Mutable && f.Kind != "ref" && f.Kind != "edge" {
			out = append(out, f)
		}
	}
	return out
}

// Comparable reports whether the import compares a stored record with an
// incoming one field by field: a type with its own file and fields an
// upsert replaces, unless it embeds records that never change (an order
// with its items is written once).
func (t *Type) Comparable() bool {
	for _, e := range t.Embedded {
		if len(e.Type.MutableFields()) == 0 {
			return false
		}
	}
	return t.File != "" && len(t.MutableFields()) > 0
}

// Upserted reports whether the import updates a stored record of the type
// in place: a comparable type, or an embedded one with fields of its own to
// update (a customer's identities; an order's items never change).
func (t *Type) Upserted() bool {
	return t.Comparable() || t.Parent != nil && len(t.Mutable) > 0
}

// Checked reports whether the field has anything to check.
func (f *Field) Checked() bool {
	return f.Required && f.Kind != "int" || f.Validator != "" || f.Kind == "enum" || f.Kind == "decimal"
}

// FileConst names the constant holding the type's file name (CustomersFile).
func (t *Type) FileConst() string { return pascal(strings.TrimSuffix(t.File, ".ndjson")) + "File" }

// Plural is the type's name in the plural, for function names.
func (t *Type) Plural() string {
	if strings.HasSuffix(t.Name, "back") {
		return t.Name
	}
	return t.Name + "s"
}

func render(name, path string, types []*Type) error {
	tmpl, err := template.New(name).Funcs(template.FuncMap{
		"lower": lowerFirst,
		"quote": func(s string) string { return fmt.Sprintf("%q", s) },
		"join":  strings.Join,
		"quoteAll": func(ss []string) string {
			q := make([]string, len(ss))
			for i, s := range ss {
				q[i] = fmt.Sprintf("%q", s)
			}
			return strings.Join(q, ", ")
		},
		"pkgOf": func(goType string) string {
			if i := strings.LastIndex(goType, "."); i > 0 {
				return goType[:i]
			}
			return ""
		},
	}).ParseFS(templates, name)
	if err != nil {
		return err
	}
	data := struct {
		Types   []*Type
		Imports []string    // the packages of JSON fields' types
		Columns [][2]string // column and the format's name for it, sorted
	}{Types: types}
	seen := map[string]bool{}
	for _, t := range types {
		for _, f := range t.Fields {
			if f.Import != "" && !slices.Contains(data.Imports, f.Import) {
				data.Imports = append(data.Imports, f.Import)
			}
			if !seen[f.Column] {
				seen[f.Column] = true
				data.Columns = append(data.Columns, [2]string{f.Column, f.JSON})
			}
		}
	}
	slices.SortFunc(data.Columns, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	var b bytes.Buffer
	if err := tmpl.Execute(&b, data); err != nil {
		return err
	}
	// The templates import everything they might use; imports drops the rest.
	src, err := imports.Process(path, b.Bytes(), &imports.Options{Comments: true, TabIndent: true, TabWidth: 8})
	if err != nil {
		return fmt.Errorf("%w\n%s", err, b.Bytes())
	}
	return os.WriteFile(path, src, 0o644)
}

func pascal(s string) string {
	parts := strings.Split(s, "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

func lowerFirst(s string) string {
	r := []rune(s)
	r[0] = unicode.ToLower(r[0])
	return string(r)
}

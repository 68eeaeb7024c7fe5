package main

//go:generate go run -mod=mod ./ent/entc.go
//go:generate go run -mod=mod ./ent/interchangegen
//go:generate go tool easyjson -disallow_unknown_fields -no_std_marshalers -output_filename internal/ndjson/records_easyjson.go internal/ndjson/records_gen.go
//go:generate go run -mod=mod github.com/99designs/gqlgen generate

// Package demo fills an empty database with the synthetic demo data set, so a
// newcomer can explore in GraphiQL at once.
package demo

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/importer"
	"github.com/c360/c360/internal/seed"
)

// Seed is the demo data set's generator seed: the same data on every machine.
const Seed = 360

// LoadIfEmpty loads n generated customers with their orders and feedback when
// the database has no customer and no persona yet. It reports whether it did.
func LoadIfEmpty(ctx context.Context, db *database.DB, n int, baseCurrency string) (bool, error) {
	client := db.Client
	customers, err := client.Customer.Query().Exist(ctx)
	if err != nil {
		return false, fmt.Errorf("checking for existing data: %w", err)
	}
	personas, err := client.Persona.Query().Exist(ctx)
	if err != nil {
		return false, fmt.Errorf("checking for existing data: %w", err)
	}
	if customers || personas {
		return false, nil
	}
	start := time.Now()
	l := importer.NewLoader(ctx, db, importer.Options{BaseCurrency: baseCurrency})
	if err := seed.Generate(seed.Config{Customers: n, Seed: Seed, Now: time.Now().UTC().Truncate(time.Second)}, l); err != nil {
		return false, fmt.Errorf("generating demo data: %w", err)
	}
	if err := l.Flush(); err != nil {
		return false, fmt.Errorf("loading demo data: %w", err)
	}
	sum := l.Summary()
	if sum.Rejected > 0 {
		return true, fmt.Errorf("demo data: %s; first: %+v", sum, sum.Rejections[0])
	}
	slog.InfoContext(ctx, "loaded demo data", "records", sum.Imported, "took", time.Since(start).Round(time.Millisecond).String())
	return true, nil
}

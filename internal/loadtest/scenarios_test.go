package loadtest_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/c360/c360/internal/loadtest"
	"github.com/c360/c360/internal/seed"
)

// Every scenario of the benchmark answers without errors, and the
// statements of c360's answers are counted: a scenario that broke (a field
// renamed in the schema) would otherwise fail only in make bench.
func TestEveryScenarioAnswersAndItsStatementsAreCounted(t *testing.T) {
	const customers = 50
	dataDir := t.TempDir()
	if _, err := seed.WriteDir(dataDir, seed.Config{Customers: customers, Seed: 7, Now: time.Now().UTC().Truncate(time.Second)}); err != nil {
		t.Fatal(err)
	}
	env, err := loadtest.Setup(context.Background(), "file:"+filepath.Join(t.TempDir(), "scenarios.db"), dataDir, customers)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	keys := map[string]bool{}
	for _, sc := range env.Scenarios() {
		res, err := env.Run(context.Background(), sc, 1, 3, nil)
		if err != nil {
			t.Fatalf("%s (%s): %v", sc.Key, sc.Path(), err)
		}
		// Q3 is served from the score cache once the warm-up computed it.
		if !sc.Floor && sc.Key != "Q3" && res.Statements == 0 {
			t.Errorf("%s: no SQL statements counted for 3 requests", sc.Key)
		}
		keys[sc.Key] = true
	}
	for _, k := range []string{"Q1", "Q2", "Q3"} {
		if !keys[k] {
			t.Errorf("no %s scenario", k)
		}
	}
}

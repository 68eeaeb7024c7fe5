package main

// The data commands: import, export and seed (see usage below).

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/c360/c360/internal/app"
	"github.com/c360/c360/internal/cmalloc"
	"github.com/c360/c360/internal/config"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/exporter"
	"github.com/c360/c360/internal/importer"
	"github.com/c360/c360/internal/ndjson"
	"github.com/c360/c360/internal/seed"
)

const usage = `usage: c360 [command]

commands:
  serve                      serve the API (the default)
  migrate                    apply pending schema migrations and exit
  import [--batch N] DIR     import the NDJSON data set in DIR (upsert by externalRef)
  export DIR                 write the database as an NDJSON data set to DIR
  seed --customers N --seed S --out DIR [--now RFC3339]
                             generate a deterministic synthetic data set

The database is DATABASE_URL (default file:c360.db); see README.md for every setting.
The data set format is shared/spec/data-format.md.
`

// Exit codes of the data commands.
const (
	exitOK       = 0
	exitFailed   = 1 // an error, or records rejected by import
	exitUsageErr = 2
)

// DefaultImportBatch is the import command's batch size: larger than the
// library's default, because the command imports whole data sets.
const DefaultImportBatch = 10000

// DefaultSeedNow is seed's reference time when --now is not given, so that
// the same flags always give the same files.
var DefaultSeedNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// parseArgs parses flags that may come before or after the positional
// arguments, and returns the positional arguments.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func newFlagSet(name, synopsis, help string) *flag.FlagSet {
	fs := flag.NewFlagSet("c360 "+name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: c360 %s %s\n\n%s\n", name, synopsis, help)
		fs.PrintDefaults()
	}
	return fs
}

// isTerminal reports whether f is a terminal (progress lines go there).
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// runImport is "c360 import [--batch N] DIR".
func runImport(ctx context.Context, cfg config.Config, args []string) int {
	fs := newFlagSet("import", "[--batch N] DIR",
		"Imports personas.ndjson, customers.ndjson, orders.ndjson and feedback.ndjson from DIR\n"+
			"(each optional) into DATABASE_URL: an upsert by externalRef, in batches of N records\n"+
			"per transaction. Every rejected record is printed as file:line: reason on stderr, then\n"+
			"the summary \"imported N, rejected M\"; the exit status is 1 when a record was rejected.")
	batch := fs.Int("batch", DefaultImportBatch, "records per transaction")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitUsageErr
	}
	if len(pos) != 1 || *batch <= 0 {
		fs.Usage()
		return exitUsageErr
	}
	dir := pos[0]
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		fmt.Fprintf(os.Stderr, "c360 import: %s is not a directory\n", dir)
		return exitFailed
	}

	c360, err := app.Open(ctx, cfg, database.Options{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "c360 import: %v\n", err)
		return exitFailed
	}
	defer c360.Close()

	tuneGC(cfg.Memory)
	var prog *progress
	if isTerminal(os.Stderr) {
		prog = newProgress(os.Stderr, "imported", countLines(dir))
	}
	start := time.Now()
	sum, err := c360.Import(ctx, dir, importer.Options{
		BatchSize: *batch,
		Progress: func(done int64) {
			if prog != nil {
				prog.update(done, false)
			}
		},
		OnReject: func(r importer.Rejection) {
			prog.clear()
			fmt.Fprintln(os.Stderr, r)
		},
	})
	elapsed := time.Since(start)
	if prog != nil {
		prog.finish(sum.Imported + sum.Rejected)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "c360 import: %v (committed before the error: %s)\n", err, sum)
		return exitFailed
	}
	fmt.Println(sum)
	fmt.Fprintf(os.Stderr, "%.1fs, %s records/s\n", elapsed.Seconds(),
		thousands(int64(float64(sum.Imported+sum.Rejected)/max(elapsed.Seconds(), 1e-9))))
	if sum.Rejected > 0 {
		return exitFailed
	}
	return exitOK
}

// runExport is "c360 export DIR".
func runExport(ctx context.Context, cfg config.Config, args []string) int {
	fs := newFlagSet("export", "DIR",
		"Writes DATABASE_URL as the data set personas.ndjson, customers.ndjson, orders.ndjson and\n"+
			"feedback.ndjson in DIR (created if needed; existing files are replaced). Records without\n"+
			"an externalRef are exported as \"c360:<id>\" (their global id).")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitUsageErr
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitUsageErr
	}
	db, err := database.Open(ctx, cfg.DatabaseURL, database.Options{Synchronous: cfg.SQLiteSynchronous})
	if err != nil {
		fmt.Fprintf(os.Stderr, "c360 export: %v\n", err)
		return exitFailed
	}
	defer db.Close()
	var prog *progress
	if isTerminal(os.Stderr) {
		prog = newProgress(os.Stderr, "exported", -1)
	}
	n, err := exporter.ExportDir(ctx, db.Client, pos[0], exporter.Options{Progress: func(done int64) {
		if prog != nil {
			prog.update(done, false)
		}
	}})
	if prog != nil {
		prog.finish(n.Total())
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "c360 export: %v\n", err)
		return exitFailed
	}
	fmt.Println(n)
	return exitOK
}

// runSeed is "c360 seed --customers N --seed S --out DIR [--now RFC3339]".
func runSeed(args []string) int {
	fs := newFlagSet("seed", "--customers N --seed S --out DIR [--now RFC3339]",
		"Generates a synthetic data set (personas, customers with orders and feedback) into DIR.\n"+
			"The same flags always give byte-identical files.")
	customers := fs.Int("customers", 1000, "number of customers (about 10 orders each)")
	seedVal := fs.Int64("seed", 1, "random seed")
	out := fs.String("out", "", "output directory (created if needed)")
	now := fs.String("now", DefaultSeedNow.Format(time.RFC3339), "reference time: all timestamps lie in the 3 years before it")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitUsageErr
	}
	if len(pos) == 1 && *out == "" {
		*out = pos[0]
	} else if len(pos) > 0 {
		fs.Usage()
		return exitUsageErr
	}
	t, err := time.Parse(time.RFC3339, *now)
	if *out == "" || *customers < 0 || err != nil {
		if err != nil {
			fmt.Fprintf(os.Stderr, "c360 seed: --now: %v\n", err)
		}
		fs.Usage()
		return exitUsageErr
	}
	n, err := seed.WriteDir(*out, seed.Config{Customers: *customers, Seed: *seedVal, Now: t})
	if err != nil {
		fmt.Fprintf(os.Stderr, "c360 seed: %v\n", err)
		return exitFailed
	}
	fmt.Printf("wrote %d personas, %d customers, %d orders, %d feedback to %s\n",
		n.Personas, n.Customers, n.Orders, n.Feedback, *out)
	return exitOK
}

// tuneGC sets the collector for an import, unless GOGC or GOMEMLIMIT say
// otherwise: an import allocates steadily (decoded records, statement
// arguments) over a small live heap, so a GC target of 400% saves most of
// the collector's work (measured: about a fifth of the import's CPU time),
// and the memory limit bounds the heap that target allows (SQLite's page
// cache, 32 MiB during an import, comes on top). Together they keep the
// peak RSS of a 1,000,000-order import under 200 MB, with SQLite's C memory
// kept compact (cmalloc.Compact).
func tuneGC(m config.MemoryConfig) {
	cmalloc.Compact()
	if !m.GCPercentFromEnv {
		debug.SetGCPercent(400)
	}
	if !m.LimitFromEnv {
		debug.SetMemoryLimit(64 << 20)
	}
}

// countLines counts the lines of the data set's files (the progress total;
// blank lines, which are skipped, are counted too). It reads at disk speed.
func countLines(dir string) int64 {
	var total int64
	buf := make([]byte, 1<<20)
	for _, name := range ndjson.LoadOrder {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		var last byte = '\n'
		for {
			n, err := f.Read(buf)
			if n > 0 {
				total += int64(bytes.Count(buf[:n], []byte{'\n'}))
				last = buf[n-1]
			}
			if err != nil {
				break
			}
		}
		if last != '\n' {
			total++
		}
		f.Close()
	}
	return total
}

// progress draws a line like
//
//	imported 123,456 / 1,255,626 records (9.8%), 101,234 records/s
//
// on a terminal, redrawn in place at most five times a second.
type progress struct {
	mu          sync.Mutex
	out         io.Writer
	verb        string
	total       int64 // -1: unknown
	start, last time.Time
	drawn       bool
}

func newProgress(out io.Writer, verb string, total int64) *progress {
	return &progress{out: out, verb: verb, total: total, start: time.Now()}
}

func (p *progress) update(done int64, force bool) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if !force && now.Sub(p.last) < 200*time.Millisecond {
		return
	}
	p.last = now
	rate := int64(float64(done) / max(now.Sub(p.start).Seconds(), 1e-9))
	line := fmt.Sprintf("%s %s", p.verb, thousands(done))
	if p.total >= 0 {
		pct := 100.0
		if p.total > 0 {
			pct = min(100, 100*float64(done)/float64(p.total))
		}
		line += fmt.Sprintf(" / %s records (%.1f%%)", thousands(p.total), pct)
	} else {
		line += " records"
	}
	line += fmt.Sprintf(", %s records/s", thousands(rate))
	fmt.Fprintf(p.out, "\r%s\x1b[K", line)
	p.drawn = true
}

// clear erases the progress line (before other output).
func (p *progress) clear() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.out, "\r\x1b[K")
		p.drawn = false
	}
}

// finish draws the final state and ends the line.
func (p *progress) finish(done int64) {
	if p == nil {
		return
	}
	p.update(done, true)
	fmt.Fprintln(p.out)
}

// thousands formats n with comma separators.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var b []byte
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, c)
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}

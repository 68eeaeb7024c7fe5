# c360: customer 360 GraphQL backend. `make run` and `make test` are all a
# fresh machine needs (Go with cgo for SQLite; PostgreSQL and redis-server
# binaries for the integration tests).

BIN      ?= bin/c360
GOFLAGS  ?=
PORT     ?= 8080
export CGO_ENABLED = 1

.PHONY: run build test bench bench-figures generate check-generated lint audit migrate migrations clean fuzz import export seed bench-api graphiql check-graphiql

build:
	go build $(GOFLAGS) -o $(BIN) .

## run: build and serve on the embedded SQLite default with demo data
run: build
	$(BIN) serve

## import DIR=dir [BATCH=n]: import an NDJSON data set (shared/spec/data-format.md) into DATABASE_URL
import: build
	@test -n "$(DIR)" || (echo "usage: make import DIR=path/to/dataset [BATCH=10000]" && exit 2)
	$(BIN) import $(if $(BATCH),--batch $(BATCH)) $(DIR)

## export DIR=dir: write DATABASE_URL as an NDJSON data set
export: build
	@test -n "$(DIR)" || (echo "usage: make export DIR=path/to/dataset" && exit 2)
	$(BIN) export $(DIR)

## seed CUSTOMERS=n SEED=s OUT=dir [NOW=RFC3339]: generate a deterministic synthetic data set
CUSTOMERS ?= 1000
SEED      ?= 1
OUT       ?= data/seed
seed: build
	$(BIN) seed --customers $(CUSTOMERS) --seed $(SEED) --out $(OUT) $(if $(NOW),--now $(NOW))

## graphiql: rebuild the GraphiQL page embedded in the binary (internal/graphiql/dist, committed)
## from the npm packages pinned in internal/graphiql/web (needs node 20.19+ and npm)
graphiql:
	cd internal/graphiql/web && npm ci --no-audit --no-fund && npm run build

## check-graphiql: CI: the committed page must be what its sources build (the build is reproducible)
check-graphiql: graphiql
	@test -z "$$(git status --porcelain --untracked-files=all -- internal/graphiql/dist)" || (git status --short -- internal/graphiql/dist; echo "internal/graphiql/dist is stale: run make graphiql and commit" && exit 1)

## test: every test, on a real SQLite file and a throwaway PostgreSQL server
test:
	go test -count=1 -timeout 30m ./...

## bench: the API benchmark suite and the figures benchmark (write BENCHMARKS.md;
## BENCH_SCALE=large for 100,000 customers, BENCH_DATABASES=postgres for one database),
## then the other Go benchmarks
bench: bench-api bench-figures
	go test -run '^$$' -bench . -benchmem -timeout 60m $$(go list ./... | grep -v '/internal/loadtest$$')

## bench-api: load a generated data set into SQLite and PostgreSQL and measure Q1/Q2/Q3 over
## loopback HTTP at concurrency 1 and 16 (internal/loadtest); BENCHTIME per scenario
BENCHTIME ?= 5s
bench-api:
	BENCH_REPORT=$(CURDIR)/BENCHMARKS.md \
	BENCH_COMMAND="make bench$(if $(BENCH_SCALE), BENCH_SCALE=$(BENCH_SCALE))$(if $(filter-out 5s,$(BENCHTIME)), BENCHTIME=$(BENCHTIME))" \
	go test -run '^$$' -bench BenchmarkAPI -benchtime $(BENCHTIME) -timeout 60m ./internal/loadtest

## bench-figures: insights, the dashboard (every persona's scores) and a 24-month series
## cold, and the dashboard beside 8 clients writing orders (issue 13; internal/loadtest)
bench-figures:
	BENCH_REPORT=$(CURDIR)/BENCHMARKS.md go test -run '^$$' -bench BenchmarkFigures -benchtime 1x -timeout 90m ./internal/loadtest

## generate: ent client, GraphQL schema and gqlgen executor from the ent schema
generate:
	go generate ./...

## check-generated: fail when generated code is not what the schema produces
check-generated: generate
	@git diff --exit-code -- . || (echo "generated code is stale: run make generate and commit" && exit 1)
	@test -z "$$(git status --porcelain --untracked-files=all -- ent graph schema)" || (git status --short; echo "generate created files that are not committed" && exit 1)

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed" && exit 1)
	go vet ./...

## audit: the graphql-http server audit suite against a freshly started server
audit: build
	./scripts/audit.sh $(BIN)

## migrate: apply pending migrations to DATABASE_URL and exit
migrate: build
	$(BIN) migrate

## migrations NAME=x: write the versioned migration for a schema change (both dialects)
migrations:
	go test ./internal/database -count=1 -run TestMigrationsMatchSchema -update-migrations -migration-name $(NAME)

clean:
	rm -rf bin

FUZZTIME ?= 10s
## fuzz: every go test -fuzz target, briefly (FUZZTIME each; scripts/fuzz.sh)
fuzz:
	./scripts/fuzz.sh ./internal/validate FuzzValidators $(FUZZTIME)
	./scripts/fuzz.sh ./internal/personas FuzzValidate $(FUZZTIME)
	./scripts/fuzz.sh ./internal/ndjson FuzzReader $(FUZZTIME)
	./scripts/fuzz.sh ./internal/importer FuzzFastDecoderPersona $(FUZZTIME)
	./scripts/fuzz.sh ./internal/importer FuzzFastDecoderCustomer $(FUZZTIME)
	./scripts/fuzz.sh ./internal/importer FuzzFastDecoderOrder $(FUZZTIME)
	./scripts/fuzz.sh ./internal/importer FuzzFastDecoderFeedback $(FUZZTIME)
	./scripts/fuzz.sh ./internal/auth FuzzAuthenticate $(FUZZTIME)
	./scripts/fuzz.sh ./internal/querylimit FuzzPrecheck $(FUZZTIME)
	./scripts/fuzz.sh ./internal/server FuzzCompiledMatchesResolvers $(FUZZTIME)

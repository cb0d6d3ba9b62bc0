# Switchboard. `make run` serves on http://127.0.0.1:8080 with data/switchboard.db;
# `make test` runs every test (PostgreSQL ones too when TEST_DATABASE_URL is set).

GO          ?= go
BIN         := bin/switchboard
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.7.0

.PHONY: run build test test-short bench fuzz walkthrough generate check-generated lint clean

run: build
	./$(BIN) serve

build:
	$(GO) build -o $(BIN) ./cmd/switchboard

# -race also checks the concurrency tests; the suite takes about a minute on 2 cores.
test:
	$(GO) test -race -count=1 ./...

test-short:
	$(GO) test -count=1 -short ./...

# Benchmarks behind docs/PERFORMANCE.md.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./internal/api/

# Every fuzz target for FUZZTIME each (make fuzz FUZZTIME=5m); see docs/RELIABILITY.md.
FUZZTIME ?= 20s
fuzz:
	FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

# Runs the README's curl walkthrough against a fresh server and checks the answers.
walkthrough:
	bash scripts/walkthrough.sh

# Nothing is generated from templates yet; this target is where templ and the
# CSS build will run, and check-generated fails CI when their output is stale.
generate:
	$(GO) generate ./...

check-generated: generate
	git diff --exit-code --stat -- . ':!go.sum'

lint:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

clean:
	rm -rf bin

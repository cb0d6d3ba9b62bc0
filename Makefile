# Switchboard. `make run` serves on http://127.0.0.1:8080 with data/switchboard.db;
# `make test` runs every test (PostgreSQL ones too when TEST_DATABASE_URL is set).

GO  ?= go
BIN := bin/switchboard

.PHONY: run build test test-short bench bench-micro fuzz walkthrough generate css check-generated lint clean

run: build
	./$(BIN) serve

build:
	$(GO) build -o $(BIN) ./cmd/switchboard

# -race also checks the concurrency tests; the suite takes about a minute on 2 cores.
test:
	$(GO) test -race -count=1 ./...

test-short:
	$(GO) test -count=1 -short ./...

# The load benchmark of docs/PERFORMANCE.md: the real binary beside a bare
# Fiber reference, 100,000 clients and 1,000,000 calls, one table (about
# 5 minutes on 2 cores; BENCH_FLAGS="-duration 5s -rounds 5" for longer).
bench:
	$(GO) run ./scripts/bench $(BENCH_FLAGS)

# The in-process Go benchmarks of the API (app.Test, no network).
bench-micro:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./internal/api/

# Every fuzz target for FUZZTIME each (make fuzz FUZZTIME=5m); see docs/RELIABILITY.md.
FUZZTIME ?= 20s
fuzz:
	FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

# Runs the README's curl walkthrough against a fresh server and checks the answers.
walkthrough:
	bash scripts/walkthrough.sh

# Go code from the templ views (views/*.templ → views/*_templ.go, when views/
# exists), then every //go:generate directive. Both outputs are committed.
generate:
	if [ -d views ]; then $(GO) tool templ generate -path views; fi
	$(GO) generate ./...

# The console's assets, committed so that `go build` needs no Node.js:
# static/css/app.css from static/css/input.css by Tailwind (it keeps only the
# classes named in views/), and htmx from its npm package. The npm packages
# are installed from package-lock.json when node_modules is missing or older
# than package.json or the lock file (npm writes node_modules/.package-lock.json
# at each install). The same inputs give the same bytes.
NPM_STAMP := node_modules/.package-lock.json

css: $(NPM_STAMP)
	BROWSERSLIST_IGNORE_OLD_DATA=1 npx --no-install tailwindcss -c tailwind.config.js \
		-i static/css/input.css -o static/css/app.css --minify
	cp node_modules/htmx.org/dist/htmx.min.js static/js/htmx.min.js

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Fails when generate or css changed a tracked file or left a new file under
# views/ or static/: their output must be committed with their input. Run it
# on a clean tree (CI does).
check-generated: generate css
	@changed=$$( { git status --porcelain --untracked-files=no -- . ':(exclude)go.sum'; \
		git status --porcelain --untracked-files=all -- views static | grep '^??'; } | sort -u); \
	if [ -n "$$changed" ]; then \
		echo "Generated files are stale or not committed; run 'make generate css' and commit:"; \
		echo "$$changed"; git --no-pager diff --stat -- . ':(exclude)go.sum'; exit 1; \
	fi

# staticcheck is a tool of go.mod (like templ), so its version is pinned
# there and lint needs nothing beyond the module proxy.
lint:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

clean:
	rm -rf bin

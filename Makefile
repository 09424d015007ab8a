# weekplan — `make help` lists the targets.
SHELL := /bin/bash
GO    ?= go
BIN   := bin/weekplan

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

.PHONY: build
build: ## build bin/weekplan
	$(GO) build -o $(BIN) ./cmd/weekplan

.PHONY: run
run: build ## the batch job on the demo school: schema, import, run, rosters (DATABASE_URL, else the local server, else a throwaway cluster)
	./$(BIN) demo --out out

.PHONY: test
test: ## vet, the whole suite with the race detector on a real PostgreSQL (TEST_DATABASE_URL), then FUZZTIME_SHORT (5s) of every fuzz target
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 9m ./...
	$(call fuzz-all,$(FUZZTIME_SHORT))

.PHONY: fuzz
fuzz: ## long fuzzing runs of every fuzz target (FUZZTIME each, default 2m), with the executions run per target
	$(call fuzz-all,$(FUZZTIME))

FUZZTIME       ?= 2m
FUZZTIME_SHORT ?= 5s

# fuzz-all fuzzes every Fuzz target of the module (every "func Fuzz..." of a
# _test.go file) for $(1) each, one after the other, and ends with a table of
# the executions each ran (the last "execs:" that go test printed). A failure
# prints go test's output, which names the failing input saved under
# testdata/fuzz, and stops. A bare "context deadline exceeded" at the end of
# the time with no failing input written is go.dev/issue/75804, a race in the
# fuzz coordinator of Go before 1.27, and is not counted as a failure.
define fuzz-all
	@summary=$$(mktemp); trap 'rm -f $$summary' EXIT; \
	for f in $$(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do \
	  pkg=./$$(dirname $${f#./}); \
	  for t in $$(grep -oE '^func Fuzz[A-Za-z0-9_]*' $$f | sed 's/^func //'); do \
	    echo "== fuzz $$pkg $$t for $(1)"; \
	    out=$$($(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(1) $$pkg 2>&1); rc=$$?; \
	    execs=$$(printf '%s\n' "$$out" | grep -oE 'execs: [0-9]+' | tail -n 1 | grep -oE '[0-9]+'); \
	    printf '%-24s %-20s %12s\n' "$$pkg" "$$t" "$${execs:-?}" >> $$summary; \
	    if [ $$rc -ne 0 ] && printf '%s\n' "$$out" | grep -q 'context deadline exceeded' \
	         && ! printf '%s\n' "$$out" | grep -q 'Failing input written'; then \
	      echo "   (go.dev/issue/75804: go1.26's fuzz coordinator reported its own deadline; no failing input, not a failure)"; rc=0; \
	    fi; \
	    if [ $$rc -ne 0 ]; then printf '%s\n' "$$out"; echo "FAIL: fuzz $$pkg $$t"; exit 1; fi; \
	  done; \
	done; \
	echo "== fuzzing: executions per target ($(1) each)"; \
	printf '%-24s %-20s %12s\n' PACKAGE TARGET EXECUTIONS; cat $$summary

endef

.PHONY: bench
bench: build ## Go benchmarks of the hot paths, then every benchmark and generated school solved; rewrites docs/benchmarks.md
	$(GO) test -run '^$$' -bench . -benchtime 1x -count 1 ./solver/...
	./$(BIN) bench --out docs/benchmarks.md

.PHONY: clean
clean: ## remove build and demo output
	rm -rf bin out

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
test: ## vet and the whole test suite with the race detector, on a real PostgreSQL (TEST_DATABASE_URL)
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 9m ./...

.PHONY: fuzz
fuzz: ## long fuzzing runs of every fuzz target (FUZZTIME each, default 2m)
	@$(GO) list -f '{{.ImportPath}}' ./... | while read -r pkg; do \
	  for t in $$($(GO) test -list 'Fuzz.*' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $${FUZZTIME:-2m} $$pkg || exit 1; \
	  done; \
	done

.PHONY: bench
bench: build ## Go benchmarks of the hot paths, then every benchmark and generated school solved; rewrites docs/benchmarks.md
	$(GO) test -run '^$$' -bench . -benchtime 1x -count 1 ./solver/...
	./$(BIN) bench --out docs/benchmarks.md

.PHONY: clean
clean: ## remove build and demo output
	rm -rf bin out

# Flowkiwi platform. `make run` starts both services; `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO        ?= go
BIN       := $(CURDIR)/bin
DATA      := $(CURDIR)/.data
PGPORT    ?= 5432
PG_URL    ?= postgres://postgres@127.0.0.1:$(PGPORT)
MODULES   := pkg db services/identity services/product-management
# Generator runs use the tools module alone, so bumping a service dependency never changes output.
GEN_DIRS  := pkg/api/common pkg/clients/identity pkg/clients/productmanagement services/identity/internal/api services/product-management/internal/api

export GOFLAGS := -buildvcs=false

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

.PHONY: generate
generate: ## regenerate Go code and the published bundles from openapi/*.yaml
	@for d in $(GEN_DIRS); do (cd $$d && GOWORK=off $(GO) generate ./...) || exit 1; done
	@cd tools && for s in identity product-management; do \
		GOWORK=off $(GO) run ./bundle -in ../openapi/$$s.yaml -out ../services/$$s/internal/api/openapi.gen.yaml || exit 1; done

.PHONY: check-generated
check-generated: generate ## fail when committed generated code is stale
	@git diff --exit-code -- '*.gen.go' '*.gen.yaml' || { echo "generated code is stale: run 'make generate' and commit"; exit 1; }
	@test -z "$$(git ls-files --others --exclude-standard -- '*.gen.go' '*.gen.yaml')" || { echo "untracked generated files"; exit 1; }

.PHONY: build
build: ## build bin/identity and bin/product-management
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/identity ./services/identity/cmd/identity
	$(GO) build -o $(BIN)/pgcluster ./pkg/pgcluster/cmd/pgcluster
	@if [ -d services/product-management/cmd/product-management ]; then $(GO) build -o $(BIN)/product-management ./services/product-management/cmd/product-management; fi

.PHONY: lint
lint: lint-specs ## vet, gofmt, staticcheck (pinned in tools/go.mod) and spec lint
	@test -z "$$(gofmt -l $(MODULES) tools)" || { gofmt -l $(MODULES) tools; echo "gofmt needed"; exit 1; }
	@for m in $(MODULES); do (cd $$m && $(GO) vet ./...) || exit 1; done
	@cd tools && GOWORK=off $(GO) build -o $(BIN)/staticcheck honnef.co/go/tools/cmd/staticcheck
	@# Generated files (*.gen.go) are oapi-codegen's to fix, not ours.
	@for m in $(MODULES); do out=$$(cd $$m && $(BIN)/staticcheck ./... 2>&1 | grep -v '\.gen\.go:'); \
		if [ -n "$$out" ]; then echo "staticcheck $$m:"; echo "$$out"; exit 1; fi; done

.PHONY: lint-specs
lint-specs: ## validate the OpenAPI documents (kin-openapi, and Redocly CLI when npm is available)
	@for f in openapi/*.yaml; do \
		(cd tools && GOWORK=off $(GO) tool validate -ext -multi -- ../$$f) || exit 1; done
	@bash tools/lint-specs.sh

.PHONY: breaking
breaking: ## fail on breaking spec changes against the previous commit unless versioned in openapi/CHANGELOG.md
	@bash tools/breaking.sh

.PHONY: deploy-check
deploy-check: ## render the Kubernetes overlays (kustomize) and check them; run the Dockerfiles' go build steps
	@bash tools/check-deploy.sh

.PHONY: test
test: check-generated lint breaking deploy-check test-deps test-go ## every check and every test (unit, integration, fuzz seeds) against real PostgreSQL

# The race detector runs again the tests of what is concurrent: the coalescer, the decoded and
# kept caches, webhook dispatch, idempotency, the access and token caches, periodic upkeep.
RACE_PKG      := ./periodic ./idempotency ./accesstoken ./requestvalidation ./eventfeed
RACE_PM       := ./internal/webhook ./internal/access ./internal/postgres ./internal/httpapi
RACE_PM_TESTS := ItemRead|ItemLookups|Decoded|Dispatch|Deliver|Access|Check|Webhook|Concurrent|Kept|Idempotent

.PHONY: test-deps
test-deps: ## install or find what the tests need beyond Go and PostgreSQL (Chromium)
	@bash tools/test-deps.sh

.PHONY: test-go
test-go: ## the Go tests of every module, then the concurrent ones again with -race, with a count of what ran (gotestsum)
	@cd tools && GOWORK=off $(GO) build -o $(BIN)/gotestsum gotest.tools/gotestsum
	@mkdir -p $(DATA)/test && rm -f $(DATA)/test/summary
	@status=0; for m in $(MODULES); do \
		(cd $$m && $(BIN)/gotestsum --format pkgname --jsonfile $(DATA)/test/$$(echo $$m | tr / _).json \
			--post-run-command "bash $(CURDIR)/tools/test-summary.sh add $$m $(DATA)/test/summary" \
			-- -count=1 $$($(GO) list ./... | grep -v '/faults$$')) || status=1; \
	done; \
	(cd pkg && $(BIN)/gotestsum --format pkgname --jsonfile $(DATA)/test/race-pkg.json \
		--post-run-command "bash $(CURDIR)/tools/test-summary.sh add race:pkg $(DATA)/test/summary" \
		-- -race -count=1 $(RACE_PKG)) || status=1; \
	(cd services/product-management && $(BIN)/gotestsum --format pkgname --jsonfile $(DATA)/test/race-pm.json \
		--post-run-command "bash $(CURDIR)/tools/test-summary.sh add race:product-management $(DATA)/test/summary" \
		-- -race -count=1 -run '$(RACE_PM_TESTS)' $(RACE_PM)) || status=1; \
	(cd services/product-management && $(BIN)/gotestsum --format pkgname --jsonfile $(DATA)/test/faults.json \
		--post-run-command "bash $(CURDIR)/tools/test-summary.sh add faults $(DATA)/test/summary" \
		-- -count=1 -timeout 30m ./faults) || status=1; \
	bash tools/test-summary.sh print $(DATA)/test/summary; exit $$status

.PHONY: test-faults
test-faults: ## the fault suite alone: real processes killed, stalled and cut off (make test runs it too, after the other tests, alone: its timings need the machine)
	@cd services/product-management && $(GO) test -count=1 -timeout 30m -v ./faults

SOAK ?= 30m
.PHONY: soak
soak: ## the fault suite repeated in random order for SOAK (30m), watching both services' resources; stops by itself
	@cd services/product-management && SOAK=$(SOAK) $(GO) test -count=1 -v -timeout 4h -run '^TestFaultSuite$$' ./faults

.PHONY: bench
bench: ## run the benchmarks
	@for m in $(MODULES); do (cd $$m && $(GO) test -run '^$$' -bench . -benchmem ./...) || exit 1; done

.PHONY: bench-import
bench-import: build ## catalog sync at bulk speed: import, re-import and export of 100,000 products beside the single create and COPY, in one run
	@bash tools/bench/import.sh

.PHONY: bench-http
bench-http: build ## throughput of the storefront reads and creates (wrk) against pgbench -S in the same run
	@bash tools/bench/http.sh

.PHONY: run
run: build ## start both services on a local database and print a demo partner's two export lines
	@bash tools/run.sh

.PHONY: reset
reset: ## drop make run's databases (flowkiwi_identity, flowkiwi_product_management): the next make run starts empty
	@bash tools/run.sh reset

.PHONY: clean
clean: ## stop the private database clusters, remove them and the build output
	@if [ -x $(BIN)/pgcluster ]; then $(BIN)/pgcluster stop --dir $(DATA)/pg; $(BIN)/pgcluster stop --dir $(DATA)/testdb-pg; fi
	rm -rf $(BIN) $(DATA)

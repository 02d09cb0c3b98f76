# Tessera. A bare `make` lists the targets.
GO        ?= go
BIN       := bin/tessera
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
FUZZTIME  ?= 5s
PKGS      := ./...

.DEFAULT_GOAL := help

.PHONY: help build run test test-unit fuzz-short fuzz e2e chaos bench lint deploy-check clean

help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-zA-Z0-9_-]+:.*## /{printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/tessera
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/tessera

run: build ## start one node on 127.0.0.1:9000 with data in ./tessera-data
	./$(BIN) server

test: test-unit fuzz-short e2e ## the whole suite: unit and client tests, short fuzz runs, end-to-end scripts

test-unit: ## Go tests (aws-sdk-go-v2 client tests, fault tests, allocation tests)
	$(GO) test -count=1 -timeout 15m $(PKGS)

fuzz-short: ## run every fuzz target for FUZZTIME (default 5s)
	@./scripts/fuzz.sh $(FUZZTIME)

fuzz: ## run every fuzz target for 2 minutes
	@./scripts/fuzz.sh 2m

e2e: build ## end-to-end scripts: aws CLI, boto3, s3cmd, rclone against the built binary
	./tests/e2e/run.sh $(BIN)

chaos: ## long randomized fault test (CHAOS_DURATION, default 5m; seed printed, CHAOS_SEED to replay)
	$(GO) test -count=1 -timeout 60m -run TestChaosIdentity -v ./node -chaos.duration=$${CHAOS_DURATION:-5m}

bench: ## micro-benchmarks of the hot paths
	$(GO) test -run='^$$' -bench=. -benchmem $(PKGS)

lint: deploy-check ## gofmt, go vet, go mod tidy must be clean; deploy files valid
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	@cp go.mod /tmp/tessera-go.mod.bak; cp go.sum /tmp/tessera-go.sum.bak; \
	$(GO) mod tidy; \
	if ! git diff --quiet -- go.mod go.sum; then echo "go mod tidy changed go.mod/go.sum"; git diff -- go.mod go.sum | head -40; cp /tmp/tessera-go.mod.bak go.mod; cp /tmp/tessera-go.sum.bak go.sum; exit 1; fi

deploy-check: build ## check deploy/: haproxy -c and systemd-analyze verify, where installed
	@if command -v haproxy >/dev/null; then haproxy -c -q -f deploy/haproxy.cfg && echo "deploy/haproxy.cfg: valid"; else echo "haproxy not installed: skipped"; fi
	@if command -v systemd-analyze >/dev/null; then \
		d=$$(mktemp -d); sed "s|/usr/local/bin/tessera|$(CURDIR)/$(BIN)|" deploy/tessera.service > $$d/tessera.service; \
		out=$$(systemd-analyze verify $$d/tessera.service 2>&1 | grep -v -e 'Failed to .*bus' -e 'EnvironmentFile' ); rm -rf $$d; \
		if [ -n "$$out" ]; then echo "$$out"; exit 1; fi; echo "deploy/tessera.service: valid"; \
	else echo "systemd-analyze not installed: skipped"; fi

clean: ## remove build output
	rm -rf bin

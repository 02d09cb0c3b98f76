# Tessera. A bare `make` lists the targets.
GO        ?= go
BIN       := bin/tessera
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
FUZZTIME  ?= 5s
PKGS      := ./...

.DEFAULT_GOAL := help

.PHONY: help build run test test-unit race fuzz-short fuzz e2e cluster cluster-stop chaos bench lint deploy-check clean

help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-zA-Z0-9_-]+:.*## /{printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/tessera
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/tessera

run: build ## start one node on 127.0.0.1:9000 with data in ./tessera-data
	./$(BIN) server

test: test-unit fuzz-short e2e ## the whole suite: unit and client tests, short fuzz runs, end-to-end scripts

test-unit: ## Go tests (aws-sdk-go-v2 client tests, fault tests, allocation tests)
	$(GO) test -count=1 -timeout 15m $(PKGS)

race: ## Go tests under the race detector (slower; not part of make test)
	$(GO) test -race -count=1 -timeout 25m $(PKGS)

fuzz-short: ## run every fuzz target for FUZZTIME (default 5s)
	@./scripts/fuzz.sh $(FUZZTIME)

fuzz: ## run every fuzz target for 2 minutes
	@./scripts/fuzz.sh 2m

e2e: build ## end-to-end scripts: aws CLI, boto3, s3cmd, rclone against the built binary
	./tests/e2e/run.sh $(BIN)

cluster: build ## start 3 local nodes + haproxy on 127.0.0.1:9000 (deploy/local-cluster/run.sh)
	./deploy/local-cluster/run.sh start

cluster-stop: ## stop the local cluster
	./deploy/local-cluster/run.sh stop

chaos: ## long randomized fault test (CHAOS_DURATION, default 5m; seed printed, CHAOS_SEED to replay)
	$(GO) test -count=1 -timeout 60m -run TestChaosIdentity -v ./node -chaos.duration=$${CHAOS_DURATION:-5m}

# make bench: results go to BENCH_DIR (micro.txt, suite.txt, suite.json; data/node.log);
# the node's data and the disk baseline's file go under BENCH_DIR/data, so point
# BENCH_DIR at the disk to measure. BENCH_FLAGS are passed to `tessera bench suite`
# (e.g. BENCH_FLAGS='--duration 30s --profile-dir tmp/bench/profiles').
BENCH_DIR   ?= tmp/bench
BENCHTIME   ?= 200ms
BENCH_PKGS  := ./s3api/sigv4/ ./iam/ ./node/ ./raftfsm/ ./erasure/
BENCH_FLAGS ?=

bench: build ## hot-path micro-benchmarks, then baselines and a node started here, each figure as a ratio to its baseline (README: Reading make bench)
	@mkdir -p $(BENCH_DIR)
	@{ $(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) $(BENCH_PKGS) 2>&1; echo $$? > $(BENCH_DIR)/micro.rc; } | tee $(BENCH_DIR)/micro.txt
	@test "$$(cat $(BENCH_DIR)/micro.rc)" = 0 || { echo "make bench: micro-benchmarks failed"; exit 1; }
	@./$(BIN) bench suite --data-dir $(BENCH_DIR)/data --micro $(BENCH_DIR)/micro.txt --json $(BENCH_DIR)/suite.json $(BENCH_FLAGS) > $(BENCH_DIR)/suite.txt; \
	rc=$$?; cat $(BENCH_DIR)/suite.txt; exit $$rc

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

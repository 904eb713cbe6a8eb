# Concord's build and test entry points. `make test` is what CI runs.

GO ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build run test lint bench bench-deploy chaos scale

build:
	$(GO) build -o concord ./cmd/concord

run:
	$(GO) run ./cmd/concord agent -dev

# lint: formatting, vet and staticcheck; any finding fails the build.
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# test: lint, then every test with the race detector.
test: lint
	$(GO) test -race -count=1 -timeout 20m ./...

# chaos: the fault-injection suite (test/chaos: kill -9, SIGSTOP, partitions;
# linearizability, lost writes, lock fencing) with long fault phases; `make
# test` runs it short. CHAOS_DURATION per test, CHAOS_FAULTS to pick faults
# (e.g. pause,kill), CHAOS_SEED to replay the nemesis's choices, and
# CONCORD_ARTIFACTS=dir to keep failing histories there.
CHAOS_DURATION ?= 5m
chaos:
	$(GO) test -race -count=1 -timeout 120m -v ./test/chaos/ -chaos.duration=$(CHAOS_DURATION) \
		$(if $(CHAOS_FAULTS),-chaos.faults=$(CHAOS_FAULTS)) $(if $(CHAOS_SEED),-chaos.seed=$(CHAOS_SEED))

# bench: the standard benchmark (scripts/bench.sh): a durable single server,
# concord bench runs with 1 to 64 clients, memory with 100k and 1M keys;
# writes bench/results.md. BENCH_DURATION, BENCH_SET, BENCH_MEM_KEYS tune it.
# Then the deployment-path set (bench-deploy). The in-process benchmarks:
# go test -run '^$' -bench . ./internal/agent/
bench:
	GO=$(GO) scripts/bench.sh
	GO=$(GO) scripts/bench-deploy.sh

# bench-deploy: 3 servers + 1 client agent, 64 clients through the agent and
# spread over the servers (scripts/bench-deploy.sh); replaces its section of
# bench/results.md. BENCH_CONSUL=path/to/consul runs Consul's same topology
# in the same run with ratio columns; BENCH_PROFILE=dir keeps CPU profiles.
bench-deploy:
	GO=$(GO) scripts/bench-deploy.sh

# scale: the scale harness (scripts/scale.sh): 5 servers and 100 client
# agents as processes on their own loopback addresses; convergence,
# failure detection, fan-out, memory, a 10,000-instance catalog; writes
# its section of bench/results.md. SCALE_* settings tune it (see the
# script); `make test` runs the short version (test/scale).
scale:
	GO=$(GO) scripts/scale.sh

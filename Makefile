# Concord's build and test entry points. `make test` is what CI runs.

GO ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build run test lint bench

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

# bench: the standard benchmark (scripts/bench.sh): a durable single server,
# concord bench runs with 1 to 64 clients, memory with 100k and 1M keys;
# writes bench/results.md. BENCH_DURATION, BENCH_SET, BENCH_MEM_KEYS tune it.
# The in-process benchmarks: go test -run '^$' -bench . ./internal/agent/
bench:
	GO=$(GO) scripts/bench.sh

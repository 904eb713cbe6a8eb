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

# bench: the throughput benchmarks through a real agent (KV with 1/16/64
# clients, locks, registrations, health, DNS).
bench:
	$(GO) test -run '^$$' -bench . -benchtime 3s ./internal/agent/

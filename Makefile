# cellfabric: `make test` is the one test command (README, .ci/run).
GO ?= go
NPM ?= npm
STATICCHECK_VERSION ?= v0.6.1
# workerd, the Workers runtime the edge Worker's runtime tests run in: the npm
# package pinned by package-lock.json in this directory.
WORKERD_DIR := cmd/edgeworker/workerd

.PHONY: test test-go test-race test-wasm workerd emulators bench bench-edge lint fmt

# Local implementations of the clouds' data APIs the state adapters' tests
# run against (dynalite, azurite, a Firestore emulator): each adapter's
# emulator.mk adds its install stamp to EMULATORS.
EMULATORS :=
-include $(wildcard workload/state/*/emulator.mk)

test: workerd emulators test-go test-race test-wasm

# Install every emulator exactly as locked.
emulators: $(EMULATORS)

# Install workerd exactly as locked (npm ci); again only when the lock changes.
workerd: $(WORKERD_DIR)/node_modules/.package-lock.json

$(WORKERD_DIR)/node_modules/.package-lock.json: $(WORKERD_DIR)/package.json $(WORKERD_DIR)/package-lock.json
	$(NPM) ci --prefix $(WORKERD_DIR) --no-audit --no-fund --loglevel=error

# Every package's tests, with vet first (go test runs a subset of vet too).
test-go: workerd emulators
	$(GO) vet ./...
	$(GO) test -count=1 ./...

# The router is concurrent code on the request path: run it under -race.
test-race:
	$(GO) test -count=1 -race ./router/...

# The router's decision core must build for the Cloudflare Worker, and the
# Worker itself (without net/http: the cellfabric_nonethttp tag) must vet.
test-wasm:
	GOOS=js GOARCH=wasm $(GO) build ./router/...
	GOOS=js GOARCH=wasm $(GO) vet -tags cellfabric_nonethttp ./cmd/edgeworker

# The router against nginx, Caddy and HAProxy, reloads under load, a dead
# cell and client faults under load (bench/run.sh; results in BENCHMARKS.md).
bench:
	bash bench/run.sh

# The edge Worker's size, cold start, CPU and latency in workerd
# (BENCHMARKS.md, "Edge Worker").
bench-edge: workerd
	$(GO) run ./cmd/edgeworker/bench -n 2000 -cold 5

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

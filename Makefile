# cellfabric: `make test` is the one test command (README, .ci/run); `make
# help` lists the targets. A target's `## ` comment is its line in `make help`.
GO ?= go
NPM ?= npm
STATICCHECK_VERSION ?= v0.6.1
# workerd, the Workers runtime the edge Worker's runtime tests run in: the npm
# package pinned by package-lock.json in this directory.
WORKERD_DIR := cmd/edgeworker/workerd

.PHONY: test help build test-go test-race test-wasm workerd emulators promtool bench bench-edge bench-directory bench-import lint fmt

# The first build compiles the Pulumi SDKs of three clouds: minutes, and a
# few GiB of memory (README, Quick start); later builds come from Go's cache.
FIRST_BUILD_NOTE := the first build compiles the Pulumi cloud SDKs and takes several minutes; later ones are fast

# Local implementations of the clouds' data APIs the state adapters' tests
# run against (dynalite, azurite, a Firestore emulator): each adapter's
# emulator.mk adds its install stamp to EMULATORS.
EMULATORS :=
-include $(wildcard workload/state/*/emulator.mk)

test: workerd emulators promtool test-go test-race test-wasm ## every test, vet first: what CI runs (.ci/run)

help: ## list the targets and what they do
	@awk -F ':.*## ' '/^[a-zA-Z_-]+:.*## / { printf "  %-11s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

build: ## build bin/cellfabric, listing each package it compiles
	@echo "building bin/cellfabric: $(FIRST_BUILD_NOTE)"
	$(GO) build -v -o bin/cellfabric ./cmd/cellfabric

emulators: $(EMULATORS) ## install the emulators of the clouds' data APIs (npm ci)

# promtool checks and unit-tests the Prometheus rules `cellfabric observe`
# generates (the observe package's tests run it). Debian's prometheus
# package ships it: installed with apt-get (as root, or through sudo) only
# when promtool is not on PATH already, so a machine without apt-get passes
# with a promtool of its own (any 2.x). On a machine with systemd, the
# package also starts a Prometheus server on :9090: `systemctl disable
# --now prometheus` stops it; the tests need promtool only.
promtool: ## install promtool (Debian's prometheus package) unless it is on PATH
	@if command -v promtool >/dev/null 2>&1; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "promtool is missing and there is no apt-get here: install Prometheus 2.x's promtool and put it on PATH"; exit 1; \
	fi; \
	sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	echo "installing promtool: apt-get install prometheus (Debian's package ships it)"; \
	$$sudo apt-get update && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y --no-install-recommends prometheus

# Install workerd exactly as locked (npm ci); again only when the lock changes.
workerd: $(WORKERD_DIR)/node_modules/.package-lock.json ## install workerd, the Workers runtime, from npm

$(WORKERD_DIR)/node_modules/.package-lock.json: $(WORKERD_DIR)/package.json $(WORKERD_DIR)/package-lock.json
	$(NPM) ci --prefix $(WORKERD_DIR) --no-audit --no-fund --loglevel=error

# Every package's tests, with vet first (go test runs a subset of vet too).
test-go: workerd emulators promtool ## go vet and go test of every package
	@echo "go vet ./...: $(FIRST_BUILD_NOTE)"
	$(GO) vet ./...
	$(GO) test -count=1 ./...

# The router is concurrent code on the request path: run it under -race.
test-race: ## the router's tests under -race
	$(GO) test -count=1 -race ./router/...

# The router's decision core must build for the Cloudflare Worker, and the
# Worker itself (without net/http: the cellfabric_nonethttp tag) must vet.
test-wasm: ## the router's decision core and the Worker built for wasm
	GOOS=js GOARCH=wasm $(GO) build ./router/...
	GOOS=js GOARCH=wasm $(GO) vet -tags cellfabric_nonethttp ./cmd/edgeworker

# The router against nginx, Caddy and HAProxy, reloads under load, a dead
# cell and client faults under load (bench/run.sh; results in BENCHMARKS.md).
bench: ## the router against nginx, Caddy and HAProxy (bench/run.sh)
	bash bench/run.sh

# The edge Worker's size, cold start, CPU and latency in workerd
# (BENCHMARKS.md, "Edge Worker").
bench-edge: workerd ## the edge Worker's size, cold start, CPU and latency in workerd
	$(GO) run ./cmd/edgeworker/bench -n 2000 -cold 5

# The Worker over a tenant directory of 1k and 1M tenants (BENCHMARKS.md,
# "Tenant directory (Worker)"); about 15 s of CPU.
bench-directory: workerd ## the edge Worker's cold start, memory and lookup cost with 1k and 1M directory tenants
	$(GO) run ./cmd/edgeworker/bench -directory -n 2000 -cold 5 -requests 3000

# cellfabric tenants import of 100k tenants through the Worker's control API,
# then one killed part-way and run again (BENCHMARKS.md, "Tenant import
# through the Worker"); about 2 minutes of load. IMPORT=1000000 for the
# target's million (about 8 minutes).
IMPORT ?= 100000
bench-import: workerd ## cellfabric tenants import through the Worker in workerd: rate, CPU, and a killed import resumed
	$(GO) run ./cmd/edgeworker/bench -import $(IMPORT)

lint: ## gofmt, go vet and staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

fmt: ## gofmt every Go file in place
	gofmt -w $$(git ls-files '*.go')

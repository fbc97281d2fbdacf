# cellfabric: `make test` is the one test command (README, .ci/run).
GO ?= go
STATICCHECK_VERSION ?= v0.6.1

.PHONY: test test-go test-race test-wasm lint fmt

test: test-go test-race test-wasm

# Every package's tests, with vet first (go test runs a subset of vet too).
test-go:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

# The router is concurrent code on the request path: run it under -race.
test-race:
	$(GO) test -count=1 -race ./router/...

# The router's decision core must build for the Cloudflare Worker.
test-wasm:
	GOOS=js GOARCH=wasm $(GO) build ./router/...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

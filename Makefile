# dwshim — see README.md. Every target installs what it needs, idempotently.
SHELL := /bin/bash
GO ?= go
BIN := bin/dwshim
# The reference data (corpus, spec), found in this order: $DWSHIM_SHARED,
# ../shared, and, in a clone of a local checkout (git clone . /tmp/x), the
# shared/ beside the checkout it was cloned from.
ORIGIN := $(shell git config --get remote.origin.url 2>/dev/null)
SHARED ?= $(or $(DWSHIM_SHARED),$(patsubst %/corpus,%,$(firstword $(wildcard $(abspath ../shared)/corpus $(if $(filter /%,$(ORIGIN)),$(abspath $(ORIGIN)/../shared)/corpus)))),$(abspath ../shared))
export DWSHIM_SHARED := $(SHARED)

.PHONY: all build dist test shared-check test-env test-go jsone-spec vet fmt-check tidy-check bench fuzz soak demo demo-worker clean tools

# The real worker-runner the tests run dwshim under: start-worker from the
# v44 module, built from the separate tools module (tools/go.mod) into the
# gitignored .tools/bin. Idempotent: go build is a no-op when up to date.
START_WORKER := $(abspath .tools/bin/start-worker)
export DWSHIM_START_WORKER := $(START_WORKER)

all: build

build:
	$(GO) build -trimpath -o $(BIN) ./cmd/dwshim

# dist: the release artifacts in dist/, reproducibly (tools/dist): a static
# stamped bin, a tarball and a .deb (nfpm). VERSION=x.y.z to name a release.
dist:
	$(GO) -C tools/dist run . -root $(CURDIR) -out $(CURDIR)/dist $(if $(VERSION),-version $(VERSION))

# test: install and start what the tests need, then run every test.
test: shared-check test-env tools fmt-check tidy-check vet test-go jsone-spec

# shared-check: the tests read the reference data; without it they would
# skip, so make test stops and says where it looked.
shared-check:
	@test -d "$(SHARED)/corpus" || { echo "make test: the reference data (shared/: corpus, spec) is not at $(SHARED): put it beside the checkout or set DWSHIM_SHARED=DIR" >&2; exit 2; }

tools:
	cd tools && $(GO) build -trimpath -o $(START_WORKER) github.com/taskcluster/taskcluster/v44/tools/worker-runner/cmd/start-worker

test-env:
	bash scripts/test-env.sh

# tidy-check: go.mod/go.sum are exactly what the imports need (direct
# requirements not marked // indirect).
tidy-check:
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	$(GO) -C tools/dist vet .

# The worker's Docker soak runs at the issue's full size (200 tasks, 20%
# injected queue faults) in make test; about two minutes on 2 cores.
test-go:
	DWSHIM_E2E_SOAK_TASKS=$${DWSHIM_E2E_SOAK_TASKS:-200} $(GO) test -count=1 -timeout 30m ./...

# jsone-spec: JSON-e's specification suite, with the count of cases passed.
jsone-spec:
	@set -o pipefail; $(GO) test -count=1 -run '^TestSpecification$$' -v ./jsone | grep -E '^\s+spec_test.go:[0-9]+: specification:' | sed 's/^ *spec_test.go:[0-9]*: /jsone /'

bench: build
	bash scripts/bench.sh

fuzz:
	bash scripts/fuzz.sh

# soak: the worker soaks at full size (200 tasks on Docker, 2000 against the fake)
# and the fleet test with 8 workers and 120 tasks.
soak: test-env
	DWSHIM_SOAK_TASKS=2000 DWSHIM_E2E_SOAK_TASKS=200 $(GO) test -count=1 -timeout 30m -run Soak ./worker
	DWSHIM_FLEET_WORKERS=8 DWSHIM_FLEET_TASKS=120 $(GO) test -count=1 -timeout 30m -run TestFleet ./internal/fleet

# demo-worker: the queue double and `dwshim run`, one sample task, its log
# and artifacts (written under artifacts/demo-worker).
demo-worker: build
	bash scripts/test-env.sh images
	$(GO) run ./internal/cmd/demo-worker --dwshim $(BIN) --task testdata/examples/hello.yml --out artifacts/demo-worker

demo: build
	bash scripts/test-env.sh images
	./$(BIN) local --artifacts artifacts testdata/examples/hello.yml

clean:
	rm -rf bin artifacts dist .tools

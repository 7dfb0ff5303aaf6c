# krest: `make run` starts the proxy on :8082 (embedded dev Kafka when no
# bootstrap.servers is set); `make test` installs what it needs, starts a real
# single-node Apache Kafka broker and runs every test, lint and a short fuzz.

GO               ?= go
STATICCHECK      ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOBIN            ?= $(shell $(GO) env GOPATH)/bin
FUZZTIME         ?= 30000x
ARGS             ?=
WITH_BROKER      := .ci/kafka/with-broker.sh

.PHONY: all build run test unit lint deps kafka-jars fuzz faults allocs jaeger bench bench-quick profiles clean image release goreleaser-tool sbom-tool

all: build

# The release build feeds the merged CPU profile of `make profiles` to Go's
# profile-guided optimisation.
PGO := $(if $(wildcard profiles/merged.pprof),-pgo=profiles/merged.pprof,-pgo=off)

# grpc reaches krest only through the OTLP exporter's generated code and is
# never dialled or served; grpcnotrace drops its request tracing
# (golang.org/x/net/trace, and with it html/template): 0.6 MB of the binary.
# .goreleaser.yaml passes the same tag.
BUILD_TAGS       := grpcnotrace

# krest -version prints these: builds here run with -buildvcs=false, so the
# linker stamps them (make release stamps its own from goreleaser).
VERSION          ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT           ?= $(shell git rev-parse HEAD 2>/dev/null)
DATE             ?= $(shell git log -1 --format=%cI 2>/dev/null)
STAMP            := -X github.com/krest-dev/krest/proxy/metrics.Version=$(VERSION) \
                    -X github.com/krest-dev/krest/proxy/metrics.Commit=$(COMMIT) \
                    -X github.com/krest-dev/krest/proxy/metrics.Date=$(DATE)

# Release tools, go-installed into ~/.cache/krest/release-tools, a directory
# per version (goreleaser v2.18 needs a newer Go). cyclonedx-gomod writes the
# SBOMs from the module graph (its first build: about 1 CPU-minute, where
# syft's took ~7).
GORELEASER_VERSION := v2.17.0
CYCLONEDX_VERSION := v1.10.0
TOOLS            := $(HOME)/.cache/krest/release-tools
GORELEASER_BIN   := $(TOOLS)/goreleaser-$(GORELEASER_VERSION)
CYCLONEDX_BIN    := $(TOOLS)/cyclonedx-gomod-$(CYCLONEDX_VERSION)
IMAGE            ?= krest

build:
	$(GO) build -tags $(BUILD_TAGS) $(PGO) -ldflags "$(STAMP)" -o bin/krest ./cmd/krest

## image: the container image $(IMAGE) (FROM scratch): a static PGO build staged with CA certificates, user 65532 and /tmp, then docker build
image:
	rm -rf bin/image
	mkdir -p bin/image/rootfs/usr/bin bin/image/rootfs/etc/ssl/certs bin/image/rootfs/tmp
	CGO_ENABLED=0 $(GO) build -tags $(BUILD_TAGS) $(PGO) -trimpath -ldflags "-s -w $(STAMP)" -o bin/image/rootfs/usr/bin/krest ./cmd/krest
	cp /etc/ssl/certs/ca-certificates.crt bin/image/rootfs/etc/ssl/certs/
	cp deploy/image/passwd deploy/image/group bin/image/rootfs/etc/
	chmod 1777 bin/image/rootfs/tmp
	docker build -t $(IMAGE) .

## release: linux amd64/arm64 archives, .deb and .rpm with the systemd unit, checksums.txt and a CycloneDX SBOM per binary in dist/ (a snapshot unless HEAD is tagged; nothing is published)
# goreleaser drops the commit and its date in a clone without a remote (CI's
# is one): git then gets the project's URL from the environment.
# RELEASE_SKIP=publish,sbom leaves out the SBOMs.
RELEASE_SKIP     ?= publish
release: goreleaser-tool $(if $(findstring sbom,$(RELEASE_SKIP)),,sbom-tool)
	$(if $(shell git remote),,GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url GIT_CONFIG_VALUE_0=https://github.com/krest-dev/krest.git) \
	PATH="$(GORELEASER_BIN):$(CYCLONEDX_BIN):$$PATH" goreleaser release --clean --skip=$(RELEASE_SKIP) $(if $(shell git describe --tags --exact-match 2>/dev/null),,--snapshot)

goreleaser-tool:
	@test -x $(GORELEASER_BIN)/goreleaser || GOBIN=$(GORELEASER_BIN) GOFLAGS=-buildvcs=false $(GO) install github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION)

sbom-tool:
	@test -x $(CYCLONEDX_BIN)/cyclonedx-gomod || GOBIN=$(CYCLONEDX_BIN) GOFLAGS=-buildvcs=false $(GO) install github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod@$(CYCLONEDX_VERSION)

## run: build and start krest on :8082 (pass flags with ARGS="-bootstrap.servers host:9092")
run: build
	./bin/krest $(ARGS)

## deps: download Go modules and tools, the Kafka jars, goreleaser and cyclonedx-gomod, and Debian's prometheus, chromium, haproxy, docker.io and rpm (for the scrape, browser, scale-out, image and release tests)
deps: kafka-jars goreleaser-tool sbom-tool
	$(GO) mod download
	@command -v prometheus >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null && pkill -x prometheus || true; }
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@command -v haproxy >/dev/null || test -x /usr/sbin/haproxy || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null && pkill -x haproxy || true; }
	@command -v dockerd >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io ca-certificates >/dev/null; }
	@command -v rpm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rpm >/dev/null; }
	@test -x $(GOBIN)/staticcheck || GOFLAGS=-buildvcs=false $(GO) install $(STATICCHECK)

kafka-jars:
	@.ci/kafka/fetch-jars.sh >/dev/null

# The Helm chart's tests (./deploy/helm, in make test) need helm,
# helm-unittest, kubeconform and Kubernetes JSON schemas: pinned in
# .ci/chart/tools.sh, cached in ~/.cache/krest/chart-tools.
.PHONY: chart-tools chart-apiserver
deps: chart-tools
chart-tools:
	@.ci/chart/tools.sh >/dev/null

# The tracing test (TestTracingJaeger) sends krest's spans to a real Jaeger,
# built from its Go module, pinned by .ci/tracing/jaeger (7 CPU-minutes,
# once; cached under ~/.cache/krest).
deps: jaeger
jaeger:
	@.ci/tracing/jaeger.sh >/dev/null

## chart-apiserver: the Helm chart and the README's commands against a real kube-apiserver and etcd built from k8s.io/kubernetes (.ci/kube/build.sh builds them once: 33 min from an empty Go build cache here; then 14 s)
chart-apiserver: chart-tools
	@kube=$$(.ci/kube/build.sh) && KREST_KUBE_BIN=$$kube $(GO) test -tags apiserver -count=1 -run '^TestAPIServer$$' -v ./deploy/helm

## test: lint, then every test (with -race) against a real Kafka broker, the fault suite, then a short fuzz
test: deps lint
	$(WITH_BROKER) $(GO) test -race -count=1 -shuffle=on ./...
	$(MAKE) --no-print-directory allocs
	$(MAKE) --no-print-directory faults
	$(MAKE) --no-print-directory fuzz

## allocs: the allocation budgets, without -race (which drops pooled objects at random)
allocs:
	$(GO) test -count=1 -run 'Allocs' ./...

## faults: the fault suite (broker kill -9 and restart, krest SIGTERM under load) on a broker of its own
faults: kafka-jars
	$(WITH_BROKER) $(GO) test -tags faults -count=1 -run '^TestFault' ./cmd/krest

## unit: the tests without a real broker (real-broker tests skip unless CI=true)
unit:
	$(GO) test -race ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GOBIN)/staticcheck ./...

## fuzz: run every fuzz target for FUZZTIME (an iteration count: a time limit can
## trip Go's fuzzer with "context deadline exceeded" while it minimises an input)
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 200x $$pkg >/tmp/krest-fuzz.log 2>&1 || { cat /tmp/krest-fuzz.log; exit 1; }; \
	  done; \
	done

## bench: the full benchmark against the Java client and franz-go on a real broker (< 15 min)
bench: build kafka-jars
	KREST_KAFKA_HEAP=2g $(WITH_BROKER) $(GO) run ./bench -scale full -kafka-libs "$$(.ci/kafka/fetch-jars.sh)" -krest bin/krest

## bench-quick: the same rows for a few seconds each
bench-quick: build kafka-jars
	KREST_KAFKA_HEAP=2g $(WITH_BROKER) $(GO) run ./bench -scale quick -kafka-libs "$$(.ci/kafka/fetch-jars.sh)" -krest bin/krest

## profiles: CPU and heap profiles of krest under bench rows 1 to 4 (full scale), merged for PGO
profiles: kafka-jars
	$(GO) build -pgo=off -o bin/krest-noprofile ./cmd/krest
	mkdir -p profiles/latest
	KREST_KAFKA_HEAP=2g $(WITH_BROKER) $(GO) run ./bench -scale full -runs 1 -rows 1,2,3,4,6 \
	  -krest bin/krest-noprofile -out profiles/latest \
	  -krest-args "-cpuprofile profiles/latest/cpu.pprof -memprofile profiles/latest/allocs.pprof"
	$(GO) tool pprof -proto profiles/latest/cpu.pprof > profiles/merged.pprof
	$(GO) tool pprof -top -nodecount=25 bin/krest-noprofile profiles/latest/cpu.pprof > profiles/latest/top.txt

clean:
	rm -rf bin dist

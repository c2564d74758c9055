# Keelson's build, test and local-cluster entry points. `make help` lists the targets; every target
# installs what it needs, so a fresh Debian machine with Go goes from clone to `make test` alone.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

MODULE_PATH := github.com/keelson-dev/keelson
# Every Go module of the workspace, in dependency order.
MODULES := proto pkg apiserver scheduler controller-manager kubelet proxy test
MODULE_PATTERNS := $(foreach m,$(MODULES),$(MODULE_PATH)/$(m)/...)
# Every main package: <module>/cmd/<binary>.
CMDS := $(patsubst %/main.go,./%,$(wildcard $(addsuffix /cmd/*/main.go,$(MODULES))))

BIN := $(CURDIR)/bin
TOOLS := $(BIN)/tools
GOLANGCI_LINT_VERSION := v2.15.0
GRPCURL_VERSION := v1.9.4
GOLANGCI_LINT := $(TOOLS)/golangci-lint
GRPCURL := $(TOOLS)/grpcurl

# Debian packages the build needs: protoc and the well-known .proto files for `make gen`; and what
# the deployment files are checked and tested with: systemd-analyze (systemd), haproxy, etcd
# (etcd-server), openssl and shellcheck; and the compose dev cluster's podman, runc (hack/compose.sh
# says why), podman-compose, podman's DNS plugin (the services find each other by name) and
# docker-compose (`config` checks the file).
APT_PACKAGES := protobuf-compiler libprotobuf-dev git curl busybox-static systemd haproxy etcd-server openssl shellcheck \
	podman runc podman-compose golang-github-containernetworking-plugin-dnsname docker-compose
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
GO_MIN_VERSION := 1.26

# Build stamps for pkg/version. The build date is the commit's, so rebuilding a commit is
# reproducible; GIT_VERSION keeps the Kubernetes version Keelson serves, so kubectl's skew check
# passes.
VERSION_PKG := $(MODULE_PATH)/pkg/version
GIT_COMMIT = $(shell git rev-parse HEAD 2>/dev/null)
GIT_TREE_STATE = $(shell git diff --quiet HEAD -- 2>/dev/null && echo clean || echo dirty)
GIT_VERSION ?= v1.32.0+keelson.$(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(if $(filter dirty,$(GIT_TREE_STATE)),.dirty)
BUILD_DATE ?= $(shell TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null)
LDFLAGS = -X $(VERSION_PKG).gitVersion=$(GIT_VERSION) \
	-X $(VERSION_PKG).gitCommit=$(GIT_COMMIT) \
	-X $(VERSION_PKG).gitTreeState=$(GIT_TREE_STATE) \
	-X $(VERSION_PKG).buildDate=$(BUILD_DATE)

# Built binaries come first on PATH for the tests that drive them.
TEST_ENV := PATH="$(BIN):$$PATH"

# Each fuzz target's budget: FUZZTIME for `make fuzz`, FUZZ_SHORT_TIME for the fuzzing step of
# `make test`.
FUZZTIME ?= 2m
FUZZ_SHORT_TIME ?= 3s

##@ Everyday

.PHONY: help
help: ## Show the targets and what they do.
	@awk 'BEGIN { FS = ":.*## " } \
		/^##@/ { printf "\n%s\n", substr($$0, 5) } \
		/^[a-zA-Z0-9_-]+:.*## / { printf "  %-14s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build every cmd/* of every module into bin/ with version stamps.
	@mkdir -p $(BIN)
	go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ $(CMDS)
	@ls $(addprefix $(BIN)/,$(notdir $(CMDS)))

# When `make run` began, so that the local cluster's start-up time can count the build too.
RUN_STARTED_AT := $(if $(filter run,$(MAKECMDGOALS)),$(shell date +%s%N))

.PHONY: run
run: build ## Build, then run a local cluster in the foreground: one kubelet whose static pods are the control plane (state in .keelson/; Ctrl-C stops it).
	KEELSON_RUN_STARTED_AT=$(RUN_STARTED_AT) hack/local-up.sh

.PHONY: test
test: deps tools verify build ## Verify, run every module's tests with -race (needs the built binaries; the integration suite in INTEGRATION_SHARDS processes at once, default 1) and fuzz-short once the integration suite is done.
	$(TEST_ENV) FUZZTIME=$(FUZZ_SHORT_TIME) hack/test.sh --fuzz $(MODULES)

.PHONY: fuzz
fuzz: ## Run every fuzz target (FuzzXxx) for FUZZTIME each (default 2m), one after another.
	FUZZTIME=$(FUZZTIME) hack/fuzz.sh $(MODULES)

.PHONY: fuzz-short
fuzz-short: ## Run every fuzz target for FUZZ_SHORT_TIME each (default 3s); make test runs it beside the end of its tests.
	FUZZTIME=$(FUZZ_SHORT_TIME) hack/fuzz.sh $(MODULES)

.PHONY: test-e2e
test-e2e: build ## Run only the test module (integration and end-to-end suites).
	$(TEST_ENV) go test -race -count=1 $(MODULE_PATH)/test/...

# Rounds of the chaos test's five kills for `make test-chaos`; `make test` runs one.
CHAOS_ROUNDS ?= 3

.PHONY: test-chaos
test-chaos: deps build ## Run the chaos test's long form: CHAOS_ROUNDS (default 3) rounds of kill -9 of an apiserver, the etcd leader, the leading controller-manager and scheduler, and HAProxy under write load; make test runs one round.
	cd test && $(TEST_ENV) KEELSON_CHAOS_ROUNDS=$(CHAOS_ROUNDS) KEELSON_CHAOS_ENFORCE_GOALS=1 go test -race -count=1 -run '^TestChaos$$' -timeout 30m -v ./chaos/

.PHONY: test-scale
test-scale: ## Run the hollow-node scale test at its acceptance point (500 hollow nodes, 5,000 pods, -race); make test runs it with 1,000 pods.
	cd test && KEELSON_HOLLOW_SCALE_NODES=500 KEELSON_HOLLOW_SCALE_PODS=5000 go test -race -count=1 -run '^TestHollowNodesScale$$' -timeout 20m -v ./integration/

.PHONY: bench
bench: build ## Run the library benchmarks, then the cluster benchmarks (test/bench), which print their figures as same-run ratios.
	cd pkg && go test -run '^$$' -bench . -benchmem ./...
	cd test && $(TEST_ENV) go test -run '^$$' -bench . -benchtime=1x -timeout 30m ./bench/

.PHONY: gen
gen: deps ## Regenerate the .pb.go files under proto/ (hack/gen-proto.sh).
	hack/gen-proto.sh

.PHONY: clean
clean: ## Remove the built binaries and the local cluster's state (.keelson/); keeps bin/tools.
	rm -f $(addprefix $(BIN)/,$(notdir $(CMDS)))
	rm -rf .keelson

##@ Compose dev cluster (podman + podman-compose; see deploy/compose/README.md)

COMPOSE_BUILD := $(CURDIR)/deploy/compose/build

.PHONY: compose-up
compose-up: deps ## Build static binaries and FROM-scratch images, start the compose cluster (3 etcd, 2 apiservers, HAProxy, 2 nodes, ...) and wait until its nodes are Ready.
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(COMPOSE_BUILD)/control-plane/usr/local/bin/ \
		./apiserver/cmd/keelson-apiserver ./scheduler/cmd/keelson-scheduler ./controller-manager/cmd/keelson-controller-manager
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(COMPOSE_BUILD)/node/usr/local/bin/ \
		./kubelet/cmd/keelson-kubelet ./kubelet/cmd/keelson-kubelet-monitor ./proxy/cmd/keelson-proxy
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(COMPOSE_BUILD)/tools/ ./apiserver/cmd/keelson-pki
	hack/compose.sh up

.PHONY: compose-test
compose-test: compose-up ## Run the compose cluster's acceptance test (TestComposeCluster): nodes Ready through HAProxy, a Deployment running, an apiserver killed under writes. Not part of make test.
	cd test && KEELSON_COMPOSE=1 go test -count=1 -run '^TestComposeCluster$$' -timeout 15m -v ./e2e/

.PHONY: compose-down
compose-down: ## Stop and remove the compose cluster's containers and network (keeps the images and build/pki).
	hack/compose.sh down

##@ Set-up

.PHONY: deps
deps: ## Install missing system packages (protoc, busybox-static, haproxy, etcd-server, shellcheck, podman, ...) with apt; set podman's ulimits; check Go and kubectl.
	@go_version=$$(go env GOVERSION 2>/dev/null | sed 's/^go//'); \
	if [ -z "$$go_version" ] || [ "$$(printf '%s\n%s\n' "$(GO_MIN_VERSION)" "$$go_version" | sort -V | head -1)" != "$(GO_MIN_VERSION)" ]; then \
		echo "deps: Go $(GO_MIN_VERSION) or newer must be on PATH (found: $${go_version:-none})" >&2; exit 1; \
	fi
	@missing=$$(for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'install ok installed' || echo "$$p"; done); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing" $$missing; \
		$(SUDO) apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
		case " $$missing " in *" etcd-server "*) \
			echo "deps: disabling Debian's etcd.service: the tests and make run start their own etcd on loopback"; \
			$(SUDO) systemctl disable --now etcd.service >/dev/null 2>&1 || true;; esac; \
	fi
	@grep -qsE '^[[:space:]]*default_ulimits[[:space:]]*=' /etc/containers/containers.conf || $(SUDO) hack/compose.sh containers-conf
	@command -v kubectl >/dev/null || { \
		echo "deps: kubectl is not on PATH. Install a kubectl of v1.31 to v1.33 (Keelson serves the v1.32 API);" >&2; \
		echo "      'make run' prints the KUBECONFIG for it and the end-to-end tests drive it." >&2; exit 1; }

.PHONY: tools
tools: ## Build the pinned golangci-lint and grpcurl into bin/tools (skipped when already current).
	@$(call go-tool,github.com/golangci/golangci-lint/v2/cmd/golangci-lint,$(GOLANGCI_LINT_VERSION))
	@$(call go-tool,github.com/fullstorydev/grpcurl/cmd/grpcurl,$(GRPCURL_VERSION))

# go-tool installs package $(1) at version $(2) into bin/tools unless the binary there is already
# that version built by the Go in use (golangci-lint must be built by a Go at least as new as the
# code it checks).
define go-tool
	bin="$(TOOLS)/$(notdir $(1))"; \
	have=""; built=""; \
	if [ -x "$$bin" ]; then \
		have=$$(go version -m "$$bin" | awk '$$1 == "mod" { print $$3 }'); \
		built=$$(go version "$$bin" | awk '{ print $$2 }'); \
	fi; \
	if [ "$$have" != "$(2)" ] || [ "$$built" != "$$(go env GOVERSION)" ]; then \
		echo "tools: installing $(1)@$(2)"; \
		GOBIN="$(TOOLS)" go install "$(1)@$(2)"; \
	fi
endef

##@ Checks (each verify-* has a fix-* where a fix can be automatic)

.PHONY: verify
verify: verify-fmt verify-vet verify-gen verify-work verify-tidy verify-imports verify-deploy lint ## Run every check CI runs before the tests.

.PHONY: verify-fmt
verify-fmt: ## Fail if any Go file is not gofmt-formatted.
	@unformatted=$$(gofmt -l $(MODULES)); \
	if [ -n "$$unformatted" ]; then echo "verify-fmt: not gofmt-formatted (run 'make fix-fmt'):" >&2; echo "$$unformatted" >&2; exit 1; fi

.PHONY: fix-fmt
fix-fmt: ## Format every Go file with gofmt.
	gofmt -w $(MODULES)

.PHONY: verify-vet
verify-vet: ## Run go vet on every module.
	go vet $(MODULE_PATTERNS)

.PHONY: verify-gen
verify-gen: deps ## Fail if regenerating proto/ changes any generated file (leaves proto/ as it was).
	hack/verify-gen.sh

.PHONY: fix-gen
fix-gen: gen ## Regenerate proto/ (same as gen).

.PHONY: verify-work
verify-work: ## Fail unless go.work uses exactly the directories that hold a go.mod.
	hack/verify-work.sh

.PHONY: fix-work
fix-work: ## Rewrite go.work's use list to the directories that hold a go.mod.
	hack/verify-work.sh --fix

.PHONY: verify-tidy
verify-tidy: ## Fail if `go mod tidy` would change any module.
	@failed=""; for m in $(MODULES); do \
		(cd "$$m" && go mod tidy -diff) || failed="$$failed $$m"; done; \
	if [ -n "$$failed" ]; then echo "verify-tidy: go mod tidy would change:$$failed (run 'make fix-tidy')" >&2; exit 1; fi

.PHONY: fix-tidy
fix-tidy: ## Run `go mod tidy` in every module.
	@for m in $(MODULES); do echo "go mod tidy ($$m)"; (cd "$$m" && go mod tidy); done

.PHONY: verify-imports
verify-imports: ## Fail if a package breaks the dependency rules (daemons apart, etcd only in the apiserver).
	hack/verify-imports.sh

.PHONY: verify-deploy
verify-deploy: verify-systemd verify-haproxy verify-compose verify-shell ## Check the deployment files under deploy/.

.PHONY: verify-systemd
verify-systemd: deps build ## Fail if systemd-analyze verify finds anything in deploy/systemd/ (against the built bin/).
	hack/verify-systemd.sh

.PHONY: verify-haproxy
verify-haproxy: deps ## Fail unless haproxy -c accepts deploy/haproxy/haproxy.cfg.
	hack/verify-haproxy.sh

.PHONY: verify-compose
verify-compose: deps ## Fail unless docker-compose config accepts deploy/compose/docker-compose.yml.
	docker-compose -f deploy/compose/docker-compose.yml config -q

.PHONY: verify-shell
verify-shell: deps ## Fail if shellcheck finds anything in deploy/bin/, the hack/verify-* scripts, hack/compose.sh and hack/test.sh.
	shellcheck deploy/bin/* hack/verify-systemd.sh hack/verify-haproxy.sh hack/compose.sh hack/test.sh

.PHONY: lint
lint: tools ## Run golangci-lint (.golangci.yml) in every module.
	@failed=""; for m in $(MODULES); do \
		if [ -z "$$(find "$$m" -name '*.go' -print -quit)" ]; then echo "golangci-lint ($$m): no Go files yet"; continue; fi; \
		echo "golangci-lint ($$m)"; \
		(cd "$$m" && $(GOLANGCI_LINT) run ./...) || failed="$$failed $$m"; done; \
	if [ -n "$$failed" ]; then echo "lint: findings in:$$failed" >&2; exit 1; fi

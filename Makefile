# directlvm.docker — build, test and demo.
#   make demo   build everything, boot a throwaway guest VM, roll direct-lvm out to it
#   make test   unit tests, then integration tests and molecule scenarios in the guest VM
# `make help` lists every target.

SHELL        := /bin/bash
GO           ?= go
GOARCH       ?= amd64
VENV         := .venv
# The main toolchain's Python: the newest on this machine that the newest
# ansible-core (.ci/cores.txt, last line) supports.
PY           ?= $(shell .ci/python-for 12 14 2>/dev/null)
# The version matrix: one virtualenv per ansible-core release, in bin/cores/.
CORES        := $(shell awk '!/^\#/ && NF {print $$1}' .ci/cores.txt)
NEWEST_CORE  := $(lastword $(CORES))
CORE_VENVS   := bin/cores
GUEST        := bin/guest
GO_LDFLAGS   := -s -w
TIMED        := .ci/timed
# Binary size is reported, not capped: what a host pays per run is measured
# by make bench (BENCHMARKS.md).

export GOFLAGS := -trimpath
export ANSIBLE_BIN_DIR := $(CURDIR)/$(VENV)/bin
# The repository is the collection: ansible finds directlvm.docker through this link.
COLLECTIONS  := $(CURDIR)/bin/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/directlvm/docker
# One binary per architecture, binaries/linux_GOARCH/directlvm, holds every
# module (modules/directlvm; the docs are the doc-only plugins/modules/NAME.py);
# plugins/action/binary_module.py picks the architecture per host.
BIN_DIR       = binaries/linux_$(GOARCH)
COLLECTION_ARCHES := amd64 arm64
VERSION      := $(shell awk '/^version:/{print $$2}' galaxy.yml)
TARBALL      := bin/directlvm-docker-$(VERSION).tar.gz
TARBALL_LIMIT := 20000000
INSTALLED    := $(CURDIR)/bin/installed
ANSIBLE_ENV  := ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_NOCOLOR=1

.PHONY: help build binaries collection collection-install sanity bench test unit matrix guest-images guest-test molecule lint demo demo-playbooks venv cores host-tools clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

build: $(COLLECTION_LINK) ## the static binary of every module for GOARCH (default amd64): binaries/linux_GOARCH/directlvm
	@set -e; mkdir -p $(BIN_DIR); \
	CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH) $(GO) build -ldflags '$(GO_LDFLAGS)' -o $(BIN_DIR)/directlvm ./modules/directlvm; \
	echo "built $(BIN_DIR)/directlvm ($$(stat -c %s $(BIN_DIR)/directlvm) bytes, linux/$(GOARCH))"; \
	for old in $(filter-out $(BIN_DIR)/directlvm,$(wildcard $(BIN_DIR)/*)); do rm -f $$old; echo "removed $$old (the modules are one binary now)"; done

binaries: ## the modules' binary for every architecture the collection ships (linux/amd64, linux/arm64)
	@set -e; for arch in $(COLLECTION_ARCHES); do $(MAKE) --no-print-directory build GOARCH=$$arch; done

# `make collection` needs only Go and ansible-core: ansible-galaxy comes from
# the newest core's virtualenv (bin/cores/), which holds ansible-core alone,
# or from your own: make collection GALAXY=$$(command -v ansible-galaxy)
GALAXY       ?= $(CORE_VENVS)/$(NEWEST_CORE)/bin/ansible-galaxy

collection: binaries $(GALAXY) ## the galaxy tarball bin/directlvm-docker-VERSION.tar.gz (linux/amd64 and linux/arm64), < 20 MB; needs Go and ansible-core only
	@rm -f $(TARBALL)
	$(GALAXY) collection build --force --output-path bin .
	@size=$$(stat -c %s $(TARBALL)); echo "built $(TARBALL) ($$size bytes)"; \
	  if [ "$$size" -gt $(TARBALL_LIMIT) ]; then echo "$(TARBALL) is over $(TARBALL_LIMIT) bytes: Galaxy rejects collections over about 20 MB"; exit 1; fi

collection-install: collection venv ## install the tarball into an empty collections path, bin/installed (used by molecule's default scenario)
	rm -rf $(INSTALLED) && mkdir -p $(INSTALLED)
	ANSIBLE_COLLECTIONS_PATH=$(INSTALLED) $(VENV)/bin/ansible-galaxy collection install --force -p $(INSTALLED) $(TARBALL)

$(GUEST): $(shell find tools/guest internal/runner -name '*.go' -o -name '*.sh' 2>/dev/null) go.mod
	CGO_ENABLED=0 $(GO) build -o $@ ./tools/guest/cmd/guest

$(COLLECTION_LINK):
	mkdir -p $(dir $@) && ln -sfn $(CURDIR) $@

venv: $(VENV)/.installed ## Python tools (ansible-core, molecule, ansible-lint) pinned in .ci/requirements.txt

$(VENV)/.installed: .ci/requirements.txt
	@[ -n "$(PY)" ] || { .ci/python-for 12 14; exit 1; }
	rm -rf $(VENV) && $(PY) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r .ci/requirements.txt
	touch $@

cores: $(foreach c,$(CORES),$(CORE_VENVS)/$(c)/.installed) ## one virtualenv per ansible-core release of the version matrix (.ci/cores.txt), in bin/cores/

$(CORE_VENVS)/%/.installed: .ci/cores.txt .ci/core-venv .ci/python-for
	.ci/core-venv $* $(CORE_VENVS)/$*

$(CORE_VENVS)/%/bin/ansible-galaxy: $(CORE_VENVS)/%/.installed
	@test -x $@

host-tools: ## install the host packages the guest VM needs (qemu, mmdebstrap) when missing
	@.ci/host-tools

test: ## everything: unit, guest integration, molecule; prints each phase's time
	@$(TIMED) "host tools" $(MAKE) --no-print-directory host-tools
	@$(TIMED) "python venv" $(MAKE) --no-print-directory venv
	@$(TIMED) "ansible-core versions" $(MAKE) --no-print-directory cores
	@$(TIMED) "build" $(MAKE) --no-print-directory binaries $(GUEST)
	@$(TIMED) "collection tarball" $(MAKE) --no-print-directory collection-install
	@$(TIMED) "lint" $(MAKE) --no-print-directory lint
	@$(TIMED) "ansible-test sanity" $(MAKE) --no-print-directory sanity
	@$(TIMED) "unit tests" $(MAKE) --no-print-directory unit UNIT_SKIP='$(MATRIX_RUN)'
	@$(TIMED) "ansible-core version matrix" $(MAKE) --no-print-directory matrix
	@$(TIMED) "fuzz" $(MAKE) --no-print-directory fuzz
	@$(TIMED) "guest images" $(MAKE) --no-print-directory guest-images
	@$(TIMED) "guest integration tests" $(MAKE) --no-print-directory guest-test
	@$(TIMED) "molecule scenarios" $(MAKE) --no-print-directory molecule

# UNIT_SKIP: tests to leave out. make test leaves out the version matrix's
# tests, which its matrix phase runs on every core, the newest (the one in
# .venv, .ci/requirements.txt) included.
UNIT_SKIP ?=
unit: venv ## Go unit tests and the ansible-playbook protocol conformance test
	DIRECTLVM_REQUIRE_ANSIBLE=1 $(GO) test -count=1 $(if $(UNIT_SKIP),-skip '$(UNIT_SKIP)') ./...

# The version matrix: the ansible-playbook conformance test (a binary module
# through ansible-core) and the collection's own tests (each module by FQCN
# through the action plugin, check mode, --diff, failures, become,
# module_defaults, ansible-doc, a git install), once per ansible-core release
# in .ci/cores.txt. No VM: the modules run on this machine.
MATRIX_TESTS := ./internal/ansible ./tools/collection
MATRIX_RUN   := ^(TestConformance|TestEachHost|TestTheHosts|TestTheArchitecture|TestTheArm64|Test.*OnThisCore)

# Two cores' runs at a time (each mostly one ansible process): each run's
# output goes to bin/matrix/CORE.log, printed when that core fails.
MATRIX_JOBS ?= 2
matrix: cores binaries $(COLLECTION_LINK) ## the conformance and collection tests through every ansible-core in .ci/cores.txt
	@mkdir -p bin/matrix; printf '%s\n' $(CORES) | xargs -P $(MATRIX_JOBS) -I CORE sh -c '\
	  bin=$(CURDIR)/$(CORE_VENVS)/CORE/bin; log=bin/matrix/CORE.log; \
	  echo "matrix: ansible-core CORE ($$($$bin/python --version)) started"; \
	  if ANSIBLE_BIN_DIR=$$bin DIRECTLVM_REQUIRE_ANSIBLE=1 $(GO) test -count=1 -run "$(MATRIX_RUN)" $(MATRIX_TESTS) > $$log 2>&1; \
	  then echo "matrix: ansible-core CORE passed"; \
	  else cat $$log; echo "matrix: ansible-core CORE FAILED"; exit 255; fi' \
	  || { echo "matrix: FAILED"; exit 1; }
	@echo "matrix: passed on ansible-core $(CORES)"

FUZZTIME     ?= 10s
# Each fuzz target as NAME:PACKAGE; go fuzzes one target per run. Seeds come
# from the packages' testdata; an input that fails is written to
# PACKAGE/testdata/fuzz/NAME/ and fails the run: keep it as a regression seed.
# Go 1.26 may end a run with "context deadline exceeded" at the fuzztime
# boundary (golang/go#75804, fixed in Go 1.27); without a new failing input
# that is reported, not failed.
FUZZ_TARGETS := FuzzDecodeArgs:./internal/ansible FuzzMergeDaemonJSON:./internal/docker \
                FuzzParseConfig:./internal/lvmthinpool FuzzParseConfig:./internal/lvmprofile \
                FuzzParseConfig:./internal/dockerstorage

.PHONY: fuzz
fuzz: ## run each fuzz target briefly (FUZZTIME, default 10s each)
	@set -o pipefail; log=$$(mktemp); trap 'rm -f "$$log"' EXIT; \
	for t in $(FUZZ_TARGETS); do \
	  name=$${t%%:*}; pkg=$${t#*:}; corpus=$$pkg/testdata/fuzz/$$name; \
	  before=$$(ls "$$corpus" 2>/dev/null | wc -l); \
	  echo "fuzz: $$name in $$pkg for $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg 2>&1 | tee "$$log" && continue; \
	  if [ "$$(ls "$$corpus" 2>/dev/null | wc -l)" -eq "$$before" ] && grep -q '^ *context deadline exceeded$$' "$$log"; then \
	    echo "fuzz: $$name found no failing input; Go's fuzztime race stopped it (golang/go#75804): not a failure"; \
	  else exit 1; fi; \
	done

guest-images: $(GUEST) ## build the cached guest image of each Debian release tested (bullseye, bookworm, trixie) when missing
	@set -e; for s in bullseye bookworm trixie; do $(GUEST) image --suite $$s; done

# make faults runs the modules' kill tests (GUEST_KILL_TESTS) on every step;
# the guest tests leave them to it.
GUEST_KILL_TESTS := ^(TestFaults|TestGuest.*KilledAfter)
guest-test: $(GUEST) ## build the guest image if needed, boot one guest, run every *_guest_test.go in it (but the kill tests make faults runs)
	$(GUEST) image
	$(GUEST) session -- $(GUEST) test --disks 40 --skip '$(GUEST_KILL_TESTS)' ./...

# The fault matrices. Each module's own: its run SIGKILLed right after each
# step of its plan (package fault's hook), then run again: it must converge
# and then change nothing, with docker's data of before kept. The role's
# (tools/faults): on a guest that reboots on its own disks, the role cut
# after every step of every module that changes the host, by SIGKILL and
# by a power cut, then run twice: converged, then changed=0, docker's data
# moved aside, and a second disk's filesystem untouched; it prints
# step x cut -> result.
# make test runs docker_storage's kill rows of the first (in the guest
# tests); make role-faults runs the role's FAULT_ROWS (one power-cut row: it
# boots a guest and runs the role uncut first, about 7 minutes), and make
# faults all of them, on both journeys: JOURNEY=direct-lvm (overlay2 ->
# direct-lvm) and JOURNEY=overlay2 (that direct-lvm host off devicemapper,
# onto overlay2 on the volume that takes the pool's place; each row first
# runs the role to make the direct-lvm host). make leave-faults runs the
# second journey's rows alone. The role's row left make test when the
# bullseye and trixie guests came in, to keep it under 60 minutes cold.
FAULT_PACKAGES := ./internal/lvmthinpool ./internal/lvmprofile ./internal/dockerstorage
FAULT_ROWS   := docker_storage:write:powercut
FAULTS       := bin/faults

$(FAULTS): $(shell find tools/faults tools/guest internal/runner -name '*.go' -o -name '*.sh' -o -name '*.yml' 2>/dev/null) go.mod
	CGO_ENABLED=0 $(GO) build -o $@ ./tools/faults/cmd/faults

.PHONY: faults role-faults leave-faults
faults: binaries venv $(GUEST) $(FAULTS) $(COLLECTION_LINK) ## every step of every module cut: each module killed, then the role killed and power-cut (longer than make test's rows)
	$(GUEST) image
	@start=$$(date +%s); \
	$(GUEST) session -- $(GUEST) test --disks 12 --run '$(GUEST_KILL_TESTS)' $(FAULT_PACKAGES) || exit 1; \
	echo "faults: the modules' kill matrix took $$(( $$(date +%s) - start ))s"; \
	$(MAKE) --no-print-directory role-faults ROWS=all JOURNEY=direct-lvm
	$(MAKE) --no-print-directory role-faults ROWS=all JOURNEY=overlay2

ROWS ?= $(FAULT_ROWS)
JOURNEY ?= direct-lvm
role-faults: binaries venv $(GUEST) $(FAULTS) $(COLLECTION_LINK) ## the role's fault matrix on JOURNEY (direct-lvm, or overlay2: off devicemapper), rows ROWS (default FAULT_ROWS; ROWS=all for every one)
	$(GUEST) image
	$(GUEST) session -- $(FAULTS) --journey $(JOURNEY) --rows '$(ROWS)' --ansible-playbook $(VENV)/bin/ansible-playbook --collections $(COLLECTIONS)

leave-faults: ## the way off devicemapper cut after every step, killed and power-cut (make role-faults JOURNEY=overlay2 ROWS=all)
	$(MAKE) --no-print-directory role-faults JOURNEY=overlay2 ROWS=$(if $(filter command line,$(origin ROWS)),$(ROWS),all)

# make test runs SCENARIOS (on bookworm: the converge from scratch with check
# mode and the runbook's loop-lvm starting point, carried; the default
# scenario's playbooks on bullseye; trixie's docker 26 refused before any
# change; three guests and an unreachable host rolled out one at a time and
# reported on); molecule-more the others, each scenario on its own guest: a disk
# grown in place and one added, a disk refused, overlay2 without carrying,
# docker on another thin pool, the overlay2 mode on trixie's docker 26, the
# way off devicemapper (cut at its point of no return), and docker upgraded
# to 26 after it. Together they take longer than make test's
# 60 minutes allow.
SCENARIOS      := default loop_lvm bullseye trixie fleet
MORE_SCENARIOS := grow refuse existing_docker other_pool trixie_overlay2 leave_devicemapper upgrade_docker
MOLECULE_RUN   = $(GUEST) session -- env PATH=$(CURDIR)/$(VENV)/bin:$(PATH) DIRECTLVM_GUEST_BIN=$(CURDIR)/$(GUEST) \
	  ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(TIMED) "molecule $(1)" $(VENV)/bin/molecule test -s $(1)

.PHONY: molecule-more
molecule: build venv collection-install $(GUEST) ## the molecule scenarios of make test (SCENARIOS), each on its own guest VM
	@set -e; $(foreach s,$(SCENARIOS),$(call MOLECULE_RUN,$(s));)

molecule-more: build venv collection-install $(GUEST) ## the other molecule scenarios (MORE_SCENARIOS: grow, refuse, existing_docker, other_pool, trixie_overlay2, leave_devicemapper, upgrade_docker), each on its own guest VM
	@set -e; $(foreach s,$(MORE_SCENARIOS),$(call MOLECULE_RUN,$(s));)

demo: host-tools build venv $(GUEST) ## build everything, boot a throwaway guest VM, roll direct-lvm out to it, verify, stop it
	$(GUEST) image
	$(GUEST) session -- $(GUEST) with --disk data0:8G --group docker_hosts -- $(MAKE) --no-print-directory demo-playbooks

# Run by `make demo` with ANSIBLE_INVENTORY pointing at the guest.
demo-playbooks:
	$(ANSIBLE_ENV) $(VENV)/bin/ansible-playbook directlvm.docker.site -e '{"direct_lvm_devices": ["/dev/disk/by-id/virtio-data0"]}'
	$(ANSIBLE_ENV) $(VENV)/bin/ansible-playbook directlvm.docker.verify

# staticcheck, pinned, from the Go module proxy; its default checks include
# unused code (U1000).
STATICCHECK_VERSION := v0.8.2
STATICCHECK  := bin/staticcheck-$(STATICCHECK_VERSION)

$(STATICCHECK):
	mkdir -p bin && GOBIN=$(CURDIR)/bin/.staticcheck $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv bin/.staticcheck/staticcheck $@ && rmdir bin/.staticcheck

lint: venv $(COLLECTION_LINK) $(STATICCHECK) ## gofmt, go vet, staticcheck, ansible-lint (production profile)
	@files=$$(gofmt -l internal modules tools); if [ -n "$$files" ]; then echo "$$files"; echo "gofmt: the files above need formatting"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(VENV)/bin/ansible-lint --profile production
	$(VENV)/bin/antsibull-changelog lint

# community.general for the benchmark's case (b): the `ansible` package that
# goes with ansible-core 2.18, collections only (--no-deps keeps our ansible-core).
BENCH_ANSIBLE := ansible==11.13.0
BENCH_ANSIBLE_DIR := bin/bench-ansible

bench: collection-install venv $(GUEST) ## side by side: the role vs community.general vs the runbook vs one SSH command, then the role on 3 guests at once; writes BENCHMARKS.md
	@[ -d $(BENCH_ANSIBLE_DIR)/ansible_collections/community/general ] || \
	  $(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --target $(BENCH_ANSIBLE_DIR) '$(BENCH_ANSIBLE)'
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -o bin/procacct ./tools/procacct/cmd/procacct
	$(GO) build -o bin/bench ./tools/bench/cmd/bench
	$(GUEST) session -- bin/bench --collections $(INSTALLED):$(CURDIR)/$(BENCH_ANSIBLE_DIR) \
	  --binary $(INSTALLED)/ansible_collections/directlvm/docker/binaries/linux_amd64/directlvm \
	  --ansible-playbook $(VENV)/bin/ansible-playbook --template BENCHMARKS.md --out BENCHMARKS.md

OLDEST_CORE  := $(firstword $(CORES))

sanity: collection-install cores ## ansible-test sanity on the installed tarball, with the newest and the oldest ansible-core (ignores explained in tests/sanity/)
	.ci/sanity $(VENV)
	.ci/sanity $(CORE_VENVS)/$(OLDEST_CORE)

clean: ## remove build output (the cached guest image stays in ~/.cache/directlvm-docker)
	rm -rf bin binaries

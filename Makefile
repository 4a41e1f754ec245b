# directlvm.docker — build, test and demo.
#   make demo   build everything, boot a throwaway guest VM, roll direct-lvm out to it
#   make test   unit tests, then integration tests and molecule scenarios in the guest VM
# `make help` lists every target.

SHELL        := /bin/bash
GO           ?= go
GOARCH       ?= amd64
MODULES      := $(notdir $(wildcard modules/*))
VENV         := .venv
PY           ?= python3
GUEST        := bin/guest
GO_LDFLAGS   := -s -w
TIMED        := .ci/timed
# Module binaries are copied to every host for every task: keep them small.
export SIZE_LIMIT_lvm_thinpool := 4000000

export GOFLAGS := -trimpath
export ANSIBLE_BIN_DIR := $(CURDIR)/$(VENV)/bin
# The repository is the collection: ansible finds directlvm.docker through this link.
COLLECTIONS  := $(CURDIR)/bin/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/directlvm/docker
ANSIBLE_ENV  := ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_NOCOLOR=1

.PHONY: help build test unit guest-test molecule lint demo demo-playbooks venv host-tools clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

build: $(GUEST) $(COLLECTION_LINK) ## static module binaries in plugins/modules/ (GOARCH=arm64 for arm64)
	@set -e; for m in $(MODULES); do \
	  CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH) $(GO) build -ldflags '$(GO_LDFLAGS)' -o plugins/modules/$$m ./modules/$$m; \
	  size=$$(stat -c %s plugins/modules/$$m); limit=$$(eval echo \$${SIZE_LIMIT_$$m:-0}); \
	  echo "built plugins/modules/$$m ($$size bytes, linux/$(GOARCH))"; \
	  if [ "$$limit" -gt 0 ] && [ "$$size" -gt "$$limit" ]; then echo "plugins/modules/$$m is over its $$limit-byte limit: it is copied to every host for every task"; exit 1; fi; \
	done

$(GUEST): $(shell find internal/guest internal/runner -name '*.go' -o -name '*.sh' 2>/dev/null) go.mod
	CGO_ENABLED=0 $(GO) build -o $@ ./internal/guest/cmd/guest

$(COLLECTION_LINK):
	mkdir -p $(dir $@) && ln -sfn $(CURDIR) $@

venv: $(VENV)/.installed ## Python tools (ansible-core, molecule, ansible-lint) pinned in .ci/requirements.txt

$(VENV)/.installed: .ci/requirements.txt
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r .ci/requirements.txt
	touch $@

host-tools: ## install the host packages the guest VM needs (qemu, mmdebstrap) when missing
	@.ci/host-tools

test: ## everything: unit, guest integration, molecule; prints each phase's time
	@$(TIMED) "host tools" $(MAKE) --no-print-directory host-tools
	@$(TIMED) "python venv" $(MAKE) --no-print-directory venv
	@$(TIMED) "build" $(MAKE) --no-print-directory build
	@$(TIMED) "lint" $(MAKE) --no-print-directory lint
	@$(TIMED) "unit tests" $(MAKE) --no-print-directory unit
	@$(TIMED) "guest integration tests" $(MAKE) --no-print-directory guest-test
	@$(TIMED) "molecule scenarios" $(MAKE) --no-print-directory molecule

unit: venv ## Go unit tests and the ansible-playbook protocol conformance test
	DIRECTLVM_REQUIRE_ANSIBLE=1 $(GO) test -count=1 ./...

guest-test: $(GUEST) ## build the guest image if needed, boot one guest, run every *_guest_test.go in it
	$(GUEST) image
	$(GUEST) session -- $(GUEST) test ./...

molecule: build venv ## every molecule scenario, each on its own guest VM
	$(GUEST) session -- env PATH=$(CURDIR)/$(VENV)/bin:$(PATH) DIRECTLVM_GUEST_BIN=$(CURDIR)/$(GUEST) \
	  ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(VENV)/bin/molecule test --all

demo: build venv ## build everything, boot a throwaway guest VM, roll direct-lvm out to it, verify, stop it
	$(GUEST) image
	$(GUEST) session -- $(GUEST) with --disk data0:8G --group docker_hosts -- $(MAKE) --no-print-directory demo-playbooks

# Run by `make demo` with ANSIBLE_INVENTORY pointing at the guest.
demo-playbooks:
	$(ANSIBLE_ENV) $(VENV)/bin/ansible-playbook directlvm.docker.site -e '{"direct_lvm_devices": ["/dev/disk/by-id/virtio-data0"]}'
	$(ANSIBLE_ENV) $(VENV)/bin/ansible-playbook directlvm.docker.verify

lint: venv $(COLLECTION_LINK) ## gofmt, go vet, ansible-lint (production profile)
	@files=$$(gofmt -l .); if [ -n "$$files" ]; then echo "$$files"; echo "gofmt: the files above need formatting"; exit 1; fi
	$(GO) vet ./...
	ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(VENV)/bin/ansible-lint --profile production

clean: ## remove build output (the cached guest image stays in ~/.cache/directlvm-docker)
	rm -rf bin
	if [ -d plugins/modules ]; then find plugins/modules -type f ! -name '*.yml' -delete; fi

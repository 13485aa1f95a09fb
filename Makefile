# vpp — the two commands in the README: `make demo` (main job) and `make test` (tests).
# Both install the Debian packages vpp links against when they are missing.

SWIFT ?= swift
DEB_PACKAGES := pkg-config libsqlite3-dev libcurl4-openssl-dev coinor-libclp-dev
# The test suite also renders the HTML report and dashboard in headless Chromium.
# python3-yaml: the OpenADR schema check reads the specification YAML; python3-venv: the openadr3 client test.
# postgresql: the store conformance suite runs against a throw-away server (scripts/with-postgres.sh).
TEST_DEB_PACKAGES := $(DEB_PACKAGES) chromium chromium-driver fonts-noto-cjk python3 python3-yaml python3-venv postgresql
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps test-deps install-debs build demo test bench clean

deps:
	@$(MAKE) --no-print-directory install-debs PKGS="$(DEB_PACKAGES)"

test-deps:
	@$(MAKE) --no-print-directory install-debs PKGS="$(TEST_DEB_PACKAGES)"

install-debs:
	@missing=""; for p in $(PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

# A week of operations for all 14 dongs on exports derived from ../shared/data at demo time
# (samples/make_week.py); release build so the week itself runs in well under a minute.
demo: deps
	python3 samples/make_week.py out/week
	$(SWIFT) build -c release --product vpp
	.build/release/vpp demo --db out/demo.sqlite --week out/week

test: test-deps
	$(SWIFT) build --build-tests
	scripts/with-postgres.sh $(SWIFT) test --skip-build

bench: deps
	$(SWIFT) build -c release --product vpp
	.build/release/vpp bench store
	.build/release/vpp bench ingest
	.build/release/vpp bench forecast
	.build/release/vpp bench dispatch
	.build/release/vpp bench report
	.build/release/vpp bench openadr

clean:
	rm -rf .build out

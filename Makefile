# Signet. `make run` sets up a fresh Debian machine and starts Signet on the embedded defaults;
# `make test` runs every test against the real SoftHSM2, SQLite, openssl, pkilint, osslsigncode and jarsigner.
SIGNET_HOME ?= $(CURDIR)/.signet
LISTEN ?= 127.0.0.1:8080
SWIFT_BUILD_FLAGS ?=
# Executions per fuzz target: `make fuzz` runs the long budget, `make test` the short one.
FUZZ_RUNS ?= 200000
FUZZ_TEST_RUNS ?= 10000

.PHONY: deps deps-runtime build release run init check-port test fuzz soak bench dist clean

deps:
	./scripts/install-deps.sh

deps-runtime:
	./scripts/install-deps.sh --runtime-only

build:
	swift build $(SWIFT_BUILD_FLAGS)

release:
	swift build -c release $(SWIFT_BUILD_FLAGS)

# The home's listen address and base URL follow LISTEN, so certificates name the port Signet serves on.
init: check-port deps-runtime release
	SIGNET_HOME=$(SIGNET_HOME) .build/release/signet init --listen $(LISTEN)

run: init
	SIGNET_HOME=$(SIGNET_HOME) .build/release/signet serve

check-port:
	@./scripts/check-port.sh $(LISTEN) $(SIGNET_HOME)

test: deps
	swift build --build-tests $(SWIFT_BUILD_FLAGS)
	swift test --skip-build $(SWIFT_BUILD_FLAGS)
	FUZZ_RUNS=$(FUZZ_TEST_RUNS) ./scripts/fuzz.sh

# libFuzzer targets for every parser of network and file input (Fuzz/, README.md "Fuzzing").
fuzz:
	FUZZ_RUNS=$(FUZZ_RUNS) ./scripts/fuzz.sh

# The mixed-load soak (issuance, OCSP, TSA, listing) for 10 minutes; `make test` runs it for 60 s.
soak: deps
	swift build --build-tests $(SWIFT_BUILD_FLAGS)
	SIGNET_SOAK_SECONDS=$${SIGNET_SOAK_SECONDS:-600} swift test --skip-build --filter SoakTests $(SWIFT_BUILD_FLAGS)

bench: deps-runtime
	./Benchmarks/run.sh

# For machines without Swift: dist/signet-<version>-linux-<arch>.tar.gz (+ .sha256) holding `signet` and
# libsignet-pkcs11.so, both with the Swift runtime linked in (scripts/dist.sh: builds in .build-dist/ from
# the committed tree, stamping the commit into `signet --version`).
dist: deps-runtime
	./scripts/dist.sh

clean:
	rm -rf .build .build-dist .signet dist Fuzz/.build Fuzz/.work

# vrrpd: see README.md. Every target installs nothing on the host network; namespace tests
# create and remove their own namespaces.
CARGO ?= cargo
BIN := target/release/vrrpd
SHARED ?= ../shared
# The seeded random-input test runs this many loader inputs (CI sets it to 100000 or more).
FUZZ_ITERATIONS ?= 100000
# ... and this many inputs per wire codec (issue target: at least 1M in CI).
WIRE_FUZZ_ITERATIONS ?= 1000000
# ... and this many random schedules on the simulated LAN (issue target: at least 10k).
SIM_SCHEDULES ?= 10000

.PHONY: build release static test lint netns-test demo demo-config samples bench bench-daemon msrv clean

build:
	$(CARGO) build

release:
	$(CARGO) build --release

# All tests: unit, simulated and config tests, the loader fuzz loop, lint, and the
# keepalived sample corpus when ../shared is present.
test: lint
	VRRPD_FUZZ_ITERATIONS=$(FUZZ_ITERATIONS) VRRPD_WIRE_FUZZ_ITERATIONS=$(WIRE_FUZZ_ITERATIONS) VRRPD_SIM_SCHEDULES=$(SIM_SCHEDULES) $(CARGO) test --release
	@if [ "$$(id -u)" = 0 ]; then $(MAKE) --no-print-directory netns-test; \
	else echo "*** SKIPPED: network-namespace tests (tests/netns_*.rs) need root; CI runs them"; fi
	@if [ -d "$(SHARED)/reference/keepalived-samples" ]; then $(MAKE) --no-print-directory samples; \
	else echo "*** SKIPPED: keepalived sample corpus ($(SHARED)/reference/keepalived-samples not present)"; fi

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

# Every keepalived sample config loads with its interfaces present: no fatal error, all
# vrrp_instances present (tests/samples.rs, ignored unless pointed at the corpus).
samples:
	VRRPD_SAMPLES_DIR=$(abspath $(SHARED)/reference/keepalived-samples) $(CARGO) test --release --test samples -- --ignored

# Tests that create network namespaces (root only; each removes its namespaces on drop).
netns-test:
	$(CARGO) test --release --test netns_config --test netns_daemon -- --ignored --test-threads=1
	@if command -v keepalived >/dev/null; then $(CARGO) test --release --test netns_interop -- --ignored --test-threads=1 --nocapture; \
	else echo "*** SKIPPED: interop with keepalived (not installed)"; fi

demo: release
	BIN=$(BIN) sh tests/netns/demo.sh

# The loader on its own: the seed's configs tested and dumped inside a namespace.
demo-config: release
	BIN=$(BIN) sh tests/netns/demo-config.sh

bench:
	$(CARGO) run --release --example config_load_bench
	$(CARGO) run --release --example wire_bench
	$(CARGO) run --release --example sim_bench

# vrrpd against keepalived 2.2.7 on a namespaced LAN: CPU and memory (root).
bench-daemon: release
	BIN=$(BIN) sh tests/netns/bench-daemon.sh

# The static x86_64 binary (musl): what is copied to hosts. Installs the target if missing.
static:
	@rustup target list --installed | grep -qx x86_64-unknown-linux-musl || rustup target add x86_64-unknown-linux-musl
	$(CARGO) build --release --target x86_64-unknown-linux-musl
	@ls -l target/x86_64-unknown-linux-musl/release/vrrpd

# The armv7 toolchain is 1.92: make sure nothing newer slipped in.
msrv:
	$(CARGO) +1.92.0 build --release

clean:
	$(CARGO) clean

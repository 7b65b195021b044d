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

# Release targets (cross/README.md): static musl binaries built with the armv7 toolchain, 1.92.0,
# with std rebuilt for size (-Z build-std under RUSTC_BOOTSTRAP=1; armv7 in Thumb-2).
# `make armv7 VRRPD_PLAIN_BUILD=1`: the prebuilt std and stable flags only (over the budget on armv7);
# VRRPD_ARMV7_THUMB=0: armv7 in ARM mode.
export VRRPD_PLAIN_BUILD VRRPD_ARMV7_THUMB
X86_64 := x86_64-unknown-linux-musl
AARCH64 := aarch64-unknown-linux-musl
ARMV7 := armv7-unknown-linux-musleabihf
ARMV7_BIN := target/$(ARMV7)/release/vrrpd
# The appliance budget: the armv7 binary may not grow past 512 KiB.
ARMV7_MAX_BYTES := 524288
# The pure layers' tests (no root, no processes of the host architecture) run on ARM under qemu-user.
CROSS_TESTS := --lib --test config_seed --test config_syntax --test config_semantics --test config_robustness \
	--test wire_fixtures --test wire_netlink --test wire_fuzz --test sim_seed --test sim_elections \
	--test sim_semantics --test sim_track_process --test sim_operator --test sim_ah --test golden
# make check: the pure tests in a debug build, with small random-loop sizes (a quick loop
# before a commit; make test runs the full sizes in release).
CHECK_TESTS := --lib --test config_seed --test config_syntax --test config_semantics --test config_robustness \
	--test wire_fixtures --test wire_netlink --test wire_fuzz --test sim_seed --test sim_elections \
	--test sim_semantics --test sim_track_process --test sim_operator --test sim_ah --test golden --test cli --test keyword_effects --test check
# Hand-written roff, installed by the packages and checked by make lint (mandoc -T lint).
MAN_PAGES := man/vrrpd.8 man/vrrpd.conf.5
CHECK_FUZZ_ITERATIONS ?= 2000
CHECK_WIRE_FUZZ_ITERATIONS ?= 20000
CHECK_SIM_SCHEDULES ?= 200
# Every tracked shell script, by name (*.sh) or by a sh/bash/dash/ash/ksh shebang on its first
# line (the init scripts, .ci/run, ...): a script added later is linted without a list to edit.
list_shell_scripts = git ls-files | while read -r f; do [ -f "$$f" ] || continue; \
	case "$$f" in *.sh) echo "$$f"; continue ;; esac; \
	head -n1 "$$f" | grep -Eqs '^\#![[:space:]]*([^[:space:]]*/)?(env[[:space:]]+)?(ba|da|a|k)?sh([[:space:]]|$$)' && \
	echo "$$f"; done

.PHONY: preflight stress-test build release static aarch64 armv7 dist deb rpm package-test size-check rootfs-check cross-test appliance-test test lint netns-test \
	check demo demo-config samples bench bench-daemon msrv clean

build:
	$(CARGO) build

release:
	$(CARGO) build --release

# All tests: unit, simulated and config tests, the loader fuzz loop, lint, and the
# keepalived sample corpus when ../shared is present.
test: preflight lint size-check rootfs-check
	VRRPD_FUZZ_ITERATIONS=$(FUZZ_ITERATIONS) VRRPD_WIRE_FUZZ_ITERATIONS=$(WIRE_FUZZ_ITERATIONS) VRRPD_SIM_SCHEDULES=$(SIM_SCHEDULES) $(CARGO) test --release
	@if [ "$$(id -u)" = 0 ]; then $(MAKE) --no-print-directory netns-test; \
	else echo "*** SKIPPED: network-namespace tests (tests/netns_*.rs) need root; CI runs them"; fi
	@if [ -d "$(SHARED)/reference/keepalived-samples" ]; then $(MAKE) --no-print-directory samples; \
	else echo "*** SKIPPED: keepalived sample corpus ($(SHARED)/reference/keepalived-samples not present)"; fi
	@$(MAKE) --no-print-directory cross-test
	@$(MAKE) --no-print-directory appliance-test

# Format, shell scripts (shellcheck), clippy, and the API docs build without a rustdoc warning.
# Every tool a test, the demo or a benchmark runs, named with its package when missing.
preflight:
	@sh tests/preflight.sh test

lint:
	$(CARGO) fmt --check
	@command -v shellcheck >/dev/null || { echo "make lint: shellcheck is not installed (Debian: shellcheck)" >&2; exit 1; }
	@scripts=$$($(list_shell_scripts)); [ -n "$$scripts" ] || { echo "make lint: no shell scripts found" >&2; exit 1; }; \
	echo shellcheck $$scripts; shellcheck $$scripts
	$(CARGO) clippy --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --lib
	@command -v mandoc >/dev/null || { echo "make lint: mandoc is not installed (Debian: mandoc)" >&2; exit 1; }
	mandoc -T lint $(MAN_PAGES)
	@sh tests/lint/architecture-map.sh

# Quick: format, clippy, and the pure tests (debug build, small random loops; see CHECK_TESTS).
check:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings
	VRRPD_FUZZ_ITERATIONS=$(CHECK_FUZZ_ITERATIONS) VRRPD_WIRE_FUZZ_ITERATIONS=$(CHECK_WIRE_FUZZ_ITERATIONS) \
		VRRPD_SIM_SCHEDULES=$(CHECK_SIM_SCHEDULES) $(CARGO) test $(CHECK_TESTS)

# Every keepalived sample config loads with its interfaces present: no fatal error, all
# vrrp_instances present (tests/samples.rs, ignored unless pointed at the corpus).
samples:
	VRRPD_SAMPLES_DIR=$(abspath $(SHARED)/reference/keepalived-samples) $(CARGO) test --release --test samples -- --ignored

# Tests that create network namespaces (root only; each removes its namespaces on drop).
netns-test:
	$(CARGO) test --release --test netns_config --test netns_daemon --test netns_control --test netns_check --test netns_statics --test netns_track_process -- --ignored --test-threads=1
	@if command -v keepalived >/dev/null; then $(CARGO) test --release --test netns_interop --test netns_vmac -- --ignored --test-threads=1 --nocapture; \
	else echo "*** SKIPPED: interop with keepalived (not installed)"; fi
	@if command -v keepalived >/dev/null; then $(CARGO) test --release --test netns_ah -- --ignored --test-threads=1 --nocapture; \
	else echo "*** SKIPPED: AH interop with keepalived (not installed)"; fi
	@if command -v keepalived >/dev/null && command -v unshare >/dev/null; then $(CARGO) test --release --test netns_keywords -- --ignored --test-threads=1; \
	else echo "*** SKIPPED: keepalived 2.3-2.4 keywords (keepalived or unshare not installed)"; fi
	@if command -v keepalived >/dev/null && command -v python3 >/dev/null; then $(CARGO) test --release --test netns_differential -- --ignored --test-threads=1 --nocapture; \
	else echo "*** SKIPPED: differential test against keepalived (keepalived or python3 not installed)"; fi
	@if command -v python3 >/dev/null; then $(CARGO) test --release --test netns_hostile -- --ignored --test-threads=1 --nocapture; \
	else echo "*** SKIPPED: hostile-input tests (python3 not installed)"; fi
	@if [ -x /usr/lib/frr/vrrpd ] && command -v vtysh >/dev/null; then $(CARGO) test --release --test netns_frr -- --ignored --test-threads=1 --nocapture; \
	else echo "*** SKIPPED: interop with FRR's vrrpd (frr not installed)"; fi

# The namespace suite three times beside two CPU-bound processes (root).
stress-test: release
	@sh tests/stress.sh

demo: release
	@sh tests/preflight.sh demo
	BIN=$(BIN) sh tests/netns/demo.sh

# The loader on its own: the seed's configs tested and dumped inside a namespace.
demo-config: release
	BIN=$(BIN) sh tests/netns/demo-config.sh

bench:
	$(CARGO) run --release --example config_load_bench
	$(CARGO) run --release --example wire_bench
	$(CARGO) run --release --example sim_bench
	$(CARGO) run --release --example check_bench

# vrrpd against keepalived 2.2.7 on a namespaced LAN: CPU and memory (root).
# The static musl binary is measured: it is what users run (the glibc build's RSS is larger).
bench-daemon: static
	@sh tests/preflight.sh bench
	BIN=target/$(X86_64)/release/vrrpd sh tests/netns/bench-daemon.sh

# Stripped static binaries: x86_64 (copied to hosts), aarch64, armv7 (appliances). The toolchain
# and target are installed when missing.
static:
	sh cross/build.sh $(X86_64)

aarch64:
	sh cross/build.sh $(AARCH64)

armv7:
	sh cross/build.sh $(ARMV7)

# A tarball per target (binary + rootfs/ overlay + SHA-256 sums), the .deb and .rpm packages, and
# SHA256SUMS of them all in target/dist/.
dist: static aarch64 armv7
	@$(MAKE) --no-print-directory deb rpm
	sh cross/dist.sh $(X86_64) $(AARCH64) $(ARMV7)

# Debian packages (dpkg-deb) and RPMs (rpmbuild) of the three static binaries, in target/pkg/
# (pkg/build.sh; contents and choices in cross/README.md, "Packages").
deb: static aarch64 armv7
	@command -v dpkg-deb >/dev/null || { echo "make deb: dpkg-deb is not installed (Debian: dpkg)" >&2; exit 1; }
	sh pkg/build.sh deb $(X86_64) $(AARCH64) $(ARMV7)

rpm: static aarch64 armv7
	@command -v rpmbuild >/dev/null || { echo "make rpm: rpmbuild is not installed (Debian: rpm)" >&2; exit 1; }
	sh pkg/build.sh rpm $(X86_64) $(AARCH64) $(ARMV7)

# The packages on this machine (root; CI runs it after make dist): lintian, the amd64 .deb
# installed with dpkg -i and purged without a file left behind, each .rpm installed into a scratch
# root; nothing may start (pkg/test.sh).
package-test:
	sh pkg/test.sh

# The rootfs overlay: every shell script parses; the systemd unit verifies without a warning (when
# systemd-analyze is installed) with ExecStart pointed at the built binary.
rootfs-check: static
	@for f in rootfs/etc/init.d/* rootfs/etc/keepalived/*.sh; do sh -n "$$f" || exit 1; done
	@if command -v systemd-analyze >/dev/null; then \
		d=$$(mktemp -d) && sed "s|/usr/sbin/vrrpd|$(abspath target/$(X86_64)/release/vrrpd)|" \
			rootfs/usr/lib/systemd/system/vrrpd.service > $$d/vrrpd.service && \
		out=$$(systemd-analyze verify $$d/vrrpd.service 2>&1); rc=$$?; rm -rf $$d; \
		if [ $$rc != 0 ] || [ -n "$$out" ]; then echo "$$out"; echo "FAIL: vrrpd.service"; exit 1; fi; \
	else echo "*** SKIPPED: systemd-analyze verify of vrrpd.service (no systemd-analyze)"; fi
	@echo "rootfs-check: init scripts parse, vrrpd.service verifies"

size-check: armv7
	@size=$$(wc -c < $(ARMV7_BIN)); \
	if [ $$size -gt $(ARMV7_MAX_BYTES) ]; then echo "FAIL: $(ARMV7_BIN) is $$size bytes, over $(ARMV7_MAX_BYTES) (512 KiB)"; exit 1; fi; \
	echo "size-check: armv7 binary $$size bytes (limit $(ARMV7_MAX_BYTES))"

# Unit and pure-core tests built for armv7 and aarch64 and run under qemu-user (the runners in
# .cargo/config.toml). Debug builds: overflow checks on, 32-bit usize on armv7.
cross-test:
	@if command -v qemu-arm-static >/dev/null && command -v qemu-aarch64-static >/dev/null; then \
		sh cross/build.sh $(ARMV7) >/dev/null && sh cross/build.sh $(AARCH64) >/dev/null && \
		$(CARGO) +1.92.0 test --locked --target $(ARMV7) $(CROSS_TESTS) && \
		$(CARGO) +1.92.0 test --locked --target $(AARCH64) $(CROSS_TESTS); \
	else echo "*** SKIPPED: armv7/aarch64 tests under qemu-user (install qemu-user-static; CI does)"; fi

# Two armv7 busybox VMs under qemu-system-arm on a private link: boot with S40vrrpd, failover on
# stop and on power-off (cross/vm/appliance-test.py). Downloads Debian's kernel, busybox and qemu
# once into ~/.cache/vrrpd-vm (never committed, never installed).
appliance-test: armv7
	python3 cross/vm/appliance-test.py $(ARMV7_BIN) "$$(sh cross/vm/fetch.sh)"

# The armv7 toolchain is 1.92: make sure nothing newer slipped in.
msrv:
	$(CARGO) +1.92.0 build --release

clean:
	$(CARGO) clean

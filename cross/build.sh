#!/bin/sh
# Static musl release build of vrrpd for one target, without Docker or a C cross toolchain
# (cross/README.md): rust-lld links each musl rust-std's own crt objects, libc.a and libunwind.a.
#   cross/build.sh x86_64-unknown-linux-musl | aarch64-unknown-linux-musl | armv7-unknown-linux-musleabihf
# Installs the pinned toolchain with the target (and rust-src) when missing; prints the binary's
# path last.
#
# The release recipe rebuilds std itself with the release profile (opt-level "z", LTO, panic
# abort) and std's `optimize_for_size` feature: `-Z build-std` on the pinned stable toolchain,
# unlocked with RUSTC_BOOTSTRAP=1 (cross/README.md, "Size": what that means and its risks).
# VRRPD_PLAIN_BUILD=1 builds with the prebuilt std and no unstable flag instead (about 240 KB
# larger on armv7, over the appliance budget).
set -eu
target=$1
toolchain=${VRRPD_TOOLCHAIN:-1.92.0}
plain=${VRRPD_PLAIN_BUILD:-0}
cd "$(dirname "$0")/.."
# --profile minimal: rustc, cargo and std; our mirror has armv7-musl std for 1.92.0 and older only.
if ! rustup toolchain list | grep -q "^$toolchain-"; then
    rustup toolchain install "$toolchain" --profile minimal >&2
fi
if ! rustup +"$toolchain" target list --installed | grep -qx "$target"; then
    rustup target add --toolchain "$toolchain" "$target" >&2
fi
if [ "$plain" = 1 ]; then
    echo "cross/build.sh: plain build (VRRPD_PLAIN_BUILD=1): prebuilt std, stable flags only" >&2
    cargo +"$toolchain" build --release --locked --target "$target" >&2
else
    # build-std compiles std from the toolchain's own rust-src (same version, same patches).
    if ! rustup +"$toolchain" component list --installed | grep -q '^rust-src'; then
        rustup component add --toolchain "$toolchain" rust-src >&2
    fi
    # CARGO_CACHE_RUSTC_INFO=0: cargo's cache of `rustc --print cfg` (target/.rustc_info.json)
    # does not key on RUSTC_BOOTSTRAP, so after a plain build it would hand the build scripts the
    # stable cfg list, without target_has_reliable_f128: compiler_builtins then leaves out the
    # f128 routines and the aarch64 link fails (musl's printf needs __addtf3 & co).
    # armv7: Thumb-2 for all code, std included (as Debian's armhf is built): a third smaller.
    # An unstable target feature, so rustc warns once per build; VRRPD_ARMV7_THUMB=0 turns it off.
    # armv7: no unwind tables either (.ARM.exidx, 12 KB): with panic=abort nothing unwinds, and
    # the std built for size has no backtrace printer that would read them. And no source
    # locations in panic messages (-Z location-detail=none, 23 KB): the message stays.
    set --
    armv7_flags='"-Cforce-unwind-tables=no","-Zlocation-detail=none"'
    case "$target" in
        armv7-*) if [ "${VRRPD_ARMV7_THUMB:-1}" = 0 ]; then
                set -- --config "target.$target.rustflags=[$armv7_flags]"
            else
                set -- --config "target.$target.rustflags=[\"-Ctarget-feature=+thumb-mode\",$armv7_flags]"
            fi ;;
    esac
    CARGO_CACHE_RUSTC_INFO=0 RUSTC_BOOTSTRAP=1 cargo +"$toolchain" build --release --locked --target "$target" \
        "$@" -Z build-std=std,panic_abort -Z build-std-features=optimize_for_size >&2
fi
bin=target/$target/release/vrrpd
# Static and runnable: file(1) when present, and `-v` under qemu-user for the ARM targets.
if command -v file >/dev/null; then
    file -b "$bin" | grep -q "statically linked" || { echo "cross/build.sh: $bin is not statically linked: $(file -b "$bin")" >&2; exit 1; }
fi
case "$target" in
    armv7-*) runner=qemu-arm-static ;;
    aarch64-*) runner=qemu-aarch64-static ;;
    *) runner="" ;;
esac
if [ -n "$runner" ] && command -v "$runner" >/dev/null; then
    "$runner" "$bin" -v 2>&1 | grep -q '^vrrpd v' || { echo "cross/build.sh: $bin does not run under $runner" >&2; exit 1; }
elif [ -z "$runner" ] && [ "$(uname -m)" = "${target%%-*}" ]; then
    "$bin" -v 2>&1 | grep -q '^vrrpd v' || { echo "cross/build.sh: $bin does not run" >&2; exit 1; }
fi
echo "$(wc -c < "$bin") bytes  $bin" >&2
echo "$bin"

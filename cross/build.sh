#!/bin/sh
# Static musl release build of vrrpd for one target, without Docker or a C cross toolchain
# (cross/README.md): rust-lld links each musl rust-std's own crt objects, libc.a and libunwind.a.
#   cross/build.sh x86_64-unknown-linux-musl | aarch64-unknown-linux-musl | armv7-unknown-linux-musleabihf
# Installs the pinned toolchain with the target when missing; prints the binary's path last.
set -eu
target=$1
toolchain=${VRRPD_TOOLCHAIN:-1.92.0}
cd "$(dirname "$0")/.."
# --profile minimal: rustc, cargo and std; our mirror has armv7-musl std for 1.92.0 and older only.
if ! rustup toolchain list | grep -q "^$toolchain-"; then
    rustup toolchain install "$toolchain" --profile minimal >&2
fi
if ! rustup +"$toolchain" target list --installed | grep -qx "$target"; then
    rustup target add --toolchain "$toolchain" "$target" >&2
fi
cargo +"$toolchain" build --release --locked --target "$target" >&2
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
fi
echo "$(wc -c < "$bin") bytes  $bin" >&2
echo "$bin"

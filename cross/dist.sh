#!/bin/sh
# One tarball per target in target/dist/: vrrpd-VERSION-TARGET/{rootfs/ (the overlay, with the
# static binary at usr/sbin/vrrpd), SHA256SUMS (of every file in it)}, beside the .deb and .rpm
# packages of target/pkg/, plus target/dist/SHA256SUMS of the tarballs and packages. Root-owned,
# sorted, dated by the last commit: the same tree gives the same bytes.
#   cross/dist.sh TARGET...   (the binaries must be built: make dist does that)
set -eu
cd "$(dirname "$0")/.."
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
epoch=$(git log -1 --format=%ct 2>/dev/null || echo 0)
out=target/dist
rm -rf "$out"
mkdir -p "$out"
for target in "$@"; do
    name=vrrpd-$version-$target
    stage=$out/$name
    mkdir -p "$stage/rootfs/usr/sbin"
    cp -R rootfs/. "$stage/rootfs/"
    install -m 0755 "target/$target/release/vrrpd" "$stage/rootfs/usr/sbin/vrrpd"
    (cd "$stage" && find rootfs -type f | LC_ALL=C sort | xargs sha256sum > SHA256SUMS)
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
        -C "$out" -cf - "$name" | gzip -9n > "$out/$name.tar.gz"
    rm -rf "$stage"
done
# The packages make deb and make rpm wrote (make dist builds them first).
for p in target/pkg/*.deb target/pkg/*.rpm; do
    [ -f "$p" ] && cp "$p" "$out/"
done
(cd "$out" && sha256sum ./*.tar.gz ./*.deb ./*.rpm 2>/dev/null | sed 's| \./| |' > SHA256SUMS)
ls -l "$out"
cat "$out/SHA256SUMS"

#!/bin/sh
# Debian and RPM packages of the static release binaries, in target/pkg/:
#   pkg/build.sh deb TARGET...   vrrpd_VERSION-1_ARCH.deb, with dpkg-deb alone (no debhelper)
#   pkg/build.sh rpm TARGET...   vrrpd-VERSION-1.ARCH.rpm, with rpmbuild -bb over pkg/vrrpd.spec
# TARGET: x86_64-unknown-linux-musl aarch64-unknown-linux-musl armv7-unknown-linux-musleabihf.
# The binaries must be built (make deb / make rpm do that). Contents and choices: cross/README.md,
# "Packages". Prints each package's path.
set -eu
cd "$(dirname "$0")/.."
kind=$1
shift
out=target/pkg
mkdir -p "$out"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
# The packaging revision (Debian revision, RPM Release): raise it for a repackaging of the same
# version, with a pkg/debian/changelog entry.
release=1
epoch=$(git log -1 --format=%ct 2>/dev/null || echo 0)
maintainer="vrrpd maintainers <maintainers@users.noreply.r-seed-c466e76c.example>"
summary="keepalived-compatible VRRP agent"

# stage_tree TARGET DIR: the binary, the unit, the man pages and the examples under DIR/usr.
# Nothing under /etc: /etc/keepalived/keepalived.conf belongs to the administrator (or to the
# keepalived package); the example goes to the documentation.
stage_tree() {
    bin=target/$1/release/vrrpd
    [ -x "$bin" ] || { echo "pkg: $bin is not built (make $1 first; make deb/rpm do)" >&2; exit 1; }
    install -d -m 0755 "$2/usr/sbin" "$2/usr/lib/systemd/system" "$2/usr/share/man/man8" \
        "$2/usr/share/man/man5" "$2/usr/share/doc/vrrpd/examples"
    install -m 0755 "$bin" "$2/usr/sbin/vrrpd"
    install -m 0644 rootfs/usr/lib/systemd/system/vrrpd.service "$2/usr/lib/systemd/system/vrrpd.service"
    gzip -9n < man/vrrpd.8 > "$2/usr/share/man/man8/vrrpd.8.gz"
    gzip -9n < man/vrrpd.conf.5 > "$2/usr/share/man/man5/vrrpd.conf.5.gz"
    chmod 0644 "$2/usr/share/man/man8/vrrpd.8.gz" "$2/usr/share/man/man5/vrrpd.conf.5.gz"
    install -m 0644 rootfs/etc/keepalived/keepalived.conf "$2/usr/share/doc/vrrpd/examples/keepalived.conf"
    install -m 0644 rootfs/etc/keepalived/check_nginx.sh "$2/usr/share/doc/vrrpd/examples/check_nginx.sh"
}

# touch_tree DIR: every file dated by the last commit, so the same tree gives the same package.
touch_tree() {
    find "$1" -exec touch -h -d "@$epoch" {} +
}

deb() {
    for target in "$@"; do
        case "$target" in
            x86_64-*) arch=amd64 ;;
            aarch64-*) arch=arm64 ;;
            armv7-*) arch=armhf ;;
            *) echo "pkg/build.sh: no Debian architecture for $target" >&2; exit 1 ;;
        esac
        stage=$out/deb-$arch
        rm -rf "$stage" "$out/vrrpd_${version}-${release}_$arch.deb"
        stage_tree "$target" "$stage"
        doc=$stage/usr/share/doc/vrrpd
        install -m 0644 pkg/debian/copyright "$doc/copyright"
        gzip -9n < pkg/debian/changelog > "$doc/changelog.Debian.gz"
        chmod 0644 "$doc/changelog.Debian.gz"
        install -d -m 0755 "$stage/usr/share/lintian/overrides"
        install -m 0644 pkg/debian/lintian-overrides "$stage/usr/share/lintian/overrides/vrrpd"
        install -d -m 0755 "$stage/DEBIAN"
        for s in postinst prerm postrm; do install -m 0755 "pkg/debian/$s" "$stage/DEBIAN/$s"; done
        (cd "$stage" && find usr -type f | LC_ALL=C sort | xargs md5sum) > "$stage/DEBIAN/md5sums"
        chmod 0644 "$stage/DEBIAN/md5sums"
        size=$(du -sk --apparent-size "$stage/usr" | cut -f1)
        {
            echo "Package: vrrpd"
            echo "Version: $version-$release"
            echo "Architecture: $arch"
            echo "Maintainer: $maintainer"
            echo "Installed-Size: $size"
            echo "Section: net"
            echo "Priority: optional"
            echo "Suggests: iproute2"
            echo "Description: $summary"
            sed 's/^/ /; s/^ $/ ./' pkg/description.txt
        } > "$stage/DEBIAN/control"
        chmod 0644 "$stage/DEBIAN/control"
        touch_tree "$stage"
        SOURCE_DATE_EPOCH=$epoch dpkg-deb --root-owner-group -Zxz --build "$stage" \
            "$out/vrrpd_${version}-${release}_$arch.deb" >&2
        rm -rf "$stage"
        echo "$out/vrrpd_${version}-${release}_$arch.deb"
    done
}

rpm_pkg() {
    for target in "$@"; do
        case "$target" in
            x86_64-*) arch=x86_64 ;;
            aarch64-*) arch=aarch64 ;;
            armv7-*) arch=armv7hl ;;
            *) echo "pkg/build.sh: no RPM architecture for $target" >&2; exit 1 ;;
        esac
        top=$(pwd)/$out/rpm-$arch
        rm -rf "$top" "$out/vrrpd-$version-$release.$arch.rpm"
        stage_tree "$target" "$top/stage"
        install -m 0644 pkg/debian/copyright "$top/stage/usr/share/doc/vrrpd/copyright"
        touch_tree "$top/stage"
        # The tree is staged here; the spec only lists it (no %prep/%build), and rpm's own
        # post-install steps (strip, build-id links, debuginfo) stay off: the binaries are
        # stripped static cross builds the host tools cannot process.
        SOURCE_DATE_EPOCH=$epoch rpmbuild -bb --quiet --target "$arch-linux" \
            --define "_topdir $top" --define "_rpmdir $top/out" --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
            --define "vrrpd_stage $top/stage" --define "vrrpd_version $version" --define "vrrpd_release $release" \
            --define "vrrpd_summary $summary" --define "vrrpd_packager $maintainer" \
            --define "_buildhost vrrpd" --define "use_source_date_epoch_as_buildtime 1" --define "clamp_mtime_to_source_date_epoch 1" \
            pkg/vrrpd.spec >&2
        mv "$top/out/vrrpd-$version-$release.$arch.rpm" "$out/"
        rm -rf "$top"
        echo "$out/vrrpd-$version-$release.$arch.rpm"
    done
}

case "$kind" in
    deb) deb "$@" ;;
    rpm) rpm_pkg "$@" ;;
    *) echo "usage: pkg/build.sh deb|rpm TARGET..." >&2; exit 2 ;;
esac

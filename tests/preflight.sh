#!/bin/sh
# make test / make demo / make bench-daemon, before anything else: every command the tests, the
# demo and the benchmarks run is on PATH, or this names it and the Debian package that brings
# it (.ci/run installs them all). Usage: preflight.sh [test|demo|bench]
set -eu
what=${1:-test}
missing=""
need() { # need COMMAND PACKAGE
    command -v "$1" >/dev/null 2>&1 || missing="$missing\n  $1 (Debian package: $2)"
}
need cargo "rustup (https://rustup.rs) or cargo"
need python3 python3
need sh dash
need ps procps
need pgrep procps
need file file
need curl curl
if [ "$what" = test ]; then
    need rustup rustup
    need shellcheck shellcheck
    need mandoc mandoc
    need qemu-arm-static qemu-user-static
    need qemu-aarch64-static qemu-user-static
    need apt-get apt
fi
# What runs only as root: the namespace tests, the demo, the daemon benchmarks.
# The demo runs only ip, python3's http.server and curl (and vrrpd).
if [ "$what" = demo ]; then
    need ip iproute2
fi
if { [ "$what" = test ] && [ "$(id -u)" = 0 ]; } || [ "$what" = bench ]; then
    need ip iproute2
    need keepalived keepalived
    need ping iputils-ping
    need tcpdump tcpdump
    need unshare util-linux
    need setpriv util-linux
    need mount mount
    need sysctl procps
fi
if [ "$what" = test ] && [ "$(id -u)" = 0 ]; then
    need prometheus prometheus
    need promtool prometheus
    need vtysh frr
fi
if [ "$what" = bench ]; then
    need bc bc
fi
if [ -n "$missing" ]; then
    printf "preflight: missing tools:%b\n" "$missing" >&2
    echo "preflight: install them (as root: apt-get install -y PACKAGE...), or run .ci/run which does" >&2
    exit 1
fi
echo "preflight ($what): every tool is installed"

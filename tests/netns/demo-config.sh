#!/bin/sh
# make demo-config: the seed's two configs, byte for byte, tested and dumped (`-t -d`)
# by vrrpd inside a network namespace that has the seed's interface enp0s3. Everything lives in
# a namespace this script creates and removes on every exit path; nothing touches the host.
set -u
BIN=${BIN:-target/release/vrrpd}
NS="vrrpd-demo-$$"
if [ "$(id -u)" != 0 ]; then
    echo "make demo: needs root to create a network namespace (the seed's interface enp0s3 must exist)" >&2
    exit 1
fi
cleanup() { ip netns del "$NS" 2>/dev/null; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE
ip netns add "$NS" || exit 1
ip -n "$NS" link add enp0s3 type veth peer name peer0 || exit 1
ip -n "$NS" link set enp0s3 up
for f in master backup; do
    echo "==> vrrpd -t -d -f tests/data/$f.conf   (the seed's file as published, U+00A0 included)"
    ip netns exec "$NS" timeout 10 "$BIN" -t -d -f "tests/data/$f.conf"
    echo "==> exit code $? (5: /etc/keepalived/check_nginx.sh is missing here, so the check is disabled)"
    echo
done
echo "==> the same files through keepalived's eyes: each U+00A0 is white space, not an unknown keyword."

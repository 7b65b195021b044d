#!/bin/sh
# Regenerates tests/data/netlink/*.bin from the running kernel, inside a network namespace
# this script creates and removes. Needs root and python3.
set -u
NS="vrrpd-nl-$$"
cleanup() { ip netns del "$NS" 2>/dev/null; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE
cd "$(dirname "$0")" || exit 1
ip netns add "$NS" || exit 1
ip -n "$NS" link set lo up
ip -n "$NS" link add nl0 address 02:00:00:00:0b:01 mtu 1500 type veth peer name nl1 address 02:00:00:00:0b:02
ip -n "$NS" addr add 10.9.0.1/24 brd + dev nl0 label nl0:main
ip -n "$NS" -6 addr add 2001:db8::1/64 dev nl0 nodad
ip -n "$NS" link set nl0 up
ip -n "$NS" link set nl1 up
ip netns exec "$NS" python3 capture-netlink.py ../data/netlink && ls -l ../data/netlink

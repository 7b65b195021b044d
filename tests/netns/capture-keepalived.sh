#!/bin/sh
# Regenerates tests/data/capture/*.pcap from Debian's keepalived (2.2.7) in two network
# namespaces joined by a veth pair that only this script creates. Needs root, keepalived and
# tcpdump. Nothing is added to the host namespace; everything is removed on every exit path.
set -u
cd "$(dirname "$0")/../data/capture" || exit 1
A="vrrpd-capA-$$"; B="vrrpd-capB-$$"
cleanup() {
    [ -n "${KA:-}" ] && kill "$KA" 2>/dev/null
    [ -n "${TD:-}" ] && kill "$TD" 2>/dev/null
    sleep 0.3
    ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null
    rm -f /tmp/vrrpd-cap-$$.*
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE
ip netns add "$A" && ip netns add "$B" || exit 1
ip -n "$A" link add ka0 address 02:00:00:00:0a:01 type veth peer name ka1 netns "$B" address 02:00:00:00:0a:02 || exit 1
ip -n "$A" addr add 10.9.0.1/24 dev ka0
ip -n "$B" addr add 10.9.0.2/24 dev ka1
ip -n "$A" link set ka0 up; ip -n "$B" link set ka1 up
ip -n "$A" link set lo up; ip -n "$B" link set lo up
# Wait for IPv6 DAD on the link-local addresses so adverts have a source.
for _ in $(seq 50); do
    ip -n "$A" -6 addr show dev ka0 | grep -q tentative || break; sleep 0.1
done

capture() { # conf pcap seconds
    ip netns exec "$B" tcpdump -i ka1 -U -w "$2" 'ip proto 112 or ip proto 51 or ip6 proto 112 or arp or icmp6' 2>/dev/null &
    TD=$!
    sleep 1
    ip netns exec "$A" keepalived -n -P -l -D -f "$1" -p /tmp/vrrpd-cap-$$.pid -r /tmp/vrrpd-cap-$$.vrrp.pid >/tmp/vrrpd-cap-$$.log 2>&1 &
    KA=$!
    sleep "$3"
    kill -TERM "$KA"; wait "$KA" 2>/dev/null; KA=
    sleep 1
    kill "$TD"; wait "$TD" 2>/dev/null; TD=
    cat /tmp/vrrpd-cap-$$.log | sed 's/^/    keepalived: /' | head -40
}
capture ka-main.conf ka-main.pcap 3
capture ka-csum-as-v2.conf ka-csum-as-v2.pcap 2
capture ka-ah.conf ka-ah.pcap 2
ls -l -- *.pcap

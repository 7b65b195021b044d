#!/bin/sh
# make demo: the seed's keepalived + nginx failover, with vrrpd. A namespaced LAN (a bridge,
# two nodes with enp0s3 as in the seed, a client), the seed's configs unchanged, a small HTTP
# responder per node. The client reaches the master through 192.168.31.240; the master host
# dies; the backup answers; the master comes back. Every address lives only inside the
# namespaces this script creates, and all of it is removed on every exit path.
set -u
BIN=${BIN:-target/release/vrrpd}
T="vdemo$$"
SW="$T-sw"; A="$T-a"; B="$T-b"; C="$T-c"
DIR=$(mktemp -d /tmp/vrrpd-demo.XXXXXX)
VIP=192.168.31.240
if [ "$(id -u)" != 0 ]; then
    echo "make demo: needs root (it creates network namespaces)" >&2
    exit 1
fi
cleanup() {
    for f in "$DIR"/*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
    # Reap them: no zombie is left for init to collect after the demo.
    wait 2>/dev/null
    for n in "$A" "$B" "$C" "$SW"; do ip netns del "$n" 2>/dev/null; done
    rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE
say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
ms() { date +%s%3N; }
has_vip() { ip -n "$1" -4 addr show dev enp0s3 | grep -q "$VIP/32"; }
neigh() { ip -n "$C" neigh show "$VIP" | awk '{print $5}'; }

say "building a LAN in network namespaces: switch, master (.20), backup (.30), client (.100)"
ip netns add "$SW" && ip -n "$SW" link add br0 type bridge && ip -n "$SW" link set br0 up
add_node() { # name ns address
    ip netns add "$2"
    ip -n "$2" link add enp0s3 type veth peer name "p$1" netns "$SW"
    ip -n "$SW" link set "p$1" master br0 && ip -n "$SW" link set "p$1" up
    ip -n "$2" addr add "$3/24" dev enp0s3 && ip -n "$2" link set enp0s3 up && ip -n "$2" link set lo up
}
add_node a "$A" 192.168.31.20
add_node b "$B" 192.168.31.30
add_node c "$C" 192.168.31.100
for n in a b; do
    mkdir -p "$DIR/www-$n"
    [ $n = a ] && echo "hello from the MASTER (192.168.31.20)" > "$DIR/www-$n/index.html"
    [ $n = b ] && echo "hello from the BACKUP (192.168.31.30)" > "$DIR/www-$n/index.html"
    ns=$A; [ $n = b ] && ns=$B
    ip netns exec "$ns" python3 -m http.server 80 --directory "$DIR/www-$n" >/dev/null 2>&1 &
    echo $! > "$DIR/http-$n.pid"
done
start_vrrpd() { # node ns conf
    ip netns exec "$2" "$BIN" -n -l -G -f "$3" -p "$DIR/$1.pid" -r "$DIR/$1-vrrp.pid" \
        --control-socket "$DIR/$1.sock" > "$DIR/$1.log" 2>&1 &
}
say "starting vrrpd on both nodes with the seed's configs, byte for byte (U+00A0 included)"
start_vrrpd a "$A" tests/data/master.conf
start_vrrpd b "$B" tests/data/backup.conf
t0=$(ms)
i=0; until has_vip "$A"; do i=$((i+1)); [ $i -gt 500 ] && { echo "no master"; cat "$DIR/a.log"; exit 1; }; sleep 0.02; done
echo "master elected after $(( $(ms) - t0 )) ms (3 x advert_int 2 s + skew):"
sed -n 's/^/    master: /p' "$DIR/a.log" | grep -E "STATE|VIPs" | head -4
say "the client asks http://$VIP/"
ip netns exec "$C" curl -s --max-time 1 "http://$VIP/"
echo "client's ARP entry for $VIP: $(neigh) (the master's MAC)"
say "vrrpd status on the backup (its control socket; no signal, no dump file)"
"$BIN" status --control-socket "$DIR/b.sock" | sed 's/^/    /'

say "the master host dies (its link goes down, vrrpd is killed)"
ip -n "$A" link set enp0s3 down
a_pid=$(cat "$DIR/a.pid"); kill -9 "$a_pid"; wait "$a_pid" 2>/dev/null; rm -f "$DIR/a.pid"
t0=$(ms)
i=0; until has_vip "$B"; do i=$((i+1)); [ $i -gt 1000 ] && { echo "no takeover"; exit 1; }; sleep 0.01; done
echo "backup took the VIP after $(( $(ms) - t0 )) ms (master-down 6.61 s after the last advert it heard)"
sed -n 's/^/    backup: /p' "$DIR/b.log" | grep -E "MASTER STATE|gratuitous" | tail -2
say "the client asks again"
echo "client's ARP entry for $VIP: $(neigh) (updated by the backup's gratuitous ARP, not by expiry)"
ip netns exec "$C" curl -s --max-time 1 "http://$VIP/"

say "the master comes back: it preempts (priority 101 > 100)"
ip -n "$A" link set enp0s3 up
start_vrrpd a "$A" tests/data/master.conf
t0=$(ms)
i=0; until has_vip "$A"; do i=$((i+1)); [ $i -gt 1000 ] && { echo "master did not return"; exit 1; }; sleep 0.01; done
echo "master holds the VIP again after $(( $(ms) - t0 )) ms"
ip netns exec "$C" curl -s --max-time 1 "http://$VIP/"

say "planned switchover for maintenance: vrrpd demote VI_1 on the master"
i=0; until "$BIN" status VI_1 --control-socket "$DIR/b.sock" 2>/dev/null | grep -q "master: 192.168.31.20"; do
    i=$((i+1)); [ $i -gt 500 ] && break; sleep 0.02; done
t0=$(ms)
"$BIN" demote VI_1 --control-socket "$DIR/a.sock" | sed 's/^/    /'
echo "the backup holds the VIP $(( $(ms) - t0 )) ms later (skew 0.61 s); the master kept it until then"
ip netns exec "$C" curl -s --max-time 1 "http://$VIP/"
"$BIN" status VI_1 --control-socket "$DIR/a.sock" | head -2 | sed 's/^/    /'
say "vrrpd promote VI_1: the master preempts again"
"$BIN" promote VI_1 --control-socket "$DIR/a.sock" | sed 's/^/    /'
i=0; until has_vip "$A"; do i=$((i+1)); [ $i -gt 500 ] && { echo "master did not come back"; exit 1; }; sleep 0.01; done
ip netns exec "$C" curl -s --max-time 1 "http://$VIP/"
say "done; removing the namespaces"

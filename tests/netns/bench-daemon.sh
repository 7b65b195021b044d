#!/bin/sh
# make bench-daemon (root): vrrpd against keepalived 2.2.7 on the same namespaced LAN.
# 200 instances at advert_int 0.01 on one interface (20,000 adverts/s from the master):
# CPU of master and backup over 10 s, and resident memory. Namespaces and processes are
# removed on every exit path.
set -u
BIN=${BIN:-target/release/vrrpd}
T="vbench$$"; SW="$T-sw"; A="$T-a"; B="$T-b"
DIR=$(mktemp -d /tmp/vrrpd-bench.XXXXXX)
SECS=${SECS:-10}
cleanup() {
    for ns in "$A" "$B"; do for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done; done
    sleep 0.3
    for n in "$A" "$B" "$SW"; do ip netns del "$n" 2>/dev/null; done
    rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE
[ "$(id -u)" = 0 ] || { echo "bench-daemon needs root" >&2; exit 1; }
ip netns add "$SW"; ip -n "$SW" link add br0 type bridge; ip -n "$SW" link set br0 up
for pair in "a $A 10.10.0.1" "b $B 10.10.0.2"; do
    set -- $pair
    ip netns add "$2"
    ip -n "$2" link add eth0 type veth peer name "p$1" netns "$SW"
    ip -n "$SW" link set "p$1" master br0; ip -n "$SW" link set "p$1" up
    ip -n "$2" addr add "$3/16" dev eth0; ip -n "$2" link set eth0 up; ip -n "$2" link set lo up
done
gen() { # priority
    i=1; while [ $i -le 200 ]; do
        printf 'vrrp_instance V%d {\n interface eth0\n virtual_router_id %d\n priority %d\n version 3\n advert_int 0.01\n virtual_ipaddress {\n  10.20.%d.%d/32\n }\n}\n' $i $i "$1" $((i / 250)) $((i % 250 + 1))
        i=$((i + 1))
    done
}
gen 150 > "$DIR/high.conf"; gen 100 > "$DIR/low.conf"
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)
run() { # name start-a start-b
    eval "$2"; eval "$3"
    sleep 3
    pa=$(ip netns pids "$A" | tr '\n' ' '); pb=$(ip netns pids "$B" | tr '\n' ' ')
    ca0=0; for p in $pa; do ca0=$((ca0 + $(ticks $p))); done
    cb0=0; for p in $pb; do cb0=$((cb0 + $(ticks $p))); done
    sleep "$SECS"
    ca1=0; ra=0; for p in $pa; do ca1=$((ca1 + $(ticks $p))); ra=$((ra + $(rss $p))); done
    cb1=0; rb=0; for p in $pb; do cb1=$((cb1 + $(ticks $p))); rb=$((rb + $(rss $p))); done
    vips=$(ip -n "$A" -4 addr show dev eth0 | grep -c 'inet 10.20')
    printf '%-10s master: %5.1f%% CPU, %5d KiB RSS (%d processes, %d VIPs held) | backup: %5.1f%% CPU, %5d KiB RSS\n' "$1" \
        "$(echo "($ca1 - $ca0) * 100 / $hz / $SECS" | bc -l)" "$ra" "$(echo $pa | wc -w)" "$vips" \
        "$(echo "($cb1 - $cb0) * 100 / $hz / $SECS" | bc -l)" "$rb"
    for ns in "$A" "$B"; do for p in $(ip netns pids "$ns"); do kill -TERM "$p" 2>/dev/null; done; done
    sleep 2
    for ns in "$A" "$B"; do for p in $(ip netns pids "$ns"); do kill -9 "$p" 2>/dev/null; done; done
    sleep 0.5
}
run vrrpd \
    "ip netns exec $A $BIN -n -G -f $DIR/high.conf -p $DIR/a.pid -r $DIR/a.vpid >/dev/null 2>&1 &" \
    "ip netns exec $B $BIN -n -G -f $DIR/low.conf -p $DIR/b.pid -r $DIR/b.vpid >/dev/null 2>&1 &"
if command -v keepalived >/dev/null; then
    run keepalived \
        "ip netns exec $A keepalived -n -P -f $DIR/high.conf -p $DIR/ka.pid -r $DIR/ka.vpid >/dev/null 2>&1 &" \
        "ip netns exec $B keepalived -n -P -f $DIR/low.conf -p $DIR/kb.pid -r $DIR/kb.vpid >/dev/null 2>&1 &"
fi

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
add_node() { # name ns address
    ip netns add "$2"
    ip -n "$2" link add eth0 type veth peer name "p$1" netns "$SW"
    ip -n "$SW" link set "p$1" master br0; ip -n "$SW" link set "p$1" up
    ip -n "$2" addr add "$3/16" dev eth0; ip -n "$2" link set eth0 up; ip -n "$2" link set lo up
}
add_node a "$A" 10.10.0.1
add_node b "$B" 10.10.0.2
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
    ca0=0; for p in $pa; do ca0=$((ca0 + $(ticks "$p"))); done
    cb0=0; for p in $pb; do cb0=$((cb0 + $(ticks "$p"))); done
    sleep "$SECS"
    ca1=0; ra=0; for p in $pa; do ca1=$((ca1 + $(ticks "$p"))); ra=$((ra + $(rss "$p"))); done
    cb1=0; rb=0; for p in $pb; do cb1=$((cb1 + $(ticks "$p"))); rb=$((rb + $(rss "$p"))); done
    vips=$(ip -n "$A" -4 addr show dev eth0 | grep -c 'inet 10.20')
    printf '%-10s master: %5.1f%% CPU, %5d KiB RSS (%d processes, %d VIPs held) | backup: %5.1f%% CPU, %5d KiB RSS\n' "$1" \
        "$(echo "($ca1 - $ca0) * 100 / $hz / $SECS" | bc -l)" "$ra" "$(echo "$pa" | wc -w)" "$vips" \
        "$(echo "($cb1 - $cb0) * 100 / $hz / $SECS" | bc -l)" "$rb"
    for ns in "$A" "$B"; do for p in $(ip netns pids "$ns"); do kill -TERM "$p" 2>/dev/null; done; done
    sleep 2
    for ns in "$A" "$B"; do for p in $(ip netns pids "$ns"); do kill -9 "$p" 2>/dev/null; done; done
    sleep 0.5
}
run vrrpd \
    "ip netns exec $A $BIN -n -G -f $DIR/high.conf -p $DIR/a.pid -r $DIR/a.vpid --control-socket none >/dev/null 2>&1 &" \
    "ip netns exec $B $BIN -n -G -f $DIR/low.conf -p $DIR/b.pid -r $DIR/b.vpid --control-socket none >/dev/null 2>&1 &"
# The control socket under load (issue: ten clients that never read and one events client
# change nothing measurable; status answers in under 5 ms): the gaps between one instance's
# adverts as the backup receives them (VRID 1, tcpdump timestamps), without and then with the
# clients, and the time `status` takes over the control socket.
gaps() { # label: 5 s of VRID 1's adverts on the backup, gap percentiles in microseconds
    timeout 5 ip netns exec "$B" tcpdump -tt -n -i eth0 -l 'ip proto 112 and ip[21] = 1' 2>/dev/null |
        awk '{ t = $1 * 1000000; if (prev) printf "%d\n", t - prev; prev = t }' | sort -n |
        awk -v label="$1" '{ g[NR] = $1 } END { if (NR == 0) { print label ": no adverts seen"; exit }
            printf "%-34s %5d gaps: p50 %6d us, p99 %6d us, max %6d us\n", label, NR,
            g[int(NR * 0.5) + 1], g[int(NR * 0.99) + 1], g[NR] }'
}
control_bench() {
    ip netns exec "$A" "$BIN" -n -G -f "$DIR/high.conf" -p "$DIR/c.pid" -r "$DIR/c.vpid" --control-socket "$DIR/a.sock" >/dev/null 2>&1 &
    ip netns exec "$B" "$BIN" -n -G -f "$DIR/low.conf" -p "$DIR/d.pid" -r "$DIR/d.vpid" --control-socket "$DIR/b.sock" >/dev/null 2>&1 &
    i=0; until [ -S "$DIR/a.sock" ] && "$BIN" status V200 --control-socket "$DIR/a.sock" 2>/dev/null | grep -q MASTER; do
        i=$((i+1)); [ $i -gt 500 ] && { echo "control bench: no master"; return; }; sleep 0.02; done
    sleep 2
    gaps "master adverts, no client"
    "$BIN" events --control-socket "$DIR/a.sock" >/dev/null 2>&1 & reader=$!
    python3 - "$DIR/a.sock" <<'PY' & idle=$!
import socket, sys, time
socks = []
for _ in range(10):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.sendall(b"events json\n")   # subscribed, and never reads a byte
    socks.append(s)
time.sleep(30)
PY
    sleep 1
    gaps "master adverts, 10 idle + 1 events"
    python3 - "$DIR/a.sock" <<'PY'
import socket, sys, time
times = []
for _ in range(200):
    t0 = time.perf_counter()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.sendall(b"status\n")
    n = 0
    while True:
        b = s.recv(65536)
        if not b:
            break
        n += len(b)
    s.close()
    times.append((time.perf_counter() - t0) * 1e6)
times.sort()
print("status of 200 instances (%d bytes): p50 %d us, p99 %d us, max %d us (limit 5000)" % (n, times[100], times[197], times[-1]))
PY
    kill "$reader" "$idle" 2>/dev/null
    for ns in "$A" "$B"; do for p in $(ip netns pids "$ns"); do kill -TERM "$p" 2>/dev/null; done; done
    sleep 2
    for ns in "$A" "$B"; do for p in $(ip netns pids "$ns"); do kill -9 "$p" 2>/dev/null; done; done
    sleep 0.5
}
if command -v tcpdump >/dev/null; then
    control_bench
fi
if command -v keepalived >/dev/null; then
    run keepalived \
        "ip netns exec $A keepalived -n -P -f $DIR/high.conf -p $DIR/ka.pid -r $DIR/ka.vpid >/dev/null 2>&1 &" \
        "ip netns exec $B keepalived -n -P -f $DIR/low.conf -p $DIR/kb.pid -r $DIR/kb.vpid >/dev/null 2>&1 &"
fi

# Failover times, side by side: the master host dies (link down + SIGKILL) and the backup
# takes the VIP. Timed from the kill to the address appearing (ip -ts monitor on the backup).
us_of_day() { echo "$1" | awk -F'[:.]' '{printf "%.0f\n", (($1*60+$2)*60+$3)*1000000 + substr($4"000000",1,6)}'; }
failover() { # impl interval
    one() { printf 'vrrp_instance V {\n interface eth0\n virtual_router_id 7\n priority %d\n version 3\n advert_int %s\n virtual_ipaddress {\n  10.20.0.1/32\n }\n}\n' "$1" "$2"; }
    one 150 "$2" > "$DIR/fa.conf"; one 100 "$2" > "$DIR/fb.conf"
    ip -n "$A" link set eth0 up
    if [ "$1" = vrrpd ]; then
        ip netns exec "$A" "$BIN" -n -G -f "$DIR/fa.conf" -p "$DIR/fa.pid" -r "$DIR/fa.vpid" --control-socket none >/dev/null 2>&1 &
        ip netns exec "$B" "$BIN" -n -G -f "$DIR/fb.conf" -p "$DIR/fb.pid" -r "$DIR/fb.vpid" --control-socket none >/dev/null 2>&1 &
    else
        ip netns exec "$A" keepalived -n -P -f "$DIR/fa.conf" -p "$DIR/fa.pid" -r "$DIR/fa.vpid" >/dev/null 2>&1 &
        ip netns exec "$B" keepalived -n -P -f "$DIR/fb.conf" -p "$DIR/fb.pid" -r "$DIR/fb.vpid" >/dev/null 2>&1 &
    fi
    i=0; until ip -n "$A" -4 addr show dev eth0 | grep -q 10.20.0.1/32; do i=$((i+1)); [ $i -gt 800 ] && { echo "$1 $2: no master"; return; }; sleep 0.01; done
    sleep 1
    ip -ts -n "$B" monitor address > "$DIR/mon" 2>/dev/null & mon=$!
    sleep 0.3
    # The host dies: its link first (nothing more leaves it, not even a priority-0 advert
    # from a process that notices its parent died), then its processes.
    t0=$(date +%T.%6N)
    ip -n "$A" link set eth0 down
    for p in $(ip netns pids "$A"); do kill -9 "$p"; done
    i=0; until grep -q 'inet 10.20.0.1/32' "$DIR/mon"; do i=$((i+1)); [ $i -gt 1000 ] && break; sleep 0.01; done
    kill "$mon" 2>/dev/null
    t1=$(grep -m1 'inet 10.20.0.1/32' "$DIR/mon" | sed 's/^\[[^T]*T\([^]]*\)\].*/\1/')
    down=$(echo "3 * $2 * 1000000 + 156 * $2 * 1000000 / 256" | bc)
    if [ -n "$t1" ]; then
        printf '%-10s advert_int %-4s: VIP on the backup %8d us after the kill (master-down %d us after the last advert)\n' "$1" "$2" $(( $(us_of_day "$t1") - $(us_of_day "$t0") )) "${down%.*}"
    else
        echo "$1 advert_int $2: no takeover"
    fi
    for p in $(ip netns pids "$B"); do kill -TERM "$p" 2>/dev/null; done
    sleep 1.2
    for ns in "$A" "$B"; do for p in $(ip netns pids "$ns"); do kill -9 "$p" 2>/dev/null; done; done
    ip -n "$B" addr flush dev eth0 scope global 2>/dev/null; ip -n "$B" addr add 10.10.0.2/16 dev eth0
    sleep 0.3
}
for interval in 1 0.1 0.01; do
    failover vrrpd $interval
    command -v keepalived >/dev/null && failover keepalived $interval
done

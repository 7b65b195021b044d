#!/bin/sh
# make package-test (root; .ci/run runs it after make dist): the packages of target/pkg/ on this
# machine, without starting anything.
# - lintian passes on every .deb (remaining tags are overridden in pkg/debian/lintian-overrides);
# - the .deb of this machine's architecture installs with dpkg -i beside Debian's keepalived,
#   vrrpd -v and man -l work, no vrrpd runs and the service is not enabled, and dpkg --purge
#   leaves the file list of /usr, /etc, /opt, /var/lib/dpkg/info and /var/lib/systemd as it was;
# - every .rpm installs into a scratch root (rpm --root --nodeps --noscripts: the root has no
#   shell to run scriptlets in) and its binary runs -v (qemu-user for the ARM ones).
# The package must start nothing; invoke-rc.d is also denied by a policy-rc.d while the .deb is
# installed, and the test fails if any process runs /usr/sbin/vrrpd.
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "package-test: needs root (dpkg -i on this machine)" >&2; exit 1; }
for t in dpkg lintian man rpm; do
    command -v "$t" >/dev/null || { echo "package-test: $t is not installed (Debian: $t)" >&2; exit 1; }
done
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
debs=$(ls target/pkg/vrrpd_"$version"-*_*.deb)
rpms=$(ls target/pkg/vrrpd-"$version"-*.rpm)
work=$(mktemp -d)
policy_made=""
cleanup() {
    [ -z "$policy_made" ] || rm -f /usr/sbin/policy-rc.d
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "package-test: FAIL: $*" >&2; exit 1; }
# Any process whose executable is the packaged binary (the namespace tests run target/ builds,
# which do not match).
packaged_vrrpd_running() {
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/exe" 2>/dev/null)" = /usr/sbin/vrrpd ] && return 0
    done
    return 1
}

for d in $debs; do
    if ! out=$(lintian --fail-on error,warning,info,pedantic -EvIL +pedantic --tag-display-limit 0 "$d" 2>&1); then
        echo "$out" >&2
        fail "lintian $d"
    fi
    if dpkg-deb -c "$d" | grep -q ' \./etc/'; then fail "$d ships a file under /etc"; fi
    dpkg-deb --ctrl-tarfile "$d" | tar -t | grep -q conffiles && fail "$d has conffiles"
done
echo "package-test: lintian clean (with the overrides), nothing under /etc: $(echo "$debs" | tr "\n" " ")"

arch=$(dpkg --print-architecture)
deb=target/pkg/vrrpd_$version-1_$arch.deb
[ -f "$deb" ] || fail "no package for this machine's architecture ($arch)"
dpkg -s vrrpd >/dev/null 2>&1 && fail "vrrpd is already installed here; remove it first"
snapshot() {
    find /usr /etc /opt /var/lib/dpkg/info /var/lib/systemd -xdev 2>/dev/null | LC_ALL=C sort
}
conf_sum() {
    if [ -e /etc/keepalived/keepalived.conf ]; then sha256sum /etc/keepalived/keepalived.conf; else echo absent; fi
}
snapshot > "$work/before"
conf_before=$(conf_sum)
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# package-test: no service starts while vrrpd is tested\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    policy_made=1
fi
dpkg -i "$deb" >&2 || fail "dpkg -i $deb"
/usr/sbin/vrrpd -v 2>&1 | grep -q "^vrrpd v$version " || fail "vrrpd -v after install"
for m in /usr/share/man/man8/vrrpd.8.gz /usr/share/man/man5/vrrpd.conf.5.gz; do
    MANPAGER=cat MANWIDTH=80 man -l "$m" 2>/dev/null | grep -q 'SEE ALSO' || fail "man -l $m"
done
sleep 1
packaged_vrrpd_running && fail "a vrrpd runs after dpkg -i: the package started it"
[ -e /etc/systemd/system/multi-user.target.wants/vrrpd.service ] && fail "vrrpd.service was enabled"
if command -v systemctl >/dev/null; then
    state=$(systemctl is-enabled vrrpd.service 2>/dev/null || true)
    [ "$state" = enabled ] && fail "systemctl is-enabled vrrpd: $state"
fi
echo "package-test: $deb installed: vrrpd -v, man -l work; not started, not enabled"
# An administrator's `systemctl enable vrrpd` goes with the purge (postrm). Only where systemd
# is not running (enable then just writes the link); enabling starts nothing either way.
enabled_by_hand=""
if command -v systemctl >/dev/null && [ ! -d /run/systemd/system ]; then
    systemctl enable vrrpd.service >&2 || fail "systemctl enable vrrpd (offline)"
    [ -L /etc/systemd/system/multi-user.target.wants/vrrpd.service ] || fail "systemctl enable made no link"
    enabled_by_hand=1
fi
dpkg --purge vrrpd >&2 || fail "dpkg --purge vrrpd"
if [ -n "$policy_made" ]; then rm -f /usr/sbin/policy-rc.d; policy_made=""; fi
packaged_vrrpd_running && fail "a vrrpd runs after purge"
snapshot > "$work/after"
if ! diff -u "$work/before" "$work/after" >&2; then fail "dpkg --purge left the file list changed (above)"; fi
[ "$(conf_sum)" = "$conf_before" ] || fail "/etc/keepalived/keepalived.conf changed"
echo "package-test: dpkg --purge vrrpd: no file left behind${enabled_by_hand:+ (its enablement included)}, keepalived.conf untouched"

for r in $rpms; do
    root=$work/rpmroot
    rm -rf "$root"
    mkdir -p "$root"
    rpm --root "$root" --initdb
    rpm --root "$root" -i --nodeps --noscripts --ignorearch --ignoreos "$r" || fail "rpm -i $r"
    case "$r" in
        *.x86_64.rpm) run="" ;;
        *.aarch64.rpm) run=qemu-aarch64-static ;;
        *.armv7hl.rpm) run=qemu-arm-static ;;
        *) fail "unknown architecture: $r" ;;
    esac
    if [ -z "$run" ] && [ "$(uname -m)" != x86_64 ]; then
        echo "package-test: SKIPPED running $r here"
    elif [ -n "$run" ] && ! command -v "$run" >/dev/null; then
        echo "package-test: SKIPPED running $r ($run not installed)"
    else
        $run "$root/usr/sbin/vrrpd" -v 2>&1 | grep -q "^vrrpd v$version " || fail "vrrpd -v from $r"
    fi
    [ -z "$(rpm --root "$root" -qc vrrpd)" ] || fail "$r has %config files"
    [ -e "$root/etc/keepalived" ] && fail "$r installs under /etc/keepalived"
    rpm --root "$root" -e --noscripts vrrpd || fail "rpm -e from $r"
    [ -z "$(find "$root/usr" -type f 2>/dev/null)" ] || fail "rpm -e $r left files"
    # The scriptlets only reload, stop and disable; they never enable, start or apply presets.
    if rpm -qp --scripts "$r" 2>/dev/null | grep -Eq 'systemctl[^|;]*( enable| start| preset|restart)'; then
        fail "$r's scriptlets enable or start the service"
    fi
    echo "package-test: $r installs into a scratch root, its vrrpd runs -v, erases cleanly"
done
echo "package-test: OK"

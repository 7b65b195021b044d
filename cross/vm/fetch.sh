#!/bin/sh
# Downloads (never installs) what the armv7 appliance VMs need: Debian's armmp kernel,
# busybox-static:armhf, and qemu-system-arm with the libraries it lacks on this host, then
# unpacks them under $CACHE/x. A private apt state keeps the host's apt setup untouched:
# `dpkg --add-architecture armhf` breaks `apt-get update` on these machines, and installing
# bookworm's qemu-system-arm would remove the preinstalled qemu-utils (cross/README.md).
# Nothing fetched here is committed. Prints the unpack root on success. (APT::Sandbox::User=root:
# the private cache is ours; apt need not hand it to _apt.)
set -eu
CACHE=${VRRPD_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vrrpd-vm}
X=$CACHE/x
if [ -f "$X/.complete" ]; then echo "$X"; exit 0; fi
A=$CACHE/apt
rm -rf "$X" "$A"
mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$A/sources" "$CACHE/debs" "$X"
cp /etc/apt/sources.list.d/*.sources "$A/sources/" 2>/dev/null || true
[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$A/sources/host.list"
cat > "$A/apt.conf" <<CONF
Dir::Etc::SourceList "/dev/null";
Dir::Etc::SourceParts "$A/sources";
Dir::State::Lists "$A/lists";
Dir::State::status "/var/lib/dpkg/status";
Dir::Cache "$A/cache";
APT::Architectures { "amd64"; "armhf"; };
CONF
export APT_CONFIG="$A/apt.conf"
# The mirror's armhf security index can be mid-sync (apt exits 100); the main archive is what we use.
apt-get update -qq >"$A/update.log" 2>&1 || true
kernel=$(apt-cache depends linux-image-armmp:armhf | awk '/Depends: linux-image-/{print $2; exit}')
[ -n "$kernel" ] || { echo "fetch.sh: no armmp kernel in the apt index (see $A/update.log)" >&2; exit 1; }
cd "$CACHE/debs"
apt-get download -qq -o APT::Sandbox::User=root "$kernel" busybox-static:armhf qemu-system-arm libcapstone4 libfdt1 libslirp0 \
    libvdeplug2 libpmem1 libndctl6 libdaxctl1 librdmacm1 libibverbs1 libnl-route-3-200 libnl-3-200
for d in *.deb; do dpkg -x "$d" "$X"; done
touch "$X/.complete"
echo "$X"

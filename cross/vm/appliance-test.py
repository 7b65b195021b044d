#!/usr/bin/env python3
"""Two armv7 busybox appliances under qemu-system-arm, failing a VIP over between them.

Usage: appliance-test.py VRRPD_ARMV7_BINARY UNPACKED_DEBS   (make appliance-test does it all)

Each VM boots Debian's armmp kernel with an initramfs: busybox-static, the static armv7 vrrpd
at /usr/sbin/vrrpd, the repository's rootfs/ overlay (S40vrrpd, keepalived.conf, check_nginx.sh)
and the test-only files in cross/vm/guest/ (rcS, network, syslogd, an nginx stand-in). busybox
init starts S40vrrpd at boot. The VMs' NICs are joined by a pair of Unix datagram sockets, so
their traffic never reaches a host network. The harness drives each VM's console shell.

Asserted, in order:
  1. the master VM holds 192.168.31.240, the backup does not, and the backup fetches the
     master's page through the VIP; both syslogs carry keepalived's state lines; check_nginx.sh
     passes, and when nginx is killed the check starts it again and the VIP stays;
  2. S40vrrpd status/reload on the master (same pid, no state change) and restart on the backup
     (new pid, back to BACKUP);
  3. S40vrrpd stop on the master releases the VIP there and the backup holds it within
     skew + 1 s (only a priority-0 advert makes that possible: master-down is 6.6 s);
  4. S40vrrpd start on the master takes the VIP back (preemption);
  5. the master VM is powered off (its qemu killed) and the backup holds the VIP within
     master-down + 1 s, and answers through it.
"""
import gzip
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
VIP = "192.168.31.240"
ADVERT_INT = 2.0  # the seed's advert_int
SKEW_BACKUP = (256 - 100) / 256  # RFC 3768 section 6.1 Skew_Time of the priority-100 backup, seconds
MASTER_DOWN = 3 * ADVERT_INT + SKEW_BACKUP
OVERALL_LIMIT_S = 600
MODULES = ["failover", "net_failover", "virtio_mmio", "virtio_net"]


def cpio_newc(entries):
    """A gzip'd newc archive of (path, mode, data-or-link-target) entries, all owned by root."""
    out = bytearray()

    def add(name, mode, data):
        name_b = name.encode() + b"\0"
        fields = [len(out) + 1, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0]
        out.extend(b"070701" + b"".join(b"%08X" % f for f in fields) + name_b)
        out.extend(b"\0" * (-len(out) % 4))
        out.extend(data)
        out.extend(b"\0" * (-len(out) % 4))

    for path, mode, data in entries:
        add(path, mode, data)
    add("TRAILER!!!", 0, b"")
    return gzip.compress(bytes(out), compresslevel=6)


def tree_entries(root, skip=()):
    """Directories and files under root (modes kept, ownership root), as cpio entries."""
    entries = []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        rel = os.path.relpath(d, root)
        if rel != ".":
            entries.append((rel, 0o040755, b""))
        for f in sorted(files):
            rel_f = os.path.normpath(os.path.join(rel, f))
            if rel_f in skip:
                continue
            st = os.stat(os.path.join(d, f))
            with open(os.path.join(d, f), "rb") as fh:
                entries.append((rel_f, 0o100000 | (st.st_mode & 0o777), fh.read()))
    return entries


def initramfs(binary, debs, role_conf):
    # "." first: the root directory's mode, or "/" is world-writable and the script-security
    # check (rightly) disables check_nginx.sh.
    entries = [(d, 0o040755, b"") for d in
               [".", "bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "lib", "lib/modules", "lib/modules/vm",
                "proc", "sys", "dev", "run", "tmp", "var", "var/run", "var/log"]]
    with open(os.path.join(debs, "bin/busybox"), "rb") as f:
        entries.append(("bin/busybox", 0o100755, f.read()))
    entries.append(("bin/sh", 0o120777, b"busybox"))
    entries.append(("sbin/init", 0o120777, b"../bin/busybox"))
    mods = {}
    for d, _, files in os.walk(os.path.join(debs, "lib/modules")):
        for f in files:
            if f.endswith(".ko") and f[:-3] in MODULES:
                mods[f[:-3]] = os.path.join(d, f)
    missing = [m for m in MODULES if m not in mods]
    if missing:
        raise SystemExit(f"appliance-test: kernel modules not found: {missing}")
    for m in MODULES:
        with open(mods[m], "rb") as f:
            entries.append((f"lib/modules/vm/{m}.ko", 0o100644, f.read()))
    with open(binary, "rb") as f:
        entries.append(("usr/sbin/vrrpd", 0o100755, f.read()))
    seen = {e[0] for e in entries}
    for tree in [os.path.join(REPO, "rootfs"), os.path.join(HERE, "guest")]:
        for e in tree_entries(tree, skip={"etc/keepalived/keepalived.conf"}):
            if e[0] not in seen:
                seen.add(e[0])
                entries.append(e)
    entries.append(("etc/keepalived/keepalived.conf", 0o100644, role_conf))
    return cpio_newc(entries)


class Console:
    """The VM's serial console (a Unix stream socket QEMU serves), driven as a shell."""

    def __init__(self, name, path, log_path):
        self.name = name
        self.buf = ""
        self.cond = threading.Condition()
        self.log = open(log_path, "w", encoding="utf-8", errors="replace")
        self.seq = 0
        deadline = time.monotonic() + 30
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            text = data.decode("utf-8", "replace").replace("\r", "")
            with self.cond:
                if not data:
                    self.buf += "\n<console closed>\n"
                    self.cond.notify_all()
                    return
                self.buf += text
                self.log.write(text)
                self.log.flush()
                self.cond.notify_all()

    def expect(self, pattern, timeout, start=0):
        """Waits for pattern in the output after offset start; returns (match, time seen)."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                m = rx.search(self.buf, start)
                if m:
                    return m, time.monotonic()
                if "<console closed>" in self.buf[start:]:
                    raise AssertionError(f"{self.name}: console closed waiting for {pattern!r}")
                left = deadline - time.monotonic()
                if left <= 0:
                    tail = self.buf[-2000:]
                    raise AssertionError(f"{self.name}: no {pattern!r} within {timeout} s; console tail:\n{tail}")
                self.cond.wait(left)

    def send(self, cmd):
        """Starts cmd in the console shell; returns a token for wait()."""
        self.seq += 1
        with self.cond:
            start = len(self.buf)
        # The marker is built from two halves so the tty's echo of the command never matches.
        self.sock.sendall(f"{cmd}; echo \"__DONE\"\"_{self.seq}_$?__\"\n".encode())
        return (self.seq, start)

    def wait(self, token, timeout=60):
        seq, start = token
        m, seen = self.expect(rf"__DONE_{seq}_(\d+)__", timeout, start)
        out = self.buf[start:m.start()]
        return int(m.group(1)), out, seen

    def run(self, cmd, timeout=60, ok=True):
        rc, out, _ = self.wait(self.send(cmd), timeout)
        if ok and rc != 0:
            raise AssertionError(f"{self.name}: `{cmd}` exited {rc}:\n{out}")
        return rc, out


class VM:
    def __init__(self, name, ip, mac, sock_pair, work, kernel, qemu, lib_path, initrd):
        self.name = name
        con = os.path.join(work, f"{name}.con")
        local, remote = sock_pair
        cmd = [qemu, "-M", "virt,highmem=off", "-cpu", "cortex-a15", "-m", "128", "-smp", "1",
               "-display", "none", "-monitor", "none", "-no-reboot", "-nic", "none",
               "-kernel", kernel, "-initrd", initrd,
               "-append", f"console=ttyAMA0 rdinit=/sbin/init quiet panic=-1 vm_name={name} vm_ip={ip}/24",
               "-chardev", f"socket,id=con,path={con},server=on,wait=on",
               "-serial", "chardev:con",
               "-netdev", f"dgram,id=n0,local.type=unix,local.path={local},remote.type=unix,remote.path={remote}",
               "-device", f"virtio-net-device,netdev=n0,mac={mac}"]
        env = dict(os.environ, LD_LIBRARY_PATH=lib_path)
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=open(os.path.join(work, f"{name}.qemu.log"), "w"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.con = Console(name, con, os.path.join(work, f"{name}.console.log"))

    def boot(self):
        self.con.expect(rf"=== vm {self.name}: boot complete", 240)
        # A quiet shell: no echo, no prompt noise in command output.
        self.con.sock.sendall(b"stty -echo; PS1=''\n")
        self.con.run("true")

    def has_vip(self):
        rc, _ = self.con.run(f"ip -o -4 addr show dev enp0s3 | grep -q ' {VIP}/'", ok=False)
        return rc == 0

    def pid(self):
        _, out = self.con.run("cat /var/run/vrrpd.pid")
        return int(out.strip().splitlines()[-1])

    def state_lines(self):
        _, out = self.con.run("grep -c 'Entering .* STATE' /var/log/messages || true")
        return int(out.strip().splitlines()[-1])

    def backup_entries(self):
        _, out = self.con.run("grep -c '(VI_1) Entering BACKUP STATE' /var/log/messages || true")
        return int(out.strip().splitlines()[-1])

    def watch_vip(self):
        """Starts a poll for the VIP inside the VM (every 10 ms); wait() returns when it is there."""
        return self.con.send(f"while ! ip -o -4 addr show dev enp0s3 | grep -q ' {VIP}/'; do usleep 10000; done")

    def power_off(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def wait_until(what, fn, timeout):
    deadline = time.monotonic() + timeout
    while not fn():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.2)


def main():
    binary, debs = sys.argv[1], sys.argv[2]
    if not os.path.isdir(os.path.join(debs, "boot")):
        raise SystemExit(f"appliance-test: no unpacked kernel under {debs!r} (cross/vm/fetch.sh failed?)")
    start = time.monotonic()
    kernel = sorted(os.path.join(debs, "boot", f) for f in os.listdir(os.path.join(debs, "boot"))
                    if f.startswith("vmlinuz-"))[-1]
    qemu = os.path.join(debs, "usr/bin/qemu-system-arm")
    lib_path = os.path.join(debs, "usr/lib/x86_64-linux-gnu")
    work = tempfile.mkdtemp(prefix="vrrpd-vm-")
    keep = os.environ.get("VRRPD_VM_KEEP") == "1"
    vms = []

    def cleanup(*_):
        for vm in vms:
            vm.power_off()
        if not keep:
            shutil.rmtree(work, ignore_errors=True)

    def on_signal(signum, _):
        cleanup()
        sys.exit(128 + signum)

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM):
        signal.signal(s, on_signal)
    signal.alarm(OVERALL_LIMIT_S)  # bounds the whole run, whatever hangs
    try:
        with open(os.path.join(REPO, "rootfs/etc/keepalived/keepalived.conf"), "rb") as f:
            master_conf = f.read()
        backup_conf = re.sub(rb"state MASTER", b"state BACKUP", master_conf)
        backup_conf = re.sub(rb"priority 101", b"priority 100", backup_conf)
        assert backup_conf.count(b"BACKUP") and backup_conf.count(b"priority 100")
        a_sock, b_sock = os.path.join(work, "a.sock"), os.path.join(work, "b.sock")
        for name, ip, mac, pair, conf in [("vm-a", "192.168.31.20", "52:54:00:00:31:20", (a_sock, b_sock), master_conf),
                                          ("vm-b", "192.168.31.30", "52:54:00:00:31:30", (b_sock, a_sock), backup_conf)]:
            initrd = os.path.join(work, f"{name}.cpio.gz")
            with open(initrd, "wb") as f:
                f.write(initramfs(binary, debs, conf))
            vms.append(VM(name, ip, mac, pair, work, kernel, qemu, lib_path, initrd))
        a, b = vms
        for vm in vms:
            vm.boot()
        booted = time.monotonic() - start
        print(f"both VMs booted in {booted:.1f} s (uname: {a.con.run('uname -rm')[1].strip()})")

        # 1. Election: the seed's master holds the VIP and serves through it.
        wait_until("vm-a holds the VIP", a.has_vip, 30)
        wait_until("vm-b logs BACKUP", lambda: b.con.run("grep -q '(VI_1) Entering BACKUP STATE' /var/log/messages",
                                                         ok=False)[0] == 0, 30)
        assert not b.has_vip(), "vm-b holds the VIP while vm-a is master"
        a.con.run("grep -q 'Keepalived_vrrp.*(VI_1) Entering MASTER STATE' /var/log/messages")
        _, page = b.con.run(f"wget -q -O - http://{VIP}/")
        assert "vm-a" in page, f"the VIP answered with {page!r}, not vm-a"
        print("election: vm-a MASTER holds the VIP, vm-b BACKUP fetched vm-a's page through it")
        rss = {}
        for vm in vms:
            _, out = vm.con.run(f"cat /proc/{vm.pid()}/status")
            kb = {k: re.search(rf"{k}:\s+(\d+) kB", out).group(1) for k in ("VmRSS", "RssAnon")}
            rss[vm.name] = f"{kb['VmRSS']} kB ({kb['RssAnon']} kB anonymous)"
        print(f"vrrpd RSS in the VMs: vm-a {rss['vm-a']}, vm-b {rss['vm-b']}")

        # The rootfs check script works under busybox sh: it passes while nginx runs, and when
        # nginx dies it starts it again (S35nginx here), so the master keeps the VIP.
        for vm in vms:
            vm.con.run("grep -q 'VRRP_Script(chk_nginx) succeeded' /var/log/messages")
        a.con.run("old=$(pidof nginx) && [ -n \"$old\" ] && killall nginx")
        # A new nginx (another pid), started by the check within a few of its 2 s runs.
        a.con.run("(i=0; until p=$(pidof nginx) && [ \"$p\" != \"$old\" ]; do i=$((i+1)); [ $i -lt 100 ] || exit 1;"
                  " usleep 100000; done)")
        assert a.has_vip(), "vm-a lost the VIP while check_nginx.sh restarted nginx"
        _, page = b.con.run(f"wget -q -O - http://{VIP}/")
        assert "vm-a" in page, f"the VIP answered with {page!r} after nginx restarted"
        print("check_nginx.sh: nginx killed on the master and started again by the check; VIP kept")

        # 2. The init script's status, reload and restart.
        _, out = a.con.run("/etc/init.d/S40vrrpd status")
        pid_a = a.pid()
        assert f"running (pid {pid_a})" in out, out
        assert "VI_1: MASTER, priority 101" in out, out
        _, out = b.con.run("/etc/init.d/S40vrrpd status")
        assert "VI_1: BACKUP, priority 100" in out, out
        changes = a.state_lines() + b.state_lines()
        _, out = a.con.run("/etc/init.d/S40vrrpd reload")
        assert "OK" in out, out
        a.con.run("grep -q 'Reloading' /var/log/messages || sleep 1; grep -q 'Reloading' /var/log/messages")
        time.sleep(2 * ADVERT_INT)  # a flap would show within an advert interval or two
        assert a.pid() == pid_a and a.has_vip(), "reload changed the master"
        assert a.state_lines() + b.state_lines() == changes, "reload caused a state change"
        pid_b = b.pid()
        backups_b = b.backup_entries()
        _, out = b.con.run("/etc/init.d/S40vrrpd restart", timeout=60)
        assert out.count("OK") == 2, out
        assert b.pid() != pid_b, "restart kept the old pid"
        wait_until("vm-b back in BACKUP after restart", lambda: b.backup_entries() > backups_b, 30)
        assert a.has_vip() and not b.has_vip()
        print("init script: status (with each instance's state), reload (no state change), "
              "restart (new pid) on the backup")

        # 3. Stop on the master: priority 0, VIP released, backup takes over within skew + 1 s.
        watch = b.watch_vip()
        t0 = time.monotonic()
        rc, out = a.con.run("/etc/init.d/S40vrrpd stop", timeout=30)
        assert "OK" in out, out
        _, _, t1 = b.con.wait(watch, timeout=30)
        took = t1 - t0
        assert not a.has_vip(), "vm-a kept the VIP after stop"
        rc, _ = a.con.run("/etc/init.d/S40vrrpd status", ok=False)
        assert rc == 3, f"status after stop exited {rc}"
        a.con.run("grep -q 'Stopped' /var/log/messages")
        limit = SKEW_BACKUP + 1.0
        print(f"stop on the master: vm-b holds the VIP {took * 1000:.0f} ms after `S40vrrpd stop` "
              f"(skew {SKEW_BACKUP * 1000:.0f} ms, limit {limit * 1000:.0f} ms)")
        assert took <= limit, f"takeover after stop took {took:.3f} s > {limit:.3f} s"

        # 4. Start again: vm-a preempts.
        a.con.run("/etc/init.d/S40vrrpd start", timeout=30)
        wait_until("vm-a holds the VIP again", a.has_vip, 30)
        wait_until("vm-b releases the VIP", lambda: not b.has_vip(), 30)
        print("start on the master: vm-a took the VIP back (preemption)")

        # 5. Power the master off.
        time.sleep(ADVERT_INT)  # the backup has heard the new master's adverts
        watch = b.watch_vip()
        t0 = time.monotonic()
        a.power_off()
        _, _, t1 = b.con.wait(watch, timeout=30)
        took = t1 - t0
        limit = MASTER_DOWN + 1.0
        print(f"master powered off: vm-b holds the VIP {took * 1000:.0f} ms after the kill "
              f"(master-down {MASTER_DOWN * 1000:.0f} ms after the last advert, limit {limit * 1000:.0f} ms)")
        assert took <= limit, f"takeover after power-off took {took:.3f} s > {limit:.3f} s"
        _, page = b.con.run(f"wget -q -O - http://{VIP}/")
        assert "vm-b" in page, f"the VIP answered with {page!r}, not vm-b"
        print(f"appliance-test: PASS in {time.monotonic() - start:.1f} s")
        return 0
    except AssertionError as e:
        print(f"appliance-test: FAIL: {e}", file=sys.stderr)
        for vm in vms:
            print(f"--- {vm.name} console (last 3000 chars)\n{vm.con.buf[-3000:]}", file=sys.stderr)
        return 1
    finally:
        if keep:
            print(f"kept {work}")
        cleanup()


if __name__ == "__main__":
    sys.exit(main())

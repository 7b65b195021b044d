#!/usr/bin/env python3
"""Regenerates tests/data/netlink/*.bin: what the kernel answers on rtnetlink.

Run by capture-netlink.sh inside a network namespace it created (lo, and a veth pair
nl0/nl1 with 10.9.0.1/24 label nl0:main, 2001:db8::1/64). Files are raw datagrams
concatenated (messages are 4-byte aligned, so the concatenation parses the same).
"""
import os, socket, struct, sys

OUT = sys.argv[1]
NETLINK_ROUTE, SOL_NETLINK, NETLINK_EXT_ACK = 0, 270, 11
RTM_GETLINK, RTM_GETADDR, RTM_NEWADDR, RTM_DELADDR = 18, 22, 20, 21
F_REQUEST, F_ACK, F_DUMP, F_CREATE, F_EXCL = 1, 4, 0x300, 0x400, 0x200

def sock(ext_ack=False):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
    s.bind((0, 0))
    if ext_ack:
        s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
    return s

def msg(kind, flags, seq, body):
    return struct.pack("=IHHII", 16 + len(body), kind, flags, seq, 0) + body

def attr(kind, payload):
    pad = (4 - len(payload) % 4) % 4
    return struct.pack("=HH", 4 + len(payload), kind) + payload + b"\0" * pad

def collect(s, until_done):
    out = b""
    while True:
        d = s.recv(65536)
        out += d
        kinds = []
        off = 0
        while off + 16 <= len(d):
            ln, kind = struct.unpack_from("=IH", d, off)
            kinds.append(kind)
            off += (ln + 3) & ~3
        if not until_done or 3 in kinds or 2 in kinds:
            return out

def save(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)

s = sock()
s.send(msg(RTM_GETLINK, F_REQUEST | F_DUMP, 1, bytes(16)))
save("link-dump.bin", collect(s, True))
s.send(msg(RTM_GETADDR, F_REQUEST | F_DUMP, 2, bytes(8)))
save("addr-dump.bin", collect(s, True))

idx = socket.if_nametoindex("nl0")
ip = socket.inet_aton
# Delete an address that is not there: NLMSG_ERROR with -EADDRNOTAVAIL.
body = struct.pack("=BBBBI", 2, 32, 0, 0, idx) + attr(2, ip("10.9.9.9")) + attr(1, ip("10.9.9.9"))
s.send(msg(RTM_DELADDR, F_REQUEST | F_ACK, 3, body))
save("error-eaddrnotavail.bin", collect(s, False))

# A VIP as keepalived adds it: /32, IFA_LOCAL + IFA_ADDRESS, label. ACK (errno 0).
req = msg(RTM_NEWADDR, F_REQUEST | F_ACK | F_CREATE | F_EXCL, 4,
          struct.pack("=BBBBI", 2, 32, 0, 0, idx) + attr(2, ip("10.9.0.100")) + attr(1, ip("10.9.0.100"))
          + attr(3, b"nl0:vip\0"))
save("request-newaddr-vip.bin", req)
s.send(req)
save("ack-newaddr.bin", collect(s, False))

# The same add again with extended ack: -EEXIST, possibly with a message.
e = sock(ext_ack=True)
e.send(req)
save("error-eexist-extack.bin", collect(e, False))
# An invalid request (prefix length 33) with extended ack: -EINVAL and a text message.
bad = msg(RTM_NEWADDR, F_REQUEST | F_ACK | F_CREATE | F_EXCL, 5,
          struct.pack("=BBBBI", 2, 33, 0, 0, idx) + attr(2, ip("10.9.0.101")) + attr(1, ip("10.9.0.101")))
e.send(bad)
save("error-einval-extack.bin", collect(e, False))

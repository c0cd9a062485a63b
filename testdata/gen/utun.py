#!/usr/bin/python3
"""Userspace tunnel endpoint (python3 stdlib only).

The sandbox kernel these captures were made on has no 8021q, ip_gre, ipip,
ip6_tunnel or erspan support (`ip link add ... type gre` -> "Unknown device
type"), so this program plays the role of those kernel devices: it creates a
TUN (L3) or TAP (L2) device "ov0" in the current network namespace, and
encapsulates everything the kernel routes into it towards the peer over the
underlay, and decapsulates what arrives from the peer back into ov0.

The outer IPv4/IPv6 header is built by the kernel (raw IP sockets), the VLAN
tags are written into the frame sent on an AF_PACKET socket; tcpdump on the
underlay veth therefore sees what a real tunnel would put on the wire.  The
inner traffic is real (SIPp through ov0).

usage: utun.py MODE UNDERLAY_IF LOCAL_ADDR PEER_ADDR
MODE: ipip gre gretap erspan1 erspan2 ip6gre ip6ip6 vlan qinq
(LOCAL_ADDR/PEER_ADDR are underlay addresses; for vlan/qinq they are ignored
and the frame goes out on UNDERLAY_IF unchanged except for the tags.)
The program prints "ready" once ov0 exists and runs until killed.
"""
import fcntl
import os
import select
import signal
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_TAP, IFF_NO_PI = 0x0001, 0x0002, 0x1000
ETH_P_ALL = 0x0003
SOL_PACKET, PACKET_AUXDATA = 263, 8
TP_STATUS_VLAN_VALID, TP_STATUS_VLAN_TPID_VALID = 0x10, 0x40

VLAN_ID, SVLAN_ID, CVLAN_ID = 100, 100, 200
ERSPAN_SESSION, ERSPAN_INDEX = 123, 1
GRE_PROTO = {"gre": 0x0800, "ip6gre": 0x0800, "gretap": 0x6558,
             "erspan1": 0x88BE, "erspan2": 0x22EB}


def open_tun(name, tap):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    flags = (IFF_TAP if tap else IFF_TUN) | IFF_NO_PI
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), flags))
    return fd


class Tunnel:
    def __init__(self, mode, ifname, local, peer):
        self.mode, self.ifname, self.local, self.peer = mode, ifname, local, peer
        self.seq = 0
        self.t0 = time.monotonic()
        l2 = mode in ("gretap", "erspan1", "erspan2", "vlan", "qinq")
        self.tun = open_tun("ov0", l2)
        if mode in ("vlan", "qinq"):
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
            s.bind((ifname, ETH_P_ALL))
            s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        elif mode in ("ip6gre", "ip6ip6"):
            proto = 47 if mode == "ip6gre" else 41
            s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, proto)
            s.bind((local, 0))
        else:
            proto = 4 if mode == "ipip" else 47
            s = socket.socket(socket.AF_INET, socket.SOCK_RAW, proto)
            s.bind((local, 0))
        self.sock = s

    # ---- encapsulation -------------------------------------------------
    def gre_header(self, proto):
        if self.mode.startswith("erspan"):
            # GRE with S bit (sequence number present), as the kernel's
            # erspan device sends it ("seq" option).
            hdr = struct.pack("!HHI", 0x1000, proto, self.seq)
            self.seq += 1
            return hdr
        return struct.pack("!HH", 0, proto)

    def erspan_header(self, frame):
        if self.mode == "erspan1":
            # ERSPAN type II: ver=1 vlan=0 | cos=0 en=0 (no VLAN) t=0
            # session id | reserved(12) index(20)
            return struct.pack("!HHI", (1 << 12) | 0, ERSPAN_SESSION, ERSPAN_INDEX)
        # ERSPAN type III: ver=2, vlan | cos bso t session | timestamp
        # (100 us granularity, gra=0) | sgt p ft hwid d gra o
        ts = int((time.monotonic() - self.t0) * 10000) & 0xFFFFFFFF
        hwid, direction, gra = 7, 1, 0
        last = (0 << 16) | (0 << 15) | (0 << 10) | (hwid << 4) | (direction << 3) | (gra << 1) | 0
        return struct.pack("!HHII", (2 << 12), ERSPAN_SESSION, ts, last)

    def encap_send(self, pkt):
        m = self.mode
        if m in ("vlan", "qinq"):
            if m == "vlan":
                tags = struct.pack("!HH", 0x8100, VLAN_ID)
            else:
                tags = struct.pack("!HHHH", 0x88A8, SVLAN_ID, 0x8100, CVLAN_ID)
            self.sock.send(pkt[:12] + tags + pkt[12:])
            return
        if m in ("ipip", "ip6ip6"):
            payload = pkt
        elif m.startswith("erspan"):
            payload = self.gre_header(GRE_PROTO[m]) + self.erspan_header(pkt) + pkt
        else:
            payload = self.gre_header(GRE_PROTO[m]) + pkt
        self.sock.sendto(payload, (self.peer, 0))

    # ---- decapsulation -------------------------------------------------
    def recv_decap(self):
        m = self.mode
        if m in ("vlan", "qinq"):
            data, anc, _flags, addr = self.sock.recvmsg(65535, socket.CMSG_SPACE(64))
            if addr[2] == socket.PACKET_OUTGOING:
                return None
            tagged = False
            for level, typ, val in anc:
                if level == SOL_PACKET and typ == PACKET_AUXDATA:
                    status = struct.unpack_from("I", val, 0)[0]
                    tagged = bool(status & TP_STATUS_VLAN_VALID)
            if not tagged and data[12:14] not in (b"\x81\x00", b"\x88\xa8"):
                return None          # untagged frame: not ours
            # kernel stripped the outer tag into auxdata; strip any inner one
            while data[12:14] in (b"\x81\x00", b"\x88\xa8"):
                data = data[:12] + data[16:]
            return data
        data, addr = self.sock.recvfrom(65535)
        if addr[0] != self.peer:
            return None
        if m in ("ipip", "gre", "gretap", "erspan1", "erspan2"):
            data = data[(data[0] & 0x0F) * 4:]      # IPv4 raw sockets include the IP header
        if m in ("ipip", "ip6ip6"):
            return data
        flags, proto = struct.unpack_from("!HH", data, 0)
        off = 4 + (4 if flags & 0x8000 else 0) + (4 if flags & 0x2000 else 0) + (4 if flags & 0x1000 else 0)
        if proto != GRE_PROTO[m]:
            return None
        if proto == 0x88BE:
            off += 8
        elif proto == 0x22EB:
            off += 12
        return data[off:]

    def run(self):
        print("ready", flush=True)
        while True:
            r, _, _ = select.select([self.tun, self.sock], [], [])
            if self.tun in r:
                self.encap_send(os.read(self.tun, 65535))
            if self.sock in r:
                pkt = self.recv_decap()
                if pkt:
                    os.write(self.tun, pkt)


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    Tunnel(*sys.argv[1:5]).run()


if __name__ == "__main__":
    main()

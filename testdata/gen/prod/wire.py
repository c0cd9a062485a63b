#!/usr/bin/env python3
"""A slow wire between two network interfaces, for testdata/gen/prod/prod.sh.

This kernel has no sch_netem, so a link with latency is made in user space:
every Ethernet frame received on IF_A is sent out of IF_B DELAY_MS later and
vice versa (an L2 bridge with a one-way delay; the namespace running it has
no addresses and no kernel bridge, so frames cross only through here).
IPv4/UDP checksums are recomputed on the way (veth hands over frames whose
checksum the sender left to the "hardware").

Optionally (--dup-invite PORT) it is also a second path that duplicates
initial INVITEs: for each Call-ID, the first INVITE going A -> B is also sent,
DUP_MS later, from source port PORT with a new top-Via branch (what a NAT or
container network that re-sends a request over a second path shows);
datagrams B -> A for that port are mapped back to the original source port,
like a NAT's return path.  python3 standard library only.

    wire.py IF_A IF_B DELAY_MS [--dup-invite PORT [DUP_MS]] [--seconds N]
"""
import heapq
import re
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def fix_udp(frame, sport=None, dport=None, payload=None):
    """Return the frame with UDP ports/payload replaced and IPv4+UDP checksums
    recomputed; non-IPv4/UDP frames come back unchanged."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return frame
    ihl = (frame[14] & 0x0F) * 4
    if frame[23] != 17 or len(frame) < 14 + ihl + 8:
        return frame
    ip = bytearray(frame[14:14 + ihl])
    u = 14 + ihl
    sp, dp, ulen, _ = struct.unpack("!HHHH", frame[u:u + 8])
    body = frame[u + 8:u + ulen] if payload is None else payload
    sp = sp if sport is None else sport
    dp = dp if dport is None else dport
    ulen = 8 + len(body)
    struct.pack_into("!H", ip, 2, ihl + ulen)
    struct.pack_into("!H", ip, 10, 0)
    struct.pack_into("!H", ip, 10, csum(bytes(ip)))
    pseudo = bytes(ip[12:20]) + struct.pack("!BBH", 0, 17, ulen)
    udp = struct.pack("!HHHH", sp, dp, ulen, 0) + body
    c = csum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    return frame[:14] + bytes(ip) + udp


def udp_fields(frame):
    if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
        return None
    ihl = (frame[14] & 0x0F) * 4
    u = 14 + ihl
    sp, dp, ulen, _ = struct.unpack("!HHHH", frame[u:u + 8])
    return sp, dp, frame[u + 8:u + ulen]


def main():
    a, b, delay = sys.argv[1], sys.argv[2], float(sys.argv[3]) / 1000
    args = sys.argv[4:]
    dup_port, dup_delay, seconds = None, 0.02, 600.0
    while args:
        if args[0] == "--dup-invite":
            dup_port = int(args[1])
            args = args[2:]
            if args and not args[0].startswith("--"):
                dup_delay = float(args[0]) / 1000
                args = args[1:]
        elif args[0] == "--seconds":
            seconds = float(args[1])
            args = args[2:]
        else:
            sys.exit("wire.py: bad argument %r" % args[0])
    socks = {}
    for name in (a, b):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((name, 0))
        socks[name] = s
    other = {a: b, b: a}
    queue = []          # (due, seq, out_if, frame)
    seq = 0
    duped = set()       # Call-IDs already duplicated
    orig_port = {}      # dup port -> the original source port it stands for
    end = time.monotonic() + seconds
    print("wire: %s <-> %s, %.0f ms" % (a, b, delay * 1000), flush=True)
    while time.monotonic() < end:
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, out, frame = heapq.heappop(queue)
            socks[out].send(frame)
        timeout = max(0.0, queue[0][0] - now) if queue else 0.2
        ready, _, _ = select.select(list(socks.values()), [], [], min(timeout, 0.2))
        for s in ready:
            frame, addr = s.recvfrom(65535)
            if addr[2] == PACKET_OUTGOING:
                continue    # our own transmissions on this interface
            src = addr[0]
            out = other[src]
            now = time.monotonic()
            f = fix_udp(frame)
            uf = udp_fields(f)
            if dup_port is not None and uf is not None:
                sp, dp, body = uf
                if src == b and dp == dup_port and dp in orig_port:
                    f = fix_udp(f, dport=orig_port[dp])
                elif src == a and body.startswith(b"INVITE "):
                    m = re.search(rb"\r\n(?:Call-ID|i)[ \t]*:[ \t]*([^\r\n]+)", body, re.I)
                    cid = m.group(1).strip() if m else b""
                    if cid and cid not in duped and b";tag=" not in to_header(body):
                        duped.add(cid)
                        orig_port[dup_port] = sp
                        nb = re.sub(rb"(\r\nVia:[^\r\n]*?;branch=z9hG4bK)([^;\r\n]*)",
                                    lambda m: m.group(1) + b"-dup" + m.group(2)[4:] if len(m.group(2)) > 4 else m.group(1) + b"-dup",
                                    body, count=1)
                        dup = fix_udp(f, sport=dup_port, payload=nb)
                        seq += 1
                        heapq.heappush(queue, (now + delay + dup_delay, seq, out, dup))
            seq += 1
            heapq.heappush(queue, (now + delay, seq, out, f))


def to_header(body):
    m = re.search(rb"\r\n(?:To|t)[ \t]*:([^\r\n]*)", body, re.I)
    return m.group(1) if m else b""


if __name__ == "__main__":
    main()

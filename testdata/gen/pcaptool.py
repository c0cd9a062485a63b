#!/usr/bin/python3
"""Small classic-pcap rewriter (python3 stdlib only) used to derive test
captures from real ones made by the other generator scripts.

usage: pcaptool.py COMMAND IN OUT

  null           Ethernet -> DLT_NULL (link type 0): 4-byte AF header in the
                 writer's (little-endian) host order; non-IP frames dropped.
                 AF_INET = 2, AF_INET6 = 30 (Darwin's value).
  loop           Ethernet -> DLT_LOOP (link type 108): 4-byte AF header in
                 network byte order (OpenBSD); AF_INET = 2, AF_INET6 = 24.
  be             rewrite as big-endian classic pcap (magic a1b2c3d4 as
                 written by a big-endian host), same packets.
  frag-reorder   reverse the order of the fragments of every fragmented
                 IPv4/IPv6 datagram (last fragment first).
  frag-dup       send the second fragment of every fragmented datagram twice
                 (exact duplicate right after the original).
  frag-overlap   add an extra fragment whose byte range straddles fragments
                 2 and 3 (same bytes: consistent overlap), placed right after
                 fragment 2.
  frag-drop      remove the second fragment of every fragmented datagram.
  tcp-ooo        swap the first two consecutive same-direction TCP segments
                 carrying payload (e.g. ACK and BYE), so the later one is
                 captured first.
  tcp-retrans    duplicate every TCP payload segment that carries the start
                 of an INVITE or a 200 response, 2 frames after the original
                 (a retransmission as seen on the wire).
  tcp-midstream  drop everything before the first TCP segment carrying a
                 "SIP/2.0 200" response (no SYN, no INVITE, no 180).
  tcp-gap        drop the TCP segment that carries "SIP/2.0 180" (the 180
                 Ringing is lost from the capture; later segments of the same
                 direction arrive after a sequence gap).
"""
import struct
import sys

LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_LOOP = 0, 1, 108


class Pcap:
    def __init__(self):
        self.endian = "<"
        self.nsec = False
        self.vmaj, self.vmin = 2, 4
        self.thiszone = 0
        self.sigfigs = 0
        self.snaplen = 262144
        self.linktype = LINKTYPE_ETHERNET
        self.packets = []   # list of [ts_sec, ts_frac, orig_len, data]

    @classmethod
    def read(cls, path):
        p = cls()
        with open(path, "rb") as f:
            buf = f.read()
        magic = buf[:4]
        table = {b"\xd4\xc3\xb2\xa1": ("<", False), b"\xa1\xb2\xc3\xd4": (">", False),
                 b"\x4d\x3c\xb2\xa1": ("<", True), b"\xa1\xb2\x3c\x4d": (">", True)}
        if magic not in table:
            sys.exit("%s: not a classic pcap file" % path)
        p.endian, p.nsec = table[magic]
        (_m, p.vmaj, p.vmin, p.thiszone, p.sigfigs, p.snaplen,
         p.linktype) = struct.unpack(p.endian + "IHHiIII", buf[:24])
        off = 24
        while off + 16 <= len(buf):
            sec, frac, incl, orig = struct.unpack(p.endian + "IIII", buf[off:off + 16])
            p.packets.append([sec, frac, orig, buf[off + 16:off + 16 + incl]])
            off += 16 + incl
        return p

    def write(self, path):
        e = self.endian
        magic = 0xA1B23C4D if self.nsec else 0xA1B2C3D4
        out = [struct.pack(e + "IHHiIII", magic, self.vmaj, self.vmin, self.thiszone,
                           self.sigfigs, self.snaplen, self.linktype)]
        for sec, frac, orig, data in self.packets:
            out.append(struct.pack(e + "IIII", sec, frac, len(data), max(orig, len(data))))
            out.append(data)
        with open(path, "wb") as f:
            f.write(b"".join(out))


# ---------------------------------------------------------------- parsing
def l3_offset(p, data):
    """(ethertype, offset of the network header) for an Ethernet frame."""
    assert p.linktype == LINKTYPE_ETHERNET, "input must be Ethernet"
    et, off = struct.unpack("!H", data[12:14])[0], 14
    while et in (0x8100, 0x88A8):
        et, off = struct.unpack("!H", data[off + 2:off + 4])[0], off + 4
    return et, off


def frag_info(p, data):
    """Return (key, offset_bytes, more, l3off, fragoff_in_pkt) if fragment."""
    et, off = l3_offset(p, data)
    if et == 0x0800:
        ihl = (data[off] & 0x0F) * 4
        ident = struct.unpack("!H", data[off + 4:off + 6])[0]
        fo = struct.unpack("!H", data[off + 6:off + 8])[0]
        more, fofs = bool(fo & 0x2000), (fo & 0x1FFF) * 8
        if not more and fofs == 0:
            return None
        key = (4, data[off + 12:off + 20], data[off + 9], ident)
        return key, fofs, more, off, off + ihl
    if et == 0x86DD:
        nh, hoff = data[off + 6], off + 40
        while nh in (0, 43, 60):          # hop-by-hop, routing, dest opts
            nh, hoff = data[hoff], hoff + (data[hoff + 1] + 1) * 8
        if nh != 44:
            return None
        fo = struct.unpack("!H", data[hoff + 2:hoff + 4])[0]
        ident = struct.unpack("!I", data[hoff + 4:hoff + 8])[0]
        key = (6, data[off + 8:off + 40], ident)
        return key, fo & 0xFFF8, bool(fo & 1), off, hoff + 8
    return None


def tcp_info(p, data):
    """(src, dst, sport, dport, seq, flags, payload) or None."""
    et, off = l3_offset(p, data)
    if et == 0x0800:
        if data[off + 9] != 6:
            return None
        ihl = (data[off] & 0x0F) * 4
        total = struct.unpack("!H", data[off + 2:off + 4])[0]
        src, dst, t, end = data[off + 12:off + 16], data[off + 16:off + 20], off + ihl, off + total
    elif et == 0x86DD:
        if data[off + 6] != 6:
            return None
        plen = struct.unpack("!H", data[off + 4:off + 6])[0]
        src, dst, t, end = data[off + 8:off + 24], data[off + 24:off + 40], off + 40, off + 40 + plen
    else:
        return None
    sport, dport, seq = struct.unpack("!HHI", data[t:t + 8])
    doff = (data[t + 12] >> 4) * 4
    flags = data[t + 13]
    return src, dst, sport, dport, seq, flags, data[t + doff:end]


# ------------------------------------------------------------- link types
def to_af_header(p, netorder, af6):
    out = []
    for sec, frac, orig, data in p.packets:
        et, off = l3_offset(p, data)
        if et == 0x0800:
            af = 2
        elif et == 0x86DD:
            af = af6
        else:
            continue
        hdr = struct.pack("!I" if netorder else "<I", af)
        out.append([sec, frac, orig - off + 4, hdr + data[off:]])
    p.packets = out
    p.endian = "<"
    p.linktype = LINKTYPE_LOOP if netorder else LINKTYPE_NULL


# -------------------------------------------------------- fragmentation
def group_frags(p):
    groups = {}
    for i, pkt in enumerate(p.packets):
        fi = frag_info(p, pkt[3])
        if fi:
            groups.setdefault(fi[0], []).append(i)
    return [g for g in groups.values() if len(g) >= 3]


def frag_reorder(p):
    for g in group_frags(p):
        pkts = [p.packets[i] for i in g]
        stamps = [(x[0], x[1]) for x in pkts]
        for i, pkt, ts in zip(g, reversed(pkts), stamps):
            p.packets[i] = [ts[0], ts[1], pkt[2], pkt[3]]


def frag_dup(p):
    inserts = []
    for g in group_frags(p):
        src = p.packets[g[1]]
        inserts.append((g[1] + 1, [src[0], src[1] + 1, src[2], src[3]]))
    for pos, pkt in sorted(inserts, reverse=True):
        p.packets.insert(pos, pkt)


def frag_overlap(p):
    """Extra fragment covering the second half of frag 2 + first half of frag 3."""
    inserts = []
    for g in group_frags(p):
        f2, f3 = p.packets[g[1]][3], p.packets[g[2]][3]
        key, o2, _m2, l3, d2 = frag_info(p, f2)
        _k, o3, m3, _l3, d3 = frag_info(p, f3)
        pay2, pay3 = f2[d2:], f3[d3:]
        if key[0] == 4:
            pay2 = f2[d2:l3 + struct.unpack("!H", f2[l3 + 2:l3 + 4])[0]]
            pay3 = f3[d3:l3 + struct.unpack("!H", f3[l3 + 2:l3 + 4])[0]]
        half = (len(pay2) // 2) & ~7
        start = o2 + half
        body = pay2[half:] + pay3[:half]
        assert o2 + len(pay2) == o3
        hdr = bytearray(f2[:d2])
        if key[0] == 4:
            struct.pack_into("!H", hdr, l3 + 2, (d2 - l3) + len(body))
            struct.pack_into("!H", hdr, l3 + 6, 0x2000 | (start // 8))
            struct.pack_into("!H", hdr, l3 + 10, 0)
            ihl = (hdr[l3] & 0x0F) * 4
            struct.pack_into("!H", hdr, l3 + 10, ipv4_csum(bytes(hdr[l3:l3 + ihl])))
        else:
            struct.pack_into("!H", hdr, l3 + 4, (d2 - l3 - 40) + len(body))
            struct.pack_into("!H", hdr, d2 - 6, start | 1)
        at = p.packets[g[1]]
        pkt = bytes(hdr) + body
        inserts.append((g[1] + 1, [at[0], at[1] + 1, len(pkt), pkt]))
    for pos, pkt in sorted(inserts, reverse=True):
        p.packets.insert(pos, pkt)


def ipv4_csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frag_drop(p):
    drop = {g[1] for g in group_frags(p)}
    p.packets = [x for i, x in enumerate(p.packets) if i not in drop]


# ------------------------------------------------------------------ TCP
def payload_segments(p):
    res = []
    for i, pkt in enumerate(p.packets):
        t = tcp_info(p, pkt[3])
        if t and t[6]:
            res.append((i, t))
    return res


def tcp_ooo(p):
    segs = payload_segments(p)
    for (i, a), (j, b) in zip(segs, segs[1:]):
        if a[:4] == b[:4]:
            pi, pj = p.packets[i], p.packets[j]
            p.packets[i] = [pi[0], pi[1], pj[2], pj[3]]
            p.packets[j] = [pj[0], pj[1], pi[2], pi[3]]
            return
    sys.exit("no two consecutive same-direction payload segments")


def tcp_retrans(p):
    inserts = []
    for i, t in payload_segments(p):
        if t[6].startswith(b"INVITE ") or t[6].startswith(b"SIP/2.0 200"):
            k = min(i + 2, len(p.packets) - 1)
            at = p.packets[k]
            inserts.append((k + 1, [at[0], at[1] + 1, p.packets[i][2], p.packets[i][3]]))
    for pos, pkt in sorted(inserts, reverse=True):
        p.packets.insert(pos, pkt)


def tcp_midstream(p):
    for i, t in payload_segments(p):
        if t[6].startswith(b"SIP/2.0 200"):
            p.packets = p.packets[i:]
            return
    sys.exit("no 200 response found")


def tcp_gap(p):
    for i, t in payload_segments(p):
        if t[6].startswith(b"SIP/2.0 180"):
            del p.packets[i]
            return
    sys.exit("no 180 response found")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    cmd, src, dst = sys.argv[1:]
    p = Pcap.read(src)
    if cmd == "null":
        to_af_header(p, False, 30)
    elif cmd == "loop":
        to_af_header(p, True, 24)
    elif cmd == "be":
        p.endian = ">"
    elif cmd in ("frag-reorder", "frag-dup", "frag-overlap", "frag-drop",
                 "tcp-ooo", "tcp-retrans", "tcp-midstream", "tcp-gap"):
        globals()[cmd.replace("-", "_")](p)
    else:
        sys.exit(__doc__)
    p.write(dst)


if __name__ == "__main__":
    main()

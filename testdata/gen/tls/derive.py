#!/usr/bin/python3
"""Derived TLS test captures and the tshark oracle (run by tls.sh).

usage: derive.py OUTDIR

From OUTDIR/tls13-aes128gcm.{pcap,keys} (made by tls.sh) it makes:
  tls13-nokeys.pcap          the same capture, no key log next to it
  tls13-wrongkeys.{pcap,keys}     key log of another capture (tls13-aes256gcm)
  tls13-truncatedkeys.{pcap,keys} key log cut in the middle of the
                             CLIENT_TRAFFIC_SECRET_0 line (client->server
                             application data cannot be decrypted; the
                             server->client direction can)
  tls13-badrecord.{pcap,keys} one byte flipped inside the ciphertext of the
                             TLS record carrying the INVITE (AEAD tag check
                             fails for that record only; TCP checksum fixed)
  tls13-dsb.pcapng           editcap --inject-secrets: key log embedded in a
                             pcapng Decryption Secrets Block, no .keys file
Then, for every capture in OUTDIR, the tshark oracle EXPECTED.tshark.tsv:
capture, key log used, SIP messages tshark decodes, sorted distinct Call-IDs.
"""
import os
import shutil
import struct
import subprocess
import sys

OUT = sys.argv[1]
BASE = "tls13-aes128gcm"


def p(name):
    return os.path.join(OUT, name)


def tshark_fields(cap, keys, fields, filt="sip"):
    cmd = ["tshark", "-r", cap, "-Y", filt, "-T", "fields", "-E", "occurrence=a",
           "-E", "aggregator=\x1f", "-E", "separator=\t"]
    if keys:
        cmd += ["-o", "tls.keylog_file:" + keys]
    for f in fields:
        cmd += ["-e", f]
    r = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return [l.split("\t") for l in r.stdout.splitlines()]


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s >> 16) + (s & 0xFFFF)
    return ~s & 0xFFFF


def corrupt_frame(src, dst, frameno):
    """Flip one ciphertext byte of the TLS record that starts frame frameno's
    TCP payload (classic pcap, Ethernet, IPv4), recomputing the TCP checksum."""
    d = bytearray(open(src, "rb").read())
    assert struct.unpack("<I", d[:4])[0] == 0xA1B2C3D4, "classic little-endian pcap expected"
    off, n = 24, 0
    while off < len(d):
        incl = struct.unpack("<I", d[off + 8:off + 12])[0]
        n += 1
        if n == frameno:
            f = off + 16
            ip = f + 14
            ihl = (d[ip] & 0x0F) * 4
            tcp = ip + ihl
            totlen = struct.unpack("!H", d[ip + 2:ip + 4])[0]
            thl = (d[tcp + 12] >> 4) * 4
            pl = tcp + thl
            assert d[pl] == 0x17 and d[pl + 1] == 0x03, "no application-data record at segment start"
            rlen = struct.unpack("!H", d[pl + 3:pl + 5])[0]
            d[pl + 5 + rlen // 2] ^= 0x5A
            seglen = totlen - ihl
            d[tcp + 16:tcp + 18] = b"\0\0"
            pseudo = bytes(d[ip + 12:ip + 20]) + struct.pack("!BBH", 0, 6, seglen)
            d[tcp + 16:tcp + 18] = struct.pack("!H", csum(pseudo + bytes(d[tcp:tcp + seglen])))
            open(dst, "wb").write(d)
            return
        off += 16 + incl
    raise SystemExit("frame %d not found" % frameno)


def derive():
    base_pcap, base_keys = p(BASE + ".pcap"), p(BASE + ".keys")
    shutil.copyfile(base_pcap, p("tls13-nokeys.pcap"))
    shutil.copyfile(base_pcap, p("tls13-wrongkeys.pcap"))
    shutil.copyfile(p("tls13-aes256gcm.keys"), p("tls13-wrongkeys.keys"))
    shutil.copyfile(base_pcap, p("tls13-truncatedkeys.pcap"))
    keys = open(base_keys).read()
    i = keys.index("CLIENT_TRAFFIC_SECRET_0")
    j = keys.index("\n", i)
    open(p("tls13-truncatedkeys.keys"), "w").write(keys[:(i + j) // 2])
    inv = [r for r in tshark_fields(base_pcap, base_keys, ["frame.number", "sip.Method"])
           if "INVITE" in r[1].split("\x1f")]
    corrupt_frame(base_pcap, p("tls13-badrecord.pcap"), int(inv[0][0]))
    shutil.copyfile(base_keys, p("tls13-badrecord.keys"))
    dsb = p("tls13-dsb.pcapng")
    if os.path.exists(dsb):
        os.unlink(dsb)
    subprocess.run(["editcap", "--inject-secrets", "tls," + base_keys, base_pcap, dsb], check=True)


def oracle():
    rows = []
    for f in sorted(os.listdir(OUT)):
        if not (f.endswith(".pcap") or f.endswith(".pcapng")):
            continue
        stem = f.rsplit(".", 1)[0]
        keys = p(stem + ".keys") if os.path.exists(p(stem + ".keys")) else None
        msgs, cids = 0, set()
        for r in tshark_fields(p(f), keys, ["sip.Request-Line", "sip.Status-Line", "sip.Call-ID"]):
            msgs += sum(len([x for x in c.split("\x1f") if x]) for c in r[:2])
            cids.update(x for x in r[2].split("\x1f") if x)
        rows.append("%s\t%s\t%d\t%s" % (f, os.path.basename(keys) if keys else "-", msgs,
                                        ",".join(sorted(cids)) or "-"))
    with open(p("EXPECTED.tshark.tsv"), "w") as fh:
        fh.write("# capture\tkey log\tSIP messages tshark decodes\tsorted Call-IDs"
                 " (tshark %s; made by testdata/gen/tls/derive.py)\n" % tshark_version())
        fh.write("\n".join(rows) + "\n")
    print("\n".join(rows))


def tshark_version():
    r = subprocess.run(["tshark", "--version"], capture_output=True, text=True)
    return r.stdout.split("\n")[0].split("(")[1].split(")")[0].split()[1] if "(" in r.stdout else "?"


if __name__ == "__main__":
    if os.path.exists(p(BASE + ".pcap")) and os.path.exists(p("tls13-aes256gcm.keys")):
        derive()
    oracle()

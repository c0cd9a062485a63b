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
        fh.write("\n".join(rows) + "\n")
    print("\n".join(rows))


CALLREG = ("REGISTER/401/REGISTER with digest credentials/200, then INVITE/100/180/200 (the three "
           "responses as three TLS records in one TCP segment)/ACK/BYE/200")
WHY = {
    "tls13-aes128gcm": "TLS 1.3 TLS_AES_128_GCM_SHA256: " + CALLREG + ".",
    "tls13-aes256gcm": "TLS 1.3 TLS_AES_256_GCM_SHA384 (SHA-384 key schedule): " + CALLREG + ".",
    "tls13-chacha20": "TLS 1.3 TLS_CHACHA20_POLY1305_SHA256: " + CALLREG + ".",
    "tls12-ecdhe-aes128gcm": "TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256 (CLIENT_RANDOM key log line, extended master secret): " + CALLREG + ".",
    "tls12-ecdhe-aes256gcm": "TLS 1.2 ECDHE-RSA-AES256-GCM-SHA384 (SHA-384 PRF): " + CALLREG + ".",
    "tls12-ecdhe-chacha20": "TLS 1.2 ECDHE-RSA-CHACHA20-POLY1305 (RFC 7905 nonce): " + CALLREG + ".",
    "tls12-ecdhe-aes128sha-etm": "TLS 1.2 ECDHE-RSA-AES128-SHA, CBC with HMAC-SHA1 and Encrypt-then-MAC negotiated (RFC 7366, extension 22 in both hellos): " + CALLREG + ".",
    "tls12-ecdhe-aes128sha": "TLS 1.2 ECDHE-RSA-AES128-SHA, CBC with HMAC-SHA1, MAC-then-encrypt (client offers no Encrypt-then-MAC): " + CALLREG + ".",
    "tls12-ecdhe-aes128sha256": "TLS 1.2 ECDHE-RSA-AES128-SHA256, CBC with HMAC-SHA256, MAC-then-encrypt: " + CALLREG + ".",
    "tls12-rsa-aes128gcm": "TLS 1.2 with RSA key exchange, AES128-GCM-SHA256 (CLIENT_RANDOM line; the private key is not needed): " + CALLREG + ".",
    "tls12-resume-id": "TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256, two connections: a full handshake with a call, then an abbreviated handshake resuming by session ID (server issues no tickets) with a second call; the key log has a CLIENT_RANDOM line for each connection (same master secret).",
    "tls12-resume-ticket": "TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256, two connections: full handshake with a call, then resumption by session ticket (RFC 5077) with a second call; a CLIENT_RANDOM line per connection.",
    "tls13-resume": "TLS 1.3 TLS_AES_128_GCM_SHA256, two connections: full handshake with a call, then PSK resumption (psk_dhe_ke, ticket from the first connection) with a second call; the key log holds both connections' secrets (keyed by each ClientHello random).",
    "tls13-keyupdate": "TLS 1.3 (openssl s_client -keylogfile to the Python UAS): INVITE/100/180/200/ACK, then the client sends KeyUpdate(update_requested) and the BYE under the new key; the server answers with its own KeyUpdate before the 200 to BYE. The INVITE and ACK are each split over several TLS records (s_client writes what it reads from stdin). OpenSSL also logs CLIENT_TRAFFIC_SECRET_N/SERVER_TRAFFIC_SECRET_N lines (not NSS labels): a reader must derive the next secrets itself (RFC 8446 7.2) and ignore unknown labels.",
    "tls13-bigmsg": "TLS 1.3 TLS_AES_128_GCM_SHA256: the INVITE carries a 4000-byte X-Padding header, so its one TLS record spans four TCP segments; the 100/180/200 are three records in one segment; ACK/BYE/200.",
    "tls13-bye481": "TLS 1.3: INVITE/100/180/200/ACK, then BYE (CSeq 2, to the 200's Contact, right To-tag) 0.2 s after the ACK gets 481 although the dialog is confirmed and live; frames: 200, BYE, 481.",
    "tls13-reg403": "TLS 1.3: REGISTER -> 401 -> REGISTER with credentials -> 403 Forbidden; frames: REGISTER, 401, REGISTER, 403.",
    "tls13-wss": "SIP over secure WebSocket (RFC 7118) on TCP 443, TLS 1.3 TLS_AES_128_GCM_SHA256: HTTP GET Upgrade (Sec-WebSocket-Protocol: sip) -> 101, then masked client text frames and unmasked server frames; " + CALLREG + ", then a WebSocket CLOSE.",
    "tls13-sipp": "SIPp (built-in uac and uas scenarios, -t t1) over TLS 1.3 TLS_AES_128_GCM_SHA256 through tlsrelay.py on each host (SIPp's own TLS cannot write a key log): INVITE/180/200/ACK/BYE/200 from real SIP software; SIPp's Via says TCP (it talks TCP to its relay).",
    "tls12-sipp": "SIPp over TLS 1.2 (ECDHE-RSA-AES256-GCM-SHA384, OpenSSL's default choice) through tlsrelay.py: INVITE/180/200/ACK/BYE/200.",
    "tls13-kamailio": "Kamailio 5.6 tls module terminating TLS 1.3 (TLS_AES_256_GCM_SHA384, the suite OpenSSL picks by default) from tlssip.py and relaying over UDP on loopback to a SIPp UAS: INVITE/100 (Kamailio)/180/200/ACK/BYE/200; SIPp's built-in uas does not echo Record-Route, so there is no route set and the UAC sends ACK and BYE (Request-URI = SIPp's Contact sip:127.0.0.1:5080) over its TLS connection to Kamailio as outbound proxy; the key log is the UAC's. The SIPp UAS answers with SDP for 127.0.0.1 (it runs on loopback behind Kamailio), and Kamailio relays that 200 OK unchanged to a UAC on 192.0.2.10: sdp-nat rightly warns that the answer offers a loopback address for media.",
    "tls13-dsb": "tls13-aes128gcm.pcap converted by editcap --inject-secrets to pcapng with the key log in a Decryption Secrets Block; no .keys file: the keys come from the capture itself.",
    "tls13-nokeys": "tls13-aes128gcm.pcap without any key log: nothing can be decrypted, so no SIP is seen; the tool should say that TLS traffic was present and could not be decrypted (no key log), not report faults.",
    "tls13-wrongkeys": "tls13-aes128gcm.pcap with the key log of tls13-aes256gcm (an unrelated capture): no client random matches, nothing decrypts; a clear message, no faults.",
    "tls13-truncatedkeys": "tls13-aes128gcm.pcap with its key log cut in the middle of the CLIENT_TRAFFIC_SECRET_0 line: the client's application data cannot be decrypted, the server's can (6 responses, no requests); the partial line must be rejected cleanly, and half a dialog must not produce faults (no ack-missing/no-response from the undecryptable direction).",
    "tls13-badrecord": "tls13-aes128gcm.pcap with one ciphertext byte flipped in the TLS record carrying the INVITE (TCP checksum recomputed): that record fails its GCM tag check. The record sequence number still advances, so the ACK and BYE after it do decrypt (10 SIP messages; checked with an independent decryptor); tshark stops decrypting that direction after the bad record (8). A clear message for the bad record, no faults from the missing INVITE.",
}
RULE = {"tls13-bye481": ("bye-481", "error"), "tls13-reg403": ("registration-failed", "error"),
        "tls13-kamailio": ("sdp-nat", "warning")}


def expectations():
    rows = []
    for f in sorted(os.listdir(OUT)):
        if not (f.endswith(".pcap") or f.endswith(".pcapng")):
            continue
        stem = f.rsplit(".", 1)[0]
        if stem not in RULE:
            rows.append("%s\t-\t-\t-\t%s" % (f, WHY[stem]))
            continue
        keys = p(stem + ".keys")
        fr = tshark_fields(p(f), keys, ["frame.number", "sip.Method", "sip.Status-Code"])
        if stem == "tls13-bye481":
            want = [r[0] for r in fr if "200" in r[2] and "BYE" not in r[1]][:1] + \
                   [r[0] for r in fr if r[1] == "BYE" or "481" in r[2]]
        elif stem == "tls13-kamailio":  # the 200 OK to the INVITE, carrying the loopback SDP
            want = [r[0] for r in fr if "200" in r[2] and "BYE" not in r[1]][:1]
        else:
            want = [r[0] for r in fr]
        rows.append("%s\t%s\t%s\t%s\t%s" % (f, RULE[stem][0], RULE[stem][1], ",".join(want), WHY[stem]))
    with open(p("EXPECTED.tls.tsv"), "w") as fh:
        fh.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    if os.path.exists(p(BASE + ".pcap")) and os.path.exists(p("tls13-aes256gcm.keys")):
        derive()
    oracle()
    expectations()

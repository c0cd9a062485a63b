#!/usr/bin/env python3
"""mkfixtures.py - TLS byte streams for tests/unit_tls.c, made by real
OpenSSL through Python's ssl module (memory BIOs, no network): a client and
a server handshake, exchange SIP messages both ways, and close; every chunk
each side wrote is kept in order as DIR(1 byte: 0 client->server, 1 back)
LEN(4, big-endian) BYTES in NAME.bin, the key log (keylog_filename) in
NAME.keys, the application data each side sent in NAME.c2s / NAME.s2c.
Run from the repository root; needs a throwaway certificate (made here with
openssl). The fixtures are committed: re-running makes new randoms."""
import os, ssl, struct, subprocess, sys, tempfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)))
CASES = [  # name, max version, TLS 1.2 cipher or TLS 1.3 suite
    ("tls13-aes128gcm", ssl.TLSVersion.TLSv1_3, "TLS_AES_128_GCM_SHA256"),
    ("tls13-aes256gcm", ssl.TLSVersion.TLSv1_3, "TLS_AES_256_GCM_SHA384"),
    ("tls13-chacha20", ssl.TLSVersion.TLSv1_3, "TLS_CHACHA20_POLY1305_SHA256"),
    ("tls12-aes128gcm", ssl.TLSVersion.TLSv1_2, "ECDHE-RSA-AES128-GCM-SHA256"),
    ("tls12-aes256gcm", ssl.TLSVersion.TLSv1_2, "ECDHE-RSA-AES256-GCM-SHA384"),
    ("tls12-chacha20", ssl.TLSVersion.TLSv1_2, "ECDHE-RSA-CHACHA20-POLY1305"),
    ("tls12-cbc-sha", ssl.TLSVersion.TLSv1_2, "ECDHE-RSA-AES128-SHA"),
    ("tls12-cbc-sha384", ssl.TLSVersion.TLSv1_2, "ECDHE-RSA-AES256-SHA384"),
]
INVITE = (b"INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TLS 192.0.2.1;branch=z9hG4bK1\r\n"
          b"Call-ID: tls-unit-1\r\nCSeq: 1 INVITE\r\nFrom: <sip:a@example.com>;tag=1\r\n"
          b"To: <sip:bob@example.com>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
OK = (b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS 192.0.2.1;branch=z9hG4bK1\r\nCall-ID: tls-unit-1\r\n"
      b"CSeq: 1 INVITE\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>;tag=2\r\n"
      b"Content-Length: 0\r\n\r\n")
BIG = b"MESSAGE sip:bob@example.com SIP/2.0\r\nContent-Length: 20000\r\n\r\n" + b"x" * 20000  # several records


def main():
    only = sys.argv[1] if len(sys.argv) > 1 else None
    if not only:
        # each case in its own process: a TLS 1.3 suite can only be chosen
        # through OpenSSL's configuration (Python's ssl has no ciphersuites
        # setter), read when the process starts OpenSSL
        tmp = tempfile.mkdtemp()
        for name, ver, suite in CASES:
            env = dict(os.environ)
            if ver == ssl.TLSVersion.TLSv1_3:
                conf = os.path.join(tmp, name + ".cnf")
                open(conf, "w").write("openssl_conf = c\n[c]\nssl_conf = s\n[s]\nsystem_default = d\n[d]\n"
                                      "Ciphersuites = %s\n" % suite)
                env["OPENSSL_CONF"] = conf
            subprocess.run([sys.executable, os.path.abspath(__file__), name], env=env, check=True)
        return
    tmp = tempfile.mkdtemp()
    cert, key = os.path.join(tmp, "c.pem"), os.path.join(tmp, "k.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=sipaudit-test"], check=True, capture_output=True)
    for name, ver, suite in CASES:
        if name != only:
            continue
        keys = os.path.join(OUT, name + ".keys")
        if os.path.exists(keys):
            os.unlink(keys)
        s = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        s.load_cert_chain(cert, key)
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        c.check_hostname = False
        c.verify_mode = ssl.CERT_NONE
        c.keylog_filename = keys
        for ctx in (s, c):
            ctx.minimum_version = ctx.maximum_version = ver
            if ver == ssl.TLSVersion.TLSv1_2:
                ctx.set_ciphers(suite)
        chunks = []
        bios = [ssl.MemoryBIO() for _ in range(4)]
        cl = c.wrap_bio(bios[0], bios[1], server_side=False)
        sv = s.wrap_bio(bios[2], bios[3], server_side=True)

        def pump():
            moved = True
            while moved:
                moved = False
                d = bios[1].read()
                if d:
                    chunks.append((0, d)); bios[2].write(d); moved = True
                d = bios[3].read()
                if d:
                    chunks.append((1, d)); bios[0].write(d); moved = True

        done = [False, False]
        for _ in range(20):
            for i, o in enumerate((cl, sv)):
                if not done[i]:
                    try:
                        o.do_handshake(); done[i] = True
                    except ssl.SSLWantReadError:
                        pass
            pump()
            if all(done):
                break
        if cl.cipher()[0] != suite and ver == ssl.TLSVersion.TLSv1_3:
            sys.exit("%s: negotiated %s, not %s" % (name, cl.cipher()[0], suite))
        cl.write(INVITE); pump()
        assert sv.read(65536) == INVITE
        sv.write(OK); pump()
        assert cl.read(65536) == OK
        cl.write(BIG); pump()
        got = b""
        while len(got) < len(BIG):
            got += sv.read(65536)
        with open(os.path.join(OUT, name + ".bin"), "wb") as f:
            for d, b in chunks:
                f.write(struct.pack(">BI", d, len(b)) + b)
        open(os.path.join(OUT, name + ".c2s"), "wb").write(INVITE + BIG)
        open(os.path.join(OUT, name + ".s2c"), "wb").write(OK)
        print(name, cl.version(), cl.cipher()[0], len(chunks), "chunks")


if __name__ == "__main__":
    main()

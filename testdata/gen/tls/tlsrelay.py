#!/usr/bin/python3
"""TLS relay in front of a plain-TCP SIP peer (SIPp links OpenSSL, which does
not honour SSLKEYLOGFILE, so SIPp's own TLS cannot give a key log).

usage: tlsrelay.py client LISTEN_IP LPORT DST_IP DPORT --keylog FILE [--ver V]
       tlsrelay.py server LISTEN_IP LPORT DST_IP DPORT [--ver V]

client: accepts one plain TCP connection (from SIPp's UAC) and relays it over
        TLS to DST (the client side writes the NSS key log).
server: accepts one TLS connection and relays it as plain TCP to DST (SIPp's
        UAS).  Bytes are relayed as they come: each chunk read becomes a TLS
        record, so record boundaries follow SIPp's writes.
"""
import argparse
import os
import socket
import ssl
import threading

HERE = os.path.dirname(os.path.abspath(__file__))


def pump(src, dst, done):
    try:
        while True:
            d = src.recv(65536)
            if not d:
                break
            dst.sendall(d)
    except (OSError, ssl.SSLError):
        pass
    done.set()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["client", "server"])
    p.add_argument("lip")
    p.add_argument("lport", type=int)
    p.add_argument("dip")
    p.add_argument("dport", type=int)
    p.add_argument("--keylog")
    p.add_argument("--ver", default="1.3")
    a = p.parse_args()
    v = ssl.TLSVersion.TLSv1_3 if a.ver == "1.3" else ssl.TLSVersion.TLSv1_2
    if a.role == "client":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if a.keylog:
            ctx.keylog_filename = a.keylog
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(HERE, "server.crt"), os.path.join(HERE, "server.key"))
    ctx.minimum_version = ctx.maximum_version = v
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.lip, a.lport))
    ls.listen(1)
    print("ready", flush=True)
    inc, _ = ls.accept()
    out = socket.create_connection((a.dip, a.dport))
    for s in (inc, out):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if a.role == "client":
        out = ctx.wrap_socket(out, server_hostname="sip.example.test")
    else:
        inc = ctx.wrap_socket(inc, server_side=True)
    done = threading.Event()
    for x, y in ((inc, out), (out, inc)):
        threading.Thread(target=pump, args=(x, y, done), daemon=True).start()
    done.wait()
    for s in (inc, out):
        try:
            if isinstance(s, ssl.SSLSocket):
                s.unwrap()
        except (OSError, ssl.SSLError):
            pass
        s.close()


if __name__ == "__main__":
    main()

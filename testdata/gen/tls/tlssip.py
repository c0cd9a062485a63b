#!/usr/bin/python3
"""SIP over TLS (RFC 3261 26.2, RFC 5630) and over secure WebSocket (RFC 7118)
test peers on Python's ssl module (OpenSSL), python3 stdlib only.  The SIP
text is written here; the point of these peers is the TLS layer under it.

usage: tlssip.py server LISTEN_IP PORT [options]
       tlssip.py client LOCAL_IP SERVER_IP PORT [options]

options (both sides unless noted):
  --ver 1.2|1.3       pin the TLS version (min = max)
  --cipher NAME       TLS 1.2 cipher (OpenSSL name); TLS 1.3 suites are chosen
                      with OPENSSL_CONF (Python's ssl has no set_ciphersuites)
  --no-etm            do not offer Encrypt-then-MAC (RFC 7366) for CBC suites
  --no-ticket         server: no session tickets (TLS 1.2 resumes by session ID)
  --keylog FILE       NSS key log (client side; SSLContext.keylog_filename)
  --wss               SIP over WebSocket inside TLS (HTTP Upgrade, masked
                      client frames)
  --scen LIST         client: comma list of: reg (REGISTER/401/REGISTER/200),
                      call (INVITE/100/180/200/ACK/BYE/200), big (call with a
                      ~4000-byte padding header in the INVITE: records span
                      TCP segments)
  --resume            client: run the scenario on a first connection, close,
                      then again on a second connection resuming the session
  --bye481            server: answer BYE with 481 (dialog is live though)
  --reg403            server: answer the authenticated REGISTER with 403
  --conns N           server: connections to serve before exiting (default 1)

Server: REGISTER without Authorization -> 401 (fixed nonce), with it -> 200
(or 403); INVITE -> 100, 180, 200 with SDP written as three TLS records with
TCP_CORK set so they leave in one segment (several records in one segment);
BYE -> 200 (or 481); ACK -> nothing.
"""
import argparse
import base64
import hashlib
import os
import socket
import ssl
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CERT = os.path.join(HERE, "server.crt")
KEY = os.path.join(HERE, "server.key")
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
NONCE = "4b6f2a1d9e0c"


def ctx_common(ctx, a):
    if a.ver:
        v = ssl.TLSVersion.TLSv1_3 if a.ver == "1.3" else ssl.TLSVersion.TLSv1_2
        ctx.minimum_version = v
        ctx.maximum_version = v
    if a.cipher:
        ctx.set_ciphers(a.cipher + ":@SECLEVEL=0")
    if a.no_ticket:
        ctx.options |= ssl.OP_NO_TICKET  # TLS 1.2: resumption by session ID
    if a.no_etm:
        ctx.options |= 0x80000  # SSL_OP_NO_ENCRYPT_THEN_MAC (OpenSSL 3)
    return ctx


# ---------------------------------------------------------------- transport
class Conn:
    """SIP message transport over a TLS socket, raw or WebSocket-framed."""

    def __init__(self, s, wss, client):
        self.s, self.wss, self.client, self.buf = s, wss, client, b""

    def _recv(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError
        self.buf += d

    def send(self, msgs):
        """msgs: list of SIP texts; each becomes its own TLS record."""
        out = []
        for m in msgs:
            b = m.encode()
            if self.wss:
                b = ws_frame(0x1, b, self.client)
            out.append(b)
        if len(out) > 1:
            self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
        for b in out:
            self.s.sendall(b)
        if len(out) > 1:
            self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)

    def read_ws(self):
        while True:
            while len(self.buf) < 2:
                self._recv()
            b0, b1 = self.buf[0], self.buf[1]
            n, off = b1 & 0x7F, 2
            if n == 126:
                while len(self.buf) < 4:
                    self._recv()
                n, off = struct.unpack("!H", self.buf[2:4])[0], 4
            mk = b""
            if b1 & 0x80:
                while len(self.buf) < off + 4:
                    self._recv()
                mk, off = self.buf[off:off + 4], off + 4
            while len(self.buf) < off + n:
                self._recv()
            p = self.buf[off:off + n]
            self.buf = self.buf[off + n:]
            if mk:
                p = bytes(c ^ mk[i % 4] for i, c in enumerate(p))
            op = b0 & 0x0F
            if op == 0x8:
                raise EOFError
            if op == 0x1:
                return p.decode()

    def read(self):
        if self.wss:
            return self.read_ws()
        while b"\r\n\r\n" not in self.buf:
            self._recv()
        h, _, rest = self.buf.partition(b"\r\n\r\n")
        cl = 0
        for line in h.split(b"\r\n"):
            k, _, v = line.partition(b":")
            if k.strip().lower() in (b"content-length", b"l"):
                cl = int(v.strip())
        while len(rest) < cl:
            self._recv()
            h, _, rest = self.buf.partition(b"\r\n\r\n")
        msg = h + b"\r\n\r\n" + rest[:cl]
        self.buf = rest[cl:]
        return msg.decode()


def ws_frame(op, payload, mask):
    n = len(payload)
    hdr = bytes([0x80 | op])
    mb = 0x80 if mask else 0
    if n < 126:
        hdr += bytes([mb | n])
    else:
        hdr += bytes([mb | 126]) + struct.pack("!H", n)
    if mask:
        mk = os.urandom(4)
        return hdr + mk + bytes(c ^ mk[i % 4] for i, c in enumerate(payload))
    return hdr + payload


# ---------------------------------------------------------------- SIP text
def hdr(msg, name):
    for line in msg.split("\r\n")[1:]:
        if not line:
            break
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            return v.strip()
    return ""


def hdrs(msg, name):
    """every value of a header, in order (comma-joined lines split)"""
    out = []
    for line in msg.split("\r\n")[1:]:
        if not line:
            break
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            out += [x.strip() for x in v.split(",")]
    return out


def build(first, headers, body=""):
    h = [first] + headers + ["Content-Length: %d" % len(body.encode()), "", ""]
    return "\r\n".join(h) + body


def response(req, code, reason, extra=(), body="", totag=None):
    hs = [("Via: " + v) for v in [hdr(req, "Via")]]
    to = hdr(req, "To")
    if totag and ";tag=" not in to:
        to += ";tag=" + totag
    hs += ["From: " + hdr(req, "From"), "To: " + to,
           "Call-ID: " + hdr(req, "Call-ID"), "CSeq: " + hdr(req, "CSeq")]
    hs += list(extra)
    if body:
        hs.append("Content-Type: application/sdp")
    return build("SIP/2.0 %d %s" % (code, reason), hs, body)


def sdp(ip, port, sess):
    return ("v=0\r\no=- %d 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n" % (sess, ip, ip, port))


# ---------------------------------------------------------------- server
def serve(a):
    ctx = ctx_common(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER), a)
    ctx.load_cert_chain(CERT, KEY)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.local, a.port))
    ls.listen(4)
    print("ready", flush=True)
    tr = "WSS" if a.wss else "TLS"
    for _ in range(a.conns):
        raw, _peer = ls.accept()
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s = ctx.wrap_socket(raw, server_side=True)
        if a.wss:
            req = b""
            while b"\r\n\r\n" not in req:
                req += s.recv(4096)
            key = [l.split(b":", 1)[1].strip() for l in req.split(b"\r\n")
                   if l.lower().startswith(b"sec-websocket-key:")][0]
            acc = base64.b64encode(hashlib.sha1(key + GUID.encode()).digest())
            s.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + acc +
                      b"\r\nSec-WebSocket-Protocol: sip\r\n\r\n")
        c = Conn(s, a.wss, False)
        contact = "<sip:uas@%s:%d;transport=%s>" % (a.local, a.port, tr.lower())
        try:
            while True:
                m = c.read()
                meth = m.split(" ", 1)[0]
                if meth == "REGISTER":
                    if not hdr(m, "Authorization"):
                        c.send([response(m, 401, "Unauthorized", [
                            'WWW-Authenticate: Digest realm="example.test", '
                            'nonce="%s", algorithm=MD5, qop="auth"' % NONCE], totag="r1")])
                    elif a.reg403:
                        c.send([response(m, 403, "Forbidden", totag="r2")])
                    else:
                        c.send([response(m, 200, "OK", [
                            "Contact: " + hdr(m, "Contact") + ";expires=600"], totag="r2")])
                elif meth == "INVITE":
                    body = sdp(a.local, 40000, 2001)
                    c.send([response(m, 100, "Trying"),
                            response(m, 180, "Ringing", ["Contact: " + contact], totag="u77"),
                            response(m, 200, "OK", ["Contact: " + contact], body, totag="u77")])
                elif meth == "BYE":
                    if a.bye481:
                        c.send([response(m, 481, "Call/Transaction Does Not Exist")])
                    else:
                        c.send([response(m, 200, "OK")])
                elif meth == "ACK":
                    pass
                else:
                    c.send([response(m, 501, "Not Implemented")])
        except (EOFError, ssl.SSLError, ConnectionError):
            pass
        try:
            s.unwrap()  # a clean close_notify keeps the session resumable
        except (ssl.SSLError, OSError):
            pass
        raw.close()


# ---------------------------------------------------------------- client
class UAC:
    def __init__(self, a, c, tag):
        self.a, self.c, self.tag = a, c, tag
        self.tr = "WSS" if a.wss else "TLS"
        self.via_host = "%s:%d" % (a.local, 5061)
        self.n = 0

    def via(self):
        self.n += 1
        return "Via: SIP/2.0/%s %s;branch=z9hG4bK-%s-%d" % (self.tr, self.via_host, self.tag, self.n)

    def expect(self, codes):
        while True:
            m = self.c.read()
            code = int(m.split(" ", 2)[1])
            if code in codes:
                return m
            if code >= 200:
                raise SystemExit("unexpected response: " + m.split("\r\n")[0])

    def reg(self):
        a, cid = self.a, "reg-%s@%s" % (self.tag, self.a.local)
        ruri = "sip:example.test"
        base = ["Max-Forwards: 70", "From: <sip:alice@example.test>;tag=f%s" % self.tag,
                "To: <sip:alice@example.test>", "Call-ID: " + cid,
                "Contact: <sip:alice@%s:5061;transport=%s>" % (a.local, self.tr.lower()),
                "Expires: 600", "User-Agent: tlssip.py"]
        self.c.send([build("REGISTER %s SIP/2.0" % ruri, [self.via()] + base + ["CSeq: 1 REGISTER"])])
        r = self.expect([401])
        realm = "example.test"
        ha1 = hashlib.md5(("alice:%s:secret" % realm).encode()).hexdigest()
        ha2 = hashlib.md5(("REGISTER:" + ruri).encode()).hexdigest()
        cn = "0a4f113b"
        resp = hashlib.md5(("%s:%s:00000001:%s:auth:%s" % (ha1, NONCE, cn, ha2)).encode()).hexdigest()
        auth = ('Authorization: Digest username="alice", realm="%s", nonce="%s", uri="%s", '
                'response="%s", algorithm=MD5, qop=auth, nc=00000001, cnonce="%s"'
                % (realm, NONCE, ruri, resp, cn))
        self.c.send([build("REGISTER %s SIP/2.0" % ruri, [self.via()] + base + ["CSeq: 2 REGISTER", auth])])
        self.expect([200, 403])

    def call(self, big=False):
        a, cid = self.a, "call-%s@%s" % (self.tag, self.a.local)
        ruri = "sip:bob@%s:%d;transport=%s" % (a.server, a.port, self.tr.lower())
        frm = "From: <sip:alice@example.test>;tag=c%s" % self.tag
        hs = ["Max-Forwards: 70", frm, "To: <sip:bob@example.test>", "Call-ID: " + cid,
              "CSeq: 1 INVITE", "Contact: <sip:alice@%s:5061;transport=%s>" % (a.local, self.tr.lower()),
              "User-Agent: tlssip.py", "Content-Type: application/sdp"]
        if big:
            hs.append("X-Padding: " + ("0123456789abcdef" * 250))
        self.c.send([build("INVITE %s SIP/2.0" % ruri, [self.via()] + hs, sdp(a.local, 30000, 1001))])
        ok = self.expect([200])
        to = "To: " + hdr(ok, "To")
        ruri = hdr(ok, "Contact").strip("<>") or ruri  # remote target (RFC 3261 12.1.2)
        rs = hdrs(ok, "Record-Route")[::-1]  # UAC route set: reversed (12.1.2)
        route = ["Route: " + ", ".join(rs)] if rs else []
        self.c.send([build("ACK %s SIP/2.0" % ruri, [self.via()] + route + ["Max-Forwards: 70", frm, to,
                                                    "Call-ID: " + cid, "CSeq: 1 ACK"])])
        time.sleep(0.2)
        self.c.send([build("BYE %s SIP/2.0" % ruri, [self.via()] + route + ["Max-Forwards: 70", frm, to,
                                                    "Call-ID: " + cid, "CSeq: 2 BYE"])])
        self.expect([200, 481])


def client_once(a, ctx, tag, session=None):
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    raw.bind((a.local, 0))
    raw.connect((a.server, a.port))
    s = ctx.wrap_socket(raw, server_hostname="sip.example.test", session=session)
    if a.wss:
        key = base64.b64encode(os.urandom(16))
        s.sendall(b"GET / HTTP/1.1\r\nHost: sip.example.test\r\nUpgrade: websocket\r\n"
                  b"Connection: Upgrade\r\nSec-WebSocket-Key: " + key +
                  b"\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n"
                  b"Origin: https://sip.example.test\r\n\r\n")
        resp = b""
        while b"\r\n\r\n" not in resp:
            resp += s.recv(4096)
        if b" 101 " not in resp.split(b"\r\n")[0]:
            raise SystemExit("upgrade refused")
    c = Conn(s, a.wss, True)
    u = UAC(a, c, tag)
    for step in a.scen.split(","):
        if step == "reg":
            u.reg()
        elif step == "call":
            u.call()
        elif step == "big":
            u.call(big=True)
    time.sleep(0.1)
    sess, reused = s.session, s.session_reused
    print("conn %s: %s %s reused=%s" % (tag, s.version(), s.cipher()[0], reused), flush=True)
    if a.wss:
        s.sendall(ws_frame(0x8, struct.pack("!H", 1000), True))
    try:
        s.unwrap()
    except (ssl.SSLError, OSError):
        pass
    raw.close()
    return sess, reused


def client(a):
    ctx = ctx_common(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), a)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if a.keylog:
        ctx.keylog_filename = a.keylog
    sess, _ = client_once(a, ctx, "1")
    if a.resume:
        time.sleep(0.3)
        _, reused = client_once(a, ctx, "2", sess)
        if not reused:
            raise SystemExit("second connection did not resume")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["server", "client"])
    p.add_argument("addrs", nargs="+")
    p.add_argument("--ver")
    p.add_argument("--cipher")
    p.add_argument("--no-etm", action="store_true")
    p.add_argument("--no-ticket", action="store_true")
    p.add_argument("--keylog")
    p.add_argument("--wss", action="store_true")
    p.add_argument("--scen", default="reg,call")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--bye481", action="store_true")
    p.add_argument("--reg403", action="store_true")
    p.add_argument("--conns", type=int, default=1)
    a = p.parse_args()
    if a.role == "server":
        a.local, a.port = a.addrs[0], int(a.addrs[1])
        serve(a)
    else:
        a.local, a.server, a.port = a.addrs[0], a.addrs[1], int(a.addrs[2])
        client(a)


if __name__ == "__main__":
    main()

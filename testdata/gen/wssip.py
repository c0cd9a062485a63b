#!/usr/bin/python3
"""SIP over WebSocket (RFC 7118) test peer, python3 stdlib only.  The RFC 6455
handshake and framing are implemented here.

usage: wssip.py server LISTEN_IP PORT
       wssip.py client LOCAL_IP SERVER_IP PORT

Server: answers the HTTP Upgrade (Sec-WebSocket-Protocol: sip), replies to
SIP requests with unmasked text frames: REGISTER -> 200; INVITE -> 100 and
180 (two frames in one TCP segment), then 200 with SDP; BYE -> 200; ACK ->
nothing.  Answers PING with PONG and CLOSE with CLOSE, then exits.

Client (every frame masked, as RFC 6455 requires):
  1. REGISTER as one unfragmented text frame (16-bit extended length;
     the PING/CLOSE frames use the 7-bit length)
  2. INVITE with SDP (16-bit extended length) fragmented into three frames:
     text (FIN=0), continuation (FIN=0), a PING control frame interleaved,
     continuation (FIN=1); each fragment in its own TCP segment
  3. ACK and BYE as two complete frames written with one send()
  4. CLOSE (1000), waits for the server's CLOSE.
"""
import base64
import hashlib
import os
import random
import re
import socket
import struct
import sys
import time

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x8, 0x9, 0xA


def frame(opcode, payload, fin=True, mask=False):
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    mbit = 0x80 if mask else 0
    if n < 126:
        hdr = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        hdr = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        hdr = struct.pack("!BBQ", b0, mbit | 127, n)
    if not mask:
        return hdr + payload
    key = bytes(random.getrandbits(8) for _ in range(4))
    return hdr + key + bytes(c ^ key[i % 4] for i, c in enumerate(payload))


class Conn:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def _need(self, n):
        while len(self.buf) < n:
            d = self.sock.recv(65535)
            if not d:
                raise EOFError
            self.buf += d

    def read_http(self):
        while b"\r\n\r\n" not in self.buf:
            self._need(len(self.buf) + 1)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        return head.decode("latin-1")

    def read_frame(self):
        self._need(2)
        b0, b1 = self.buf[0], self.buf[1]
        n, off = b1 & 0x7F, 2
        if n == 126:
            self._need(4)
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10)
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        key = None
        if b1 & 0x80:
            self._need(off + 4)
            key, off = self.buf[off:off + 4], off + 4
        self._need(off + n)
        payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
        if key:
            payload = bytes(c ^ key[i % 4] for i, c in enumerate(payload))
        return bool(b0 & 0x80), b0 & 0x0F, payload

    def read_message(self, on_control):
        """Reassemble a (possibly fragmented) data message; control frames
        are passed to on_control. Returns (opcode, payload)."""
        parts, op = [], None
        while True:
            fin, opcode, payload = self.read_frame()
            if opcode >= 0x8:
                if opcode == OP_CLOSE:
                    return OP_CLOSE, payload
                on_control(opcode, payload)
                continue
            if opcode != OP_CONT:
                op = opcode
            parts.append(payload)
            if fin:
                return op, b"".join(parts)


def hdr(msg, name):
    m = re.search(r"^%s\s*:\s*(.*?)\r?$" % name, msg, re.I | re.M)
    return m.group(1) if m else ""


def response(req, code, reason, to_tag, body=b"", ctype=None):
    lines = ["SIP/2.0 %d %s" % (code, reason)]
    for v in re.findall(r"^Via\s*:\s*(.*?)\r?$", req, re.I | re.M):
        lines.append("Via: " + v + ";received=192.0.2.10")
    to = hdr(req, "To")
    if code > 100 and ";tag=" not in to:
        to += ";tag=" + to_tag
    lines += ["From: " + hdr(req, "From"), "To: " + to, "Call-ID: " + hdr(req, "Call-ID"),
              "CSeq: " + hdr(req, "CSeq"), "Server: sipaudit-testdata wssip.py"]
    if code == 200 and req.startswith(("INVITE", "REGISTER")):
        if req.startswith("REGISTER"):
            lines.append("Contact: " + hdr(req, "Contact") + ";expires=600")
        else:
            lines.append("Contact: <sip:service@192.0.2.20:8088;transport=ws>")
    if ctype:
        lines.append("Content-Type: " + ctype)
    lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def server(ip, port):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((ip, port))
    ls.listen(1)
    print("ready", flush=True)
    s, _ = ls.accept()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c = Conn(s)
    req = c.read_http()
    key = hdr(req, "Sec-WebSocket-Key")
    assert "sip" in [p.strip() for p in hdr(req, "Sec-WebSocket-Protocol").split(",")]
    accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    s.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
               "Sec-WebSocket-Protocol: sip\r\n\r\n" % accept).encode())
    to_tag = "wss%06x" % random.getrandbits(24)

    def on_control(op, payload):
        if op == OP_PING:
            s.sendall(frame(OP_PONG, payload))

    while True:
        op, payload = c.read_message(on_control)
        if op == OP_CLOSE:
            s.sendall(frame(OP_CLOSE, payload[:2]))
            break
        msg = payload.decode()
        method = msg.split(" ", 1)[0]
        if method == "REGISTER":
            s.sendall(frame(OP_TEXT, response(msg, 200, "OK", to_tag)))
        elif method == "INVITE":
            # 100 and 180 in one segment (two frames, one send)
            s.sendall(frame(OP_TEXT, response(msg, 100, "Trying", to_tag)) +
                      frame(OP_TEXT, response(msg, 180, "Ringing", to_tag)))
            time.sleep(0.02)
            sdp = (b"v=0\r\no=wssip 2 2 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\n"
                   b"t=0 0\r\nm=audio 7000 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\n"
                   b"a=setup:passive\r\na=rtcp-mux\r\n")
            s.sendall(frame(OP_TEXT, response(msg, 200, "OK", to_tag, sdp, "application/sdp")))
        elif method == "BYE":
            s.sendall(frame(OP_TEXT, response(msg, 200, "OK", to_tag)))
    time.sleep(0.05)
    s.close()


def request(method, cseq, call_id, from_tag, to_tag=None, body=b"", ctype=None, ruri=None):
    host = "df7jal23ls0d.invalid"
    ruri = ruri or "sip:service@192.0.2.20;transport=ws"
    branch = "z9hG4bK%08x" % random.getrandbits(32)
    to = "<sip:service@192.0.2.20>" if method != "REGISTER" else "<sip:alice@192.0.2.20>"
    lines = ["%s %s SIP/2.0" % (method, ruri),
             "Via: SIP/2.0/WS %s;branch=%s" % (host, branch),
             "Max-Forwards: 70",
             "From: <sip:alice@192.0.2.20>;tag=%s" % from_tag,
             "To: " + to + (";tag=" + to_tag if to_tag else ""),
             "Call-ID: %s" % call_id,
             "CSeq: %d %s" % (cseq, method),
             "Contact: <sip:alice@%s;transport=ws>" % host]
    if ctype:
        lines.append("Content-Type: " + ctype)
    lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def client(local, server_ip, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.bind((local, 0))
    s.connect((server_ip, port))
    c = Conn(s)
    key = base64.b64encode(bytes(random.getrandbits(8) for _ in range(16))).decode()
    s.sendall(("GET / HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Origin: http://%s\r\nSec-WebSocket-Protocol: sip\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % (server_ip, port, key, server_ip)).encode())
    resp = c.read_http()
    expect = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    assert resp.startswith("HTTP/1.1 101") and hdr(resp, "Sec-WebSocket-Accept") == expect, resp

    def recv_sip():
        op, payload = c.read_message(lambda op, p: None)
        assert op == OP_TEXT, op
        return payload.decode()

    # 1. REGISTER (one unfragmented frame)
    reg = request("REGISTER", 1, "reg-%08x" % random.getrandbits(32), "r%06x" % random.getrandbits(24),
                  ruri="sip:192.0.2.20")
    s.sendall(frame(OP_TEXT, reg, mask=True))
    assert recv_sip().startswith("SIP/2.0 200")

    # 2. INVITE fragmented over 3 frames with a PING in between
    call_id, ftag = "call-%08x" % random.getrandbits(32), "f%06x" % random.getrandbits(24)
    sdp = (b"v=0\r\no=alice 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"
           b"m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\na=setup:actpass\r\n"
           b"a=rtcp-mux\r\n")
    inv = request("INVITE", 1, call_id, ftag, body=sdp, ctype="application/sdp")
    cut1, cut2 = len(inv) // 3, 2 * len(inv) // 3
    s.sendall(frame(OP_TEXT, inv[:cut1], fin=False, mask=True))
    time.sleep(0.01)
    s.sendall(frame(OP_CONT, inv[cut1:cut2], fin=False, mask=True))
    time.sleep(0.01)
    s.sendall(frame(OP_PING, b"keepalive", mask=True))
    time.sleep(0.01)
    s.sendall(frame(OP_CONT, inv[cut2:], fin=True, mask=True))
    to_tag = None
    while True:
        r = recv_sip()
        code = int(r.split(" ", 2)[1])
        m = re.search(r"^To\s*:.*;tag=([^;\s]+)", r, re.I | re.M)
        if m:
            to_tag = m.group(1)
        if code >= 200:
            break
    assert code == 200
    time.sleep(0.02)
    # 3. ACK + BYE: two frames, one send()
    s.sendall(frame(OP_TEXT, request("ACK", 1, call_id, ftag, to_tag), mask=True) +
              frame(OP_TEXT, request("BYE", 2, call_id, ftag, to_tag), mask=True))
    assert recv_sip().startswith("SIP/2.0 200")
    # 4. close handshake
    s.sendall(frame(OP_CLOSE, struct.pack("!H", 1000) + b"bye", mask=True))
    while True:
        _fin, op, _p = c.read_frame()
        if op == OP_CLOSE:
            break
    s.close()


def main():
    random.seed(int.from_bytes(os.urandom(4), "big") if os.environ.get("WSSIP_RANDOM") else 7118)
    if len(sys.argv) == 4 and sys.argv[1] == "server":
        server(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 5 and sys.argv[1] == "client":
        client(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

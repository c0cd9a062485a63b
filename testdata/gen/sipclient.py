#!/usr/bin/python3
"""Minimal SIP-over-TCP UAC (python3 stdlib) that controls how its messages
are cut into TCP segments.  Talks to a SIPp UAS (sipp -sn uas -t t1):
INVITE -> 180/200 -> ACK -> BYE -> 200.

usage: sipclient.py MODE LOCAL_IP REMOTE_IP [PORT]
MODE:
  split     INVITE written 10 bytes at a time (TCP_NODELAY, 5 ms apart), so
            it is spread over ~55 segments; ACK and BYE written normally.
  multi     ACK and BYE written with one send(): two SIP messages in one
            TCP segment.
  straddle  ACK + the first 100 bytes of BYE in one send(), the rest of the
            BYE 50 ms later: a message boundary in the middle of a segment
            and a message continued in the next one.
"""
import random
import re
import socket
import sys
import time


def build(method, ruri, local, lport, remote, rport, call_id, cseq, from_tag,
          to_tag=None, body=b"", ctype=None):
    branch = "z9hG4bK-%08x" % random.getrandbits(32)
    to = "<sip:service@%s:%d>" % (remote, rport) + (";tag=" + to_tag if to_tag else "")
    lines = [
        "%s %s SIP/2.0" % (method, ruri),
        "Via: SIP/2.0/TCP %s:%d;branch=%s" % (local, lport, branch),
        "From: sipaudit <sip:sipaudit@%s:%d>;tag=%s" % (local, lport, from_tag),
        "To: service " + to,
        "Call-ID: %s" % call_id,
        "CSeq: %d %s" % (cseq, method),
        "Contact: <sip:sipaudit@%s:%d;transport=tcp>" % (local, lport),
        "Max-Forwards: 70",
        "User-Agent: sipaudit-testdata sipclient.py",
    ]
    if ctype:
        lines.append("Content-Type: " + ctype)
    lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Reader:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def message(self):
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                head = self.buf[:end].decode("latin-1")
                m = re.search(r"^(?:Content-Length|l)\s*:\s*(\d+)", head, re.I | re.M)
                total = end + 4 + (int(m.group(1)) if m else 0)
                if len(self.buf) >= total:
                    msg, self.buf = self.buf[:total], self.buf[total:]
                    return msg.decode("latin-1")
            data = self.sock.recv(65535)
            if not data:
                raise EOFError("connection closed")
            self.buf += data


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    mode, local, remote = sys.argv[1:4]
    rport, lport = int(sys.argv[4]) if len(sys.argv) > 4 else 5060, 5070
    random.seed(0x5A)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.bind((local, lport))
    s.connect((remote, rport))
    rd = Reader(s)
    call_id = "%08x-sipclient-%s@%s" % (random.getrandbits(32), mode, local)
    from_tag = "%08x" % random.getrandbits(32)
    ruri = "sip:service@%s:%d;transport=tcp" % (remote, rport)
    sdp = ("v=0\r\no=sipaudit 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
           "m=audio 6000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
           % (local, local)).encode()
    invite = build("INVITE", ruri, local, lport, remote, rport, call_id, 1, from_tag,
                   body=sdp, ctype="application/sdp")
    if mode == "split":
        for i in range(0, len(invite), 10):
            s.send(invite[i:i + 10])
            time.sleep(0.005)
    else:
        s.sendall(invite)
    to_tag = None
    while True:
        msg = rd.message()
        code = int(msg.split(" ", 2)[1])
        m = re.search(r"^(?:To|t)\s*:.*;tag=([^;\s]+)", msg, re.I | re.M)
        if m:
            to_tag = m.group(1)
        if code >= 200:
            break
    if code != 200:
        sys.exit("INVITE failed: %d" % code)
    time.sleep(0.02)
    ack = build("ACK", ruri, local, lport, remote, rport, call_id, 1, from_tag, to_tag)
    bye = build("BYE", ruri, local, lport, remote, rport, call_id, 2, from_tag, to_tag)
    if mode == "split":
        s.sendall(ack)
        time.sleep(0.02)
        s.sendall(bye)
    elif mode == "multi":
        s.sendall(ack + bye)
    elif mode == "straddle":
        s.sendall(ack + bye[:100])
        time.sleep(0.05)
        s.sendall(bye[100:])
    else:
        sys.exit(__doc__)
    msg = rd.message()
    if not msg.startswith("SIP/2.0 200"):
        sys.exit("BYE failed: " + msg.splitlines()[0])
    time.sleep(0.05)
    s.close()


if __name__ == "__main__":
    main()

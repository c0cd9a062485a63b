#!/usr/bin/python3
"""Independent check of one TLS 1.3 TLS_AES_128_GCM_SHA256 capture (needs
python3-cryptography): decrypts the client->server records of the single
connection in CAP (classic pcap, Ethernet/IPv4, server port 5061) with the
secrets in KEYS, advancing the record sequence number past records that fail
their tag, and prints one line per record (phase, sequence, plaintext start
or BAD TAG).  Used to confirm what tls13-badrecord should show: only the
INVITE's record fails, the ACK and BYE after it decrypt.

usage: tls13check.py CAP KEYS
"""
import hashlib
import hmac
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
cap,keys=sys.argv[1],sys.argv[2]
sec={l.split()[0]:bytes.fromhex(l.split()[2]) for l in open(keys) if not l.startswith('#')}
def hexp(secret,label,ln):
    lab=b"tls13 "+label
    info=struct.pack("!H",ln)+bytes([len(lab)])+lab+b"\0"
    out=b"";t=b"";i=1
    while len(out)<ln:
        t=hmac.new(secret,t+info+bytes([i]),hashlib.sha256).digest();out+=t;i+=1
    return out[:ln]
d=open(cap,'rb').read();off=24;segs={}
while off<len(d):
    incl=struct.unpack('<I',d[off+8:off+12])[0];f=d[off+16:off+16+incl];off+=16+incl
    ip=f[14:];ihl=(ip[0]&15)*4;tl=struct.unpack('!H',ip[2:4])[0];tcp=ip[ihl:tl];thl=(tcp[12]>>4)*4
    src=ip[12:16];sp=struct.unpack('!H',tcp[:2])[0];seq=struct.unpack('!I',tcp[4:8])[0];pl=tcp[thl:]
    if pl and sp!=5061: segs.setdefault(seq,pl)
st=b"".join(segs[k] for k in sorted(segs))
i=0;recs=[]
while i+5<=len(st):
    t=st[i];n=struct.unpack('!H',st[i+3:i+5])[0];recs.append((t,st[i:i+5],st[i+5:i+5+n]));i+=5+n
def kiv(s):return AESGCM(hexp(s,b"key",16)),hexp(s,b"iv",12)
phase=[kiv(sec['CLIENT_HANDSHAKE_TRAFFIC_SECRET']),kiv(sec['CLIENT_TRAFFIC_SECRET_0'])];p=0;n=0
for t,h,c in recs:
    if t!=0x17: continue
    a,iv=phase[p];nonce=bytes(x^y for x,y in zip(iv,n.to_bytes(12,'big')))
    try: pt=a.decrypt(nonce,c,h);print(p,n,pt[:30])
    except Exception as e: print(p,n,"BAD TAG")
    n+=1
    if p==0: p=1;n=0

#!/usr/bin/env python3
"""tests/pcap_reader_check.py BINARY - sipaudit reads well-formed classic pcap
records itself and hands a file to libpcap from its first damaged record on
(analyzer/capture/capture.c, read_pcap_fast). With SIPAUDIT_PCAP_READER=libpcap
libpcap reads every record: the two must give the same report, to the byte,
on every classic pcap in testdata/captures and on damaged copies of a real
capture made many times longer than the reader's chunk (cut in a record's header,
in its data, a record longer than the snapshot length, an absurd length, big
endian, nanoseconds, gzip cut short, from standard input). One ok/not ok
line per check."""
import gzip, os, struct, subprocess, sys, tempfile

BIN = os.path.abspath(sys.argv[1])
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TMP = tempfile.mkdtemp(prefix='sipaudit-pcapreader-')
MAGICS = {0xA1B2C3D4, 0xA1B23C4D}
n_ok = n_bad = 0


def check(cond, what):
    global n_ok, n_bad
    if cond:
        n_ok += 1
        print('ok - ' + what)
    else:
        n_bad += 1
        print('not ok - ' + what)


def run(path, args, libpcap, stdin=None):
    env = dict(os.environ)
    env.pop('SIPAUDIT_PCAP_READER', None)
    if libpcap:
        env['SIPAUDIT_PCAP_READER'] = 'libpcap'
    cmd = [BIN, '--no-config', '--fail-on', 'never', '-j1'] + args + ([path] if stdin is None else ['-'])
    with open(stdin, 'rb') if stdin else open(os.devnull, 'rb') as f:
        p = subprocess.run(cmd, stdin=f, capture_output=True, env=env, timeout=300)
    return p.returncode, p.stdout, p.stderr


def same(path, label, stdin=None):
    """Both readers, JSON and text: identical. Returns stderr (ours)."""
    err = b''
    for args in (['-f', 'json'], ['--color', 'always']):
        a = run(path, args, False, stdin)
        b = run(path, args, True, stdin)
        check(a == b, '%s %s: same report as libpcap alone' % (label, ' '.join(args)))
        if a != b:
            sys.stderr.write('# ours: %r\n# libpcap: %r\n' % (a[2][-300:], b[2][-300:]))
        err = a[2]
    return err.decode(errors='replace')


def classic(path):
    with open(path, 'rb') as f:
        h = f.read(4)
    return len(h) == 4 and (struct.unpack('<I', h)[0] in MAGICS or struct.unpack('>I', h)[0] in MAGICS)


# 1. every classic pcap in the repository, as it is
files = []
for d, _, fs in os.walk(os.path.join(ROOT, 'testdata', 'captures')):
    for f in sorted(fs):
        p = os.path.join(d, f)
        if f.endswith(('.pcap', '.cap')) and classic(p):
            files.append(p)
check(len(files) > 50, 'classic pcap files found in testdata/captures (%d)' % len(files))
for p in sorted(files):
    same(p, os.path.relpath(p, ROOT))

# 2. damaged copies of a real capture, repeated to many chunks (64 KiB here)
src = os.path.join(ROOT, 'testdata', 'captures', 'public', 'ISA__real_call.pcap')  # a real call, SIP and RTP
data = open(src, 'rb').read()
hdr, recs, o = data[:24], [], 24
swapped = struct.unpack('>I', data[:4])[0] in MAGICS
e = '>' if swapped else '<'
while o + 16 <= len(data):
    cl = struct.unpack(e + 'I', data[o + 8:o + 12])[0]
    recs.append(data[o:o + 16 + cl])
    o += 16 + cl
body = []
while sum(map(len, body)) < 3 * (1 << 20):
    body += recs
total = sum(map(len, body))
check(total > 3 * (1 << 20), 'the long copy spans many chunks (%d records, %d bytes)' % (len(body), total))


def write(name, content):
    p = os.path.join(TMP, name)
    with open(p, 'wb') as f:
        f.write(content)
    return p


def with_caplen(rec, caplen):
    r = bytearray(rec)
    struct.pack_into(e + 'I', r, 8, caplen)
    return bytes(r)


k = len(body) * 2 // 3  # a record well past the first chunk
snap = struct.unpack(e + 'I', hdr[16:20])[0] or 262144
cases = [
    ('whole.pcap', hdr + b''.join(body), None, len(body)),
    ('cut-in-data.pcap', hdr + b''.join(body[:k]) + body[k][:30], 'truncated dump file', k),
    ('cut-in-header.pcap', hdr + b''.join(body[:k]) + body[k][:7], 'truncated dump file', k),
    ('over-snaplen.pcap', hdr + b''.join(body[:k]) + with_caplen(body[k], min(snap, 262144) + 1) + b''.join(body[k + 1:]),
     'bigger than', k),
    ('absurd-length.pcap', hdr + b''.join(body[:k]) + with_caplen(body[k], 0x7FFFFFF0) + b''.join(body[k + 1:]),
     'bigger than', k),
]
for name, content, err, first_bad in cases:
    p = write(name, content)
    out = same(p, name)
    if err is None:
        check('frame ' not in out, '%s: read whole (%s)' % (name, out.strip()[:120]))
    else:
        # (a length past the snapshot length is read up to it and the rest
        # skipped: libpcap then stumbles on the record after)
        at = [int(w.rstrip(':')) for w in out.replace('frame ', 'frame\n').split('\n')[1:2] for w in w.split()[:1]]
        check(err in out and at and at[0] >= first_bad + 1,
              '%s: libpcap\'s message, from frame %d on (%s)' % (name, first_bad + 1, out.strip()[:160]))

# the other byte order and the nanosecond magic, made from the same records
m, vj, vn, tz, sf, sl, lt = struct.unpack(e + 'IHHiIII', hdr)
flip = '<' if e == '>' else '>'
bo = struct.pack(flip + 'IHHiIII', m, vj, vn, tz, sf, sl, lt)
for r in body[:k]:
    bo += struct.pack(flip + 'IIII', *struct.unpack(e + 'IIII', r[:16])) + r[16:]
same(write('other-byte-order.pcap', bo), 'other-byte-order.pcap')
same(write('other-byte-order-cut.pcap', bo + b'\0\0\0'), 'other-byte-order-cut.pcap')
ns = struct.pack(e + 'I', 0xA1B23C4D) + hdr[4:] + b''.join(
    struct.pack(e + 'IIII', s, us * 1000, c, ln) + r[16:]
    for r in body[:k] for (s, us, c, ln) in [struct.unpack(e + 'IIII', r[:16])])
same(write('nanoseconds.pcap', ns), 'nanoseconds.pcap')
# gzip: the stream cut short, and a whole file cut in a record
gz = gzip.compress(hdr + b''.join(body))
same(write('gzip-cut.pcap.gz', gz[:len(gz) * 3 // 4]), 'gzip-cut.pcap.gz')
same(write('gzip-record-cut.pcap.gz', gzip.compress(hdr + b''.join(body[:k]) + body[k][:30])), 'gzip-record-cut.pcap.gz')
# a damaged second gzip member, early and late: zlib
# drops what the failing call inflated, so where the error falls depends on
# how the file is read in pieces (compressed files stay with libpcap)
bad_member = b'\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03' + b'\xff' * 32
same(write('gzip-bad-member-early.pcap.gz', gzip.compress(hdr + b''.join(body[:k // 3])) + bad_member),
     'gzip-bad-member-early.pcap.gz')
same(write('gzip-bad-member-late.pcap.gz', gzip.compress(hdr + b''.join(body)) + bad_member), 'gzip-bad-member-late.pcap.gz')
# standard input (no way back to the start: libpcap must go on from the damage)
p = os.path.join(TMP, 'cut-in-data.pcap')
out = same(p, 'stdin cut-in-data.pcap', stdin=p)
check('truncated dump file' in out, 'stdin: libpcap\'s message (%s)' % out.strip()[:120])

print('%d passed, %d failed' % (n_ok, n_bad))
sys.exit(1 if n_bad else 0)

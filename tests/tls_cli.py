#!/usr/bin/env python3
"""tests/tls_cli.py BINARY - TLS decryption as a user meets it: key material
from --keylog, SSLKEYLOGFILE and the capture's own Decryption Secrets Block;
wrong, truncated, garbage and unrelated key logs; a bad record; a capture
that starts after the handshake; bytes missing inside a TLS connection; the
summary's one line per flow not decrypted and the JSON behind it. The
damaged captures are made here from testdata/captures/tls. One ok/not ok
line per check."""
import json, os, struct, subprocess, sys, tempfile

BIN = os.path.abspath(sys.argv[1])
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TLS = os.path.join(ROOT, 'testdata/captures/tls')
TMP = tempfile.mkdtemp(prefix='sipaudit-tls-')


def t(name):
    return os.path.join(TLS, name)


def run(args, env=None):
    e = {k: v for k, v in os.environ.items() if k != 'SSLKEYLOGFILE'}
    if env:
        e.update(env)
    p = subprocess.run([BIN, '--no-config'] + args, cwd=TMP, env=e, capture_output=True)
    return p.returncode, p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace')


def jrun(args, env=None):
    rc, out, err = run(['--format', 'json'] + args, env)
    try:
        return rc, json.loads(out), err
    except ValueError:
        return rc, None, err + out[:300]


def check(name, cond, detail=''):
    print(('ok - ' if cond else 'not ok - ') + 'tls ' + name + ('' if cond else ': ' + str(detail)[:600]))


def transports(doc):
    return sorted({m['transport'] for c in doc['calls'] for m in c['messages']})


# --- pcap helpers: read and write classic pcap, drop or keep packets --------
def read_pcap(path):
    b = open(path, 'rb').read()
    hdr, off, pk = b[:24], 24, []
    while off + 16 <= len(b):
        incl = struct.unpack('<I', b[off + 8:off + 12])[0]
        pk.append(b[off:off + 16 + incl])
        off += 16 + incl
    return hdr, pk


def write_pcap(path, hdr, pk):
    with open(path, 'wb') as f:
        f.write(hdr)
        for p in pk:
            f.write(p)
    return path


def tcp_payload_len(p):
    """TCP payload length of an Ethernet/IPv4 packet record (16-byte header first)."""
    d = p[16:]
    if len(d) < 34 or d[12:14] != b'\x08\x00' or d[23] != 6:
        return 0
    ihl = (d[14] & 15) * 4
    tot = struct.unpack('>H', d[16:18])[0]
    doff = (d[14 + ihl + 12] >> 4) * 4
    return tot - ihl - doff


# --- where the keys come from ------------------------------------------------
cap, keys = t('tls13-aes128gcm.pcap'), t('tls13-aes128gcm.keys')
rc, doc, err = jrun(['--keylog', keys, cap])
check('--keylog decrypts: 11 messages, transport tls', doc and doc['inputs'][0]['sip_messages'] == 11
      and transports(doc) == ['tls'], (rc, err))
if doc:
    tl = doc['inputs'][0]['tls']
    check('--keylog: JSON tls says 1 flow decrypted, keyed, nothing listed',
          tl['flows'] == 1 and tl['decrypted'] == 1 and tl['keys'] and tl['flows_with_key'] == 1
          and tl['not_decrypted'] == [] and tl['by_outcome'] == {'decrypted': 1}, tl)

rc, doc, err = jrun([cap], env={'SSLKEYLOGFILE': keys})
check('SSLKEYLOGFILE decrypts without an option', doc and doc['inputs'][0]['sip_messages'] == 11, (rc, err))

rc, doc, err = jrun(['--keylog', keys, cap], env={'SSLKEYLOGFILE': t('tls13-aes256gcm.keys')})
check('--keylog wins over SSLKEYLOGFILE', doc and doc['inputs'][0]['sip_messages'] == 11, (rc, err))

rc, doc, err = jrun([cap], env={'SSLKEYLOGFILE': os.path.join(TMP, 'not-written-yet.keys')})
check('SSLKEYLOGFILE naming a missing file: a warning, the capture analysed, exit 0',
      rc == 0 and 'SSLKEYLOGFILE' in err and 'not-written-yet.keys' in err and doc
      and doc['inputs'][0]['tls']['flows'] == 1, (rc, err))

rc, out, err = run(['--keylog', os.path.join(TMP, 'nope.keys'), cap])
check('--keylog naming a missing file: exit 2, a clear message, the capture still analysed',
      rc == 2 and '--keylog' in err and 'nope.keys' in err and 'No such file' in err
      and 'tls13-aes128gcm.pcap: 28 packets' in out, (rc, err, out[:300]))

rc, doc, err = jrun([t('tls13-dsb.pcapng')])
check('pcapng with a Decryption Secrets Block decrypts with no option',
      doc and doc['inputs'][0]['sip_messages'] == 11 and doc['inputs'][0]['tls']['keys_from_capture'] >= 1, (rc, err))

rc, doc, err = jrun([t('tls13-dsb.pcapng'), cap])
check("a capture's own secrets are for that capture only (the next input is not decrypted)",
      doc and doc['inputs'][0]['sip_messages'] == 11 and doc['inputs'][1]['sip_messages'] == 0
      and doc['inputs'][1]['tls']['by_outcome'] == {'no_keylog': 1}, (rc, err))

# a DSB of another kind of secrets, and one whose length lies
raw = open(t('tls13-dsb.pcapng'), 'rb').read()
i = raw.find(b'\x0a\x00\x00\x00')  # block type 10, little-endian
while i >= 0 and raw[i + 8:i + 12] != b'KSLT':
    i = raw.find(b'\x0a\x00\x00\x00', i + 1)
check('the test finds the DSB in tls13-dsb.pcapng', i > 0)
if i > 0:
    other = bytearray(raw)
    other[i + 8:i + 12] = struct.pack('<I', 0x57474b4c)  # WireGuard key log
    p = os.path.join(TMP, 'dsb-wireguard.pcapng')
    open(p, 'wb').write(other)
    rc, doc, err = jrun([p])
    check('DSB of WireGuard keys: said, ignored, the rest analysed (no key log: not decrypted)',
          doc and 'secrets of type 0x57474b4c ignored' in err and doc['inputs'][0]['tls']['by_outcome'] == {'no_keylog': 1}
          and doc['inputs'][0]['packets'] == 28, (rc, err))
    lying = bytearray(raw)
    blen = struct.unpack('<I', raw[i + 4:i + 8])[0]
    lying[i + 12:i + 16] = struct.pack('<I', blen + 1000)  # secrets length beyond the block
    p = os.path.join(TMP, 'dsb-lying.pcapng')
    open(p, 'wb').write(lying)
    rc, doc, err = jrun([p])
    check('DSB whose secrets length exceeds its block: said, ignored, every packet still read',
          doc and 'exceeds its block' in err and doc['inputs'][0]['packets'] == 28, (rc, err))

# --- wrong, truncated, garbage and unrelated key logs -------------------------
rc, out, err = run(['--keylog', t('tls13-wrongkeys.keys'), t('tls13-wrongkeys.pcap')])
check('unrelated key log: one line says no key for the client random and that the log matches no flow',
      'no key for client random ee932bcc' in out and 'matches no TLS flow of this input' in out
      and '1 TLS flow not decrypted' in out and rc == 0, out)

rc, doc, err = jrun(['--keylog', t('tls13-truncatedkeys.keys'), t('tls13-truncatedkeys.pcap')])
check('truncated key log: the cut line named (file:line), the server side decrypted (6 messages)',
      'tls13-truncatedkeys.keys:6' in err and doc and doc['inputs'][0]['sip_messages'] == 6, (rc, err))
if doc:
    nd = doc['inputs'][0]['tls']['not_decrypted']
    check('truncated key log: the flow listed as decrypted in part, with its client random',
          len(nd) == 1 and nd[0]['decrypted_in_part'] and nd[0]['outcome'] == 'no_key'
          and nd[0]['client_random'].startswith('ee932bcc') and nd[0]['version'] == 'TLS 1.3'
          and nd[0]['cipher_suite'] == 'TLS_AES_128_GCM_SHA256', nd)
    check('truncated key log: half a dialog makes no fault', doc['summary']['findings']['error'] == 0
          and doc['summary']['findings']['warning'] == 0, doc['summary'])

junk = os.path.join(TMP, 'junk.keys')
open(junk, 'wb').write(bytes(range(256)) * 40 + b'\nCLIENT_RANDOM zz 00\nRSA 0011 2233\n')
rc, out, err = run(['--keylog', junk, cap])
check('garbage key log: warnings, "holds no TLS secrets", no crash, exit 0',
      rc == 0 and 'holds no TLS secrets' in err and 'key log' in err and '28 packets' in out, (rc, err))

empty = os.path.join(TMP, 'empty.keys')
open(empty, 'w').close()
rc, out, err = run(['--keylog', empty, cap])
check('empty key log: said, and the flow reads "no key log given"',
      'holds no TLS secrets' in err and 'no key log given' in out, (rc, err, out))

rc, out, err = run([t('tls13-nokeys.pcap')])
check('no keys at all: the summary says the TLS flow was not decrypted and why (never an empty capture)',
      '0 SIP messages' in out and '1 TLS flow not decrypted' in out and 'no key log given' in out
      and '192.0.2.10:59435 -> 192.0.2.20:5061' in out, out)

# --- damaged records and connections --------------------------------------------
rc, doc, err = jrun(['--keylog', t('tls13-badrecord.keys'), t('tls13-badrecord.pcap')])
check('bad record: frame 15 named, does not authenticate, skipped; 10 messages; counted',
      'frame 15: TLS 192.0.2.10:59435 -> 192.0.2.20:5061: record does not authenticate' in err and doc
      and doc['inputs'][0]['sip_messages'] == 10 and doc['inputs'][0]['tls']['bad_records'] == 1, (rc, err))

hdr, pk = read_pcap(cap)
# the capture starts after the handshake: keep from the first packet after the client's Finished
data_idx = [k for k, p in enumerate(pk) if tcp_payload_len(p) > 0]
mid = write_pcap(os.path.join(TMP, 'midstream.pcap'), hdr, pk[data_idx[5]:])
rc, doc, err = jrun(['--keylog', keys, mid])
if doc:
    tl = doc['inputs'][0]['tls']
    check('capture started after the handshake: the flow is found and said to be mid-stream',
          tl['flows'] == 1 and tl['by_outcome'] == {'midstream': 1} and tl['not_decrypted'][0]['outcome'] == 'midstream'
          and doc['inputs'][0]['sip_messages'] == 0, tl)
else:
    check('capture started after the handshake', False, err)

# bytes missing: drop the client's segment carrying the INVITE (the 7th data segment)
client_data = [k for k in data_idx if pk[k][16 + 26:16 + 30] == pk[data_idx[0]][16 + 26:16 + 30]]
drop = client_data[4]
gap = write_pcap(os.path.join(TMP, 'gap.pcap'), hdr, pk[:drop] + pk[drop + 1:])
rc, doc, err = jrun(['--keylog', keys, gap])
if doc:
    tl = doc['inputs'][0]['tls']
    n = doc['inputs'][0]['sip_messages']
    check('bytes missing inside TLS: said with the frame, the direction stops, the other goes on',
          'bytes missing from the capture; the rest of this direction cannot be decrypted' in err
          and tl['decrypted_in_part'] == 1 and tl['not_decrypted'][0]['bytes_missing'] and 4 <= n < 11, (n, tl, err))
else:
    check('bytes missing inside TLS', False, err)

# --- TLS 1.2 resumption when the key log lacks the resumed connection --------
for name, how in (('tls12-resume-id', 'session ID'), ('tls12-resume-ticket', 'session ticket')):
    lines = [l for l in open(t(name + '.keys')) if l.startswith('CLIENT_RANDOM')]
    first = os.path.join(TMP, name + '-first.keys')
    open(first, 'w').write(lines[0])
    rc, doc, err = jrun(['--keylog', first, t(name + '.pcap')])
    check('TLS 1.2 resumed by %s, key log with the first connection only: both decrypted (14 messages)' % how,
          len(lines) == 2 and doc and doc['inputs'][0]['sip_messages'] == 14
          and doc['inputs'][0]['tls']['decrypted'] == 2, (rc, err, doc and doc['inputs'][0]['tls']))
    second = os.path.join(TMP, name + '-second.keys')
    open(second, 'w').write(lines[1])
    rc, doc, err = jrun(['--keylog', second, t(name + '.pcap')])
    check('TLS 1.2 %s: the second connection alone decrypts from its own line (7 messages), the first is said to lack a key' % how,
          doc and doc['inputs'][0]['sip_messages'] == 7 and doc['inputs'][0]['tls']['by_outcome'] == {'decrypted': 1, 'no_key': 1},
          (rc, err, doc and doc['inputs'][0]['tls']))

# --- the secure WebSocket transport -------------------------------------------------
rc, doc, err = jrun(['--keylog', t('tls13-wss.keys'), t('tls13-wss.pcap')])
check('SIP over secure WebSocket: 11 messages, transport wss', doc and doc['inputs'][0]['sip_messages'] == 11
      and transports(doc) == ['wss'], (rc, err))

# --- sharing a TLS call: the file carries its keys --------------------------------
d = os.path.join(TMP, 'split')
rc, out, err = run(['-q', '--keylog', t('tls12-resume-ticket.keys'), '--split', d, t('tls12-resume-ticket.pcap')])
files = sorted(os.listdir(d)) if os.path.isdir(d) else []
check('--split of two TLS calls: two pcapng files', rc == 0 and len(files) == 2 and all(f.endswith('.pcapng') for f in files),
      (rc, err, files))
for f in files:
    p = os.path.join(d, f)
    raw = open(p, 'rb').read()
    rc, doc, err = jrun([p])
    calls = doc['calls'] if doc else []
    check('%s: a Decryption Secrets Block, and it decrypts with no key log (its call, 7 messages)' % f,
          raw[:4] == b'\x0a\x0d\x0d\x0a' and b'KSLT' in raw[:200] and b'CLIENT_RANDOM ' in raw
          and len(calls) == 1 and len(calls[0]['messages']) == 7 and f.split('-', 1)[1].startswith(calls[0]['call_id'].split('@')[0]),
          (err, [c['call_id'] for c in calls]))

# --- --help and the man page ------------------------------------------------------
rc, out, err = run(['--help'])
check('--help documents --keylog and SSLKEYLOGFILE', '--keylog FILE' in out and 'SSLKEYLOGFILE' in out, out[-800:])

#!/usr/bin/env python3
"""Counts for the sip-scan captures, read with tshark (scan.sh uses them for
EXPECTED.scan.tsv and the checks; README.md shows the same numbers).

    summary.py CAPTURE SOURCE-IP [key]   one source: requests it sent, their
                                         targets, the answers it got
    summary.py CAPTURE - [key]           every source that sent a request

Without a key: one line of text. With a key, just that value (first, last,
requests, ...), for the shell. Frames are tshark's frame numbers; times are
seconds relative to the capture's first frame."""
import collections, subprocess, sys

FIELDS = ['frame.number', 'frame.time_relative', 'ip.src', 'udp.srcport', 'ip.dst',
          'udp.dstport', 'sip.Method', 'sip.Status-Code', 'sip.r-uri.user', 'sip.to.user',
          'sip.User-Agent', 'sip.Call-ID', 'sip.CSeq.method', 'sip.auth.username', 'icmp.type']


def rows(cap):
    # only SIP carried by UDP itself: an OPTIONS quoted inside an ICMP error
    # (tshark decodes it too) is not a message sent
    cmd = ['tshark', '-r', cap, '-Y', 'sip && !icmp', '-T', 'fields', '-E', 'occurrence=f']
    for f in FIELDS:
        cmd += ['-e', f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        r = dict(zip(FIELDS, line.split('\t')))
        r['n'] = int(r['frame.number'])
        r['t'] = float(r['frame.time_relative'])
        yield r


def ukey(u):
    return (not u.isdigit(), int(u) if u.isdigit() else 0, u)


def summarize(allr, src):
    req = [r for r in allr if r['sip.Method'] and r['ip.src'] == src]
    rsp = [r for r in allr if r['sip.Status-Code'] and r['ip.dst'] == src]
    both = sorted(req + rsp, key=lambda r: r['n'])
    s = {}
    s['requests'] = len(req)
    s['methods'] = collections.Counter(r['sip.Method'] for r in req)
    s['with_credentials'] = sum(1 for r in req if r['sip.auth.username'])
    s['hosts'] = sorted({r['ip.dst'] for r in req}, key=lambda a: tuple(map(int, a.split('.'))))
    s['to_users'] = sorted({r['sip.to.user'] for r in req if r['sip.Method'] != 'ACK'}, key=ukey)
    s['ruri_users'] = sorted({r['sip.r-uri.user'] for r in req if r['sip.r-uri.user'] and r['sip.Method'] != 'ACK'}, key=ukey)
    s['codes'] = collections.Counter(r['sip.Status-Code'] for r in rsp)
    s['answered'] = collections.Counter(r['ip.src'] for r in rsp)
    s['answering'] = len(s['answered'])
    s['first'] = both[0]['n'] if both else 0
    s['last'] = both[-1]['n'] if both else 0
    s['t0'] = both[0]['t'] if both else 0.0
    s['t1'] = both[-1]['t'] if both else 0.0
    s['ua'] = sorted({r['sip.User-Agent'] for r in req if r['sip.User-Agent']})
    s['callids'] = len({r['sip.Call-ID'] for r in req})
    s['sports'] = sorted({int(r['udp.srcport']) for r in req if r['udp.srcport']})
    return s


def users(u):
    if not u:
        return 'none'
    if len(u) <= 6:
        return ', '.join(u)
    return f'{u[0]}..{u[-1]}'


def text(s, src):
    meth = ', '.join(f'{n} {m}' for m, n in sorted(s['methods'].items(), key=lambda x: -x[1]))
    codes = ', '.join(f'{n}x {c}' for c, n in sorted(s['codes'].items())) or 'none'
    hosts = s['hosts']
    hs = ', '.join(hosts) if len(hosts) <= 4 else f'{hosts[0]}..{hosts[-1]}'
    return (f"from {src} (UDP source port{'s' if len(s['sports']) > 1 else ''} "
            f"{','.join(map(str, s['sports'][:3]))}{'...' if len(s['sports']) > 3 else ''}): "
            f"{s['requests']} requests ({meth}; {s['with_credentials']} with credentials) "
            f"on {s['callids']} Call-ID{'s' if s['callids'] != 1 else ''} to {len(hosts)} host{'s' if len(hosts) != 1 else ''} ({hs}), "
            f"{len(s['to_users'])} To user{'s' if len(s['to_users']) != 1 else ''} ({users(s['to_users'])}); "
            f"responses: {codes} from {len(s['answered'])} host{'s' if len(s['answered']) != 1 else ''}; "
            f"frames {s['first']}..{s['last']}, {s['t0']:.3f}-{s['t1']:.3f} s "
            f"({s['t1'] - s['t0']:.3f} s); User-Agent: {' | '.join(s['ua']) or 'none'}")


def main():
    cap, src = sys.argv[1], sys.argv[2]
    key = sys.argv[3] if len(sys.argv) > 3 else None
    if src == '-':
        allr = list(rows(cap))
        srcs = sorted({r['ip.src'] for r in allr if r['sip.Method']},
                      key=lambda a: tuple(map(int, a.split('.'))))
        for a in srcs:
            print(text(summarize(allr, a), a))
        return
    s = summarize(list(rows(cap)), src)
    if key is None:
        print(text(s, src))
    else:
        v = s[key]
        if isinstance(v, collections.Counter):
            v = ','.join(f'{k}:{n}' for k, n in sorted(v.items()))
        elif isinstance(v, list):
            v = len(v)
        print(v)


main()

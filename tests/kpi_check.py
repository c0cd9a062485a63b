#!/usr/bin/env python3
"""Checks sipaudit's KPIs against an independent count: for every
CAPTURE.kpis.json in the directories given (written by
testdata/gen/kpi/oracle.py from tshark's dissection, and for kpi-mix checked
against SIPp's own statistics when it was generated), runs
`sipaudit --format json CAPTURE` and compares summary.kpis, kpis_by_peer,
kpis_by_pair (calls and retransmissions per hop) and kpis_by_agent with it.
Prints one ok / not ok line per capture and group."""
import json, os, subprocess, sys, glob

sipaudit, dirs = sys.argv[1], sys.argv[2:]
FIELDS = ['calls_attempted', 'calls_answered', 'calls_in_progress', 'asr', 'ner', 'acd_s', 'acd_calls',
          'codes', 'no_response', 'cancelled']
bad = 0


def close(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return set(a) == set(b) and all(close(a[k], b[k]) for k in a)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) <= 0.0015
    return a == b


def compare(label, want, got):
    global bad
    diffs = []
    for k in FIELDS + ['pdd_ms', 'setup_ms']:
        if k not in want:
            continue
        if not close(want[k], got.get(k)):
            diffs.append(f'{k}: oracle {want[k]!r}, sipaudit {got.get(k)!r}')
    if 'registrations' in want:
        for k in ('attempted', 'successful'):
            if want['registrations'].get(k) != got['registrations'][k]:
                diffs.append(f'registrations.{k}: oracle {want["registrations"].get(k)}, '
                             f'sipaudit {got["registrations"][k]}')
    print(('not ok' if diffs else 'ok') + f' - kpis {label}' + (': ' + '; '.join(diffs) if diffs else ''))
    bad += bool(diffs)


for d in dirs:
    for oracle in sorted(glob.glob(os.path.join(d, '*.kpis.json'))):
        cap = oracle[:-len('.kpis.json')] + '.pcap'
        name = os.path.basename(cap)
        want = json.load(open(oracle))
        out = subprocess.run([sipaudit, '--format', 'json', '--fail-on', 'never', '--no-config', cap],
                             capture_output=True, text=True)
        if out.returncode != 0:
            print(f'not ok - kpis {name}: exit {out.returncode}: {out.stderr.strip()[:200]}')
            bad += 1
            continue
        s = json.loads(out.stdout)['summary']
        compare(f'{name} total', want, s['kpis'])
        peers = {g.get('host'): g for g in s['kpis_by_peer']}
        for p in want.get('by_peer', []):
            compare(f'{name} peer {p["host"]}', p, peers.get(p['host'], {}))
        pairs = {(g.get('src'), g.get('dst')): g for g in s['kpis_by_pair']}
        for p in want.get('by_pair', []):
            compare(f'{name} pair {p["src"]} -> {p["dst"]}', p, pairs.get((p['src'], p['dst']), {}))
        for r in want.get('retransmissions', []):
            g = pairs.get((r['src'], r['dst']), {}).get('retransmissions', {})
            ok = g.get('messages') == r['messages'] and g.get('retransmitted') == r['retransmitted']
            print(('ok' if ok else 'not ok') + f' - retransmissions {name} {r["src"]} -> {r["dst"]}: '
                  f'oracle {r["messages"]}/{r["retransmitted"]}, sipaudit {g.get("messages")}/{g.get("retransmitted")}')
            bad += not ok
        agents = {(g.get('header'), g.get('agent')): g for g in s['kpis_by_agent']}
        for a in want.get('by_agent', []):
            hdr = 'User-Agent' if a.get('role') == 'caller' else 'Server'
            compare(f'{name} agent {hdr} {a["agent"]}', a, agents.get((hdr, a['agent']), {}))
sys.exit(1 if bad else 0)

#!/usr/bin/env python3
"""Checks sipaudit's findings on the rule captures against the expectations
written when each capture was generated (testdata/captures/rules/EXPECTED.*.tsv).

For every capture: each expected (rule, severity) must be found, citing at
least the expected frames' first frame; a capture marked clean ('-') must have
no error or warning finding beyond the ones listed for it. Prints one
'ok'/'not ok' line per capture."""
import collections, json, subprocess, sys, glob, os

sipaudit, capdir = sys.argv[1], sys.argv[2]
expect = collections.defaultdict(list)
for tsv in sorted(glob.glob(os.path.join(capdir, 'EXPECTED.*.tsv'))):
    if tsv.endswith('EXPECTED.tshark.tsv'):  # the tshark oracle (captures/tls), not findings
        continue
    for line in open(tsv, encoding='utf-8'):
        cols = line.rstrip('\n').split('\t')
        if len(cols) < 4 or cols[0] == 'capture' or line.startswith('#'):
            continue
        expect[cols[0]].append((cols[1], cols[2], cols[3]))

bad = 0
for cap in sorted(expect):
    path = os.path.join(capdir, cap)
    if not os.path.exists(path):
        print(f'not ok rules {cap}: capture missing')
        bad += 1
        continue
    keys = os.path.splitext(path)[0] + '.keys'  # a TLS capture's key log
    extra = ['--keylog', keys] if os.path.exists(keys) else []
    out = subprocess.run([sipaudit, '-q', '-f', 'json'] + extra + [path], capture_output=True, text=True)
    doc = json.loads(out.stdout)
    found = doc['findings']
    problems = []
    wanted = set()
    for rule, sev, frames in expect[cap]:
        if rule == '-':
            continue
        wanted.add((rule, sev))
        fr = [int(x) for x in frames.split(',') if x.strip().isdigit()]
        hits = [f for f in found if f['rule'] == rule and f['severity'] == sev]
        if not hits:
            problems.append(f'missing {sev}[{rule}]')
        elif fr and not any(set(fr) & set(f['frames']) for f in hits):
            problems.append(f'{sev}[{rule}] cites {[f["frames"] for f in hits]}, expected {fr}')
    for f in found:
        if f['severity'] in ('error', 'warning') and (f['rule'], f['severity']) not in wanted:
            problems.append(f'unexpected {f["severity"]}[{f["rule"]}] {f["frames"]}: {f["summary"][:120]}')
    if problems:
        bad += 1
        print(f'not ok rules {cap}: ' + '; '.join(problems))
    else:
        print(f'ok rules {cap}')
sys.exit(1 if bad else 0)

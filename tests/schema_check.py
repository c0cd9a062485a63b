#!/usr/bin/env python3
"""tests/schema_check.py BUILD_BINARY SHARED_DIR - the JSON reports against
doc/schema/sipaudit.report-1.json (JSON Schema draft 2020-12).

Checks, one output line each ("ok - WHAT" or "not ok - WHAT: PATH: MESSAGE";
other lines start with '#'):
  * the schema itself is a valid draft 2020-12 schema;
  * a hand-written report is accepted and deliberately broken copies of it are
    rejected at the broken spot (so this test can fail);
  * the expected outputs of the golden tests (testdata/golden/TESTLIST) that
    use --format json or --format jsonl;
  * fresh runs of BUILD_BINARY --format json, and --format jsonl once the
    binary knows it, on every capture under testdata/captures (all
    subdirectories, the corrupt ones too: they must still print a valid
    report) and under SHARED_DIR/captures/public.
Besides the schema, each report is checked for the cross-references the schema
cannot express (finding.frame among finding.frames, finding.call naming a call
of the report, message.dialog an index into dialogs, the counts of inputs and
summary).
Always exits 0: the runner counts the lines.

Needs python3-jsonschema (Debian: apt-get install -y python3-jsonschema).
"""
import copy
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SCHEMA_PATH = os.path.join(ROOT, "doc", "schema", "sipaudit.report-1.json")
CAPTURE_EXT = (".pcap", ".pcapng", ".gz", ".libpcap", ".cap", ".ntar")
SEVERITIES = ("error", "warning", "info")


def out(line):
    print(line, flush=True)


def short(s, n=240):
    s = " ".join(str(s).split())
    return s if len(s) <= n else s[: n - 3] + "..."


def json_path(parts):
    p = "$"
    for x in parts:
        p += "[%d]" % x if isinstance(x, int) else "." + str(x)
    return p


class Checker:
    def __init__(self, schema):
        from jsonschema import Draft202012Validator

        self.schema = schema
        self.doc = Draft202012Validator(schema)
        self.defs = {}
        for name in ("jsonl_line", "jsonl_call", "jsonl_finding", "jsonl_summary"):
            s = {k: v for k, v in schema.items() if k != "$ref"}
            s["$ref"] = "#/$defs/" + name
            self.defs[name] = Draft202012Validator(s)

    @staticmethod
    def _first(validator, obj, prefix=()):
        from jsonschema.exceptions import best_match

        err = best_match(validator.iter_errors(obj))
        if err is None:
            return None
        return json_path(list(prefix) + list(err.absolute_path)), short(err.message)

    def report(self, doc, filtered=False):
        """First problem of a --format json document as (path, message), or None."""
        return self._first(self.doc, doc) or consistency_report(doc, filtered)

    def line(self, obj, prefix):
        """First problem of one jsonl line, or None."""
        if self._first(self.defs["jsonl_line"], obj) is None:
            return None
        kind = obj.get("type") if isinstance(obj, dict) else None
        branch = {"call": "jsonl_call", "finding": "jsonl_finding", "summary": "jsonl_summary"}.get(kind)
        return self._first(self.defs[branch or "jsonl_line"], obj, prefix) or (
            json_path(prefix), "not valid under jsonl_line")


# ---- cross-references the schema cannot express ----

def check_finding_refs(f, path, calls_by_number, ninputs, filtered=False):
    if isinstance(f.get("frame"), int) and isinstance(f.get("frames"), list) and f["frame"] not in f["frames"]:
        return path + ".frame", "key frame %d is not among frames %s" % (f["frame"], f["frames"])
    g = f.get("group")
    if isinstance(g, str) and not g.startswith("%s %s " % (f.get("severity"), f.get("rule"))):
        return path + ".group", "group %r does not start with the severity and rule %s %s" % (
            g, f.get("severity"), f.get("rule"))
    if isinstance(f.get("input"), int) and f["input"] >= ninputs:
        return path + ".input", "input %d but only %d inputs" % (f["input"], ninputs)
    n = f.get("call")
    if n is not None:
        c = calls_by_number.get(n)
        if c is None and filtered:
            return None  # with --rule, a finding raised after its call was written may outlive it
        if c is None:
            return path + ".call", "no call number %d in the report" % n
        if c.get("call_id") != f.get("call_id") or c.get("input") != f.get("input"):
            return path + ".call", "call %d has Call-ID %r in input %s, the finding %r in input %s" % (
                n, c.get("call_id"), c.get("input"), f.get("call_id"), f.get("input"))
    return None


def check_call_refs(c, path, ninputs):
    if c["input"] >= ninputs:
        return path + ".input", "input %d but only %d inputs" % (c["input"], ninputs)
    for k, m in enumerate(c["messages"]):
        if "dialog" in m and m["dialog"] >= len(c["dialogs"]):
            return "%s.messages[%d].dialog" % (path, k), "dialog %d but the call has %d dialogs" % (
                m["dialog"], len(c["dialogs"]))
    frames = {m["frame"] for m in c["messages"]}
    for k, s in enumerate(c.get("media", [])):
        sp = "%s.media[%d]" % (path, k)
        if s["dialog"] is not None and s["dialog"] >= len(c["dialogs"]):
            return sp + ".dialog", "dialog %d but the call has %d dialogs" % (s["dialog"], len(c["dialogs"]))
        if s["sdp_frame"] is not None and s["sdp_frame"] not in frames:
            return sp + ".sdp_frame", "frame %d is none of the call's messages" % s["sdp_frame"]
        if s["first_frame"] > s["last_frame"] or s["lost"] > s["expected"]:
            return sp, "first_frame after last_frame, or more lost than expected"
        if s["matched_by"] == "heuristic":
            return sp + ".matched_by", "a call's stream is matched by its SDP, never heuristically"
    if c.get("media") and not c.get("media_in_capture"):
        return path + ".media_in_capture", "false although the call has streams"
    return None


def check_totals(calls, findings, inputs, summary, where, filtered):
    """calls: the call objects, findings: all findings of the report. The
    per-input tallies count every call; with filters (filtered) the report
    holds only some of them."""
    for i, inp in enumerate(inputs):
        p = "%s.inputs[%d]" % (where, i)
        for key in ("calls_by_kind", "calls_by_state"):
            if sum(inp[key].values()) != inp["calls"]:
                return p + "." + key, "adds up to %d, not calls = %d" % (sum(inp[key].values()), inp["calls"])
        for key, field in (("calls_by_kind", "kind"), ("calls_by_state", "state")):
            seen = {}
            for c in calls:
                if c["input"] == i:
                    seen[c[field]] = seen.get(c[field], 0) + 1
            tally = inp[key]
            if filtered:
                over = {k: n for k, n in seen.items() if n > tally.get(k, 0)}
                if over:
                    return p + "." + key, "%s, but the report has more calls: %s" % (tally, over)
            elif seen != tally:
                return p + "." + key, "%s, but the calls of the report say %s" % (tally, seen)
    if summary["calls"] != len(calls):
        return where + ".summary.calls", "%d, but the report has %d calls" % (summary["calls"], len(calls))
    for sev in SEVERITIES:
        n = sum(1 for f in findings if f["severity"] == sev)
        if summary["findings"][sev] != n:
            return "%s.summary.findings.%s" % (where, sev), "%d, but the report has %d %s findings" % (
                summary["findings"][sev], n, sev)
    numbers = [c["number"] for c in calls if "number" in c]
    if len(set(numbers)) != len(numbers):
        return where + ".calls", "call numbers are not unique"
    return None


def consistency_report(doc, filtered=False):
    ninputs = len(doc["inputs"])
    calls_by_number = {c["number"]: c for c in doc["calls"]}
    for i, c in enumerate(doc["calls"]):
        p = check_call_refs(c, "$.calls[%d]" % i, ninputs)
        if p:
            return p
    for i, f in enumerate(doc["findings"]):
        p = check_finding_refs(f, "$.findings[%d]" % i, calls_by_number, ninputs, filtered)
        if p:
            return p
    return check_totals(doc["calls"], doc["findings"], doc["inputs"], doc["summary"], "$", filtered)


def check_jsonl(checker, text, filtered=False):
    """First problem of a --format jsonl output, or None."""
    if not text:
        return "line 1", "no output"
    if not text.endswith("\n"):
        return "line %d" % (text.count("\n") + 1), "output does not end with a newline"
    lines = text[:-1].split("\n")
    objs = []
    for n, line in enumerate(lines, 1):
        try:
            obj = json.loads(line)
        except ValueError as e:
            return "line %d" % n, "not JSON: %s" % short(e)
        p = checker.line(obj, ())
        if p:
            return "line %d: %s" % (n, p[0]), p[1]
        objs.append(obj)
    if not objs or objs[-1]["type"] != "summary":
        return "line %d" % len(lines), "the last line is not the summary"
    if any(o["type"] == "summary" for o in objs[:-1]):
        n = next(i for i, o in enumerate(objs, 1) if o["type"] == "summary")
        return "line %d" % n, "a summary line before the last line"
    s = objs[-1]
    ninputs = len(s["inputs"])
    calls = [o["call"] for o in objs if o["type"] == "call"]
    by_number = {c["number"]: c for c in calls}
    findings = []
    for n, o in enumerate(objs, 1):
        if o["type"] == "call":
            c = o["call"]
            p = check_call_refs(c, "line %d: $.call" % n, ninputs)
            if p:
                return p
            if len(o["findings"]) != c["findings"]:
                return "line %d: $.findings" % n, "%d findings embedded, call.findings says %d" % (
                    len(o["findings"]), c["findings"])
            for k, f in enumerate(o["findings"]):
                fp = "line %d: $.findings[%d]" % (n, k)
                if f["call"] != c["number"]:
                    return fp + ".call", "%s, embedded in the line of call %d" % (f["call"], c["number"])
                p = check_finding_refs(f, fp, by_number, ninputs, filtered)
                if p:
                    return p
            findings += o["findings"]
        elif o["type"] == "finding":
            p = check_finding_refs(o["finding"], "line %d: $.finding" % n, by_number, ninputs, filtered)
            if p:
                return p
            findings.append(o["finding"])
    return check_totals(calls, findings, s["inputs"], s["summary"], "line %d: $" % len(objs), filtered)


# ---- negative self-checks on a hand-written report ----

def sample_report():
    msg = {
        "frame": 1, "time": "2024-01-02T03:04:05.123456Z", "src": "192.0.2.10:5060",
        "dst": "[2001:db8::1]:5060", "transport": "udp", "method": "INVITE", "status": None,
        "reason": None, "cseq": 1, "cseq_method": "INVITE", "size": 512, "retransmission": False,
        "sdp": {"session_id": "1", "session_version": "1", "media": [
            {"type": "audio", "port": 40000, "proto": "RTP/AVP", "addr": "192.0.2.10",
             "direction": "sendrecv", "formats": ["0 PCMU/8000", "101 telephone-event/8000"]}]},
    }
    resp = {
        "frame": 3, "first_frame": 2, "time": "2024-01-02T03:04:05.223456Z", "src": "[2001:db8::1]:5060",
        "dst": "192.0.2.10:5060", "transport": "tcp", "method": None, "status": 486,
        "reason": "Busy Here", "cseq": 1, "cseq_method": "INVITE", "size": 300, "retransmission": False,
        "dialog": 0,
    }
    stream = {
        "src": "192.0.2.20:40002", "dst": "192.0.2.10:40000", "ssrc": "0x0badcafe", "payload_type": 0,
        "codec": "PCMU/8000", "media": "audio", "direction": "callee-to-caller", "matched_by": "sdp",
        "dialog": 0, "sdp_frame": 1, "first_frame": 2, "last_frame": 2, "start": "2024-01-02T03:04:05.200000Z",
        "end": "2024-01-02T03:04:05.200000Z", "packets": 1, "bytes": 160, "other_payload_packets": 0,
        "expected": 1, "lost": 0, "loss_percent": 0, "duplicates": 0, "out_of_order": 0,
        "sequence_restarts": 0, "answered_packets": 0, "jitter_mean_ms": 0, "jitter_max_ms": 0,
        "max_delta_ms": 0, "max_delta_frame": None, "burst_ratio": 1, "r_factor": 92.3, "mos": 4.4,
        "sdp_src": None, "sdp_dst": None, "private_dst": False, "relay": None,
        "rtcp": {"sender_reports": 1, "sender_packets": 1, "sender_octets": 160, "receiver_reports": 0,
                 "fraction_lost_max_percent": None, "cumulative_lost": None, "jitter_max_ms": None},
    }
    call = {
        "number": 1, "call_id": "abc@192.0.2.10", "input": 0, "kind": "call", "state": "rejected",
        "final_status": 486, "start": "2024-01-02T03:04:05.123456Z", "end": "2024-01-02T03:04:05.223456Z",
        "setup_time": None, "duration": None, "duration_until": None, "from": "sip:alice@example.com", "to": "sip:bob@example.com",
        "dialogs": [{"from_tag": "a1", "to_tag": "b1", "state": "terminated", "kind": "invite",
                     "offer_frame": None, "answer_frame": None}],
        "linked_calls": [], "findings": 1, "media_in_capture": True, "media": [stream], "messages": [msg, resp],
    }
    finding = {
        "rule": "call-failed", "severity": "info", "input": 0, "call": 1, "call_id": "abc@192.0.2.10",
        "frame": 3, "frames": [1, 3], "time": "2024-01-02T03:04:05.123456Z",
        "summary": "call rejected: 486 Busy Here", "explanation": "The callee is busy.",
        "hint": None, "reference": "RFC 3261 §21",
        "group": "info call-failed 486 Busy Here from 192.0.2.20", "host": "192.0.2.20",
    }
    inp = {
        "path": "x.pcap", "link_types": ["ether"], "packets": 3, "bytes": 900, "sip_messages": 2,
        "malformed": 0, "tls_flows": 1, "complete": True,
        "tls": {"flows": 1, "decrypted": 0, "decrypted_in_part": 0, "keys": True, "keys_from_capture": 0,
                "flows_with_key": 0, "bad_records": 0, "by_outcome": {"no_key": 1},
                "not_decrypted": [{"client": "192.0.2.10:40000", "server": "192.0.2.20:5061", "first_frame": 1,
                                   "last_frame": 3, "outcome": "no_key", "reason": "no key for client random",
                                   "decrypted_in_part": False, "bytes_missing": False, "version": "TLS 1.3",
                                   "cipher_suite": "TLS_AES_128_GCM_SHA256", "client_random": "00" * 32,
                                   "records": 4, "records_decrypted": 0}],
                "not_decrypted_not_listed": 0},
        "decode": {k: 0 for k in ("truncated_packets", "invalid_packets", "unknown_linktype_packets",
                                  "ip_fragments_incomplete", "ip_fragments_dropped", "tcp_gaps",
                                  "tcp_gap_bytes", "tcp_partial_messages", "tcp_capped_streams")},
        "errors": [], "calls": 1, "calls_by_kind": {"call": 1}, "calls_by_state": {"rejected": 1},
        "rtp_packets": 1, "rtcp_packets": 0, "unmatched_media": [], "unmatched_media_not_listed": 0,
        "kpis": sample_kpis(),
    }
    return {
        "schema": "sipaudit.report/1", "tool": {"name": "sipaudit", "version": "0.1.0"},
        "calls": [call], "inputs": [inp], "findings": [finding],
        "summary": {"calls": 1, "findings": {"error": 0, "warning": 0, "info": 1}, "kpis": sample_kpis(),
                    "kpis_by_peer": [dict(sample_kpis(), host="192.0.2.10"), dict(sample_kpis(), others=True)],
                    "kpis_by_pair": [dict(sample_kpis(), src="192.0.2.10", dst="2001:db8::1")],
                    "kpis_by_agent": [dict(sample_kpis(), agent="PhoneA/1.0", header="User-Agent")]},
    }


def sample_kpis():
    q = {"n": 1, "p50": 120.5, "p95": 120.5, "max": 120.5}
    none = {"n": 0, "p50": None, "p95": None, "max": None}
    return {"calls_attempted": 1, "calls_answered": 0, "calls_in_progress": 0, "asr": 0.0, "ner": 1.0,
            "acd_s": None, "acd_calls": 0, "pdd_ms": q, "setup_ms": none, "codes": {"486": 1},
            "classes": {"4xx": 1}, "no_response": 0, "no_final": 0, "cancelled": 0, "cancel_share": 0.0,
            "registrations": {"attempted": 0, "successful": 0, "refresh_s": none},
            "retransmissions": {"messages": 2, "retransmitted": 0, "rate": 0.0}}


def self_checks(checker):
    base = sample_report()
    p = checker.report(base)
    if p:
        out("not ok - schema accepts a hand-written report: %s: %s" % p)
    else:
        out("ok - schema accepts a hand-written report")

    legs = copy.deepcopy(base)
    legs["calls"][0]["linked_calls"] = [
        {"call_id": "l%d@h" % i, "by": by} for i, by in enumerate(
            ["X-Call-ID", "X-CID", "Session-ID", "P-Charging-Vector", "header:X-Corr", "same SDP"])]
    p = checker.report(legs)
    if p:
        out("not ok - schema accepts every link method: %s: %s" % p)
    else:
        out("ok - schema accepts every link method")

    def mutate(fn):
        d = copy.deepcopy(base)
        fn(d)
        return d

    cases = [
        ("a message with an unknown field", "$.calls[0].messages[0]",
         lambda d: d["calls"][0]["messages"][0].update(colour="red")),
        ("a time without microseconds", "$.calls[0].messages[1].time",
         lambda d: d["calls"][0]["messages"][1].update(time="2024-01-02T03:04:05Z")),
        ("a time with a UTC offset", "$.calls[0].start",
         lambda d: d["calls"][0].update(start="2024-01-02T03:04:05.123456+00:00")),
        ("an unknown call state", "$.calls[0].state",
         lambda d: d["calls"][0].update(state="hung-up")),
        ("an unknown transport", "$.calls[0].messages[0].transport",
         lambda d: d["calls"][0]["messages"][0].update(transport="quic")),
        ("an address without a port", "$.calls[0].messages[0].src",
         lambda d: d["calls"][0]["messages"][0].update(src="192.0.2.10")),
        ("an IPv6 address without brackets", "$.calls[0].messages[0].dst",
         lambda d: d["calls"][0]["messages"][0].update(dst="2001:db8::1:5060")),
        ("a finding without frames", "$.findings[0]",
         lambda d: d["findings"][0].pop("frames")),
        ("a string status code", "$.calls[0].messages[1].status",
         lambda d: d["calls"][0]["messages"][1].update(status="486")),
        ("an unknown SDP direction", "$.calls[0].messages[0].sdp.media[0].direction",
         lambda d: d["calls"][0]["messages"][0]["sdp"]["media"][0].update(direction="unset")),
        ("malformed without malformed_reason", "$.calls[0].messages[0]",
         lambda d: d["calls"][0]["messages"][0].update(malformed=True)),
        ("a finding without group", "$.findings[0]",
         lambda d: d["findings"][0].pop("group")),
        ("a group of another rule", "$.findings[0].group",
         lambda d: d["findings"][0].update(group="info udp-too-large from 192.0.2.20")),
        ("a key frame not among frames", "$.findings[0].frame",
         lambda d: d["findings"][0].update(frame=2)),
        ("a finding naming a call not in the report", "$.findings[0].call",
         lambda d: d["findings"][0].update(call=7)),
        ("a stream with a decimal SSRC", "$.calls[0].media[0].ssrc",
         lambda d: d["calls"][0]["media"][0].update(ssrc="195939070")),
        ("a stream with an unknown match kind", "$.calls[0].media[0].matched_by",
         lambda d: d["calls"][0]["media"][0].update(matched_by="guess")),
        ("a MOS below the E-model's floor of 1", "$.calls[0].media[0].mos",
         lambda d: d["calls"][0]["media"][0].update(mos=0.989)),
        ("a relay leg other than 1 or 2", "$.calls[0].media[0].relay.leg",
         lambda d: d["calls"][0]["media"][0].update(relay={"address": "192.0.2.30:20000", "leg": 3, "in_sdp": True})),
        ("a MOS above 4.5", "$.calls[0].media[0].mos",
         lambda d: d["calls"][0]["media"][0].update(mos=4.9)),
        ("RTCP figures with an unknown field", "$.calls[0].media[0].rtcp",
         lambda d: d["calls"][0]["media"][0]["rtcp"].update(rtt_ms=3)),
        ("an unmatched stream without packets count", "$.inputs[0].unmatched_media[0]",
         lambda d: d["inputs"][0]["unmatched_media"].append(
             {k: v for k, v in d["calls"][0]["media"][0].items() if k != "packets"})),
        ("a wrong summary count", "$.summary.findings.info",
         lambda d: d["summary"]["findings"].update(info=2)),
        ("a leg linked by an unknown method", "$.calls[0].linked_calls[0].by",
         lambda d: d["calls"][0]["linked_calls"].append({"call_id": "x@h", "by": "same sdp"})),
        ("a leg linked by a header without a name", "$.calls[0].linked_calls[0].by",
         lambda d: d["calls"][0]["linked_calls"].append({"call_id": "x@h", "by": "header:"})),
    ]
    def expect_rejected(what, p, want):
        if p is None:
            out("not ok - schema rejects %s: accepted" % what)
        elif p[0] != want:
            out("not ok - schema rejects %s: rejected at %s (%s), expected at %s" % (what, p[0], p[1], want))
        else:
            out("ok - schema rejects %s" % what)

    for what, want, fn in cases:
        expect_rejected(what, checker.report(mutate(fn)), want)

    call_line = {"schema": "sipaudit.report/1", "type": "call", "call": base["calls"][0],
                 "findings": base["findings"]}
    summary_line = {"schema": "sipaudit.report/1", "type": "summary", "tool": base["tool"],
                    "inputs": base["inputs"], "summary": base["summary"]}
    good = json.dumps(call_line) + "\n" + json.dumps(summary_line) + "\n"
    p = check_jsonl(checker, good)
    out("ok - schema accepts hand-written jsonl" if p is None else
        "not ok - schema accepts hand-written jsonl: %s: %s" % p)
    bad_lines = [
        ("a jsonl call line with an unknown field",
         json.dumps(dict(call_line, extra=1)) + "\n" + json.dumps(summary_line) + "\n", "line 1: $"),
        ("a jsonl output whose last line is not the summary",
         json.dumps(summary_line) + "\n" + json.dumps(call_line) + "\n", "line 2"),
        ("a jsonl finding line of type call",
         json.dumps({"schema": "sipaudit.report/1", "type": "call", "finding": base["findings"][0]}) + "\n"
         + json.dumps(summary_line) + "\n", "line 1: $"),
    ]
    for what, text, want in bad_lines:
        expect_rejected(what, check_jsonl(checker, text), want)


# ---- golden tests ----

def format_of(opts):
    for i, o in enumerate(opts):
        if o in ("--format", "-f") and i + 1 < len(opts):
            return opts[i + 1]
        if o.startswith("--format="):
            return o[len("--format="):]
        if o.startswith("-f") and not o.startswith("--") and len(o) > 2:
            return o[2:]
    return None


# Options that leave calls out of the report (the per-input tallies still count them).
FILTER_OPTIONS = ("--call-id", "--user", "--method", "--status", "--rule", "--only", "--ladder")

STDERR_LINE = re.compile(r"sipaudit: (?:error|warning|note|info): [^\n]*\n?")


def strip_stderr(text):
    """The stdout part of a golden .out file: stdout and stderr are mixed there."""
    kept = [l for l in text.split("\n") if not l.startswith("sipaudit: ")]
    return "\n".join(kept)


def golden(checker):
    tl = os.path.join(ROOT, "testdata", "golden", "TESTLIST")
    n = 0
    with open(tl, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            try:
                words = shlex.split(line)
            except ValueError as e:
                out("not ok - golden TESTLIST line %r: %s" % (short(line, 60), e))
                continue
            if len(words) < 3:
                continue
            name, opts = words[0], words[3:]
            fmt = format_of(opts)
            if fmt not in ("json", "jsonl"):
                continue
            n += 1
            what = "golden %s (%s)" % (name, fmt)
            try:
                with open(os.path.join(ROOT, "testdata", "golden", name + ".out"), encoding="utf-8") as g:
                    text = strip_stderr(g.read())
            except OSError as e:
                out("not ok - %s: %s" % (what, e))
                continue
            filtered = any(o.split("=")[0] in FILTER_OPTIONS or o.startswith("-l") for o in opts)
            if fmt == "json":
                p = check_json_text(checker, text, filtered)
            else:
                p = check_jsonl(checker, text.rstrip("\n") + "\n", filtered)
            out("ok - " + what if p is None else "not ok - %s: %s: %s" % (what, p[0], p[1]))
    if not n:
        out("# no golden test selects --format json or jsonl")


def check_json_text(checker, text, filtered=False):
    try:
        doc = json.loads(text)
    except ValueError:
        try:  # a stderr line may have landed inside a line of stdout
            doc = json.loads(STDERR_LINE.sub("", text))
        except ValueError as e:
            return "$", "not JSON: %s" % short(e)
    return checker.report(doc, filtered)


# ---- fresh runs ----

def captures(shared):
    """Every capture the tests touch: all of testdata/captures (every
    subdirectory: rules, media, public, corrupt, the ingest ones at the top)
    and all of SHARED_DIR/captures/public, walked recursively."""
    files = []
    for d, label in ((os.path.join(ROOT, "testdata", "captures"), "captures"),
                     (os.path.join(shared, "captures", "public"), "public")):
        if not os.path.isdir(d):
            out("not ok - fresh runs on %s: directory not found" % d)
            continue
        for dirpath, dirnames, names in os.walk(d):
            dirnames.sort()
            for name in sorted(names):
                if name.endswith(CAPTURE_EXT):
                    path = os.path.join(dirpath, name)
                    files.append(("%s/%s" % (label, os.path.relpath(path, d)), path))
    return files


def run(binary, fmt, path, cwd=None):
    # a TLS test capture is read with its key log (NAME.keys beside it)
    keys = os.path.splitext(path)[0] + ".keys"
    extra = ["--keylog", keys] if os.path.exists(keys) else []
    try:
        p = subprocess.run([binary, "--format", fmt] + extra + [path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=300, cwd=cwd)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, str(e), ""
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def jsonl_supported(binary, sample, cwd):
    rc, _, err = run(binary, "jsonl", sample, cwd)
    if rc == 2 and "unknown format" in err:
        return False
    return True


def fresh(checker, binary, shared):
    files = captures(os.path.abspath(shared))
    if not files:
        return
    if os.sep in binary:
        binary = os.path.abspath(binary)
    # run where no ./.sipaudit.conf can select rules or filter calls
    with tempfile.TemporaryDirectory(prefix="schema_check.") as cwd:
        fresh_runs(checker, binary, files, cwd)


def fresh_runs(checker, binary, files, cwd):
    formats = ["json"]
    if jsonl_supported(binary, files[0][1], cwd):
        formats.append("jsonl")
    else:
        out("# %s --format jsonl: exit 2, unknown format: jsonl not implemented yet, its runs are skipped" % binary)
    jobs = [(fmt, label, path) for fmt in formats for label, path in files]
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as ex:
        results = ex.map(lambda j: run(binary, j[0], j[2], cwd), jobs)
        for (fmt, label, _), (rc, stdout, stderr) in zip(jobs, results):
            what = "%s %s" % (fmt, label)
            if rc is None:
                out("not ok - %s: could not run: %s" % (what, short(stdout)))
                continue
            if rc not in (0, 1, 2):
                out("not ok - %s: exit status %d: %s" % (what, rc, short(stderr)))
                continue
            p = check_json_text(checker, stdout) if fmt == "json" else check_jsonl(checker, stdout)
            out("ok - " + what if p is None else "not ok - %s: %s: %s" % (what, p[0], p[1]))


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: tests/schema_check.py BUILD_BINARY SHARED_DIR\n")
        out("not ok - schema_check: usage: tests/schema_check.py BUILD_BINARY SHARED_DIR")
        return 0
    binary, shared = sys.argv[1], sys.argv[2]
    try:
        from jsonschema import Draft202012Validator
    except ImportError:
        out("not ok - schema_check: python3-jsonschema with draft 2020-12 support is not installed "
            "(apt-get install -y python3-jsonschema)")
        return 0
    try:
        with open(SCHEMA_PATH, encoding="utf-8") as f:
            schema = json.load(f)
        Draft202012Validator.check_schema(schema)
    except Exception as e:  # unreadable, not JSON, or not a valid schema
        out("not ok - schema %s is a valid draft 2020-12 schema: %s" % (os.path.relpath(SCHEMA_PATH, ROOT), short(e)))
        return 0
    out("ok - schema %s is a valid draft 2020-12 schema" % os.path.relpath(SCHEMA_PATH, ROOT))
    checker = Checker(schema)
    self_checks(checker)
    golden(checker)
    fresh(checker, binary, shared)
    return 0


if __name__ == "__main__":
    sys.exit(main())

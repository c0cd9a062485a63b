/* unit_sip.c - the SIP head parser, list/param splitting and typed accessors,
 * every input placed before a guard page. */
#include <ctype.h>
#include "../analyzer/internal.h"
#include "../analyzer/reassembly/sipframe.h"
#include "../analyzer/sip/sip.h"
#include "../analyzer/sip/sipmsg.h"
#include "head_resume_check.h"
#include "tap.h"

static int parse(const char *s, size_t len, struct sip_start *st, struct sip_header *h, size_t *nh, const char **err)
{
	struct guarded g = guarded_copy(s, len);
	int r = sip_parse_head(g.p, len, st, h, nh, NULL, err);
	/* results point into the guarded copy: compare before freeing */
	guarded_free(g);
	return r;
}

static void test_request(void)
{
	const char *m = "INVITE sip:bob@example.com SIP/2.0\r\n"
			"Via: SIP/2.0/UDP pc33.example.com:5062;branch=z9hG4bK776asdhds;rport\r\n"
			"v: SIP/2.0/TCP proxy.example.com;branch=z9hG4bKnashds8;received=192.0.2.1\r\n"
			"Max-Forwards: 70\r\n"
			"To: Bob <sip:bob@example.com>\r\n"
			"f: \"Alice \\\"A\\\"\" <sip:alice@example.com;transport=udp>;tag=1928301774\r\n"
			"i: a84b4c76e66710@pc33.example.com\r\n"
			"CSeq: 314159 INVITE\r\n"
			"Contact: <sip:alice@pc33.example.com>;expires=3600, <sip:a2@h>\r\n"
			"Subject: folded\r\n   continues here\r\n"
			"l: 4\r\n"
			"\r\n"
			"v=0\n";
	size_t len = strlen(m);
	struct guarded g = guarded_copy(m, len);
	struct sip_start st;
	struct sip_header h[32];
	size_t nh = 32;
	const char *err;
	int r = sip_parse_head(g.p, len, &st, h, &nh, NULL, &err);
	CHECK(r == (int)len - 4, "request head length %d", r);
	CHECK(st.is_request && sv_eq(st.method, SV_LIT("INVITE")), "method");
	CHECK(sv_eq(st.uri, SV_LIT("sip:bob@example.com")), "request-uri");
	CHECK(nh == 10, "10 headers, got %zu", nh);
	CHECK(h[1].id == SIP_H_VIA && h[4].id == SIP_H_FROM && h[5].id == SIP_H_CALL_ID, "compact forms map to ids");
	CHECK(h[8].id == SIP_H_SUBJECT && sv_eq(h[8].value, SV_LIT("folded\r\n   continues here")), "folded line joins");
	guarded_free(g);

	struct sip_msg *msg = sip_msg_new(m, len, false);
	CHECK(msg && !msg->malformed, "message builds, not malformed");
	CHECK(sip_msg_cseq(msg)->valid && sip_msg_cseq(msg)->num == 314159 &&
		      sv_eq(sip_msg_cseq(msg)->method, SV_LIT("INVITE")), "CSeq");
	const struct sip_nameaddr *f = sip_msg_from(msg);
	CHECK(f->valid && sv_eq(f->tag, SV_LIT("1928301774")), "From tag (param after > only)");
	CHECK(sv_eq(f->display, SV_LIT("Alice \\\"A\\\"")), "From display with escapes");
	CHECK(sv_eq(f->user, SV_LIT("alice")), "From user");
	CHECK(sip_msg_to(msg)->valid && sip_msg_to(msg)->tag.len == 0, "To without tag");
	const struct sip_via *v = sip_msg_via(msg);
	CHECK(v->valid && sv_eq(v->transport, SV_LIT("UDP")) && v->port == 5062 &&
		      sv_eq(v->branch, SV_LIT("z9hG4bK776asdhds")) && v->has_rport && v->rport.len == 0, "top Via");
	CHECK(sip_msg_hdr_count(msg, SIP_H_VIA) == 2, "two Vias across headers");
	struct sip_via v2;
	CHECK(sip_msg_via_at(msg, 1, &v2) && sv_eq(v2.received, SV_LIT("192.0.2.1")), "second Via received");
	CHECK(sip_msg_hdr_count(msg, SIP_H_CONTACT) == 2, "two Contacts in one header");
	CHECK(sip_msg_contact(msg)->expires == 3600, "Contact expires param");
	CHECK(sip_msg_int(msg, SIP_H_MAX_FORWARDS) == 70, "Max-Forwards");
	{ /* the iterator gives what sip_msg_hdr_value gives, in order */
		struct sv a, b;
		size_t n = 0;
		struct sip_hdr_iter it = sip_hdr_iter(msg, SIP_H_VIA);
		while (sip_hdr_next(&it, &a)) {
			CHECK(sip_msg_hdr_value(msg, SIP_H_VIA, n, &b) && a.p == b.p && a.len == b.len, "Via %zu by iterator", n);
			n++;
		}
		CHECK(n == 2 && !sip_hdr_next(&it, &a), "iterator: two Vias, then done");
		it = sip_hdr_iter(msg, SIP_H_CONTACT);
		CHECK(sip_hdr_next(&it, &a) && sv_eq(a, SV_LIT("<sip:alice@pc33.example.com>;expires=3600")) &&
			      sip_hdr_next(&it, &a) && sv_eq(a, SV_LIT("<sip:a2@h>")) && !sip_hdr_next(&it, &a),
		      "iterator splits a list header");
		it = sip_hdr_iter(msg, SIP_H_CALL_ID);
		CHECK(sip_hdr_next(&it, &a) && !sip_hdr_next(&it, &a), "iterator: a single header once");
		it = sip_hdr_iter(msg, SIP_H_ROUTE);
		CHECK(!sip_hdr_next(&it, &a) && sip_msg_hdr_count(msg, SIP_H_ROUTE) == 0, "iterator: absent header");
	}
	CHECK(sv_eq(msg->body, SV_LIT("v=0\n")), "body");
	CHECK(sv_eq(sip_msg_call_id(msg), SV_LIT("a84b4c76e66710@pc33.example.com")), "Call-ID");
	sip_msg_free(msg);
}

/* sip_msg_hdr_count is what sip_hdr_next gives, counted: list headers with
 * quoted commas, empty elements, empty and blank values, several headers. */
static void test_hdr_count(void)
{
	const char *m = "OPTIONS sip:a@b SIP/2.0\r\n"
			"Via: SIP/2.0/UDP h1;branch=z9hG4bK1\r\n"
			"Via: SIP/2.0/UDP h2;branch=z9hG4bK2 , SIP/2.0/UDP h3;x=\"a,b\"\r\n"
			"Via:\r\n"
			"Contact: \"Doe, John\" <sip:j@h>\r\n"
			"Contact: ,, <sip:k@h>, ,\r\n"
			"Route: <sip:p1;lr>,<sip:p2;lr>\r\n"
			"Route:    \r\n"
			"Supported: timer\r\n"
			"Supported:\r\n"
			"Subject: a, b\r\n"
			"Subject: c\r\n"
			"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\r\n";
	struct sip_msg *msg = sip_msg_new(m, strlen(m), false);
	static const enum sip_hdr_id ids[] = { SIP_H_VIA, SIP_H_CONTACT, SIP_H_ROUTE, SIP_H_SUPPORTED, SIP_H_SUBJECT,
					       SIP_H_RECORD_ROUTE, SIP_H_CALL_ID };
	static const size_t want[] = { 3, 2, 2, 1, 2, 0, 1 };
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		size_t n = 0;
		struct sv v;
		struct sip_hdr_iter it = sip_hdr_iter(msg, ids[i]);
		while (sip_hdr_next(&it, &v))
			n++;
		CHECK(sip_msg_hdr_count(msg, ids[i]) == n && n == want[i], "%s: count %zu, iterator %zu, want %zu",
		      sip_header_name(ids[i]), sip_msg_hdr_count(msg, ids[i]), n, want[i]);
	}
	sip_msg_free(msg);
}

/* The kept index gives the headers the parse gives, and the same once the
 * caches are dropped; a header name past 255 bytes is measured again from
 * the bytes. */
static void test_kept_index(void)
{
	char longname[300];
	memset(longname, 'X', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	for (int k = 0; k < 2; k++) {
		char m[1024];
		snprintf(m, sizeof m,
			 "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nf: <sip:a@h>;tag=9\r\n"
			 "To: <sip:b@h>\r\nCall-ID: c1\r\nCSeq: 2 INVITE\r\nMax-Forwards: 70\r\n%s: v\r\n"
			 "Subject:\r\nContent-Length: 0\r\n\r\n",
			 k ? longname : "X-Short");
		struct sip_header ph[16];
		size_t pn = 16;
		struct sip_start st;
		const char *err;
		CHECK(sip_parse_head(m, strlen(m), &st, ph, &pn, NULL, &err) > 0 && pn == 9, "the parse finds 9 headers");
		struct sip_msg *msg = sip_msg_new(m, strlen(m), false);
		CHECK(msg && msg->hidx != NULL && msg->nhidx == 9 && sip_msg_nhdrs(msg) == 9, "kept index of 9 headers");
		bool same = true;
		for (int pass = 0; pass < 2; pass++) {
			for (size_t i = 0; same && i < pn; i++) {
				struct sip_header h = sip_msg_header(msg, i);
				same = h.id == ph[i].id && h.name.p == msg->raw + (ph[i].name.p - m) &&
				       h.name.len == ph[i].name.len && h.value.p == msg->raw + (ph[i].value.p - m) &&
				       h.value.len == ph[i].value.len;
			}
			sip_msg_compact(msg);
			same = same && msg->x == NULL;
		}
		CHECK(same && sip_msg_header(msg, 6).name.len == (k ? 299u : 7u) && sip_msg_from(msg)->tag.len == 1 &&
		      sip_msg_cseq(msg)->num == 2 && sv_eq(sip_msg_hdr(msg, SIP_H_CALL_ID), SV_LIT("c1")),
		      "the parse's headers from the kept index, before and after the caches are dropped (%s name)",
		      k ? "a 299-byte" : "a short");
		sip_msg_free(msg);
	}
}

/* The tags the call model reads (sip_msg_from_tag, sip_msg_to_tag) are
 * those of the whole parse, whichever comes first. */
static void test_tags(void)
{
	static const char *const values[] = {
		"<sip:b@h>;tag=1", "\"Bob \\\" <x>\" <sip:b@h;tag=no>;x=\"t;tag=q\";TAG=2", "sip:b@h;tag=3", "<>;tag=4",
		"\"open <sip:b@h>;tag=5", "<sip:b@h;tag=6", "Bob <sip:b@h>", "  ", ";tag=7", "b <sip:b@h> ;tag = 8 ",
		"sip:b@h", "<sip:b@h>;tag", "\"\" <sip:b@h>;tag=9;tag=10",
	};
	int bad = 0;
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
		for (int order = 0; order < 2; order++) {
			char m[512];
			snprintf(m, sizeof m,
				 "OPTIONS sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: %s\r\n"
				 "To: %s\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\r\n",
				 values[i], values[i]);
			struct sip_msg *msg = sip_msg_new(m, strlen(m), false);
			if (!msg) {
				bad++;
				continue;
			}
			struct sip_tag ft, tt;
			const struct sip_nameaddr *f, *t;
			if (order == 0) {
				ft = *sip_msg_from_tag(msg), tt = *sip_msg_to_tag(msg);
				f = sip_msg_from(msg), t = sip_msg_to(msg);
			} else {
				f = sip_msg_from(msg), t = sip_msg_to(msg);
				ft = *sip_msg_from_tag(msg), tt = *sip_msg_to_tag(msg);
			}
			if (ft.valid != f->valid || ft.tag.p != f->tag.p || ft.tag.len != f->tag.len || tt.valid != t->valid ||
			    tt.tag.p != t->tag.p || tt.tag.len != t->tag.len) {
				bad++;
				printf("# tags differ for %s (order %d)\n", values[i], order);
			}
			sip_msg_free(msg);
		}
	CHECK(bad == 0, "the model's tags are the whole parse's (%d differ)", bad);
	struct sip_nameaddr na;
	CHECK(!sip_parse_nameaddr(SV_LIT("\"Bob\" <sip:b@h;tag=1"), &na) && !na.valid && sv_eq(na.display, SV_LIT("Bob")),
	      "a '<' without '>': not valid, the quoted display name kept");
	/* the top Via: the first element of the first Via that has one */
	static const char *const vias[] = { "Via: SIP/2.0/UDP a:5060;branch=z9hG4bK1, SIP/2.0/UDP b\r\n",
					    "Via: ,\r\nVia: SIP/2.0/TCP c;branch=z9hG4bK3\r\n",
					    "Via: \"x,y\" SIP/2.0/UDP d\r\n", "v: SIP/2.0/UDP e;received=1.2.3.4;branch=z9hG4bK5\r\n" };
	static const char *const host[] = { "a", "c", "d", "e" };
	for (size_t i = 0; i < sizeof vias / sizeof vias[0]; i++) {
		char m[256];
		snprintf(m, sizeof m, "OPTIONS sip:b@h SIP/2.0\r\n%sCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", vias[i]);
		struct sip_msg *msg = sip_msg_new(m, strlen(m), false);
		struct sip_via v0;
		bool ok = msg && (sip_msg_via_at(msg, 0, &v0), true);
		const struct sip_via *v = ok ? sip_msg_via(msg) : NULL;
		CHECK(ok && v->valid == v0.valid && v->host.p == v0.host.p && v->host.len == v0.host.len &&
			      v->branch.p == v0.branch.p && v->branch.len == v0.branch.len && sv_eq(v->host, sv_make(host[i], strlen(host[i]))),
		      "top Via, case %zu", i);
		sip_msg_free(msg);
	}
	struct sip_msg *msg = sip_msg_new("OPTIONS sip:b@h SIP/2.0\r\nTo: <sip:b@h>;x=1;tag=ab\r\n\r\n", 53, false);
	CHECK(msg && sip_msg_to_tag(msg)->valid && sv_eq(sip_msg_to_tag(msg)->tag, SV_LIT("ab")) &&
		      !sip_msg_from_tag(msg)->valid && !sip_msg_from_tag(msg)->tag.len,
	      "a To tag after another parameter; no From");
	sip_msg_free(msg);
}

static void test_partial_every_prefix(void)
{
	const char *m = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nCall-ID: x\r\n"
			"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCSeq: 1 REGISTER\r\n\r\n";
	size_t len = strlen(m);
	int bad = 0;
	for (size_t n = 0; n < len; n++) {
		struct sip_start st;
		struct sip_header h[16];
		size_t nh = 16;
		const char *err;
		if (parse(m, n, &st, h, &nh, &err) != SIP_PARSE_PARTIAL)
			bad++;
	}
	CHECK(bad == 0, "every proper prefix is PARTIAL (%d were not)", bad);
	struct sip_start st;
	struct sip_header h[16];
	size_t nh = 16;
	const char *err;
	CHECK(parse(m, len, &st, h, &nh, &err) == (int)len && st.status == 200, "whole response parses");
}

/* A head cut anywhere, once or twice, and parsed on as the rest arrives
 * gives what one parse of the whole gives (sip_parse_head_resume). */
static void test_resume_every_cut(void)
{
	static const char *const heads[] = {
		"INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\r\nCall-ID: x\r\n"
		"From: \"A\" <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCSeq: 1 INVITE\r\nl: 4\r\n\r\nbody",
		/* folded lines (the cut may fall before the fold), an empty value, bare LF */
		"SIP/2.0 200 OK\r\nSubject: one\r\n two\r\n\tthree\r\nX-Empty:\r\n"
		"X-Empty-Folded: \r\n more\nVia: a\n\n",
		/* a bad line after good ones; one before the blank line */
		"SIP/2.0 180 Ringing\r\nVia: a\r\nno colon here\r\nCSeq: 1 X\r\n\r\n",
		"OPTIONS sip:a SIP/2.0\r\nVia: a\r\n: no name\r\n\r\n",
		/* a start line bad only in its reason: the headers are read, then INVALID */
		"SIP/2.0 200 O\001K\r\nVia: a\r\nCSeq: 1 X\r\n\r\n",
		/* a continuation with no header before it */
		"SIP/2.0 200 OK\r\n cont\r\nVia: a\r\n\r\n",
	};
	int bad = 0, runs = 0;
	for (size_t k = 0; k < sizeof heads / sizeof *heads; k++) {
		size_t len = strlen(heads[k]);
		for (size_t c1 = 0; c1 <= len; c1++)
			for (size_t c2 = c1; c2 <= len; c2 += 3, runs++)
				if (head_resume_differs(heads[k], len, c1, c2)) {
					if (!bad)
						fprintf(stderr, "# head %zu cut at %zu, %zu: %d\n", k, c1, c2,
							head_resume_differs(heads[k], len, c1, c2));
					bad++;
				}
	}
	/* more headers than the state keeps (parsed from the start each time),
	 * and exactly as many */
	for (int nh = SIP_HEAD_STATE_MAX - 1; nh <= SIP_HEAD_STATE_MAX + 2; nh++) {
		char big[4096];
		size_t n = (size_t)snprintf(big, sizeof big, "SIP/2.0 200 OK\r\n");
		for (int i = 0; i < nh; i++)
			n += (size_t)snprintf(big + n, sizeof big - n, "X-%d: v%d\r\n", i, i);
		n += (size_t)snprintf(big + n, sizeof big - n, "\r\n");
		for (size_t c1 = 0; c1 <= n; c1 += 7, runs++)
			if (head_resume_differs(big, n, c1, c1 + (n - c1) / 2))
				bad++;
	}
	CHECK(bad == 0 && runs > 1000, "a head parsed on across cuts agrees with one parse (%d of %d runs differ)", bad,
	      runs);
}

/* sip_param's shortcut for a first parameter written plainly gives what
 * the general walk (sip_params_sv) gives. */
static void test_param_first(void)
{
	static const char *const cases[] = {
		";tag=abc", ";TAG=abc", ";Tag=a;tag=b", ";tag= abc", ";tag=\"q;x\";y", ";tag=", ";tag", ";tagx=1;tag=2",
		";tag =x", "; tag=x", ";tag=a b", ";tag=a>b", ";tag=a,b", ";ta=1", ";tag=\"unterminated", "tag=x", "",
		";tag=\"\"", ";expires=3600", ";tag=x\r\n y",
	};
	int bad = 0;
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		struct sv in = sv_make(cases[k], strlen(cases[k]));
		struct sv a = { 0 }, b = { 0 }, name = sv_make("tag", 3);
		bool fa = sip_param(in, "tag", &a);
		bool fb = sip_params_sv(in, &name, 1, &b) != 0;
		if (fa != fb || (fa && (a.p != b.p || a.len != b.len))) {
			fprintf(stderr, "# param case %zu (%s) differs\n", k, cases[k]);
			bad++;
		}
	}
	CHECK(bad == 0, "sip_param on a first parameter agrees with the general walk (%d differ)", bad);
}

static void test_invalid(void)
{
	static const struct {
		const char *in;
		const char *why;
	} cases[] = {
		{ "HELLO\r\n\r\n", "no URI" },
		{ "INVITE sip:a@b HTTP/1.1\r\n\r\n", "wrong version" },
		{ "SIP/2.0 99 Low\r\n\r\n", "status below 100" },
		{ "SIP/2.0 2000 OK\r\n\r\n", "four-digit status" },
		{ "SIP/2.0 200 OK\r\nno colon here\r\n\r\n", "header without colon" },
		{ "SIP/2.0 200 OK\r\n continuation first\r\n\r\n", "continuation before a header" },
		{ "SIP/2.0 200 O\001K\r\n\r\n", "control character in reason" },
		{ "INV ITE sip:a@b SIP/2.0\r\n\r\n", "space in method" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sip_start st;
		struct sip_header h[8];
		size_t nh = 8;
		const char *err = NULL;
		int r = parse(cases[i].in, strlen(cases[i].in), &st, h, &nh, &err);
		CHECK(r == SIP_PARSE_INVALID && err, "invalid: %s (%s)", cases[i].why, err ? err : "-");
	}
}

static void test_lists_and_params(void)
{
	struct sv v = SV_LIT("\"Doe, John\" <sip:j@x;a=b,c>;q=0.5, <sip:k@y> , sip:z@w");
	size_t pos = 0;
	struct sv e[4];
	int n = 0;
	while (n < 4 && sip_list_next(v, &pos, &e[n]))
		n++;
	CHECK(n == 3, "list of 3 (commas inside quotes and <> ignored), got %d", n);
	CHECK(n == 3 && sv_eq(e[2], SV_LIT("sip:z@w")), "last element trimmed");
	struct sv p;
	CHECK(sip_param(SV_LIT("SIP/2.0/UDP h;BRANCH=\"q;x\";rport"), "branch", &p) && sv_eq(p, SV_LIT("q;x")),
	      "quoted param, case-insensitive name");
	CHECK(sip_param(SV_LIT("h;rport;x=1"), "rport", &p) && p.len == 0, "flag param");
	CHECK(!sip_param(SV_LIT("<sip:a@b;tag=no>"), "tag", &p), "param inside <> is not a header param");
	struct sip_cseq c;
	CHECK(!sip_parse_cseq(SV_LIT("4294967296 INVITE"), &c), "CSeq over 2^32 rejected");
	CHECK(!sip_parse_cseq(SV_LIT("12"), &c), "CSeq without method rejected");
	CHECK(sip_parse_cseq(SV_LIT(" 2  ACK "), &c) && c.num == 2 && sv_eq(c.method, SV_LIT("ACK")), "CSeq with spaces");
	/* 1*DIGIT: leading zeros are valid however many (issue 11, class 3) */
	CHECK(sip_parse_cseq(SV_LIT("0001 INVITE"), &c) && c.num == 1 && c.digits == 4, "CSeq with leading zeros");
	CHECK(sip_parse_cseq(SV_LIT("000000000000000000000000000000000000000001 CANCEL"), &c) && c.num == 1 &&
		      c.digits == 42 && sv_eq(c.method, SV_LIT("CANCEL")),
	      "CSeq with 41 leading zeros");
	CHECK(sip_parse_cseq(SV_LIT("0 OPTIONS"), &c) && c.num == 0 && c.digits == 1, "CSeq 0");
	CHECK(!sip_parse_cseq(SV_LIT("0004294967296 INVITE"), &c), "CSeq over 2^32 rejected after leading zeros");
	uint64_t u;
	CHECK(sv_to_u64(SV_LIT("00000000000000000000000000000000000000000000000042"), 100, &u) && u == 42,
	      "sv_to_u64 skips leading zeros");
	CHECK(sv_to_u64(SV_LIT("0000"), 100, &u) && u == 0, "sv_to_u64 all zeros");
	CHECK(!sv_to_u64(SV_LIT("00x1"), 100, &u), "sv_to_u64 rejects non-digits after zeros");
	struct sip_auth a;
	CHECK(sip_parse_auth(SV_LIT("Digest realm=\"asterisk\", nonce=\"4f1c\",algorithm=MD5, username=\"1001\""), &a) &&
		      sv_eq(a.realm, SV_LIT("asterisk")) && sv_eq(a.nonce, SV_LIT("4f1c")) &&
		      sv_eq(a.username, SV_LIT("1001")) && sv_eq(a.scheme, SV_LIT("Digest")),
	      "auth params");
	struct sip_nameaddr na;
	CHECK(sip_parse_nameaddr(SV_LIT("sip:alice@atlanta.com;tag=88sja8x"), &na) &&
		      sv_eq(na.uri, SV_LIT("sip:alice@atlanta.com")) && sv_eq(na.tag, SV_LIT("88sja8x")),
	      "addr-spec without <>: params after the URI are header params");
	CHECK(sv_eq(sip_uri_user(SV_LIT("sips:+4912:pw@h;x")), SV_LIT("+4912")), "URI user without password");
	CHECK(sip_header_lookup("CALL-id", 7) == SIP_H_CALL_ID && sip_header_lookup("K", 1) == SIP_H_SUPPORTED,
	      "header lookup ignores case");
	for (int id = 1; id < SIP_H_COUNT; id++) {
		const char *name = sip_header_name((enum sip_hdr_id)id);
		CHECK(sip_header_lookup(name, strlen(name)) == (enum sip_hdr_id)id, "lookup of %s", name);
		/* in upper and lower case; with any one byte changed, not this header */
		char up[64], lo[64], off[64];
		size_t n = strlen(name), wrong = 0;
		for (size_t k = 0; k <= n; k++) {
			up[k] = (char)toupper((unsigned char)name[k]);
			lo[k] = (char)tolower((unsigned char)name[k]);
		}
		for (size_t k = 0; k < n; k++) {
			const char subst[] = { 'x', 'X', '\r', '-', '_', '@', '`', (char)(name[k] ^ 0x20), (char)0xc3 };
			for (size_t j = 0; j < sizeof subst; j++) {
				memcpy(off, name, n + 1);
				if (sv_lower((unsigned char)subst[j]) == sv_lower((unsigned char)name[k]))
					continue; /* the same letter in the other case, or the byte itself */
				off[k] = subst[j];
				wrong += sip_header_lookup(off, n) == (enum sip_hdr_id)id;
			}
		}
		CHECK(sip_header_lookup(up, n) == (enum sip_hdr_id)id && sip_header_lookup(lo, n) == (enum sip_hdr_id)id &&
			      wrong == 0,
		      "lookup of %s in upper and lower case; %zu one-byte changes still match", name, wrong);
	}
	CHECK(sip_header_lookup("X-Not-Known", 11) == SIP_H_OTHER && sip_header_lookup("Call-IDs", 8) == SIP_H_OTHER &&
		      sip_header_lookup("Call-I", 6) == SIP_H_OTHER && sip_header_lookup("z", 1) == SIP_H_OTHER &&
		      sip_header_lookup("", 0) == SIP_H_OTHER,
	      "unknown names, prefixes and extensions of known ones are SIP_H_OTHER");
	{ /* commas inside quotes and <> do not split a list; an unclosed quote runs to the end */
		struct sv l = SV_LIT("\"a,\\\"b\" <sip:x;p=1,2>;q=\"1,2\", <sip:y>, \"open,"), e;
		size_t pos = 0;
		CHECK(sip_list_next(l, &pos, &e) && sv_eq(e, SV_LIT("\"a,\\\"b\" <sip:x;p=1,2>;q=\"1,2\"")), "list element 1: %.*s", (int)e.len, e.p);
		CHECK(sip_list_next(l, &pos, &e) && sv_eq(e, SV_LIT("<sip:y>")), "list element 2");
		CHECK(sip_list_next(l, &pos, &e) && sv_eq(e, SV_LIT("\"open,")) && !sip_list_next(l, &pos, &e), "list element 3, unclosed");
		struct sv v;
		CHECK(sip_param(SV_LIT("<sip:a;tag=no>;x=\"t;ag=1\";tag=yes"), "tag", &v) && sv_eq(v, SV_LIT("yes")),
		      "param: ';' inside <> and quotes is not a separator");
		static const struct sv names[] = { SV_LIT("branch"), SV_LIT("received"), SV_LIT("rport"), SV_LIT("maddr") };
		struct sv vals[4] = { SV_NULL, SV_NULL, SV_NULL, SV_NULL };
		unsigned got = sip_params_sv(SV_LIT(";RPORT;branch=z9hG4bK1;x=\"a;branch=no\";branch=second;received = 192.0.2.9"),
					  names, 4, vals);
		CHECK(got == 7 && sv_eq(vals[0], SV_LIT("z9hG4bK1")) && sv_eq(vals[1], SV_LIT("192.0.2.9")) &&
			      vals[2].p && vals[2].len == 0 && !vals[3].p,
		      "sip_params_sv: several names in one pass, the first of each, bare flags empty, absent ones untouched");
	}
}

static void test_malformed_messages(void)
{
	const char *nocallid = "BYE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n"
			       "To: <sip:c@d>;tag=2\r\nCSeq: 2 BYE\r\nMax-Forwards: 70\r\n\r\n";
	struct sip_msg *m = sip_msg_new(nocallid, strlen(nocallid), false);
	CHECK(m && m->malformed && strstr(m->malformed_reason, "Call-ID"), "missing Call-ID is malformed");
	sip_msg_free(m);
	const char *nomf = "ACK sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n"
			   "To: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 2 ACK\r\n\r\n";
	m = sip_msg_new(nomf, strlen(nomf), false);
	CHECK(m && !m->malformed && m->nonconformance, "missing Max-Forwards is a nonconformance, not malformed");
	sip_msg_free(m);
	m = sip_msg_new(nomf, strlen(nomf), true);
	CHECK(m && m->malformed && strstr(m->malformed_reason, "Content-Length"), "truncated body is malformed");
	sip_msg_free(m);
	static const char junk[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n";
	CHECK(sip_msg_new(junk, sizeof junk - 1, false) == NULL, "binary junk is not a message");
	static const char bad[] = "SIP/2.0 401 Unauthori%s\0\r\nCall-ID: k\r\nCSeq: 1 REGISTER\r\n\r\n";
	m = sip_msg_new(bad, sizeof bad - 1, false);
	CHECK(m && m->malformed && m->start.status == 401 && sv_eq(sip_msg_call_id(m), SV_LIT("k")),
	      "corrupt reason: malformed but status and Call-ID kept");
	sip_msg_free(m);
}

/* The head must end within SIP_MAX_HEAD bytes, blank line included: a line
 * running past it is too long, complete or not, and a stream framer sees a
 * message it must skip, not bytes that are not SIP (issue 15). */
static void test_head_limit(void)
{
	const char *start = "INVITE sip:b@h SIP/2.0\r\nCall-ID: x\r\nX-Big: ";
	size_t sl = strlen(start);
	size_t cap = SIP_MAX_HEAD + 4096;
	char *b = malloc(cap);
	memcpy(b, start, sl);
	memset(b + sl, 'a', cap - sl);
	struct sip_start st;
	struct sip_header h[8];
	size_t nh = 8, mlen, want;
	const char *err;
	bool nocl;
	/* a header line running past 64 KiB, not ended yet */
	int r = parse(b, SIP_MAX_HEAD + 100, &st, h, &nh, &err);
	CHECK(r == SIP_PARSE_INVALID && err == sip_err_head_too_long, "a partial head past 64 KiB is too long (%d)", r);
	nh = 8;
	r = parse(b, SIP_MAX_HEAD - 100, &st, h, &nh, &err);
	CHECK(r == SIP_PARSE_PARTIAL, "a partial head under 64 KiB is partial (%d)", r);
	/* the same line ended, with the blank line, past 64 KiB */
	memcpy(b + SIP_MAX_HEAD + 10, "\r\n\r\n", 4);
	nh = 8;
	r = parse(b, SIP_MAX_HEAD + 14, &st, h, &nh, &err);
	CHECK(r == SIP_PARSE_INVALID && err == sip_err_head_too_long, "a complete head of 64 KiB + 14 is too long (%d)", r);
	CHECK(sipframe_stream((const uint8_t *)b, SIP_MAX_HEAD + 14, &mlen, &want, &nocl, NULL, NULL) == FRAME_TOO_LONG,
	      "stream framing: too long, not 'not SIP'");
	CHECK(sipframe_stream((const uint8_t *)b, SIP_MAX_HEAD - 100, &mlen, &want, &nocl, NULL, NULL) == FRAME_PARTIAL,
	      "stream framing: under 64 KiB still partial");
	/* a head ending exactly at 64 KiB */
	memset(b + sl, 'a', cap - sl);
	memcpy(b + SIP_MAX_HEAD - 4, "\r\n\r\n", 4);
	nh = 8;
	r = parse(b, SIP_MAX_HEAD + 50, &st, h, &nh, &err);
	CHECK(r == SIP_MAX_HEAD, "a head of exactly 64 KiB parses (%d)", r);
	free(b);
}

/* sv_eq_ci (eight bytes at a time) against the byte-wise definition: every
 * length to 40, every byte value at every place, at every alignment. */
static bool eq_ci_ref(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (sv_lower((unsigned char)a[i]) != sv_lower((unsigned char)b[i]))
			return false;
	return true;
}

static void test_eq_ci(void)
{
	char abuf[64], bbuf[64];
	uint32_t seed = 12345;
	size_t bad = 0, equal = 0, checks = 0;
	for (size_t n = 0; n <= 40; n++) {
		for (int round = 0; round < 4; round++) {
			size_t oa = (n + (size_t)round) % 8, ob = (n * 3 + (size_t)round) % 8;
			char *a = abuf + oa, *b = bbuf + ob;
			for (size_t i = 0; i < n; i++) {
				seed = seed * 1103515245u + 12345u;
				/* rounds 0 and 1: letters and '-'; 2 and 3: any byte */
				unsigned r = seed >> 16;
				a[i] = round < 2 ? (r % 27 == 26 ? '-' : (char)('a' + r % 26)) : (char)(r & 0xff);
			}
			for (size_t i = 0; i < n; i++) /* the same in mixed case */
				b[i] = (i + (size_t)round) % 3 == 0 && a[i] >= 'a' && a[i] <= 'z' ? (char)(a[i] - 32) : a[i];
			for (size_t k = 0; k < n || k == 0; k++) {
				for (int v = 0; v < 256; v++) {
					char keep = n ? b[k] : 0;
					if (n)
						b[k] = (char)v;
					bool got = sv_eq_ci(sv_make(a, n), sv_make(b, n));
					bool want = eq_ci_ref(a, b, n);
					bad += got != want;
					equal += want;
					checks++;
					if (n)
						b[k] = keep;
				}
			}
		}
	}
	CHECK(bad == 0, "sv_eq_ci agrees with the byte-wise fold (%zu of %zu differ)", bad, checks);
	CHECK(equal > 1000 && equal < checks, "sv_eq_ci: both outcomes exercised (%zu equal)", equal);
	CHECK(!sv_eq_ci(SV_LIT("Call-ID"), SV_LIT("Call-IDx")) && sv_eq_ci(SV_LIT("CONTENT-LENGTH"), SV_LIT("content-length")) &&
		      !sv_eq_ci(SV_LIT("content\rlength"), SV_LIT("content-length")) && !sv_eq_ci(SV_LIT("@"), SV_LIT("`")) &&
		      !sv_eq_ci(SV_LIT("\xc1"), SV_LIT("\xe1")),
	      "sv_eq_ci: length, case, CR against '-', '@' against '`', bytes above 0x7f");
}

int main(void)
{
	test_request();
	test_hdr_count();
	test_kept_index();
	test_tags();
	test_partial_every_prefix();
	test_resume_every_cut();
	test_param_first();
	test_invalid();
	test_lists_and_params();
	test_malformed_messages();
	test_head_limit();
	test_eq_ci();
	return tap_done();
}

/* unit_links.c - correlation of B2BUA legs (calls.c): the Session-ID and
 * P-Charging-Vector parsers, --link-header specs, and the setup-window index
 * driven through a call store with messages built here. */
#include <stdio.h>
#include <string.h>

#include "../analyzer/model/model.h"
#include "tap.h"

static void test_session_id(void)
{
	char u[33];
	CHECK(link_session_uuid(SV_LIT("ab30317f1a784dc48ff824d0d3715d86;remote=00000000000000000000000000000000"), u) &&
		      strcmp(u, "ab30317f1a784dc48ff824d0d3715d86") == 0,
	      "Session-ID local uuid");
	CHECK(link_session_uuid(SV_LIT("  AB30317F1A784DC48FF824D0D3715D86 ; remote=x"), u) &&
		      strcmp(u, "ab30317f1a784dc48ff824d0d3715d86") == 0,
	      "Session-ID case-insensitive, spaces");
	CHECK(link_session_uuid(SV_LIT("ab30317f-1a78-4dc4-8ff8-24d0d3715d86"), u) &&
		      strcmp(u, "ab30317f1a784dc48ff824d0d3715d86") == 0,
	      "Session-ID in RFC 4122 text form");
	CHECK(!link_session_uuid(SV_LIT("00000000000000000000000000000000;remote=ab30317f1a784dc48ff824d0d3715d86"), u),
	      "the null uuid links nothing");
	CHECK(!link_session_uuid(SV_LIT("ab30317f1a784dc48ff824d0d3715d8"), u), "31 digits refused");
	CHECK(!link_session_uuid(SV_LIT("ab30317f1a784dc48ff824d0d3715d86a"), u), "33 digits refused");
	CHECK(!link_session_uuid(SV_LIT("ab30317f1a784dc48ff824d0d3715d8g"), u), "non-hex refused");
	CHECK(!link_session_uuid(SV_LIT(""), u), "empty");
}

static void test_icid(void)
{
	char v[512];
	size_t n = link_icid_value(SV_LIT("icid-value=1234bc9876e;icid-generated-at=192.0.6.8;orig-ioi=home1.net"), v,
				   sizeof v);
	CHECK(n == 11 && strcmp(v, "1234bc9876e") == 0, "token icid-value (RFC 7315 example)");
	n = link_icid_value(SV_LIT("icid-value=\"AyretyU0dm+6O2IrT5tAFrbHLso=023551024\"; orig-ioi=x"), v, sizeof v);
	CHECK(n && strcmp(v, "AyretyU0dm+6O2IrT5tAFrbHLso=023551024") == 0, "quoted icid-value with '='");
	n = link_icid_value(SV_LIT("ICID-Value = \"a\\\"b;c\" ;term-ioi=y"), v, sizeof v);
	CHECK(n && strcmp(v, "a\"b;c") == 0, "name case, spaces around '=', escaped quote and ';' inside quotes");
	n = link_icid_value(SV_LIT("orig-ioi=\"x;icid-value=no\";icid-value=yes"), v, sizeof v);
	CHECK(n && strcmp(v, "yes") == 0, "a parameter later than a quoted one");
	n = link_icid_value(SV_LIT("related-icid=abc;orig-ioi=x"), v, sizeof v);
	CHECK(n == 0, "related-icid is not icid-value");
	n = link_icid_value(SV_LIT("icid-value=\"unterminated"), v, sizeof v);
	CHECK(n == 0, "unterminated quoted-string");
	n = link_icid_value(SV_LIT("icid-value="), v, sizeof v);
	CHECK(n == 0, "empty value");
}

static void test_specs(void)
{
	char err[400];
	CHECK(link_header_check("X-Corr", err, sizeof err), "NAME");
	CHECK(link_header_check("X-Corr=id=([0-9a-f]+)", err, sizeof err), "NAME=REGEX with '=' in the REGEX");
	CHECK(!link_header_check("X-Corr=([", err, sizeof err) && strstr(err, "regular expression"), "bad REGEX");
	CHECK(!link_header_check("=x", err, sizeof err), "no NAME");
	CHECK(!link_header_check("X Corr", err, sizeof err), "space in NAME");
	CHECK(!link_header_check("X-Corr=", err, sizeof err), "empty REGEX");
}

/* ---- the store ---- */

/* what the done-callback saw: the call is freed right after it */
static char ids_of[1024][16];
static int ndone;
static char links_of[1024][256];

static void on_done(void *ud, struct call *c)
{
	(void)ud;
	if (ndone < 1024) {
		snprintf(ids_of[ndone], sizeof ids_of[ndone], "%s", c->call_id);
		char *o = links_of[ndone];
		o[0] = 0;
		for (uint32_t i = 0; i < c->nlinks; i++) {
			size_t l = strlen(o);
			snprintf(o + l, 256 - l, "%s%s=%s", i ? "," : "", c->links[i].call_id, c->links[i].how);
		}
		ndone++;
	}
}

static const char *links_for(const char *call_id)
{
	for (int i = 0; i < ndone; i++)
		if (strcmp(ids_of[i], call_id) == 0)
			return links_of[i];
	return "(not finalised)";
}

static const char *SDP_A = "v=0\r\no=alice 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
			   "m=audio 6000 RTP/AVP 0\r\n";
static const char *SDP_C = "v=0\r\no=carol 7 7 IN IP4 192.0.2.30\r\ns=-\r\nc=IN IP4 192.0.2.30\r\nt=0 0\r\n"
			   "m=audio 7000 RTP/AVP 0\r\n";

static uint64_t frame;

/* one message from src to dst (last octets of 192.0.2.x, port) at ms */
static void put(struct callstore *cs, int64_t ms, int s, int sp, int d, int dp, const char *start, const char *cid,
		const char *cseq, const char *totag, const char *extra, const char *sdp)
{
	char buf[2048];
	int n = snprintf(buf, sizeof buf,
			 "%s\r\nVia: SIP/2.0/UDP 192.0.2.%d:%d;branch=z9hG4bK%s%s\r\nFrom: <sip:a@x>;tag=f%s\r\n"
			 "To: <sip:b@y>%s%s\r\nCall-ID: %s\r\nCSeq: %s\r\nMax-Forwards: 70\r\n%s"
			 "%sContent-Length: %zu\r\n\r\n%s",
			 start, s, sp, cid, strstr(cseq, "ACK") ? "a" : "", cid, totag ? ";tag=" : "",
			 totag ? totag : "", cid, cseq, extra ? extra : "",
			 sdp ? "Content-Type: application/sdp\r\n" : "", sdp ? strlen(sdp) : 0, sdp ? sdp : "");
	struct sip_msg *m = sip_msg_new(buf, (size_t)n, false);
	m->frame = ++frame;
	m->ts_sec = 1000 + ms / 1000;
	m->ts_nsec = (uint32_t)(ms % 1000) * 1000000u;
	m->src.family = m->dst.family = 4;
	uint8_t a[4] = { 192, 0, 2, (uint8_t)s }, b[4] = { 192, 0, 2, (uint8_t)d };
	memcpy(m->src.ip, a, 4);
	memcpy(m->dst.ip, b, 4);
	m->src.port = (uint16_t)sp;
	m->dst.port = (uint16_t)dp;
	callstore_add(cs, m);
}

/* A (.10) -> B2BUA (.20) -> C (.30): INVITE relayed, answer relayed back.
 * delay_ms: between leg 2's 200 and leg 1's 200. */
static void b2bua_call(struct callstore *cs, int64_t t, const char *l1, const char *l2, const char *h1,
		       const char *h2, const char *offer2, const char *answer1, int delay_ms)
{
	put(cs, t, 10, 5070, 20, 5060, "INVITE sip:c@192.0.2.20 SIP/2.0", l1, "1 INVITE", NULL, h1, SDP_A);
	put(cs, t + 1, 20, 5060, 30, 5060, "INVITE sip:c@192.0.2.30 SIP/2.0", l2, "1 INVITE", NULL, h2, offer2);
	put(cs, t + 50, 30, 5060, 20, 5060, "SIP/2.0 200 OK", l2, "1 INVITE", "c", NULL, SDP_C);
	put(cs, t + 50 + delay_ms, 20, 5060, 10, 5070, "SIP/2.0 200 OK", l1, "1 INVITE", "b", NULL, answer1);
	put(cs, t + 52 + delay_ms, 10, 5070, 20, 5060, "ACK sip:c@192.0.2.20 SIP/2.0", l1, "1 ACK", "b", NULL, NULL);
	put(cs, t + 53 + delay_ms, 20, 5060, 30, 5060, "ACK sip:c@192.0.2.30 SIP/2.0", l2, "1 ACK", "c", NULL, NULL);
}

/* A call from .10 to .30 directly (no B2BUA), answered after ring_ms. */
static void direct_call(struct callstore *cs, int64_t t, const char *cid, int ring_ms, const char *h)
{
	put(cs, t, 10, 5070, 30, 5060, "INVITE sip:c@192.0.2.30 SIP/2.0", cid, "1 INVITE", NULL, h, SDP_A);
	put(cs, t + ring_ms, 30, 5060, 10, 5070, "SIP/2.0 200 OK", cid, "1 INVITE", "c", NULL, SDP_C);
	put(cs, t + ring_ms + 1, 10, 5070, 30, 5060, "ACK sip:c@192.0.2.30 SIP/2.0", cid, "1 ACK", "c", NULL, NULL);
}

static struct callstore *fresh(void)
{
	ndone = 0;
	frame = 0;
	return callstore_new(on_done, NULL, NULL);
}

static void finish(struct callstore *cs)
{
	callstore_end_input(cs, 0, 0);
	callstore_free(cs);
}

static void test_store(void)
{
	struct callstore *cs = fresh();
	b2bua_call(cs, 0, "L1", "L2", NULL, NULL, SDP_A, SDP_C, 1);
	finish(cs);
	CHECK(strcmp(links_for("L1"), "L2=same SDP") == 0 && strcmp(links_for("L2"), "L1=same SDP") == 0,
	      "B2BUA passing the SDP through: linked by same SDP (%s)", links_for("L1"));

	/* the callee (.30) sends a call on with the same SDP 3 s after it
	 * answered the first: the first call's setup window is over */
	cs = fresh();
	direct_call(cs, 0, "D1", 10, NULL);
	put(cs, 3100, 30, 5060, 40, 5060, "INVITE sip:c@192.0.2.40 SIP/2.0", "D2", "1 INVITE", NULL, NULL, SDP_A);
	finish(cs);
	CHECK(strcmp(links_for("D2"), "") == 0, "same SDP 3 s after the answer: not linked (%s)", links_for("D2"));

	/* the same within the 2 s after the answer: a leg (.30 a B2BUA that
	 * answers first, as in third-party call control) */
	cs = fresh();
	direct_call(cs, 0, "E1", 10, NULL);
	put(cs, 1500, 30, 5060, 40, 5060, "INVITE sip:c@192.0.2.40 SIP/2.0", "E2", "1 INVITE", NULL, NULL, SDP_A);
	finish(cs);
	CHECK(strcmp(links_for("E2"), "E1=same SDP") == 0, "same SDP 1.5 s after the answer: linked (%s)",
	      links_for("E2"));

	/* 1000 calls ringing at once between the same two parties, all with
	 * one SDP: none is a leg of another */
	cs = fresh();
	char id[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof id, "P%d", i);
		put(cs, i, 10, 5070, 30, 5060, "INVITE sip:c@192.0.2.30 SIP/2.0", id, "1 INVITE", NULL, NULL, SDP_A);
	}
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof id, "P%d", i);
		put(cs, 1000 + i, 30, 5060, 10, 5070, "SIP/2.0 200 OK", id, "1 INVITE", "c", NULL, SDP_C);
	}
	int linked = 0;
	callstore_end_input(cs, 0, 0);
	for (int i = 0; i < ndone; i++)
		linked += links_of[i][0] != 0;
	callstore_free(cs);
	CHECK(ndone == 1000 && linked == 0, "1000 parallel calls, one SDP, one path: %d linked", linked);

	/* two callers ringing with the same SDP when the B2BUA's leg 2 comes:
	 * which one it belongs to is not known, so none */
	cs = fresh();
	put(cs, 0, 10, 5070, 20, 5060, "INVITE sip:c@192.0.2.20 SIP/2.0", "Q1", "1 INVITE", NULL, NULL, SDP_A);
	put(cs, 1, 10, 5070, 20, 5060, "INVITE sip:c@192.0.2.20 SIP/2.0", "Q2", "1 INVITE", NULL, NULL, SDP_A);
	put(cs, 2, 20, 5060, 30, 5060, "INVITE sip:c@192.0.2.30 SIP/2.0", "Q3", "1 INVITE", NULL, NULL, SDP_A);
	finish(cs);
	CHECK(strcmp(links_for("Q3"), "") == 0, "ambiguous: two open legs with the same SDP on the other path (%s)",
	      links_for("Q3"));

	/* two phones behind NATs (.11, .12) with the same o= line call one
	 * SBC (.20) at the same moment: requests to one destination */
	cs = fresh();
	put(cs, 0, 11, 5060, 20, 5060, "INVITE sip:c@192.0.2.20 SIP/2.0", "N1", "1 INVITE", NULL, NULL, SDP_A);
	put(cs, 5, 12, 5060, 20, 5060, "INVITE sip:c@192.0.2.20 SIP/2.0", "N2", "1 INVITE", NULL, NULL, SDP_A);
	finish(cs);
	CHECK(strcmp(links_for("N2"), "") == 0, "two callers, one SBC, same SDP: not linked (%s)", links_for("N2"));

	/* A (.10) -> B2BUA1 (.20) -> B2BUA2 (.30) -> C (.40), captured on every
	 * hop, the SDP passed through: each leg tied to the one it came from */
	cs = fresh();
	put(cs, 0, 10, 5070, 20, 5060, "INVITE sip:c@192.0.2.20 SIP/2.0", "M1", "1 INVITE", NULL, NULL, SDP_A);
	put(cs, 1, 20, 5060, 30, 5060, "INVITE sip:c@192.0.2.30 SIP/2.0", "M2", "1 INVITE", NULL, NULL, SDP_A);
	put(cs, 2, 30, 5060, 40, 5060, "INVITE sip:c@192.0.2.40 SIP/2.0", "M3", "1 INVITE", NULL, NULL, SDP_A);
	finish(cs);
	CHECK(strcmp(links_for("M1"), "M2=same SDP") == 0 && strcmp(links_for("M3"), "M2=same SDP") == 0,
	      "two B2BUAs in a row: M1-M2, M2-M3 (%s; %s)", links_for("M2"), links_for("M3"));

	/* Session-ID with media anchored (own SDP on leg 2): linked by Session-ID;
	 * the null uuid is not */
	cs = fresh();
	const char *sid = "Session-ID: ab30317f1a784dc48ff824d0d3715d86;remote=00000000000000000000000000000000\r\n";
	b2bua_call(cs, 0, "S1", "S2", sid, sid, SDP_C, SDP_A, 1);
	const char *nul = "Session-ID: 00000000000000000000000000000000\r\n";
	b2bua_call(cs, 10000, "N1", "N2", nul, nul, SDP_C, SDP_A, 1);
	finish(cs);
	CHECK(strcmp(links_for("S2"), "S1=Session-ID") == 0, "Session-ID (%s)", links_for("S2"));
	CHECK(strcmp(links_for("N2"), "") == 0, "null Session-ID (%s)", links_for("N2"));

	/* P-Charging-Vector, quoted on one leg and a token on the other */
	cs = fresh();
	b2bua_call(cs, 0, "C1", "C2", "P-Charging-Vector: icid-value=\"abc123\";orig-ioi=a\r\n",
		   "P-Charging-Vector: icid-value=abc123;orig-ioi=b\r\n", SDP_C, SDP_A, 1);
	finish(cs);
	CHECK(strcmp(links_for("C2"), "C1=P-Charging-Vector") == 0, "P-Charging-Vector (%s)", links_for("C2"));

	/* --link-header with a group; and without the option nothing */
	char err[200];
	cs = fresh();
	CHECK(callstore_link_header(cs, "X-Corr=([0-9a-f]{8})", err, sizeof err), "callstore_link_header");
	b2bua_call(cs, 0, "H1", "H2", "X-Corr: id=deadbeef\r\n", "x-corr: deadbeef;leg=2\r\n", SDP_C, SDP_A, 1);
	finish(cs);
	CHECK(strcmp(links_for("H2"), "H1=header:X-Corr") == 0, "--link-header (%s)", links_for("H2"));
	cs = fresh();
	b2bua_call(cs, 0, "H1", "H2", "X-Corr: id=deadbeef\r\n", "x-corr: deadbeef;leg=2\r\n", SDP_C, SDP_A, 1);
	finish(cs);
	CHECK(strcmp(links_for("H2"), "") == 0, "no --link-header, anchored media: not linked (%s)", links_for("H2"));

	/* the same Session-ID on a call set up a minute later: not a leg */
	cs = fresh();
	direct_call(cs, 0, "T1", 10, sid);
	put(cs, 60000, 20, 5060, 30, 5060, "INVITE sip:c@192.0.2.30 SIP/2.0", "T2", "1 INVITE", NULL, sid, SDP_C);
	finish(cs);
	CHECK(strcmp(links_for("T2"), "") == 0, "same Session-ID a minute later (%s)", links_for("T2"));
}

int main(void)
{
	test_session_id();
	test_icid();
	test_specs();
	test_store();
	return tap_done();
}

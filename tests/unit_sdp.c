/* unit_sdp.c - SDP parsing and SDP found inside multipart bodies. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "../analyzer/sip/sdp.h"
#include "tap.h"

static void test_offer(void)
{
	const char *b = "v=0\r\n"
			"o=alice 2890844526 2890844527 IN IP4 198.51.100.1\r\n"
			"s=-\r\n"
			"c=IN IP4 192.168.1.10\r\n"
			"t=0 0\r\n"
			"a=sendonly\r\n"
			"m=audio 49170 RTP/AVP 0 8 101\r\n"
			"a=rtpmap:0 PCMU/8000\r\n"
			"a=rtpmap:101 telephone-event/8000\r\n"
			"a=fmtp:101 0-15\r\n"
			"a=rtcp:49171 IN IP4 203.0.113.5\r\n"
			"a=candidate:1 1 udp 2130706431 192.168.1.10 49170 typ host\r\n"
			"a=candidate:2 1 udp 1694498815 203.0.113.5 5000 typ srflx raddr 192.168.1.10 rport 49170\r\n"
			"m=video 0 RTP/AVP 96\r\n"
			"c=IN IP6 2001:db8::1/127\r\n"
			"a=recvonly\r\n"
			"a=rtcp-mux\r\n";
	struct guarded g = guarded_copy(b, strlen(b));
	struct sdp s;
	CHECK(sdp_parse(sv_make(g.p, strlen(b)), &s), "offer parses");
	CHECK(sv_eq(s.o_sess_id, SV_LIT("2890844526")) && sv_eq(s.o_sess_version, SV_LIT("2890844527")) &&
		      sv_eq(s.o_conn.addr, SV_LIT("198.51.100.1")), "origin");
	CHECK(s.nmedia == 2, "two media");
	const struct sdp_media *a = &s.media[0];
	CHECK(sv_eq(a->type, SV_LIT("audio")) && a->port == 49170 && a->nfmt == 3 && a->fmt[2] == 101, "m=audio");
	CHECK(a->conn.family == 4 && sv_eq(a->conn.addr, SV_LIT("192.168.1.10")), "session c= inherited");
	CHECK(a->dir == SDP_SENDONLY, "session direction inherited");
	CHECK(a->nmap == 2 && sv_eq(a->map[0].encoding, SV_LIT("PCMU")) && a->map[0].clock == 8000, "rtpmap");
	CHECK(sv_eq(a->map[1].fmtp, SV_LIT("0-15")), "fmtp attached to its rtpmap");
	CHECK(a->rtcp_port == 49171 && sv_eq(a->rtcp_conn.addr, SV_LIT("203.0.113.5")), "a=rtcp with address");
	CHECK(a->candidates == 2 && a->cand_host == 1 && a->cand_srflx == 1, "ICE candidate types");
	const struct sdp_media *v = &s.media[1];
	CHECK(v->port == 0 && v->conn.family == 6 && sv_eq(v->conn.addr, SV_LIT("2001:db8::1")), "media c= IP6, ttl stripped");
	CHECK(v->dir == SDP_RECVONLY && v->rtcp_mux, "media direction and rtcp-mux");
	guarded_free(g);
	CHECK(!sdp_parse(SV_LIT("hello\r\nv=0\r\n"), &s), "not SDP without v= first");
	CHECK(sdp_parse(SV_LIT("v=0\nm=audio 4000 RTP/AVP 0"), &s) && s.media[0].port == 4000 &&
		      s.media[0].dir == SDP_SENDRECV, "LF-only lines, no final newline, default sendrecv");
}

static void test_multipart(void)
{
	static const char msg[] =
		"INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nMax-Forwards: 70\r\n"
		"From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: mp\r\nCSeq: 1 INVITE\r\n"
		"Content-Type: multipart/mixed;boundary=\"unique-boundary-1\"\r\n\r\n"
		"--unique-boundary-1\r\nContent-Type: application/isup;version=itu-t92+\r\n\r\n\x01\x02\r\n"
		"--unique-boundary-1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 5004 RTP/AVP 0\r\n"
		"\r\n--unique-boundary-1--\r\n";
	struct sip_msg *m = sip_msg_new(msg, sizeof msg - 1, false);
	struct sv body;
	struct sdp s;
	CHECK(m && sip_msg_sdp(m, &body) && sdp_parse(body, &s) && s.nmedia == 1 && s.media[0].port == 5004 &&
		      sv_eq(s.media[0].conn.addr, SV_LIT("10.0.0.1")),
	      "SDP found in multipart/mixed");
	sip_msg_free(m);
}

/* Parsed SDPs are kept with the messages' indexes up to a budget for all
 * of them; past it each is parsed again when asked, into a ring of four,
 * and what is kept is given back when indexes are dropped. */
static void test_kept_budget(void)
{
	enum { N = 6000 };
	static struct sip_msg *m[N];
	char buf[600];
	size_t kept = 0;
	bool right = true;
	for (int i = 0; i < N; i++) {
		int n = snprintf(buf, sizeof buf,
				 "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK%d\r\nMax-Forwards: 70\r\n"
				 "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: k%d\r\nCSeq: 1 INVITE\r\n"
				 "Content-Type: application/sdp\r\n\r\nv=0\r\nc=IN IP4 10.0.0.1\r\nm=audio %d RTP/AVP 0\r\n",
				 i, i, 10000 + i);
		m[i] = sip_msg_new(buf, (size_t)n, false);
		size_t before = sip_msg_index_bytes(m[i]);
		const struct sdp *s = sip_msg_sdp_get(m[i]);
		right &= s && s->nmedia == 1 && s->media[0].port == 10000 + i;
		if (sip_msg_index_bytes(m[i]) > before)
			kept++;
	}
	CHECK(right, "every SDP right, kept or not");
	CHECK(kept > 1000 && kept < N && kept * offsetof(struct sdp, media) < SIP_DERIVED_BUDGET,
	      "kept up to the budget (%zu of %d), not past it", kept, N);
	/* the ring: two held at once stay right while others are asked for */
	const struct sdp *a = sip_msg_sdp_get(m[N - 1]), *b = sip_msg_sdp_get(m[N - 2]);
	sip_msg_sdp_get(m[N - 3]);
	CHECK(a->media[0].port == 10000 + N - 1 && b->media[0].port == 10000 + N - 2, "two not kept stay right");
	for (int i = 0; i < N; i++)
		sip_msg_free(m[i]);
	m[0] = sip_msg_new(buf, strlen(buf), false);
	size_t before = sip_msg_index_bytes(m[0]);
	sip_msg_sdp_get(m[0]);
	CHECK(sip_msg_index_bytes(m[0]) > before, "kept again once the others are freed");
	sip_msg_free(m[0]);
}

/* sdp_parse_origin against sdp_parse: the same answer and the same origin
 * and first port on every body, including each one cut short at every
 * length and with any one byte changed to a byte that matters to SDP. */
static int origin_differs(const char *b, size_t len)
{
	static struct sdp s;
	struct sdp_origin o;
	struct guarded g = guarded_copy(b, len);
	struct sv body = sv_make(g.p, len);
	bool a = sdp_parse(body, &s), c = sdp_parse_origin(body, &o);
	int bad = a != c;
	if (a && c)
		bad = !sv_eq(s.o_user, o.user) || !sv_eq(s.o_sess_id, o.sess_id) ||
		      !sv_eq(s.o_sess_version, o.sess_version) || s.o_conn.family != o.conn.family ||
		      !sv_eq(s.o_conn.addr, o.conn.addr) || (s.nmedia > 0) != o.has_media ||
		      (o.has_media && s.media[0].port != o.port);
	guarded_free(g);
	return bad;
}

static void test_origin(void)
{
	static const char *const bodies[] = {
		("v=0\r\no=alice 2890844526 2890844527 IN IP4 198.51.100.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
		 "t=0 0\r\nm=audio 49170/2 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\nm=video 51372 RTP/AVP 96\r\n"),
		"\r\n\r\nv=0\no=- 1 1 IN IP6 2001:db8::1\no=bob 2 3 XX IP4 10.0.0.1\nm=audio 7078 RTP/AVP 0\n",
		"v=0\r\nthis is junk\r\no=u 9 9 IN IP4 10.1.1.1/127\r\nm=audio\r\nm=audio 9 RTP/AVP 0\r\n",
		"v=0\r\no=u 9 9 IN IP4 10.1.1.1\r\nm=audio 70000 RTP/AVP 0\r\n",
		"v=0\r\no=u  9  9 IN IP4 10.1.1.1\r\n", "o=u 1 1 IN IP4 1.2.3.4\r\nv=0\r\nm=audio 5 RTP/AVP 0\r\n",
		"junk\r\nv=0\r\n", "v=0", "", "\r\n", "x=\r\nv=0\r\nm=a 1 b\r\n",
		/* o= lines after the first m= (the last one counts) */
		"v=0\r\no=a 1 1 IN IP4 1.1.1.1\r\nm=audio 5 RTP/AVP 0\r\no=b 2 2 XX IP4 2.2.2.2\r\na=x\r\no=c 3 3 IN IP6 ::1",
		"v=0\nm=audio 5 RTP/AVP 0\no=z 1 1 IN IP4 3.3.3.3\n\no=y 2 2 IN IP4 4.4.4.4\nm=video 6 RTP/AVP 0\no=",
	};
	static const char repl[] = { '\n', '\r', '=', ' ', '/', 'v', 'o', 'm', 'x', '9', 0 };
	char buf[512];
	size_t runs = 0, bad = 0;
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		size_t len = strlen(bodies[i]);
		for (size_t cut = 0; cut <= len; cut++, runs++)
			bad += (size_t)origin_differs(bodies[i], cut);
		for (size_t at = 0; at < len; at++)
			for (size_t r = 0; r < sizeof repl; r++, runs++) {
				memcpy(buf, bodies[i], len);
				buf[at] = repl[r];
				bad += (size_t)origin_differs(buf, len);
			}
	}
	CHECK(runs > 5000 && bad == 0, "sdp_parse_origin = sdp_parse on %zu bodies (%zu differ)", runs, bad);
}

int main(void)
{
	test_offer();
	test_origin();
	test_multipart();
	test_kept_budget();
	return tap_done();
}

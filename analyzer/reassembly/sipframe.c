/* sipframe.c - where SIP messages begin and end (RFC 3261 §7.5, §18.3):
 * a blank line ends the head, Content-Length (or its compact form l) sizes
 * the body; on datagram transports a missing Content-Length means "the rest". */
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "sipframe.h"
#include "xalloc.h"

size_t sipframe_skip_crlf(const uint8_t *p, size_t len)
{
	size_t i = 0;
	while (i < len && (p[i] == '\r' || p[i] == '\n'))
		i++;
	return i;
}

#define FRAME_HDRS 256

enum frame_result sipframe_stream(const uint8_t *p, size_t len, size_t *msg_len, size_t *want, bool *no_clen,
				  struct sip_msg **m, struct sip_head_state *hs)
{
	struct sip_start st;
	struct sip_header h[FRAME_HDRS];
	size_t nh = FRAME_HDRS, ntotal = 0;
	const char *err;
	*want = 0;
	*no_clen = false;
	if (m)
		*m = NULL;
	int r = hs ? sip_parse_head_resume((const char *)p, len, &st, h, &nh, &ntotal, &err, hs)
		   : sip_parse_head((const char *)p, len, &st, h, &nh, &ntotal, &err);
	if (r == SIP_PARSE_PARTIAL) {
		/* Judge the start line as soon as it is complete. */
		const uint8_t *nl = memchr(p, '\n', len);
		if (nl && !sip_looks_like_start((const char *)p, (size_t)(nl - p) + 1))
			return FRAME_NOT_SIP;
		if (!nl && !sip_start_prefix_plausible((const char *)p, len))
			return FRAME_NOT_SIP;
		return FRAME_PARTIAL;
	}
	if (r == SIP_PARSE_INVALID) {
		if (!sip_looks_like_start((const char *)p, len))
			return FRAME_NOT_SIP;
		if (err == sip_err_head_too_long)
			return FRAME_TOO_LONG;
		/* A bad header line inside a SIP head: the message runs to the
		 * blank line; keep it (it will be reported malformed). */
		const uint8_t *e = NULL;
		size_t lim = len < SIP_MAX_HEAD ? len : SIP_MAX_HEAD;
		for (size_t i = 0; i + 3 < lim; i++)
			if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' && p[i + 3] == '\n') {
				e = p + i + 4;
				break;
			}
		if (!e)
			return len >= SIP_MAX_HEAD ? FRAME_TOO_LONG : FRAME_PARTIAL;
		*msg_len = (size_t)(e - p);
		return FRAME_MSG;
	}
	uint64_t clen = 0;
	int c = sip_head_content_length(h, nh, &clen);
	if (c == 0)
		*no_clen = true;
	if (c <= 0)
		clen = 0;
	uint64_t total = (uint64_t)r + clen;
	if (total > len) {
		if (hs) /* the body is still to come: keep the head */
			sip_head_keep(hs, (const char *)p, r, h, nh, ntotal);
		*want = (size_t)total;
		return FRAME_PARTIAL;
	}
	*msg_len = (size_t)total;
	/* the head just parsed is the message's: sip_msg_new would parse
	 * the same bytes again (it stops at the same blank line) */
	if (m)
		*m = sip_msg_new_head((const char *)p, (size_t)total, r, &st, h, nh, ntotal);
	return FRAME_MSG;
}

ptrdiff_t sipframe_find_start(const uint8_t *p, size_t len)
{
	/* Every start line contains "SIP/"; look for it, then back up to the
	 * beginning of its line. */
	size_t from = 0;
	while (from < len) {
		const uint8_t *q = memmem(p + from, len - from, "SIP/", 4);
		if (!q)
			return -1;
		size_t at = (size_t)(q - p);
		size_t ls = at;
		while (ls > 0 && p[ls - 1] != '\n')
			ls--;
		if (at - ls < SIP_MAX_LINE && sip_looks_like_start((const char *)p + ls, len - ls))
			return (ptrdiff_t)ls;
		from = at + 4;
	}
	return -1;
}

static void deliver(struct analyzer *an, const struct flowmeta *fm, struct sip_msg *m, const char *why_malformed)
{
	if (why_malformed && !m->malformed) {
		m->malformed = true;
		m->malformed_reason = why_malformed;
	}
	m->frame = an->frame;
	m->first_frame = fm->first_frame ? fm->first_frame : an->frame;
	m->ts_sec = an->ts_sec;
	m->ts_nsec = an->ts_nsec;
	m->src = fm->src;
	m->dst = fm->dst;
	m->transport = fm->transport;
	m->encap = fm->encap;
	m->ip_fragmented = fm->ip_fragmented;
	m->tls_conn = fm->tls_conn;
	m->input = an->input;
	if (an->record_carriers) {
		const uint64_t *cf = an->ncarriers ? an->carriers : an->frag_frames;
		uint32_t n = an->ncarriers ? an->ncarriers : an->nfrag_frames;
		uint64_t two[2] = { m->first_frame, m->frame }; /* SCTP: the chunks' first and last frames */
		if (!n && m->first_frame != m->frame) {
			cf = two;
			n = 2;
		}
		if (n > 1 || (n == 1 && cf[0] != m->frame)) {
			m->carriers = xmalloc(n * sizeof *m->carriers);
			memcpy(m->carriers, cf, n * sizeof *m->carriers);
			m->ncarriers = n;
		}
	}
	an->st->sip_messages++;
	if (m->malformed)
		an->st->malformed++;
	an->sink(an->sink_ud, m);
}

void sipframe_deliver(struct analyzer *an, const struct flowmeta *fm, struct sip_msg *m, const char *why_malformed)
{
	deliver(an, fm, m, why_malformed);
}

void sipframe_emit(struct analyzer *an, const struct flowmeta *fm, const uint8_t *p, size_t len,
		   bool truncated_body, const char *why_malformed)
{
	struct sip_msg *m = sip_msg_new((const char *)p, len, truncated_body);
	if (m)
		deliver(an, fm, m, why_malformed);
}

/* A datagram to or from the SIP port whose first line is not a start line
 * but whose next lines are SIP's mandatory headers is a SIP message with a
 * bad start line: report it rather than drop it as "not SIP". */
static bool garbled_sip(const struct flowmeta *fm, const uint8_t *p, size_t len)
{
	static const char *const names[] = { "\nvia:", "\ncall-id:", "\ncseq:", "\nfrom:", "\nto:" };
	if (fm->src.port != 5060 && fm->dst.port != 5060)
		return false;
	unsigned hits = 0;
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		size_t n = strlen(names[i]);
		for (size_t k = 0; k + n <= len && k < SIP_MAX_HEAD; k++)
			if (p[k] == '\n' && strncasecmp((const char *)p + k, names[i], n) == 0) {
				hits++;
				break;
			}
	}
	return hits >= 3;
}

void sipframe_datagram(struct analyzer *an, const struct flowmeta *fm, const uint8_t *p, size_t len)
{
	size_t off = sipframe_skip_crlf(p, len);
	if (off == len)
		return; /* keep-alive */
	size_t used;
	/* NULL: not SIP (sip_looks_like_start's answer, got from the parse) */
	struct sip_msg *m = sip_msg_new_datagram((const char *)p + off, len - off, &used);
	if (!m) {
		if (garbled_sip(fm, p + off, len - off))
			deliver(an, fm, sip_msg_new_garbled((const char *)p + off, len - off), NULL);
		return; /* not SIP */
	}
	for (;;) {
		/* Anything after the body counts only if another message starts
		 * there; other bytes are discarded (RFC 3261 §18.3), and said so. */
		size_t next = off + used + sipframe_skip_crlf(p + off + used, len - off - used);
		bool more = next < len && sip_looks_like_start((const char *)p + next, len - next);
		if (next < len && !more && !m->nonconformance)
			m->nonconformance = "bytes after the Content-Length body (discarded, RFC 3261 §18.3)";
		deliver(an, fm, m, NULL);
		off = next;
		if (!more || !(m = sip_msg_new_datagram((const char *)p + off, len - off, &used)))
			break;
	}
}

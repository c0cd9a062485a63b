/* stream.c - framing of in-order TCP bytes: SIP messages by Content-Length
 * (RFC 3261 §18.3), WebSocket frames (RFC 6455 §5.2) carrying SIP (RFC 7118),
 * TLS records followed and decrypted (tls.c) when the key log has the
 * connection's secrets, the plaintext framed again by the same code.
 * Complete messages are framed straight from the packet bytes; only an
 * incomplete tail is copied. A message too big to hold (a head past 64 KiB,
 * a body past 4 MiB) is delivered as one malformed message of its first
 * bytes and the rest skipped unbuffered, so the stream stays framed. */
#include "stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cursor.h"
#include "sipframe.h"
#include "sv.h"
#include "tls.h"
#include "xalloc.h"

#define STREAM_MAX_PENDING (4u << 20) /* bytes of one unfinished message */
#define WS_MAX_MESSAGE (4u << 20)
#define RESYNC_SCAN_LIMIT (4u << 20)  /* bytes searched before giving up */
#define HTTP_MAX_HEAD 16384

/* A TLS connection: its records (tls.c) and the decrypted bytes of each
 * direction, framed by a stream of their own. */
struct tls_flow {
	struct tls_conn t;
	struct stream inner[2];
	struct endpoint ep[2]; /* ep[d]: the sender of direction d */
	uint64_t first_frame, last_frame;
	uint32_t id;           /* analyzer-wide number */
	uint64_t *frames;      /* with carriers recorded: every frame of the connection */
	size_t nframes, frames_cap;
};

void stream_release(struct stream *s)
{
	free(s->buf);
	free(s->wsmsg);
	free(s->clog);
	memset(s, 0, sizeof *s);
}

/* ---- carrier log ---- */

static void clog_add(struct stream *s, uint64_t frame, uint64_t start, uint64_t end)
{
	if (s->nclog == s->clog_cap) {
		s->clog_cap = s->clog_cap ? s->clog_cap * 2 : 8;
		s->clog = xrealloc(s->clog, s->clog_cap * sizeof *s->clog);
	}
	s->clog[s->nclog++] = (struct carrier){ frame, start, end };
}

/* Logs the frame(s) of bytes about to be delivered. */
static void clog_data(struct analyzer *an, struct stream *s, size_t len)
{
	uint64_t start = s->pos, end = s->pos + len;
	s->pos = end;
	if (!an->record_carriers)
		return;
	if (an->ip_fragmented && an->nfrag_frames && !an->seg_frame)
		for (unsigned i = 0; i < an->nfrag_frames; i++)
			clog_add(s, an->frag_frames[i], start, end);
	else
		clog_add(s, an->seg_frame ? an->seg_frame : an->frame, start, end);
}

static inline uint64_t cpos(const struct stream *s, const uint8_t *p)
{
	return s->cbase + (uint64_t)(p - s->cp0);
}

/* The analyzer's carrier list for the message at stream positions
 * [start, end); messages come in position order, so a cursor suffices. */
static void clog_select(struct analyzer *an, struct stream *s, const struct stream_conn_info *ci, uint64_t start,
			uint64_t end)
{
	an->ncarriers = 0;
	if (!an->record_carriers)
		return;
	for (int i = 0; ci->setup && i < 4; i++)
		if (ci->setup[i])
			analyzer_carrier(an, ci->setup[i]);
	while (s->ccur < s->nclog && s->clog[s->ccur].end <= start)
		s->ccur++;
	for (uint32_t i = s->ccur; i < s->nclog && s->clog[i].start < end; i++)
		if (s->clog[i].end > start)
			analyzer_carrier(an, s->clog[i].frame);
}

/* Forgets the frames whose bytes all come before position `keep`. */
static void clog_prune(struct stream *s, uint64_t keep)
{
	if (s->ws_in_msg && s->ws_start < keep)
		keep = s->ws_start;
	uint32_t k = 0;
	while (k < s->nclog && s->clog[k].end <= keep)
		k++;
	if (k) {
		memmove(s->clog, s->clog + k, (s->nclog - k) * sizeof *s->clog);
		s->nclog -= k;
	}
	s->ccur = 0;
}

static void endpoint_pair(const struct stream_conn_info *ci, char *a, char *b)
{
	endpoint_format(&ci->fm.src, a, ENDPOINT_STRLEN);
	endpoint_format(&ci->fm.dst, b, ENDPOINT_STRLEN);
}

static bool is_tls_record(const uint8_t *p, size_t len)
{
	/* ContentType 20..23, ProtocolVersion 3.0-3.4 (SSLv3..TLS 1.3) */
	return len >= 3 && p[0] >= 20 && p[0] <= 23 && p[1] == 3 && p[2] <= 4;
}

static bool is_http_request(const uint8_t *p, size_t len)
{
	static const char *const methods[] = { "GET ", "POST ", "OPTIONS ", "HEAD ", "PUT " };
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		size_t n = strlen(methods[i]);
		if (len >= n && memcmp(p, methods[i], n) == 0)
			return true;
	}
	return false;
}

/* Searches an HTTP head for a header value containing token (case-insensitive). */
static bool http_has(struct sv head, const char *name, const char *token)
{
	size_t pos = 0;
	while (pos < head.len) {
		const char *nl = memchr(head.p + pos, '\n', head.len - pos);
		size_t e = nl ? (size_t)(nl - head.p) : head.len;
		struct sv line = sv_make(head.p + pos, e - pos);
		ptrdiff_t colon = sv_find(line, ':');
		if (colon > 0 && sv_eq_cstr_ci(sv_trim(sv_make(line.p, (size_t)colon)), name)) {
			struct sv v = sv_make(line.p + colon + 1, line.len - (size_t)colon - 1);
			size_t tl = strlen(token);
			for (size_t i = 0; i + tl <= v.len; i++)
				if (sv_eq_ci(sv_make(v.p + i, tl), sv_make(token, tl)))
					return true;
		}
		pos = e + 1;
	}
	return false;
}

static ptrdiff_t find_head_end(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (p[i] == '\n' && p[i + 1] == '\n')
			return (ptrdiff_t)(i + 2);
		if (i + 3 < len && p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' && p[i + 3] == '\n')
			return (ptrdiff_t)(i + 4);
	}
	return -1;
}

/* WebSocket frame header (RFC 6455 §5.2). Returns header length, 0 when
 * more bytes are needed, -1 when invalid. */
static int ws_header(const uint8_t *p, size_t len, uint64_t *plen, bool *masked, const uint8_t **mask)
{
	if (len < 2)
		return 0;
	if (p[0] & 0x70)
		return -1; /* RSV bits without a negotiated extension */
	uint8_t op = p[0] & 0x0f;
	if (!(op <= 2 || (op >= 8 && op <= 10)))
		return -1;
	size_t h = 2;
	uint64_t n = p[1] & 0x7f;
	*masked = p[1] & 0x80;
	if (n == 126) {
		if (len < 4)
			return 0;
		n = rd_be16(p + 2);
		h = 4;
	} else if (n == 127) {
		if (len < 10)
			return 0;
		n = (uint64_t)rd_be32(p + 2) << 32 | rd_be32(p + 6);
		h = 10;
	}
	if (op >= 8 && n > 125)
		return -1; /* control frames are short */
	if (*masked) {
		if (len < h + 4)
			return 0;
		*mask = p + h;
		h += 4;
	}
	*plen = n;
	return (int)h;
}

/* Does p start a WebSocket frame whose payload begins a SIP message? Used to
 * pick up a WebSocket stream whose Upgrade was not captured. */
static bool ws_looks_like_sip(struct analyzer *an, const uint8_t *p, size_t len)
{
	if (len < 2 || (p[0] & 0x0f) > 2 || (p[0] & 0x0f) == 0)
		return false;
	uint64_t n;
	bool masked;
	const uint8_t *mask = NULL;
	int h = ws_header(p, len, &n, &masked, &mask);
	if (h <= 0 || n < 12)
		return false;
	size_t avail = len - (size_t)h < 64 ? len - (size_t)h : 64;
	if (avail > n)
		avail = (size_t)n;
	uint8_t *tmp = analyzer_scratch(an, avail);
	for (size_t i = 0; i < avail; i++)
		tmp[i] = masked ? p[h + i] ^ mask[i & 3] : p[h + i];
	return sip_looks_like_start((const char *)tmp, avail);
}

static void flowmeta_at(struct flowmeta *fm, const struct stream_conn_info *ci, uint64_t first)
{
	*fm = ci->fm;
	fm->first_frame = first;
}

/* "Content-Length: N" or "l: N" (a whole head line without its LF). */
static bool clen_line(const uint8_t *l, size_t n, uint64_t *v)
{
	size_t i;
	if (n >= 14 && strncasecmp((const char *)l, "content-length", 14) == 0)
		i = 14;
	else if (n >= 1 && (l[0] == 'l' || l[0] == 'L'))
		i = 1;
	else
		return false;
	while (i < n && (l[i] == ' ' || l[i] == '\t'))
		i++;
	if (i >= n || l[i++] != ':')
		return false;
	while (i < n && (l[i] == ' ' || l[i] == '\t'))
		i++;
	uint64_t x = 0;
	size_t d = 0;
	while (i < n && l[i] >= '0' && l[i] <= '9' && d < 11) {
		x = x * 10 + (uint64_t)(l[i++] - '0');
		d++;
	}
	while (i < n && (l[i] == ' ' || l[i] == '\t' || l[i] == '\r'))
		i++;
	if (!d || i != n || x > UINT32_MAX)
		return false;
	*v = x;
	return true;
}

/* SM_SKIP: the rest of an oversized message, nothing buffered. In its head,
 * line by line (keeping only each line's start) to the blank line, noting
 * the Content-Length; then that many body bytes. Returns bytes consumed:
 * all of them, or up to the message's end (the mode is then SM_SIP). */
static size_t consume_skip(struct stream *s, const uint8_t *p, size_t len)
{
	struct stream_skip *k = &s->skip;
	size_t i = 0;
	while (!k->in_body && i < len) {
		const uint8_t *nl = memchr(p + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - p) : len;
		size_t n = e - i, room = sizeof k->line - k->nline;
		if (n > room) {
			n = room;
			k->line_cut = true;
		}
		memcpy(k->line + k->nline, p + i, n);
		k->nline = (uint8_t)(k->nline + n);
		i = e;
		if (!nl)
			break;
		i++;
		size_t ll = k->nline;
		if (ll && k->line[ll - 1] == '\r')
			ll--;
		if (!k->line_cut && ll == 0) { /* the blank line: the head ends */
			k->in_body = true;
			k->left = k->have_clen ? k->clen : 0;
		} else if (!k->line_cut && !k->have_clen && clen_line(k->line, k->nline, &k->clen)) {
			k->have_clen = true;
		}
		k->nline = 0;
		k->line_cut = false;
	}
	if (k->in_body) {
		uint64_t take = k->left < len - i ? k->left : len - i;
		i += (size_t)take;
		k->left -= take;
		if (k->left == 0) {
			s->mode = SM_SIP;
			s->want = 0;
		}
	}
	k->skipped += i;
	return i;
}

/* A message too big to hold: its head runs past SIP_MAX_HEAD (body false),
 * or its Content-Length takes it past STREAM_MAX_PENDING (body true, want:
 * its whole length). Its first bytes are delivered as one malformed message
 * and the rest is skipped without being held (SM_SKIP), so the stream's
 * next message is framed as usual. */
static void start_skip(struct analyzer *an, struct stream *s, const struct stream_conn_info *ci, const uint8_t *p,
		       size_t avail, uint64_t first_frame, bool body, uint64_t want)
{
	size_t keep = avail < SIP_MAX_HEAD ? avail : SIP_MAX_HEAD;
	if (body && avail > keep) { /* the whole head, and the start of the body that came with it */
		keep = avail < 2 * (size_t)SIP_MAX_HEAD ? avail : 2 * (size_t)SIP_MAX_HEAD;
		if (keep > want)
			keep = (size_t)want;
	}
	struct flowmeta fm;
	flowmeta_at(&fm, ci, first_frame);
	clog_select(an, s, ci, cpos(s, p), cpos(s, p) + keep);
	sipframe_emit(an, &fm, p, keep, false, body ? "body longer than 4 MiB (not kept)" : NULL);
	an->ncarriers = 0;
	char a[ENDPOINT_STRLEN], b[ENDPOINT_STRLEN];
	endpoint_pair(ci, a, b);
	if (body)
		input_error(an->st, "frame %llu: TCP %s -> %s: SIP message of %llu bytes (by its Content-Length), over the 4 MiB a message may hold: kept as one malformed message without its body, which is skipped",
			    (unsigned long long)fm.first_frame, a, b, (unsigned long long)want);
	else
		input_error(an->st, "frame %llu: TCP %s -> %s: SIP message whose header section runs past 64 KiB: kept as one malformed message (its first 64 KiB), the rest skipped to its end",
			    (unsigned long long)fm.first_frame, a, b);
	memset(&s->skip, 0, sizeof s->skip);
	s->skip.in_body = body;
	s->skip.left = want;
	s->skip.frame = fm.first_frame;
	s->mode = SM_SKIP;
	s->want = 0;
}

/* Frames SIP messages from p; returns bytes consumed. */
static size_t consume_sip(struct analyzer *an, struct stream *s, const struct stream_conn_info *ci,
			  const uint8_t *p, size_t len, uint64_t first_frame)
{
	size_t off = 0;
	while (off < len) {
		if (s->mode == SM_SKIP) {
			off += consume_skip(s, p + off, len - off);
			if (s->mode == SM_SKIP)
				break;
			first_frame = an->frame;
			continue;
		}
		if (s->mode == SM_RESYNC) {
			ptrdiff_t st = sipframe_find_start(p + off, len - off);
			if (st < 0) {
				/* keep a short tail: a start line may straddle segments */
				size_t keep = len - off > 256 ? 256 : len - off;
				s->scanned += len - off - keep;
				if (s->scanned > RESYNC_SCAN_LIMIT) {
					s->mode = SM_IGNORE;
					return len;
				}
				return len - keep;
			}
			off += (size_t)st;
			s->mode = SM_SIP;
			s->scanned = 0;
		}
		off += sipframe_skip_crlf(p + off, len - off);
		if (off >= len)
			break;
		size_t mlen = 0, want = 0;
		bool no_clen = false;
		struct sip_msg *m = NULL;
		/* a head the last segment cut: its parse goes on where it stopped */
		uint64_t at = cpos(s, p + off);
		struct sip_head_state *hs = &an->head_state;
		if (an->head_owner != s || an->head_serial != s->serial || an->head_at != at)
			hs->pos = 0;
		enum frame_result r = sipframe_stream(p + off, len - off, &mlen, &want, &no_clen, &m, hs);
		an->head_owner = NULL;
		if (r == FRAME_PARTIAL && hs->pos) {
			if (!s->serial)
				s->serial = ++an->stream_serials;
			an->head_owner = s;
			an->head_serial = s->serial;
			an->head_at = at;
		}
		if (r == FRAME_TOO_LONG || (r == FRAME_PARTIAL && want > STREAM_MAX_PENDING)) {
			start_skip(an, s, ci, p + off, len - off, off == 0 ? first_frame : an->frame, r == FRAME_PARTIAL,
				   want);
			continue;
		}
		if (r == FRAME_PARTIAL) {
			s->want = want;
			break;
		}
		if (r == FRAME_NOT_SIP) {
			char a[ENDPOINT_STRLEN], b[ENDPOINT_STRLEN];
			endpoint_pair(ci, a, b);
			input_error(an->st, "frame %llu: TCP %s -> %s: bytes that are not SIP inside a SIP stream; resynchronising",
				    (unsigned long long)an->frame, a, b);
			s->mode = SM_RESYNC;
			off++; /* never match the same spot again */
			continue;
		}
		struct flowmeta fm;
		flowmeta_at(&fm, ci, off == 0 ? first_frame : an->frame);
		clog_select(an, s, ci, cpos(s, p + off), cpos(s, p + off) + mlen);
		const char *why = no_clen && ci->fm.transport != TRANSPORT_UDP ? "missing Content-Length on a stream transport"
									       : NULL;
		if (m)
			sipframe_deliver(an, &fm, m, why);
		else
			sipframe_emit(an, &fm, p + off, mlen, false, why);
		an->ncarriers = 0;
		off += mlen;
		s->want = 0;
	}
	return off;
}

static void ws_deliver(struct analyzer *an, const struct stream_conn_info *ci, const uint8_t *p, size_t len,
		       uint64_t first_frame)
{
	struct flowmeta fm;
	flowmeta_at(&fm, ci, first_frame);
	fm.transport = ci->fm.transport == TRANSPORT_TLS ? TRANSPORT_WSS : TRANSPORT_WS;
	sipframe_datagram(an, &fm, p, len);
}

static size_t consume_ws(struct analyzer *an, struct stream *s, const struct stream_conn_info *ci,
			 const uint8_t *p, size_t len, uint64_t first_frame)
{
	size_t off = 0;
	while (off < len) {
		if (s->mode == SM_RESYNC) {
			/* look for a frame header whose payload starts a SIP message */
			size_t i = off;
			while (i < len && !ws_looks_like_sip(an, p + i, len - i))
				i++;
			if (i >= len) {
				size_t keep = len - off > 16 ? 16 : len - off;
				s->scanned += len - off - keep;
				if (s->scanned > RESYNC_SCAN_LIMIT) {
					s->mode = SM_IGNORE;
					return len;
				}
				return len - keep;
			}
			off = i;
			s->mode = SM_WS;
			s->ws_in_msg = false;
			s->wslen = 0;
		}
		uint64_t n;
		bool masked;
		const uint8_t *mask = NULL;
		int h = ws_header(p + off, len - off, &n, &masked, &mask);
		if (h == 0)
			break;
		if (h < 0 || n > WS_MAX_MESSAGE) {
			char a[ENDPOINT_STRLEN], b[ENDPOINT_STRLEN];
			endpoint_pair(ci, a, b);
			input_error(an->st, "frame %llu: WebSocket %s -> %s: %s; resynchronising",
				    (unsigned long long)an->frame, a, b,
				    h < 0 ? "invalid frame header" : "frame longer than 4 MiB");
			s->mode = SM_RESYNC;
			off++;
			continue;
		}
		if (len - off < (size_t)h + n) {
			s->want = (size_t)h + (size_t)n;
			break;
		}
		uint8_t op = p[off] & 0x0f;
		bool fin = p[off] & 0x80;
		const uint8_t *pl = p + off + h;
		uint64_t frame_first = off == 0 ? first_frame : an->frame;
		if (op <= 2) {
			uint8_t *data = (uint8_t *)pl;
			if (masked) {
				data = analyzer_scratch(an, (size_t)n);
				for (size_t i = 0; i < n; i++)
					data[i] = pl[i] ^ mask[i & 3];
			}
			uint64_t wend = cpos(s, p + off) + (uint64_t)h + n;
			if (op != 0 && fin && !s->ws_in_msg) {
				clog_select(an, s, ci, cpos(s, p + off), wend);
				ws_deliver(an, ci, data, (size_t)n, frame_first);
				an->ncarriers = 0;
			} else if (op != 0 && !fin && !s->ws_in_msg) {
				s->ws_in_msg = true;
				s->wslen = 0;
				s->ws_first_frame = frame_first;
				s->ws_start = cpos(s, p + off);
			}
			if (s->ws_in_msg) {
				if (s->wslen + n > WS_MAX_MESSAGE) {
					input_error(an->st, "frame %llu: WebSocket message longer than 4 MiB dropped",
						    (unsigned long long)an->frame);
					s->ws_in_msg = false;
				} else {
					if (s->wslen + n > s->wscap) {
						s->wscap = (s->wslen + (size_t)n) * 2;
						s->wsmsg = xrealloc(s->wsmsg, s->wscap);
					}
					if (n) /* an empty fragment before any byte: wsmsg may be NULL */
						memcpy(s->wsmsg + s->wslen, data, (size_t)n);
					s->wslen += (size_t)n;
					if (fin) {
						s->ws_in_msg = false;
						clog_select(an, s, ci, s->ws_start, wend);
						ws_deliver(an, ci, s->wsmsg, s->wslen, s->ws_first_frame);
						an->ncarriers = 0;
					}
				}
			}
		}
		off += (size_t)h + (size_t)n;
		s->want = 0;
	}
	return off;
}

/* ---- TLS ---- */

/* Where a capture that began inside a TLS connection has whole records:
 * an application-data record header (type 23, version 3.x) whose record
 * ends the bytes or is followed by another record header. -1: none. */
static ptrdiff_t tls_find_records(const uint8_t *p, size_t len)
{
	size_t lim = len < 16384 + 5 ? len : 16384 + 5;
	for (size_t i = 0; i + 5 <= lim; i++) {
		if (p[i] != 23 || p[i + 1] != 3 || p[i + 2] > 4 || p[i + 2] == 0)
			continue;
		size_t n = (size_t)p[i + 3] << 8 | p[i + 4];
		if (n < 17 || n > 16384 + 256 || i + 5 + n > len)
			continue;
		size_t e = i + 5 + n;
		if (e == len || (e + 5 <= len && p[e] >= 20 && p[e] <= 24 && p[e + 1] == 3 && p[e + 2] == p[i + 2]))
			return (ptrdiff_t)i;
	}
	return -1;
}

static void tls_inner_info(const struct tls_flow *tf, const struct stream_conn_info *ci, struct stream_conn_info *ici)
{
	*ici = *ci;
	ici->fm.transport = TRANSPORT_TLS;
	ici->fm.tls_conn = tf->id;
	ici->tls = NULL; /* TLS inside TLS is not followed */
}

static void tls_begin(struct analyzer *an, struct stream *s, const struct stream_conn_info *ci)
{
	s->mode = SM_TLS;
	if (*ci->tls)
		return;
	struct tls_flow *tf = xcalloc(1, sizeof *tf);
	tls_conn_init(&tf->t, an->keylog, an->capture_keylog);
	if (!an->tls_cache)
		an->tls_cache = xcalloc(1, sizeof *an->tls_cache);
	tf->t.cache = an->tls_cache;
	/* one decryption buffer for every connection: memory per connection
	 * stays small however many are open */
	if (!an->tls_plain)
		an->tls_plain = xmalloc(TLS_RECORD_MAX);
	tf->t.plain = an->tls_plain;
	tf->t.plain_borrowed = true;
	tf->ep[ci->dir & 1] = ci->fm.src;
	tf->ep[!(ci->dir & 1)] = ci->fm.dst;
	tf->first_frame = tf->last_frame = an->frame;
	tf->id = ++an->tls_conns;
	*ci->tls = tf;
	an->st->tls_flows++;
}

struct tls_cb {
	struct analyzer *an;
	struct tls_flow *tf;
	const struct stream_conn_info *ci;
};

static void tls_plain(void *ud, int dir, const uint8_t *p, size_t len)
{
	struct tls_cb *x = ud;
	struct stream_conn_info ici;
	tls_inner_info(x->tf, x->ci, &ici);
	struct stream *in = &x->tf->inner[dir & 1];
	if (in->mode == SM_UNKNOWN && in->pos == 0)
		in->from_start = x->tf->t.client >= 0; /* the handshake was seen: these are the first bytes */
	stream_data(x->an, in, &ici, p, len);
}

static void tls_problem(void *ud, int dir, const char *what)
{
	struct tls_cb *x = ud;
	(void)dir;
	char a[ENDPOINT_STRLEN], b[ENDPOINT_STRLEN];
	endpoint_pair(x->ci, a, b);
	x->an->st->tls_bad_records++;
	input_error(x->an->st, "frame %llu: TLS %s -> %s: %s; the record is skipped", (unsigned long long)x->an->frame,
		    a, b, what);
}

static void tls_feed(struct analyzer *an, const struct stream_conn_info *ci, const uint8_t *p, size_t len)
{
	struct tls_flow *tf = *ci->tls;
	if (!tf)
		return;
	tf->last_frame = an->frame;
	if (an->record_carriers) {
		uint64_t f = an->seg_frame ? an->seg_frame : an->frame;
		if (!tf->nframes || tf->frames[tf->nframes - 1] != f) {
			if (tf->nframes == tf->frames_cap) {
				tf->frames_cap = tf->frames_cap ? tf->frames_cap * 2 : 64;
				tf->frames = xrealloc(tf->frames, tf->frames_cap * sizeof *tf->frames);
			}
			tf->frames[tf->nframes++] = f;
		}
	}
	struct tls_cb x = { an, tf, ci };
	tls_conn_data(&tf->t, ci->dir & 1, p, len, tls_plain, tls_problem, &x);
}

static void tls_gap(struct analyzer *an, const struct stream_conn_info *ci, uint64_t lost)
{
	struct tls_flow *tf = *ci->tls;
	if (!tf)
		return;
	int d = ci->dir & 1;
	if (tf->t.side[d].keyed && !tf->t.side[d].lost) {
		char a[ENDPOINT_STRLEN], b[ENDPOINT_STRLEN];
		endpoint_pair(ci, a, b);
		input_error(an->st, "frame %llu: TLS %s -> %s: %llu bytes missing from the capture; the rest of this direction cannot be decrypted",
			    (unsigned long long)an->frame, a, b, (unsigned long long)lost);
		struct stream_conn_info ici;
		tls_inner_info(tf, ci, &ici);
		stream_end(an, &tf->inner[d], &ici, "bytes lost");
	}
	tls_conn_gap(&tf->t, d, lost);
}

void stream_tls_free(struct tls_flow **tf)
{
	if (!*tf)
		return;
	tls_conn_release(&(*tf)->t);
	stream_release(&(*tf)->inner[0]);
	stream_release(&(*tf)->inner[1]);
	free((*tf)->frames);
	free(*tf);
	*tf = NULL;
}

void stream_tls_end(struct analyzer *an, struct tls_flow **tfp, const uint64_t *setup)
{
	struct tls_flow *tf = *tfp;
	if (!tf)
		return;
	if (an->record_carriers && an->tls_conn_sink) {
		/* the SYNs first: a reader follows the connection from its start */
		for (int i = 1; i >= 0; i--)
			if (setup && setup[i] && (!tf->nframes || setup[i] < tf->frames[0])) {
				if (tf->nframes == tf->frames_cap) {
					tf->frames_cap = tf->frames_cap ? tf->frames_cap * 2 : 64;
					tf->frames = xrealloc(tf->frames, tf->frames_cap * sizeof *tf->frames);
				}
				memmove(tf->frames + 1, tf->frames, tf->nframes * sizeof *tf->frames);
				tf->frames[0] = setup[i];
				tf->nframes++;
			}
		char sec[1024];
		size_t sl = tls_conn_secrets(&tf->t, sec, sizeof sec);
		an->tls_conn_sink(an->tls_conn_ud, an->input, tf->id, tf->frames, tf->nframes, sl ? sec : "", sl);
	}
	struct input_stats *st = an->st;
	const struct tls_conn *t = &tf->t;
	unsigned status = t->status;
	if (status >= TLS_OUTCOMES)
		status = TLS_ST_NOT_TLS;
	st->tls_by_status[status]++;
	if (t->key_found)
		st->tls_keyed++;
	bool whole = status == TLS_ST_DECRYPTING && !t->side[0].lost && !t->side[1].lost;
	if (whole)
		st->tls_decrypted++;
	else if (t->decrypted)
		st->tls_partial++;
	if (!whole) {
		if (st->ntls_notes >= TLS_MAX_NOTES) {
			st->tls_notes_dropped++;
		} else {
			if (!st->tls_notes)
				st->tls_notes = xcalloc(TLS_MAX_NOTES, sizeof *st->tls_notes);
			struct tls_note *n = &st->tls_notes[st->ntls_notes++];
			memset(n, 0, sizeof *n);
			int c = t->client >= 0 ? t->client : 0;
			n->client = tf->ep[c];
			n->server = tf->ep[!c];
			n->first_frame = tf->first_frame;
			n->last_frame = tf->last_frame;
			n->status = (uint8_t)status;
			n->partial = t->decrypted > 0;
			n->lost = t->side[0].lost || t->side[1].lost;
			n->have_random = t->have_ch;
			if (t->have_ch)
				memcpy(n->client_random, t->ch.random, 32);
			if (t->have_sh) {
				n->suite = t->sh.suite;
				n->version = t->sh.version;
			}
			n->records = t->records;
			n->decrypted = t->decrypted;
		}
	}
	stream_tls_free(tfp);
}

/* Decides what a direction carries from its first bytes. Returns bytes of
 * an HTTP Upgrade head consumed, or -1 when more bytes are needed. */
static ptrdiff_t detect(struct analyzer *an, struct stream *s, const struct stream_conn_info *ci,
			const uint8_t *p, size_t len)
{
	size_t k = sipframe_skip_crlf(p, len);
	if (k == len)
		return (ptrdiff_t)len; /* keep-alives only so far */
	if (ci->tls && is_tls_record(p, len)) {
		tls_begin(an, s, ci);
		return 0;
	}
	if (is_http_request(p, len) || (len >= 7 && memcmp(p, "HTTP/1.", 7) == 0)) {
		ptrdiff_t he = find_head_end(p, len);
		if (he < 0)
			return len > HTTP_MAX_HEAD ? (s->mode = SM_IGNORE, 0) : -1;
		struct sv head = sv_make((const char *)p, (size_t)he);
		bool up = p[0] == 'H' ? he > 12 && memcmp(p + 9, "101", 3) == 0
				      : http_has(head, "Upgrade", "websocket");
		if (up) {
			s->mode = SM_WS;
			if (an->record_carriers && ci->setup)
				ci->setup[p[0] == 'H' ? 3 : 2] = an->frame;
			return he;
		}
		s->mode = SM_IGNORE;
		return 0;
	}
	if (sip_looks_like_start((const char *)p + k, len - k)) {
		s->mode = SM_SIP;
		return 0;
	}
	if (!memchr(p + k, '\n', len - k) && sip_start_prefix_plausible((const char *)p + k, len - k))
		return -1; /* the start line is still arriving */
	if (ws_looks_like_sip(an, p, len)) {
		s->mode = SM_WS;
		return 0;
	}
	/* Mid-stream: the capture may have begun inside a message, or
	 * inside a TLS connection. */
	ptrdiff_t t = ci->tls && !s->from_start ? tls_find_records(p, len) : -1;
	if (t >= 0) {
		tls_begin(an, s, ci);
		return t;
	}
	s->mode = s->from_start ? SM_IGNORE : SM_RESYNC;
	s->ws_capable = s->tls_capable = !s->from_start;
	return 0;
}

static size_t process(struct analyzer *an, struct stream *s, const struct stream_conn_info *ci,
		      const uint8_t *p, size_t len, uint64_t first_frame)
{
	size_t off = 0;
	for (;;) {
		if (s->mode == SM_UNKNOWN) {
			ptrdiff_t d = detect(an, s, ci, p + off, len - off);
			if (d < 0)
				return off;
			off += (size_t)d;
			if (s->mode == SM_UNKNOWN)
				return off;
			first_frame = an->frame;
		}
		switch (s->mode) {
		case SM_SIP:
		case SM_SKIP:
			return off + consume_sip(an, s, ci, p + off, len - off, first_frame);
		case SM_RESYNC: {
			/* A capture that began inside a TLS connection, the first
			 * segment not starting a record. */
			if (s->tls_capable && ci->tls) {
				ptrdiff_t t = tls_find_records(p + off, len - off);
				if (t >= 0) {
					tls_begin(an, s, ci);
					off += (size_t)t;
					continue;
				}
			}
			/* A WebSocket stream after a gap: unmasked frames carry SIP
			 * as plain text, which must not be framed as bare SIP. */
			if (s->ws_capable && off < len && ws_looks_like_sip(an, p + off, len - off)) {
				s->mode = SM_WS;
				continue;
			}
			size_t before = off;
			off += consume_sip(an, s, ci, p + off, len - off, first_frame);
			if (s->mode == SM_RESYNC && s->ws_capable && off == before) {
				/* also try WebSocket frames on a mid-stream start */
				size_t i = off;
				while (i < len && !ws_looks_like_sip(an, p + i, len - i))
					i++;
				if (i < len) {
					s->mode = SM_WS;
					off = i;
					continue;
				}
			}
			return off;
		}
		case SM_WS:
			return off + consume_ws(an, s, ci, p + off, len - off, first_frame);
		case SM_TLS:
			tls_feed(an, ci, p + off, len - off);
			return len;
		default:
			return len; /* TLS, other: discard */
		}
	}
}

void stream_data(struct analyzer *an, struct stream *s, const struct stream_conn_info *ci,
		 const uint8_t *p, size_t len)
{
	if (s->mode == SM_IGNORE || len == 0)
		return;
	if (s->mode == SM_TLS) {
		tls_feed(an, ci, p, len);
		return;
	}
	uint64_t at = s->pos;
	clog_data(an, s, len);
	if (s->len == 0) {
		s->cbase = at;
		s->cp0 = p;
		size_t used = process(an, s, ci, p, len, an->frame);
		if (an->record_carriers)
			clog_prune(s, at + used);
		if (used < len) {
			size_t rest = len - used;
			if (rest > s->cap) {
				s->cap = rest < 4096 ? 4096 : rest * 2;
				s->buf = xrealloc(s->buf, s->cap);
			}
			memcpy(s->buf, p + used, rest);
			s->len = rest;
			s->buf_first_frame = an->frame;
		}
		return;
	}
	if (s->len + len > STREAM_MAX_PENDING) {
		char a[ENDPOINT_STRLEN], b[ENDPOINT_STRLEN];
		endpoint_pair(ci, a, b);
		input_error(an->st, "frame %llu: TCP %s -> %s: unfinished message over %u bytes dropped (per-stream cap); resynchronising",
			    (unsigned long long)an->frame, a, b, STREAM_MAX_PENDING);
		an->st->tcp_capped++;
		an->st->tcp_partial_messages++;
		s->len = 0;
		s->want = 0;
		s->mode = s->mode == SM_WS ? SM_RESYNC : (s->mode == SM_UNKNOWN ? SM_IGNORE : SM_RESYNC);
		s->pos = at; /* logged again by the call below */
		s->nclog = 0;
		s->ccur = 0;
		stream_data(an, s, ci, p, len);
		return;
	}
	if (s->len + len > s->cap) {
		s->cap = (s->len + len) * 2;
		s->buf = xrealloc(s->buf, s->cap);
	}
	memcpy(s->buf + s->len, p, len);
	s->len += len;
	if (s->want && s->len < s->want)
		return; /* still short of the announced length: don't re-parse */
	s->cbase = s->pos - s->len;
	s->cp0 = s->buf;
	size_t used = process(an, s, ci, s->buf, s->len, s->buf_first_frame);
	if (used) {
		memmove(s->buf, s->buf + used, s->len - used);
		s->len -= used;
		s->buf_first_frame = an->frame;
	}
	if (an->record_carriers)
		clog_prune(s, s->pos - s->len);
}

static bool pending_is_message(const struct stream *s)
{
	if (s->len == 0)
		return false;
	if (s->mode == SM_WS)
		return true;
	if (s->mode != SM_SIP)
		return false;
	return sipframe_skip_crlf(s->buf, s->len) < s->len;
}

void stream_gap(struct analyzer *an, struct stream *s, const struct stream_conn_info *ci, uint64_t lost)
{
	char a[ENDPOINT_STRLEN], b[ENDPOINT_STRLEN];
	endpoint_pair(ci, a, b);
	an->st->tcp_gaps++;
	an->st->tcp_gap_bytes += lost;
	if (s->mode == SM_TLS) {
		tls_gap(an, ci, lost);
		return;
	}
	if (s->mode == SM_IGNORE)
		return;
	bool partial = pending_is_message(s) || (s->mode == SM_WS && s->ws_in_msg) || s->mode == SM_SKIP;
	if (partial)
		an->st->tcp_partial_messages++;
	input_error(an->st, "frame %llu: TCP %s -> %s: %llu bytes missing from the capture%s; resynchronising on the next SIP message",
		    (unsigned long long)an->frame, a, b, (unsigned long long)lost,
		    partial ? ", a SIP message was cut" : "");
	s->len = 0;
	s->want = 0;
	s->ws_in_msg = false;
	s->nclog = 0;
	s->ccur = 0;
	s->ws_capable = s->ws_capable || s->mode == SM_WS;
	if (s->mode != SM_UNKNOWN)
		s->mode = SM_RESYNC;
	s->from_start = false;
}

void stream_end(struct analyzer *an, struct stream *s, const struct stream_conn_info *ci, const char *how)
{
	if (s->mode == SM_TLS && ci->tls && *ci->tls) {
		struct stream_conn_info ici;
		tls_inner_info(*ci->tls, ci, &ici);
		stream_end(an, &(*ci->tls)->inner[ci->dir & 1], &ici, how);
	}
	if (s->mode == SM_SKIP) {
		char a[ENDPOINT_STRLEN], b[ENDPOINT_STRLEN];
		endpoint_pair(ci, a, b);
		an->st->tcp_partial_messages++;
		if (s->skip.in_body)
			input_error(an->st, "frame %llu: TCP %s -> %s: %s inside the oversized SIP message begun there (%llu bytes skipped, %llu more announced)",
				    (unsigned long long)s->skip.frame, a, b, how, (unsigned long long)s->skip.skipped,
				    (unsigned long long)s->skip.left);
		else
			input_error(an->st, "frame %llu: TCP %s -> %s: %s inside the oversized SIP message begun there (%llu bytes skipped, its header section never ended)",
				    (unsigned long long)s->skip.frame, a, b, how, (unsigned long long)s->skip.skipped);
		s->mode = SM_SIP;
	}
	if (pending_is_message(s) || (s->mode == SM_WS && s->ws_in_msg)) {
		char a[ENDPOINT_STRLEN], b[ENDPOINT_STRLEN];
		endpoint_pair(ci, a, b);
		an->st->tcp_partial_messages++;
		input_error(an->st, "frame %llu: TCP %s -> %s: %s inside a SIP message (%zu bytes pending%s)",
			    (unsigned long long)s->buf_first_frame, a, b, how, s->len,
			    s->want ? "" : ", length unknown");
	}
	s->len = 0;
	s->want = 0;
}

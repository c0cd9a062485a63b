/* export.c - --write, --split, --with-linked and the audio pass: the frames
 * of the selected calls read again from the inputs and copied out (see
 * export.h). pcap is written with nanosecond timestamps (magic a1b23c4d,
 * as libpcap, tshark and sngrep read it); pcapng (one interface per link
 * type, if_tsresol 9) when the frames of one file span link types. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../analyzer/xalloc.h"
#include "audio.h"
#include "export.h"

#define OPEN_MAX_FILES 64 /* --split: open output files at once (LRU) */
#define RTCP_BEFORE_NS 2000000000LL  /* RTCP of a stream: this long before its first RTP packet */
#define RTCP_AFTER_NS 15000000000LL  /* and after its last (a report interval or two, the BYE) */
#define NONE UINT32_MAX

struct rec {
	uint64_t seq;
	uint32_t input;
	bool selected;
	int32_t audio;   /* audio handle, -1 */
	uint32_t parent; /* union-find over linked legs */
	uint32_t out;    /* output of the plan being run, NONE */
	char *name;      /* "<number>-<Call-ID made safe>" */
};

struct sipf {
	uint64_t frame;
	uint32_t input;
	uint32_t rec; /* then, in the plan, the output */
};

struct strm {
	struct endpoint src, dst;
	uint32_t ssrc, input, rec, idx;
	int32_t audio;
	uint64_t first, last;
	int64_t start_ns, end_ns;
	uint32_t next; /* hash chain */
};

/* An RTCP flow that may carry reports about a stream (both directions, on
 * the next ports or on the RTP ports themselves, RFC 3550 §11, RFC 5761). */
struct rtcpk {
	struct endpoint src, dst;
	uint32_t strm, next;
};

/* A TLS connection (analyzer_set_tls_conn_sink): its frames, sorted, and
 * the key log lines that decrypt it. */
struct tconn {
	uint32_t input;
	uint64_t *frames;
	size_t n;
	char *secrets; /* NULL: none */
};

/* A selected call's messages decrypted from TLS connection `conn`, the
 * last one at frame `upto`: the connection is written up to there. */
struct tref {
	uint32_t conn, rec; /* in the plan: rec is the output, rec0 a call written to it */
	uint64_t upto;
	uint32_t rec0;
};

struct out {
	char *path;
	bool pcapng, stdout_;
	int lts[INPUT_MAX_LINKTYPES]; /* link types it may hold (pcapng: interface i) */
	unsigned nlts;
	FILE *fp;
	bool created, failed;
	uint32_t lru_prev, lru_next;
	uint32_t last_input;
	uint64_t last_frame;
	uint64_t sip_frames, media_frames, calls;
	char legs[96];
	char *secrets;          /* key log lines for a Decryption Secrets Block (pcapng), or NULL */
	size_t secrets_len;
};

struct export {
	struct export_opts o;
	struct rec *recs;
	size_t nrecs, recs_cap;
	uint32_t *rec_of_seq; /* seq -> rec (with --with-linked / all calls) */
	size_t nseq;
	uint64_t (*links)[2]; /* pairs of seqs */
	size_t nlinks, links_cap;
	struct sipf *sipf;
	size_t nsipf, sipf_cap;
	struct strm *strms;
	size_t nstrms, strms_cap;
	struct tconn *tconns;  /* by connection number - 1 */
	size_t ntconns;
	struct tref *trefs;
	size_t ntrefs, trefs_cap;
	struct tref *ptrefs;   /* the plan's: per (output, connection) */
	size_t nptrefs;

	/* The plan being run */
	struct out *outs;
	size_t nouts;
	struct sipf *plan;     /* frames to copy, by (input, frame) */
	size_t nplan, pcur;
	uint32_t *rtp_bucket, *rtcp_bucket;
	size_t nbuckets;
	struct rtcpk *rtcpk;
	size_t nrtcpk;
	uint32_t lru_head, lru_tail; /* most recent first */
	unsigned nopen;
	bool failed;
	uint64_t media_frag_skipped;

	/* Pass 2: the frame being read */
	uint32_t input;
	uint64_t frame;
	int64_t ts_sec;
	uint32_t ts_nsec;
	int linktype;
	const uint8_t *data;
	uint32_t caplen, wirelen;
	uint32_t *want;
	size_t nwant, want_cap;
};

void export_safe_name(const char *id, size_t len, char *out, size_t max)
{
	size_t k = 0;
	for (size_t i = 0; i < len && k + 1 < max; i++) {
		unsigned char ch = (unsigned char)id[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
			  ch == '_' || ch == '-' || ch == '@' || ch == '+';
		out[k++] = ok ? (char)ch : '_';
	}
	if (k == 0 && max > 1)
		out[k++] = '_';
	if (k && out[0] == '.') /* never a hidden file, never ".." */
		out[0] = '_';
	out[k < max ? k : max - 1] = 0;
}

struct export *export_new(const struct export_opts *o)
{
	struct export *x = xcalloc(1, sizeof *x);
	x->o = *o;
	return x;
}

bool export_needs_carriers(const struct export *x)
{
	return x->o.write || x->o.split_dir || x->o.all_calls;
}

static bool keep_all(const struct export *x)
{
	return x->o.with_linked || x->o.all_calls;
}

static void add_tref(struct export *x, uint32_t conn, uint32_t r, uint64_t frame)
{
	/* a call's messages come together: one entry per (call, connection) */
	for (size_t i = x->ntrefs; i-- > 0 && x->trefs[i].rec == r;)
		if (x->trefs[i].conn == conn) {
			if (frame > x->trefs[i].upto)
				x->trefs[i].upto = frame;
			return;
		}
	if (x->ntrefs == x->trefs_cap) {
		x->trefs_cap = x->trefs_cap ? x->trefs_cap * 2 : 64;
		x->trefs = xrealloc(x->trefs, x->trefs_cap * sizeof *x->trefs);
	}
	x->trefs[x->ntrefs++] = (struct tref){ conn, r, frame, r };
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t p = *(const uint64_t *)a, q = *(const uint64_t *)b;
	return p < q ? -1 : p > q;
}

void export_tls_conn(struct export *x, uint32_t input, uint32_t conn, const uint64_t *frames, size_t n,
		     const char *secrets, size_t slen)
{
	if (!conn)
		return;
	if (conn > x->ntconns) {
		size_t m = x->ntconns ? x->ntconns : 16;
		while (m < conn)
			m *= 2;
		x->tconns = xrealloc(x->tconns, m * sizeof *x->tconns);
		memset(x->tconns + x->ntconns, 0, (m - x->ntconns) * sizeof *x->tconns);
		x->ntconns = m;
	}
	struct tconn *t = &x->tconns[conn - 1];
	free(t->frames);
	free(t->secrets);
	t->input = input;
	t->frames = xmalloc((n ? n : 1) * sizeof *t->frames);
	memcpy(t->frames, frames, n * sizeof *t->frames);
	qsort(t->frames, n, sizeof *t->frames, cmp_u64);
	t->n = n;
	t->secrets = NULL;
	if (slen) {
		t->secrets = xmalloc(slen + 1);
		memcpy(t->secrets, secrets, slen);
		t->secrets[slen] = 0;
	}
}

void export_call(struct export *x, const struct call *c, bool selected)
{
	bool frames = export_needs_carriers(x);
	if (!selected && !keep_all(x))
		return;
	if (!frames && !x->o.audio)
		return;
	int32_t audio = -1;
	if (selected && x->o.audio)
		audio = audio_add_call(x->o.audio, c);
	if (!frames && audio < 0)
		return;
	if (x->nrecs == x->recs_cap) {
		x->recs_cap = x->recs_cap ? x->recs_cap * 2 : 256;
		x->recs = xrealloc(x->recs, x->recs_cap * sizeof *x->recs);
	}
	uint32_t r = (uint32_t)x->nrecs++;
	struct rec *R = &x->recs[r];
	char safe[96], name[128];
	export_safe_name(c->call_id, c->call_id_len, safe, sizeof safe);
	snprintf(name, sizeof name, "%llu-%s", (unsigned long long)(c->seq + 1), safe);
	*R = (struct rec){ .seq = c->seq, .input = c->input, .selected = selected, .audio = audio, .parent = r,
			   .out = NONE, .name = xstrdup(name) };
	if (keep_all(x)) {
		if (c->seq >= x->nseq) {
			size_t n = x->nseq ? x->nseq : 1024;
			while (n <= c->seq)
				n *= 2;
			x->rec_of_seq = xrealloc(x->rec_of_seq, n * sizeof *x->rec_of_seq);
			for (size_t i = x->nseq; i < n; i++)
				x->rec_of_seq[i] = NONE;
			x->nseq = n;
		}
		x->rec_of_seq[c->seq] = r;
		for (uint32_t i = 0; i < c->nlinks; i++) {
			if (x->nlinks == x->links_cap) {
				x->links_cap = x->links_cap ? x->links_cap * 2 : 64;
				x->links = xrealloc(x->links, x->links_cap * sizeof *x->links);
			}
			x->links[x->nlinks][0] = c->seq;
			x->links[x->nlinks][1] = c->links[i].peer_seq;
			x->nlinks++;
		}
	}
	if (frames) {
		for (uint32_t i = 0; i < c->nmsgs; i++) {
			const struct sip_msg *m = c->msgs[i].m;
			uint32_t n = m->ncarriers ? m->ncarriers : 1;
			if (x->nsipf + n > x->sipf_cap) {
				x->sipf_cap = x->sipf_cap ? x->sipf_cap * 2 : 1024;
				while (x->nsipf + n > x->sipf_cap)
					x->sipf_cap *= 2;
				x->sipf = xrealloc(x->sipf, x->sipf_cap * sizeof *x->sipf);
			}
			for (uint32_t k = 0; k < n; k++)
				x->sipf[x->nsipf++] = (struct sipf){ m->ncarriers ? m->carriers[k] : m->frame, c->input, r };
			if (m->tls_conn)
				add_tref(x, m->tls_conn, r, m->frame);
		}
	}
	for (uint32_t i = 0; i < c->nmedia; i++) {
		const struct media_stream *s = &c->media[i];
		if (x->nstrms == x->strms_cap) {
			x->strms_cap = x->strms_cap ? x->strms_cap * 2 : 256;
			x->strms = xrealloc(x->strms, x->strms_cap * sizeof *x->strms);
		}
		x->strms[x->nstrms++] = (struct strm){ .src = s->src, .dst = s->dst, .ssrc = s->ssrc, .input = c->input,
						       .rec = r, .idx = i, .audio = audio, .first = s->first_frame,
						       .last = s->last_frame, .start_ns = s->start_ns,
						       .end_ns = s->end_ns, .next = NONE };
	}
}

/* ---- linked legs ---- */

static uint32_t find(struct export *x, uint32_t r)
{
	while (x->recs[r].parent != r) {
		x->recs[r].parent = x->recs[x->recs[r].parent].parent;
		r = x->recs[r].parent;
	}
	return r;
}

static void join_links(struct export *x)
{
	for (size_t i = 0; i < x->nrecs; i++)
		x->recs[i].parent = (uint32_t)i;
	for (size_t i = 0; i < x->nlinks; i++) {
		uint64_t a = x->links[i][0], b = x->links[i][1];
		if (a >= x->nseq || b >= x->nseq || x->rec_of_seq[a] == NONE || x->rec_of_seq[b] == NONE)
			continue;
		uint32_t ra = find(x, x->rec_of_seq[a]), rb = find(x, x->rec_of_seq[b]);
		if (ra != rb) /* the older leg stands for the set */
			x->recs[ra < rb ? rb : ra].parent = ra < rb ? ra : rb;
	}
}

/* ---- output files ---- */

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static bool write_header(struct out *o)
{
	uint8_t b[256];
	if (!o->pcapng) {
		put32(b, 0xa1b23c4d); /* nanosecond pcap, host byte order */
		put16(b + 4, 2);
		put16(b + 6, 4);
		put32(b + 8, 0);
		put32(b + 12, 0);
		put32(b + 16, 262144);
		put32(b + 20, (uint32_t)(o->nlts ? o->lts[0] : 1));
		return fwrite(b, 24, 1, o->fp) == 1;
	}
	/* Section Header Block */
	put32(b, 0x0A0D0D0A);
	put32(b + 4, 28);
	put32(b + 8, 0x1A2B3C4D);
	put16(b + 12, 1);
	put16(b + 14, 0);
	put32(b + 16, 0xffffffff);
	put32(b + 20, 0xffffffff);
	put32(b + 24, 28);
	if (fwrite(b, 28, 1, o->fp) != 1)
		return false;
	if (o->secrets_len) { /* Decryption Secrets Block: the TLS key log of the connections written */
		uint32_t pad = (4 - (o->secrets_len & 3)) & 3, blen = (uint32_t)(20 + o->secrets_len + pad);
		static const uint8_t zero[4];
		put32(b, 10);
		put32(b + 4, blen);
		put32(b + 8, 0x544c534b);
		put32(b + 12, (uint32_t)o->secrets_len);
		if (fwrite(b, 16, 1, o->fp) != 1 || fwrite(o->secrets, o->secrets_len, 1, o->fp) != 1 ||
		    (pad && fwrite(zero, pad, 1, o->fp) != 1))
			return false;
		put32(b, blen);
		if (fwrite(b, 4, 1, o->fp) != 1)
			return false;
	}
	for (unsigned i = 0; i < o->nlts; i++) { /* an Interface Description Block per link type */
		put32(b, 1);
		put32(b + 4, 32);
		put16(b + 8, (uint16_t)o->lts[i]);
		put16(b + 10, 0);
		put32(b + 12, 262144);
		put16(b + 16, 9); /* if_tsresol: nanoseconds */
		put16(b + 18, 1);
		b[20] = 9;
		b[21] = b[22] = b[23] = 0;
		put32(b + 24, 0); /* opt_endofopt */
		put32(b + 28, 32);
		if (fwrite(b, 32, 1, o->fp) != 1)
			return false;
	}
	return true;
}

static void lru_unlink(struct export *x, uint32_t i)
{
	struct out *o = &x->outs[i];
	if (o->lru_prev != NONE)
		x->outs[o->lru_prev].lru_next = o->lru_next;
	else
		x->lru_head = o->lru_next;
	if (o->lru_next != NONE)
		x->outs[o->lru_next].lru_prev = o->lru_prev;
	else
		x->lru_tail = o->lru_prev;
	o->lru_prev = o->lru_next = NONE;
}

static void lru_front(struct export *x, uint32_t i)
{
	struct out *o = &x->outs[i];
	o->lru_prev = NONE;
	o->lru_next = x->lru_head;
	if (x->lru_head != NONE)
		x->outs[x->lru_head].lru_prev = i;
	x->lru_head = i;
	if (x->lru_tail == NONE)
		x->lru_tail = i;
}

static void out_fail(struct export *x, struct out *o, const char *what)
{
	if (!o->failed)
		fprintf(stderr, "sipaudit: error: %s %s: %s\n", what, o->stdout_ ? "standard output" : o->path,
			strerror(errno ? errno : EIO));
	o->failed = true;
	x->failed = true;
}

static bool out_close(struct export *x, uint32_t i)
{
	struct out *o = &x->outs[i];
	if (!o->fp)
		return true;
	lru_unlink(x, i);
	x->nopen--;
	errno = 0;
	bool ok = !ferror(o->fp);
	if (o->stdout_) {
		if (fflush(o->fp) != 0)
			ok = false;
	} else if (fclose(o->fp) != 0) {
		ok = false;
	}
	o->fp = NULL;
	if (!ok)
		out_fail(x, o, "writing");
	return ok;
}

static FILE *out_file(struct export *x, uint32_t i)
{
	struct out *o = &x->outs[i];
	if (o->failed)
		return NULL;
	if (o->fp) {
		if (x->lru_head != i) {
			lru_unlink(x, i);
			lru_front(x, i);
		}
		return o->fp;
	}
	if (x->nopen >= OPEN_MAX_FILES && x->lru_tail != NONE)
		out_close(x, x->lru_tail);
	errno = 0;
	if (o->stdout_)
		o->fp = stdout;
	else
		o->fp = fopen(o->path, o->created ? "ab" : "wb");
	if (!o->fp) {
		out_fail(x, o, "cannot write");
		return NULL;
	}
	x->nopen++;
	lru_front(x, i);
	if (!o->created) {
		o->created = true;
		if (!write_header(o)) {
			out_fail(x, o, "writing");
			return NULL;
		}
	}
	return o->fp;
}

/* The current frame to output i (once per frame). */
static void emit(struct export *x, uint32_t i, bool media)
{
	struct out *o = &x->outs[i];
	if (o->last_input == x->input && o->last_frame == x->frame)
		return;
	o->last_input = x->input;
	o->last_frame = x->frame;
	FILE *fp = out_file(x, i);
	if (!fp)
		return;
	if (media)
		o->media_frames++;
	else
		o->sip_frames++;
	uint8_t h[32];
	int64_t sec = x->ts_sec;
	uint32_t nsec = x->ts_nsec > 999999999u ? 999999999u : x->ts_nsec;
	bool ok;
	if (!o->pcapng) {
		if (sec < 0)
			sec = 0, nsec = 0;
		if (sec > UINT32_MAX)
			sec = UINT32_MAX;
		put32(h, (uint32_t)sec);
		put32(h + 4, nsec);
		put32(h + 8, x->caplen);
		put32(h + 12, x->wirelen < x->caplen ? x->caplen : x->wirelen);
		ok = fwrite(h, 16, 1, fp) == 1 && (x->caplen == 0 || fwrite(x->data, x->caplen, 1, fp) == 1);
	} else {
		unsigned ifid = 0;
		for (unsigned k = 0; k < o->nlts; k++)
			if (o->lts[k] == x->linktype)
				ifid = k;
		uint64_t ts = sec < 0 ? 0 : (uint64_t)sec * 1000000000ull + nsec;
		uint32_t pad = (4 - (x->caplen & 3)) & 3;
		uint32_t blen = 32 + x->caplen + pad;
		put32(h, 6);
		put32(h + 4, blen);
		put32(h + 8, ifid);
		put32(h + 12, (uint32_t)(ts >> 32));
		put32(h + 16, (uint32_t)ts);
		put32(h + 20, x->caplen);
		put32(h + 24, x->wirelen < x->caplen ? x->caplen : x->wirelen);
		static const uint8_t zero[4];
		ok = fwrite(h, 28, 1, fp) == 1 && (x->caplen == 0 || fwrite(x->data, x->caplen, 1, fp) == 1) &&
		     (pad == 0 || fwrite(zero, pad, 1, fp) == 1);
		put32(h, blen);
		ok = ok && fwrite(h, 4, 1, fp) == 1;
	}
	if (!ok)
		out_fail(x, o, "writing");
}

/* ---- stream lookup ---- */

static uint32_t ep_hash(uint32_t h, const struct endpoint *e)
{
	const uint8_t *p = e->ip;
	for (int i = 0; i < 16; i++)
		h = (h ^ p[i]) * 16777619u;
	h = (h ^ (e->port & 0xff)) * 16777619u;
	h = (h ^ (e->port >> 8)) * 16777619u;
	return (h ^ e->family) * 16777619u;
}

static size_t key_hash(const struct export *x, uint32_t input, const struct endpoint *a, const struct endpoint *b,
		       uint32_t ssrc)
{
	uint32_t h = 2166136261u ^ input;
	h = ep_hash(h, a);
	h = ep_hash(h, b);
	h = (h ^ ssrc) * 16777619u;
	return h & (x->nbuckets - 1);
}

static bool ep_same(const struct endpoint *a, const struct endpoint *b)
{
	return a->family == b->family && a->port == b->port && memcmp(a->ip, b->ip, 16) == 0;
}

static void add_rtcpk(struct export *x, uint32_t s, struct endpoint src, struct endpoint dst)
{
	struct rtcpk *k = &x->rtcpk[x->nrtcpk];
	for (size_t i = x->nrtcpk; i-- > 0 && x->rtcpk[i].strm == s;)
		if (ep_same(&x->rtcpk[i].src, &src) && ep_same(&x->rtcpk[i].dst, &dst))
			return;
	k->src = src;
	k->dst = dst;
	k->strm = s;
	size_t b = key_hash(x, x->strms[s].input, &src, &dst, 0);
	k->next = x->rtcp_bucket[b];
	x->rtcp_bucket[b] = (uint32_t)x->nrtcpk++;
}

static void index_streams(struct export *x)
{
	size_t n = 64;
	while (n < x->nstrms * 2)
		n *= 2;
	x->nbuckets = n;
	x->rtp_bucket = xmalloc(n * sizeof *x->rtp_bucket);
	x->rtcp_bucket = xmalloc(n * sizeof *x->rtcp_bucket);
	for (size_t i = 0; i < n; i++)
		x->rtp_bucket[i] = x->rtcp_bucket[i] = NONE;
	x->rtcpk = xmalloc((x->nstrms * 4 + 1) * sizeof *x->rtcpk);
	x->nrtcpk = 0;
	for (size_t i = 0; i < x->nstrms; i++) {
		struct strm *s = &x->strms[i];
		const struct rec *R = &x->recs[s->rec];
		if (R->out == NONE && s->audio < 0)
			continue;
		size_t b = key_hash(x, s->input, &s->src, &s->dst, s->ssrc);
		s->next = x->rtp_bucket[b];
		x->rtp_bucket[b] = (uint32_t)i;
		if (R->out == NONE)
			continue;
		struct endpoint a = s->src, d = s->dst, a1 = a, d1 = d;
		a1.port = (uint16_t)(a.port + 1);
		d1.port = (uint16_t)(d.port + 1);
		add_rtcpk(x, (uint32_t)i, a1, d1);
		add_rtcpk(x, (uint32_t)i, d1, a1);
		add_rtcpk(x, (uint32_t)i, a, d); /* rtcp-mux */
		add_rtcpk(x, (uint32_t)i, d, a);
	}
}

static void want(struct export *x, uint32_t out)
{
	for (size_t i = 0; i < x->nwant; i++)
		if (x->want[i] == out)
			return;
	if (x->nwant == x->want_cap) {
		x->want_cap = x->want_cap ? x->want_cap * 2 : 8;
		x->want = xrealloc(x->want, x->want_cap * sizeof *x->want);
	}
	x->want[x->nwant++] = out;
}

static void on_media(void *ud, const struct media_pkt *p)
{
	struct export *x = ud;
	bool whole = p->frame == x->frame; /* else it came in IP fragments, the earlier ones already gone */
	if (!p->rtcp) {
		size_t b = key_hash(x, x->input, &p->src, &p->dst, p->u.rtp.ssrc);
		for (uint32_t i = x->rtp_bucket[b]; i != NONE; i = x->strms[i].next) {
			const struct strm *s = &x->strms[i];
			if (s->input != x->input || s->ssrc != p->u.rtp.ssrc || p->frame < s->first || p->frame > s->last ||
			    !ep_same(&s->src, &p->src) || !ep_same(&s->dst, &p->dst))
				continue;
			if (s->audio >= 0 && x->o.audio)
				audio_packet(x->o.audio, s->audio, s->idx, p);
			uint32_t out = x->recs[s->rec].out;
			if (out != NONE) {
				if (whole)
					want(x, out);
				else
					x->media_frag_skipped++;
			}
		}
		return;
	}
	size_t b = key_hash(x, x->input, &p->src, &p->dst, 0);
	for (uint32_t i = x->rtcp_bucket[b]; i != NONE; i = x->rtcpk[i].next) {
		const struct rtcpk *k = &x->rtcpk[i];
		const struct strm *s = &x->strms[k->strm];
		if (s->input != x->input || !ep_same(&k->src, &p->src) || !ep_same(&k->dst, &p->dst) ||
		    p->ns < s->start_ns - RTCP_BEFORE_NS || p->ns > s->end_ns + RTCP_AFTER_NS)
			continue;
		uint32_t out = x->recs[s->rec].out;
		if (out != NONE && whole)
			want(x, out);
	}
}

static void on_sip(void *ud, struct sip_msg *m)
{
	(void)ud;
	sip_msg_free(m);
}

static bool hook_before(void *ud, uint64_t frame, int64_t ts_sec, uint32_t ts_nsec, int linktype, const uint8_t *data,
			uint32_t caplen, uint32_t wirelen)
{
	struct export *x = ud;
	x->frame = frame;
	x->ts_sec = ts_sec;
	x->ts_nsec = ts_nsec;
	x->linktype = linktype;
	x->data = data;
	x->caplen = caplen;
	x->wirelen = wirelen;
	x->nwant = 0;
	bool sip = false;
	while (x->pcur < x->nplan && x->plan[x->pcur].input == x->input && x->plan[x->pcur].frame < frame)
		x->pcur++;
	while (x->pcur < x->nplan && x->plan[x->pcur].input == x->input && x->plan[x->pcur].frame == frame) {
		emit(x, x->plan[x->pcur].rec, false);
		sip = true;
		x->pcur++;
	}
	/* a frame that carried SIP carries no RTP: no need to decode it */
	return !sip && x->nstrms;
}

static void hook_after(void *ud)
{
	struct export *x = ud;
	for (size_t i = 0; i < x->nwant; i++)
		emit(x, x->want[i], true);
	x->nwant = 0;
}

static int cmp_plan(const void *a, const void *b)
{
	const struct sipf *p = a, *q = b;
	if (p->input != q->input)
		return p->input < q->input ? -1 : 1;
	if (p->frame != q->frame)
		return p->frame < q->frame ? -1 : 1;
	return p->rec < q->rec ? -1 : p->rec > q->rec;
}

static void note_linktypes(struct out *o, const struct input_stats *st)
{
	for (unsigned i = 0; i < st->nlinktypes; i++) {
		unsigned k = 0;
		while (k < o->nlts && o->lts[k] != st->linktypes[i])
			k++;
		if (k == o->nlts && o->nlts < INPUT_MAX_LINKTYPES)
			o->lts[o->nlts++] = st->linktypes[i];
	}
}

static void plan_free(struct export *x)
{
	for (size_t i = 0; i < x->nouts; i++) {
		out_close(x, (uint32_t)i);
		free(x->outs[i].path);
		free(x->outs[i].secrets);
	}
	free(x->ptrefs);
	x->ptrefs = NULL;
	x->nptrefs = 0;
	free(x->outs);
	x->outs = NULL;
	x->nouts = 0;
	free(x->plan);
	x->plan = NULL;
	x->nplan = 0;
	free(x->rtp_bucket);
	free(x->rtcp_bucket);
	free(x->rtcpk);
	x->rtp_bucket = x->rtcp_bucket = NULL;
	x->rtcpk = NULL;
	for (size_t i = 0; i < x->nrecs; i++)
		x->recs[i].out = NONE;
}

static uint32_t new_out(struct export *x, size_t *cap)
{
	if (x->nouts == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		x->outs = xrealloc(x->outs, *cap * sizeof *x->outs);
	}
	struct out *o = &x->outs[x->nouts];
	memset(o, 0, sizeof *o);
	o->lru_prev = o->lru_next = NONE;
	o->last_input = NONE;
	return (uint32_t)x->nouts++;
}

/* Reads the inputs again and copies the planned frames; feeds audio. */
static bool pass2(struct export *x, const char *const *paths, const struct input_stats *inputs, size_t ninputs)
{
	for (size_t i = 0; i < x->nplan; i++)
		x->plan[i].rec = x->recs[x->plan[i].rec].out;
	qsort(x->plan, x->nplan, sizeof *x->plan, cmp_plan);
	index_streams(x);
	bool *need = xcalloc(ninputs ? ninputs : 1, sizeof *need);
	for (size_t i = 0; i < x->nplan; i++)
		if (x->plan[i].input < ninputs)
			need[x->plan[i].input] = true;
	for (size_t i = 0; i < x->nstrms; i++)
		if (x->strms[i].input < ninputs && (x->recs[x->strms[i].rec].out != NONE || x->strms[i].audio >= 0))
			need[x->strms[i].input] = true;
	/* The audio layer only needs streams that are decodable; let it see them all. */
	struct analyzer *an = analyzer_new(on_sip, x);
	analyzer_set_media(an, on_media, x);
	struct frame_hook hook = { hook_before, hook_after, x };
	analyzer_set_frame_hook(an, &hook);
	x->pcur = 0;
	x->lru_head = x->lru_tail = NONE;
	bool ok = true;
	for (size_t i = 0; i < ninputs; i++) {
		if (!need[i])
			continue;
		x->input = (uint32_t)i;
		while (x->pcur < x->nplan && x->plan[x->pcur].input < i)
			x->pcur++;
		struct input_stats st = { .path = inputs[i].path };
		if (!analyzer_read_file(an, paths[i], (uint32_t)i, &st) || st.fatal) {
			fprintf(stderr, "sipaudit: error: %s: reading it again to export its packets: %s\n", inputs[i].path,
				st.fatal ? st.fatal : "failed");
			ok = false;
		}
		input_stats_release(&st);
	}
	analyzer_free(an);
	free(need);
	for (size_t i = 0; i < x->nouts; i++)
		out_close(x, (uint32_t)i);
	return ok && !x->failed;
}

static void report_outs(const struct export *x)
{
	if (x->o.quiet)
		return;
	for (size_t i = 0; i < x->nouts; i++) {
		const struct out *o = &x->outs[i];
		if (o->failed || (o->stdout_ && !o->created))
			continue;
		fprintf(stderr, "sipaudit: wrote %s: %llu packets (%llu SIP, %llu RTP/RTCP) of %llu call%s%s%s\n",
			o->stdout_ ? "standard output" : o->path,
			(unsigned long long)(o->sip_frames + o->media_frames), (unsigned long long)o->sip_frames,
			(unsigned long long)o->media_frames, (unsigned long long)o->calls, o->calls == 1 ? "" : "s",
			o->legs[0] ? ", legs " : "", o->legs);
	}
	if (x->media_frag_skipped)
		fprintf(stderr, "sipaudit: warning: %llu RTP/RTCP packets that came in IP fragments were not written\n",
			(unsigned long long)x->media_frag_skipped);
}

static void add_leg(struct out *o, const struct rec *R)
{
	o->calls++;
	size_t n = strlen(o->legs);
	if (n + 24 < sizeof o->legs)
		snprintf(o->legs + n, sizeof o->legs - n, "%s#%llu", n ? ", " : "", (unsigned long long)(R->seq + 1));
}

/* Empty output files still get their header (a valid, empty capture). */
static void touch_outs(struct export *x)
{
	for (size_t i = 0; i < x->nouts; i++)
		if (!x->outs[i].created && !x->outs[i].failed && out_file(x, (uint32_t)i))
			out_close(x, (uint32_t)i);
}

static int cmp_tref(const void *a, const void *b)
{
	const struct tref *p = a, *q = b;
	if (p->rec != q->rec) /* by output (set in attach_secrets) */
		return p->rec < q->rec ? -1 : 1;
	return p->conn < q->conn ? -1 : p->conn > q->conn;
}

/* With the calls' outputs chosen: the TLS connections each output takes,
 * one entry per (output, connection) with the latest frame wanted, and the
 * key log lines that decrypt them (the output becomes pcapng, they go in
 * a Decryption Secrets Block). Before the outputs are named. */
static void attach_secrets(struct export *x)
{
	free(x->ptrefs);
	x->ptrefs = xmalloc((x->ntrefs ? x->ntrefs : 1) * sizeof *x->ptrefs);
	size_t k = 0;
	for (size_t i = 0; i < x->ntrefs; i++) {
		struct tref t = x->trefs[i];
		uint32_t out = x->recs[t.rec].out;
		if (out == NONE || t.conn > x->ntconns || !x->tconns[t.conn - 1].frames)
			continue;
		t.rec = out;
		x->ptrefs[k++] = t;
	}
	qsort(x->ptrefs, k, sizeof *x->ptrefs, cmp_tref);
	size_t n = k;
	k = 0;
	for (size_t i = 0; i < n; i++) {
		struct tref *p = x->ptrefs;
		if (k && p[k - 1].rec == p[i].rec && p[k - 1].conn == p[i].conn) {
			if (p[i].upto > p[k - 1].upto)
				p[k - 1].upto = p[i].upto;
			continue;
		}
		p[k++] = p[i];
		const struct tconn *c = &x->tconns[p[i].conn - 1];
		struct out *o = &x->outs[p[i].rec];
		if (c->secrets) {
			size_t l = strlen(c->secrets);
			o->secrets = xrealloc(o->secrets, o->secrets_len + l + 1);
			memcpy(o->secrets + o->secrets_len, c->secrets, l + 1);
			o->secrets_len += l;
			o->pcapng = true;
		}
	}
	x->nptrefs = k;
}

static void plan_frames(struct export *x)
{
	size_t n = x->nsipf;
	for (size_t i = 0; i < x->nptrefs; i++)
		n += x->tconns[x->ptrefs[i].conn - 1].n;
	x->plan = xmalloc((n ? n : 1) * sizeof *x->plan);
	x->nplan = 0;
	for (size_t i = 0; i < x->nsipf; i++)
		if (x->recs[x->sipf[i].rec].out != NONE)
			x->plan[x->nplan++] = x->sipf[i];
	/* a TLS call: its connection from the start up to its last message
	 * (records are numbered: a reader needs all of them to decrypt) */
	for (size_t i = 0; i < x->nptrefs; i++) {
		const struct tref *t = &x->ptrefs[i];
		const struct tconn *c = &x->tconns[t->conn - 1];
		for (size_t f = 0; f < c->n && c->frames[f] <= t->upto; f++)
			x->plan[x->nplan++] = (struct sipf){ c->frames[f], c->input, t->rec0 };
	}
}

bool export_run(struct export *x, const char *const *paths, const struct input_stats *inputs, size_t ninputs)
{
	size_t cap = 0;
	if (keep_all(x))
		join_links(x);
	if (x->o.split_dir) {
		struct stat sb;
		int e = 0;
		if (mkdir(x->o.split_dir, 0777) != 0 && errno != EEXIST)
			e = errno;
		else if (stat(x->o.split_dir, &sb) != 0)
			e = errno;
		else if (!S_ISDIR(sb.st_mode))
			e = ENOTDIR;
		if (e) {
			fprintf(stderr, "sipaudit: error: cannot create %s: %s\n", x->o.split_dir, strerror(e));
			return false;
		}
	}
	/* Which sets of legs have a selected call */
	bool *chosen = xcalloc(x->nrecs ? x->nrecs : 1, sizeof *chosen);
	for (size_t i = 0; i < x->nrecs; i++)
		if (x->recs[i].selected)
			chosen[x->o.with_linked ? find(x, (uint32_t)i) : i] = true;
	if (x->o.write) {
		uint32_t o = new_out(x, &cap);
		x->outs[o].stdout_ = strcmp(x->o.write, "-") == 0;
		x->outs[o].path = xstrdup(x->o.write);
		for (size_t i = 0; i < x->nrecs; i++)
			if (chosen[x->o.with_linked ? find(x, (uint32_t)i) : i]) {
				x->recs[i].out = o;
				x->outs[o].calls++;
				note_linktypes(&x->outs[o], &inputs[x->recs[i].input]);
			}
		x->outs[o].pcapng = x->outs[o].nlts > 1;
		attach_secrets(x);
	} else if (x->o.split_dir) {
		for (size_t i = 0; i < x->nrecs; i++) {
			uint32_t root = x->o.with_linked ? find(x, (uint32_t)i) : (uint32_t)i;
			if (!chosen[root])
				continue;
			if (x->recs[root].out == NONE) {
				uint32_t o = new_out(x, &cap);
				x->recs[root].out = o;
			}
			uint32_t o = x->recs[root].out;
			x->recs[i].out = o;
			add_leg(&x->outs[o], &x->recs[i]);
			note_linktypes(&x->outs[o], &inputs[x->recs[i].input]);
		}
		attach_secrets(x);
		for (size_t i = 0; i < x->nrecs; i++) {
			struct rec *R = &x->recs[i];
			if (R->out == NONE || x->outs[R->out].path)
				continue;
			struct out *o = &x->outs[R->out]; /* named after its oldest leg */
			o->pcapng = o->pcapng || o->nlts > 1;
			if (o->calls < 2)
				o->legs[0] = 0;
			size_t n = strlen(x->o.split_dir) + strlen(R->name) + 16;
			o->path = xmalloc(n);
			snprintf(o->path, n, "%s/%s.%s", x->o.split_dir, R->name, o->pcapng ? "pcapng" : "pcap");
		}
	}
	free(chosen);
	plan_frames(x);
	bool ok = true;
	if (x->nouts || x->o.audio)
		ok = pass2(x, paths, inputs, ninputs);
	touch_outs(x);
	report_outs(x);
	ok = ok && !x->failed;
	plan_free(x);
	return ok;
}

bool export_save_call(struct export *x, uint64_t number, const char *const *paths, const struct input_stats *inputs,
		      size_t ninputs, char *msg, size_t msgsize)
{
	if (number == 0 || number - 1 >= x->nseq || x->rec_of_seq[number - 1] == NONE) {
		snprintf(msg, msgsize, "call #%llu was not kept", (unsigned long long)number);
		return false;
	}
	join_links(x);
	uint32_t root = find(x, x->rec_of_seq[number - 1]);
	size_t cap = 0;
	uint32_t o = new_out(x, &cap);
	struct out *O = &x->outs[o];
	for (size_t i = 0; i < x->nrecs; i++)
		if (find(x, (uint32_t)i) == root) {
			x->recs[i].out = o;
			add_leg(O, &x->recs[i]);
			note_linktypes(O, &inputs[x->recs[i].input]);
		}
	O->pcapng = O->nlts > 1;
	attach_secrets(x);
	O = &x->outs[o];
	if (O->calls < 2)
		O->legs[0] = 0;
	const struct rec *R = &x->recs[x->rec_of_seq[number - 1]];
	size_t n = strlen(R->name) + 32;
	O->path = xmalloc(n);
	snprintf(O->path, n, "sipaudit-%s.%s", R->name, O->pcapng ? "pcapng" : "pcap");
	struct audio *au = x->o.audio;
	x->o.audio = NULL;
	plan_frames(x);
	FILE *saved = stderr;
	bool ok = pass2(x, paths, inputs, ninputs);
	(void)saved;
	touch_outs(x);
	O = &x->outs[o];
	if (ok && !O->failed)
		snprintf(msg, msgsize, "saved %s: %llu packets%s%s", O->path,
			 (unsigned long long)(O->sip_frames + O->media_frames), O->legs[0] ? ", legs " : "", O->legs);
	else
		snprintf(msg, msgsize, "could not save %s: %s", O->path, strerror(errno ? errno : EIO));
	x->o.audio = au;
	x->failed = false;
	plan_free(x);
	return ok;
}

void export_free(struct export *x)
{
	if (!x)
		return;
	plan_free(x);
	for (size_t i = 0; i < x->nrecs; i++)
		free(x->recs[i].name);
	free(x->recs);
	free(x->rec_of_seq);
	free(x->links);
	free(x->sipf);
	free(x->strms);
	for (size_t i = 0; i < x->ntconns; i++) {
		free(x->tconns[i].frames);
		free(x->tconns[i].secrets);
	}
	free(x->tconns);
	free(x->trefs);
	free(x->want);
	free(x);
}

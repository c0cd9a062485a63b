/* ladder.c - the call ladder: hosts as columns, one arrow per message
 * (RFC 3261 call flows are drawn this way, e.g. RFC 3665) and one double
 * arrow per RTP stream, with the findings marked on the messages and
 * streams that prove them. The layout and rows are shared
 * with the viewer (ladder.h); ladder_print is the text form of --ladder. */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "../analyzer/xalloc.h"
#include "ladder.h"

/* Wider than this the arrows only get longer, not more readable. */
#define LADDER_MAX_SPACING 40
/* Room right of the last host for finding markers and half its name. */
#define LADDER_MARGIN 10

/* ---- layout ---- */

static int frame_width(uint64_t frame)
{
	char b[32];
	return snprintf(b, sizeof b, "#%llu", (unsigned long long)frame);
}

void ladder_offset(char *buf, size_t size, const struct ladder_layout *L, int64_t ns)
{
	/* integer arithmetic: the text must not depend on float rounding */
	int64_t d;
	if (__builtin_sub_overflow(ns, L->t0, &d)) /* absurd timestamps: saturate */
		d = ns < L->t0 ? INT64_MIN : INT64_MAX;
	char sign = '+';
	if (d < 0) {
		sign = '-';
		d = d == INT64_MIN ? INT64_MAX : -d;
	}
	snprintf(buf, size, "%c%lld.%03lld", sign, (long long)(d / 1000000000LL),
		 (long long)(d % 1000000000LL / 1000000LL));
}

void ladder_time(char *buf, size_t size, int64_t ns)
{
	int64_t sec = ns / 1000000000LL, rem = ns % 1000000000LL;
	if (rem < 0) {
		sec--;
		rem += 1000000000LL;
	}
	time_t t = (time_t)sec;
	struct tm tm;
	char d[32];
	if (!gmtime_r(&t, &tm) || !strftime(d, sizeof d, "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(buf, size, "?");
		return;
	}
	snprintf(buf, size, "%s.%03dZ", d, (int)(rem / 1000000));
}

void ladder_duration(char *buf, size_t size, int64_t ns)
{
	if (ns < 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%lld.%03lld s", (long long)(ns / 1000000000LL),
			 (long long)(ns % 1000000000LL / 1000000LL));
}

/* Shortens "addr:port" or "[v6]:port" to max characters, keeping the port
 * and both ends of the address (the start tells the network, the end the
 * host): "[2001:db8~:7334]:5060". */
static void shorten_name(char *name, size_t max)
{
	size_t len = strlen(name);
	if (len <= max || max < 8)
		return;
	char *colon = strrchr(name, ':');
	if (!colon)
		colon = name + len;
	bool v6 = name[0] == '[';
	const char *a = name + v6;
	size_t alen = (size_t)(colon - name) - (v6 ? 2 : 0); /* without the brackets */
	size_t plen = strlen(colon);
	size_t fixed = plen + (v6 ? 2 : 0) + 1; /* port, brackets, '~' */
	if (fixed + 2 > max) {
		name[max] = 0;
		return;
	}
	size_t budget = max - fixed, head = (budget + 1) / 2, tail = budget / 2;
	char out[ENDPOINT_STRLEN];
	snprintf(out, sizeof out, "%s%.*s~%.*s%s%s", v6 ? "[" : "", (int)head, a, (int)tail, a + alen - tail,
		 v6 ? "]" : "", colon);
	snprintf(name, ENDPOINT_STRLEN, "%s", out);
}

static int spacing_for(int width, int x0, int right, size_t n)
{
	if (n < 2)
		return LADDER_MIN_SPACING;
	int s = (width - x0 - 1 - right) / (int)(n - 1);
	if (s > LADDER_MAX_SPACING)
		s = LADDER_MAX_SPACING;
	return s < LADDER_MIN_SPACING ? LADDER_MIN_SPACING : s;
}

void ladder_layout_init(struct ladder_layout *L, const struct callview *v, int width)
{
	memset(L, 0, sizeof *L);
	if (width <= 0)
		width = 80;
	L->t0 = v->nmsgs ? v->msgs[0].ns : v->start_ns;
	L->tw = 6; /* "+0.000" */
	L->fw = 2;
	for (size_t k = 0; k < v->nitems; k++) {
		char b[32];
		ladder_offset(b, sizeof b, L, callview_item_ns(v, k));
		if ((int)strlen(b) > L->tw)
			L->tw = (int)strlen(b);
		int fw = frame_width(callview_item_frame(v, k));
		if (fw > L->fw)
			L->fw = fw;
	}
	size_t n = v->nhosts;
	L->ncols = n;
	L->x = xcalloc(n ? n : 1, sizeof *L->x);
	L->name = xcalloc(n ? n : 1, sizeof *L->name);
	for (size_t i = 0; i < n; i++)
		snprintf(L->name[i], sizeof L->name[i], "%s", v->hosts[i].name);

	/* First guess with room for the gutter only, then again once the
	 * names are shortened to that spacing and their halves are known. */
	int gutter = L->tw + 1 + L->fw + 2;
	int s = spacing_for(width, gutter, LADDER_MARGIN, n);
	int x0 = gutter, right = LADDER_MARGIN;
	for (int pass = 0; pass < 2; pass++) {
		if (n >= 2)
			for (size_t i = 0; i < n; i++)
				shorten_name(L->name[i], (size_t)s - 2);
		x0 = gutter;
		right = LADDER_MARGIN;
		if (n) {
			int first = (int)strlen(L->name[0]), last = (int)strlen(L->name[n - 1]);
			if (first / 2 > x0)
				x0 = first / 2;
			if ((last + 1) / 2 > right)
				right = (last + 1) / 2;
		}
		int s2 = spacing_for(width, x0, right, n);
		if (s2 >= s)
			break;
		s = s2;
	}
	if (n >= 2)
		for (size_t i = 0; i < n; i++)
			shorten_name(L->name[i], (size_t)s - 2);
	L->spacing = s;
	for (size_t i = 0; i < n; i++)
		L->x[i] = x0 + (int)i * s;
	int need = n ? L->x[n - 1] + 1 + right : width;
	L->width = need > width ? need : width;
}

void ladder_layout_free(struct ladder_layout *L)
{
	free(L->x);
	free(L->name);
	L->x = NULL;
	L->name = NULL;
}

/* ---- rows ---- */

void ladder_rows_new(const struct ladder_layout *L, struct ladder_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rows[i].len = L->width;
		rows[i].text = xmalloc((size_t)L->width + 1);
		rows[i].cls = xmalloc((size_t)L->width ? (size_t)L->width : 1);
	}
}

void ladder_rows_free(struct ladder_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].text);
		free(rows[i].cls);
		rows[i].text = NULL;
		rows[i].cls = NULL;
	}
}

static void row_clear(struct ladder_row *r)
{
	memset(r->text, ' ', (size_t)r->len);
	r->text[r->len] = 0;
	memset(r->cls, LC_PLAIN, (size_t)r->len);
}

static void row_lines(const struct ladder_layout *L, struct ladder_row *r)
{
	row_clear(r);
	for (size_t i = 0; i < L->ncols; i++)
		if (L->x[i] < r->len)
			r->text[L->x[i]] = '|';
}

/* Writes s at x (clipped to the row); returns the column after it. */
static int put(struct ladder_row *r, int x, const char *s, uint8_t cls)
{
	for (; *s && x < r->len; s++, x++) {
		if (x < 0)
			continue;
		r->text[x] = *s;
		r->cls[x] = cls;
	}
	return x;
}

void ladder_row_names(const struct ladder_layout *L, struct ladder_row *r)
{
	row_clear(r);
	for (size_t i = 0; i < L->ncols; i++) {
		int len = (int)strlen(L->name[i]);
		put(r, L->x[i] - len / 2, L->name[i], LC_BOLD);
	}
}

void ladder_row_lines(const struct ladder_layout *L, struct ladder_row *r)
{
	row_lines(L, r);
}

uint8_t ladder_severity_class(enum severity s)
{
	return s == SEV_ERROR ? LC_ERROR : s == SEV_WARNING ? LC_WARNING : LC_INFO;
}

uint8_t ladder_msg_class(const struct cv_msg *m)
{
	if (m->request)
		return LC_REQUEST;
	if (m->status >= 400)
		return LC_FAIL;
	if (m->status >= 300)
		return LC_3XX;
	if (m->status >= 200)
		return LC_2XX;
	if (m->status >= 100)
		return LC_1XX;
	return LC_PLAIN;
}

/* Finding markers "[1][2]!" of message i at x; returns the column after. */
static int put_markers(struct ladder_row *r, int x, const struct callview *v, size_t i)
{
	for (size_t k = 0; k < v->nfindings; k++) {
		const struct finding *f = v->findings[k];
		if (!callview_cites(v, i, f))
			continue;
		bool key = f->frame == v->msgs[i].frame;
		char b[32];
		snprintf(b, sizeof b, "[%zu]%s", k + 1, key ? "!" : "");
		x = put(r, x, b, (uint8_t)(ladder_severity_class(f->severity) | (key ? LC_BOLD : 0)));
	}
	return x;
}

static bool cited(const struct callview *v, size_t i)
{
	for (size_t k = 0; k < v->nfindings; k++)
		if (callview_cites(v, i, v->findings[k]))
			return true;
	return false;
}

void ladder_cseq(char *buf, size_t size, const struct cv_msg *m, bool method)
{
	buf[0] = 0;
	if (!m->cseq && !m->cseq_method[0])
		return;
	bool own = m->request && strcmp(m->label, m->cseq_method) == 0;
	if (method && !own && m->cseq_method[0])
		snprintf(buf, size, "CSeq %u %s", m->cseq, m->cseq_method);
	else
		snprintf(buf, size, "CSeq %u", m->cseq);
}

int ladder_rows_msg(const struct ladder_layout *L, const struct callview *v, size_t i,
		    struct ladder_row rows[LADDER_MSG_ROWS])
{
	const struct cv_msg *m = &v->msgs[i];
	bool again = m->flags & (CM_RETRANS | CM_DUPLICATE);
	uint8_t cls = (uint8_t)(ladder_msg_class(m) | (again ? LC_DIM : 0) | (cited(v, i) ? LC_BOLD : 0));
	int xs = m->src < L->ncols ? L->x[m->src] : 0, xd = m->dst < L->ncols ? L->x[m->dst] : 0;
	int xl = xs < xd ? xs : xd, xr = xs < xd ? xd : xs;
	char b[128];

	/* the label above the arrow */
	row_lines(L, &rows[0]);
	snprintf(b, sizeof b, "%s%s%s", m->label, m->flags & CM_RETRANS ? " (retrans)"
						  : m->flags & CM_DUPLICATE ? " (dup)" : "",
		 m->malformed && strcmp(m->label, "(malformed)") ? " (malformed)" : "");
	if (xs == xd) /* a message to itself: the loop starts above the arrow row */
		put(&rows[0], put(&rows[0], xs + 1, "--+", cls) + 1, b, cls);
	else
		put(&rows[0], xl + 2, b, cls);

	/* the arrow, with the time and frame in the gutter */
	struct ladder_row *r = &rows[1];
	row_lines(L, r);
	ladder_offset(b, sizeof b, L, m->ns);
	put(r, L->tw - (int)strlen(b), b, LC_PLAIN);
	snprintf(b, sizeof b, "#%llu", (unsigned long long)m->frame);
	put(r, L->tw + 1 + L->fw - (int)strlen(b), b, LC_PLAIN);
	int end;
	if (xs == xd) {
		/* ... and comes back into the same line */
		char cs[40];
		ladder_cseq(cs, sizeof cs, m, true);
		end = put(r, xs + 1, "<-+", cls);
		if (cs[0])
			end = put(r, end + 1, cs, cls);
	} else {
		char shaft[2] = { m->flags & CM_DUPLICATE ? '.' : '-', 0 };
		int head = xs < xd ? xr - 1 : xl + 1;
		for (int x = xl + 1; x < xr; x++) {
			/* a gapped shaft for copies: "- - ->" */
			bool gap = again && abs(x - head) % 2 == 0 && x != head;
			put(r, x, gap ? " " : shaft, cls);
		}
		put(r, head, xs < xd ? ">" : "<", cls);
		/* the CSeq in the middle of the shaft, when it fits */
		int inner = xr - xl - 1;
		char cs[40];
		ladder_cseq(cs, sizeof cs, m, true);
		int len = (int)strlen(cs) + 2;
		if (len + 4 > inner) {
			ladder_cseq(cs, sizeof cs, m, false);
			len = (int)strlen(cs) + 2;
		}
		if (cs[0] && len + 4 <= inner) {
			snprintf(b, sizeof b, " %s ", cs);
			put(r, xl + 1 + (inner - len) / 2, b, cls);
		}
		end = xr + 1;
	}
	put_markers(r, end + 1, v, i);

	if (!m->sdp)
		return 2;
	row_lines(L, &rows[2]);
	snprintf(b, sizeof b, "SDP %s", m->sdp_brief);
	put(&rows[2], xl + 2, b, (uint8_t)(again ? LC_DIM : LC_PLAIN));
	return 3;
}

void ladder_codec(char *buf, size_t size, const struct media_stream *s)
{
	size_t n = strcspn(s->codec, "/");
	if (n)
		snprintf(buf, size, "%.*s", (int)n, s->codec);
	else
		snprintf(buf, size, "pt %u", s->pt);
}

/* The figures under a stream's arrow, shorter as level grows:
 * "lost 21 (5.2%) jit 0.3ms MOS 3.9" (no percentage without loss), without
 * MOS, without jitter, "lost 21". */
static void stream_figures(char *buf, size_t size, const struct media_stream *s, int level)
{
	int n = snprintf(buf, size, "lost %llu", (unsigned long long)s->lost);
	if (level < 3 && s->lost && s->expected && n >= 0 && (size_t)n < size) {
		double pct = 100.0 * (double)s->lost / (double)s->expected;
		n += snprintf(buf + n, size - (size_t)n, " (%.*f%%)", pct < 0.1 ? 2 : 1, pct);
	}
	if (level < 2 && s->jitter_mean_ms >= 0 && n >= 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, " jit %.1fms", s->jitter_mean_ms);
	if (level < 1 && s->mos >= 0 && n >= 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, " MOS %.1f", s->mos);
}

/* Finding markers of stream j at x; returns the column after. */
static int put_stream_markers(struct ladder_row *r, int x, const struct callview *v, size_t j)
{
	for (size_t k = 0; k < v->nfindings; k++) {
		const struct finding *f = v->findings[k];
		bool key;
		if (!callview_stream_cites(v, j, f, &key))
			continue;
		char b[32];
		snprintf(b, sizeof b, "[%zu]%s", k + 1, key ? "!" : "");
		x = put(r, x, b, (uint8_t)(ladder_severity_class(f->severity) | (key ? LC_BOLD : 0)));
	}
	return x;
}

int ladder_rows_stream(const struct ladder_layout *L, const struct callview *v, size_t j,
		       struct ladder_row rows[LADDER_MSG_ROWS])
{
	const struct cv_stream *st = &v->streams[j];
	const struct media_stream *s = &st->s;
	bool cited = false;
	for (size_t k = 0; k < v->nfindings && !cited; k++)
		cited = callview_stream_cites(v, j, v->findings[k], NULL);
	uint8_t cls = (uint8_t)(LC_MEDIA | (cited ? LC_BOLD : 0));
	int xs = st->src < L->ncols ? L->x[st->src] : 0, xd = st->dst < L->ncols ? L->x[st->dst] : 0;
	int xl = xs < xd ? xs : xd, xr = xs < xd ? xd : xs;
	bool loop = xs == xd;
	/* where the texts start, and the room they have: up to the next host
	 * line (or the edge), which they do not cross */
	int tx = loop ? xs + 5 : xl + 2, next = L->width;
	for (size_t c = 0; c < L->ncols; c++)
		if (L->x[c] > xl && L->x[c] < next)
			next = L->x[c];
	int room = next - tx - 1;
	char b[128], codec[40], span[64], from[32], to[32];
	ladder_codec(codec, sizeof codec, s);
	ladder_offset(from, sizeof from, L, s->start_ns);
	ladder_offset(to, sizeof to, L, s->end_ns);

	/* the label: "RTP PCMU 250 pkts", shorter when it does not fit */
	row_lines(L, &rows[0]);
	snprintf(b, sizeof b, "RTP %s %llu pkts", codec, (unsigned long long)s->packets);
	if ((int)strlen(b) > room)
		snprintf(b, sizeof b, "RTP %s %llu", codec, (unsigned long long)s->packets);
	if ((int)strlen(b) > room)
		snprintf(b, sizeof b, "RTP %s", codec);
	if (room > 3 && (int)strlen(b) > room)
		b[room] = 0;
	if (loop)
		put(&rows[0], xs + 1, "==+", cls);
	put(&rows[0], tx, b, cls);

	/* the arrow, with the start and first frame in the gutter, the time
	 * span in the shaft */
	struct ladder_row *r = &rows[1];
	row_lines(L, r);
	put(r, L->tw - (int)strlen(from), from, LC_PLAIN);
	snprintf(b, sizeof b, "#%llu", (unsigned long long)s->first_frame);
	put(r, L->tw + 1 + L->fw - (int)strlen(b), b, LC_PLAIN);
	int end;
	snprintf(span, sizeof span, "%s..%s", from, to);
	if (loop) {
		end = put(r, xs + 1, "<=+", cls);
		if ((int)strlen(span) > room)
			snprintf(span, sizeof span, "..%s", to);
		if ((int)strlen(span) <= room)
			end = put(r, end + 1, span, cls);
	} else {
		int head = xs < xd ? xr - 1 : xl + 1;
		for (int x = xl + 1; x < xr; x++)
			put(r, x, "=", cls);
		put(r, head, xs < xd ? ">" : "<", cls);
		int inner = xr - xl - 1;
		int len = (int)strlen(span) + 2;
		if (len + 4 > inner) {
			snprintf(span, sizeof span, "..%s", to);
			len = (int)strlen(span) + 2;
		}
		if (len + 4 <= inner) {
			snprintf(b, sizeof b, " %s ", span);
			put(r, xl + 1 + (inner - len) / 2, b, cls);
		}
		end = xr + 1;
	}
	put_stream_markers(r, end + 1, v, j);

	/* the figures under it, as many as fit */
	row_lines(L, &rows[2]);
	for (int level = 0; level < 4; level++) {
		stream_figures(b, sizeof b, s, level);
		if ((int)strlen(b) <= room || level == 3)
			break;
	}
	if (room > 3 && (int)strlen(b) > room)
		b[room] = 0;
	put(&rows[2], tx, b, LC_MEDIA);
	return 3;
}

int ladder_rows_item(const struct ladder_layout *L, const struct callview *v, size_t k,
		     struct ladder_row rows[LADDER_MSG_ROWS])
{
	const struct cv_item *it = &v->items[k];
	return it->kind == CV_STREAM ? ladder_rows_stream(L, v, it->i, rows) : ladder_rows_msg(L, v, it->i, rows);
}

/* Columns of UTF-8 text (continuation bytes take none). */
static size_t u8_cols(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

size_t ladder_wrap(const char *s, size_t width)
{
	size_t cols = 0, brk = 0, i = 0;
	if (width < 1)
		width = 1;
	for (; s[i]; i++) {
		if (s[i] == '\n')
			return i + 1;
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (cols == width)
				break;
			cols++;
		}
		if (s[i] == ' ')
			brk = i + 1;
	}
	if (!s[i] || s[i] == ' ')
		return s[i] == ' ' ? i + 1 : i;
	if (brk)
		return brk;
	return i ? i : 1;
}

size_t ladder_utf8_len(const unsigned char *p)
{
	unsigned c = *p;
	size_t len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
		   : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	for (size_t k = 1; k < len; k++)
		if ((p[k] & 0xc0) != 0x80)
			return 0;
	if (len == 3 && ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f))) /* overlong, surrogates */
		return 0;
	if (len == 4 && ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f)))
		return 0;
	return len;
}

/* ---- the text ladder ---- */

/* A copy of s safe for a terminal (caller frees): valid UTF-8 is kept;
 * control characters (C0, DEL, C1) and bytes that are not UTF-8 (finding
 * texts may quote raw packet bytes) become '?'. */
static char *terminal_safe(const char *s)
{
	size_t n = strlen(s);
	char *out = xmalloc(n + 1), *o = out;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p;
		size_t len = ladder_utf8_len(p);
		bool ok = len > 0;
		if (ok && len == 1)
			ok = c >= 0x20 && c != 0x7f;
		if (ok && len == 2)
			ok = !(c == 0xc2 && p[1] < 0xa0); /* C1 controls, e.g. 0x9b (CSI) */
		if (!ok) {
			*o++ = '?';
			p++;
			continue;
		}
		memcpy(o, p, len);
		o += len;
		p += len;
	}
	*o = 0;
	return out;
}

/* The ANSI escape that starts cells of class cls. */
static void sgr(char *b, size_t size, uint8_t cls)
{
	static const char *const colour[] = {
		[LC_PLAIN] = "", [LC_REQUEST] = ";36", [LC_1XX] = ";33", [LC_2XX] = ";32", [LC_3XX] = ";35",
		[LC_FAIL] = ";31", [LC_INFO] = ";36", [LC_WARNING] = ";33", [LC_ERROR] = ";31",
		[LC_MEDIA] = ";34",
	};
	unsigned c = cls & LC_MASK;
	snprintf(b, size, "\033[0%s%s%sm", c <= LC_MEDIA ? colour[c] : "", cls & LC_DIM ? ";2" : "",
		 cls & LC_BOLD ? ";1" : "");
}

/* Writes a row without its trailing spaces, in colour when asked. */
static void print_row(FILE *out, const struct ladder_row *r, bool colour)
{
	int end = r->len;
	while (end > 0 && r->text[end - 1] == ' ')
		end--;
	int x = 0;
	while (x < end) {
		int y = x;
		while (y < end && r->cls[y] == r->cls[x])
			y++;
		if (colour && r->cls[x] != LC_PLAIN) {
			char esc[32];
			sgr(esc, sizeof esc, r->cls[x]);
			fprintf(out, "%s%.*s\033[0m", esc, y - x, r->text + x);
		} else {
			fwrite(r->text + x, 1, (size_t)(y - x), out);
		}
		x = y;
	}
	fputc('\n', out);
}

/* Writes text wrapped to width: the first line starts at column used
 * (the caller wrote a label there), later lines are indented by cont. */
static void print_wrapped(FILE *out, int used, int cont, const char *raw, int width)
{
	char *safe = terminal_safe(raw);
	const char *text = safe;
	size_t avail = width - used > 20 ? (size_t)(width - used) : 20;
	bool first = true;
	while (*text) {
		size_t n = ladder_wrap(text, avail);
		size_t k = n;
		while (k && (text[k - 1] == ' ' || text[k - 1] == '\n'))
			k--;
		if (!first)
			fprintf(out, "%*s", cont, "");
		fwrite(text, 1, k, out);
		fputc('\n', out);
		text += n;
		if (first) {
			first = false;
			avail = width - cont > 20 ? (size_t)(width - cont) : 20;
		}
	}
	if (first)
		fputc('\n', out);
	free(safe);
}

/* Cuts s to max columns, ending it with "..." when cut. */
static void fit(char *dst, size_t size, const char *s, size_t max)
{
	size_t len = strlen(s);
	if (u8_cols(s, len) <= max || max < 4) {
		snprintf(dst, size, "%s", s);
		return;
	}
	size_t n = 0, cols = 0;
	while (s[n] && cols < max - 3) {
		n++;
		while (((unsigned char)s[n] & 0xc0) == 0x80)
			n++;
		cols++;
	}
	snprintf(dst, size, "%.*s...", (int)n, s);
}

static int terminal_width(FILE *out)
{
	struct winsize ws;
	if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	const char *c = getenv("COLUMNS");
	int n = c ? atoi(c) : 0;
	return n > 0 ? n : 80;
}

/* The reason phrase of the final response, when captured. */
static const char *final_label(const struct callview *v)
{
	for (size_t i = 0; i < v->nmsgs; i++)
		if (!v->msgs[i].request && v->msgs[i].status == v->final_status)
			return v->msgs[i].label;
	return NULL;
}

void ladder_state_line(char *buf, size_t size, const struct callview *v)
{
	const char *fl = v->final_status ? final_label(v) : NULL;
	char final[64];
	if (fl)
		snprintf(final, sizeof final, "final %s", fl);
	else if (v->final_status)
		snprintf(final, sizeof final, "final %d", v->final_status);
	else
		snprintf(final, sizeof final, "no final response");
	int n = snprintf(buf, size, "%s, %s, %s", call_kind_name(v->kind), call_state_name(v->state), final);
	if (v->nstreams && n > 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, ", %zu RTP stream%s", v->nstreams, v->nstreams == 1 ? "" : "s");
}

void ladder_span_line(char *buf, size_t size, const struct callview *v)
{
	char start[40], dur[40];
	ladder_time(start, sizeof start, v->start_ns);
	ladder_duration(dur, sizeof dur, v->duration_ns);
	snprintf(buf, size, "start %s, duration %s, %zu message%s, %zu host%s", start, dur, v->nmsgs,
		 v->nmsgs == 1 ? "" : "s", v->nhosts, v->nhosts == 1 ? "" : "s");
}

static void print_header(FILE *out, const struct callview *v, int width, bool colour)
{
	/* the Call-ID is never cut (it is what one searches for): it gets a
	 * line of its own when it does not fit beside the number */
	char num[32];
	char *id = terminal_safe(v->call_id);
	int nl = snprintf(num, sizeof num, "Call #%llu", (unsigned long long)v->number);
	bool own = nl + 11 + (int)u8_cols(id, strlen(id)) > width;
	fprintf(out, "%s%s%s%sCall-ID: %s\n", colour ? "\033[1m" : "", num, colour ? "\033[0m" : "",
		own ? "\n" : "  ", id);
	free(id);

	/* both parties on one line: each gets half when both are long */
	size_t half = width > 40 ? (size_t)(width - 3) / 2 : 18;
	size_t lf = u8_cols(v->from, strlen(v->from)), lt = u8_cols(v->to, strlen(v->to));
	size_t mf = half, mt = half;
	if (lf < half)
		mt += half - lf;
	if (lt < half)
		mf += half - lt;
	char from[128], to[128];
	fit(from, sizeof from, v->from[0] ? v->from : "?", mf);
	fit(to, sizeof to, v->to[0] ? v->to : "?", mt);
	fprintf(out, "%s → %s\n", from, to);

	char line[256], fitted[256];
	ladder_state_line(line, sizeof line, v);
	fit(fitted, sizeof fitted, line, width > 40 ? (size_t)width : 40);
	fprintf(out, "%s\n", fitted);
	ladder_span_line(line, sizeof line, v);
	fit(fitted, sizeof fitted, line, width > 40 ? (size_t)width : 40);
	fprintf(out, "%s\n", fitted);
	if (v->legs[0]) {
		snprintf(line, sizeof line, "leg of %s", v->legs);
		fit(fitted, sizeof fitted, line, width > 40 ? (size_t)width : 40);
		fprintf(out, "%s\n", fitted);
	}
}

void ladder_print(FILE *out, const struct callview *v, int width, bool colour)
{
	if (width <= 0)
		width = terminal_width(out);
	print_header(out, v, width, colour);
	fputc('\n', out);

	struct ladder_layout L;
	ladder_layout_init(&L, v, width);
	struct ladder_row rows[LADDER_MSG_ROWS];
	ladder_rows_new(&L, rows, LADDER_MSG_ROWS);
	if (L.ncols) {
		ladder_row_names(&L, &rows[0]);
		print_row(out, &rows[0], colour);
		ladder_row_lines(&L, &rows[0]);
		print_row(out, &rows[0], colour);
	}
	for (size_t k = 0; k < v->nitems; k++) {
		int n = ladder_rows_item(&L, v, k, rows);
		for (int k = 0; k < n; k++)
			print_row(out, &rows[k], colour);
	}
	if (L.ncols) {
		ladder_row_lines(&L, &rows[0]);
		print_row(out, &rows[0], colour);
	}
	ladder_rows_free(rows, LADDER_MSG_ROWS);
	ladder_layout_free(&L);

	fputc('\n', out);
	if (!v->nfindings)
		fputs("no findings\n", out);
	for (size_t k = 0; k < v->nfindings; k++) {
		const struct finding *f = v->findings[k];
		char head[96];
		int used = snprintf(head, sizeof head, "[%zu] %s[%s] frame %llu:", k + 1, severity_name(f->severity),
				    f->rule, (unsigned long long)f->frame);
		if (used >= (int)sizeof head)
			used = (int)sizeof head - 1;
		if (colour) {
			char esc[32];
			sgr(esc, sizeof esc, (uint8_t)(ladder_severity_class(f->severity) | LC_BOLD));
			fprintf(out, "%s%s\033[0m ", esc, head);
		} else {
			fprintf(out, "%s ", head);
		}
		print_wrapped(out, used + 1, 4, f->summary ? f->summary : "", width);
		if (f->explanation)
			print_wrapped(out, fprintf(out, "    why: "), 6, f->explanation, width);
		if (f->hint)
			print_wrapped(out, fprintf(out, "    hint: "), 6, f->hint, width);
	}
}

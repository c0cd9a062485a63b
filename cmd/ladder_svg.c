/* ladder_svg.c - --ladder CALL --format svg: the call ladder as one
 * standalone SVG document, to attach to a ticket or open in a browser.
 *
 * The same picture as the text ladder (ladder.c) drawn in pixels: a header
 * (call number, Call-ID, From → To, kind, state, final response, start,
 * duration, B2BUA legs), one column per host, one arrow per message with its
 * method or status and CSeq, the time offset and frame number in a left
 * gutter, retransmissions and duplicates dimmed with a gapped shaft, the SDP
 * summary under arrows that carry SDP, each RTP stream as a double arrow
 * with its codec, packets, loss, jitter and MOS, the findings marked on the
 * arrows they cite and listed below with their explanation and hint.
 *
 * Everything is text (<text>, never outlines) so it can be searched and
 * copied; every string from the capture is escaped, and bytes that are not
 * UTF-8 or not allowed in XML become U+FFFD, so the document is always
 * well-formed. Arrows are <g> elements with data- attributes (data-kind,
 * data-frame, data-findings) that tests and scripts can count, each with a
 * <title> tooltip. A background rectangle and a colour scheme of its own
 * (light, and dark under prefers-color-scheme) keep it readable in any
 * viewer. Pixel sizes assume a monospace font of 12 px (7.25 px a
 * character). */
#include <stdlib.h>
#include <string.h>

#include "../analyzer/xalloc.h"
#include "ladder.h"

#define FONT_PX 12
#define LINE_PX 16
#define MARGIN 16
#define MIN_SPACING 170   /* between two host lines */
#define MIN_WIDTH 760     /* room for the header and the findings' text */
#define BOX_H 22          /* a host's name box */

/* Pixels of n characters (7.25 px each), rounded up. */
static int px(size_t n)
{
	return (int)((n * 29 + 3) / 4);
}

/* Characters of s as drawn: each byte that is not a UTF-8 continuation
 * (a stray one is drawn as U+FFFD, counted here as nothing: a slight
 * underestimate only for broken text). */
static size_t cols(const char *s)
{
	size_t c = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			c++;
	return c;
}

/* ---- escaping ---- */

/* Writes len bytes of s as XML character data (also good in an attribute
 * value in double quotes): & < > " escaped; each byte that does not start
 * well-formed UTF-8, and each character XML 1.0 does not allow (C0 controls
 * other than tab and newline, U+FFFE, U+FFFF) or that a viewer would act on
 * (C1 controls, DEL), as U+FFFD. Newlines are kept when nl, else spaces;
 * tabs are spaces. */
static void xml_put(FILE *out, const char *s, size_t len, bool nl)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		unsigned c = *p;
		size_t n = ladder_utf8_len(p);
		if (n == 0 || (size_t)(end - p) < n) {
			fputs("\xef\xbf\xbd", out);
			p++;
			continue;
		}
		if (n == 1) {
			switch (c) {
			case '&': fputs("&amp;", out); break;
			case '<': fputs("&lt;", out); break;
			case '>': fputs("&gt;", out); break;
			case '"': fputs("&quot;", out); break;
			case '\n': fputc(nl ? '\n' : ' ', out); break;
			case '\t': fputc(' ', out); break;
			default:
				if (c < 0x20 || c == 0x7f)
					fputs("\xef\xbf\xbd", out);
				else
					fputc((int)c, out);
			}
		} else if ((n == 2 && c == 0xc2 && p[1] < 0xa0) ||
			   (n == 3 && c == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf))) {
			fputs("\xef\xbf\xbd", out);
		} else {
			fwrite(p, 1, n, out);
		}
		p += n;
	}
}

static void xml(FILE *out, const char *s)
{
	xml_put(out, s, strlen(s), false);
}

/* ---- colours ---- */

/* Per class (ladder.h LC_*): light and dark. */
static const struct {
	const char *name, *light, *dark;
} palette[] = {
	[LC_PLAIN] = { "plain", "#1f2328", "#e6edf3" },
	[LC_REQUEST] = { "req", "#0e7490", "#22d3ee" },
	[LC_1XX] = { "s1xx", "#a16207", "#facc15" },
	[LC_2XX] = { "s2xx", "#15803d", "#4ade80" },
	[LC_3XX] = { "s3xx", "#a21caf", "#e879f9" },
	[LC_FAIL] = { "fail", "#b91c1c", "#f87171" },
	[LC_INFO] = { "info", "#0369a1", "#38bdf8" },
	[LC_WARNING] = { "warning", "#b45309", "#fbbf24" },
	[LC_ERROR] = { "error", "#b91c1c", "#f87171" },
	[LC_MEDIA] = { "media", "#1d4ed8", "#60a5fa" },
};

static const char *cls_name(uint8_t cls)
{
	unsigned c = cls & LC_MASK;
	return c < sizeof palette / sizeof palette[0] ? palette[c].name : "plain";
}

static const char *sev_cls(enum severity s)
{
	return cls_name(ladder_severity_class(s));
}

/* Each class colours the text (.f: fill) and the shapes (.s: stroke, .h:
 * fill of arrow heads) of the elements under it. */
static void style(FILE *out)
{
	fputs("<style>\n"
	      "text{white-space:pre}\n"
	      ".b{font-weight:bold}.big{font-size:16px}.small{font-size:11px}\n"
	      ".dim{opacity:.45}.cseq{fill-opacity:.75}.s{fill:none;stroke-width:1.4}.cited .s{stroke-width:2.4}\n"
	      ".retrans .shaft{stroke-dasharray:6 4}.dup .shaft{stroke-dasharray:2 3}\n"
	      ".mediahost .box{stroke-dasharray:4 3}.life{stroke-dasharray:3 4}\n"
	      ".mark .tint{fill-opacity:.15;stroke-width:1}.mark.key .tint{fill-opacity:.3;stroke-width:1.6}\n",
	      out);
	size_t n = sizeof palette / sizeof palette[0];
	for (int dark = 0; dark < 2; dark++) {
		if (dark)
			fputs("@media (prefers-color-scheme: dark){\n", out);
		fprintf(out, ".bg{fill:%s}text{fill:%s}.life,.box{stroke:%s}.box{fill:%s}text.muted,.arrow text.muted{fill:%s}\n",
			dark ? "#0d1117" : "#ffffff", dark ? palette[LC_PLAIN].dark : palette[LC_PLAIN].light,
			dark ? "#6e7681" : "#8c959f", dark ? "#161b22" : "#f6f8fa", dark ? "#8b949e" : "#57606a");
		/* the kind of a message or stream: its text, shaft and head */
		for (size_t i = 1; i < n; i++) {
			if (i >= LC_INFO && i <= LC_ERROR) /* severities: markers only */
				continue;
			const char *c = dark ? palette[i].dark : palette[i].light;
			fprintf(out, ".k-%s text,.k-%s .h{fill:%s}.k-%s .s{stroke:%s}\n", palette[i].name, palette[i].name, c,
				palette[i].name, c);
		}
		/* finding markers and the findings' heads, by severity (more
		 * specific than the kind of the arrow they sit on) */
		for (size_t i = LC_INFO; i <= LC_ERROR; i++) {
			const char *c = dark ? palette[i].dark : palette[i].light;
			fprintf(out, ".mark.sev-%s .tint{fill:%s;stroke:%s}.mark.sev-%s text,.finding.sev-%s text.b{fill:%s}\n",
				palette[i].name, c, c, palette[i].name, palette[i].name, c);
		}
		if (dark)
			fputs("}\n", out);
	}
	fputs("</style>\n", out);
}

/* ---- text ---- */

/* A line of text at (x, y); anchor: "middle", "end" or NULL (start). */
static void text(FILE *out, int x, int y, const char *cls, const char *anchor, const char *s)
{
	fprintf(out, "<text x=\"%d\" y=\"%d\"", x, y);
	if (cls && *cls)
		fprintf(out, " class=\"%s\"", cls);
	if (anchor)
		fprintf(out, " text-anchor=\"%s\"", anchor);
	fputc('>', out);
	xml(out, s);
	fputs("</text>\n", out);
}

/* A paragraph wrapped to width characters: prefix (e.g. "why: ") on the
 * first line, later lines indented by indent characters. Draws nothing
 * when out is NULL (measuring). Returns y below its last line. */
static int para(FILE *out, int x, int y, size_t width, const char *cls, const char *prefix, size_t indent,
		const char *s)
{
	size_t pl = prefix ? cols(prefix) : 0;
	bool first = true;
	if (width < 20)
		width = 20;
	do {
		size_t avail = first ? (width > pl + 10 ? width - pl : 10) : (width > indent + 10 ? width - indent : 10);
		size_t n = *s ? ladder_wrap(s, avail) : 0;
		size_t k = n;
		while (k && (s[k - 1] == ' ' || s[k - 1] == '\n'))
			k--;
		if (out) {
			fprintf(out, "<text x=\"%d\" y=\"%d\"", first ? x : x + px(indent), y);
			if (cls && *cls)
				fprintf(out, " class=\"%s\"", cls);
			fputc('>', out);
			if (first && prefix)
				xml(out, prefix);
			xml_put(out, s, k, false);
			fputs("</text>\n", out);
		}
		s += n;
		y += LINE_PX;
		first = false;
	} while (*s);
	return y;
}

/* ---- what is drawn for each item ---- */

/* The label above a message's arrow: "INVITE (retrans)", "200 OK". */
static void arrow_label(char *buf, size_t size, const struct cv_msg *m)
{
	snprintf(buf, size, "%s%s", m->label, m->flags & CM_RETRANS ? " (retrans)" : m->flags & CM_DUPLICATE ? " (dup)" : "");
}

static bool malformed_note(const struct cv_msg *m)
{
	return m->malformed && strcmp(m->label, "(malformed)") != 0;
}

/* "RTP PCMU 400 pkts, +0.315..+8.297" */
static void stream_label(char *buf, size_t size, const struct ladder_layout *L, const struct media_stream *s)
{
	char codec[40], from[32], to[32];
	ladder_codec(codec, sizeof codec, s);
	ladder_offset(from, sizeof from, L, s->start_ns);
	ladder_offset(to, sizeof to, L, s->end_ns);
	snprintf(buf, size, "RTP %s %llu pkts, %s..%s", codec, (unsigned long long)s->packets, from, to);
}

/* "lost 20 of 400 (5.0 %), jitter 0.29 ms, MOS 3.88" */
static void stream_figures(char *buf, size_t size, const struct media_stream *s)
{
	int n = snprintf(buf, size, "lost %llu of %llu", (unsigned long long)s->lost, (unsigned long long)s->expected);
	if (s->expected && n > 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, " (%.1f %%)", 100.0 * (double)s->lost / (double)s->expected);
	if (s->jitter_mean_ms >= 0 && n > 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, ", jitter %.2f ms", s->jitter_mean_ms);
	if (s->mos >= 0 && n > 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, ", MOS %.2f", s->mos);
}

/* Columns of an item: source and destination host. */
static void item_cols(const struct callview *v, size_t k, uint32_t *src, uint32_t *dst)
{
	const struct cv_item *it = &v->items[k];
	if (it->kind == CV_STREAM) {
		*src = v->streams[it->i].src;
		*dst = v->streams[it->i].dst;
	} else {
		*src = v->msgs[it->i].src;
		*dst = v->msgs[it->i].dst;
	}
	if (*src >= v->nhosts)
		*src = 0;
	if (*dst >= v->nhosts)
		*dst = 0;
}

/* Width of the widest text of item k (its label line and the line under
 * the arrow), in characters. */
static size_t item_text_cols(const struct ladder_layout *L, const struct callview *v, size_t k)
{
	const struct cv_item *it = &v->items[k];
	char a[160], b[160];
	if (it->kind == CV_STREAM) {
		const struct media_stream *s = &v->streams[it->i].s;
		stream_label(a, sizeof a, L, s);
		stream_figures(b, sizeof b, s);
	} else {
		const struct cv_msg *m = &v->msgs[it->i];
		char cs[48];
		arrow_label(a, sizeof a, m);
		ladder_cseq(cs, sizeof cs, m, true);
		size_t n = cols(a) + (cs[0] ? 2 + cols(cs) : 0) + (malformed_note(m) ? 12 : 0);
		snprintf(b, sizeof b, "SDP %s", m->sdp ? m->sdp_brief : "");
		size_t nb = cols(b);
		return n > nb ? n : nb;
	}
	size_t na = cols(a), nb = cols(b);
	return na > nb ? na : nb;
}

/* Height of item k's row. */
static int item_height(const struct callview *v, size_t k)
{
	const struct cv_item *it = &v->items[k];
	uint32_t s, d;
	item_cols(v, k, &s, &d);
	if (it->kind == CV_STREAM)
		return 48;
	return (s == d ? 38 : 32) + (v->msgs[it->i].sdp ? 14 : 0);
}

/* "[1]" or "[1]!" for each finding citing item k; returns their width in
 * pixels (with gaps). */
static int markers_px(const struct callview *v, size_t k)
{
	int w = 0;
	for (size_t f = 0; f < v->nfindings; f++) {
		bool key;
		if (!callview_item_cites(v, k, v->findings[f], &key))
			continue;
		char b[32];
		snprintf(b, sizeof b, "[%zu]%s", f + 1, key ? "!" : "");
		w += px(strlen(b)) + 8;
	}
	return w;
}

struct svg_layout {
	struct ladder_layout L; /* time offsets, gutter widths */
	int width, height;
	int spacing;
	int *x;                 /* host lines */
	int gutter_time, gutter_frame; /* right edges of the time and frame in the gutter */
	int text_cols;          /* characters in a paragraph across the picture */
	int top;                /* y of the host boxes */
	int items_y;            /* y of the first item */
	int items_end;          /* y below the last item */
	int findings_y;
};

static int header(FILE *out, const struct svg_layout *S, const struct callview *v, int y);
static int findings(FILE *out, const struct svg_layout *S, const struct callview *v, int y);

static void layout(struct svg_layout *S, const struct callview *v)
{
	memset(S, 0, sizeof *S);
	ladder_layout_init(&S->L, v, 80);
	size_t n = v->nhosts;
	S->x = xcalloc(n ? n : 1, sizeof *S->x);

	/* spacing: every name fits between two lines, every label over the
	 * columns its arrow spans */
	int s = MIN_SPACING;
	size_t name0 = 0, namel = 0;
	for (size_t i = 0; i < n; i++) {
		size_t c = cols(v->hosts[i].name);
		if (px(c) + 24 > s)
			s = px(c) + 24;
		if (i == 0)
			name0 = c;
		if (i + 1 == n)
			namel = c;
	}
	for (size_t k = 0; k < v->nitems; k++) {
		uint32_t a, b;
		item_cols(v, k, &a, &b);
		int span = a > b ? (int)(a - b) : (int)(b - a);
		int need = px(item_text_cols(&S->L, v, k)) + (span ? 28 : 72);
		if (!span) /* a loop's label is right of it, before the next line */
			span = 1;
		if ((need + span - 1) / span > s)
			s = (need + span - 1) / span;
	}
	S->spacing = s;

	/* the gutter: "+12.345 #678" right-aligned */
	S->gutter_time = MARGIN + px((size_t)S->L.tw);
	S->gutter_frame = S->gutter_time + px(1 + (size_t)S->L.fw);
	int x0 = S->gutter_frame + 24;
	if (MARGIN + px(name0) / 2 + 8 > x0)
		x0 = MARGIN + px(name0) / 2 + 8;
	for (size_t i = 0; i < n; i++)
		S->x[i] = x0 + (int)i * s;

	int w = n ? S->x[n - 1] + px(namel) / 2 + 8 + MARGIN : MIN_WIDTH;
	for (size_t k = 0; k < v->nitems; k++) {
		uint32_t a, b;
		item_cols(v, k, &a, &b);
		int end = (S->x[a] > S->x[b] ? S->x[a] : S->x[b]) + 10;
		if (a == b)
			end += 44;
		int e = end + markers_px(v, k) + MARGIN;
		if (e > w)
			w = e;
	}
	S->width = w < MIN_WIDTH ? MIN_WIDTH : w;
	S->text_cols = (S->width - 2 * MARGIN) * 4 / 29;

	/* heights: measured by drawing into nothing */
	int y = header(NULL, S, v, MARGIN + FONT_PX + 4);
	S->top = y + 8;
	y = S->top + BOX_H + 12;
	S->items_y = y;
	for (size_t k = 0; k < v->nitems; k++)
		y += item_height(v, k);
	S->items_end = y + 8;
	y = S->items_end;
	if (v->nitems > 12) /* the names again at the bottom of a long ladder */
		y += BOX_H + 4;
	S->findings_y = y + 28;
	S->height = findings(NULL, S, v, S->findings_y) + MARGIN;
}

static void layout_free(struct svg_layout *S)
{
	ladder_layout_free(&S->L);
	free(S->x);
}

/* ---- drawing ---- */

static int header(FILE *out, const struct svg_layout *S, const struct callview *v, int y)
{
	char b[320];
	snprintf(b, sizeof b, "Call #%llu", (unsigned long long)v->number);
	if (out)
		text(out, MARGIN, y, "b big", NULL, b);
	y += LINE_PX + 6;
	size_t w = (size_t)S->text_cols;
	y = para(out, MARGIN, y, w, "b", "Call-ID: ", 9, v->call_id);
	snprintf(b, sizeof b, "%s → %s", v->from[0] ? v->from : "?", v->to[0] ? v->to : "?");
	y = para(out, MARGIN, y, w, NULL, NULL, 4, b);
	ladder_state_line(b, sizeof b, v);
	y = para(out, MARGIN, y, w, NULL, NULL, 4, b);
	ladder_span_line(b, sizeof b, v);
	y = para(out, MARGIN, y, w, NULL, NULL, 4, b);
	if (v->legs[0]) {
		snprintf(b, sizeof b, "B2BUA: leg of %s", v->legs);
		y = para(out, MARGIN, y, w, NULL, NULL, 4, b);
	}
	return y;
}

static void host_boxes(FILE *out, const struct svg_layout *S, const struct callview *v, int y)
{
	for (size_t i = 0; i < v->nhosts; i++) {
		const struct cv_host *h = &v->hosts[i];
		int w = px(cols(h->name)) + 14;
		fprintf(out, "<g class=\"host%s\" data-host=\"%zu\"><title>", h->media ? " mediahost" : "", i);
		xml(out, h->name);
		fputs(h->media ? " (RTP only: no SIP message of the call)" : "", out);
		fprintf(out, "</title><rect class=\"box\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"4\"/>", S->x[i] - w / 2,
			y, w, BOX_H);
		fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"b\" text-anchor=\"middle\">", S->x[i], y + 15);
		xml(out, h->name);
		fputs("</text></g>\n", out);
	}
}

/* The finding markers of item k from x on the arrow's line y. */
static void markers(FILE *out, const struct callview *v, size_t k, int x, int y)
{
	for (size_t f = 0; f < v->nfindings; f++) {
		const struct finding *fd = v->findings[f];
		bool key;
		if (!callview_item_cites(v, k, fd, &key))
			continue;
		char b[32];
		snprintf(b, sizeof b, "[%zu]%s", f + 1, key ? "!" : "");
		int w = px(strlen(b)) + 4;
		fprintf(out, "<g class=\"mark sev-%s%s\" data-finding=\"%zu\" data-rule=\"", sev_cls(fd->severity),
			key ? " key" : "", f + 1);
		xml(out, fd->rule);
		fprintf(out, "\"><rect class=\"bg\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"16\" rx=\"3\"/>", x, y - 8, w);
		fprintf(out, "<rect class=\"tint\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"16\" rx=\"3\"/>", x, y - 8, w);
		fprintf(out, "<text x=\"%d\" y=\"%d\"%s>%s</text></g>", x + 2, y + 4, key ? " class=\"b\"" : "", b);
		x += w + 4;
	}
}

/* The tooltip lines about the findings that cite item k. */
static void title_findings(FILE *out, const struct callview *v, size_t k)
{
	for (size_t f = 0; f < v->nfindings; f++) {
		const struct finding *fd = v->findings[f];
		bool key;
		if (!callview_item_cites(v, k, fd, &key))
			continue;
		fprintf(out, "\n[%zu]%s %s[", f + 1, key ? "!" : "", severity_name(fd->severity));
		xml(out, fd->rule);
		fputs("]: ", out);
		xml(out, fd->summary ? fd->summary : "");
	}
}

/* data-findings="1 3": the findings that cite item k. */
static bool data_findings(FILE *out, const struct callview *v, size_t k)
{
	bool any = false;
	for (size_t f = 0; f < v->nfindings; f++)
		if (callview_item_cites(v, k, v->findings[f], NULL)) {
			fprintf(out, "%s%zu", any ? " " : " data-findings=\"", f + 1);
			any = true;
		}
	if (any)
		fputc('"', out);
	return any;
}

/* An arrow head at (x, y) pointing right (dir 1) or left (-1). */
static void head(FILE *out, int x, int y, int dir, int size)
{
	fprintf(out, "<path class=\"h\" d=\"M%d %dl%d %dv%dz\"/>", x, y, -dir * size * 2, -size, 2 * size);
}

static void gutter(FILE *out, const struct svg_layout *S, int y, int64_t ns, uint64_t frame)
{
	char b[40];
	ladder_offset(b, sizeof b, &S->L, ns);
	fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"muted\" text-anchor=\"end\">%s</text>", S->gutter_time, y + 4, b);
	fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"muted\" text-anchor=\"end\">#%llu</text>", S->gutter_frame,
		y + 4, (unsigned long long)frame);
}

static void draw_msg(FILE *out, const struct svg_layout *S, const struct callview *v, size_t k, int y0)
{
	const struct cv_msg *m = &v->msgs[v->items[k].i];
	uint32_t a, b;
	item_cols(v, k, &a, &b);
	int xs = S->x[a], xd = S->x[b], xl = xs < xd ? xs : xd, xr = xs < xd ? xd : xs;
	bool cited = false;
	for (size_t f = 0; f < v->nfindings && !cited; f++)
		cited = callview_item_cites(v, k, v->findings[f], NULL);

	fprintf(out, "<g class=\"arrow msg k-%s%s%s%s%s\" data-kind=\"msg\" data-frame=\"%llu\" data-item=\"%zu\"",
		cls_name(ladder_msg_class(m)), m->flags & CM_RETRANS ? " retrans dim" : m->flags & CM_DUPLICATE ? " dup dim" : "",
		m->malformed ? " malformed" : "", cited ? " cited" : "", m->sdp ? " sdp" : "",
		(unsigned long long)m->frame, k);
	data_findings(out, v, k);
	fputs(">\n<title>", out);
	char t[40], lab[96], cs[48];
	ladder_offset(t, sizeof t, &S->L, m->ns);
	fprintf(out, "#%llu %s ", (unsigned long long)m->frame, t);
	xml(out, v->hosts[a].name);
	fputs(" → ", out);
	xml(out, v->hosts[b].name);
	fprintf(out, " %s\n", transport_name(m->transport));
	arrow_label(lab, sizeof lab, m);
	ladder_cseq(cs, sizeof cs, m, true);
	xml(out, lab);
	if (cs[0]) {
		fputs(", ", out);
		xml(out, cs);
	}
	if (m->flags & CM_RETRANS)
		fputs("\nretransmission of an earlier message", out);
	if (m->flags & CM_DUPLICATE)
		fputs("\nthe same message captured again", out);
	if (m->malformed)
		fputs("\nmalformed", out);
	if (m->sdp) {
		fputs("\nSDP ", out);
		xml(out, m->sdp_brief);
	}
	title_findings(out, v, k);
	fputs("</title>\n", out);

	int ya = y0 + 23;
	gutter(out, S, ya, m->ns, m->frame);
	/* the label: method or status, then the CSeq muted */
	int tx = a == b ? xs + 44 : xl + 10;
	fprintf(out, "<text x=\"%d\" y=\"%d\"><tspan class=\"b\">", tx, a == b ? ya + 4 : y0 + 15);
	xml(out, lab);
	fputs("</tspan>", out);
	if (cs[0]) {
		fputs("<tspan class=\"cseq\">  ", out);
		xml(out, cs);
		fputs("</tspan>", out);
	}
	if (malformed_note(m))
		fputs("<tspan class=\"bad\" style=\"fill:#dc2626\"> (malformed)</tspan>", out);
	fputs("</text>\n", out);
	int end;
	if (a == b) {
		/* a loop out of the host line and back into it */
		fprintf(out, "<path class=\"s shaft\" d=\"M%d %dh34v14h-28\"/>", xs, ya - 6);
		head(out, xs + 1, ya + 8, -1, 4);
		end = xs + 44 + px(cols(lab) + (cs[0] ? 2 + cols(cs) : 0) + (malformed_note(m) ? 12 : 0)) + 10;
		if (end < xs + 54)
			end = xs + 54;
	} else {
		int dir = xs < xd ? 1 : -1;
		fprintf(out, "<line class=\"s shaft\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", xs, ya, xd - dir * 8, ya);
		head(out, xd, ya, dir, 4);
		end = xr + 10;
	}
	fputc('\n', out);
	markers(out, v, k, end, a == b ? ya + 1 : ya);
	if (m->sdp) {
		char b2[96];
		snprintf(b2, sizeof b2, "SDP %s", m->sdp_brief);
		fprintf(out, "\n<text x=\"%d\" y=\"%d\" class=\"small sdp\" style=\"fill-opacity:.85\">", a == b ? xs + 44 : xl + 10,
			y0 + (a == b ? 46 : 38));
		xml(out, b2);
		fputs("</text>", out);
	}
	fputs("</g>\n", out);
}

static void draw_stream(FILE *out, const struct svg_layout *S, const struct callview *v, size_t k, int y0)
{
	const struct cv_stream *st = &v->streams[v->items[k].i];
	const struct media_stream *s = &st->s;
	uint32_t a, b;
	item_cols(v, k, &a, &b);
	int xs = S->x[a], xd = S->x[b], xl = xs < xd ? xs : xd, xr = xs < xd ? xd : xs;
	bool cited = false;
	for (size_t f = 0; f < v->nfindings && !cited; f++)
		cited = callview_item_cites(v, k, v->findings[f], NULL);
	fprintf(out,
		"<g class=\"arrow rtp k-media%s\" data-kind=\"rtp\" data-frame=\"%llu\" data-last-frame=\"%llu\" "
		"data-ssrc=\"0x%08x\" data-item=\"%zu\"",
		cited ? " cited" : "", (unsigned long long)s->first_frame, (unsigned long long)s->last_frame, s->ssrc, k);
	data_findings(out, v, k);
	char lab[160], fig[160];
	stream_label(lab, sizeof lab, &S->L, s);
	stream_figures(fig, sizeof fig, s);
	fputs(">\n<title>", out);
	fprintf(out, "RTP #%llu..#%llu ", (unsigned long long)s->first_frame, (unsigned long long)s->last_frame);
	xml(out, st->src_name);
	fputs(" → ", out);
	xml(out, st->dst_name);
	fprintf(out, " SSRC 0x%08x\n", s->ssrc);
	xml(out, lab);
	fputc('\n', out);
	xml(out, fig);
	if (st->sdp_frame)
		fprintf(out, "\nnegotiated in the SDP of frame %llu", (unsigned long long)st->sdp_frame);
	title_findings(out, v, k);
	fputs("</title>\n", out);

	int ya = y0 + 23;
	gutter(out, S, ya, s->start_ns, s->first_frame);
	int tx = a == b ? xs + 44 : xl + 10;
	fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"b\">", tx, y0 + 15);
	xml(out, lab);
	fputs("</text>\n", out);
	int end;
	if (a == b) {
		fprintf(out, "<path class=\"s shaft\" style=\"stroke-width:4\" d=\"M%d %dh34v14h-28\"/>", xs, ya - 6);
		head(out, xs + 1, ya + 8, -1, 6);
		end = xs + 44 + px(cols(lab) > cols(fig) ? cols(lab) : cols(fig)) + 10;
	} else {
		/* a double shaft: two lines, a wide head */
		int dir = xs < xd ? 1 : -1;
		fprintf(out, "<path class=\"s shaft\" d=\"M%d %dH%dM%d %dH%d\"/>", xs, ya - 2, xd - dir * 11, xs, ya + 2,
			xd - dir * 11);
		head(out, xd, ya, dir, 6);
		end = xr + 10;
	}
	fputc('\n', out);
	markers(out, v, k, end, ya);
	fprintf(out, "\n<text x=\"%d\" y=\"%d\" class=\"small\">", tx, y0 + 40);
	xml(out, fig);
	fputs("</text></g>\n", out);
}

static int findings(FILE *out, const struct svg_layout *S, const struct callview *v, int y)
{
	size_t w = (size_t)S->text_cols;
	if (out)
		text(out, MARGIN, y, "b", NULL, v->nfindings ? "Findings" : "no findings");
	y += LINE_PX + 6;
	for (size_t f = 0; f < v->nfindings; f++) {
		const struct finding *fd = v->findings[f];
		if (out) {
			fprintf(out, "<g class=\"finding sev-%s\" data-finding=\"%zu\" data-rule=\"", sev_cls(fd->severity), f + 1);
			xml(out, fd->rule);
			fprintf(out, "\" data-severity=\"%s\" data-frame=\"%llu\" data-frames=\"", severity_name(fd->severity),
				(unsigned long long)fd->frame);
			for (size_t i = 0; i < fd->nframes; i++)
				fprintf(out, "%s%llu", i ? " " : "", (unsigned long long)fd->frames[i]);
			fputs("\">\n", out);
		}
		char head[160];
		snprintf(head, sizeof head, "[%zu] %s[%s] frame %llu: ", f + 1, severity_name(fd->severity), fd->rule,
			 (unsigned long long)fd->frame);
		y = para(out, MARGIN, y, w, "b", head, 4, fd->summary ? fd->summary : "");
		if (fd->explanation)
			y = para(out, MARGIN + px(4), y, w - 4, "why", "why: ", 6, fd->explanation);
		if (fd->hint)
			y = para(out, MARGIN + px(4), y, w - 4, "hint", "hint: ", 6, fd->hint);
		if (out)
			fputs("</g>\n", out);
		y += 6;
	}
	return y;
}

void ladder_svg(FILE *out, const struct callview *v)
{
	struct svg_layout S;
	layout(&S, v);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"%d\" fill=\"#1f2328\" "
		"data-call=\"%llu\" data-messages=\"%zu\" data-streams=\"%zu\" data-findings=\"%zu\">\n",
		S.width, S.height, S.width, S.height, FONT_PX, (unsigned long long)v->number, v->nmsgs, v->nstreams,
		v->nfindings);
	fprintf(out, "<title>Call #%llu ", (unsigned long long)v->number);
	xml(out, v->call_id);
	fputs("</title>\n<desc>", out);
	xml(out, v->from[0] ? v->from : "?");
	fputs(" → ", out);
	xml(out, v->to[0] ? v->to : "?");
	fputs(". Drawn by sipaudit --ladder --format svg.</desc>\n", out);
	style(out);
	fprintf(out, "<rect class=\"bg\" fill=\"#ffffff\" x=\"0\" y=\"0\" width=\"%d\" height=\"%d\"/>\n", S.width, S.height);

	fputs("<g class=\"header\">\n", out);
	header(out, &S, v, MARGIN + FONT_PX + 4);
	fputs("</g>\n", out);

	/* host lines under everything else */
	fputs("<g class=\"hosts\">\n", out);
	bool bottom = v->nitems > 12;
	for (size_t i = 0; i < v->nhosts; i++)
		fprintf(out, "<line class=\"life\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", S.x[i], S.top + BOX_H, S.x[i],
			bottom ? S.items_end + 4 : S.items_end);
	host_boxes(out, &S, v, S.top);
	if (bottom)
		host_boxes(out, &S, v, S.items_end + 4);
	fputs("</g>\n<g class=\"ladder\">\n", out);
	int y = S.items_y;
	for (size_t k = 0; k < v->nitems; k++) {
		if (v->items[k].kind == CV_STREAM)
			draw_stream(out, &S, v, k, y);
		else
			draw_msg(out, &S, v, k, y);
		y += item_height(v, k);
	}
	fputs("</g>\n<g class=\"findings\">\n", out);
	findings(out, &S, v, S.findings_y);
	fputs("</g>\n</svg>\n", out);
	layout_free(&S);
}

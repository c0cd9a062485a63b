/* ladder_mermaid.c - --ladder CALL --format mermaid: the call ladder as a
 * Mermaid sequenceDiagram, the form GitHub and GitLab draw from a
 * ```mermaid block in an issue or a Markdown file.
 *
 *   sequenceDiagram
 *       participant H1 as 192.0.2.10#58;5070
 *       participant H2 as 192.0.2.20#58;5060
 *       Note over H1,H2: Call #35;1, Call-ID ...<br/>...
 *       H1->>H2: +0.000 #35;4 INVITE (CSeq 1)<br/>SDP audio 192.0.2.10#58;6000 PCMU
 *       H2-->>H1: +0.001 #35;6 180 Ringing (CSeq 1 INVITE)
 *       H2-)H1: +0.315 #35;10 RTP PCMU 380 pkts ... [1]
 *       Note over H1,H2: [1] warning rtp-quality#58; poor RTP ...
 *
 * Hosts are participants with safe aliases (H1, H2, ...) and their address
 * as the label; requests are solid arrows, responses dashed, RTP streams
 * open (async) arrows; the time offset and frame lead each message.
 * Mermaid cannot dim, so copies say "(retrans)" or "(dup)". A finding marks
 * every arrow it cites with [N] and gets one note, after the arrow that
 * proves it (its key frame), with its severity, rule id and summary.
 *
 * Mermaid's parser ends a message at '#', ';' or a newline and reads HTML
 * in labels, so every text from the capture goes through mm_text: those
 * characters and : < > & " % , become Mermaid entity codes (#59; ...),
 * controls and bytes that are not UTF-8 become U+FFFD. */
#include <stdlib.h>
#include <string.h>

#include "../analyzer/xalloc.h"
#include "ladder.h"

/* A finding's summary in its note: longer ones are cut (the SVG and text
 * ladders carry the whole text). */
#define NOTE_COLS 160

/* Writes s as Mermaid text, at most max characters (0: all), "..." when
 * cut; label: a participant's label, where ',' is escaped too. */
static void mm_put(FILE *out, const char *s, size_t max, bool label)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	while (*p) {
		if (max && n == max) {
			fputs("...", out);
			return;
		}
		n++;
		unsigned c = *p;
		size_t len = ladder_utf8_len(p);
		if (!len || (len == 1 && (c < 0x20 || c == 0x7f)) || (len == 2 && c == 0xc2 && p[1] < 0xa0)) {
			fputs(c == '\t' || c == '\n' || c == '\r' ? " " : "\xef\xbf\xbd", out);
			p++;
			continue;
		}
		if (len > 1) {
			fwrite(p, 1, len, out);
			p += len;
			continue;
		}
		switch (c) {
		case '#': fputs("#35;", out); break;
		case ';': fputs("#59;", out); break;
		case ':': fputs("#58;", out); break;
		case '<': fputs("#lt;", out); break;
		case '>': fputs("#gt;", out); break;
		case '&': fputs("#amp;", out); break;
		case '"': fputs("#quot;", out); break;
		case '%': fputs("#37;", out); break;
		case ',': fputs(label ? "#44;" : ",", out); break;
		case '\\': fputs("#92;", out); break;
		case '{': fputs("#123;", out); break;
		case '}': fputs("#125;", out); break;
		default: fputc((int)c, out);
		}
		p++;
	}
}

static void mm_text(FILE *out, const char *s, size_t max)
{
	mm_put(out, s, max, false);
}

/* "H1,H2": the participants a note over the item spans (one for a loop). */
static void note_over(FILE *out, uint32_t a, uint32_t b)
{
	if (a == b)
		fprintf(out, "    Note right of H%u: ", a + 1);
	else
		fprintf(out, "    Note over H%u,H%u: ", (a < b ? a : b) + 1, (a < b ? b : a) + 1);
}

static void item_cols(const struct callview *v, size_t k, uint32_t *src, uint32_t *dst)
{
	const struct cv_item *it = &v->items[k];
	*src = it->kind == CV_STREAM ? v->streams[it->i].src : v->msgs[it->i].src;
	*dst = it->kind == CV_STREAM ? v->streams[it->i].dst : v->msgs[it->i].dst;
	if (*src >= v->nhosts)
		*src = 0;
	if (*dst >= v->nhosts)
		*dst = 0;
}

/* The item where finding f gets its note: the one of its key frame, else
 * the first it cites; v->nitems when it cites none. */
static size_t note_item(const struct callview *v, const struct finding *f)
{
	size_t first = v->nitems;
	for (size_t k = 0; k < v->nitems; k++) {
		bool key;
		if (!callview_item_cites(v, k, f, &key))
			continue;
		if (key)
			return k;
		if (first == v->nitems)
			first = k;
	}
	return first;
}

/* " [1] [2]!": the findings that cite item k ("!": its key frame). */
static void markers(FILE *out, const struct callview *v, size_t k)
{
	for (size_t f = 0; f < v->nfindings; f++) {
		bool key;
		if (callview_item_cites(v, k, v->findings[f], &key))
			fprintf(out, " [%zu]%s", f + 1, key ? "!" : "");
	}
}

static void note(FILE *out, const struct callview *v, size_t f, uint32_t a, uint32_t b)
{
	const struct finding *fd = v->findings[f];
	note_over(out, a, b);
	fprintf(out, "[%zu] %s ", f + 1, severity_name(fd->severity));
	mm_text(out, fd->rule, 0);
	fputs("#58; ", out);
	mm_text(out, fd->summary ? fd->summary : "", NOTE_COLS);
	fputc('\n', out);
}

void ladder_mermaid(FILE *out, const struct callview *v)
{
	struct ladder_layout L;
	ladder_layout_init(&L, v, 80); /* for the time offsets only */
	char b[320];

	fputs("sequenceDiagram\n", out);
	for (size_t i = 0; i < v->nhosts; i++) {
		fprintf(out, "    participant H%zu as ", i + 1);
		mm_put(out, v->hosts[i].name, 0, true);
		if (v->hosts[i].media)
			fputs(" (RTP)", out);
		fputc('\n', out);
	}
	/* the header, over every host */
	if (v->nhosts)
		note_over(out, 0, (uint32_t)v->nhosts - 1);
	else
		fputs("    Note over H1: ", out); /* not reached: a call has a message */
	fprintf(out, "Call #35;%llu, Call-ID ", (unsigned long long)v->number);
	mm_text(out, v->call_id, 0);
	fputs("<br/>", out);
	mm_text(out, v->from[0] ? v->from : "?", 0);
	fputs(" → ", out);
	mm_text(out, v->to[0] ? v->to : "?", 0);
	fputs("<br/>", out);
	ladder_state_line(b, sizeof b, v);
	mm_text(out, b, 0);
	fputs("<br/>", out);
	ladder_span_line(b, sizeof b, v);
	mm_text(out, b, 0);
	if (v->legs[0]) {
		fputs("<br/>B2BUA#58; leg of ", out);
		mm_text(out, v->legs, 0);
	}
	fputc('\n', out);

	/* where each finding's note goes (once: items x findings) */
	size_t *at = xcalloc(v->nfindings ? v->nfindings : 1, sizeof *at);
	for (size_t f = 0; f < v->nfindings; f++)
		at[f] = note_item(v, v->findings[f]);
	for (size_t k = 0; k < v->nitems; k++) {
		const struct cv_item *it = &v->items[k];
		uint32_t a, d;
		item_cols(v, k, &a, &d);
		char t[40], cs[48];
		if (it->kind == CV_STREAM) {
			const struct cv_stream *st = &v->streams[it->i];
			const struct media_stream *s = &st->s;
			char codec[40];
			ladder_codec(codec, sizeof codec, s);
			ladder_offset(t, sizeof t, &L, s->start_ns);
			fprintf(out, "    H%u-)H%u: ", a + 1, d + 1);
			snprintf(b, sizeof b, "%s #%llu RTP %s %llu pkts, lost %llu", t, (unsigned long long)s->first_frame, codec,
				 (unsigned long long)s->packets, (unsigned long long)s->lost);
			mm_text(out, b, 0);
			if (s->expected) {
				snprintf(b, sizeof b, " (%.1f %%)", 100.0 * (double)s->lost / (double)s->expected);
				mm_text(out, b, 0);
			}
			if (s->jitter_mean_ms >= 0) {
				snprintf(b, sizeof b, ", jitter %.2f ms", s->jitter_mean_ms);
				mm_text(out, b, 0);
			}
			if (s->mos >= 0) {
				snprintf(b, sizeof b, ", MOS %.2f", s->mos);
				mm_text(out, b, 0);
			}
			ladder_offset(t, sizeof t, &L, s->end_ns);
			fputs(" until ", out);
			mm_text(out, t, 0);
			markers(out, v, k);
		} else {
			const struct cv_msg *m = &v->msgs[it->i];
			ladder_offset(t, sizeof t, &L, m->ns);
			fprintf(out, "    H%u%sH%u: ", a + 1, m->request ? "->>" : "-->>", d + 1);
			ladder_cseq(cs, sizeof cs, m, true);
			snprintf(b, sizeof b, "%s #%llu %s%s%s%s%s%s", t, (unsigned long long)m->frame, m->label,
				 cs[0] ? " (" : "", cs, cs[0] ? ")" : "",
				 m->flags & CM_RETRANS ? " (retrans)" : m->flags & CM_DUPLICATE ? " (dup)" : "",
				 m->malformed && strcmp(m->label, "(malformed)") ? " (malformed)" : "");
			mm_text(out, b, 0);
			markers(out, v, k);
			if (m->sdp) {
				fputs("<br/>SDP ", out);
				mm_text(out, m->sdp_brief, 0);
			}
		}
		fputc('\n', out);
		for (size_t f = 0; f < v->nfindings; f++)
			if (at[f] == k)
				note(out, v, f, a, d);
	}
	/* findings that cite no arrow (a registration that lapsed) */
	for (size_t f = 0; f < v->nfindings; f++)
		if (at[f] == v->nitems && v->nhosts)
			note(out, v, f, 0, (uint32_t)v->nhosts - 1);
	free(at);
	ladder_layout_free(&L);
}

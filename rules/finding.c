/* finding.c - building findings: frames, texts, and handing them over. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analyzer/xalloc.h"
#include "rule.h"

const char *severity_name(enum severity s)
{
	static const char *const n[] = { "info", "warning", "error" };
	return n[s];
}

int severity_parse(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(s, severity_name((enum severity)i)) == 0)
			return i;
	return -1;
}

struct finding *finding_new(struct rule_ctx *ctx, const struct call *c, enum severity sev)
{
	struct finding *f = xcalloc(1, sizeof *f);
	f->rule = ctx->rule->id;
	f->severity = sev;
	f->reference = ctx->rule->reference;
	f->call_seq = FINDING_NO_CALL;
	if (c) {
		f->input = c->input;
		f->call_seq = c->seq;
		f->call_id = xstrdup(c->call_id);
	}
	f->ts_ns = -1;
	return f;
}

void finding_dialog(struct finding *f, const struct dialog *d)
{
	free(f->from_tag);
	free(f->to_tag);
	f->from_tag = xstrndup(d->caller_tag.p, d->caller_tag.len);
	f->to_tag = xstrndup(d->callee_tag.p, d->callee_tag.len);
}

void finding_frame(struct finding *f, uint64_t frame)
{
	if (frame == 0) /* not captured (frames count from 1) */
		return;
	size_t i = f->nframes;
	while (i > 0 && f->frames[i - 1] > frame)
		i--;
	if (i > 0 && f->frames[i - 1] == frame)
		return;
	if (f->nframes == f->frames_cap) {
		f->frames_cap = f->frames_cap ? f->frames_cap * 2 : 8;
		f->frames = xrealloc(f->frames, f->frames_cap * sizeof *f->frames);
	}
	memmove(f->frames + i + 1, f->frames + i, (f->nframes - i) * sizeof *f->frames);
	f->frames[i] = frame;
	f->nframes++;
}

void finding_msg(struct finding *f, const struct call *c, int32_t idx)
{
	if (idx < 0 || (uint32_t)idx >= c->nmsgs)
		return;
	const struct sip_msg *m = c->msgs[idx].m;
	finding_frame(f, m->frame);
	if (!f->host[0])
		finding_host(f, &m->src);
	int64_t ns = msg_ns(m);
	if (f->ts_ns < 0 || ns < f->ts_ns)
		f->ts_ns = ns;
}

void finding_key(struct finding *f, const struct call *c, int32_t idx)
{
	if (idx < 0 || (uint32_t)idx >= c->nmsgs)
		return;
	finding_msg(f, c, idx);
	f->frame = c->msgs[idx].m->frame;
	finding_host(f, &c->msgs[idx].m->src);
}

void finding_host(struct finding *f, const struct endpoint *e)
{
	if (e && e->family)
		endpoint_format_ip(e, f->host, sizeof f->host);
	else
		f->host[0] = 0;
}

char *finding_strip_numbers(const char *s)
{
	size_t n = strlen(s);
	char *o = xmalloc(n + 1), *q = o;
	for (const char *p = s; *p;) {
		if (*p >= '0' && *p <= '9') {
			*q++ = 'N';
			while (*p >= '0' && *p <= '9')
				p++;
		} else {
			*q++ = *p++;
		}
	}
	*q = 0;
	return o;
}

void finding_key_frame(struct finding *f, uint64_t frame)
{
	if (!frame)
		return;
	finding_frame(f, frame);
	f->frame = frame;
}

static char *vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		xalloc_die(strlen(fmt));
	return s;
}

#define SETTER(name, field)                                 \
	void name(struct finding *f, const char *fmt, ...)  \
	{                                                   \
		va_list ap;                                 \
		va_start(ap, fmt);                          \
		free(f->field);                             \
		f->field = vfmt(fmt, ap);                   \
		va_end(ap);                                 \
	}
SETTER(finding_summary, summary)
SETTER(finding_explain, explanation)
SETTER(finding_hint, hint)
SETTER(finding_group, group)

/* The summary without what differs between occurrences of one cause: its
 * numbers (N), and the message labels' " (CSeq N METHOD)" and " at frame N". */
static char *default_group(const char *summary)
{
	char *s = finding_strip_numbers(summary);
	char *w = s;
	for (const char *p = s; *p;) {
		if (!strncmp(p, " (CSeq N ", 9)) {
			/* its ')' within 40 bytes (scanned by hand: GCC's
			 * -Wstringop-overread misjudges strchr here under ASan) */
			const char *e = p + 9;
			while (*e && *e != ')' && e - p < 40)
				e++;
			if (*e == ')' && e - p < 40) {
				p = e + 1;
				continue;
			}
		}
		if (!strncmp(p, " at frame N", 11)) {
			p += 11;
			continue;
		}
		*w++ = *p++;
	}
	*w = 0;
	return s;
}

void finding_emit(struct rule_ctx *ctx, struct finding *f)
{
	if (!f->summary)
		f->summary = xstrdup(ctx->rule->summary);
	if (!f->group)
		f->group = default_group(f->summary);
	if (!f->frame && f->nframes)
		f->frame = f->frames[0];
	ctx->sink(ctx->ud, f);
}

void finding_free(struct finding *f)
{
	if (!f)
		return;
	free(f->call_id);
	free(f->from_tag);
	free(f->to_tag);
	free(f->frames);
	free(f->summary);
	free(f->explanation);
	free(f->hint);
	free(f->group);
	free(f);
}

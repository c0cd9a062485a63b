/* util.c - small helpers shared by the rules: quoting header values and
 * labelling messages in findings. */
#include <stdio.h>
#include <string.h>

#include "rule.h"

void sv_print(char *buf, size_t size, struct sv v)
{
	size_t o = 0;
	v = sv_trim(v);
	for (size_t i = 0; i < v.len && o + 4 < size; i++) {
		unsigned char ch = (unsigned char)v.p[i];
		if (ch == '\r' || ch == '\n' || ch == '\t')
			ch = ' ';
		if (ch < 0x20 || ch == 0x7f)
			ch = '?';
		if (ch == ' ' && o && buf[o - 1] == ' ')
			continue;
		buf[o++] = (char)ch;
	}
	if (o + 4 >= size && v.len > o) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = 0;
}

bool session_expires(const struct sip_msg *m, uint64_t *secs, struct sv *refresher)
{
	struct sv v = sv_trim(sip_msg_hdr(m, SIP_H_SESSION_EXPIRES));
	if (!v.p)
		return false;
	struct sv num = v;
	ptrdiff_t semi = sv_find(v, ';');
	if (semi >= 0)
		num.len = (size_t)semi;
	if (!sv_to_u64(sv_trim(num), UINT32_MAX, secs))
		return false;
	*refresher = SV_NULL;
	if (semi >= 0 && sip_param(sv_make(v.p + semi, v.len - (size_t)semi), "refresher", refresher))
		*refresher = sv_trim(*refresher);
	return true;
}

int quote_causes(char *buf, size_t size, const struct sip_msg *m)
{
	static const enum sip_hdr_id ids[] = { SIP_H_REASON, SIP_H_WARNING, SIP_H_X_ASTERISK_HANGUPCAUSE,
					       SIP_H_P_REGISTRAR_ERROR };
	int n = 0;
	size_t o = strlen(buf);
	for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
		struct sv v = sip_msg_hdr(m, ids[i]);
		if (!v.p || !sv_trim(v).len)
			continue;
		char val[200];
		sv_print(val, sizeof val, v);
		int w = snprintf(buf + o, size - o, "%s%s: %s", o ? "; " : "", sip_header_name(ids[i]), val);
		if (w < 0 || (size_t)w >= size - o)
			break;
		o += (size_t)w;
		n++;
	}
	return n;
}

void msg_label(char *buf, size_t size, const struct call *c, int32_t idx)
{
	struct sip_msg *m = c->msgs[idx].m;
	const struct sip_cseq *cs = sip_msg_cseq(m);
	char cseq[48] = "";
	if (cs->valid)
		snprintf(cseq, sizeof cseq, " (CSeq %u %.*s)", cs->num, (int)(cs->method.len > 20 ? 20 : cs->method.len),
			 cs->method.p);
	if (m->start.is_request)
		snprintf(buf, size, "%.*s%s at frame %llu", (int)(m->start.method.len > 20 ? 20 : m->start.method.len),
			 m->start.method.p, cseq, (unsigned long long)m->frame);
	else {
		char reason[64];
		sv_print(reason, sizeof reason, m->start.reason);
		snprintf(buf, size, "%d %s%s at frame %llu", m->start.status, reason, cseq,
			 (unsigned long long)m->frame);
	}
}

bool msg_has_credentials(const struct sip_msg *m)
{
	return sip_msg_has(m, SIP_H_AUTHORIZATION) || sip_msg_has(m, SIP_H_PROXY_AUTHORIZATION);
}

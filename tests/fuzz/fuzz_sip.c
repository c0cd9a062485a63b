/* fuzz_sip.c - libFuzzer harness for the SIP head parser, message builder,
 * typed accessors, the SDP parser and the TLS key log parser (text input all). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../analyzer/tls/keylog.h"
#include "../../analyzer/sip/sip.h"
#include "../../cmd/baseline.h"
#include "../head_resume_check.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size heap copy so ASan sees any over-read */
	char *p = malloc(size ? size : 1);
	memcpy(p, data, size);
	struct sip_start st;
	struct sip_header h[64];
	size_t nh = 64;
	const char *err;
	sip_parse_head(p, size, &st, h, &nh, NULL, &err);
	/* the head cut in three (cuts from the input's last bytes) and parsed on
	 * across the cuts, as TCP framing does, against the one parse */
	if (size >= 2) {
		size_t c1 = (size_t)(uint8_t)p[size - 1] * size / 256, c2 = c1 + (size_t)(uint8_t)p[size - 2] * (size - c1) / 256;
		if (head_resume_differs(p, size, c1, c2))
			abort();
	}
	/* sip_param's shortcut for a plain first parameter against the walk */
	{
		struct sv a = { 0 }, b = { 0 }, name = sv_make("tag", 3);
		bool fa = sip_param(sv_make(p, size), "tag", &a), fb = sip_params_sv(sv_make(p, size), &name, 1, &b) != 0;
		if (fa != fb || (fa && (a.p != b.p || a.len != b.len)))
			abort();
	}
	sip_looks_like_start(p, size);
	struct sip_msg *m = sip_msg_new(p, size, size & 1);
	if (m) {
		/* the call model's tags alone against the whole parse: the same
		 * validity and the same slice */
		struct sip_tag ft = *sip_msg_from_tag(m), tt = *sip_msg_to_tag(m);
		const struct sip_nameaddr *f = sip_msg_from(m), *t = sip_msg_to(m);
		if (ft.valid != f->valid || ft.tag.p != f->tag.p || ft.tag.len != f->tag.len || tt.valid != t->valid ||
		    tt.tag.p != t->tag.p || tt.tag.len != t->tag.len)
			abort();
		/* the top Via's shortcut against the list walk */
		struct sip_via v0;
		sip_msg_via_at(m, 0, &v0);
		const struct sip_via *v = sip_msg_via(m);
		if (v->valid != v0.valid || v->host.p != v0.host.p || v->host.len != v0.host.len ||
		    v->branch.p != v0.branch.p || v->branch.len != v0.branch.len || v->port != v0.port)
			abort();
		fuzz_touch(m);
		sip_msg_free(m);
	}
	struct sdp s;
	sdp_parse(sv_make(p, size), &s);
	struct keylog *kl = keylog_new();
	keylog_add_text(kl, "fuzz", p, size);
	uint8_t cr[32] = { 0 };
	if (size >= 32)
		memcpy(cr, p, 32);
	keylog_find(kl, cr);
	keylog_free(kl);
	/* the --baseline reader (jansson underneath, our checks on top) */
	char why[256];
	struct baseline *b = baseline_parse(p, size, "fuzz", why, sizeof why);
	if (b) {
		struct finding f = { .rule = "call-failed", .summary = (char *)"x", .group = (char *)"486 Busy Here" };
		baseline_match(b, "fuzz.pcap", &f);
		baseline_free(b);
	}
	free(p);
	return 0;
}

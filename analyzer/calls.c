/* calls.c - grouping messages by (input, Call-ID) with a chained hash table. */
#include "calls.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "xalloc.h"

void callstore_init(struct callstore *cs)
{
	memset(cs, 0, sizeof *cs);
	cs->nbuckets = 1024;
	cs->bucket = xcalloc(cs->nbuckets, sizeof *cs->bucket);
}

static void grow(struct callstore *cs)
{
	size_t nb = cs->nbuckets * 2;
	struct call **b = xcalloc(nb, sizeof *b);
	for (size_t i = 0; i < cs->ncalls; i++) {
		struct call *c = cs->calls[i];
		uint32_t h = hash_bytes(c->call_id, c->call_id_len, c->input);
		c->hnext = b[h & (nb - 1)];
		b[h & (nb - 1)] = c;
	}
	free(cs->bucket);
	cs->bucket = b;
	cs->nbuckets = nb;
}

struct call *callstore_add(struct callstore *cs, struct sip_msg *m)
{
	struct sv id = m->malformed && !m->first[SIP_H_CALL_ID] ? SV_NULL : sip_msg_call_id(m);
	uint32_t h = hash_bytes(id.p ? id.p : "", id.len, m->input);
	struct call *c = cs->bucket[h & (cs->nbuckets - 1)];
	while (c && !(c->input == m->input && c->call_id_len == id.len &&
		      (id.len == 0 || memcmp(c->call_id, id.p, id.len) == 0)))
		c = c->hnext;
	if (!c) {
		if (cs->ncalls >= cs->nbuckets)
			grow(cs);
		c = xcalloc(1, sizeof *c);
		c->input = m->input;
		c->call_id = xstrndup(id.p ? id.p : "", id.len);
		c->call_id_len = id.len;
		c->hnext = cs->bucket[h & (cs->nbuckets - 1)];
		cs->bucket[h & (cs->nbuckets - 1)] = c;
		if (cs->ncalls == cs->cap) {
			cs->cap = cs->cap ? cs->cap * 2 : 256;
			cs->calls = xrealloc(cs->calls, cs->cap * sizeof *cs->calls);
		}
		cs->calls[cs->ncalls++] = c;
	}
	if (c->nmsgs == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->msgs = xrealloc(c->msgs, c->cap * sizeof *c->msgs);
	}
	c->msgs[c->nmsgs++] = m;
	return c;
}

void callstore_release(struct callstore *cs)
{
	for (size_t i = 0; i < cs->ncalls; i++) {
		struct call *c = cs->calls[i];
		for (size_t k = 0; k < c->nmsgs; k++)
			sip_msg_free(c->msgs[k]);
		free(c->msgs);
		free(c->call_id);
		free(c);
	}
	free(cs->calls);
	free(cs->bucket);
	memset(cs, 0, sizeof *cs);
}

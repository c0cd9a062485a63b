/* calls.h - messages grouped into calls by Call-ID, per input file.
 * The store owns the calls and, through them, the messages. */
#ifndef SIPAUDIT_CALLS_H
#define SIPAUDIT_CALLS_H

#include "sipmsg.h"

struct call {
	uint32_t input;
	char *call_id; /* owned, NUL-terminated copy; "" when the message had none */
	size_t call_id_len;
	struct sip_msg **msgs; /* owned, in arrival order */
	size_t nmsgs, cap;
	struct call *hnext;
};

struct callstore {
	struct call **bucket;
	size_t nbuckets;
	struct call **calls; /* in order of first message */
	size_t ncalls, cap;
};

void callstore_init(struct callstore *cs);
/* Takes ownership of m. Returns the call it joined. */
struct call *callstore_add(struct callstore *cs, struct sip_msg *m);
void callstore_release(struct callstore *cs);

#endif

/* fuzz_common.h - a sink that exercises every lazy accessor of each message. */
#ifndef SIPAUDIT_FUZZ_COMMON_H
#define SIPAUDIT_FUZZ_COMMON_H

#include "../../analyzer/sdp.h"
#include "../../analyzer/sipmsg.h"

static inline void fuzz_touch(struct sip_msg *m)
{
	volatile size_t sink = 0;
	sink += sip_msg_cseq(m)->num;
	sink += sip_msg_from(m)->tag.len + sip_msg_to(m)->user.len;
	sink += sip_msg_via(m)->port;
	sink += (size_t)sip_msg_contact(m)->expires;
	sink += sip_msg_hdr_count(m, SIP_H_VIA) + sip_msg_hdr_count(m, SIP_H_ROUTE);
	sink += (size_t)sip_msg_int(m, SIP_H_EXPIRES);
	struct sip_auth a;
	if (sip_msg_auth(m, SIP_H_WWW_AUTHENTICATE, &a))
		sink += a.realm.len + a.nonce.len;
	struct sdp s;
	if (sip_msg_sdp_parse(m, &s))
		sink += s.nmedia;
	(void)sink;
}

static inline void fuzz_sink(void *ud, struct sip_msg *m)
{
	(void)ud;
	fuzz_touch(m);
	sip_msg_free(m);
}

#endif

/* fuzz_common.h - a sink that exercises every lazy accessor of each message. */
#ifndef SIPAUDIT_FUZZ_COMMON_H
#define SIPAUDIT_FUZZ_COMMON_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "../../analyzer/tls/keylog.h"
#include "../../analyzer/sip/sdp.h"
#include "../../analyzer/sip/sipmsg.h"

/* A key log of every NAME.keys in FUZZ_SRC/dir, read once per dir (the
 * caller keeps it in a static): the harnesses' seeds then decrypt. */
static inline struct keylog *fuzz_keylog_dir(const char *dir)
{
	struct keylog *kl = keylog_new();
	char d[4096];
	snprintf(d, sizeof d, "%s/%s", FUZZ_SRC, dir);
	DIR *h = opendir(d);
	struct dirent *e;
	while (h && (e = readdir(h))) {
		size_t n = strlen(e->d_name);
		if (n > 5 && strcmp(e->d_name + n - 5, ".keys") == 0) {
			char path[8192], err[256];
			snprintf(path, sizeof path, "%s/%s", d, e->d_name);
			keylog_add_file(kl, path, err, sizeof err);
		}
	}
	if (h)
		closedir(h);
	return kl;
}

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

/* rescode.h - every SIP response code (RFC 3261 §21 and the IANA registry)
 * with its standard phrase and a plain explanation of what it usually means. */
#ifndef SIPAUDIT_RESCODE_H
#define SIPAUDIT_RESCODE_H

struct rescode {
	int code;
	const char *phrase;
	const char *meaning;
};

/* The entry for code, or for its class (x00) when the code is unregistered;
 * never NULL for 100..699. */
const struct rescode *rescode_lookup(int code);
/* Whether code is in the table itself (not just its class). */
int rescode_known(int code);

#endif

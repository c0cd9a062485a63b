/* sip.h - zero-copy SIP message head parser (RFC 3261 §7, §25), picohttpparser style.
 * The caller owns the header array; every output is a slice into the input;
 * nothing is allocated; the input is never written. */
#ifndef SIPAUDIT_SIP_H
#define SIPAUDIT_SIP_H

#include "sv.h"

enum sip_hdr_id {
	SIP_H_OTHER = 0,
#define X(e, name, compact, multi) SIP_H_##e,
#include "sip_headers.def"
#undef X
	SIP_H_COUNT
};

struct sip_header {
	struct sv name;  /* as written (may be compact) */
	struct sv value; /* trimmed; folded lines keep their CRLF+WS inside */
	enum sip_hdr_id id;
};

struct sip_start {
	bool is_request;
	struct sv method;  /* request */
	struct sv uri;     /* request */
	int status;        /* response: 100..699 */
	struct sv reason;  /* response */
	struct sv version; /* "SIP/2.0" */
	struct sv line;    /* the whole start line without CRLF */
};

/* Results of sip_parse_head other than a length. */
#define SIP_PARSE_INVALID (-1)
#define SIP_PARSE_PARTIAL (-2)

/* Upper bounds that turn absurd input into errors, not work. */
#define SIP_MAX_HEAD 65536
#define SIP_MAX_LINE 8192
/* sip_parse_head's *err when the head runs past SIP_MAX_HEAD bytes without
 * its blank line (compare the pointer). */
extern const char sip_err_head_too_long[];

/* Parses the start line and header fields of buf[0..len).
 * On success returns the length of the head including the blank line, fills
 * *start and up to *nhdrs headers (on return *nhdrs holds the number stored;
 * *ntotal, if not NULL, the number seen, which may be larger).
 * Returns SIP_PARSE_PARTIAL when buf ends before the blank line and
 * SIP_PARSE_INVALID (with *err set to a static reason) on bad syntax, or
 * with sip_err_head_too_long once the head, blank line included, cannot end
 * within SIP_MAX_HEAD bytes (a partial head longer than that too); in
 * both cases the headers before the end or the damage are stored.
 * Outputs are reset on entry. */
int sip_parse_head(const char *buf, size_t len, struct sip_start *start,
		   struct sip_header *hdrs, size_t *nhdrs, size_t *ntotal,
		   const char **err);

/* What a head parse that ran out of bytes (or found the whole head) had
 * read, as offsets: the same bytes with more after them, wherever they now
 * lie, resume where it stopped instead of being read again (a TCP message
 * split across segments). Holds up to SIP_HEAD_STATE_MAX headers; a head
 * with more is parsed from the start each time. */
#define SIP_HEAD_STATE_MAX 64
struct sip_head_state {
	uint32_t pos;   /* bytes read for good (whole lines); 0: nothing kept */
	uint32_t n, total;
	bool has_last;  /* the last header read may be continued by a folded line */
	bool done;      /* the head ends at pos, its blank line included */
	struct {
		uint32_t name, name_len, value, value_len;
		enum sip_hdr_id id;
	} h[SIP_HEAD_STATE_MAX];
};

/* sip_parse_head, resuming from *hs when hs->pos is not 0: then buf must
 * begin with the same hs->pos bytes as the buffer of the parse that filled
 * *hs. Same results as sip_parse_head on buf. On return *hs holds this
 * parse's progress when it ended PARTIAL after the start line (or, kept
 * by sip_head_keep, the whole head); otherwise hs->pos is 0. */
int sip_parse_head_resume(const char *buf, size_t len, struct sip_start *start, struct sip_header *hdrs,
			  size_t *nhdrs, size_t *ntotal, const char **err, struct sip_head_state *hs);
/* Keeps a whole head (head_len, sip_parse_head's result, and its headers)
 * in *hs, for when the body is still to come. */
void sip_head_keep(struct sip_head_state *hs, const char *buf, int head_len, const struct sip_header *hdrs,
		   size_t n, size_t ntotal);

/* Parses one start line (without its CRLF). strict also rejects control
 * characters in the reason phrase. */
bool sip_parse_start(struct sv line, struct sip_start *st, const char **err, bool strict);

/* True when buf begins with something shaped like a SIP start line
 * (request line ending in SIP/x.y, or a status line). Cheap: looks at the
 * first line only. Used to recognise SIP on any port. */
bool sip_looks_like_start(const char *buf, size_t len);

/* For byte streams: could buf (holding no complete first line yet) still
 * become a SIP start line once more bytes arrive? */
bool sip_start_prefix_plausible(const char *buf, size_t len);

/* Content-Length of a parsed head (first instance, long or compact form):
 * 1 found, 0 absent, -1 not a number. */
int sip_head_content_length(const struct sip_header *h, size_t n, uint64_t *clen);

/* Header id for a name (full or compact form, any case). */
enum sip_hdr_id sip_header_lookup(const char *name, size_t len);
/* Canonical full name of an id ("Call-ID"); "" for SIP_H_OTHER. */
const char *sip_header_name(enum sip_hdr_id id);
/* Whether the header may carry a comma-separated list. */
bool sip_header_is_multi(enum sip_hdr_id id);

/* How many of p[0..max) are token characters (RFC 3261 §25.1), from the
 * first: the length of a header name that starts at p. */
size_t sip_token_len(const char *p, size_t max);

/* Splits a list header value at commas outside quotes and <>.
 * Iterates: *pos starts at 0; returns false when no element is left. */
bool sip_list_next(struct sv value, size_t *pos, struct sv *elem);

/* Finds ;name=value in a parameter list (case-insensitive name; name is
 * given in lowercase). value is unquoted when quoted. Returns false if
 * absent; an empty value for a bare flag (";rport"). */
bool sip_param_n(struct sv params, const char *name, size_t name_len, struct sv *value);
static inline bool sip_param(struct sv params, const char *name, struct sv *value)
{
	return sip_param_n(params, name, strlen(name), value); /* (a literal's length, at the call) */
}
/* Several parameters in one pass (at most 8 names, in lowercase): bit k of the result
 * is set when names[k] was found, its value in values[k] (the first one,
 * as sip_param finds it); values of names not found are left alone. */
unsigned sip_params_sv(struct sv params, const struct sv *names, unsigned n, struct sv *values);

#endif

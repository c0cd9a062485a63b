/* sipframe.h - where SIP messages begin and end in datagrams and byte
 * streams (sipframe.c), and their delivery to the sink as parsed messages. */
#ifndef SIPAUDIT_SIPFRAME_H
#define SIPAUDIT_SIPFRAME_H

#include "internal.h"

/* sipframe.c - message boundaries. */
/* A datagram-like unit (UDP payload, SCTP chunk, WebSocket message, HEP
 * payload): one SIP message, or several back to back. */
void sipframe_datagram(struct analyzer *an, const struct flowmeta *fm, const uint8_t *p, size_t len);
/* Builds and delivers one message (bytes are copied). */
void sipframe_emit(struct analyzer *an, const struct flowmeta *fm, const uint8_t *p, size_t len,
		   bool truncated_body, const char *why_malformed);

enum frame_result { FRAME_MSG, FRAME_PARTIAL, FRAME_NOT_SIP, FRAME_TOO_LONG };
/* Finds the end of the SIP message starting at p on a stream transport.
 * FRAME_MSG: *msg_len set, and (m not NULL) *m the message built from that
 * one parse of its head (NULL when the head did not parse: the caller
 * builds it from the bytes, with sipframe_emit). FRAME_PARTIAL: *want is
 * the total length needed when known, else 0. FRAME_NOT_SIP: p does not
 * start with a SIP start line. FRAME_TOO_LONG: a SIP message whose head
 * does not end within SIP_MAX_HEAD bytes. *no_clen is set when the message
 * had no Content-Length. hs (may be NULL): the head parse resumes from it
 * and leaves its progress there (sip_parse_head_resume). */
enum frame_result sipframe_stream(const uint8_t *p, size_t len, size_t *msg_len, size_t *want, bool *no_clen,
				  struct sip_msg **m, struct sip_head_state *hs);
/* A message built by the caller (sipframe_stream), as sipframe_emit
 * delivers what it builds. */
void sipframe_deliver(struct analyzer *an, const struct flowmeta *fm, struct sip_msg *m, const char *why_malformed);
/* Offset of the first line in p that starts a SIP message, or -1. */
ptrdiff_t sipframe_find_start(const uint8_t *p, size_t len);
/* Leading CR/LF keep-alives (RFC 5626 §3.5.1) to skip. */
size_t sipframe_skip_crlf(const uint8_t *p, size_t len);

#endif

/* rtp.h - RTP and RTCP headers (RFC 3550), as the media layer needs them:
 * a fixed header per RTP packet, the sender info and report blocks of a
 * compound RTCP packet, and the static payload types of RFC 3551. Parsing
 * copies a few fields and keeps no pointer into the packet. */
#ifndef SIPAUDIT_RTP_H
#define SIPAUDIT_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct rtp_hdr {
	uint8_t pt;
	bool marker;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint32_t payload_len; /* after header, CSRCs, extension and padding */
	uint32_t payload_off; /* where the payload starts in the packet */
};

#define RTCP_MAX_BLOCKS 8

struct rtcp_block {
	uint32_t ssrc;      /* the source reported on */
	uint8_t fraction;   /* fraction lost since the last report, /256 */
	int32_t cum_lost;   /* 24-bit signed */
	uint32_t ext_seq;   /* extended highest sequence received */
	uint32_t jitter;    /* interarrival jitter, timestamp units */
	uint32_t lsr, dlsr;
};

struct rtcp_info {
	uint32_t ssrc;      /* sender of the first SR/RR */
	bool sr;            /* carries sender info */
	uint64_t ntp;
	uint32_t rtp_ts, pkt_count, octet_count;
	struct rtcp_block blocks[RTCP_MAX_BLOCKS];
	unsigned nblocks;
	bool bye;
};

/* A packet that may be RTP or RTCP, handed from the decoder to the media
 * layer (UDP payloads whose first byte says version 2). */
struct media_pkt {
	uint32_t input;
	uint64_t frame;
	int64_t ns;
	struct endpoint src, dst;
	bool rtcp;
	/* The whole UDP payload (RTP header included), valid during the
	 * callback only: for the exporters that decode audio. */
	const uint8_t *data;
	size_t len;
	union {
		struct rtp_hdr rtp;
		struct rtcp_info rtcp;
	} u;
};

/* Second byte of a version-2 packet in 192..223: RTCP (RFC 5761 §4). */
static inline bool rtp_version2(const uint8_t *p, size_t len)
{
	return len >= 8 && (p[0] & 0xC0) == 0x80;
}
static inline bool rtcp_type(const uint8_t *p)
{
	return p[1] >= 192 && p[1] <= 223;
}

/* False when the bytes cannot be an RTP packet (too short, CSRCs or
 * extension or padding beyond the end, payload type in the RTCP range). */
bool rtp_parse(const uint8_t *p, size_t len, struct rtp_hdr *h);
/* A compound RTCP packet (RFC 3550 §6.1, validity as in A.2, relaxed to
 * accept a lone RR/SR-less packet as RFC 5506 allows). */
bool rtcp_parse(const uint8_t *p, size_t len, struct rtcp_info *out);

/* RFC 3551 static payload types: encoding name and clock rate; NULL/0 for
 * dynamic or unassigned. */
const char *rtp_static_name(unsigned pt);
uint32_t rtp_static_clock(unsigned pt);

#endif

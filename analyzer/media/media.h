/* media.h - RTP streams (RFC 3550): the figures of one stream, how it was
 * tied to its call, and the media table that builds them from packets and
 * the calls' SDP (RFC 3264 offer/answer, RFC 8839 ICE candidates).
 *
 * A stream is one SSRC sent from one transport address to another. The
 * media table keeps a flow per (src, dst) pair; a flow is tied to a call
 * when one of its ends is an address an SDP of the call announced (or when
 * the opposite flow is tied), and its streams become the call's media when
 * the call is finalised. Flows no SDP explains are reported apart once idle,
 * if their packets look like RTP (consistent SSRC and sequence). */
#ifndef SIPAUDIT_MEDIA_H
#define SIPAUDIT_MEDIA_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "rtp.h"

enum media_match {
	MATCH_NONE,     /* no SDP explains it: found by its RTP headers alone */
	MATCH_SDP_DST,  /* sent to an address the receiver's SDP announced */
	MATCH_SDP_SRC,  /* sent from an address the sender's SDP announced */
	MATCH_REVERSE,  /* the opposite direction of a matched flow (NAT latching) */
};
const char *media_match_name(enum media_match m);

/* RTCP about a stream (RFC 3550 §6.4): what its sender said in SRs and what
 * its receiver said in report blocks. */
struct media_rtcp {
	uint32_t sr;                 /* sender reports from the stream's SSRC */
	uint32_t sender_packets;     /* packet and octet counts of the latest SR */
	uint32_t sender_octets;
	uint32_t rr;                 /* report blocks about the stream */
	double fraction_lost_max;    /* percent, the worst interval reported */
	int32_t cum_lost;            /* latest cumulative number lost */
	double jitter_max_ms;        /* worst reported jitter (-1 unknown clock) */
};

/* A stream over time, for charts: fixed bins from its first packet, so its
 * memory is bounded and copying a stream copies it. When a packet falls
 * past the last bin, the bin width doubles and pairs of bins merge (at most
 * log2(duration / MEDIA_BIN0_NS) times), so a stream of any length fits. */
#define MEDIA_BINS 64
#define MEDIA_BIN0_NS 250000000LL /* 250 ms */
struct media_bin {
	uint32_t packets;
	uint32_t lost;               /* sequence numbers skipped by packets of this bin (less late arrivals) */
	uint32_t jitter_n;           /* jitter samples (RFC 3550 A.8, as jitter_mean_ms counts them) */
	float jitter_sum_ms, jitter_max_ms;
};
struct media_series {
	int64_t t0_ns;               /* start of bin 0: the stream's first packet */
	int64_t width_ns;            /* bin width, MEDIA_BIN0_NS doubled as needed */
	uint32_t nbins;              /* bins in use */
	struct media_bin bin[MEDIA_BINS];
};
/* Counts a packet at ns: gap sequence numbers skipped before it, late: it
 * filled an earlier gap, jitter_ms the jitter after it (< 0: no sample).
 * In rtpstats.c with the rest of a stream's RFC 3550 accounting. */
void media_series_add(struct media_series *t, int64_t ns, uint32_t gap, bool late, double jitter_ms);

/* One payload type a stream carried: its packets and its first packet. */
#define MEDIA_MAX_PTS 4
struct media_pt {
	uint8_t pt;
	uint64_t packets;
	uint64_t first_frame;
	int64_t first_ns;
};

struct media_stream {
	struct endpoint src, dst;
	uint32_t ssrc;
	uint8_t pt;                  /* the stream's first payload type */
	char codec[32];              /* "PCMU/8000", "" when not known */
	char media[12];              /* SDP media type ("audio"), "" when not known */
	uint32_t clock;              /* RTP clock rate, 0 when not known */
	uint64_t first_frame, last_frame;
	int64_t start_ns, end_ns;
	uint64_t packets, bytes;     /* payload bytes */
	uint64_t other_pt_packets;   /* packets with another payload type (DTMF, CN, a switch) */
	/* The payload types its packets carried, the first MEDIA_MAX_PTS in
	 * order of appearance: rules tell RFC 4733 events among the media by
	 * what the SDP maps them to (not in the report). */
	struct media_pt pts[MEDIA_MAX_PTS];
	uint8_t npts;
	uint64_t expected, lost, duplicates, out_of_order;
	uint32_t seq_restarts;       /* sequence jumps taken as a new start (A.1) */
	uint64_t answered_packets;   /* packets after the call was answered */
	double jitter_mean_ms, jitter_max_ms; /* RFC 3550 A.8, -1 when the clock is unknown */
	double max_delta_ms;         /* longest gap between two packets */
	uint64_t max_delta_frame;    /* the packet that ended it */
	double burst_ratio;          /* G.107 BurstR from the loss pattern */
	double r_factor, mos;        /* E-model estimate, -1 when not estimated (not audio) */

	/* How the stream belongs to its call */
	enum media_match match;
	int8_t from_caller;          /* 1 caller → callee, 0 callee → caller, -1 unknown */
	int32_t dialog;              /* -1 */
	int32_t sdp_msg;             /* message of the SDP that matched, -1 */
	int16_t mline;               /* m= line index in that SDP, -1 */
	bool src_differs;            /* packets come from elsewhere than the sender's SDP said */
	struct endpoint sdp_src;
	bool dst_differs;            /* packets go elsewhere than the receiver's SDP said */
	struct endpoint sdp_dst;
	bool sdp_dst_private;        /* sent to a private address announced by SDP */
	/* A media relay (rtpproxy, rtpengine, an SBC) between the parties: the
	 * same SSRC flows into the relay (leg 1) and out of it (leg 2), each leg
	 * a stream of its own. relay is the relay's address on this leg. */
	int8_t leg;                  /* 0 no relay seen, 1 into the relay, 2 out of it */
	bool relay_in_sdp;           /* an SDP of the call names the relay's address */
	struct endpoint relay;
	bool has_rtcp;
	struct media_rtcp rtcp;
	struct media_series series;  /* packets, loss and jitter over time */
};

/* ITU-T G.107 E-model, simplified as passive monitors do: R from the loss
 * (with its burstiness), the codec's impairment, and a delay made of the
 * packetisation and a jitter buffer twice the mean jitter (emodel.c, whose
 * pure functions emodel.h declares). */
void media_quality(struct media_stream *s, double ptime_ms);
/* MOS-CQE from R (G.107 Annex B), held within 1..4.5. */
double media_mos(double r);

/* ---- the media table (media.c), owned by the call store ---- */
struct call;
struct media_table;
typedef void (*media_orphan_fn)(void *ud, uint32_t input, const struct media_stream *s);

struct media_table *media_table_new(void);
/* Receives each RTP stream no call explained (once idle or at the end of
 * its input); the stream is valid during the call only. */
void media_table_set_orphan(struct media_table *mt, media_orphan_fn orphan, void *ud);
void media_table_free(struct media_table *mt);
/* A message was added to call c (index idx): indexes its SDP addresses and
 * notes the answer. */
void media_on_msg(struct media_table *mt, struct call *c, int32_t idx);
/* A packet that may be RTP or RTCP. */
void media_packet(struct media_table *mt, const struct media_pkt *p);
/* The call is being finalised: its streams are stored in c->media and its
 * addresses forgotten. */
void media_finish_call(struct media_table *mt, struct call *c);
/* The input ended: flows no call explained are reported (if RTP). */
void media_end_input(struct media_table *mt, uint32_t input);

#endif

/* sdp.h - zero-copy SDP parser (RFC 8866) for what SIP analysis needs:
 * origin, connection addresses, media lines, rtpmap/fmtp, direction, rtcp,
 * rtcp-mux and ICE candidates (RFC 8839). All slices point into the body. */
#ifndef SIPAUDIT_SDP_H
#define SIPAUDIT_SDP_H

#include "sipmsg.h"

#define SDP_MAX_MEDIA 8
#define SDP_MAX_FORMATS 32
#define SDP_MAX_RTPMAP 16

enum sdp_dir { SDP_DIR_UNSET = 0, SDP_SENDRECV, SDP_SENDONLY, SDP_RECVONLY, SDP_INACTIVE };

struct sdp_rtpmap {
	int pt;
	struct sv encoding; /* "PCMU" */
	uint32_t clock;
	struct sv params;   /* channels, may be empty */
	struct sv fmtp;     /* a=fmtp value, may be empty */
};

#define SDP_MAX_CAND 8

enum sdp_cand_type { CAND_HOST, CAND_SRFLX, CAND_PRFLX, CAND_RELAY, CAND_OTHER };

/* a=candidate (RFC 8839 §5.1): where ICE may send the media from/to. */
struct sdp_cand {
	struct sv addr;
	uint16_t port;
	uint8_t component; /* 1 RTP, 2 RTCP */
	enum sdp_cand_type type;
};

struct sdp_conn {
	uint8_t family; /* 4, 6; 0 = absent */
	struct sv addr;
};

struct sdp_media {
	struct sv type;  /* audio, video, image, application */
	uint16_t port;
	uint16_t nports;
	struct sv proto; /* RTP/AVP, RTP/SAVPF, udptl... */
	int fmt[SDP_MAX_FORMATS]; /* payload types, -1 for non-numeric */
	struct sv fmt_token[SDP_MAX_FORMATS]; /* as written ("t38") */
	unsigned nfmt;
	struct sdp_conn conn; /* media-level c=, else a copy of the session's */
	enum sdp_dir dir;     /* media attribute, else session's, else sendrecv */
	uint16_t rtcp_port;   /* a=rtcp, 0 when absent */
	struct sdp_conn rtcp_conn;
	bool rtcp_mux;
	bool crypto;          /* a=crypto (RFC 4568): the media is SRTP */
	struct sdp_rtpmap map[SDP_MAX_RTPMAP];
	unsigned nmap;
	unsigned candidates, cand_host, cand_srflx, cand_relay;
	struct sdp_cand cand[SDP_MAX_CAND]; /* the first SDP_MAX_CAND UDP candidates */
	unsigned ncand;
};

struct sdp {
	struct sv o_user, o_sess_id, o_sess_version;
	struct sdp_conn o_conn; /* origin address */
	struct sdp_conn conn;   /* session-level c= */
	enum sdp_dir dir;
	unsigned nmedia;
	unsigned media_total; /* m= lines seen, may exceed SDP_MAX_MEDIA */
	/* only media[0..nmedia) is set: the rest is not even zeroed (a media
	 * section is 2 KB, and most SDPs have one or two of eight) */
	struct sdp_media media[SDP_MAX_MEDIA];
};

/* Parses an SDP body. False when it is not SDP (no v= line first). */
bool sdp_parse(struct sv body, struct sdp *out);

/* What sdp_parse would give of the origin and the first m= line, without
 * the rest (the B2BUA link key, on the reading thread): o_user,
 * o_sess_id, o_sess_version, o_conn; has_media for nmedia > 0, port for
 * media[0].port. False exactly when sdp_parse is. */
struct sdp_origin {
	struct sv user, sess_id, sess_version;
	struct sdp_conn conn;
	bool has_media;
	uint16_t port;
};
bool sdp_parse_origin(struct sv body, struct sdp_origin *out);

/* The SDP in a message body: the body itself for application/sdp, or the
 * application/sdp part of a multipart body (RFC 5621). */
bool sip_msg_sdp(const struct sip_msg *m, struct sv *sdp);

/* The message's SDP, parsed (sip_msg_sdp + sdp_parse): what renderers use,
 * so they never look at bodies themselves. Parsed once per expansion of
 * the message and kept with its header index (sip_msg_derived_keep), NULL
 * when the message has no SDP (at once, for a message without a body).
 * The pointer lives as long as those of
 * sip_msg_from() and friends (until the next compaction), and at least
 * until this thread's third following call (an SDP not kept, over the
 * budget, is in a ring of four). */
const struct sdp *sip_msg_sdp_get(const struct sip_msg *m);
/* The message's SDP origin and first port (sdp_parse_origin): from the
 * SDP parsed and kept already if it is, else parsed whole and kept
 * (sip_msg_sdp_get) when whole, else read alone. False: no SDP. */
bool sip_msg_sdp_origin(const struct sip_msg *m, bool whole, struct sdp_origin *out);
/* The same, copied into *out (media[0..nmedia) only). */
bool sip_msg_sdp_parse(const struct sip_msg *m, struct sdp *out);

const char *sdp_dir_name(enum sdp_dir d);

#endif

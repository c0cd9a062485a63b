/* analyzer.h - the ingest pipeline's public face: capture files in, parsed
 * SIP messages out (capture → link → IP → reassembly → framing → parser). */
#ifndef SIPAUDIT_ANALYZER_H
#define SIPAUDIT_ANALYZER_H

#include <stdbool.h>
#include <stdint.h>

#include "rtp.h"
#include "sipmsg.h"

/* Problems listed per input: at most INPUT_MAX_ERRORS, of which at most
 * INPUT_ERRORS_PER_KIND of one kind (one message format), so a flood of one
 * problem does not hide the others; the rest are counted, and each kind
 * that had more gets one last line at the end of the input (its last
 * occurrence and how many were not listed). */
#define INPUT_MAX_ERRORS 50
#define INPUT_ERRORS_PER_KIND 10
#define INPUT_ERROR_KINDS 32
/* Timestamps are clamped to +-TS_SEC_MAX seconds so nanosecond arithmetic never overflows. */
#define TS_SEC_MAX 9000000000LL
#define INPUT_MAX_LINKTYPES 8

/* A TLS connection that was not decrypted, or only in part, and why. */
#define TLS_OUTCOMES 7
#define TLS_MAX_NOTES 100
struct tls_note {
	struct endpoint client, server; /* client: the ClientHello's sender (else the first sender seen) */
	uint64_t first_frame, last_frame;
	uint8_t status;             /* enum tls_status */
	bool partial;               /* some records were decrypted */
	bool lost;                  /* bytes went missing: decryption stopped there */
	bool have_random;
	uint8_t client_random[32];
	uint16_t suite, version;    /* 0: no ServerHello seen */
	uint64_t records, decrypted;
};
const char *tls_outcome_name(unsigned status); /* "no_key", ... (JSON) */
const char *tls_version_name(uint16_t v);       /* "TLS 1.3", NULL when unknown */
/* The IANA name of a cipher suite, or "cipher suite 0xXXXX" in buf. */
const char *tls_suite_name(uint16_t id, char *buf, size_t size);
struct input_stats;
/* Why a flow was not (wholly) decrypted, in one sentence. */
void tls_note_reason(const struct input_stats *st, const struct tls_note *n, char *buf, size_t size);

/* Per-input summary. The analyzer fills it; the caller owns it. */
struct input_stats {
	const char *path; /* borrowed from the caller */
	uint64_t packets, bytes;
	int64_t last_ns; /* latest packet time (capture clock, ns since the epoch) */
	uint64_t sip_messages, malformed;
	uint64_t tls_flows;     /* TLS connections recognised */
	uint64_t tls_decrypted; /* of which decrypted from start to end */
	uint64_t tls_partial;   /* decrypted in part (a direction without keys, bytes lost) */
	uint64_t tls_bad_records; /* records that did not authenticate */
	uint64_t tls_by_status[TLS_OUTCOMES]; /* flows by outcome (tls.h enum tls_status) */
	bool tls_keys;          /* key material was available while reading this input */
	uint64_t tls_dsb_secrets; /* client randoms the capture's own decryption secrets blocks gave */
	uint64_t tls_keyed;     /* flows whose client random the key log knows */
	/* The flows not (wholly) decrypted, one note each, in the order they ended. */
	struct tls_note *tls_notes;
	unsigned ntls_notes;
	uint64_t tls_notes_dropped; /* beyond TLS_MAX_NOTES */
	uint64_t rtp_packets, rtcp_packets; /* UDP payloads that parsed as RTP / RTCP */
	int linktypes[INPUT_MAX_LINKTYPES]; /* LINKTYPE_* values seen, in order */
	unsigned nlinktypes;

	/* Damage and loss, never silent. */
	uint64_t truncated_packets;   /* cut short by the snap length or damage */
	uint64_t invalid_packets;     /* headers that contradict themselves */
	uint64_t unknown_linktype_packets;
	uint64_t frag_incomplete;     /* IP datagrams whose fragments never all came */
	uint64_t frag_dropped;        /* fragments refused by the memory cap */
	uint64_t tcp_gaps;            /* holes in TCP streams (missing bytes) */
	uint64_t tcp_gap_bytes;
	uint64_t tcp_partial_messages;/* SIP messages cut off by a gap or stream end */
	uint64_t tcp_capped;          /* streams that hit the per-stream byte cap */

	/* Messages for the user: "frame N: reason". */
	char *errors[INPUT_MAX_ERRORS + INPUT_ERROR_KINDS];
	unsigned nerrors;
	uint64_t errors_dropped; /* not listed (see INPUT_MAX_ERRORS) */
	struct input_error_kind *error_kinds; /* per message format (analyzer.c) */

	bool opened;   /* the file was recognised as a capture */
	bool complete; /* read to its end without damage */
	char *fatal;   /* why reading stopped early, or NULL */
};

/* Receives each SIP message in capture order; takes ownership of m. */
typedef void (*analyzer_sink_fn)(void *ud, struct sip_msg *m);

struct analyzer;
/* Reading progress of the current file: bytes of the file consumed so far
 * and its size (0 when unknown, e.g. a pipe). Called every megabyte or so,
 * and once at the end of each file. */
typedef void (*analyzer_progress_fn)(void *ud, uint64_t done, uint64_t total);

/* Receives each UDP payload that parses as RTP or RTCP (version 2), in
 * capture order with the SIP messages; p is valid during the call only. */
typedef void (*analyzer_media_fn)(void *ud, const struct media_pkt *p);

/* The export pass (cmd/export.c) sees each raw frame: before() is called
 * before the frame is decoded (false: do not decode it), after() once it
 * has been decoded (only for frames before() let through). */
struct frame_hook {
	bool (*before)(void *ud, uint64_t frame, int64_t ts_sec, uint32_t ts_nsec, int linktype,
		       const uint8_t *data, uint32_t caplen, uint32_t wirelen);
	void (*after)(void *ud);
	void *ud;
};

struct analyzer *analyzer_new(analyzer_sink_fn sink, void *ud);
/* Messages keep every frame that carried them (sip_msg.carriers): costs a
 * little memory per message, for --write/--split. */
void analyzer_record_carriers(struct analyzer *an, bool on);
/* hook (borrowed, may be NULL) sees every frame of the inputs read next. */
void analyzer_set_frame_hook(struct analyzer *an, const struct frame_hook *hook);
struct keylog;
/* TLS key material for the inputs read next (borrowed, may be NULL). The
 * secrets of a pcapng Decryption Secrets Block are used for the rest of
 * that input, kept apart from these. */
void analyzer_set_keylog(struct analyzer *an, struct keylog *kl);
/* With carriers recorded: each TLS connection that ended, with every frame
 * that carried its bytes (in order, SYNs included) and the key log lines
 * that decrypt it ("" when not decrypted). Messages decrypted from it have
 * sip_msg.tls_conn == conn. A TLS call written out needs the whole
 * connection up to its last message (records are numbered). */
typedef void (*analyzer_tls_conn_fn)(void *ud, uint32_t input, uint32_t conn, const uint64_t *frames, size_t n,
				     const char *secrets, size_t secrets_len);
void analyzer_set_tls_conn_sink(struct analyzer *an, analyzer_tls_conn_fn fn, void *ud);
/* The capture carries secrets (pcapng Decryption Secrets Block, type
 * 0x544c534b = NSS key log). */
void analyzer_secrets(struct analyzer *an, uint32_t type, const uint8_t *data, size_t len);
/* Without a media sink, RTP is not looked at. */
void analyzer_set_media(struct analyzer *an, analyzer_media_fn fn, void *ud);
void analyzer_free(struct analyzer *an);
void analyzer_set_progress(struct analyzer *an, analyzer_progress_fn fn, void *ud);
/* Stops reading the current and later files (e.g. the report can no longer
 * be written); what was read is still finished normally. */
void analyzer_stop(struct analyzer *an);

/* Reads one capture file ("-" for stdin; gzip is detected by magic) and
 * delivers its SIP messages to the sink. Fills *st (which must be zeroed by
 * the caller, with st->path set). Returns false when nothing could be read
 * (st->fatal says why). */
bool analyzer_read_file(struct analyzer *an, const char *path, uint32_t input, struct input_stats *st);

/* Lower-level entry used by analyzer_read_file and by the fuzzers: feed
 * packets of one input, then finish it. */
void analyzer_begin_input(struct analyzer *an, uint32_t input, struct input_stats *st);
void analyzer_packet(struct analyzer *an, uint64_t frame, int64_t ts_sec, uint32_t ts_nsec,
		     int linktype, const uint8_t *data, uint32_t caplen, uint32_t wirelen);
void analyzer_end_input(struct analyzer *an);

/* Records a user-facing error for the current input ("frame N: ..."); fmt
 * (a string literal) is its kind. */
void input_error(struct input_stats *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The end of an input: one line per kind of problem that was not all
 * listed (analyzer_end_input calls it). */
void input_error_summary(struct input_stats *st);
void input_stats_release(struct input_stats *st);

/* LINKTYPE_* name as INDEX-style short names ("ether", "linux-sll"...). */
const char *linktype_name(int linktype);

#endif

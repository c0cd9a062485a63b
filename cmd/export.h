/* export.h - the packets of the selected calls, written back out: every
 * frame that carried their SIP (all IP fragments, every TCP segment, the
 * WebSocket/HEP/SCTP carriers) and their RTP/RTCP, in capture order with
 * the original timestamps; and the second pass that hands the audio
 * exporter its packets.
 *
 * Two passes. While the capture is analysed (pass 1), each finalised call
 * the user selected is handed over once (export_call): its messages'
 * carrier frames and its streams' identities (addresses, SSRC, frame span)
 * are kept, a few bytes a frame. Then export_run reads each input again
 * (pass 2): frames are matched by number, RTP/RTCP by stream, and copied to
 * the outputs. --write: one file (pcap when all selected frames share a
 * link type, else pcapng); --split: one file per call (with --with-linked,
 * per set of linked B2BUA legs). */
#ifndef SIPAUDIT_EXPORT_H
#define SIPAUDIT_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../analyzer/analyzer.h"
#include "../analyzer/model/model.h"

struct audio;
struct export;

struct export_opts {
	const char *write;     /* --write FILE ("-": stdout), or NULL */
	const char *split_dir; /* --split DIR, or NULL */
	bool with_linked;      /* --with-linked */
	struct audio *audio;   /* --audio DIR, or NULL (not owned) */
	bool all_calls;        /* keep every call (the viewer saves any call later) */
	bool quiet;            /* no "wrote ..." lines */
};

struct export *export_new(const struct export_opts *o);
/* Does pass 1 need the carrier frames of messages (analyzer_record_carriers)? */
bool export_needs_carriers(const struct export *x);
/* Pass 1: a finalised call; selected: it passed the user's filters. */
void export_call(struct export *x, const struct call *c, bool selected);
/* Pass 1: a TLS connection ended (analyzer_set_tls_conn_sink): a TLS call
 * is written with its whole connection up to its last message, and the
 * key log lines that decrypt it go in a Decryption Secrets Block. */
void export_tls_conn(struct export *x, uint32_t input, uint32_t conn, const uint64_t *frames, size_t n,
		     const char *secrets, size_t slen);
/* Pass 2 over the inputs (paths to read, in input order; inputs[i].path
 * is the name to show). Writes the outputs of --write/--split and feeds
 * the audio exporter. Returns false when an output could not be written
 * or an input could not be read again (said on stderr). */
bool export_run(struct export *x, const char *const *paths, const struct input_stats *inputs, size_t ninputs);
/* The viewer: writes call number `number` (with its linked legs) to
 * sipaudit-<number>-<Call-ID>.pcap[ng] in the current directory; the file
 * name (or the reason it failed) goes to msg. */
bool export_save_call(struct export *x, uint64_t number, const char *const *paths, const struct input_stats *inputs,
		      size_t ninputs, char *msg, size_t msgsize);
void export_free(struct export *x);

/* A Call-ID made safe for a file name: letters, digits and . _ - @ + kept,
 * everything else '_', at most max-1 bytes. */
void export_safe_name(const char *call_id, size_t len, char *out, size_t max);

#endif

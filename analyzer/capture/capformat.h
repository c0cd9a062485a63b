/* capformat.h - naming capture formats sipaudit does not read, and telling
 * the classic pcap variants that share libpcap's magic number apart. */
#ifndef SIPAUDIT_CAPFORMAT_H
#define SIPAUDIT_CAPFORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum capfmt_kind {
	CAPFMT_CAPTURE,      /* another capture format: editcap converts it */
	CAPFMT_CAPTURE_LINK, /* the same, but editcap must be told the link type (-T) */
	CAPFMT_XZ,
	CAPFMT_BZIP2,
	CAPFMT_ZSTD,
	CAPFMT_LZ4,
	CAPFMT_ZIP,
	CAPFMT_7Z,
};

/* What sipaudit reads, by the first 4 bytes: pcap (the magic numbers
 * libpcap's reader takes, either byte order: microsecond, nanosecond,
 * Kuznetzov's modified format) or pcapng; CAPFMT_OTHER for anything else. */
enum capfmt_magic { CAPFMT_OTHER, CAPFMT_PCAP, CAPFMT_PCAPNG };
enum capfmt_magic capfmt_magic(const uint8_t *p, size_t n);

/* The format of a file from its first n bytes (at least 64 when the file
 * has them), or NULL when unknown. */
const char *capfmt_identify(const uint8_t *p, size_t n, enum capfmt_kind *kind);
/* "NAME: sipaudit reads ...; convert with: COMMAND" for path. */
void capfmt_advice(char *buf, size_t size, const char *path, const char *name, enum capfmt_kind kind);

/* A classic pcap file header, as far as the record layout depends on it. */
struct capfmt_pcap {
	bool swapped;        /* written in the other byte order */
	bool nsec;           /* nanosecond magic */
	bool modified;       /* magic a1b2cd34 (Kuznetzov's patched libpcap) */
	bool lengths_swapped, maybe_swapped; /* versions before 2.3, 2.3 */
	uint32_t snaplen;
};
/* How many bytes of the file capfmt_pcap_variant wants to see. */
size_t capfmt_pcap_peek_size(void);
/* NULL when the records parse as libpcap reads them for this magic (or no
 * other layout fits either); else the name of the variant the file is.
 * p[0..n) is the start of the file, more = the file goes on after it. */
const char *capfmt_pcap_variant(const struct capfmt_pcap *h, const uint8_t *p, size_t n, bool more);

#endif

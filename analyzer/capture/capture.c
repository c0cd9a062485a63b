/* capture.c - capture files in: classic pcap (both byte orders, micro-
 * and nanosecond; an uncompressed file's well-formed records read here,
 * everything else through libpcap), pcapng through our own block reader (it
 * allows interfaces of different link types in one file, which libpcap
 * refuses), gzip detected by magic and read through zlib, "-" for stdin.
 * Damage stops the reading with a message naming the frame; everything
 * before it has been analysed. In pcapng, a block whose length lies is
 * skipped to the next block that holds together (its type, a sane length,
 * the same length at its end), and a packet whose captured length lies is
 * skipped: the rest of the file is read. */

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "capformat.h"
#include "cursor.h"
#include "internal.h"
#include "xalloc.h"

/* A FILE* over a gzFile (zlib reads plain files transparently), with the
 * first bytes we peeked replayed in front. */
struct gzcookie {
	gzFile gz;
	uint8_t *pre; /* the start of the file, read to tell its format (owned) */
	size_t npre, off, precap;
	bool eof;     /* the peek reached the end of the file */
	char err[160];
	/* progress: bytes of the file consumed (compressed offset) out of total */
	struct analyzer *an;
	uint64_t total;
	unsigned reads;
	/* a compression bomb: far more bytes out than captures give */
	uint64_t out;       /* bytes inflated */
	uint64_t bomb_frame; /* frame where the ratio was first seen, 0 none */
};

/* Captures deflate 5 to 30 times (SIP text, RTP, SIPp at 21); a gzip file that inflates
 * more than this, past GZ_BOMB_MIN bytes, is said to be a bomb (it is still
 * read: the time is that of inflating it, memory does not grow). */
/* zlib's input buffer (gzbuffer; its default is 8 KiB). A gzread of twice
 * this or more from a plain file is read straight into the caller's buffer:
 * the pcap reader here asks for that much. */
#define GZ_BUFFER (1u << 16)
#define GZ_BOMB_RATIO 200
#define GZ_BOMB_MIN (64u << 20)

static ssize_t gzc_read(void *c, char *buf, size_t size)
{
	struct gzcookie *g = c;
	size_t n = 0;
	if (g->off < g->npre) { /* the peeked start of the file first */
		n = g->npre - g->off < size ? g->npre - g->off : size;
		memcpy(buf, g->pre + g->off, n);
		g->off += n;
		if (g->off == g->npre) {
			free(g->pre);
			g->pre = NULL;
			g->npre = g->off = g->precap = 0;
		}
	}
	if (n == size)
		return (ssize_t)n;
	unsigned want = size - n > (1u << 30) ? (1u << 30) : (unsigned)(size - n);
	int r = gzread(g->gz, buf + n, want);
	if (r < 0) {
		int zerr;
		const char *m = gzerror(g->gz, &zerr);
		snprintf(g->err, sizeof g->err, "gzip: %s", m ? m : "read error");
		errno = EIO;
		return n ? (ssize_t)n : -1;
	}
	g->out += (uint64_t)r;
	if (!g->bomb_frame && g->out > GZ_BOMB_MIN && gzdirect(g->gz) == 0) {
		z_off_t at = gzoffset(g->gz);
		if (at > 0 && g->out / GZ_BOMB_RATIO > (uint64_t)at)
			g->bomb_frame = g->an->frame ? g->an->frame : 1;
	}
	if (g->an->progress && (++g->reads & 15) == 0) {
		z_off_t at = gzoffset(g->gz);
		g->an->progress(g->an->progress_ud, at > 0 ? (uint64_t)at : 0, g->total);
	}
	return (ssize_t)(n + (size_t)r);
}

static int gzc_close(void *c)
{
	struct gzcookie *g = c;
	if (g->bomb_frame && g->an->st) {
		z_off_t at = gzoffset(g->gz);
		uint64_t in = at > 0 ? (uint64_t)at : 0;
		input_error(g->an->st, "frame %llu: gzip: the file inflates %.0f times (%.1f MiB to %.1f MiB), where captures grow 5 to 30 times: a compression bomb, read to its end",
			    (unsigned long long)g->bomb_frame, in ? (double)g->out / (double)in : 0.0, in / 1048576.0,
			    g->out / 1048576.0);
	}
	gzclose(g->gz);
	free(g->pre);
	free(g);
	return 0;
}

/* Reads ahead until want bytes of the file are in g->pre (fewer at the end
 * of the file). Returns false on a read error. */
static bool peek(struct gzcookie *g, size_t want)
{
	if (want > g->precap) {
		g->precap = want;
		g->pre = xrealloc(g->pre, g->precap);
	}
	while (g->npre < want && !g->eof) {
		size_t ask = want - g->npre;
		int r = gzread(g->gz, g->pre + g->npre, ask > (1u << 30) ? (1u << 30) : (unsigned)ask);
		if (r < 0)
			return false;
		if (r == 0)
			g->eof = true;
		g->npre += (size_t)r;
	}
	return true;
}

static int dlt_to_linktype(int dlt)
{
	switch (dlt) {
	case DLT_RAW:
#ifdef DLT_RAW_OPENBSD
	case 14:
#endif
		return LT_RAW;
	default:
		return dlt;
	}
}

static void fatal(struct input_stats *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fatal(struct input_stats *st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(st->fatal);
	if (vasprintf(&st->fatal, fmt, ap) < 0)
		st->fatal = NULL;
	va_end(ap);
}

/* frame0: records already read (by read_pcap_fast) before the first that
 * fp's records start with. */
static void read_pcap(struct analyzer *an, FILE *fp, struct gzcookie *g, struct input_stats *st, uint64_t frame0)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, eb);
	if (!pc) {
		fatal(st, "%s", g->err[0] ? g->err : eb);
		fclose(fp);
		return;
	}
	st->opened = true;
	int lt = dlt_to_linktype(pcap_datalink(pc));
	if (!linktype_name(lt)) {
		const char *n = pcap_datalink_val_to_name(pcap_datalink(pc));
		fatal(st, "unsupported link type %d (%s)", lt, n ? n : "unknown");
		pcap_close(pc);
		return;
	}
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t frame = frame0;
	int r;
	while (!an->stop && (r = pcap_next_ex(pc, &h, &data)) == 1) {
		frame++;
		analyzer_packet(an, frame, (int64_t)h->ts.tv_sec, (uint32_t)h->ts.tv_usec, lt, data, h->caplen, h->len);
	}
	if (r == PCAP_ERROR) {
		fatal(st, "frame %llu: %s; stopped reading after %llu packets", (unsigned long long)frame + 1,
		      g->err[0] ? g->err : pcap_geterr(pc), (unsigned long long)frame);
	} else {
		st->complete = true;
	}
	pcap_close(pc);
}

/* ---- classic pcap, read here while it is well formed ----
 * libpcap reads a record with two freads, through stdio and the gzip
 * cookie: about 600 instructions a packet, a fifth of what the reader
 * thread spends on a SIP packet besides. An uncompressed file in the
 * common format (version 2.4, microsecond or nanosecond magic, either byte
 * order, a link type we decode) is read here instead, in chunks of about
 * 400 KiB,
 * each record handed on where it lies. The first record that is not
 * plainly well formed (longer than the snapshot length or than libpcap's
 * 262144, cut off by the end of the file) goes to libpcap with everything
 * after it, the file's header replayed in front: what damage is reported,
 * and how, stays libpcap's, word for word.
 * Compressed files stay with libpcap: zlib drops what one gzread call had
 * inflated when the call meets damage, so reading in other pieces than
 * stdio's would lose other packets before the error (and the compression
 * bomb warning would name another frame). A read error on a plain file
 * (the disk failing) is handed on likewise; what it loses can then differ
 * by up to a chunk from what libpcap alone would have read. */

#define FAST_CHUNK_MIN (1u << 16)
#define FAST_MAX_CAPLEN 262144u /* libpcap's MAXIMUM_SNAPLEN */

struct fast_pcap {
	bool swapped, nsec;
	uint32_t snap; /* the snapshot length libpcap would use */
	int lt;
};

static uint32_t fast_u32(const struct fast_pcap *f, const uint8_t *q)
{
	return f->swapped ? rd_be32(q) : rd_le32(q);
}

/* Whether a file whose header says h (read by analyzer_read_file) and
 * version vmaj.vmin, its bytes at hdr, is one read_pcap_fast takes. */
static bool fast_pcap_header(const struct capfmt_pcap *h, uint16_t vmaj, uint16_t vmin, const uint8_t *hdr,
			     struct fast_pcap *f)
{
	if (h->modified || vmaj != 2 || vmin != 4)
		return false;
	f->swapped = h->swapped;
	f->nsec = h->nsec;
	/* LINKTYPE_ values whose DLT_ value libpcap gives is the same number,
	 * or (LINKTYPE_RAW) maps back to it (dlt_to_linktype) */
	uint32_t lt = fast_u32(f, hdr + 20) & 0x03FFFFFFu; /* without the FCS bits, as libpcap */
	switch (lt) {
	case LT_NULL:
	case LT_ETHERNET:
	case LT_RAW:
	case LT_LOOP:
	case LT_LINUX_SLL:
	case LT_IPV4:
	case LT_IPV6:
	case LT_LINUX_SLL2:
		break;
	default:
		return false;
	}
	f->lt = (int)lt;
	f->snap = h->snaplen == 0 || h->snaplen > FAST_MAX_CAPLEN ? FAST_MAX_CAPLEN : h->snaplen;
	return true;
}

/* Reads g's bytes into buf[*have..cap) as far as they go. False on a read
 * error. */
static bool fast_fill(struct gzcookie *g, uint8_t *buf, size_t cap, size_t *have, bool *eof)
{
	while (!*eof && *have < cap) {
		ssize_t r = gzc_read(g, (char *)buf + *have, cap - *have);
		if (r < 0)
			return false;
		if (r == 0)
			*eof = true;
		*have += (size_t)r;
	}
	if (g->an->progress) { /* every chunk (gzc_read says so every 16 reads) */
		z_off_t at = gzoffset(g->gz);
		g->an->progress(g->an->progress_ud, at > 0 ? (uint64_t)at : 0, g->total);
	}
	return true;
}

/* Makes g replay a (the file's header, or what there is of it) and then
 * b before what it has not read yet: libpcap goes on from there. */
static void fast_handoff(struct gzcookie *g, const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
	free(g->pre);
	g->precap = g->npre = na + nb;
	g->pre = xmalloc(g->npre ? g->npre : 1);
	memcpy(g->pre, a, na);
	if (nb)
		memcpy(g->pre + na, b, nb);
	g->off = 0;
}

/* Reads g (positioned at the file's start) record by record. True when it
 * read the file to its end (or was stopped); false when the records from
 * *frames + 1 on are left to libpcap: then g replays the file's header and
 * the bytes read past the last record handed on. */
static bool read_pcap_fast(struct analyzer *an, struct gzcookie *g, struct input_stats *st, const struct fast_pcap *f,
			   uint64_t *frames)
{
	/* room for the longest record the snapshot length allows, and a read
	 * past it of twice zlib's buffer (GZ_BUFFER), which zlib then fills
	 * straight into buf instead of copying through its own: 400 KiB as
	 * tcpdump writes captures (every byte of it counts in the RSS) */
	size_t cap = 2 * GZ_BUFFER + 16 + (f->snap > FAST_CHUNK_MIN ? f->snap : FAST_CHUNK_MIN);
	uint8_t *buf = xmalloc(cap), hdr[24];
	size_t have = 0, at = 24;
	bool eof = false, ok = fast_fill(g, buf, cap, &have, &eof);
	uint64_t frame = 0;
	*frames = 0;
	if (!ok || have < 24) { /* a read error at once: libpcap reads what came */
		fast_handoff(g, buf, have, NULL, 0);
		free(buf);
		return false;
	}
	memcpy(hdr, buf, 24);
	st->opened = true;
	for (;;) {
		if (an->stop) {
			ok = true;
			break;
		}
		if (have - at < 16 || have - at < 16 + (size_t)fast_u32(f, buf + at + 8)) {
			memmove(buf, buf + at, have - at);
			have -= at;
			at = 0;
			if (!fast_fill(g, buf, cap, &have, &eof)) {
				ok = false;
				break;
			}
			if (have == 0) { /* the end of the file, between records */
				ok = true;
				break;
			}
		}
		if (have - at < 16) {
			ok = false;
			break;
		}
		const uint8_t *r = buf + at;
		uint32_t caplen = fast_u32(f, r + 8);
		if (caplen > f->snap || have - at < 16 + (size_t)caplen) {
			ok = false;
			break;
		}
		/* the seconds signed, as libpcap reads them (a time past 2038
		 * comes out before 1970, as it always has here); microseconds
		 * made nanoseconds in 32 bits, as libpcap's product is */
		int64_t sec = (int32_t)fast_u32(f, r);
		uint32_t frac = fast_u32(f, r + 4);
		frame++;
		analyzer_packet(an, frame, sec, f->nsec ? frac : frac * 1000u, f->lt, r + 16, caplen, fast_u32(f, r + 12));
		at += 16 + (size_t)caplen;
	}
	*frames = frame;
	if (ok) {
		st->complete = true;
	} else {
		/* libpcap takes it from here: the header, then what is left */
		fast_handoff(g, hdr, 24, buf + at, have - at);
		st->opened = false; /* libpcap says again whether it can */
	}
	free(buf);
	return ok;
}

/* ---- pcapng (draft-ietf-opsawg-pcapng) ---- */

#define PCAPNG_MAX_BLOCK (256u << 20)
#define PCAPNG_MAX_IFACES 256
#define PCAPNG_SHB 0x0a0d0d0au
#define NG_CHUNK (1u << 16)
/* An EPB whose block length exceeds what its packet needs by more than this
 * (room for options) is lying: found without reading what it claims. */
#define NG_MAX_EPB_OPTIONS (1u << 20)

struct ngiface {
	int linktype;
	uint64_t units;   /* timestamp units per second */
	int64_t offset;   /* if_tsoffset, seconds */
	bool reported;
};

/* The file through a window: buf[start..end) holds the bytes from file
 * offset pos on, so a block whose length lies can be looked past without
 * reading the file twice. */
struct ngreader {
	FILE *fp;
	bool swap;
	bool have_shb;
	bool eof;
	uint8_t *buf;
	size_t cap, start, end;
	struct ngiface ifc[PCAPNG_MAX_IFACES];
	unsigned nifc;
	uint64_t pos;
};

static uint32_t ng32(const struct ngreader *r, const uint8_t *p)
{
	return r->swap ? rd_be32(p) : rd_le32(p);
}

static uint16_t ng16(const struct ngreader *r, const uint8_t *p)
{
	return r->swap ? rd_be16(p) : rd_le16(p);
}

/* Makes the next n bytes of the file (from pos) available at buf + start,
 * as far as the file has them; returns how many are (at most n). Reads only
 * what is asked for (in 64 KiB steps), so a length that lies costs no more
 * memory than the file holds after it. */
static size_t ng_fill(struct ngreader *r, size_t n)
{
	size_t have = r->end - r->start;
	if (have >= n || r->eof)
		return have < n ? have : n;
	if (r->start + n > r->cap) {
		if (have)
			memmove(r->buf, r->buf + r->start, have);
		r->start = 0;
		r->end = have;
		if (n > r->cap) {
			size_t nc = r->cap ? r->cap * 2 : NG_CHUNK;
			if (nc < n)
				nc = n;
			r->buf = xrealloc(r->buf, nc);
			r->cap = nc;
		}
	}
	while (r->end - r->start < n && !r->eof) {
		size_t want = n - (r->end - r->start);
		if (want < NG_CHUNK)
			want = NG_CHUNK;
		if (want > r->cap - r->end)
			want = r->cap - r->end;
		size_t got = fread(r->buf + r->end, 1, want, r->fp);
		r->end += got;
		if (got < want)
			r->eof = true;
	}
	have = r->end - r->start;
	return have < n ? have : n;
}

static void ng_consume(struct ngreader *r, size_t n)
{
	r->start += n;
	r->pos += n;
}

/* The byte order a section header at p announces; false when its magic is
 * neither. */
static bool ng_shb_order(const uint8_t *p, bool *swap)
{
	if (rd_le32(p + 8) == 0x1a2b3c4d)
		*swap = false;
	else if (rd_be32(p + 8) == 0x1a2b3c4d)
		*swap = true;
	else
		return false;
	return true;
}

/* The type and length of a block header at p (in swap order, or its own
 * for a section header); false when p does not look like one: an unknown
 * type, a length that is not sane, a section header without its magic. */
static bool ng_header(const uint8_t *p, bool swap, uint32_t *type, uint32_t *len, bool *own_swap)
{
	*own_swap = swap;
	*type = rd_le32(p);
	if (*type == PCAPNG_SHB) {
		if (!ng_shb_order(p, own_swap))
			return false;
	} else {
		*type = swap ? rd_be32(p) : rd_le32(p);
		if (!((*type >= 1 && *type <= 6) || *type == 9 || *type == 10))
			return false;
	}
	*len = *own_swap ? rd_be32(p + 4) : rd_le32(p + 4);
	return *len >= 12 && *len % 4 == 0 && *len <= PCAPNG_MAX_BLOCK;
}

/* Does a block that holds together start at the window's start? Its type,
 * a sane length, the same length at its end, a body that fits its type (a
 * packet's captured length within it with little room for options, a
 * known interface), and after it the file's end or another block header:
 * packet bytes (the same MAC addresses in every frame) seldom pass all of
 * that by chance. */
static bool ng_block_ok(struct ngreader *r)
{
	if (ng_fill(r, 16) < 16)
		return false;
	uint32_t type, len;
	bool swap;
	if (!ng_header(r->buf + r->start, r->swap, &type, &len, &swap) || ng_fill(r, len) < len)
		return false;
	const uint8_t *h = r->buf + r->start;
	uint32_t (*rd32)(const uint8_t *) = swap ? rd_be32 : rd_le32;
	if (rd32(h + len - 4) != len)
		return false;
	size_t bl = len - 12;
	const uint8_t *b = h + 8;
	switch (type) {
	case 6:
	case 2: {
		if (bl < 20)
			return false;
		uint32_t cl = rd32(b + 12), ifid = type == 6 ? rd32(b) : (swap ? rd_be16(b) : rd_le16(b));
		if (cl > bl - 20 || bl - 20 - ((cl + 3u) & ~3u) > 4096 || ifid >= r->nifc)
			return false;
		break;
	}
	case 3:
		if (bl < 4 || r->nifc == 0)
			return false;
		break;
	case 1:
		if (bl < 8 || (swap ? rd_be16(b) : rd_le16(b)) > 1024)
			return false;
		break;
	case 5:
		if (bl < 12 || rd32(b) >= r->nifc)
			return false;
		break;
	case 10:
		if (bl < 8 || rd32(b + 4) > bl - 8)
			return false;
		break;
	default:
		break;
	}
	size_t more = ng_fill(r, (size_t)len + 4);
	if (more == len)
		return true; /* the end of the file */
	if (more < (size_t)len + 4)
		return false;
	/* a block type next (its length may be the next lie): a standard one,
	 * a custom block, or one for local use (bit 31) */
	uint32_t t2 = rd32(r->buf + r->start + len);
	return (t2 >= 1 && t2 <= 6) || t2 == 9 || t2 == 10 || t2 == 0xbad || t2 == 0x40000bad || (t2 & 0x80000000u) ||
	       rd_le32(r->buf + r->start + len) == PCAPNG_SHB;
}

/* After a block whose length lies: the next block that holds together,
 * looked for 4 bytes at a time (blocks are 4-aligned). Returns the bytes
 * skipped, the window then starting at that block; or 0 when the file
 * ends first (the window then at its end). */
static uint64_t ng_resync(struct ngreader *r)
{
	uint64_t skipped = 0;
	for (;;) {
		size_t step = ng_fill(r, 4);
		ng_consume(r, step);
		skipped += step;
		if (step < 4)
			return 0;
		if (ng_block_ok(r))
			return skipped;
		if (r->eof && r->end - r->start < 12) {
			ng_consume(r, r->end - r->start);
			return 0;
		}
	}
}

static void ng_idb_options(struct ngreader *r, struct ngiface *f, const uint8_t *o, size_t len)
{
	size_t off = 0;
	while (len - off >= 4) {
		uint16_t code = ng16(r, o + off), ol = ng16(r, o + off + 2);
		off += 4;
		if (code == 0 || ol > len - off)
			break;
		if (code == 9 && ol >= 1) { /* if_tsresol */
			uint8_t v = o[off];
			uint64_t u = 1;
			if (v & 0x80) {
				if ((v & 0x7f) < 63)
					u = (uint64_t)1 << (v & 0x7f);
			} else {
				for (int i = 0; i < (v & 0x7f) && i < 19; i++)
					u *= 10;
			}
			f->units = u;
		} else if (code == 14 && ol >= 8) { /* if_tsoffset */
			uint64_t hi = ng32(r, o + off), lo = ng32(r, o + off + 4);
			f->offset = (int64_t)(r->swap ? (hi << 32 | lo) : (lo << 32 | hi));
		}
		off += ((size_t)ol + 3) & ~(size_t)3;
	}
}

static void ng_packet(struct analyzer *an, struct ngreader *r, struct input_stats *st, uint64_t frame,
		      uint32_t ifid, uint64_t ts, const uint8_t *data, uint32_t caplen, uint32_t len)
{
	if (ifid >= r->nifc) {
		st->invalid_packets++;
		st->packets++;
		input_error(st, "frame %llu: packet names interface %u, but only %u are described",
			    (unsigned long long)frame, ifid, r->nifc);
		return;
	}
	struct ngiface *f = &r->ifc[ifid];
	if (!linktype_name(f->linktype) && !f->reported) {
		f->reported = true;
		input_error(st, "frame %llu: interface %u has unsupported link type %d; its packets are skipped",
			    (unsigned long long)frame, ifid, f->linktype);
	}
	uint64_t units = f->units ? f->units : 1000000;
	uint64_t sec = ts / units, frac = ts % units;
	uint32_t nsec = (uint32_t)((unsigned __int128)frac * 1000000000u / units);
	analyzer_packet(an, frame, (int64_t)sec + f->offset, nsec, f->linktype, data, caplen, len);
}

static void read_pcapng(struct analyzer *an, FILE *fp, struct gzcookie *g, struct input_stats *st)
{
	struct ngreader r;
	memset(&r, 0, sizeof r);
	r.fp = fp;
	uint64_t frame = 0;
	const char *stop = NULL;
	char why[320];
	bool damaged = false;
	while (!an->stop) {
		size_t got = ng_fill(&r, 12);
		if (got == 0)
			break; /* clean end */
		const uint8_t *h = r.buf + r.start;
		uint64_t at = r.pos;
		const char *bad = NULL;
		char badbuf[160];
		uint32_t type = got >= 4 ? rd_le32(h) : 0, blen = 0;
		if (got < 8) {
			bad = "cut short: file truncated";
		} else if (type == PCAPNG_SHB) {
			bool swap;
			if (ng_fill(&r, 16) < 16) {
				bad = "cut short: file truncated";
			} else if (!ng_shb_order(r.buf + r.start, &swap)) {
				bad = "has a bad byte-order magic";
			} else {
				const uint8_t *q = r.buf + r.start + 4;
				blen = swap ? rd_be32(q) : rd_le32(q);
				if (blen < 28 || blen % 4 || blen > PCAPNG_MAX_BLOCK) {
					snprintf(badbuf, sizeof badbuf, "has bogus length %u", blen);
					bad = badbuf;
				} else {
					r.swap = swap; /* this section's byte order, from here on */
				}
			}
		} else if (!r.have_shb) {
			stop = "pcapng file does not start with a section header";
			break;
		} else {
			type = ng32(&r, h);
			blen = ng32(&r, h + 4);
			if (blen < 12 || blen % 4 || blen > PCAPNG_MAX_BLOCK) {
				snprintf(badbuf, sizeof badbuf, "has bogus length %u", blen);
				bad = badbuf;
			} else if ((type == 6 || type == 2) && blen >= 32 && ng_fill(&r, 28) == 28) {
				uint32_t cl = ng32(&r, r.buf + r.start + 20);
				if (cl <= blen && blen - 32 > ((cl + 3u) & ~3u) + NG_MAX_EPB_OPTIONS) {
					snprintf(badbuf, sizeof badbuf, "has length %u, far more than its packet of %u bytes needs", blen, cl);
					bad = badbuf;
				}
			}
		}
		bool beyond = false; /* the block runs past the end of the file */
		if (!bad) {
			if (ng_fill(&r, blen) < blen)
				beyond = true;
			else if (ng32(&r, r.buf + r.start + blen - 4) != blen)
				bad = "trailing length differs from leading length";
		}
		if (beyond) { /* truncated, unless a block that holds together follows */
			bad = "cut short: file truncated";
			snprintf(badbuf, sizeof badbuf, "has length %u, more than the rest of the file holds", blen);
		}
		if (bad) {
			const char *what = type == PCAPNG_SHB ? "section header" : "block";
			if (!r.have_shb) { /* not a pcapng file we can read at all */
				snprintf(why, sizeof why, "%s at offset %llu %s", what, (unsigned long long)at, bad);
				stop = why;
				break;
			}
			uint64_t skipped = ng_resync(&r);
			if (!skipped) {
				snprintf(why, sizeof why, "%s at offset %llu (after frame %llu) %s", what, (unsigned long long)at,
					 (unsigned long long)frame, bad);
				stop = why;
				break;
			}
			damaged = true;
			if (type == 2 || type == 3 || type == 6) {
				/* most likely one packet, whose length field was
				 * damaged: it keeps its number, so the frames after it
				 * are numbered as in the file once repaired */
				frame++;
				st->packets++;
				st->invalid_packets++;
				input_error(st, "frame %llu: packet block at offset %llu %s: %llu bytes skipped to the next block that holds together, at offset %llu",
					    (unsigned long long)frame, (unsigned long long)at, beyond ? badbuf : bad,
					    (unsigned long long)skipped, (unsigned long long)r.pos);
			} else {
				input_error(st, "%s at offset %llu (after frame %llu) %s: %llu bytes skipped to the next block that holds together, at offset %llu",
					    what, (unsigned long long)at, (unsigned long long)frame, beyond ? badbuf : bad,
					    (unsigned long long)skipped, (unsigned long long)r.pos);
			}
			continue;
		}
		const uint8_t *b = r.buf + r.start + 8;
		size_t bl = blen - 12; /* the body, without the trailing length */
		switch (type) {
		case PCAPNG_SHB:
			r.nifc = 0; /* interfaces are per section */
			r.have_shb = true;
			st->opened = true;
			break;
		case 1: /* Interface Description Block */
			if (bl < 8) {
				damaged = true;
				input_error(st, "interface description block at offset %llu (after frame %llu) too short; its packets will be refused",
					    (unsigned long long)at, (unsigned long long)frame);
				break;
			}
			if (r.nifc < PCAPNG_MAX_IFACES) {
				struct ngiface *f = &r.ifc[r.nifc++];
				memset(f, 0, sizeof *f);
				f->linktype = ng16(&r, b);
				f->units = 1000000;
				ng_idb_options(&r, f, b + 8, bl - 8);
			}
			break;
		case 6:   /* Enhanced Packet Block */
		case 2: { /* obsolete Packet Block: same layout, 16-bit interface id + drops */
			frame++;
			uint32_t cl = bl >= 20 ? ng32(&r, b + 12) : 0, ol = bl >= 20 ? ng32(&r, b + 16) : 0;
			if (bl < 20 || cl > bl - 20) {
				damaged = true;
				st->packets++;
				st->invalid_packets++;
				if (bl < 20)
					input_error(st, "frame %llu: packet block at offset %llu too short; the packet is skipped",
						    (unsigned long long)frame, (unsigned long long)at);
				else
					input_error(st, "frame %llu: captured length %u exceeds its block; the packet is skipped",
						    (unsigned long long)frame, cl);
				break;
			}
			uint64_t ts = (uint64_t)ng32(&r, b + 4) << 32 | ng32(&r, b + 8);
			uint32_t ifid = type == 6 ? ng32(&r, b) : ng16(&r, b);
			ng_packet(an, &r, st, frame, ifid, ts, b + 20, cl, ol);
			break;
		}
		case 3: { /* Simple Packet Block: interface 0, no timestamp */
			frame++;
			if (bl < 4) {
				damaged = true;
				st->packets++;
				st->invalid_packets++;
				input_error(st, "frame %llu: simple packet block at offset %llu too short; the packet is skipped",
					    (unsigned long long)frame, (unsigned long long)at);
				break;
			}
			uint32_t ol = ng32(&r, b);
			uint32_t cl = ol < bl - 4 ? ol : (uint32_t)(bl - 4);
			ng_packet(an, &r, st, frame, 0, 0, b + 4, cl, ol);
			break;
		}
		case 10: { /* Decryption Secrets Block: the capture carries its TLS keys */
			uint32_t sl = bl >= 8 ? ng32(&r, b + 4) : 0;
			if (bl < 8 || sl > bl - 8) {
				input_error(st, "decryption secrets block at offset %llu (after frame %llu): secrets length %u exceeds its block; ignored",
					    (unsigned long long)at, (unsigned long long)frame, sl);
				break;
			}
			analyzer_secrets(an, ng32(&r, b), b + 8, sl);
			break;
		}
		default:
			break; /* statistics, name resolution, custom blocks... */
		}
		ng_consume(&r, blen);
	}
	if (ferror(fp) && g->err[0])
		stop = g->err;
	if (stop) {
		if (frame)
			fatal(st, "%s; stopped reading after %llu packets", stop, (unsigned long long)frame);
		else
			fatal(st, "%s", stop);
	} else {
		st->complete = !damaged;
	}
	free(r.buf);
	fclose(fp);
}

static void gz_free(struct gzcookie *g)
{
	gzclose(g->gz);
	free(g->pre);
	free(g);
}

/* Why a file that is not pcap or pcapng cannot be read: its format and the
 * command that converts it, when the format is known. */
static void refuse(struct input_stats *st, struct gzcookie *g, const char *path)
{
	enum capfmt_kind kind;
	const char *name = capfmt_identify(g->pre, g->npre, &kind);
	if (name) {
		char buf[9000];
		capfmt_advice(buf, sizeof buf, path, name, kind);
		fatal(st, "%s", buf);
	} else {
		fatal(st, "not a pcap or pcapng file (starts with %02x %02x %02x %02x)", g->pre[0], g->pre[1], g->pre[2],
		      g->pre[3]);
	}
}

bool analyzer_read_file(struct analyzer *an, const char *path, uint32_t input, struct input_stats *st)
{
	int fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fatal(st, "%s", strerror(errno));
		return false;
	}
	struct gzcookie *g = xcalloc(1, sizeof *g);
	g->an = an;
	struct stat sb;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
		g->total = (uint64_t)sb.st_size;
	g->gz = gzdopen(fd, "rb");
	if (!g->gz) {
		close(fd);
		free(g);
		fatal(st, "cannot read: %s", strerror(errno));
		return false;
	}
	gzbuffer(g->gz, GZ_BUFFER);
	if (!peek(g, 64)) {
		int zerr;
		fatal(st, "gzip: %s", gzerror(g->gz, &zerr));
		gz_free(g);
		return false;
	}
	if (g->npre < 4) {
		if (g->npre == 0)
			fatal(st, "empty file");
		else
			fatal(st, "not a capture file: only %zu bytes", g->npre);
		gz_free(g);
		return false;
	}
	uint32_t magic = rd_le32(g->pre);
	uint32_t be = rd_be32(g->pre);
	enum capfmt_magic kind = capfmt_magic(g->pre, g->npre);
	bool is_pcap = kind == CAPFMT_PCAP, is_ng = kind == CAPFMT_PCAPNG;
	if (!is_pcap && !is_ng) {
		refuse(st, g, path);
		gz_free(g);
		return false;
	}
	struct fast_pcap fast = { 0 };
	bool fast_ok = false; /* read_pcap_fast may take it */
	if (is_pcap && g->npre >= 24) {
		/* Same magic, longer record headers: tell them apart before
		 * libpcap misreads them. */
		bool swapped = be == 0xa1b2c3d4 || be == 0xa1b23c4d || be == 0xa1b2cd34;
		uint32_t m = swapped ? be : magic;
		uint16_t vmaj = swapped ? rd_be16(g->pre + 4) : rd_le16(g->pre + 4);
		uint16_t vmin = swapped ? rd_be16(g->pre + 6) : rd_le16(g->pre + 6);
		struct capfmt_pcap h = {
			.swapped = swapped,
			.nsec = m == 0xa1b23c4d,
			.modified = m == 0xa1b2cd34,
			.lengths_swapped = (vmaj == 2 && vmin < 3) || vmaj == 543,
			.maybe_swapped = vmaj == 2 && vmin == 3,
			.snaplen = swapped ? rd_be32(g->pre + 16) : rd_le32(g->pre + 16),
		};
		if (!peek(g, capfmt_pcap_peek_size())) {
			int zerr;
			fatal(st, "gzip: %s", gzerror(g->gz, &zerr));
			gz_free(g);
			return false;
		}
		const char *variant = capfmt_pcap_variant(&h, g->pre, g->npre, !g->eof);
		if (variant) {
			char buf[9000];
			capfmt_advice(buf, sizeof buf, path, variant, CAPFMT_CAPTURE);
			fatal(st, "%s", buf);
			gz_free(g);
			return false;
		}
		fast_ok = fast_pcap_header(&h, vmaj, vmin, g->pre, &fast);
	}
	uint64_t total = g->total; /* g is freed with fp */
	uint64_t done = 0;
	analyzer_begin_input(an, input, st);
	/* SIPAUDIT_PCAP_READER=libpcap: libpcap reads every record (the
	 * reference the tests compare the reader here with) */
	const char *rd = getenv("SIPAUDIT_PCAP_READER");
	if (rd && strcmp(rd, "libpcap") == 0)
		fast_ok = false;
	if (fast_ok && gzdirect(g->gz) && read_pcap_fast(an, g, st, &fast, &done)) {
		gzc_close(g);
	} else {
		cookie_io_functions_t io = { .read = gzc_read, .close = gzc_close };
		FILE *fp = fopencookie(g, "r", io);
		if (!fp) {
			gz_free(g);
			fatal(st, "cannot read: %s", strerror(errno));
			analyzer_end_input(an);
			return false;
		}
		setvbuf(fp, NULL, _IOFBF, 1u << 16);
		if (is_pcap)
			read_pcap(an, fp, g, st, done);
		else
			read_pcapng(an, fp, g, st);
	}
	analyzer_end_input(an);
	if (an->progress)
		an->progress(an->progress_ud, total, total);
	return st->opened && (st->packets > 0 || !st->fatal);
}

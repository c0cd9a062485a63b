/* capformat.c - what a file that is not pcap or pcapng is: other capture
 * formats (by the magic numbers their readers in Wireshark's wiretap check)
 * and compressors other than gzip, so the refusal names the format and the
 * command that converts it. Also the record layout of classic pcap files:
 * some writers kept libpcap's magic number but lengthened every record
 * header (Nokia, Red Hat 6.1, SuSE 6.3); libpcap reads those as garbage, so
 * the first records are tried with each layout, as Wireshark does. */
#include "capformat.h"

#include <stdio.h>
#include <string.h>

#include "cursor.h"

struct magic {
	const char *bytes;
	size_t len;
	const char *name;
	enum capfmt_kind kind;
};

#define M(s, name, kind) { s, sizeof s - 1, name, kind }

static const struct magic magics[] = {
	M("GMBU", "Microsoft Network Monitor 2.x capture", CAPFMT_CAPTURE),
	M("RTSS", "Microsoft Network Monitor 1.x capture", CAPFMT_CAPTURE),
	M("snoop\0\0\0", "Sun snoop capture", CAPFMT_CAPTURE),
	M("TRSNIFF data    \x1a", "Sniffer (DOS) capture", CAPFMT_CAPTURE),
	M("XCP\0", "NetXray / Sniffer (Windows) capture", CAPFMT_CAPTURE),
	M("VL\0\0", "NetXray capture (old format)", CAPFMT_CAPTURE),
	M("\xaa\xaa\xaa\xaa", "InfoVista 5View capture", CAPFMT_CAPTURE),
	M("\x05VNF", "Visual Networks traffic capture", CAPFMT_CAPTURE),
	M("ObserverPktBufferVersion=", "Viavi Observer capture", CAPFMT_CAPTURE),
	M("TR\0d", "HP-UX nettl trace", CAPFMT_CAPTURE_LINK),
	M("btsnoop\0", "btsnoop (Bluetooth HCI) capture", CAPFMT_CAPTURE),
	M("\0\0\x02\0\x12\x05\0\x10", "Tektronix K12 (.rf5) capture", CAPFMT_CAPTURE_LINK),
	M("+---------+---------------+----------+", "Tektronix K12 text capture", CAPFMT_CAPTURE_LINK),
	M("Session Transcript", "Catapult DCT2000 trace", CAPFMT_CAPTURE),
	M("EyeSDN", "EyeSDN ISDN trace", CAPFMT_CAPTURE),
	M("iptrace 1.0", "AIX iptrace capture", CAPFMT_CAPTURE),
	M("iptrace 2.0", "AIX iptrace capture", CAPFMT_CAPTURE),
	M("\x01\x10\x4c\0", "Novell LANalyzer capture", CAPFMT_CAPTURE),
	M("\x07\x10\x4c\0", "Novell LANalyzer capture", CAPFMT_CAPTURE),
	M("LOGG", "Vector BLF log", CAPFMT_CAPTURE),
	M("\xfd" "7zXZ\0", "xz-compressed file", CAPFMT_XZ),
	M("BZh", "bzip2-compressed file", CAPFMT_BZIP2),
	M("\x28\xb5\x2f\xfd", "zstd-compressed file", CAPFMT_ZSTD),
	M("\x04\x22\x4d\x18", "lz4-compressed file", CAPFMT_LZ4),
	M("PK\x03\x04", "zip archive", CAPFMT_ZIP),
	M("7z\xbc\xaf\x27\x1c", "7-Zip archive", CAPFMT_7Z),
};

/* Endace ERF has no magic: the first record header must make sense
 * (type 1..27 without the extension bit pattern that no type uses, record
 * length a multiple of 8 covering the 16-byte header, wire length plausible,
 * the next record's header plausible too when it is there). */
static bool erf_record_ok(const uint8_t *p, size_t n, size_t *rlen)
{
	if (n < 16)
		return false;
	uint8_t type = p[8] & 0x7f;
	uint16_t rl = rd_be16(p + 10), wl = rd_be16(p + 14);
	if (type == 0 || type > 27 || rl < 16 || (rl & 7) || wl == 0 || wl > 16384)
		return false;
	/* seconds since 1970 in the upper 32 bits of a little-endian timestamp:
	 * somewhere between 1995 and 2100 */
	uint32_t sec = rd_le32(p + 4);
	if (sec < 788918400u || sec > 4102444800u)
		return false;
	*rlen = rl;
	return true;
}

static bool looks_erf(const uint8_t *p, size_t n)
{
	size_t r1;
	if (!erf_record_ok(p, n, &r1))
		return false;
	if (n <= r1)
		return n == r1; /* one record, the whole file */
	size_t r2;
	return n - r1 < 16 || erf_record_ok(p + r1, n - r1, &r2);
}

/* TamoSoft CommView: NCF records begin with data length, source length
 * (equal for a captured packet), version 0, then year/month/day; NCFX with
 * a 32-bit length, then year/month/day. */
static bool plausible_date(uint16_t y, uint8_t mo, uint8_t d)
{
	return y >= 1995 && y <= 2100 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31;
}

static bool looks_ncf(const uint8_t *p, size_t n)
{
	return n >= 24 && rd_le16(p) != 0 && rd_le16(p) == rd_le16(p + 2) && p[4] == 0 &&
	       plausible_date(rd_le16(p + 5), p[7], p[8]);
}

static bool looks_ncfx(const uint8_t *p, size_t n)
{
	uint32_t len = rd_le32(p);
	return n >= 24 && len >= 24 && len < (1u << 20) && plausible_date(rd_le16(p + 4), p[6], p[7]);
}

enum capfmt_magic capfmt_magic(const uint8_t *p, size_t n)
{
	if (n < 4)
		return CAPFMT_OTHER;
	uint32_t le = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	uint32_t be = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	static const uint32_t pcap[] = { 0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34 };
	for (size_t i = 0; i < sizeof pcap / sizeof *pcap; i++)
		if (le == pcap[i] || be == pcap[i])
			return CAPFMT_PCAP;
	return le == 0x0a0d0d0a ? CAPFMT_PCAPNG : CAPFMT_OTHER;
}

const char *capfmt_identify(const uint8_t *p, size_t n, enum capfmt_kind *kind)
{
	for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++) {
		if (n >= magics[i].len && memcmp(p, magics[i].bytes, magics[i].len) == 0) {
			*kind = magics[i].kind;
			return magics[i].name;
		}
	}
	/* NetScaler traces open with a signature record naming the version */
	if (n >= 64 && memmem(p, 64, "NetScaler", 9)) {
		*kind = CAPFMT_CAPTURE;
		return "NetScaler trace";
	}
	*kind = CAPFMT_CAPTURE;
	if (looks_erf(p, n))
		return "Endace ERF capture";
	*kind = CAPFMT_CAPTURE_LINK;
	if (looks_ncf(p, n))
		return "TamoSoft CommView NCF capture";
	if (looks_ncfx(p, n))
		return "TamoSoft CommView NCFX capture";
	return NULL;
}

/* ---- classic pcap record layouts ---- */

static uint32_t rd32(const uint8_t *p, bool swapped)
{
	return swapped ? rd_be32(p) : rd_le32(p);
}

/* Do the records in the peeked bytes p[0..n) (n < total when the file goes
 * on) parse with record headers of hsize bytes? At most three records are
 * checked; the file ending exactly on a record boundary is fine. */
static bool layout_ok(const struct capfmt_pcap *h, const uint8_t *p, size_t n, bool more, size_t hsize)
{
	size_t off = 24;
	uint32_t frac_max = h->nsec ? 1000000000u : 1000000u;
	uint32_t cap_max = h->snaplen > 262144 ? h->snaplen : 262144;
	for (int i = 0; i < 3; i++) {
		if (off == n && !more)
			return true;
		if (off + hsize > n)
			return i > 0; /* cut header or past the peek: judged on the earlier records */
		uint32_t usec = rd32(p + off + 4, h->swapped);
		uint32_t caplen = rd32(p + off + 8, h->swapped), len = rd32(p + off + 12, h->swapped);
		if (h->lengths_swapped || (h->maybe_swapped && caplen > len)) {
			uint32_t t = caplen;
			caplen = len;
			len = t;
		}
		if (usec >= frac_max || caplen > cap_max || caplen > len || len > (1u << 26))
			return false;
		off += hsize + caplen;
		if (off > n)
			return true; /* a plausible header whose data runs past the peek (or is cut) */
	}
	return true;
}

size_t capfmt_pcap_peek_size(void)
{
	return 24 + 3 * (28 + 262144);
}

const char *capfmt_pcap_variant(const struct capfmt_pcap *h, const uint8_t *p, size_t n, bool more)
{
	if (!h->modified) {
		if (layout_ok(h, p, n, more, 16))
			return NULL;
		if (layout_ok(h, p, n, more, 20))
			return "Nokia tcpdump capture (pcap with 20-byte record headers, which libpcap misreads)";
		if (layout_ok(h, p, n, more, 24))
			return "Red Hat 6.1 tcpdump capture (pcap with 24-byte record headers, which libpcap misreads)";
		return NULL;
	}
	if (layout_ok(h, p, n, more, 24))
		return NULL;
	if (layout_ok(h, p, n, more, 28))
		return "SuSE 6.3 tcpdump capture (modified pcap with 28-byte record headers, which libpcap misreads)";
	return NULL;
}

/* Single-quotes s for a POSIX shell when it holds anything but safe characters. */
static void shell_word(char *out, size_t size, const char *s)
{
	bool plain = *s != 0;
	for (const char *c = s; *c; c++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./+-:,@%=", *c))
			plain = false;
	if (plain) {
		snprintf(out, size, "%s", s);
		return;
	}
	size_t o = 0;
	if (o + 1 < size)
		out[o++] = '\'';
	for (const char *c = s; *c && o + 5 < size; c++) {
		if (*c == '\'') {
			memcpy(out + o, "'\\''", 4);
			o += 4;
		} else {
			out[o++] = *c;
		}
	}
	if (o + 1 < size)
		out[o++] = '\'';
	out[o < size ? o : size - 1] = 0;
}

/* path without its compression suffix and extension, plus ext */
static void out_name(char *out, size_t size, const char *path, const char *ext)
{
	if (strcmp(path, "-") == 0) {
		snprintf(out, size, "capture%s", ext);
		return;
	}
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s", path);
	const char *base = strrchr(tmp, '/');
	base = base ? base + 1 : tmp;
	for (int i = 0; i < 2; i++) { /* x.cap.gz -> x */
		char *dot = strrchr(base, '.');
		if (!dot || dot == base)
			break;
		bool z = strcmp(dot, ".gz") == 0 || strcmp(dot, ".xz") == 0 || strcmp(dot, ".bz2") == 0 ||
			 strcmp(dot, ".zst") == 0 || strcmp(dot, ".lz4") == 0;
		*dot = 0;
		if (!z)
			break;
	}
	snprintf(out, size, "%s%s", tmp, ext);
	if (strcmp(out, path) == 0)
		snprintf(out, size, "%s.converted%s", tmp, ext);
}

void capfmt_advice(char *buf, size_t size, const char *path, const char *name, enum capfmt_kind kind)
{
	char in[4200], outp[4200], outq[4200];
	shell_word(in, sizeof in, path);
	switch (kind) {
	case CAPFMT_CAPTURE:
		out_name(outp, sizeof outp, path, ".pcapng");
		shell_word(outq, sizeof outq, outp);
		snprintf(buf, size, "%s: sipaudit reads pcap and pcapng; convert with: editcap -F pcapng %s %s", name, in,
			 outq);
		return;
	case CAPFMT_CAPTURE_LINK: /* the link type is per packet: editcap must be told it */
		out_name(outp, sizeof outp, path, ".pcapng");
		shell_word(outq, sizeof outq, outp);
		snprintf(buf, size,
			 "%s: sipaudit reads pcap and pcapng; convert with: editcap -T ether -F pcapng %s %s "
			 "(-T names the link type: ether for Ethernet)",
			 name, in, outq);
		return;
	case CAPFMT_XZ:
	case CAPFMT_BZIP2:
	case CAPFMT_ZSTD:
	case CAPFMT_LZ4: {
		static const char *const tool[] = { [CAPFMT_XZ] = "xz", [CAPFMT_BZIP2] = "bzip2", [CAPFMT_ZSTD] = "zstd",
						    [CAPFMT_LZ4] = "lz4" };
		if (strcmp(path, "-") == 0)
			snprintf(buf, size,
				 "%s: sipaudit reads pcap and pcapng, plain or gzip-compressed; decompress with: %s -dc | sipaudit -",
				 name, tool[kind]);
		else
			snprintf(buf, size,
				 "%s: sipaudit reads pcap and pcapng, plain or gzip-compressed; decompress with: %s -dc %s | sipaudit -",
				 name, tool[kind], in);
		return;
	}
	case CAPFMT_ZIP:
		snprintf(buf, size, "%s: sipaudit reads pcap and pcapng; unpack it with: unzip %s", name, in);
		return;
	case CAPFMT_7Z:
		snprintf(buf, size, "%s: sipaudit reads pcap and pcapng; unpack it with: 7z x %s", name, in);
		return;
	}
	snprintf(buf, size, "%s", name);
}

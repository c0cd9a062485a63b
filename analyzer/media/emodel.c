/* emodel.c - the ITU-T G.107 E-model estimate of an RTP stream's quality
 * (R and MOS), from the figures RFC 3550 accounting gave it. */
#include "emodel.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "media.h"

void emodel_codec(const char *codec, double *ie, double *bpl)
{
	/* G.113 Appendix I equipment impairment Ie and packet-loss robustness Bpl */
	static const struct {
		const char *prefix;
		double ie, bpl;
	} codecs[] = {
		{ "PCMU", 0, 25.1 }, { "PCMA", 0, 25.1 }, { "G711", 0, 25.1 }, { "G729", 11, 19.0 },
		{ "G723", 15, 16.1 }, { "GSM", 20, 10.0 }, { "iLBC", 10, 32.0 }, { "G722", 0, 25.1 },
	};
	*ie = 0;
	*bpl = 25.1;
	for (size_t i = 0; i < sizeof codecs / sizeof *codecs; i++)
		if (strncasecmp(codec, codecs[i].prefix, strlen(codecs[i].prefix)) == 0) {
			*ie = codecs[i].ie;
			*bpl = codecs[i].bpl;
			break;
		}
}

double emodel_burst_ratio(uint64_t lost, uint64_t loss_runs, uint64_t received)
{
	if (lost && loss_runs && received) {
		double pp = (double)loss_runs / (double)received, q = (double)loss_runs / (double)lost;
		return 1 / (pp + q);
	}
	return 1;
}

double emodel_r(double ie, double bpl, double ppl, double burst, double jitter_mean_ms, double ptime_ms)
{
	double jb = jitter_mean_ms > 10 ? 2 * jitter_mean_ms : 20;
	double d = ptime_ms + jb;
	double id = 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0);
	if (!(burst > 0))
		burst = 1;
	double ie_eff = ie + (95 - ie) * ppl / (ppl / burst + bpl);
	double r = 93.2 - id - ie_eff;
	if (!(r > 0)) /* also NaN */
		r = 0;
	if (r > 100)
		r = 100;
	return r;
}

/* G.107 Annex B (B.4): MOS_CQE = 1 for R < 0, 4.5 for R > 100, and
 * 1 + 0.035 R + R (R - 60) (100 - R) 7e-6 between. That cubic dips below
 * 1 for 0 < R < 6.5 (0.989 at R = 3.1): MOS is a 1..4.5 scale, so the
 * floor of the R < 0 case holds there too. */
double emodel_mos(double r)
{
	if (!(r > 0))
		return 1;
	if (r > 100)
		return 4.5;
	double mos = 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r);
	return mos < 1 ? 1 : mos > 4.5 ? 4.5 : mos;
}

void media_quality(struct media_stream *s, double ptime_ms)
{
	bool audio = s->media[0] ? strcmp(s->media, "audio") == 0 : s->pt < 24 && s->clock && s->clock <= 48000;
	if (!audio || !s->expected) {
		s->r_factor = s->mos = -1;
		return;
	}
	double ie, bpl;
	emodel_codec(s->codec, &ie, &bpl);
	double ppl = 100.0 * (double)s->lost / (double)s->expected;
	s->r_factor = emodel_r(ie, bpl, ppl, s->burst_ratio, s->jitter_mean_ms, ptime_ms);
	s->mos = emodel_mos(s->r_factor);
}

double media_mos(double r)
{
	return emodel_mos(r);
}

/* emodel.h - the ITU-T G.107 E-model, simplified as passive monitors do:
 * the transmission rating R from the packet loss (with its burstiness),
 * the codec's equipment impairment, and a delay made of the packetisation
 * and a jitter buffer; MOS from R. Pure functions: media_quality and
 * media_mos (media.h) are built on them. */
#ifndef SIPAUDIT_EMODEL_H
#define SIPAUDIT_EMODEL_H

#include <stdint.h>

/* G.113 Appendix I equipment impairment Ie and packet-loss robustness Bpl
 * of a codec named like an rtpmap encoding ("PCMU/8000", "G729"), matched
 * by prefix without regard to case; G.711's (0, 25.1) when not known. */
void emodel_codec(const char *codec, double *ie, double *bpl);
/* G.107 BurstR from the loss pattern: 1 / (p + q) with p = runs / received,
 * q = runs / lost; 1 (random loss) when nothing was lost. */
double emodel_burst_ratio(uint64_t lost, uint64_t loss_runs, uint64_t received);
/* R = 93.2 - Id - Ie,eff, held within 0..100:
 *   d = ptime + jitter buffer (2 x the mean jitter, 20 ms at least when the
 *       mean is 10 ms or less),
 *   Id = 0.024 d + 0.11 (d - 177.3) for d > 177.3,
 *   Ie,eff = Ie + (95 - Ie) Ppl / (Ppl / BurstR + Bpl) (G.107 (7-29)),
 * ppl the packet loss in percent, burst <= 0 taken as 1. */
double emodel_r(double ie, double bpl, double ppl, double burst, double jitter_mean_ms, double ptime_ms);
/* MOS-CQE from R (G.107 Annex B), held within 1..4.5. */
double emodel_mos(double r);

#endif

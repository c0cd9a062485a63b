/* decode.h - the capture room's way down: a captured frame's link layer,
 * VLAN/MPLS/PPPoE, IP and tunnels taken apart (decode.c), HEP decapsulated
 * (hep.c), each payload handed to reassembly or framing. */
#ifndef SIPAUDIT_DECODE_H
#define SIPAUDIT_DECODE_H

#include "internal.h"

/* decode.c */
void decode_link(struct analyzer *an, int linktype, const uint8_t *p, size_t len);
/* proto: IP protocol number; payload of an IP datagram (maybe reassembled). */
void decode_l4(struct analyzer *an, int depth, uint8_t proto, uint8_t family,
	       const uint8_t *src, const uint8_t *dst, const uint8_t *p, size_t len, bool truncated);

/* hep.c - HEP v1/v2/v3 (HOMER) decapsulation. True if p was HEP. */
bool hep_decode(struct analyzer *an, const uint8_t *p, size_t len);
bool hep_magic(const uint8_t *p, size_t len);

#endif

/* cursor.h - bounds-checked reads over packet bytes (tcpdump's GET_* idea).
 * A read past the end never touches memory: it marks the cursor truncated and
 * returns 0, so decoders check `c.trunc` once after a group of reads. */
#ifndef SIPAUDIT_CURSOR_H
#define SIPAUDIT_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cur {
	const uint8_t *p; /* borrowed */
	size_t len;
	size_t off;
	bool trunc;
};

static inline struct cur cur_make(const uint8_t *p, size_t len)
{
	return (struct cur){ p, len, 0, false };
}

static inline size_t cur_left(const struct cur *c) { return c->len - c->off; }
static inline const uint8_t *cur_ptr(const struct cur *c) { return c->p + c->off; }

static inline bool cur_need(struct cur *c, size_t n)
{
	if (c->trunc || cur_left(c) < n) {
		c->trunc = true;
		return false;
	}
	return true;
}

static inline bool cur_skip(struct cur *c, size_t n)
{
	if (!cur_need(c, n))
		return false;
	c->off += n;
	return true;
}

static inline uint8_t cur_u8(struct cur *c)
{
	if (!cur_need(c, 1))
		return 0;
	return c->p[c->off++];
}

static inline uint16_t cur_be16(struct cur *c)
{
	if (!cur_need(c, 2))
		return 0;
	const uint8_t *q = c->p + c->off;
	c->off += 2;
	return (uint16_t)(q[0] << 8 | q[1]);
}

static inline uint32_t cur_be32(struct cur *c)
{
	if (!cur_need(c, 4))
		return 0;
	const uint8_t *q = c->p + c->off;
	c->off += 4;
	return (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
}

static inline uint16_t rd_be16(const uint8_t *q) { return (uint16_t)(q[0] << 8 | q[1]); }
static inline uint32_t rd_be32(const uint8_t *q)
{
	return (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
}
static inline uint16_t rd_le16(const uint8_t *q) { return (uint16_t)(q[1] << 8 | q[0]); }
static inline uint32_t rd_le32(const uint8_t *q)
{
	return (uint32_t)q[3] << 24 | (uint32_t)q[2] << 16 | (uint32_t)q[1] << 8 | q[0];
}

#endif

/* jsonw.h - a streaming JSON writer: values are appended to one growing
 * buffer the writer owns, byte for byte as jansson 2.14 dumps the same tree
 * with JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER |
 * JSON_REAL_PRECISION(10), without building the tree (the JSON report spent
 * ~40 % of its time in malloc/free for it). No globals: one writer per
 * report (later per thread); the caller flushes w->p[0..w->len) itself.
 *
 * Where jansson would refuse a value (json_string of invalid UTF-8 or NULL,
 * json_real of NaN or an infinity) and json_object_set_new /
 * json_array_append_new then drop it, the writer writes nothing and returns
 * false; the jsonw_k* member functions drop their key too, so the output
 * stays what the tree gave. tests/unit_jsonw.c and tests/fuzz/fuzz_jsonw.c
 * hold it to jansson's output. */
#ifndef SIPAUDIT_JSONW_H
#define SIPAUDIT_JSONW_H

#include <stdbool.h>
#include <stddef.h>

struct jsonw {
	char *p; /* owned; valid until the next write, jsonw_reset or jsonw_free */
	size_t len, cap;
	bool comma; /* a value was completed here: the next one needs a ',' */
};

/* A point to come back to (jsonw_rewind) when a member turns out invalid. */
struct jsonw_mark {
	size_t len;
	bool comma;
};

/* Empties the writer for the next value; keeps its buffer unless it grew
 * past 16 MiB for one huge value. */
void jsonw_reset(struct jsonw *w);
/* Frees the buffer; the writer is then empty and reusable. */
void jsonw_free(struct jsonw *w);

/* Bytes outside the JSON grammar (",\n" between values of a document). */
void jsonw_raw(struct jsonw *w, const char *s, size_t n);

void jsonw_obj(struct jsonw *w);     /* { */
void jsonw_obj_end(struct jsonw *w); /* } */
void jsonw_arr(struct jsonw *w);     /* [ */
void jsonw_arr_end(struct jsonw *w); /* ] */
/* An object member's name (NUL-terminated, valid UTF-8) and its ':'. */
void jsonw_key(struct jsonw *w, const char *k);

void jsonw_null(struct jsonw *w);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_int(struct jsonw *w, long long v);
/* %.10g as jansson writes it; false (nothing written) for NaN or infinity. */
bool jsonw_real(struct jsonw *w, double v);
/* A string of n bytes (NUL allowed); false (nothing written) when s is NULL
 * or not valid UTF-8. jsonw_str takes a NUL-terminated one. */
bool jsonw_strn(struct jsonw *w, const char *s, size_t n);
bool jsonw_str(struct jsonw *w, const char *s);
/* Bytes from the wire: each byte that does not start a valid UTF-8
 * sequence (RFC 3629) becomes U+FFFD, so a corrupt byte never drops a
 * field. Always written. */
void jsonw_bytes(struct jsonw *w, const char *p, size_t n);

static inline struct jsonw_mark jsonw_mark(const struct jsonw *w)
{
	return (struct jsonw_mark){ w->len, w->comma };
}

static inline void jsonw_rewind(struct jsonw *w, struct jsonw_mark m)
{
	w->len = m.len;
	w->comma = m.comma;
}

/* Members: key and value. */
void jsonw_knull(struct jsonw *w, const char *k);
void jsonw_kbool(struct jsonw *w, const char *k, bool v);
void jsonw_kint(struct jsonw *w, const char *k, long long v);
bool jsonw_kreal(struct jsonw *w, const char *k, double v); /* false: member dropped */
bool jsonw_kstr(struct jsonw *w, const char *k, const char *s); /* false: member dropped */
bool jsonw_kstrn(struct jsonw *w, const char *k, const char *s, size_t n);
void jsonw_kbytes(struct jsonw *w, const char *k, const char *p, size_t n);

/* Length of the valid multi-byte UTF-8 sequence at p (at most n bytes)
 * and its code point, or 0 (ASCII too): no overlong forms, surrogates or
 * values past U+10FFFF (RFC 3629). */
size_t jsonw_utf8_seq(const unsigned char *p, size_t n, unsigned *cp);

#endif

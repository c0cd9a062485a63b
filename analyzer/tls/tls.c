/* tls.c - a TLS connection's records followed and decrypted (see tls.h).
 * Whole records are processed straight from the caller's bytes; only a
 * record cut by a segment boundary is copied. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

#include "analyzer.h"
#include "xalloc.h"

enum { CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPDATA = 23, CT_HEARTBEAT = 24 };
#define HS_MAX (1u << 18) /* a handshake message bigger than this is not one we need */

const char *tls_status_text(enum tls_status s)
{
	switch (s) {
	case TLS_ST_HANDSHAKE: return "handshake not complete in the capture";
	case TLS_ST_DECRYPTING: return "decrypted";
	case TLS_ST_NO_KEYLOG: return "no key log given";
	case TLS_ST_NO_KEY: return "no key for this client random in the key log";
	case TLS_ST_UNSUPPORTED: return "unsupported cipher suite or version";
	case TLS_ST_MIDSTREAM: return "capture started after the handshake";
	case TLS_ST_NOT_TLS: return "not TLS records";
	}
	return "?";
}

_Static_assert(TLS_ST_NOT_TLS + 1 == TLS_OUTCOMES, "analyzer.h counts the outcomes of tls.h");

const char *tls_outcome_name(unsigned s)
{
	static const char *const n[TLS_OUTCOMES] = { "handshake_incomplete", "decrypted", "no_keylog", "no_key",
						     "unsupported", "midstream", "not_tls" };
	return s < TLS_OUTCOMES ? n[s] : "?";
}

const char *tls_version_name(uint16_t v)
{
	switch (v) {
	case 0x0300: return "SSL 3.0";
	case 0x0301: return "TLS 1.0";
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	case 0x0304: return "TLS 1.3";
	default: return NULL;
	}
}

const char *tls_suite_name(uint16_t id, char *buf, size_t size)
{
	const struct tls_suite *s = tls_suite_find(id);
	if (s)
		return s->name;
	snprintf(buf, size, "cipher suite 0x%04X", id);
	return buf;
}

void tls_note_reason(const struct input_stats *st, const struct tls_note *n, char *buf, size_t size)
{
	char hex[68] = "";
	if (n->have_random) {
		hex[0] = ' ';
		for (int i = 0; i < 32; i++)
			snprintf(hex + 1 + 2 * i, 3, "%02x", n->client_random[i]);
	}
	const char *why;
	char tmp[240];
	switch (n->status) {
	case TLS_ST_HANDSHAKE:
		why = n->have_random ? "the handshake is not complete in the capture (no ServerHello)"
				     : "no handshake in the capture";
		break;
	case TLS_ST_DECRYPTING:
		why = "decrypted until bytes went missing from the capture (the records after a hole cannot be)";
		break;
	case TLS_ST_NO_KEYLOG:
		why = "no key log given (--keylog FILE, SSLKEYLOGFILE, or a pcapng capture carrying its secrets)";
		break;
	case TLS_ST_NO_KEY:
		snprintf(tmp, sizeof tmp, "no key for client random%s in the key log%s", hex,
			 st && st->tls_keys && !st->tls_keyed ? " (the key log matches no TLS flow of this input)" : "");
		why = tmp;
		if (n->partial) {
			snprintf(tmp, sizeof tmp, "the key log has no application traffic secret for client random%s", hex);
			why = tmp;
		}
		break;
	case TLS_ST_UNSUPPORTED: {
		char sb[32];
		const char *v = tls_version_name(n->version);
		snprintf(tmp, sizeof tmp, "%s %s is not decrypted by sipaudit", v ? v : "this protocol version",
			 tls_suite_name(n->suite, sb, sizeof sb));
		why = tmp;
		break;
	}
	case TLS_ST_MIDSTREAM:
		why = "the capture started after the handshake (no ClientHello: its client random, the key, is unknown)";
		break;
	default:
		why = "bytes that are not TLS records followed";
		break;
	}
	bool dec = n->status == TLS_ST_DECRYPTING;
	snprintf(buf, size, "%s%s%s", n->partial && !dec ? "partly decrypted: " : "", why,
		 n->lost && !dec ? "; bytes went missing from the capture" : "");
}

void tls_conn_init(struct tls_conn *t, struct keylog *kl, struct keylog *kl2)
{
	memset(t, 0, sizeof *t);
	t->kl = kl;
	t->kl2 = kl2;
	t->client = -1;
	t->status = TLS_ST_HANDSHAKE;
}

void tls_conn_release(struct tls_conn *t)
{
	for (int d = 0; d < 2; d++) {
		free(t->side[d].rec);
		free(t->side[d].hs);
		tls_keys_release(&t->side[d].keys);
	}
	if (!t->plain_borrowed)
		free(t->plain);
	memset(t, 0, sizeof *t);
}

static bool have_keys(const struct keylog *kl)
{
	return kl && keylog_stats(kl)->entries;
}

static struct keylog_entry *find_entry(const struct tls_conn *t)
{
	struct keylog_entry *e = t->kl ? keylog_find(t->kl, t->ch.random) : NULL;
	if (!e && t->kl2)
		e = keylog_find(t->kl2, t->ch.random);
	return e;
}

static uint64_t sid_key(const uint8_t *sid, size_t len)
{
	return tls_ticket_hash(sid, len) ^ 0x5e55109e1dull; /* apart from ticket keys */
}

static void cache_put(struct tls_cache *c, uint64_t key, const uint8_t master[48])
{
	if (!c || !key)
		return;
	c->slot[key % TLS_CACHE_SLOTS].key = key;
	memcpy(c->slot[key % TLS_CACHE_SLOTS].master, master, 48);
}

static const uint8_t *cache_get(struct tls_cache *c, uint64_t key)
{
	if (!c || !key || c->slot[key % TLS_CACHE_SLOTS].key != key)
		return NULL;
	c->hits++;
	return c->slot[key % TLS_CACHE_SLOTS].master;
}

/* TLS 1.2: the master secret of a resumed session, from the cache. */
static const uint8_t *resumed_master(struct tls_conn *t)
{
	const uint8_t *m = NULL;
	/* an abbreviated handshake echoes the session ID the client offered */
	if (t->sh.session_id_len && t->sh.session_id_len == t->ch.session_id_len &&
	    memcmp(t->sh.session_id, t->ch.session_id, t->sh.session_id_len) == 0)
		m = cache_get(t->cache, sid_key(t->ch.session_id, t->ch.session_id_len));
	if (!m && t->ch.ticket_hash)
		m = cache_get(t->cache, t->ch.ticket_hash);
	return m;
}

static void setup_keys(struct tls_conn *t)
{
	if (t->client < 0) {
		t->status = TLS_ST_MIDSTREAM;
		return;
	}
	t->tls13 = t->sh.version == 0x0304;
	t->suite_id = t->sh.suite;
	t->suite = tls_suite_find(t->sh.suite);
	if (!t->suite || t->suite->tls13 != t->tls13 || (!t->tls13 && t->sh.version != 0x0303)) {
		t->status = TLS_ST_UNSUPPORTED;
		return;
	}
	if (!have_keys(t->kl) && !have_keys(t->kl2)) {
		t->status = TLS_ST_NO_KEYLOG;
		return;
	}
	struct keylog_entry *e = find_entry(t);
	t->key_found = e != NULL;
	int c = t->client, s = !t->client;
	struct tls_side *cs = &t->side[c], *ss = &t->side[s];
	bool ok;
	if (t->tls13) {
		size_t n = tls_md_len(t->suite->prf);
		ok = e && e->len[KL_CLIENT_HANDSHAKE_TRAFFIC_SECRET] == n && e->len[KL_SERVER_HANDSHAKE_TRAFFIC_SECRET] == n &&
		     tls13_keys(t->suite, e->secret[KL_CLIENT_HANDSHAKE_TRAFFIC_SECRET], n, &cs->keys) &&
		     tls13_keys(t->suite, e->secret[KL_SERVER_HANDSHAKE_TRAFFIC_SECRET], n, &ss->keys);
	} else {
		const uint8_t *ms = e && e->len[KL_CLIENT_RANDOM] == 48 ? e->secret[KL_CLIENT_RANDOM] : NULL;
		if (!ms && (ms = resumed_master(t)) != NULL)
			t->resumed = t->key_found = true;
		ok = ms && tls12_keys(t->suite, ms, t->ch.random, t->sh.random, &cs->keys, &ss->keys);
		cs->keys.etm = ss->keys.etm = t->suite->kind == TLS_CBC && t->sh.etm;
		if (ok) {
			memcpy(t->master, ms, 48);
			t->have_master = true;
			if (t->sh.session_id_len)
				cache_put(t->cache, sid_key(t->sh.session_id, t->sh.session_id_len), ms);
		}
	}
	if (!ok) {
		t->status = TLS_ST_NO_KEY;
		return;
	}
	cs->keyed = ss->keyed = true;
	t->status = TLS_ST_DECRYPTING;
}

static void handshake_msg(struct tls_conn *t, int dir, uint8_t type, const uint8_t *b, size_t n)
{
	struct tls_side *sd = &t->side[dir];
	struct tls_hello h;
	switch (type) {
	case TLS_HS_CLIENT_HELLO:
		if (tls_parse_hello(b, n, false, &h)) {
			t->ch = h;
			t->have_ch = true;
			t->client = dir;
		}
		break;
	case TLS_HS_SERVER_HELLO:
		if (tls_parse_hello(b, n, true, &h) && !h.hrr && !t->have_sh) {
			t->sh = h;
			t->have_sh = true;
			setup_keys(t);
		}
		break;
	case TLS_HS_NEW_SESSION_TICKET:
		/* TLS 1.2 (RFC 5077 §3.3): lifetime, then the opaque ticket */
		if (!t->tls13 && t->have_master && n >= 6) {
			size_t tl = (size_t)b[4] << 8 | b[5];
			if (tl && 6 + tl <= n)
				cache_put(t->cache, tls_ticket_hash(b + 6, tl), t->master);
		}
		break;
	case TLS_HS_FINISHED:
		if (t->tls13 && sd->keyed && !sd->app)
			sd->finished_pending = true;
		break;
	case TLS_HS_KEY_UPDATE:
		if (t->tls13 && sd->app)
			sd->update_pending = true;
		break;
	default:
		break;
	}
}

static void handshake_data(struct tls_conn *t, int dir, const uint8_t *p, size_t n)
{
	struct tls_side *sd = &t->side[dir];
	/* whole messages straight from p when nothing is pending */
	while (!sd->hslen && n >= 4) {
		size_t ml = (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
		if (4 + ml > n)
			break;
		handshake_msg(t, dir, p[0], p + 4, ml);
		p += 4 + ml;
		n -= 4 + ml;
	}
	if (!n)
		return;
	if (sd->hslen + n > HS_MAX) { /* a certificate chain too big to care: forget it */
		sd->hslen = 0;
		return;
	}
	if (sd->hslen + n > sd->hscap) {
		sd->hscap = (sd->hslen + n) * 2;
		sd->hs = xrealloc(sd->hs, sd->hscap);
	}
	memcpy(sd->hs + sd->hslen, p, n);
	sd->hslen += n;
	size_t off = 0;
	while (sd->hslen - off >= 4) {
		const uint8_t *m = sd->hs + off;
		size_t ml = (size_t)m[1] << 16 | (size_t)m[2] << 8 | m[3];
		if (4 + ml > sd->hslen - off)
			break;
		handshake_msg(t, dir, m[0], m + 4, ml);
		off += 4 + ml;
	}
	memmove(sd->hs, sd->hs + off, sd->hslen - off);
	sd->hslen -= off;
}

static void record(struct tls_conn *t, int dir, uint8_t type, uint16_t version, const uint8_t *body, size_t n,
		   tls_plain_fn plain, tls_problem_fn problem, void *ud)
{
	struct tls_side *sd = &t->side[dir];
	t->records++;
	bool enc = sd->keyed && (t->tls13 ? type == CT_APPDATA : sd->ccs);
	if (!enc) {
		if (type == CT_HANDSHAKE)
			handshake_data(t, dir, body, n);
		else if (type == CT_CCS && !t->tls13 && sd->keyed)
			sd->ccs = true;
		else if (type == CT_APPDATA && !t->have_ch && t->status == TLS_ST_HANDSHAKE)
			t->status = TLS_ST_MIDSTREAM;
		return;
	}
	if (!t->plain)
		t->plain = xmalloc(TLS_RECORD_MAX);
	size_t len = 0;
	uint8_t inner = 0;
	enum tls_decrypt_result r = tls_decrypt(&sd->keys, type, version, body, n, t->plain, &len, &inner);
	if (r != TLS_OK) {
		t->bad_records++;
		sd->keys.seq++; /* the receiver got it whole: stay in step for the next ones */
		if (problem)
			problem(ud, dir, r == TLS_BAD_TAG ? "record does not authenticate (bad tag or MAC)" : "malformed record");
		return;
	}
	t->decrypted++;
	if (inner == CT_HANDSHAKE)
		handshake_data(t, dir, t->plain, len);
	else if (inner == CT_APPDATA && len && plain)
		plain(ud, dir, t->plain, len);
	if (sd->finished_pending) {
		/* TLS 1.3: after its Finished a side sends with its application keys */
		enum keylog_label l = dir == t->client ? KL_CLIENT_TRAFFIC_SECRET_0 : KL_SERVER_TRAFFIC_SECRET_0;
		struct keylog_entry *e = find_entry(t);
		size_t sl = tls_md_len(t->suite->prf);
		sd->finished_pending = false;
		sd->app = true;
		sd->hslen = 0;
		if (!e || e->len[l] != sl || !tls13_keys(t->suite, e->secret[l], sl, &sd->keys)) {
			sd->keyed = false;
			t->status = TLS_ST_NO_KEY;
		}
	}
	if (sd->update_pending) {
		sd->update_pending = false;
		if (!tls13_key_update(&sd->keys))
			sd->keyed = false;
	}
}

void tls_conn_data(struct tls_conn *t, int dir, const uint8_t *p, size_t len, tls_plain_fn plain,
		   tls_problem_fn problem, void *ud)
{
	struct tls_side *sd = &t->side[dir & 1];
	dir &= 1;
	while (len && t->status != TLS_ST_NOT_TLS && !sd->lost) {
		const uint8_t *r = p;
		size_t avail = len;
		if (sd->rlen) { /* complete the cut record first */
			size_t need = 5;
			if (sd->rlen >= 5)
				need = 5 + ((size_t)sd->rec[3] << 8 | sd->rec[4]);
			else if (sd->rlen + len >= 5) {
				uint8_t h[5];
				memcpy(h, sd->rec, sd->rlen);
				memcpy(h + sd->rlen, p, 5 - sd->rlen);
				need = 5 + ((size_t)h[3] << 8 | h[4]);
			}
			if (need > TLS_RECORD_MAX)
				need = TLS_RECORD_MAX;
			size_t take = need - sd->rlen < len ? need - sd->rlen : len;
			if (sd->rlen + take > sd->rcap) {
				sd->rcap = need > 4096 ? need : 4096;
				sd->rec = xrealloc(sd->rec, sd->rcap);
			}
			memcpy(sd->rec + sd->rlen, p, take);
			sd->rlen += take;
			p += take;
			len -= take;
			if (sd->rlen < 5 || sd->rlen < need)
				continue;
			r = sd->rec;
			avail = sd->rlen;
		}
		if (avail < 5)
			goto keep;
		uint8_t type = r[0];
		uint16_t version = (uint16_t)(r[1] << 8 | r[2]);
		size_t n = (size_t)r[3] << 8 | r[4];
		if (type < CT_CCS || type > CT_HEARTBEAT || r[1] != 3 || 5 + n > TLS_RECORD_MAX) {
			t->status = TLS_ST_NOT_TLS;
			sd->rlen = 0;
			return;
		}
		if (5 + n > avail)
			goto keep;
		record(t, dir, type, version, r + 5, n, plain, problem, ud);
		if (r == sd->rec) {
			sd->rlen = 0;
		} else {
			p += 5 + n;
			len -= 5 + n;
		}
		continue;
keep:
		/* a record cut by the end of the data: keep its start */
		if (r != sd->rec) {
			if (len > sd->rcap) {
				sd->rcap = len > 4096 ? len : 4096;
				sd->rec = xrealloc(sd->rec, sd->rcap);
			}
			memcpy(sd->rec, p, len);
			sd->rlen = len;
			len = 0;
		}
	}
}

size_t tls_conn_secrets(const struct tls_conn *t, char *buf, size_t size)
{
	if (!t->have_ch || (t->status != TLS_ST_DECRYPTING && !t->decrypted))
		return 0;
	if (t->tls13) {
		const struct keylog_entry *k = find_entry(t);
		return k ? keylog_entry_lines(k, buf, size) : 0;
	}
	if (!t->have_master) /* TLS 1.2: the master secret in use, also one from the resumption cache */
		return 0;
	struct keylog_entry e;
	memset(&e, 0, sizeof e);
	memcpy(e.client_random, t->ch.random, 32);
	memcpy(e.secret[KL_CLIENT_RANDOM], t->master, 48);
	e.len[KL_CLIENT_RANDOM] = 48;
	return keylog_entry_lines(&e, buf, size);
}

void tls_conn_gap(struct tls_conn *t, int dir, uint64_t lost)
{
	struct tls_side *sd = &t->side[dir & 1];
	sd->lost = true;
	sd->rlen = 0;
	sd->hslen = 0;
	t->lost_bytes += lost;
}

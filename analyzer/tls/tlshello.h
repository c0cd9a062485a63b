/* tlshello.h - the two TLS handshake messages that travel in clear and say
 * everything the decryption needs to know about a connection: ClientHello
 * (its random, the key-log key) and ServerHello (the other random, the
 * cipher suite, the version really negotiated, resumption), RFC 5246 §7.4.1
 * and RFC 8446 §4.1.2-4.1.4.
 */
#ifndef SIPAUDIT_TLSHELLO_H
#define SIPAUDIT_TLSHELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Handshake message types used here */
enum { TLS_HS_CLIENT_HELLO = 1, TLS_HS_SERVER_HELLO = 2, TLS_HS_NEW_SESSION_TICKET = 4,
       TLS_HS_CLIENT_KEY_EXCHANGE = 16, TLS_HS_FINISHED = 20, TLS_HS_KEY_UPDATE = 24 };

struct tls_hello {
	uint16_t legacy_version;  /* 0x0303 for TLS 1.2 and 1.3 */
	uint16_t version;         /* negotiated (server: supported_versions, else legacy); client: highest offered */
	uint8_t random[32];
	uint8_t session_id[32];
	uint8_t session_id_len;
	uint16_t suite;           /* ServerHello: the chosen cipher suite; ClientHello: 0 */
	bool hrr;                 /* a HelloRetryRequest (RFC 8446 §4.1.3) */
	bool ticket;              /* session_ticket (RFC 5077): client with a ticket, or server acknowledging */
	uint64_t ticket_hash;     /* client: FNV-1a of the ticket it presents (0: none) */
	bool etm;                 /* encrypt_then_mac (RFC 7366) */
	bool ems;                 /* extended_master_secret (RFC 7627) */
	bool psk;                 /* pre_shared_key (TLS 1.3 resumption) */
};

/* Parses the body of a ClientHello (server false) or ServerHello (server
 * true) handshake message (after its 4-byte header). False when it does not
 * hold together. */
/* FNV-1a 64 of a session ticket: what a resumption cache keys tickets by. */
uint64_t tls_ticket_hash(const uint8_t *p, size_t len);
bool tls_parse_hello(const uint8_t *body, size_t len, bool server, struct tls_hello *h);

#endif

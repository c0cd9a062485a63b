/* model.h - calls, dialogs and transactions built from SIP messages
 * (RFC 3261 §12 dialogs, §17 transactions), finalised as a stream.
 *
 * Ownership: the call store owns every call; a call owns its messages,
 * transactions, dialogs and links. A call handed to the done-callback is
 * valid only during that callback: the store frees it right after. */
#ifndef SIPAUDIT_MODEL_H
#define SIPAUDIT_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "media.h"
#include "sipmsg.h"

/* RFC 3261 timers, in nanoseconds of capture time. */
#define SIP_T1_NS 500000000LL
#define SIP_TIMER_B_NS (64 * SIP_T1_NS) /* 32 s: INVITE/non-INVITE timeout */

enum sip_method {
	M_OTHER = 0,
	M_INVITE, M_ACK, M_BYE, M_CANCEL, M_REGISTER, M_OPTIONS, M_INFO, M_UPDATE,
	M_PRACK, M_SUBSCRIBE, M_NOTIFY, M_REFER, M_MESSAGE, M_PUBLISH,
};
enum sip_method sip_method_of(struct sv name);
const char *sip_method_name(enum sip_method m);

enum call_kind {
	KIND_CALL, KIND_REGISTRATION, KIND_SUBSCRIPTION, KIND_MESSAGE, KIND_OPTIONS, KIND_OTHER,
};
#define KIND_COUNT 6
const char *call_kind_name(enum call_kind k);

enum call_state {
	ST_TRYING,       /* request sent, nothing or only 100 back */
	ST_RINGING,      /* 18x, no final response */
	ST_ANSWERED,     /* 2xx, no BYE in the capture */
	ST_COMPLETED,    /* INVITE: answered then ended by BYE; others: 2xx */
	ST_CANCELLED,    /* CANCEL / 487 */
	ST_REDIRECTED,   /* 3xx */
	ST_REJECTED,     /* 4xx (not 408) or 6xx */
	ST_FAILED,       /* 5xx, 408 */
	ST_NO_RESPONSE,  /* a request that never got any response */
	ST_REGISTERED,   /* REGISTER 2xx with a binding */
	ST_UNREGISTERED, /* REGISTER 2xx with expires 0 */
	ST_UNKNOWN,      /* nothing to judge (e.g. only responses) */
};
#define STATE_COUNT 12
const char *call_state_name(enum call_state s);

/* What bounds an answered call's duration. */
enum call_until {
	UNTIL_NONE,        /* never answered */
	UNTIL_BYE,         /* the first BYE */
	UNTIL_LAST_RTP,    /* no BYE: the call's last RTP packet (after its last message) */
	UNTIL_LAST_MESSAGE,/* no BYE: the call's last SIP message */
	UNTIL_CAPTURE_END, /* no BYE, no media in the capture: still up when it ended */
};
const char *call_until_name(enum call_until u);

/* Message flags */
#define CM_RETRANS 0x1   /* same transaction, same hop, seen before */
#define CM_DUPLICATE 0x2 /* the same message captured again (another hop or twice) */

struct call_msg {
	struct sip_msg *m; /* owned */
	int32_t txn;       /* index into call->txns, -1 none */
	int32_t dialog;    /* index into call->dialogs, -1 none */
	uint32_t flags;
	uint32_t dup_of;   /* index of the original message when CM_DUPLICATE/CM_RETRANS */
	int32_t prev_in_txn; /* previous message of the same transaction, -1 */
	enum sip_method method; /* request method, or CSeq method for responses */
	uint32_t to_tag_hash; /* of its To tag: copies are found without parsing old messages */
	bool caller_dir;   /* in a dialog: sent by the caller (From tag = caller tag) */
};

/* The index of a call's copies of messages (model.c, mark_copy): per
 * transaction and message (request method, or status and To tag) its
 * first message, per hop its latest. */
struct copy_slot {
	uint32_t hash;
	uint32_t msg; /* message index + 1, 0 empty */
};

struct txn {
	enum sip_method method; /* INVITE for the ACK of a non-2xx */
	struct sv branch;       /* slices into the first message's bytes */
	struct sv sent_by;      /* host of the top Via */
	uint16_t sent_port;
	struct sv from_tag;
	uint32_t cseq;
	bool rfc2543;           /* branch without the z9hG4bK cookie */
	bool in_dialog;         /* the request carried a To tag */
	int32_t req;            /* first request message, -1 when not captured */
	int32_t first_resp;     /* first response of any kind, -1 */
	int32_t first_prov;     /* first 101-199, -1 */
	int32_t final;          /* first final response, -1 */
	int32_t ack;            /* ACK (non-2xx: same transaction), -1 */
	int32_t cancel;         /* CANCEL transaction index for INVITE, -1 */
	int32_t cancels;        /* for CANCEL: the INVITE transaction it cancels, -1 */
	int32_t last_msg;       /* latest message of the transaction (chain via prev_in_txn) */
	int32_t offer;          /* SDP offer waiting for its answer, -1 */
	int status;             /* final status, 0 none */
	uint32_t req_count;     /* request copies on the first hop, retransmissions included */
	uint32_t final_count;   /* final response copies on the first hop */
	int64_t start_ns, end_ns; /* first request (or response), last message */
	struct endpoint src, dst; /* the hop of the first request */
	uint32_t khash;         /* hash of its key (method, branch, CSeq): the call's index */
};

enum dialog_state { DLG_EARLY, DLG_CONFIRMED, DLG_TERMINATED };
const char *dialog_state_name(enum dialog_state s);

struct dialog {
	struct sv caller_tag, callee_tag; /* slices into message bytes */
	enum dialog_state state;
	bool confirmed_once;    /* reached CONFIRMED at some point */
	bool inferred;          /* created from an in-dialog request: set up before the capture */
	enum sip_method kind;   /* INVITE, SUBSCRIBE, NOTIFY, REFER */
	int32_t create_txn;     /* transaction whose response created it, -1 */
	int32_t confirm_msg;    /* the 2xx, -1 */
	int32_t end_msg;        /* BYE/481/failure that ended it, -1 */
	int32_t end_req;        /* the BYE request that ended it, -1 */
	int32_t remote_target;  /* message whose Contact is the callee's target (2xx), -1 */
	int32_t offer, answer;  /* latest complete SDP offer/answer messages, -1 */
	int64_t confirm_ns, end_ns;
	struct endpoint callee_addr; /* where the 2xx came from */
};

/* An SDP offer and its answer, in the order completed. */
struct sdp_exchange {
	int32_t txn, dialog;
	int32_t offer, answer; /* message indices; answer -1 when none came */
};

/* How two legs were tied (struct call_link.how, the JSON "by"): a header
 * naming the other Call-ID, a value both legs carry, or the SDP body passed
 * through while both were being set up. --link-header NAME gives
 * "header:NAME". */
#define LINK_HOW_X_CALL_ID "X-Call-ID"
#define LINK_HOW_X_CID "X-CID"
#define LINK_HOW_SESSION_ID "Session-ID"
#define LINK_HOW_PCV "P-Charging-Vector"
#define LINK_HOW_SDP "same SDP"

struct call_link {
	char *call_id; /* owned copy (may hold NUL bytes: call_id_len counts) */
	size_t call_id_len;
	const char *how; /* a LINK_HOW_* or "header:NAME" (owned by the store) */
	struct call *peer; /* while both are alive, else NULL */
	uint64_t peer_seq; /* the other leg's seq (its number in the calls table - 1) */
	bool peer_ended;
	uint64_t peer_end_frame;
	int64_t peer_end_ns;
};

struct call {
	uint32_t input;
	uint64_t seq;       /* creation order in the store */
	char *call_id;      /* owned, NUL-terminated ("" when absent) */
	size_t call_id_len;

	struct call_msg *msgs; /* arrival order */
	uint32_t nmsgs, msgs_cap;
	struct txn *txns;
	uint32_t ntxns, txns_cap;
	/* Index of the transactions (open addressing, txn index + 1, 0 empty)
	 * and what call_activity needs, kept as messages come: lookups and
	 * the activity cost the same whatever the number of transactions. */
	uint32_t *txn_tab;
	uint32_t txn_tab_size;
	uint32_t open_txns;     /* requests seen, no final response, not ACK */
	uint32_t ringing_txns;  /* of those, INVITEs with a provisional response */
	uint32_t live_dialogs;  /* INVITE dialogs confirmed and not ended */
	struct dialog *dialogs;
	uint32_t ndialogs, dialogs_cap;
	uint32_t *dlg_tab; /* index of the dialogs by their tags (from DLG_INDEX_MIN of them) */
	uint32_t dlg_tab_size;
	struct copy_slot *copy_tab; /* from a transaction of COPY_INDEX_MIN messages */
	uint32_t copy_tab_size, copy_tab_n;
	struct sdp_exchange *sdp;
	uint32_t nsdp, sdp_cap;
	struct call_link *links;
	uint32_t nlinks, links_cap;

	/* Summary, kept current as messages arrive. */
	enum call_kind kind;
	uint8_t kind_rank;
	enum call_state state;
	int final_status;      /* final status of the main transaction, 0 none */
	int32_t main_txn;      /* the transaction that decides the state, -1 */
	int64_t start_ns, end_ns;       /* first and last message */
	int64_t answer_ns, hangup_ns;   /* -1 when not seen */
	int64_t setup_ns;               /* INVITE → first 18x/2xx, -1 */
	int64_t duration_ns;            /* answer → what until says, -1 when never answered */
	enum call_until until;
	int64_t capture_end_ns;         /* last packet of the input when finalised by its end, the
					 * moment the memory bound finalised it (early), else -1 */
	/* The memory bound (callstore_set_max_memory) finalised it before it
	 * was over: rules do not judge what had not happened yet. */
	bool early;
	/* Over, and closed by the memory bound before T4 (its wait for stray
	 * retransmissions) ran out: its outcome is known. */
	bool t4_cut;
	uint64_t continues;    /* seq + 1 of the call of the same Call-ID finalised early
				* that this one continues, 0 none */
	uint32_t findings;     /* filled by whoever runs the rules */

	/* Media (media.c): the RTP streams tied to the call, set when the call
	 * is finalised, in order of their first packet. */
	struct media_stream *media;
	uint32_t nmedia;
	bool media_visible;    /* it has streams, or the capture holds RTP of both parties' SDP addresses */
	struct media_call *media_live; /* media table state while the call is open */

	/* Store bookkeeping */
	struct call *hnext;
	struct call *lprev, *lnext;
	int list;
	bool ended_input;  /* finalised because its input ended */
	/* One request and nothing else (copies of it aside): the shape of a
	 * flood. Such a call waiting for its response is also in the store's
	 * list of them (fprev, fnext), given up first under the memory bound. */
	bool lone;
	struct call *fprev, *fnext;
	struct link_ent *link_ents; /* B2BUA index entries this call owns */
	unsigned nlink_ents;
	int64_t link_close_ns; /* setup window: INT64_MAX open, else its end */
	size_t mem;        /* bytes it holds, as the memory bound counts them */
	size_t msg_bytes;  /* of which its messages */
};

/* Store-level registration binding per AoR (for expiry checks). */
struct binding {
	char *aor;       /* owned */
	char *call_id;   /* owned: the call of the last successful REGISTER */
	uint64_t call_seq; /* and its seq */
	uint64_t req_frame, ok_frame;
	int64_t ok_ns, expires_ns; /* absolute capture time the binding lapses */
	bool lapsed_reported;
	struct binding *next;   /* in its hash bucket */
	struct binding *onext;  /* in the order the AoRs were first bound */
	size_t aor_len;
};

typedef void (*call_done_fn)(void *ud, struct call *c);
/* Called for each registration binding that lapsed without refresh:
 * at the refresh that came too late (late_frame != 0) or at the end of the
 * input (late_frame == 0, end_ns = time of the last packet). */
typedef void (*binding_lapse_fn)(void *ud, const struct binding *b, uint32_t input,
				 uint64_t late_frame, int64_t late_ns);

struct callstore;

/* done: receives each finalised call (then the store frees it). */
struct callstore *callstore_new(call_done_fn done, binding_lapse_fn lapse, void *ud);
/* Bounds the memory of the calls in progress to about bytes (0: no bound,
 * the default). Calls that are over but waiting out T4 for stray
 * retransmissions may hold a quarter: beyond, the one whose wait ends
 * first is closed (struct call.t4_cut). Over the bound, those go first,
 * then the calls that are one request without any response (a flood's
 * shape; struct call.lone), then the other calls in progress, least
 * recently active first, each finalised early (struct call.early); one
 * call alone holds a sixteenth of the bound (cut when
 * nothing of it is pending, at a quarter in any case; the rest of it
 * comes as calls that continue it). A later message of the
 * Call-ID of a call cut short starts a call that continues it (struct
 * call.continues). */
void callstore_set_max_memory(struct callstore *cs, size_t bytes);
/* Calls finalised early and closed before T4 ran out so far, and the most
 * memory held at once. */
uint64_t callstore_early_count(const struct callstore *cs);
uint64_t callstore_t4_cut_count(const struct callstore *cs);
size_t callstore_peak_memory(const struct callstore *cs);
/* Takes ownership of m; may finalise calls that have gone quiet. */
void callstore_add(struct callstore *cs, struct sip_msg *m);
/* The input's capture ended at end_ns: finalises all its calls, in order of
 * their first message, and reports lapsed bindings. */
void callstore_end_input(struct callstore *cs, uint32_t input, int64_t end_ns);
void callstore_free(struct callstore *cs);
/* Hand-over (for a reader thread): done() keeps each finalised call, which
 * nothing in the store refers to any more (links to live calls cleared,
 * header indexes dropped), and frees it with call_free() when it is done,
 * on any thread. The call's outcome is not worked out (call_finish): the
 * taker calls call_finish() before it reads the state, the times or the
 * main transaction, off the reading thread. */
void callstore_hand_over(struct callstore *cs, bool on);
void call_free(struct call *c);
/* A call going to another thread: its messages' header indexes off this
 * thread's list (sip_msg_unlist); coming back: those this thread built
 * dropped (sip_msg_compact_listed). */
size_t call_unlist(struct call *c); /* the bytes of the indexes it keeps */
void call_compact_listed(struct call *c);
/* The seq the next call will get (calls are numbered in creation order). */
uint64_t callstore_next_seq(const struct callstore *cs);
/* A packet that may be RTP or RTCP (from the analyzer's media sink). */
void callstore_media(struct callstore *cs, const struct media_pkt *p);
/* Streams no call's SDP explains go to fn (with the store's ud). */
void callstore_set_media_orphan(struct callstore *cs, media_orphan_fn fn);
/* --link-header SPEC: "NAME" or "NAME=REGEX" (POSIX extended): calls being
 * set up at the same time whose header NAME (or the REGEX's first capture
 * group in it, else its whole match) is equal are legs of one call, by
 * "header:NAME". false with the reason in err when SPEC is wrong. The store
 * keeps the "header:NAME" strings its links point to: it must outlive the
 * calls handed to the done-callback (they are freed right after it, or, in
 * hand-over, before the store). */
bool callstore_link_header(struct callstore *cs, const char *spec, char *err, size_t errsize);
/* The same check without a store (for the option parser). */
bool link_header_check(const char *spec, char *err, size_t errsize);
/* Session-ID (RFC 7989) local-uuid, 32 lowercase hex digits, not the null
 * uuid; false when v holds none. */
bool link_session_uuid(struct sv v, char out[33]);
/* P-Charging-Vector (RFC 7315) icid-value, unquoted; 0 when absent. */
size_t link_icid_value(struct sv v, char *out, size_t size);

/* Model building (model.c), used by the store. */
void call_init(struct call *c, uint32_t input, struct sv call_id);
void call_add_msg(struct call *c, struct sip_msg *m);
void call_finish(struct call *c); /* compute the final summary */
void call_release(struct call *c);
/* From (to=false) or To header of the call's main request (else of its
 * first message); NULL when not known. */
const struct sip_nameaddr *call_party(const struct call *c, bool to);
/* Whether transaction t of c is an initial INVITE: out of any dialog (no
 * To tag), its request captured. */
bool txn_initial_invite(const struct call *c, const struct txn *t);
/* The first initial INVITE transaction of c (the call attempt), -1 none. */
int32_t call_first_invite(const struct call *c);
/* Whether the call could be finalised: 0 complete, 1 waiting for responses,
 * 2 ringing, 3 live dialog (never times out). */
int call_activity(const struct call *c);

static inline int64_t msg_ns(const struct sip_msg *m)
{
	return m->ts_sec * 1000000000LL + m->ts_nsec;
}

#endif

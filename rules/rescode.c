/* rescode.c - the response code table: RFC 3261 §21, the IANA "SIP Response
 * Codes" registry (RFC 3262, 3265, 3329, 3892, 4412, 4474, 5079, 5360, 5393,
 * 5626, 5839, 6086, 6228, 7647, 8197, 8224, 8599, 8688), explained plainly. */
#include <stdio.h>
#include "rescode.h"

#include <stddef.h>

static const struct rescode table[] = {
	{ 100, "Trying", "The next hop received the request and is working on it." },
	{ 180, "Ringing", "The called party's device is alerting." },
	{ 181, "Call Is Being Forwarded", "The call is being forwarded to another destination." },
	{ 182, "Queued", "The called party is busy; the call is queued." },
	{ 183, "Session Progress", "Progress information, usually early media (ringback or announcement)." },
	{ 199, "Early Dialog Terminated", "One early dialog of a forked call was terminated." },
	{ 200, "OK", "The request succeeded." },
	{ 202, "Accepted", "Accepted for processing, not yet completed (REFER, SUBSCRIBE)." },
	{ 204, "No Notification", "Succeeded; no notification will follow." },
	{ 300, "Multiple Choices", "Several destinations are possible; the Contact header lists them." },
	{ 301, "Moved Permanently", "The user moved; retry at the Contact address and update the directory." },
	{ 302, "Moved Temporarily", "The user is temporarily elsewhere; retry at the Contact address (call forwarding)." },
	{ 305, "Use Proxy", "The request must go through the proxy named in Contact." },
	{ 380, "Alternative Service", "The call failed but alternative services are possible." },
	{ 400, "Bad Request", "The server could not understand the request (syntax, or a header it rejects); the phrase or a Warning/P-Registrar-Error header often says which." },
	{ 401, "Unauthorized", "The registrar or UAS wants credentials (a challenge); normal once, a failure if it repeats after credentials." },
	{ 402, "Payment Required", "Reserved; some carriers use it for an empty prepaid balance." },
	{ 403, "Forbidden", "The server refuses the request: wrong password, unknown or blocked user, or a call the account may not make." },
	{ 404, "Not Found", "The user or number does not exist in the domain of the Request-URI (or is not registered)." },
	{ 405, "Method Not Allowed", "The method is understood but not allowed for this target; see the Allow header." },
	{ 406, "Not Acceptable", "The response could not be given in a content type the request accepts." },
	{ 407, "Proxy Authentication Required", "A proxy wants credentials (a challenge); normal once, a failure if it repeats after credentials." },
	{ 408, "Request Timeout", "No final answer in time: the callee or the next hop did not respond." },
	{ 409, "Conflict", "The request conflicts with the current state of the resource." },
	{ 410, "Gone", "The user existed but is no longer reachable here." },
	{ 412, "Conditional Request Failed", "A conditional PUBLISH referred to an entity tag that does not exist." },
	{ 413, "Request Entity Too Large", "The request body is larger than the server accepts." },
	{ 414, "Request-URI Too Long", "The Request-URI is longer than the server accepts." },
	{ 415, "Unsupported Media Type", "The body's content type or encoding is not supported (e.g. no SDP support)." },
	{ 416, "Unsupported URI Scheme", "The Request-URI scheme (sips:, tel:...) is not supported." },
	{ 417, "Unknown Resource-Priority", "The Resource-Priority namespace is unknown." },
	{ 420, "Bad Extension", "The server does not support an extension listed in Proxy-Require or Require." },
	{ 421, "Extension Required", "The server needs an extension (listed in Require) that the request did not offer." },
	{ 422, "Session Interval Too Small", "The Session-Expires value is below the server's Min-SE." },
	{ 423, "Interval Too Brief", "The requested expiry is shorter than the server's Min-Expires." },
	{ 424, "Bad Location Information", "The location information in the request was malformed or unsuitable." },
	{ 425, "Bad Alert Message", "The Alert-Info header content was rejected." },
	{ 428, "Use Identity Header", "The server requires an Identity header (STIR/SHAKEN)." },
	{ 429, "Provide Referrer Identity", "A REFER needs a valid Referred-By token." },
	{ 430, "Flow Failed", "A SIP outbound flow to the UA failed." },
	{ 433, "Anonymity Disallowed", "The callee rejects anonymous calls." },
	{ 436, "Bad Identity-Info", "The Identity-Info URI could not be dereferenced." },
	{ 437, "Unsupported Certificate", "The identity certificate could not be validated." },
	{ 438, "Invalid Identity Header", "The Identity signature does not verify." },
	{ 439, "First Hop Lacks Outbound Support", "The edge proxy does not support SIP outbound." },
	{ 440, "Max-Breadth Exceeded", "Forking went beyond the Max-Breadth limit." },
	{ 469, "Bad Info Package", "An INFO used a package the receiver did not agree to." },
	{ 470, "Consent Needed", "The recipient has not consented to receive requests from this source." },
	{ 480, "Temporarily Unavailable", "The callee is known but unreachable now: not registered, do-not-disturb, or no answer from its device." },
	{ 481, "Call/Transaction Does Not Exist", "The receiver has no dialog or transaction matching the request (wrong tags or Call-ID, or it lost or ended the dialog)." },
	{ 482, "Loop Detected", "The request came back to a server it already passed (routing loop)." },
	{ 483, "Too Many Hops", "Max-Forwards reached zero: a routing loop or a very long path." },
	{ 484, "Address Incomplete", "The dialled number is incomplete (overlap dialling)." },
	{ 485, "Ambiguous", "The address matches several users." },
	{ 486, "Busy Here", "The callee is busy at this device." },
	{ 487, "Request Terminated", "The request was cancelled (CANCEL or BYE) before it completed: normal when the caller hangs up while ringing." },
	{ 488, "Not Acceptable Here", "Some aspect of the session description is not acceptable: usually no common codec, sometimes SRTP or address policy." },
	{ 489, "Bad Event", "The event package in SUBSCRIBE/PUBLISH is not supported." },
	{ 491, "Request Pending", "Another request (usually a re-INVITE) is in progress in this dialog: glare; retry after a random delay." },
	{ 493, "Undecipherable", "The S/MIME body could not be decrypted." },
	{ 494, "Security Agreement Required", "The server requires a security mechanism agreement (RFC 3329)." },
	{ 500, "Server Internal Error", "The server hit an internal error; the phrase often says which (e.g. 'Race condition', 'CSeq out of order')." },
	{ 501, "Not Implemented", "The server does not support the method." },
	{ 502, "Bad Gateway", "A gateway or proxy got an invalid response from the next hop." },
	{ 503, "Service Unavailable", "The server is overloaded, in maintenance, or has no route/trunk for the call; see Retry-After and Reason." },
	{ 504, "Server Time-out", "The server got no timely response from a server it contacted (DNS, next hop)." },
	{ 505, "Version Not Supported", "The SIP version is not supported." },
	{ 513, "Message Too Large", "The message is larger than the server can process." },
	{ 555, "Push Notification Service Not Supported", "The push notification service named is not supported." },
	{ 580, "Precondition Failure", "The QoS or security preconditions could not be met." },
	{ 600, "Busy Everywhere", "The callee is busy on every device and does not want another one tried." },
	{ 603, "Decline", "The callee explicitly declined the call." },
	{ 604, "Does Not Exist Anywhere", "The user does not exist anywhere." },
	{ 606, "Not Acceptable", "The user's agent cannot accept the session as described (media, bandwidth, addressing)." },
	{ 607, "Unwanted", "The callee marked the call as unwanted (spam)." },
	{ 608, "Rejected", "An intermediary rejected the call (call analytics, spam filtering)." },
};

static const struct rescode classes[] = {
	{ 100, "Provisional", "A provisional response: the request is in progress." },
	{ 200, "Success", "The request succeeded." },
	{ 300, "Redirection", "The request should be retried elsewhere (see Contact)." },
	{ 400, "Client Error", "The request was refused by the far end (an unregistered 4xx code, treated as 400)." },
	{ 500, "Server Error", "The server failed to handle the request (an unregistered 5xx code, treated as 500)." },
	{ 600, "Global Failure", "The request fails everywhere (an unregistered 6xx code, treated as 600)." },
};

static const struct rescode *find(int code)
{
	size_t lo = 0, hi = sizeof table / sizeof *table;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (table[mid].code == code)
			return &table[mid];
		if (table[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int rescode_known(int code)
{
	return find(code) != NULL;
}

const struct rescode *rescode_lookup(int code)
{
	const struct rescode *r = find(code);
	if (r)
		return r;
	if (code < 100 || code > 699)
		return &classes[3];
	return &classes[code / 100 - 1];
}

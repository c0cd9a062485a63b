/* report_json.c - the JSON report, schema "sipaudit.report/1", built with
 * jansson one call at a time so the whole document never sits in memory. */
#include <jansson.h>
#include <string.h>

#include "report.h"

#ifndef SIPAUDIT_VERSION
#define SIPAUDIT_VERSION "0"
#endif

static json_t *sv_json(struct sv s)
{
	return s.p ? json_stringn(s.p, s.len) : json_null();
}

static json_t *input_json(const struct input_stats *st)
{
	json_t *o = json_object();
	json_object_set_new(o, "path", json_string(st->path));
	json_t *lts = json_array();
	for (unsigned i = 0; i < st->nlinktypes; i++) {
		const char *n = linktype_name(st->linktypes[i]);
		json_array_append_new(lts, n ? json_string(n) : json_integer(st->linktypes[i]));
	}
	json_object_set_new(o, "link_types", lts);
	json_object_set_new(o, "packets", json_integer((json_int_t)st->packets));
	json_object_set_new(o, "bytes", json_integer((json_int_t)st->bytes));
	json_object_set_new(o, "sip_messages", json_integer((json_int_t)st->sip_messages));
	json_object_set_new(o, "malformed", json_integer((json_int_t)st->malformed));
	json_object_set_new(o, "tls_flows", json_integer((json_int_t)st->tls_flows));
	json_object_set_new(o, "complete", json_boolean(st->complete));
	json_t *dec = json_object();
	json_object_set_new(dec, "truncated_packets", json_integer((json_int_t)st->truncated_packets));
	json_object_set_new(dec, "invalid_packets", json_integer((json_int_t)st->invalid_packets));
	json_object_set_new(dec, "unknown_linktype_packets", json_integer((json_int_t)st->unknown_linktype_packets));
	json_object_set_new(dec, "ip_fragments_incomplete", json_integer((json_int_t)st->frag_incomplete));
	json_object_set_new(dec, "ip_fragments_dropped", json_integer((json_int_t)st->frag_dropped));
	json_object_set_new(dec, "tcp_gaps", json_integer((json_int_t)st->tcp_gaps));
	json_object_set_new(dec, "tcp_gap_bytes", json_integer((json_int_t)st->tcp_gap_bytes));
	json_object_set_new(dec, "tcp_partial_messages", json_integer((json_int_t)st->tcp_partial_messages));
	json_object_set_new(dec, "tcp_capped_streams", json_integer((json_int_t)st->tcp_capped));
	json_object_set_new(o, "decode", dec);
	json_t *errs = json_array();
	if (st->fatal)
		json_array_append_new(errs, json_string(st->fatal));
	for (unsigned i = 0; i < st->nerrors; i++)
		json_array_append_new(errs, json_string(st->errors[i]));
	if (st->errors_dropped) {
		char b[64];
		snprintf(b, sizeof b, "%llu more errors not listed", (unsigned long long)st->errors_dropped);
		json_array_append_new(errs, json_string(b));
	}
	json_object_set_new(o, "errors", errs);
	return o;
}

static json_t *message_json(struct sip_msg *m)
{
	json_t *o = json_object();
	char b[64];
	json_object_set_new(o, "frame", json_integer((json_int_t)m->frame));
	if (m->first_frame != m->frame)
		json_object_set_new(o, "first_frame", json_integer((json_int_t)m->first_frame));
	report_time(b, sizeof b, m->ts_sec, m->ts_nsec);
	json_object_set_new(o, "time", json_string(b));
	endpoint_format(&m->src, b, sizeof b);
	json_object_set_new(o, "src", json_string(b));
	endpoint_format(&m->dst, b, sizeof b);
	json_object_set_new(o, "dst", json_string(b));
	json_object_set_new(o, "transport", json_string(transport_name(m->transport)));
	if (m->encap == ENCAP_HEP)
		json_object_set_new(o, "encap", json_string("hep"));
	if (m->ip_fragmented)
		json_object_set_new(o, "ip_fragmented", json_true());
	bool req = m->start.is_request;
	json_object_set_new(o, "method", req ? sv_json(m->start.method) : json_null());
	json_object_set_new(o, "status", !req && m->start.status ? json_integer(m->start.status) : json_null());
	json_object_set_new(o, "reason", !req && m->start.status ? sv_json(m->start.reason) : json_null());
	const struct sip_cseq *cs = sip_msg_cseq(m);
	json_object_set_new(o, "cseq", cs->valid ? json_integer(cs->num) : json_null());
	json_object_set_new(o, "cseq_method", cs->valid ? sv_json(cs->method) : json_null());
	json_object_set_new(o, "size", json_integer((json_int_t)m->raw_len));
	if (m->nonconformance)
		json_object_set_new(o, "nonconformance", json_string(m->nonconformance));
	if (m->malformed) {
		json_object_set_new(o, "malformed", json_true());
		json_object_set_new(o, "malformed_reason", json_string(m->malformed_reason));
	}
	return o;
}

static json_t *call_json(const struct call *c)
{
	json_t *o = json_object();
	json_object_set_new(o, "call_id", json_string(c->call_id));
	json_object_set_new(o, "input", json_integer(c->input));
	json_t *msgs = json_array();
	for (size_t i = 0; i < c->nmsgs; i++)
		json_array_append_new(msgs, message_json(c->msgs[i]));
	json_object_set_new(o, "messages", msgs);
	return o;
}

static int dump(FILE *out, json_t *j, bool comma)
{
	if (comma)
		fputs(",\n", out);
	int r = json_dumpf(j, out, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
	json_decref(j);
	return r;
}

int report_json(FILE *out, const struct report *r)
{
	int err = 0;
	fprintf(out, "{\"schema\":\"sipaudit.report/1\",\"tool\":{\"name\":\"sipaudit\",\"version\":\"%s\"},\n\"inputs\":[\n",
		SIPAUDIT_VERSION);
	for (size_t i = 0; i < r->ninputs; i++)
		err |= dump(out, input_json(&r->inputs[i]), i > 0);
	fputs("],\n\"calls\":[\n", out);
	for (size_t i = 0; i < r->calls->ncalls; i++)
		err |= dump(out, call_json(r->calls->calls[i]), i > 0);
	fputs("]}\n", out);
	return err ? -1 : 0;
}

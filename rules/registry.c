/* registry.c - every rule sipaudit runs, in report order. One line per rule. */
#include <stdio.h>
#include <string.h>

#include "rule.h"

extern const struct rule rule_malformed, rule_cseq_order, rule_ack_cseq, rule_ack_missing, rule_bye_481,
	rule_no_response, rule_registration_failed, rule_auth_failed, rule_invite_overlap, rule_forked_2xx,
	rule_sdp_nat, rule_codec_mismatch, rule_udp_too_large, rule_call_failed, rule_call_not_ended,
	rule_one_way_rtp, rule_rtp_quality, rule_slow_setup, rule_sip_scan, rule_prack,
	rule_session_timer, rule_dtmf_mismatch, rule_route_set;

const struct rule *const rule_registry[] = {
	&rule_malformed,
	&rule_cseq_order,
	&rule_ack_cseq,
	&rule_ack_missing,
	&rule_bye_481,
	&rule_no_response,
	&rule_registration_failed,
	&rule_auth_failed,
	&rule_invite_overlap,
	&rule_forked_2xx,
	&rule_sdp_nat,
	&rule_codec_mismatch,
	&rule_udp_too_large,
	&rule_call_failed,
	&rule_call_not_ended,
	&rule_one_way_rtp,
	&rule_rtp_quality,
	&rule_slow_setup,
	&rule_sip_scan,
	&rule_prack,
	&rule_session_timer,
	&rule_dtmf_mismatch,
	&rule_route_set,
};
const size_t rule_count = sizeof rule_registry / sizeof *rule_registry;

int rule_index(const char *id)
{
	for (size_t i = 0; i < rule_count; i++)
		if (strcmp(rule_registry[i]->id, id) == 0)
			return (int)i;
	return -1;
}

const struct rule *rule_find(const char *id)
{
	for (size_t i = 0; i < rule_count; i++)
		if (strcmp(rule_registry[i]->id, id) == 0)
			return rule_registry[i];
	return NULL;
}

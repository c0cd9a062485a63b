/* filter.c - which calls and findings the user asked to see (--call-id,
 * --user, --method, --status, --only, --rule). Selection only: what is a
 * fault is the rules' business. */
#include <fnmatch.h>
#include <string.h>
#include <strings.h>

#include "../analyzer/xalloc.h"
#include "options.h"

bool filter_calls_active(const struct filter *f)
{
	return f->ncall_ids || f->nusers || f->nmethods || f->nstatuses || f->kinds;
}

static bool glob_sv(const char *pattern, struct sv v)
{
	char buf[512];
	if (!v.p || v.len >= sizeof buf)
		return false;
	memcpy(buf, v.p, v.len);
	buf[v.len] = 0;
	return fnmatch(pattern, buf, 0) == 0;
}

static bool user_matches(const struct filter *f, const struct call *c)
{
	for (int to = 0; to < 2; to++) {
		const struct sip_nameaddr *na = call_party(c, to);
		if (!na)
			continue;
		for (size_t i = 0; i < f->nusers; i++)
			if (glob_sv(f->users[i], na->user))
				return true;
	}
	return false;
}

static bool method_matches(const struct filter *f, const struct call *c)
{
	for (uint32_t k = 0; k < c->nmsgs; k++) {
		const struct sip_msg *m = c->msgs[k].m;
		if (!m->start.is_request)
			continue;
		for (size_t i = 0; i < f->nmethods; i++)
			if (m->start.method.len == strlen(f->methods[i]) &&
			    strncasecmp(m->start.method.p, f->methods[i], m->start.method.len) == 0)
				return true;
	}
	return false;
}

static bool status_matches(const struct filter *f, const struct call *c)
{
	for (uint32_t k = 0; k < c->nmsgs; k++) {
		const struct sip_msg *m = c->msgs[k].m;
		if (m->start.is_request || !m->start.status)
			continue;
		for (size_t i = 0; i < f->nstatuses; i++)
			if (m->start.status >= f->statuses[i][0] && m->start.status <= f->statuses[i][1])
				return true;
	}
	return false;
}

bool filter_call(const struct filter *f, const struct call *c)
{
	if (f->kinds && !(f->kinds & (1u << c->kind)))
		return false;
	if (f->ncall_ids) {
		bool ok = false;
		for (size_t i = 0; i < f->ncall_ids && !ok; i++)
			ok = fnmatch(f->call_ids[i], c->call_id, 0) == 0;
		if (!ok)
			return false;
	}
	if (f->nusers && !user_matches(f, c))
		return false;
	if (f->nmethods && !method_matches(f, c))
		return false;
	if (f->nstatuses && !status_matches(f, c))
		return false;
	return true;
}

bool filter_finding(const struct filter *f, const struct finding *x)
{
	if (!f->any_rule)
		return true;
	int i = rule_index(x->rule);
	return i >= 0 && f->rules[i];
}

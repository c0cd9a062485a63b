/* view.c - `sipaudit view`: an interactive call browser in the spirit of
 * sngrep, over calls that are already analysed. Three screens: the calls
 * (sortable, filtered as one types), one call's ladder (the layout of
 * ladder.h: messages and RTP streams, findings under it), one message's raw
 * text or one stream's figures, with the findings that cite it. The viewer
 * only reads the callviews; all its state lives in struct view, none in
 * globals.
 *
 * Text is drawn as ASCII (finding texts carry a few UTF-8 signs such as §,
 * mapped to ASCII here) so the screen is right whatever the locale and
 * whether ncurses is the wide or the narrow build. */
#include <curses.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "../analyzer/xalloc.h"
#include "ladder.h"

enum col { COL_NUM, COL_START, COL_FROM, COL_TO, COL_KIND, COL_STATE, COL_CODE, COL_FINDINGS, NCOLS };
static const char *const col_name[NCOLS] = { "#", "Start", "From", "To", "Kind", "State", "Code", "Find" };

/* A line of a scrolling screen: ASCII text, a class per cell (or one for
 * the whole line), and the item it draws (ladder rows: a message or a
 * stream, an index into callview.items), -1 for none. */
struct vline {
	char *text;
	uint8_t *cls; /* NULL: cls0 for every cell */
	uint8_t cls0;
	int len;
	long msg;
};

struct vlines {
	struct vline *v;
	size_t n, cap;
};

/* Findings of one cause (rule, severity, group) over all calls. */
struct vgroup {
	const struct finding *f; /* the first of them */
	size_t n, calls;
};

struct view {
	struct callview **calls;
	size_t ncalls;
	const char *title;
	size_t nfindings, nsev[3];

	/* the calls screen */
	size_t *shown; /* indices into calls: those passing the filter, sorted */
	size_t nshown;
	enum col sort;
	bool desc;
	char filter[64];
	size_t flen;
	bool prompt; /* the filter prompt is open */
	size_t sel, top;

	/* the findings screen, and the cause the calls screen is narrowed to */
	struct vgroup *groups;
	size_t ngroups, gsel, gtop;
	const struct finding *cause;

	bool colour;
	bool gone; /* input failed (the terminal went away): leave every screen */
	view_save_fn save;
	void *save_ud;
};

/* A one-off message shown on the key bar's line until the next key. */
static char note[300];

/* The w key: the call (and its linked legs) to a capture file. */
static void save_call(struct view *V, const struct callview *v)
{
	if (!V->save) {
		snprintf(note, sizeof note, "saving is not available");
		return;
	}
	snprintf(note, sizeof note, "saving call #%llu ...", (unsigned long long)v->number);
	char msg[280];
	V->save(V->save_ud, v->number, msg, sizeof msg);
	snprintf(note, sizeof note, "%s", msg);
}

/* ---- text helpers ---- */

/* Appends an ASCII rendering of UTF-8 s (at most n bytes) to dst: common
 * signs become their ASCII look-alikes, other characters '?', control
 * bytes '.'. */
static size_t ascii_append(char *dst, size_t size, size_t used, const char *s, size_t n)
{
	static const struct {
		const char *u, *a;
	} map[] = {
		{ "\xc2\xa7", "S" },       { "\xe2\x80\x94", "-" },   { "\xe2\x80\x93", "-" },
		{ "\xe2\x86\x92", "->" },  { "\xe2\x80\x98", "'" },   { "\xe2\x80\x99", "'" },
		{ "\xe2\x80\x9c", "\"" },  { "\xe2\x80\x9d", "\"" },  { "\xe2\x80\xa6", "..." },
		{ "\xc2\xa0", " " },       { "\xc3\x97", "x" },       { "\xe2\x89\xa4", "<=" },
		{ "\xe2\x89\xa5", ">=" },
	};
	for (size_t i = 0; i < n && s[i] && used + 1 < size;) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			dst[used++] = c >= 0x20 && c < 0x7f ? (char)c : c == '\t' ? ' ' : '.';
			i++;
			continue;
		}
		const char *rep = "?";
		size_t len = 1;
		for (size_t k = 0; k < sizeof map / sizeof map[0]; k++) {
			size_t ul = strlen(map[k].u);
			if (i + ul <= n && memcmp(s + i, map[k].u, ul) == 0) {
				rep = map[k].a;
				len = ul;
				break;
			}
		}
		if (len == 1) /* skip the continuation bytes of an unknown character */
			while (i + len < n && ((unsigned char)s[i + len] & 0xc0) == 0x80)
				len++;
		for (const char *r = rep; *r && used + 1 < size; r++)
			dst[used++] = *r;
		i += len;
	}
	dst[used] = 0;
	return used;
}

static void ascii(char *dst, size_t size, const char *s)
{
	dst[0] = 0;
	ascii_append(dst, size, 0, s, strlen(s));
}

static void vl_push(struct vlines *L, const char *text, const uint8_t *cls, uint8_t cls0, long msg)
{
	if (L->n == L->cap) {
		L->cap = L->cap ? L->cap * 2 : 64;
		L->v = xrealloc(L->v, L->cap * sizeof *L->v);
	}
	struct vline *l = &L->v[L->n++];
	l->len = (int)strlen(text);
	l->text = xstrdup(text);
	l->cls = NULL;
	if (cls) {
		l->cls = xmalloc((size_t)l->len + 1);
		memcpy(l->cls, cls, (size_t)l->len);
	}
	l->cls0 = cls0;
	l->msg = msg;
}

static void vl_free(struct vlines *L)
{
	for (size_t i = 0; i < L->n; i++) {
		free(L->v[i].text);
		free(L->v[i].cls);
	}
	free(L->v);
	memset(L, 0, sizeof *L);
}

/* Adds text (ASCII) wrapped to width: the first line after prefix, the
 * others indented by cont. */
static void vl_wrapped(struct vlines *L, const char *prefix, uint8_t pcls, int cont, const char *text, uint8_t cls,
		       int width)
{
	char line[1024];
	uint8_t cl[1024];
	size_t plen = strlen(prefix);
	if (plen > 200)
		plen = 200;
	memcpy(line, prefix, plen);
	memset(cl, pcls, plen);
	size_t used = plen;
	size_t avail = width > (int)used + 10 ? (size_t)width - used : 10;
	if (avail > sizeof line - 1 - 200)
		avail = sizeof line - 1 - 200; /* a line never outgrows the buffer */
	do {
		size_t n = ladder_wrap(text, avail);
		size_t k = n;
		while (k && text[k - 1] == ' ')
			k--;
		memcpy(line + used, text, k);
		memset(cl + used, cls, k);
		line[used + k] = 0;
		vl_push(L, line, cl, cls, -1);
		text += n;
		used = (size_t)(cont < 200 ? cont : 200);
		memset(line, ' ', used);
		memset(cl, cls, used);
		avail = width > (int)used + 10 ? (size_t)width - used : 10;
		if (avail > sizeof line - 1 - 200)
			avail = sizeof line - 1 - 200;
	} while (*text);
}

/* The worst severity of v's findings, -1 when none. */
static int worst(const struct callview *v)
{
	int w = -1;
	for (size_t i = 0; i < v->nfindings; i++)
		if ((int)v->findings[i]->severity > w)
			w = (int)v->findings[i]->severity;
	return w;
}

static const char *skip_scheme(const char *uri)
{
	if (strncasecmp(uri, "sip:", 4) == 0)
		return uri + 4;
	if (strncasecmp(uri, "sips:", 5) == 0)
		return uri + 5;
	return uri;
}

static uint8_t status_class(int status)
{
	return status >= 400 ? LC_FAIL : status >= 300 ? LC_3XX : status >= 200 ? LC_2XX : status >= 100 ? LC_1XX
													  : LC_PLAIN;
}

/* ---- drawing ---- */

static attr_t attr_of(const struct view *V, uint8_t cls)
{
	attr_t a = A_NORMAL;
	unsigned c = cls & LC_MASK;
	if (V->colour && c && c <= LC_MEDIA)
		a |= COLOR_PAIR((short)c);
	else if (!V->colour && (c == LC_ERROR || c == LC_FAIL))
		a |= A_BOLD; /* without colour, failures still stand out */
	if (cls & LC_DIM)
		a |= A_DIM;
	if (cls & LC_BOLD)
		a |= A_BOLD;
	return a;
}

/* Text at (y, x), clipped to the screen; returns the column after it. */
static int put(int y, int x, const char *s, attr_t a)
{
	int max = COLS - x;
	if (y < 0 || y >= LINES || max <= 0)
		return x;
	int n = (int)strlen(s);
	if (n > max)
		n = max;
	attron(a);
	mvaddnstr(y, x, s, n);
	attroff(a);
	return x + n;
}

static void fill_line(int y, attr_t a)
{
	attron(a);
	mvhline(y, 0, ' ', COLS);
	attroff(a);
}

/* A line of a scrolling screen at row y, from column xoff of the text. */
static void draw_vline(const struct view *V, int y, const struct vline *l, int xoff, attr_t extra)
{
	if (extra)
		fill_line(y, extra);
	for (int x = xoff; x < l->len && x - xoff < COLS; x++)
		mvaddch(y, x - xoff, (chtype)(unsigned char)l->text[x] | attr_of(V, l->cls ? l->cls[x] : l->cls0) | extra);
}

/* The key bar at the bottom: pairs of key and what it does. */
static void key_bar(const char *const *keys)
{
	int y = LINES - 1;
	fill_line(y, A_REVERSE);
	int x = 0;
	if (note[0]) {
		char b[sizeof note];
		ascii(b, sizeof b, note);
		put(y, 0, b, A_REVERSE | A_BOLD);
		note[0] = 0;
		return;
	}
	for (size_t i = 0; keys[i] && keys[i + 1]; i += 2) {
		x = put(y, x, keys[i], A_REVERSE | A_BOLD);
		x = put(y, x, " ", A_REVERSE);
		x = put(y, x, keys[i + 1], A_REVERSE);
		x = put(y, x, "  ", A_REVERSE);
	}
}

static void title_bar(const char *text)
{
	char b[512];
	ascii(b, sizeof b, text);
	fill_line(0, A_REVERSE | A_BOLD);
	put(0, 0, b, A_REVERSE | A_BOLD);
}

/* The next key. Blocking input fails only when the terminal is gone (or
 * a signal interrupted it: then it is read again). */
static int read_key(struct view *V)
{
	for (;;) {
		errno = 0;
		int ch = getch();
		if (ch != ERR)
			return ch;
		if (errno != EINTR) {
			V->gone = true;
			return ch;
		}
	}
}

/* ---- the findings screen: one line per cause, as the text report groups ---- */

static int cmp_cause(const struct finding *x, const struct finding *y)
{
	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	int c = strcmp(x->rule, y->rule);
	return c ? c : strcmp(x->group ? x->group : "", y->group ? y->group : "");
}

struct gm {
	const struct finding *f;
	size_t call;
};

static int cmp_gm(const void *a, const void *b)
{
	const struct gm *x = a, *y = b;
	int c = cmp_cause(x->f, y->f);
	if (c)
		return c;
	return x->call < y->call ? -1 : x->call > y->call;
}

/* Most severe first, then the largest. */
static int cmp_vgroup(const void *a, const void *b)
{
	const struct vgroup *x = a, *y = b;
	if (x->f->severity != y->f->severity)
		return x->f->severity > y->f->severity ? -1 : 1;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return cmp_cause(x->f, y->f);
}

static void groups_build(struct view *V)
{
	struct gm *m = xmalloc((V->nfindings ? V->nfindings : 1) * sizeof *m);
	size_t n = 0;
	for (size_t i = 0; i < V->ncalls; i++)
		for (size_t k = 0; k < V->calls[i]->nfindings; k++)
			m[n++] = (struct gm){ V->calls[i]->findings[k], i };
	qsort(m, n, sizeof *m, cmp_gm);
	V->groups = xmalloc((n ? n : 1) * sizeof *V->groups);
	V->ngroups = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && !cmp_cause(m[i - 1].f, m[i].f)) {
			struct vgroup *g = &V->groups[V->ngroups - 1];
			g->n++;
			if (m[i - 1].call != m[i].call)
				g->calls++;
			continue;
		}
		V->groups[V->ngroups++] = (struct vgroup){ m[i].f, 1, 1 };
	}
	qsort(V->groups, V->ngroups, sizeof *V->groups, cmp_vgroup);
	free(m);
}

static void groups_draw(struct view *V)
{
	erase();
	char t[512];
	snprintf(t, sizeof t, " sipaudit: findings by cause: %zu finding%s in %zu group%s", V->nfindings,
		 V->nfindings == 1 ? "" : "s", V->ngroups, V->ngroups == 1 ? "" : "s");
	title_bar(t);
	attron(A_BOLD | A_UNDERLINE);
	mvhline(1, 0, ' ', COLS);
	attroff(A_BOLD | A_UNDERLINE);
	put(1, 0, "Sev      Count  Calls  Rule and cause", A_BOLD | A_UNDERLINE);
	int top = 2, height = LINES - 3;
	if (height < 1)
		height = 1;
	if (!V->ngroups)
		put(top + height / 2, COLS > 11 ? (COLS - 11) / 2 : 0, "no findings", A_BOLD);
	if (V->gsel >= V->ngroups)
		V->gsel = V->ngroups ? V->ngroups - 1 : 0;
	if (V->gsel < V->gtop)
		V->gtop = V->gsel;
	if (V->gsel >= V->gtop + (size_t)height)
		V->gtop = V->gsel - (size_t)height + 1;
	for (int r = 0; r < height && V->gtop + (size_t)r < V->ngroups; r++) {
		size_t idx = V->gtop + (size_t)r;
		const struct vgroup *g = &V->groups[idx];
		attr_t sel = idx == V->gsel ? A_REVERSE : A_NORMAL;
		if (sel)
			fill_line(top + r, sel);
		char b[64], cause[600], line[700];
		int x = put(top + r, 0, severity_name(g->f->severity),
			    sel | attr_of(V, (uint8_t)(ladder_severity_class(g->f->severity) | LC_BOLD)));
		while (x < 9)
			x = put(top + r, x, " ", sel);
		snprintf(b, sizeof b, "%5zu  %5zu  ", g->n, g->calls);
		x = put(top + r, x, b, sel);
		ascii(cause, sizeof cause, g->f->group ? g->f->group : "-");
		snprintf(line, sizeof line, "%s %s", g->f->rule, cause);
		put(top + r, x, line, sel);
	}
	static const char *const keys[] = { "Enter", "Its calls", "q", "Back", NULL, NULL };
	key_bar(keys);
	refresh();
}

/* Returns the group chosen (Enter), NULL when left without one. */
static const struct finding *groups_loop(struct view *V)
{
	for (;;) {
		groups_draw(V);
		int ch = read_key(V);
		if (V->gone)
			return NULL;
		size_t page = LINES > 4 ? (size_t)(LINES - 3) : 1;
		switch (ch) {
		case 'q':
		case 'f':
		case 27:
			return NULL;
		case KEY_UP:
		case 'k':
			if (V->gsel)
				V->gsel--;
			break;
		case KEY_DOWN:
		case 'j':
			if (V->gsel + 1 < V->ngroups)
				V->gsel++;
			break;
		case KEY_PPAGE:
			V->gsel = V->gsel > page ? V->gsel - page : 0;
			break;
		case KEY_NPAGE:
		case ' ':
			V->gsel = V->gsel + page < V->ngroups ? V->gsel + page : (V->ngroups ? V->ngroups - 1 : 0);
			break;
		case KEY_HOME:
		case 'g':
			V->gsel = 0;
			break;
		case KEY_END:
		case 'G':
			V->gsel = V->ngroups ? V->ngroups - 1 : 0;
			break;
		case '\n':
		case '\r':
		case KEY_ENTER:
			if (V->ngroups)
				return V->groups[V->gsel].f;
			break;
		default:
			break;
		}
	}
}

/* Does call v have a finding of the cause of f? */
static bool call_has_cause(const struct callview *v, const struct finding *f)
{
	for (size_t k = 0; k < v->nfindings; k++)
		if (!cmp_cause(v->findings[k], f))
			return true;
	return false;
}

/* ---- the calls screen ---- */

static void call_code(char *buf, size_t size, const struct callview *v)
{
	if (v->final_status)
		snprintf(buf, size, "%d", v->final_status);
	else
		snprintf(buf, size, "-");
}

static bool call_matches(const struct callview *v, const char *f)
{
	if (!*f)
		return true;
	char code[16];
	call_code(code, sizeof code, v);
	return strcasestr(v->call_id, f) || strcasestr(v->from, f) || strcasestr(v->to, f) ||
	       strcasestr(call_kind_name(v->kind), f) || strcasestr(call_state_name(v->state), f) ||
	       strcasestr(code, f);
}

static int cmp_calls(const void *pa, const void *pb, void *ud)
{
	const struct view *V = ud;
	const struct callview *a = V->calls[*(const size_t *)pa], *b = V->calls[*(const size_t *)pb];
	int c = 0;
	switch (V->sort) {
	case COL_NUM:
		break;
	case COL_START:
		c = (a->start_ns > b->start_ns) - (a->start_ns < b->start_ns);
		break;
	case COL_FROM:
		c = strcasecmp(skip_scheme(a->from), skip_scheme(b->from));
		break;
	case COL_TO:
		c = strcasecmp(skip_scheme(a->to), skip_scheme(b->to));
		break;
	case COL_KIND:
		c = strcmp(call_kind_name(a->kind), call_kind_name(b->kind));
		break;
	case COL_STATE:
		c = strcmp(call_state_name(a->state), call_state_name(b->state));
		break;
	case COL_CODE:
		c = (a->final_status > b->final_status) - (a->final_status < b->final_status);
		break;
	case COL_FINDINGS:
		c = worst(a) - worst(b);
		if (!c)
			c = (a->nfindings > b->nfindings) - (a->nfindings < b->nfindings);
		break;
	default:
		break;
	}
	if (!c) /* ties keep the calls table's order, so the order is total */
		c = (a->number > b->number) - (a->number < b->number);
	return V->desc ? -c : c;
}

/* Recomputes the shown calls (filter, then sort), keeping the selected
 * call selected when it is still shown. */
static void list_update(struct view *V)
{
	size_t keep = V->nshown && V->sel < V->nshown ? V->shown[V->sel] : (size_t)-1;
	V->nshown = 0;
	for (size_t i = 0; i < V->ncalls; i++)
		if (call_matches(V->calls[i], V->filter) && (!V->cause || call_has_cause(V->calls[i], V->cause)))
			V->shown[V->nshown++] = i;
	if (V->nshown)
		qsort_r(V->shown, V->nshown, sizeof *V->shown, cmp_calls, V);
	V->sel = 0;
	for (size_t i = 0; i < V->nshown; i++)
		if (V->shown[i] == keep)
			V->sel = i;
}

struct list_cols {
	int w[NCOLS];
	int x[NCOLS];
};

static void list_layout(struct list_cols *c, const struct view *V)
{
	int nw = 2;
	for (size_t i = 0; i < V->ncalls; i++) {
		char b[32];
		int n = snprintf(b, sizeof b, "%llu", (unsigned long long)V->calls[i]->number);
		if (n > nw)
			nw = n;
	}
	c->w[COL_NUM] = nw;
	c->w[COL_START] = COLS >= 100 ? 12 : 8;
	c->w[COL_KIND] = 12;
	c->w[COL_STATE] = 12;
	c->w[COL_CODE] = 4;
	c->w[COL_FINDINGS] = 4;
	int fixed = 0;
	for (int i = 0; i < NCOLS; i++)
		if (i != COL_FROM && i != COL_TO)
			fixed += c->w[i] + 1;
	int rest = COLS - fixed - 2;
	c->w[COL_FROM] = rest / 2 > 6 ? rest / 2 : 6;
	c->w[COL_TO] = rest - c->w[COL_FROM] > 6 ? rest - c->w[COL_FROM] : 6;
	int x = 0;
	for (int i = 0; i < NCOLS; i++) {
		c->x[i] = x;
		x += c->w[i] + 1;
	}
}

/* Writes s into a cell w wide at x, cut with '~' when longer. */
static void put_cell(int y, int x, int w, const char *s, attr_t a, bool right)
{
	char b[256], cut[256];
	ascii(b, sizeof b, s);
	int n = (int)strlen(b);
	if (w <= 0)
		return;
	if (w > (int)sizeof cut - 1)
		w = (int)sizeof cut - 1;
	if (n > w) {
		snprintf(cut, sizeof cut, "%.*s~", w - 1, b);
		put(y, x, cut, a);
		return;
	}
	put(y, right ? x + w - n : x, b, a);
}

static void list_draw(struct view *V)
{
	erase();
	/* the counts always show; a long file name gives way: its directory
	 * first, then its start */
	char t[512], counts[200], name[256], sev[64] = "";
	for (int k = SEV_ERROR; k >= SEV_INFO; k--)
		if (V->nsev[k])
			snprintf(sev + strlen(sev), sizeof sev - strlen(sev), "%s%zu%c", sev[0] ? " " : " (",
				 V->nsev[k], "IWE"[k]);
	/* the sort column is marked in the column header, not here */
	snprintf(counts, sizeof counts, "%zu call%s, %zu shown, %zu finding%s%s%s ", V->ncalls,
		 V->ncalls == 1 ? "" : "s", V->nshown, V->nfindings, V->nfindings == 1 ? "" : "s", sev,
		 sev[0] ? ")" : "");
	ascii(name, sizeof name, V->title);
	int room = COLS - (int)strlen(counts) - 12;
	const char *shown = name;
	if ((int)strlen(shown) > room && strrchr(name, '/'))
		shown = strrchr(name, '/') + 1;
	int nlen = (int)strlen(shown);
	if (room < 8)
		room = 8;
	if (nlen > room)
		snprintf(t, sizeof t, " sipaudit: ~%s", shown + nlen - room + 1);
	else
		snprintf(t, sizeof t, " sipaudit: %s", shown);
	title_bar(t);
	put(0, COLS > (int)strlen(counts) ? COLS - (int)strlen(counts) : 0, counts, A_REVERSE | A_BOLD);

	struct list_cols c;
	list_layout(&c, V);
	attron(A_BOLD | A_UNDERLINE);
	mvhline(1, 0, ' ', COLS);
	attroff(A_BOLD | A_UNDERLINE);
	for (int i = 0; i < NCOLS; i++) {
		char h[32];
		snprintf(h, sizeof h, "%s%s", col_name[i], (int)V->sort == i ? (V->desc ? "v" : "^") : "");
		put_cell(1, c.x[i], c.w[i], h, A_BOLD | A_UNDERLINE, i == COL_NUM || i == COL_CODE);
	}

	int top = 2, height = LINES - 4;
	if (height < 1)
		height = 1;
	if (!V->ncalls)
		put(top + height / 2, COLS > 8 ? (COLS - 8) / 2 : 0, "no calls", A_BOLD);
	else if (!V->nshown)
		put(top + height / 2, COLS > 26 ? (COLS - 26) / 2 : 0, "no calls match the filter", A_BOLD);
	if (V->sel >= V->nshown)
		V->sel = V->nshown ? V->nshown - 1 : 0;
	if (V->sel < V->top)
		V->top = V->sel;
	if (V->sel >= V->top + (size_t)height)
		V->top = V->sel - (size_t)height + 1;
	if (V->top + (size_t)height > V->nshown)
		V->top = V->nshown > (size_t)height ? V->nshown - (size_t)height : 0;
	for (int r = 0; r < height && V->top + (size_t)r < V->nshown; r++) {
		size_t idx = V->top + (size_t)r;
		const struct callview *v = V->calls[V->shown[idx]];
		int y = top + r;
		attr_t sel = idx == V->sel ? A_REVERSE : A_NORMAL;
		if (sel)
			fill_line(y, sel);
		char b[64];
		snprintf(b, sizeof b, "%llu", (unsigned long long)v->number);
		put_cell(y, c.x[COL_NUM], c.w[COL_NUM], b, sel, true);
		time_t ts = (time_t)(v->start_ns / 1000000000LL);
		struct tm tm;
		if (v->start_ns >= 0 && gmtime_r(&ts, &tm)) {
			if (c.w[COL_START] >= 12)
				snprintf(b, sizeof b, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
					 (int)(v->start_ns % 1000000000LL / 1000000));
			else
				snprintf(b, sizeof b, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
		} else {
			snprintf(b, sizeof b, "?");
		}
		put_cell(y, c.x[COL_START], c.w[COL_START], b, sel, false);
		put_cell(y, c.x[COL_FROM], c.w[COL_FROM], v->from[0] ? skip_scheme(v->from) : "?", sel, false);
		put_cell(y, c.x[COL_TO], c.w[COL_TO], v->to[0] ? skip_scheme(v->to) : "?", sel, false);
		put_cell(y, c.x[COL_KIND], c.w[COL_KIND], call_kind_name(v->kind), sel, false);
		put_cell(y, c.x[COL_STATE], c.w[COL_STATE], call_state_name(v->state), sel, false);
		call_code(b, sizeof b, v);
		put_cell(y, c.x[COL_CODE], c.w[COL_CODE], b, sel | attr_of(V, status_class(v->final_status)), true);
		int w = worst(v);
		if (w >= 0) {
			snprintf(b, sizeof b, "%zu%c", v->nfindings, "IWE"[w]);
			put_cell(y, c.x[COL_FINDINGS], c.w[COL_FINDINGS], b,
				 sel | attr_of(V, (uint8_t)(ladder_severity_class((enum severity)w) | LC_BOLD)), true);
		}
	}

	if (V->prompt || V->flen) {
		char f[128];
		ascii(f, sizeof f, V->filter);
		snprintf(t, sizeof t, "Filter: %s%s", f, V->prompt ? "_" : "   (/ edit, Esc clear)");
		put(LINES - 2, 0, t, V->prompt ? A_BOLD : A_NORMAL);
	} else if (V->cause) {
		char g[300];
		ascii(g, sizeof g, V->cause->group ? V->cause->group : "-");
		snprintf(t, sizeof t, "Cause: %s %s %s   (f change, Esc clear)", severity_name(V->cause->severity),
			 V->cause->rule, g);
		put(LINES - 2, 0, t, A_NORMAL);
	}
	static const char *const keys[] = { "Enter", "Ladder", "/", "Filter", "s", "Sort", "r", "Reverse",
					    "f", "Findings", "w", "Save pcap", "q", "Quit", NULL, NULL };
	static const char *const pkeys[] = { "Enter", "Keep filter", "Esc", "Clear filter", "Up/Down", "Select",
					     NULL, NULL };
	key_bar(V->prompt ? pkeys : keys);
	refresh();
}

/* ---- the raw message screen ---- */

static void raw_lines(struct vlines *L, const struct cv_msg *m, int width)
{
	if (width < 10)
		width = 10;
	if (!m->raw) {
		vl_push(L, "(the message bytes were not kept)", NULL, LC_DIM, -1);
		return;
	}
	char *line = xmalloc((size_t)width + 1);
	int n = 0;
	bool wrapped = false; /* the line just filled the width: its newline adds no empty line */
	for (size_t i = 0; i < m->raw_len; i++) {
		unsigned char c = (unsigned char)m->raw[i];
		if (c == '\r' && i + 1 < m->raw_len && m->raw[i + 1] == '\n')
			continue;
		if (c == '\n') {
			line[n] = 0;
			if (n || !wrapped)
				vl_push(L, line, NULL, LC_PLAIN, -1);
			n = 0;
			wrapped = false;
			continue;
		}
		int stop = c == '\t' ? (n / 8 + 1) * 8 : n + 1; /* tabs to the next stop */
		while (n < stop) {
			line[n++] = c == '\t' ? ' ' : c >= 0x20 && c < 0x7f ? (char)c : '.';
			wrapped = false;
			if (n == width) {
				line[n] = 0;
				vl_push(L, line, NULL, LC_PLAIN, -1);
				n = 0;
				stop -= width;
				wrapped = true;
			}
		}
	}
	if (n) {
		line[n] = 0;
		vl_push(L, line, NULL, LC_PLAIN, -1);
	}
	free(line);
}

/* The findings citing item i (a message or a stream), one or two lines each. */
static void cited_lines(struct vlines *L, const struct callview *v, size_t i, int width)
{
	for (size_t k = 0; k < v->nfindings; k++) {
		const struct finding *f = v->findings[k];
		bool key;
		if (!callview_item_cites(v, i, f, &key))
			continue;
		char head[128], sum[1024];
		snprintf(head, sizeof head, "[%zu]%s %s[%s] ", k + 1, key ? "!" : "", severity_name(f->severity),
			 f->rule);
		ascii(sum, sizeof sum, f->summary ? f->summary : "");
		vl_wrapped(L, head, (uint8_t)(ladder_severity_class(f->severity) | LC_BOLD), 4, sum, LC_PLAIN, width);
	}
}

/* The time offset, transport and addresses of item i (a stream: where
 * its packets went). */
static void msg_summary(char *buf, size_t size, const struct callview *v, size_t i, const struct ladder_layout *L)
{
	char off[32];
	ladder_offset(off, sizeof off, L, callview_item_ns(v, i));
	const struct cv_item *it = &v->items[i];
	if (it->kind == CV_STREAM) {
		const struct cv_stream *st = &v->streams[it->i];
		snprintf(buf, size, "%s  RTP %s -> %s", off, st->src_name, st->dst_name);
		return;
	}
	const struct cv_msg *m = &v->msgs[it->i];
	snprintf(buf, size, "%s  %s %s -> %s", off, transport_name(m->transport), m->src < v->nhosts ? v->hosts[m->src].name : "?",
		 m->dst < v->nhosts ? v->hosts[m->dst].name : "?");
}

/* One "Name         value" line of a stream's figures, wrapped. */
static void fig(struct vlines *L, const char *name, int width, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fig(struct vlines *L, const char *name, int width, const char *fmt, ...)
{
	char value[512], prefix[32];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(value, sizeof value, fmt, ap);
	va_end(ap);
	snprintf(prefix, sizeof prefix, "%-14s", name);
	vl_wrapped(L, prefix, LC_BOLD, 14, value, LC_PLAIN, width);
}

/* The figures of stream j, where the raw text of a message goes. */
static void stream_lines(struct vlines *L, const struct callview *v, size_t j, const struct ladder_layout *lay,
			 int width)
{
	const struct cv_stream *st = &v->streams[j];
	const struct media_stream *s = &st->s;
	char a[64], b[64], t[40];
	fig(L, "RTP stream", width, "%s -> %s%s", st->src_name, st->dst_name,
	    s->from_caller == 1 ? " (caller -> callee)" : s->from_caller == 0 ? " (callee -> caller)" : "");
	fig(L, "SSRC", width, "0x%08x", s->ssrc);
	fig(L, "Codec", width, "%s, payload type %u%s%s", s->codec[0] ? s->codec : "unknown", s->pt,
	    s->media[0] ? ", " : "", s->media);
	ladder_offset(a, sizeof a, lay, s->start_ns);
	ladder_offset(b, sizeof b, lay, s->end_ns);
	ladder_duration(t, sizeof t, s->end_ns - s->start_ns);
	fig(L, "Time", width, "%s .. %s (%s)", a, b, t);
	ladder_time(a, sizeof a, s->start_ns);
	ladder_time(b, sizeof b, s->end_ns);
	fig(L, "", width, "%s .. %s", a, b);
	fig(L, "Frames", width, "%llu .. %llu", (unsigned long long)s->first_frame,
	    (unsigned long long)s->last_frame);
	fig(L, "Packets", width, "%llu (%llu payload bytes), %llu with another payload type",
	    (unsigned long long)s->packets, (unsigned long long)s->bytes,
	    (unsigned long long)s->other_pt_packets);
	fig(L, "Expected", width, "%llu", (unsigned long long)s->expected);
	fig(L, "Lost", width, "%llu (%.2f %%)", (unsigned long long)s->lost,
	    s->expected ? 100.0 * (double)s->lost / (double)s->expected : 0.0);
	fig(L, "Duplicates", width, "%llu", (unsigned long long)s->duplicates);
	fig(L, "Out of order", width, "%llu", (unsigned long long)s->out_of_order);
	fig(L, "Seq restarts", width, "%u", s->seq_restarts);
	fig(L, "Answered", width, "%llu packets after the answer", (unsigned long long)s->answered_packets);
	if (s->jitter_mean_ms >= 0)
		fig(L, "Jitter", width, "mean %.2f ms, max %.2f ms", s->jitter_mean_ms, s->jitter_max_ms);
	else
		fig(L, "Jitter", width, "unknown (clock rate not known)");
	if (s->max_delta_frame)
		fig(L, "Max delta", width, "%.1f ms (frame %llu)", s->max_delta_ms,
		    (unsigned long long)s->max_delta_frame);
	else
		fig(L, "Max delta", width, "%.1f ms", s->max_delta_ms);
	if (s->mos >= 0)
		fig(L, "MOS", width, "%.2f (R %.1f, burst ratio %.2f)", s->mos, s->r_factor, s->burst_ratio);
	else
		fig(L, "MOS", width, "not estimated");
	if (st->sdp_frame)
		fig(L, "Tied by", width, "%s, SDP of frame %llu (m-line %d)", media_match_name(s->match),
		    (unsigned long long)st->sdp_frame, s->mline);
	else
		fig(L, "Tied by", width, "%s", media_match_name(s->match));
	if (s->src_differs) {
		endpoint_format(&s->sdp_src, a, sizeof a);
		fig(L, "Sender SDP", width, "%s (the packets come from elsewhere)", a);
	}
	if (s->dst_differs) {
		endpoint_format(&s->sdp_dst, a, sizeof a);
		fig(L, "Receiver SDP", width, "%s (the packets go elsewhere)", a);
	}
	if (s->sdp_dst_private)
		fig(L, "", width, "sent to a private address announced by SDP");
	if (!s->has_rtcp) {
		fig(L, "RTCP", width, "none");
		return;
	}
	const struct media_rtcp *r = &s->rtcp;
	fig(L, "RTCP SR", width, "%u sender reports (latest: %u packets, %u octets)", r->sr, r->sender_packets,
	    r->sender_octets);
	fig(L, "RTCP RR", width, "%u report blocks, fraction lost max %.1f %%, cumulative lost %d", r->rr,
	    r->fraction_lost_max, r->cum_lost);
	if (r->jitter_max_ms >= 0)
		fig(L, "RTCP jitter", width, "max %.2f ms", r->jitter_max_ms);
	else
		fig(L, "RTCP jitter", width, "unknown (clock rate not known)");
}

/* Until the user goes back; n/p move *pi to the next/previous item (a
 * message: its raw text; a stream: its figures). */
static void raw_screen(struct view *V, const struct callview *v, size_t *pi, const struct ladder_layout *lay)
{
	struct vlines cite = { 0 }, raw = { 0 };
	size_t top = 0;
	int built_cols = -1, built_lines = -1;
	size_t built_for = (size_t)-1;
	for (;;) {
		size_t i = *pi;
		if (built_cols != COLS || built_lines != LINES || built_for != i) {
			vl_free(&cite);
			vl_free(&raw);
			cited_lines(&cite, v, i, COLS);
			if (v->items[i].kind == CV_STREAM)
				stream_lines(&raw, v, v->items[i].i, lay, COLS);
			else
				raw_lines(&raw, &v->msgs[v->items[i].i], COLS);
			if (built_for != i)
				top = 0;
			built_cols = COLS;
			built_lines = LINES;
			built_for = i;
		}
		erase();
		char t[512];
		char s[400];
		msg_summary(s, sizeof s, v, i, lay);
		char when[40], label[64];
		ladder_time(when, sizeof when, callview_item_ns(v, i));
		if (v->items[i].kind == CV_STREAM)
			snprintf(label, sizeof label, "RTP %s", v->streams[v->items[i].i].s.codec[0]
								? v->streams[v->items[i].i].s.codec : "stream");
		else
			snprintf(label, sizeof label, "%s", v->msgs[v->items[i].i].label);
		snprintf(t, sizeof t, " Call #%llu  %s  frame %llu  %s  %s", (unsigned long long)v->number, label,
			 (unsigned long long)callview_item_frame(v, i), s, when);
		title_bar(t);
		/* the findings first, at most half the screen */
		int y = 1;
		int maxc = (LINES - 4) / 2;
		if (!cite.n)
			put(y++, 0, v->items[i].kind == CV_STREAM ? "no finding cites this stream"
								   : "no finding cites this message", A_DIM);
		for (size_t k = 0; k < cite.n && y - 1 < maxc; k++)
			draw_vline(V, y++, &cite.v[k], 0, A_NORMAL);
		attron(A_DIM);
		mvhline(y++, 0, '-', COLS); /* not ACS_HLINE: it is 'q' where the charset is missing */
		attroff(A_DIM);
		int height = LINES - 1 - y;
		if (height < 1)
			height = 1;
		size_t maxtop = raw.n > (size_t)height ? raw.n - (size_t)height : 0;
		if (top > maxtop)
			top = maxtop;
		for (int r = 0; r < height && top + (size_t)r < raw.n; r++)
			draw_vline(V, y + r, &raw.v[top + (size_t)r], 0, A_NORMAL);
		static const char *const keys[] = { "Up/Down", "Scroll", "n/p", "Next/Prev", "q", "Back",
						    NULL, NULL };
		key_bar(keys);
		refresh();

		int ch = read_key(V);
		switch (V->gone ? 'q' : ch) {
		case 'q':
		case 27:
		case KEY_LEFT:
		case KEY_BACKSPACE:
			vl_free(&cite);
			vl_free(&raw);
			return;
		case KEY_UP:
		case 'k':
			if (top)
				top--;
			break;
		case KEY_DOWN:
		case 'j':
			if (top < maxtop)
				top++;
			break;
		case KEY_PPAGE:
			top = top > (size_t)height ? top - (size_t)height : 0;
			break;
		case KEY_NPAGE:
		case ' ':
			top = top + (size_t)height < maxtop ? top + (size_t)height : maxtop;
			break;
		case KEY_HOME:
		case 'g':
			top = 0;
			break;
		case KEY_END:
		case 'G':
			top = maxtop;
			break;
		case 'n':
			if (i + 1 < v->nitems)
				(*pi)++;
			break;
		case 'p':
			if (i)
				(*pi)--;
			break;
		default: /* KEY_RESIZE and the rest: redraw */
			break;
		}
	}
}

/* ---- the ladder screen ---- */

struct ladder_screen {
	struct ladder_layout lay;
	struct vlines body;   /* item rows (messages, streams), then the findings */
	size_t *first;        /* first body line of each item, and one past the last */
	struct ladder_row head[2];
};

static void ladder_build(struct ladder_screen *S, const struct callview *v)
{
	int width = COLS;
	ladder_layout_init(&S->lay, v, width);
	ladder_rows_new(&S->lay, S->head, 2);
	ladder_row_names(&S->lay, &S->head[0]);
	ladder_row_lines(&S->lay, &S->head[1]);
	S->first = xcalloc(v->nitems + 1, sizeof *S->first);
	struct ladder_row rows[LADDER_MSG_ROWS];
	ladder_rows_new(&S->lay, rows, LADDER_MSG_ROWS);
	for (size_t i = 0; i < v->nitems; i++) {
		S->first[i] = S->body.n;
		int n = ladder_rows_item(&S->lay, v, i, rows);
		for (int k = 0; k < n; k++)
			vl_push(&S->body, rows[k].text, rows[k].cls, LC_PLAIN, (long)i);
	}
	S->first[v->nitems] = S->body.n; /* so item i ends before first[i + 1] */
	ladder_row_lines(&S->lay, &rows[0]);
	vl_push(&S->body, rows[0].text, rows[0].cls, LC_PLAIN, -1);
	ladder_rows_free(rows, LADDER_MSG_ROWS);

	vl_push(&S->body, "", NULL, LC_PLAIN, -1);
	if (!v->nfindings)
		vl_push(&S->body, "no findings", NULL, LC_DIM, -1);
	for (size_t k = 0; k < v->nfindings; k++) {
		const struct finding *f = v->findings[k];
		char head[160], text[4096];
		snprintf(head, sizeof head, "[%zu] %s[%s] frame %llu: ", k + 1, severity_name(f->severity), f->rule,
			 (unsigned long long)f->frame);
		ascii(text, sizeof text, f->summary ? f->summary : "");
		vl_wrapped(&S->body, head, (uint8_t)(ladder_severity_class(f->severity) | LC_BOLD), 4, text, LC_PLAIN,
			   width);
		size_t same = k;
		for (size_t j = 0; j < k && same == k; j++)
			if (!cmp_cause(v->findings[j], f))
				same = j;
		if (same < k) { /* as the text report: why and hint once per cause */
			snprintf(text, sizeof text, "    same rule and cause as [%zu]: why and hint there", same + 1);
			vl_push(&S->body, text, NULL, LC_DIM, -1);
			continue;
		}
		if (f->explanation) {
			ascii(text, sizeof text, f->explanation);
			vl_wrapped(&S->body, "    why: ", LC_BOLD, 6, text, LC_PLAIN, width);
		}
		if (f->hint) {
			ascii(text, sizeof text, f->hint);
			vl_wrapped(&S->body, "    hint: ", LC_BOLD, 6, text, LC_PLAIN, width);
		}
	}
}

static void ladder_unbuild(struct ladder_screen *S)
{
	ladder_rows_free(S->head, 2);
	ladder_layout_free(&S->lay);
	vl_free(&S->body);
	free(S->first);
	S->first = NULL;
}

/* Last body line of item i. */
static size_t msg_last(const struct ladder_screen *S, size_t i)
{
	return S->first[i + 1] - 1;
}

static void ladder_screen(struct view *V, const struct callview *v)
{
	struct ladder_screen S = { 0 };
	int built_cols = -1;
	size_t sel = 0, top = 0;
	int xoff = 0;
	bool follow = true; /* scroll to the selected item (not after a free scroll) */
	for (;;) {
		if (built_cols != COLS) {
			if (built_cols >= 0)
				ladder_unbuild(&S);
			memset(&S, 0, sizeof S);
			ladder_build(&S, v);
			built_cols = COLS;
		}
		erase();
		char t[512], line[512];
		char streams[40] = "";
		if (v->nstreams)
			snprintf(streams, sizeof streams, ", %zu RTP stream%s", v->nstreams,
				 v->nstreams == 1 ? "" : "s");
		snprintf(t, sizeof t, " Call #%llu (%zu message%s%s)  Call-ID: %s", (unsigned long long)v->number,
			 v->nmsgs, v->nmsgs == 1 ? "" : "s", streams, v->call_id);
		title_bar(t);
		snprintf(line, sizeof line, "%s -> %s", v->from[0] ? v->from : "?", v->to[0] ? v->to : "?");
		ascii(t, sizeof t, line);
		put(1, 0, t, A_NORMAL);
		char start[40], dur[40], fin[64] = "no final response";
		ladder_time(start, sizeof start, v->start_ns);
		ladder_duration(dur, sizeof dur, v->duration_ns);
		if (v->final_status)
			snprintf(fin, sizeof fin, "final %d", v->final_status);
		snprintf(line, sizeof line, "%s, %s, %s; start %s, duration %s%s%s", call_kind_name(v->kind),
			 call_state_name(v->state), fin, start, dur, v->legs[0] ? "; leg of " : "", v->legs);
		put(2, 0, line, A_NORMAL);

		int maxx = S.lay.width > COLS ? S.lay.width - COLS : 0;
		if (xoff > maxx)
			xoff = maxx;
		struct vline h;
		for (int k = 0; k < 2; k++) {
			h.text = S.head[k].text;
			h.cls = S.head[k].cls;
			h.len = S.head[k].len;
			h.cls0 = LC_PLAIN;
			h.msg = -1;
			draw_vline(V, 3 + k, &h, xoff, A_NORMAL);
		}
		int y0 = 5, height = LINES - 2 - y0;
		if (height < 1)
			height = 1;
		size_t maxtop = S.body.n > (size_t)height ? S.body.n - (size_t)height : 0;
		if (v->nitems && follow) {
			/* keep the selected item on screen */
			if (S.first[sel] < top)
				top = S.first[sel];
			size_t last = msg_last(&S, sel);
			if (last >= top + (size_t)height)
				top = last - (size_t)height + 1;
		}
		if (top > maxtop)
			top = maxtop;
		for (int r = 0; r < height && top + (size_t)r < S.body.n; r++) {
			const struct vline *l = &S.body.v[top + (size_t)r];
			bool on = v->nitems && l->msg == (long)sel;
			draw_vline(V, y0 + r, l, l->msg >= 0 ? xoff : 0, on ? A_REVERSE : A_NORMAL);
		}
		if (v->nitems) {
			/* the selected item: the findings that cite it first, they
			 * matter more than the addresses that may not fit */
			char s[400];
			int x = 0;
			snprintf(s, sizeof s, "frame %llu ", (unsigned long long)callview_item_frame(v, sel));
			x = put(LINES - 2, x, s, A_BOLD);
			for (size_t k = 0; k < v->nfindings; k++)
				if (callview_item_cites(v, sel, v->findings[k], NULL)) {
					snprintf(s, sizeof s, "[%zu] %s ", k + 1, v->findings[k]->rule);
					x = put(LINES - 2, x, s,
						attr_of(V, (uint8_t)(ladder_severity_class(v->findings[k]->severity) |
								     LC_BOLD)));
				}
			msg_summary(s, sizeof s, v, sel, &S.lay);
			put(LINES - 2, x + 1, s, A_NORMAL);
		}
		static const char *const keys[] = { "Up/Down", "Message", "Enter", "Raw", "PgUp/PgDn", "Scroll",
						    "Left/Right", "Pan", "w", "Save pcap", "q", "Back", NULL, NULL };
		static const char *const skeys[] = { "Up/Down", "Message", "Enter", "Figures", "PgUp/PgDn",
						     "Scroll", "Left/Right", "Pan", "w", "Save pcap", "q", "Back", NULL, NULL };
		key_bar(v->nitems && v->items[sel].kind == CV_STREAM ? skeys : keys);
		refresh();

		int ch = read_key(V);
		follow = true;
		switch (V->gone ? 'q' : ch) {
		case 'w':
			save_call(V, v);
			break;
		case 'q':
		case 27:
		case KEY_BACKSPACE:
			ladder_unbuild(&S);
			return;
		case KEY_UP:
		case 'k':
			if (sel)
				sel--;
			else if (top) {
				top--;
				follow = false;
			}
			break;
		case KEY_DOWN:
		case 'j':
			if (sel + 1 < v->nitems)
				sel++;
			else if (top < maxtop) { /* past the last arrow: on to the findings */
				top++;
				follow = false;
			}
			break;
		case KEY_NPAGE:
		case ' ':
			top = top + (size_t)height < maxtop ? top + (size_t)height : maxtop;
			while (sel + 1 < v->nitems && S.first[sel] < top)
				sel++;
			follow = false;
			break;
		case KEY_PPAGE:
			top = top > (size_t)height ? top - (size_t)height : 0;
			while (sel > 0 && msg_last(&S, sel) >= top + (size_t)height)
				sel--;
			follow = false;
			break;
		case KEY_HOME:
		case 'g':
			sel = 0;
			top = 0;
			break;
		case KEY_END:
		case 'G':
			sel = v->nitems ? v->nitems - 1 : 0;
			top = maxtop; /* the end of the ladder and the findings under it */
			follow = false;
			break;
		case KEY_LEFT:
		case 'h':
			xoff = xoff > 10 ? xoff - 10 : 0;
			break;
		case KEY_RIGHT:
		case 'l':
			xoff = xoff + 10 < maxx ? xoff + 10 : maxx;
			break;
		case '\n':
		case '\r':
		case KEY_ENTER:
			if (v->nitems) {
				raw_screen(V, v, &sel, &S.lay);
				if (V->gone) {
					ladder_unbuild(&S);
					return;
				}
				/* the terminal may have changed size meanwhile: the next
				 * pass rebuilds for it */
			}
			break;
		default:
			break;
		}
	}
}

/* ---- the main loop ---- */

static void list_loop(struct view *V)
{
	for (;;) {
		list_draw(V);
		int ch = read_key(V);
		if (V->gone)
			return;
		size_t page = LINES > 5 ? (size_t)(LINES - 4) : 1;
		if (V->prompt) {
			switch (ch) {
			case 27:
				V->flen = 0;
				V->filter[0] = 0;
				V->prompt = false;
				list_update(V);
				continue;
			case '\n':
			case '\r':
			case KEY_ENTER:
				V->prompt = false;
				continue;
			case KEY_BACKSPACE:
			case 127:
			case 8:
				if (V->flen)
					V->filter[--V->flen] = 0;
				list_update(V);
				continue;
			default:
				if (ch >= 0x20 && ch < 0x7f && V->flen + 1 < sizeof V->filter) {
					V->filter[V->flen++] = (char)ch;
					V->filter[V->flen] = 0;
					list_update(V);
					continue;
				}
				break; /* arrows and the like work as in the list */
			}
		}
		switch (ch) {
		case 'q':
			return;
		case 27:
			if (V->flen || V->cause) {
				V->flen = 0;
				V->filter[0] = 0;
				V->cause = NULL;
				list_update(V);
			}
			break;
		case 'f': {
			const struct finding *c = groups_loop(V);
			if (V->gone)
				return;
			if (c) {
				V->cause = c;
				list_update(V);
			}
			break;
		}
		case '/':
			V->prompt = true;
			break;
		case KEY_UP:
		case 'k':
			if (V->sel)
				V->sel--;
			break;
		case KEY_DOWN:
		case 'j':
			if (V->sel + 1 < V->nshown)
				V->sel++;
			break;
		case KEY_PPAGE:
			V->sel = V->sel > page ? V->sel - page : 0;
			break;
		case KEY_NPAGE:
		case ' ':
			V->sel = V->sel + page < V->nshown ? V->sel + page : (V->nshown ? V->nshown - 1 : 0);
			break;
		case KEY_HOME:
		case 'g':
			V->sel = 0;
			break;
		case KEY_END:
		case 'G':
			V->sel = V->nshown ? V->nshown - 1 : 0;
			break;
		case 's':
		case '>':
			V->sort = (enum col)((V->sort + 1) % NCOLS);
			list_update(V);
			break;
		case '<':
			V->sort = (enum col)((V->sort + NCOLS - 1) % NCOLS);
			list_update(V);
			break;
		case 'r':
			V->desc = !V->desc;
			list_update(V);
			break;
		case 'w':
			if (V->nshown)
				save_call(V, V->calls[V->shown[V->sel]]);
			break;
		case '\n':
		case '\r':
		case KEY_ENTER:
			if (V->nshown)
				ladder_screen(V, V->calls[V->shown[V->sel]]);
			if (V->gone)
				return;
			break;
		default: /* KEY_RESIZE: the next draw uses the new size */
			break;
		}
	}
}

static void colours_init(struct view *V)
{
	const char *nc = getenv("NO_COLOR");
	V->colour = has_colors() && !(nc && *nc);
	if (!V->colour)
		return;
	start_color();
	short bg = use_default_colors() == OK ? -1 : COLOR_BLACK;
	init_pair(LC_REQUEST, COLOR_CYAN, bg);
	init_pair(LC_1XX, COLOR_YELLOW, bg);
	init_pair(LC_2XX, COLOR_GREEN, bg);
	init_pair(LC_3XX, COLOR_MAGENTA, bg);
	init_pair(LC_FAIL, COLOR_RED, bg);
	init_pair(LC_INFO, COLOR_CYAN, bg);
	init_pair(LC_WARNING, COLOR_YELLOW, bg);
	init_pair(LC_ERROR, COLOR_RED, bg);
	init_pair(LC_MEDIA, COLOR_BLUE, bg);
}

static void free_calls(struct callview **calls, size_t n)
{
	for (size_t i = 0; i < n; i++)
		callview_free(calls[i]);
	free(calls);
}

int view_run(struct callview **calls, size_t ncalls, const char *title, view_save_fn save, void *save_ud)
{
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fputs("sipaudit: error: view needs a terminal\n", stderr);
		free_calls(calls, ncalls);
		return 3;
	}
	fflush(stdout);
	/* newterm, unlike initscr, returns NULL instead of exiting on an
	 * unknown terminal */
	SCREEN *scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		fputs("sipaudit: error: view needs a terminal\n", stderr);
		free_calls(calls, ncalls);
		return 3;
	}
	set_term(scr);
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);

	struct view V = { .calls = calls, .ncalls = ncalls, .title = title, .save = save, .save_ud = save_ud };
	V.shown = xcalloc(ncalls ? ncalls : 1, sizeof *V.shown);
	for (size_t i = 0; i < ncalls; i++) {
		V.nfindings += calls[i]->nfindings;
		for (size_t k = 0; k < calls[i]->nfindings; k++)
			V.nsev[calls[i]->findings[k]->severity]++;
	}
	groups_build(&V);
	colours_init(&V);
	list_update(&V);
	list_loop(&V);

	endwin();
	delscreen(scr);
	free(V.shown);
	free(V.groups);
	free_calls(calls, ncalls);
	return 0;
}

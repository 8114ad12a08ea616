// SPDX-License-Identifier: Apache-2.0
/*
 * LLM API extractors, the common part: classification, the record arena,
 * capped text, the request context and the response builder. The providers'
 * files know the shapes; this one knows the bounds.
 *
 * Requests arrive whole (the HTTP decoder has the body) and are parsed once
 * with jansson; what the record keeps is picked from borrowed views of the
 * tree kept in rings, so only the last max_messages are ever copied.
 * Responses arrive in pieces: SSE events are parsed one by one, other bodies
 * go through a splitter that finds each top-level JSON value (an object, the
 * elements of an outer array, NDJSON lines) without parsing, so a stream
 * costs one parse per chunk and nothing is ever parsed twice.
 */
#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "llm_internal.h"
#include "warden/bufutil.h"

#define ARENA_CHUNK 4096

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	alignas(16) char data[];
};

/* ---- arena and capped buffers ---- */

void *arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;

		/* Grow with the record so that big ones take few chunks. */
		if (c && c->cap * 2 > cap && n <= c->cap)
			cap = c->cap * 2;
		c = malloc(sizeof(*c) + cap);
		if (!c) {
			a->nomem = true;
			return NULL;
		}
		c->cap = cap;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	p = c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

size_t utf8_cut(const char *s, size_t n, size_t max)
{
	size_t k;

	if (n <= max)
		return n;
	k = max;
	/* Back off continuation bytes: at most three. */
	while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80 && max - k < 3)
		k--;
	return k;
}

char *arena_str(struct arena *a, const char *s, size_t n, size_t max)
{
	char *p;

	if (!s)
		n = 0;
	n = utf8_cut(s, n, max);
	p = arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	return p;
}

void arena_free(struct arena *a)
{
	struct arena_chunk *c, *next;

	if (!a)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
}

int gbuf_add(struct gbuf *g, const char *s, size_t n, size_t max)
{
	size_t take;
	bool cut = g->total > g->len;

	g->total += n;
	if (cut || !n)
		return 0;
	take = max > g->len ? utf8_cut(s, n, max - g->len) : 0;
	if (g->len + take + 1 > g->cap) {
		size_t cap = g->cap ? g->cap : 64;
		char *q;

		while (cap < g->len + take + 1)
			cap *= 2;
		if (cap > max + 1 && max + 1 >= g->len + take + 1)
			cap = max + 1;
		q = realloc(g->p, cap);
		if (!q) {
			/* Counted, not kept: the kept part stays a prefix. */
			return -ENOMEM;
		}
		g->p = q;
		g->cap = cap;
	}
	memcpy(g->p + g->len, s, take);
	g->len += take;
	g->p[g->len] = 0;
	return 0;
}

int gbuf_join(struct gbuf *g, const char *s, size_t n, size_t max)
{
	int err = 0;

	if (g->total)
		err = gbuf_add(g, "\n", 1, max);
	return gbuf_add(g, s, n, max) ?: err;
}

void gbuf_free(struct gbuf *g)
{
	if (!g)
		return;
	free(g->p);
	memset(g, 0, sizeof(*g));
}

void gbuf_text(struct arena *a, const struct gbuf *g, bool present, struct llm_text *t)
{
	memset(t, 0, sizeof(*t));
	if (!present && !g->total)
		return;
	t->ptr = arena_str(a, g->p, g->len, g->len);
	t->len = t->ptr ? g->len : 0;
	t->total = g->total;
	t->truncated = t->total > t->len;
}

/* ---- jansson helpers ---- */

/*
 * The documents alive that have placeholders, newest first: jstr() has no
 * document to ask, so it looks a placeholder node up here, by identity. The
 * decoders run on one thread each; thread-local keeps that true of tests.
 */
static _Thread_local struct jdoc *jdocs_live;

static const char *jdoc_resolve(const json_t *v, size_t *len)
{
	for (struct jdoc *d = jdocs_live; d; d = d->older)
		for (size_t k = 0; k < d->n_big; k++)
			if (d->nodes[k] == v) {
				*len = d->big[k].dec_len;
				return d->dec.p + d->big[k].dec;
			}
	return NULL;
}

const char *jstr(const json_t *o, const char *key, size_t *len)
{
	json_t *v = json_object_get(o, key);
	const char *s, *r;
	size_t n;

	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n >= 3 && s[0] == 1 && s[1] == 'W' && (r = jdoc_resolve(v, &n)))
		s = r;
	if (len)
		*len = n;
	return s;
}

int64_t jint(const json_t *o, const char *key, int64_t dflt)
{
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 9e18)
		return (int64_t)json_real_value(v);
	return dflt;
}

bool jbool(const json_t *o, const char *key, bool dflt)
{
	json_t *v = json_object_get(o, key);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* ---- parsed documents ---- */

/* The length of the valid UTF-8 sequence at s (as jansson accepts it), 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned int c = s[0];
	size_t k, j;

	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;
	k = c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf5 ? 4 : 0;
	if (!k || n < k)
		return 0;
	for (j = 1; j < k; j++)
		if ((s[j] & 0xc0) != 0x80)
			return 0;
	/* No overlong forms, no surrogates, nothing past U+10FFFF. */
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0) ||
	    (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
		return 0;
	return k;
}

static int hex4(const char *s, size_t n, unsigned int *v)
{
	*v = 0;
	if (n < 4)
		return -EBADMSG;
	for (int i = 0; i < 4; i++) {
		char c = s[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			*v |= (c | 0x20) - 'a' + 10;
		else
			return -EBADMSG;
	}
	return 0;
}

/*
 * Validate a JSON string's text (between its quotes) and add its value to
 * out (NULL: only validate); -EBADMSG when not JSON.
 */
static int unescape(const char *s, size_t n, struct gbuf *out)
{
	size_t i = 0, run = 0, k;
	unsigned int cp, lo;
	char u[4];
	int ul;

	while (i < n) {
		unsigned char c;

		/* Printable ASCII, no backslash (a quote has none here): nearly all of a prompt. */
		i += bufutil_json_plain(s + i, n - i, true);
		if (i >= n)
			break;
		c = s[i];
		if (c != '\\') {
			if (c < 0x20)
				return -EBADMSG;
			k = c < 0x80 ? 1 : utf8_seq((const unsigned char *)s + i, n - i);
			if (!k)
				return -EBADMSG;
			i += k;
			continue;
		}
		if (out)
			gbuf_add(out, s + run, i - run, SIZE_MAX);
		if (++i == n)
			return -EBADMSG;
		ul = 1;
		switch (s[i++]) {
		case '"':
			u[0] = '"';
			break;
		case '\\':
			u[0] = '\\';
			break;
		case '/':
			u[0] = '/';
			break;
		case 'b':
			u[0] = '\b';
			break;
		case 'f':
			u[0] = '\f';
			break;
		case 'n':
			u[0] = '\n';
			break;
		case 'r':
			u[0] = '\r';
			break;
		case 't':
			u[0] = '\t';
			break;
		case 'u':
			if (hex4(s + i, n - i, &cp))
				return -EBADMSG;
			i += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -EBADMSG;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (n - i < 6 || s[i] != '\\' || s[i + 1] != 'u' ||
				    hex4(s + i + 2, n - i - 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return -EBADMSG;
				i += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (cp < 0x80) {
				u[0] = cp;
			} else if (cp < 0x800) {
				u[0] = 0xc0 | cp >> 6;
				u[1] = 0x80 | (cp & 0x3f);
				ul = 2;
			} else if (cp < 0x10000) {
				u[0] = 0xe0 | cp >> 12;
				u[1] = 0x80 | ((cp >> 6) & 0x3f);
				u[2] = 0x80 | (cp & 0x3f);
				ul = 3;
			} else {
				u[0] = 0xf0 | cp >> 18;
				u[1] = 0x80 | ((cp >> 12) & 0x3f);
				u[2] = 0x80 | ((cp >> 6) & 0x3f);
				u[3] = 0x80 | (cp & 0x3f);
				ul = 4;
			}
			break;
		default:
			return -EBADMSG;
		}
		if (out)
			gbuf_add(out, u, ul, SIZE_MAX);
		run = i;
	}
	if (!out)
		return 0;
	gbuf_add(out, s + run, n - run, SIZE_MAX);
	return out->total == out->len ? 0 : -ENOMEM;
}

/* The closing quote of the string whose text starts at i; n when there is none. */
static size_t string_end(const char *s, size_t i, size_t n)
{
	const char *q;
	size_t k, bs;

	while (i < n && (q = memchr(s + i, '"', n - i)) != NULL) {
		k = q - s;
		/* Escaped when an odd number of backslashes leads up to it. */
		for (bs = 0; k - bs > i && s[k - bs - 1] == '\\'; bs++)
			;
		if (!(bs & 1))
			return k;
		i = k + 1;
	}
	return n;
}

/* Whether the string that ended before i is an object's key: a ':' follows it. */
static bool is_key(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i < n && s[i] == ':';
}

static long placeholder(const struct jdoc *d, const char *s, size_t n);
static json_t *jtree(struct jdoc *d, const char *s, size_t n);
static void jtree_free(struct jdoc *d);

/* Record which string nodes are placeholders (depth bounded as jansson's own). */
static void find_placeholders(struct jdoc *d, const json_t *v, unsigned int depth)
{
	const char *key;
	json_t *x;
	size_t i;
	long k;

	if (depth > 2048)
		return;
	if (json_is_string(v)) {
		k = placeholder(d, json_string_value(v), json_string_length(v));
		if (k >= 0 && !d->nodes[k])
			d->nodes[k] = v;
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, x) find_placeholders(d, x, depth + 1);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) find_placeholders(d, x, depth + 1);
	}
}

int jdoc_parse(struct jdoc *d, const void *src, size_t n)
{
	const char *s = src;
	size_t i = 0, copied = 0, start, end;
	char ph[32];
	int err, k;

	memset(d, 0, sizeof(*d));
	d->src = s;
	while (i < n) {
		const char *q = memchr(s + i, '"', n - i);

		if (!q)
			break;
		start = q - s + 1;
		end = string_end(s, start, n);
		if (end >= n)
			break; /* unterminated: jansson says so */
		i = end + 1;
		if (end - start < JSTR_BIG && (end - start < 6 || memcmp(s + start, "\\u0001", 6)))
			continue;
		/*
		 * A key stays jansson's, however long: a placeholder only ever
		 * stands for a value, and jansson refuses what a key must not
		 * hold (\u0000) as it would without us.
		 */
		if (is_key(s, i, n))
			continue;
		/* Big, or it could pass for a placeholder: ours to read. */
		if (d->n_big == d->cap_big) {
			size_t cap = d->cap_big ? d->cap_big * 2 : 8;
			struct jspan *v = realloc(d->big, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			d->big = v;
			d->cap_big = cap;
		}
		d->big[d->n_big] =
			(struct jspan){ .raw = start, .raw_len = end - start, .dec = d->dec.len };
		err = unescape(s + start, end - start, &d->dec);
		if (err)
			return err;
		d->big[d->n_big].dec_len = d->dec.len - d->big[d->n_big].dec;
		k = snprintf(ph, sizeof(ph), "\\u0001W%zu", d->n_big++);
		gbuf_add(&d->skel, s + copied, start - copied, SIZE_MAX);
		gbuf_add(&d->skel, ph, k, SIZE_MAX);
		copied = end;
	}
	if (d->n_big) {
		gbuf_add(&d->skel, s + copied, n - copied, SIZE_MAX);
		if (d->skel.total != d->skel.len || d->dec.total != d->dec.len)
			return -ENOMEM;
		s = d->skel.p;
		n = d->skel.len;
	}
	d->root = jtree(d, s, n) ?: json_loadb(s, n, JSON_ALLOW_NUL, NULL);
	if (!d->root)
		return -EBADMSG;
	if (d->n_big) {
		d->nodes = calloc(d->n_big, sizeof(*d->nodes));
		if (!d->nodes)
			return -ENOMEM;
		find_placeholders(d, d->root, 0);
		d->older = jdocs_live;
		jdocs_live = d;
	}
	return 0;
}

void jdoc_free(struct jdoc *d)
{
	if (!d)
		return;
	for (struct jdoc **p = &jdocs_live; *p; p = &(*p)->older)
		if (*p == d) {
			*p = d->older;
			break;
		}
	free(d->nodes);
	jtree_free(d);
	free(d->big);
	gbuf_free(&d->skel);
	gbuf_free(&d->dec);
	memset(d, 0, sizeof(*d));
}

/* The placeholder's index, or -1 when s is an ordinary string. */
static long placeholder(const struct jdoc *d, const char *s, size_t n)
{
	unsigned long idx = 0;

	if (!d || !d->n_big || n < 3 || s[0] != 1 || s[1] != 'W')
		return -1;
	for (size_t i = 2; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || idx > d->n_big)
			return -1;
		idx = idx * 10 + (s[i] - '0');
	}
	return idx < d->n_big ? (long)idx : -1;
}

const char *jtext(const struct jdoc *d, const json_t *v, size_t *len)
{
	const char *s;
	long k;

	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	*len = json_string_length(v);
	k = placeholder(d, s, *len);
	if (k < 0)
		return s;
	*len = d->big[k].dec_len;
	return d->dec.p + d->big[k].dec;
}

int jdump(const struct jdoc *d, struct gbuf *g, const json_t *v, size_t max, bool join)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY), *p, *q;
	size_t n, from = 0;
	int err = 0;
	long k;

	if (!s)
		return -ENOMEM;
	n = strlen(s);
	if (join && g->total)
		err = gbuf_add(g, "\n", 1, max);
	/* Placeholders go back to the JSON text they stand for. */
	for (p = s; d && d->n_big && (p = memmem(p, n - (p - s), "\"\\u0001W", 8)) != NULL;) {
		q = memchr(p + 8, '"', n - (p + 8 - s));
		if (!q)
			break;
		if (p > s && !strchr(":,[{", p[-1])) {
			p = q;
			continue;
		}
		/* The placeholder's text is \u0001W<n>: its value is \x01 W <n>. */
		{
			char val[32];
			size_t vl = q - (p + 7);

			if (vl + 1 >= sizeof(val)) {
				p = q;
				continue;
			}
			val[0] = 1;
			memcpy(val + 1, p + 7, vl);
			k = placeholder(d, val, vl + 1);
		}
		if (k < 0) {
			p = q;
			continue;
		}
		err = gbuf_add(g, s + from, p + 1 - (s + from), max) ?: err;
		err = gbuf_add(g, d->src + d->big[k].raw, d->big[k].raw_len, max) ?: err;
		from = q - s;
		p = q + 1;
	}
	err = gbuf_add(g, s + from, n - from, max) ?: err;
	free(s);
	return err;
}

static bool is_text_type(const char *t)
{
	return !t || !strcmp(t, "text") || !strcmp(t, "input_text") || !strcmp(t, "output_text");
}

/* ---- the scanner: one pass over a text, then walks without rescanning ---- */

static size_t skip_ws(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	return i;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * A number as JSON has it. Only those jansson surely reads the same way pass:
 * no exponent, at most 15 integer digits (jansson fails on int64 overflow).
 */
static bool scan_number(const char *s, size_t *i, size_t n)
{
	size_t k = *i, d;

	if (k < n && s[k] == '-')
		k++;
	if (k >= n || !is_digit(s[k]))
		return false;
	if (s[k] == '0')
		k++;
	else
		for (d = 0; k < n && is_digit(s[k]); k++)
			if (++d > 15)
				return false;
	if (k < n && s[k] == '.') {
		if (++k >= n || !is_digit(s[k]))
			return false;
		while (k < n && is_digit(s[k]))
			k++;
	}
	if (k < n && (s[k] == 'e' || s[k] == 'E'))
		return false;
	*i = k;
	return true;
}

/*
 * The string whose text starts at i: *end is its closing quote, *esc set
 * when it has escapes or non-ASCII (then validated as jansson validates).
 */
static bool scan_string(const char *s, size_t i, size_t n, size_t *end, uint8_t *esc)
{
	bool special = false;
	unsigned char c;
	size_t k = i;

	for (;;) {
		k += bufutil_json_plain(s + k, n - k, true);
		if (k >= n)
			return false;
		c = s[k];
		if (c == '"')
			break;
		if (c == '\\') {
			/* What follows is checked by unescape(). */
			if (n - k < 2)
				return false;
			special = true;
			k += 2;
			continue;
		}
		if (c < 0x20)
			return false;
		special |= c >= 0x80;
		k++;
	}
	if (special && unescape(s + i, k - i, NULL))
		return false;
	*end = k;
	*esc = special;
	return true;
}

/*
 * Scan s[0..n), one object or array and nothing else, into t[0..cap) in
 * document order: each container before its members (an object's as key,
 * value, key, value), each token knowing the index after its subtree. The
 * number of tokens; 0 when the text is not JSON, not in the forms scanned
 * here (see scan_number, keys), deeper than max_depth or longer than cap.
 */
static uint32_t js_scan(const char *s, size_t n, struct jtok *t, uint32_t cap,
			unsigned int max_depth)
{
	uint32_t open[JS_DEPTH_MAX], nt = 0;
	unsigned int depth = 0;
	size_t i = skip_ws(s, 0, n), end;
	struct jtok *v;

	if (n >= UINT32_MAX || max_depth > JS_DEPTH_MAX || i >= n || (s[i] != '{' && s[i] != '['))
		return 0;
	for (;;) {
		/* A value starts at i. */
		i = skip_ws(s, i, n);
		if (i >= n || nt == cap)
			return 0;
		v = &t[nt];
		*v = (struct jtok){ .off = i };
		switch (s[i]) {
		case '{':
		case '[':
			if (depth == max_depth)
				return 0;
			v->type = s[i] == '{' ? JV_OBJ : JV_ARR;
			open[depth++] = nt++;
			i = skip_ws(s, i + 1, n);
			if (i < n && s[i] == (v->type == JV_OBJ ? '}' : ']'))
				goto close;
			if (v->type == JV_OBJ)
				goto key;
			continue;
		case '"':
			if (!scan_string(s, i + 1, n, &end, &v->esc))
				return 0;
			v->type = JV_STR;
			v->off = i + 1;
			v->len = end - i - 1;
			i = end + 1;
			break;
		case 't':
		case 'f':
		case 'n': {
			static const char *const lit[] = { "true", "false", "null" };
			int w = s[i] == 't' ? 0 : s[i] == 'f' ? 1 : 2;
			size_t l = strlen(lit[w]);

			if (n - i < l || memcmp(s + i, lit[w], l))
				return 0;
			v->type = w == 2 ? JV_NULL : JV_BOOL;
			v->len = l;
			i += l;
			break;
		}
		default:
			end = i;
			if (!scan_number(s, &end, n))
				return 0;
			v->type = JV_NUM;
			v->len = end - i;
			i = end;
			break;
		}
		v->next = ++nt;
		/* After a value: a comma, or the end of the container it is in. */
		for (;;) {
			i = skip_ws(s, i, n);
			if (i >= n)
				return 0;
			if (s[i] == ',') {
				i++;
				if (t[open[depth - 1]].type != JV_OBJ)
					break;
				i = skip_ws(s, i, n);
				goto key;
			}
			if (s[i] != (t[open[depth - 1]].type == JV_OBJ ? '}' : ']'))
				return 0;
close:
			v = &t[open[--depth]];
			v->len = i + 1 - v->off;
			v->next = nt;
			i++;
			if (!depth)
				return skip_ws(s, i, n) == n ? nt : 0;
		}
		continue;
key:
		/* An object's key at i, then its colon. */
		if (i >= n || s[i] != '"' || nt == cap)
			return 0;
		v = &t[nt];
		*v = (struct jtok){ .off = i + 1, .type = JV_STR };
		/*
		 * A key with escapes or non-ASCII is jansson's to read (it
		 * refuses a NUL in one): the whole text is, since a walk may
		 * skip the value it is in.
		 */
		if (!scan_string(s, i + 1, n, &end, &v->esc) || v->esc)
			return 0;
		v->len = end - i - 1;
		v->next = ++nt;
		i = skip_ws(s, end + 1, n);
		if (i >= n || s[i] != ':')
			return 0;
		i++;
	}
}

/*
 * The hot stream events' tokens: one text at a time, per thread (decoders
 * run on one thread each). An event with more is not a hot one.
 */
#define JS_FAST_TOKS 512
#define JS_FAST_DEPTH 16
static _Thread_local struct jtok js_fast_toks[JS_FAST_TOKS];
static _Thread_local const char *js_fast_src;

static void js_val(struct jval *v, uint32_t k)
{
	const struct jtok *t = &js_fast_toks[k];

	*v = (struct jval){
		.type = t->type, .p = js_fast_src + t->off, .n = t->len, .esc = t->esc, .tok = k
	};
}

void js_begin(struct jscan *c, const struct jval *v)
{
	*c = (struct jscan){ .i = v->tok + 1,
			     .end = js_fast_toks[v->tok].next,
			     .obj = v->type == JV_OBJ };
}

/* The next member: 1, or 0 at the end. */
static int js_next(struct jscan *c, struct jval *key, struct jval *val)
{
	if (c->i >= c->end)
		return 0;
	if (key)
		js_val(key, c->i++);
	js_val(val, c->i);
	c->i = js_fast_toks[c->i].next;
	return 1;
}

int js_obj_next(struct jscan *c, struct jval *key, struct jval *val)
{
	return c->obj ? js_next(c, key, val) : -1;
}

int js_arr_next(struct jscan *c, struct jval *val)
{
	return c->obj ? -1 : js_next(c, NULL, val);
}

bool js_top(const char *s, size_t n, struct jval *v)
{
	if (!js_scan(s, n, js_fast_toks, JS_FAST_TOKS, JS_FAST_DEPTH) ||
	    js_fast_toks[0].type != JV_OBJ)
		return false;
	js_fast_src = s;
	js_val(v, 0);
	return true;
}

/* ---- trees without jansson's lexer ---- */

/*
 * jansson's own lexer reads a byte at a time through a stream; building the
 * same tree from one scan is about five times faster. Texts the scanner does
 * not vouch for (exponents, long integers, escaped keys, deep or long ones)
 * go to json_loadb, which also says what is wrong with a bad one.
 */
#define JT_TOKS 4096
static _Thread_local struct jtok jt_toks[JT_TOKS];

static json_t *jt_string(const char *s, const struct jtok *t, struct gbuf *tmp)
{
	if (!t->esc)
		return json_stringn_nocheck(s + t->off, t->len);
	tmp->len = 0;
	tmp->total = 0;
	if (unescape(s + t->off, t->len, tmp))
		return NULL;
	return json_stringn_nocheck(tmp->p ? tmp->p : "", tmp->len);
}

/* Numbers as scan_number lets them through: at most 15 integer digits, no exponent. */
static json_t *jt_number(const char *p, size_t n)
{
	char buf[64];
	int64_t v = 0;

	if (!memchr(p, '.', n)) {
		for (size_t i = p[0] == '-'; i < n; i++)
			v = v * 10 + (p[i] - '0');
		return json_integer(p[0] == '-' ? -v : v);
	}
	if (n >= sizeof(buf))
		return NULL;
	memcpy(buf, p, n);
	buf[n] = 0;
	return json_real(strtod(buf, NULL));
}

static json_t *jt_value(const char *s, const struct jtok *t, uint32_t k, struct gbuf *tmp)
{
	json_t *v = NULL, *x;
	uint32_t i;

	switch (t[k].type) {
	case JV_OBJ:
		v = json_object();
		for (i = k + 1; v && i < t[k].next; i = t[i + 1].next) {
			x = jt_value(s, t, i + 1, tmp);
			if (!x || json_object_setn_new_nocheck(v, s + t[i].off, t[i].len, x))
				goto fail;
		}
		return v;
	case JV_ARR:
		v = json_array();
		for (i = k + 1; v && i < t[k].next; i = t[i].next) {
			x = jt_value(s, t, i, tmp);
			if (!x || json_array_append_new(v, x))
				goto fail;
		}
		return v;
	case JV_STR:
		return jt_string(s, &t[k], tmp);
	case JV_NUM:
		return jt_number(s + t[k].off, t[k].len);
	case JV_BOOL:
		return json_boolean(s[t[k].off] == 't');
	case JV_NULL:
		return json_null();
	}
fail:
	json_decref(v);
	return NULL;
}

/*
 * What jansson allocates while jtree builds is bumped from one block per
 * thread and dropped with its document: a tree costs as much to free node
 * by node as to build. Allocations that do not fit, and all of jansson's
 * others, are malloc's. This holds because a document's tree is only read
 * (nothing is added to it, nothing of it is kept past jdoc_free) and stays
 * on the thread that parsed it, as the decoders do.
 */
#define JT_ARENA (256 * 1024)

static _Thread_local struct {
	char *base;
	size_t top;
	unsigned int live; /* documents whose tree is in the block */
	bool on, spilled;
} jt_arena;

static void *jt_malloc(size_t n)
{
	size_t k = (n + 15) & ~(size_t)15;
	void *p;

	if (jt_arena.on) {
		if (k >= n && k <= JT_ARENA - jt_arena.top) {
			p = jt_arena.base + jt_arena.top;
			jt_arena.top += k;
			return p;
		}
		jt_arena.spilled = true;
	}
	return malloc(n);
}

static void jt_free(void *p)
{
	if (jt_arena.base && (char *)p >= jt_arena.base && (char *)p < jt_arena.base + JT_ARENA)
		return;
	free(p);
}

static void jt_alloc_setup(void)
{
	json_set_alloc_funcs(jt_malloc, jt_free);
}

/* s[0..n) as json_loadb(s, n, JSON_ALLOW_NUL) reads it; NULL: ask json_loadb. */
static json_t *jtree(struct jdoc *d, const char *s, size_t n)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct gbuf tmp = { 0 };
	json_t *root;

	if (!js_scan(s, n, jt_toks, JT_TOKS, JS_DEPTH_MAX))
		return NULL;
	pthread_once(&once, jt_alloc_setup);
	if (!jt_arena.base)
		jt_arena.base = malloc(JT_ARENA);
	d->arena_mark = jt_arena.top;
	jt_arena.on = jt_arena.base != NULL;
	jt_arena.spilled = false;
	root = jt_value(s, jt_toks, 0, &tmp);
	jt_arena.on = false;
	gbuf_free(&tmp);
	if (!root) {
		jt_arena.top = d->arena_mark;
		return NULL;
	}
	if (jt_arena.base) {
		d->in_arena = true;
		d->arena_spilled = jt_arena.spilled;
		d->arena_end = jt_arena.top;
		jt_arena.live++;
	}
	return root;
}

static void jtree_free(struct jdoc *d)
{
	/* Spilled: the tree has nodes of malloc's (jt_free skips the others). */
	if (!d->in_arena || d->arena_spilled)
		json_decref(d->root);
	if (!d->in_arena)
		return;
	if (!--jt_arena.live)
		jt_arena.top = 0;
	else if (jt_arena.top == d->arena_end)
		jt_arena.top = d->arena_mark; /* the newest goes first (nested documents) */
}

/*
 * Texts that need no tree to be walked as jansson's tree would be: the
 * scanner vouches for the text, and no object repeats a key (jansson keeps
 * one of them, in the first one's place). For a walk, no string holds a
 * NUL either. For dump, each token is written back byte for byte as jdump
 * writes it: no number has a fraction (jansson writes reals its own way)
 * or is "-0", and each short string has only the escapes jansson itself
 * writes (\" \\ \b \f \n \r \t; jdump splices big ones back as they
 * were). The tokens, in jt_toks, or 0.
 */
#define JS_PLAIN_KEYS 64

/* Object t[k] has a key twice, or more keys than are checked. */
static bool repeats_key(const char *s, const struct jtok *t, uint32_t k)
{
	uint32_t keys[JS_PLAIN_KEYS], nk = 0;

	for (uint32_t i = k + 1; i < t[k].next; i = t[i + 1].next) {
		if (nk == JS_PLAIN_KEYS)
			return true;
		for (uint32_t j = 0; j < nk; j++)
			if (t[keys[j]].len == t[i].len &&
			    !memcmp(s + t[keys[j]].off, s + t[i].off, t[i].len))
				return true;
		keys[nk++] = i;
	}
	return false;
}

/* jdump writes the token back as its text has it. */
static bool dumps_alike(const char *s, const struct jtok *t)
{
	const char *p = s + t->off, *e;

	if (t->type == JV_NUM)
		return !memchr(p, '.', t->len) && !(t->len > 1 && p[0] == '-' && p[1] == '0');
	if (t->type != JV_STR || !t->esc || t->len >= JSTR_BIG)
		return true;
	for (e = p; (e = memchr(e, '\\', p + t->len - e)); e += 2)
		if (!strchr("\"\\bfnrt", e[1]))
			return false;
	return true;
}

/* A NUL in the string's value: json_loadb without JSON_ALLOW_NUL refuses the text. */
static bool has_nul(const char *s, const struct jtok *t)
{
	return t->type == JV_STR && t->esc && memmem(s + t->off, t->len, "\\u0000", 6);
}

static uint32_t js_plain(const char *s, size_t n, bool dump)
{
	uint32_t nt = js_scan(s, n, jt_toks, JT_TOKS, JS_DEPTH_MAX);

	for (uint32_t k = 0; k < nt; k++)
		if ((jt_toks[k].type == JV_OBJ && repeats_key(s, jt_toks, k)) ||
		    (dump ? !dumps_alike(s, &jt_toks[k]) : has_nul(s, &jt_toks[k])))
			return 0;
	return nt;
}

int jcompact_plain(const char *s, size_t n, struct gbuf *g, size_t max)
{
	size_t run = 0;
	bool in_str = false;
	int err = 0;

	if (!js_plain(s, n, true))
		return -EINVAL;
	/* The runs between white space go to g as they are: one run for text already compact. */
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			err = gbuf_add(g, s + run, i - run, max) ?: err;
			run = i + 1;
		} else {
			in_str = c == '"';
		}
	}
	return gbuf_add(g, s + run, n - run, max) ?: err;
}

int jcompact(const char *s, size_t n, struct gbuf *g, size_t max)
{
	struct jdoc d;
	int err = jcompact_plain(s, n, g, max);

	if (err != -EINVAL)
		return err;
	err = jdoc_parse(&d, s, n) ?: jdump(&d, g, d.root, max, false);
	jdoc_free(&d);
	return err;
}

/* v[0..n) and a newline after buf[0..*len), within cap - 1 bytes. */
static void strings_add(char *buf, size_t cap, size_t *len, const char *v, size_t n)
{
	if (n > cap - 1 - *len)
		n = cap - 1 - *len;
	memcpy(buf + *len, v, n);
	*len += n;
	if (*len + 1 < cap)
		buf[(*len)++] = '\n';
}

static void strings_walk(const char *s, const struct jtok *t, uint32_t k, struct gbuf *tmp,
			 char *buf, size_t cap, size_t *len, int depth, int *err)
{
	const char *v = s + t[k].off;
	size_t n = t[k].len;

	if (depth > 8 || *len + 1 >= cap || *err)
		return;
	switch (t[k].type) {
	case JV_STR:
		if (t[k].esc) {
			tmp->len = 0;
			tmp->total = 0;
			if (unescape(v, n, tmp) || tmp->total != tmp->len) {
				*err = -EINVAL; /* out of memory: the tree's walk may yet have it */
				return;
			}
			v = tmp->p ? tmp->p : "";
			n = tmp->len;
		}
		strings_add(buf, cap, len, v, n);
		break;
	case JV_OBJ:
		for (uint32_t i = k + 1; i < t[k].next; i = t[i + 1].next)
			strings_walk(s, t, i + 1, tmp, buf, cap, len, depth + 1, err);
		break;
	case JV_ARR:
		for (uint32_t i = k + 1; i < t[k].next; i = t[i].next)
			strings_walk(s, t, i, tmp, buf, cap, len, depth + 1, err);
		break;
	default:
		break;
	}
}

/* Every string value of j (a tree json_loadb made), one per line, as strings_walk. */
static void tree_strings(const json_t *j, char *buf, size_t cap, size_t *len, int depth)
{
	const char *k;
	json_t *v;
	size_t i;

	if (depth > 8 || *len + 1 >= cap)
		return;
	if (json_is_string(j)) {
		strings_add(buf, cap, len, json_string_value(j), json_string_length(j));
	} else if (json_is_object(j)) {
		json_object_foreach((json_t *)j, k, v)
			tree_strings(v, buf, cap, len, depth + 1);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			tree_strings(v, buf, cap, len, depth + 1);
	}
}

int json_strings_tree(const char *s, size_t n, char *buf, size_t cap, size_t *len)
{
	json_t *j = json_loadb(s, n, JSON_DECODE_ANY, NULL);

	*len = 0;
	if (!j)
		return -EBADMSG;
	tree_strings(j, buf, cap, len, 0);
	json_decref(j);
	return 0;
}

int json_strings_plain(const char *s, size_t n, char *buf, size_t cap, size_t *len)
{
	struct gbuf tmp = { 0 };
	int err = 0;

	*len = 0;
	if (!cap || !js_plain(s, n, false))
		return -EINVAL;
	strings_walk(s, jt_toks, 0, &tmp, buf, cap, len, 0, &err);
	gbuf_free(&tmp);
	return err;
}

int llm_json_strings(const char *s, size_t n, char *buf, size_t cap, size_t *len)
{
	if (!cap) {
		*len = 0;
		return -EINVAL;
	}
	/* Not scanned, or a string the walk leaves to jansson: the tree's. */
	return json_strings_plain(s, n, buf, cap, len) ? json_strings_tree(s, n, buf, cap, len) : 0;
}

const char *js_text(struct llm_response_builder *b, const struct jval *v, size_t *len)
{
	if (!v->esc) {
		*len = v->n;
		return v->p;
	}
	b->scratch.len = 0;
	b->scratch.total = 0;
	if (unescape(v->p, v->n, &b->scratch))
		return NULL;
	*len = b->scratch.len;
	return b->scratch.p ? b->scratch.p : "";
}

bool js_uint(const struct jval *v, uint64_t *out)
{
	*out = 0;
	if (v->type != JV_NUM || !v->n || v->p[0] == '-')
		return false;
	for (size_t i = 0; i < v->n; i++) {
		if (!is_digit(v->p[i]))
			return false;
		*out = *out * 10 + (v->p[i] - '0');
	}
	return true;
}

int content_text(const struct jdoc *d, struct gbuf *g, const json_t *content, size_t max,
		 bool other_json)
{
	const json_t *parts = content, *p, *t;
	const char *s;
	size_t i, n;
	int err = 0;

	if (!content || json_is_null(content))
		return 0;
	if ((s = jtext(d, content, &n)))
		return gbuf_join(g, s, n, max);
	if (json_is_object(content)) {
		parts = json_object_get(content, "parts");
		if (!json_is_array(parts)) {
			t = json_object_get(content, "text");
			if ((s = jtext(d, t, &n)) && is_text_type(jstr(content, "type", NULL)))
				return gbuf_join(g, s, n, max);
			return other_json ? jdump(d, g, content, max, true) : 0;
		}
	}
	if (!json_is_array(parts))
		return other_json ? jdump(d, g, content, max, true) : 0;
	json_array_foreach(parts, i, p) {
		if ((s = jtext(d, p, &n))) {
			err = gbuf_join(g, s, n, max) ?: err;
			continue;
		}
		t = json_object_get(p, "text");
		/* Gemini's thought summaries are not what the model said. */
		if ((s = jtext(d, t, &n)) && is_text_type(jstr(p, "type", NULL)) &&
		    !jbool(p, "thought", false))
			err = gbuf_join(g, s, n, max) ?: err;
	}
	return err;
}

/* ---- names ---- */

const char *llm_provider_name(enum llm_provider p)
{
	switch (p) {
	case LLM_PROVIDER_OPENAI:
		return "openai";
	case LLM_PROVIDER_AZURE_OPENAI:
		return "azure_openai";
	case LLM_PROVIDER_ANTHROPIC:
		return "anthropic";
	case LLM_PROVIDER_GEMINI:
		return "gemini";
	case LLM_PROVIDER_OLLAMA:
		return "ollama";
	case LLM_PROVIDER_MCP:
		return "mcp";
	default:
		return "none";
	}
}

const char *llm_api_name(enum llm_api a)
{
	switch (a) {
	case LLM_API_OPENAI_CHAT:
		return "chat.completions";
	case LLM_API_OPENAI_RESPONSES:
		return "responses";
	case LLM_API_ANTHROPIC_MESSAGES:
		return "messages";
	case LLM_API_GEMINI_GENERATE:
		return "generateContent";
	case LLM_API_GEMINI_STREAM:
		return "streamGenerateContent";
	case LLM_API_OLLAMA_CHAT:
		return "ollama.chat";
	case LLM_API_OLLAMA_GENERATE:
		return "ollama.generate";
	case LLM_API_MCP:
		return "jsonrpc";
	default:
		return "none";
	}
}

struct llm_limits llm_limits_default(void)
{
	return (struct llm_limits){
		.max_text = 256 << 10,
		.max_messages = 256,
		.max_tools = 128,
		.max_tool_calls = 64,
		.max_args = 64 << 10,
		.max_body = 8 << 20,
	};
}

static struct llm_limits limits_or_default(const struct llm_limits *lim)
{
	struct llm_limits l = lim ? *lim : llm_limits_default();

	/* Zero would make every ring and buffer degenerate: one is the least. */
	if (!l.max_messages)
		l.max_messages = 1;
	if (!l.max_tool_calls)
		l.max_tool_calls = 1;
	return l;
}

/* ---- classification ---- */

static bool ends_with(const char *s, size_t n, const char *suf)
{
	size_t k = strlen(suf);

	return n >= k && !memcmp(s + n - k, suf, k);
}

static const char *find(const char *s, size_t n, const char *needle)
{
	return memmem(s, n, needle, strlen(needle));
}

/* The path of a target: no query or fragment, no scheme and authority (proxy form). */
static void target_path(const char *t, size_t n, const char **path, size_t *path_len)
{
	const char *q;

	if (!t)
		n = 0;
	/* Absolute form, as sent to proxies: drop scheme and authority. */
	if (n > 8 && (!strncasecmp(t, "http://", 7) || !strncasecmp(t, "https://", 8))) {
		const char *auth = memchr(t, ':', n) + 3;
		const char *s = memchr(auth, '/', n - (auth - t));

		n = s ? n - (size_t)(s - t) : 0;
		t = s;
	}
	q = n ? memchr(t, '?', n) : NULL;
	if (q)
		n = q - t;
	q = n ? memchr(t, '#', n) : NULL;
	if (q)
		n = q - t;
	/* A trailing slash names the same endpoint. */
	if (n > 1 && t[n - 1] == '/')
		n--;
	*path = t;
	*path_len = n;
}

/* A bounded look at a body: a JSON-RPC 2.0 object or batch. */
#define MCP_PEEK 512

static bool looks_jsonrpc(const uint8_t *body, size_t n)
{
	size_t i = 0;

	if (!body)
		return false;
	if (n > MCP_PEEK)
		n = MCP_PEEK;
	while (i < n && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
		i++;
	if (i == n || (body[i] != '{' && body[i] != '['))
		return false;
	return memmem(body + i, n - i, "\"jsonrpc\"", 9) &&
	       memmem(body + i, n - i, "\"method\"", 8);
}

enum llm_api llm_classify(const char *method, size_t method_len, const char *target,
			  size_t target_len, const char *content_type, size_t content_type_len,
			  const uint8_t *body, size_t body_len, enum llm_provider *provider)
{
	enum llm_provider p = LLM_PROVIDER_NONE;
	enum llm_api a = LLM_API_NONE;
	const char *path, *seg;
	size_t n;

	if (provider)
		*provider = p;
	if (!method || method_len != 4 || memcmp(method, "POST", 4))
		return a;
	target_path(target, target_len, &path, &n);
	if (n && ends_with(path, n, "/chat/completions")) {
		a = LLM_API_OPENAI_CHAT;
		p = find(path, n, "/openai/deployments/") ? LLM_PROVIDER_AZURE_OPENAI :
							    LLM_PROVIDER_OPENAI;
	} else if (n && (ends_with(path, n, "/v1/responses") ||
			 ends_with(path, n, "/openai/responses"))) {
		a = LLM_API_OPENAI_RESPONSES;
		/* Azure serves it at the root; gateways put /openai/ further in. */
		p = n > 8 && !memcmp(path, "/openai/", 8) ? LLM_PROVIDER_AZURE_OPENAI :
							    LLM_PROVIDER_OPENAI;
	} else if (n && ends_with(path, n, "/v1/messages")) {
		a = LLM_API_ANTHROPIC_MESSAGES;
		p = LLM_PROVIDER_ANTHROPIC;
	} else if (n && (seg = find(path, n, "/models/")) != NULL &&
		   (ends_with(path, n, ":generateContent") ||
		    ends_with(path, n, ":streamGenerateContent"))) {
		a = ends_with(path, n, ":generateContent") ? LLM_API_GEMINI_GENERATE :
							     LLM_API_GEMINI_STREAM;
		p = LLM_PROVIDER_GEMINI;
	} else if (n && ends_with(path, n, "/api/chat")) {
		a = LLM_API_OLLAMA_CHAT;
		p = LLM_PROVIDER_OLLAMA;
	} else if (n && ends_with(path, n, "/api/generate")) {
		a = LLM_API_OLLAMA_GENERATE;
		p = LLM_PROVIDER_OLLAMA;
	} else if ((!content_type || !content_type_len ||
		    find(content_type, content_type_len, "json")) &&
		   looks_jsonrpc(body, body_len)) {
		a = LLM_API_MCP;
		p = LLM_PROVIDER_MCP;
	}
	if (provider)
		*provider = p;
	return a;
}

static enum llm_provider provider_of(enum llm_api api)
{
	switch (api) {
	case LLM_API_OPENAI_CHAT:
	case LLM_API_OPENAI_RESPONSES:
		return LLM_PROVIDER_OPENAI;
	case LLM_API_ANTHROPIC_MESSAGES:
		return LLM_PROVIDER_ANTHROPIC;
	case LLM_API_GEMINI_GENERATE:
	case LLM_API_GEMINI_STREAM:
		return LLM_PROVIDER_GEMINI;
	case LLM_API_OLLAMA_CHAT:
	case LLM_API_OLLAMA_GENERATE:
		return LLM_PROVIDER_OLLAMA;
	case LLM_API_MCP:
		return LLM_PROVIDER_MCP;
	default:
		return LLM_PROVIDER_NONE;
	}
}

/* ---- requests ---- */

struct rq_box {
	struct llm_request r;
	struct arena a;
};

static void ring_push(struct rq_ctx *c, struct ring *r, const struct ritem *it)
{
	if (r->n < r->cap) {
		r->v[r->n++] = *it;
		return;
	}
	if (r->n == r->cap && r->cap < r->limit) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct ritem *v;

		if (cap > r->limit)
			cap = r->limit;
		v = realloc(r->v, cap * sizeof(*v));
		if (!v) {
			c->err = -ENOMEM;
			r->n++;
			return;
		}
		r->v = v;
		r->cap = cap;
		r->v[r->n++] = *it;
		return;
	}
	/* Full: the oldest goes. n > cap only ever happens at the limit. */
	if (r->cap)
		r->v[r->n % r->cap] = *it;
	r->n++;
}

/* The i-th kept item, oldest first. */
static const struct ritem *ring_at(const struct ring *r, size_t i)
{
	if (r->n <= r->cap)
		return &r->v[i];
	return &r->v[(r->n + i) % r->cap];
}

static size_t ring_kept(const struct ring *r)
{
	return r->n < r->cap ? r->n : r->cap;
}

void rq_model(struct rq_ctx *c, const char *s, size_t n)
{
	if (s && n)
		c->r->model = arena_str(c->a, s, n, LLM_STR_MAX) ?: "";
}

void rq_msg(struct rq_ctx *c, const char *role, size_t role_len, const json_t *content)
{
	struct ritem it = { .a = role, .a_len = role_len, .j = content };

	ring_push(c, &c->msgs, &it);
}

void rq_result(struct rq_ctx *c, const char *id, size_t id_len, const char *name, size_t name_len,
	       const json_t *content, bool is_error)
{
	struct ritem it = { .a = id,
			    .a_len = id_len,
			    .b = name,
			    .b_len = name_len,
			    .j = content,
			    .flag = is_error };

	ring_push(c, &c->results, &it);
}

void rq_call(struct rq_ctx *c, const char *id, size_t id_len, const char *name, size_t name_len,
	     const json_t *args)
{
	struct ritem it = { .a = id, .a_len = id_len, .b = name, .b_len = name_len, .j = args };

	ring_push(c, &c->calls, &it);
}

void rq_tool(struct rq_ctx *c, const char *name, size_t n)
{
	struct llm_request *r = c->r;

	if (!name)
		return;
	r->tools_total++;
	if (r->n_tools >= c->lim.max_tools)
		return;
	if (!r->tools) {
		r->tools = arena_alloc(c->a, c->lim.max_tools * sizeof(*r->tools));
		if (!r->tools) {
			c->err = -ENOMEM;
			return;
		}
	}
	r->tools[r->n_tools] = arena_str(c->a, name, n, LLM_STR_MAX);
	if (r->tools[r->n_tools])
		r->n_tools++;
}

void rq_system(struct rq_ctx *c, const json_t *content)
{
	c->have_sys = true;
	if (content_text(&c->doc, &c->sys, content, c->lim.max_text, false))
		c->err = -ENOMEM;
}

/*
 * Arguments as compact JSON when they are (or hold, as a string) JSON, else
 * raw. d: the document args is in.
 */
static void args_to(const struct jdoc *d, struct gbuf *g, const json_t *args, size_t max,
		    bool *is_json)
{
	const char *s;
	size_t n;

	*is_json = false;
	if (!args || json_is_null(args))
		return;
	if ((s = jtext(d, args, &n))) {
		/* A string of JSON text (OpenAI): its value, compact; else the text. */
		if (n && !jcompact(s, n, g, max)) {
			*is_json = true;
		} else {
			g->len = 0;
			g->total = 0;
			gbuf_add(g, s, n, max);
		}
		return;
	}
	*is_json = jdump(d, g, args, max, false) == 0;
}

static void args_text(const struct jdoc *d, struct arena *a, const json_t *args, size_t max,
		      struct llm_tool_call *tc)
{
	struct gbuf g = { 0 };

	args_to(d, &g, args, max, &tc->args_json);
	gbuf_text(a, &g, true, &tc->args);
	gbuf_free(&g);
}

static int rq_finish(struct rq_ctx *c)
{
	struct llm_request *r = c->r;
	struct gbuf g = { 0 };
	size_t i, n;

	if (c->have_sys)
		gbuf_text(c->a, &c->sys, true, &r->system);

	n = ring_kept(&c->msgs);
	r->messages_total = c->msgs.n;
	r->messages = n ? arena_alloc(c->a, n * sizeof(*r->messages)) : NULL;
	for (i = 0; r->messages && i < n; i++) {
		const struct ritem *it = ring_at(&c->msgs, i);
		struct llm_message *m = &r->messages[i];

		m->role = arena_str(c->a, it->a, it->a_len, LLM_STR_MAX);
		g.len = 0;
		g.total = 0;
		if (content_text(&c->doc, &g, it->j, c->lim.max_text, false))
			c->err = -ENOMEM;
		gbuf_text(c->a, &g, true, &m->text);
	}
	r->n_messages = r->messages ? n : 0;

	n = ring_kept(&c->results);
	r->tool_results_total = c->results.n;
	r->tool_results = n ? arena_alloc(c->a, n * sizeof(*r->tool_results)) : NULL;
	for (i = 0; r->tool_results && i < n; i++) {
		const struct ritem *it = ring_at(&c->results, i);
		struct llm_tool_result *t = &r->tool_results[i];

		t->tool_call_id = arena_str(c->a, it->a, it->a_len, LLM_STR_MAX);
		t->name = arena_str(c->a, it->b, it->b_len, LLM_STR_MAX);
		t->is_error = it->flag;
		g.len = 0;
		g.total = 0;
		if (content_text(&c->doc, &g, it->j, c->lim.max_text, true))
			c->err = -ENOMEM;
		gbuf_text(c->a, &g, true, &t->content);
	}
	r->n_tool_results = r->tool_results ? n : 0;

	n = ring_kept(&c->calls);
	r->tool_calls_total = c->calls.n;
	r->tool_calls = n ? arena_alloc(c->a, n * sizeof(*r->tool_calls)) : NULL;
	for (i = 0; r->tool_calls && i < n; i++) {
		const struct ritem *it = ring_at(&c->calls, i);
		struct llm_tool_call *t = &r->tool_calls[i];

		t->id = arena_str(c->a, it->a, it->a_len, LLM_STR_MAX);
		t->name = arena_str(c->a, it->b, it->b_len, LLM_STR_MAX);
		args_text(&c->doc, c->a, it->j, c->lim.max_args, t);
	}
	r->n_tool_calls = r->tool_calls ? n : 0;
	gbuf_free(&g);
	return c->a->nomem ? -ENOMEM : c->err;
}

/* Gemini names the model in the path: .../models/{model}:generateContent. */
static void model_from_path(struct rq_ctx *c, const char *path, size_t n, const char *after,
			    const char *end)
{
	const char *s = find(path, n, after), *e;

	if (!s)
		return;
	s += strlen(after);
	e = end ? memchr(s, end[0], path + n - s) : path + n;
	if (!e)
		e = path + n;
	e = memchr(s, '/', e - s) ?: e;
	if (e > s)
		rq_model(c, s, e - s);
}

int llm_request_parse(enum llm_api api, const char *target, size_t target_len, const uint8_t *body,
		      size_t body_len, const struct llm_limits *lim, struct llm_request **out)
{
	struct rq_ctx c = { 0 };
	struct rq_box *box;
	const char *path;
	size_t path_len;
	json_t *root;
	int err;

	if (!out || (!body && body_len))
		return -EINVAL;
	*out = NULL;
	if (provider_of(api) == LLM_PROVIDER_NONE)
		return -EINVAL;
	box = calloc(1, sizeof(*box));
	if (!box)
		return -ENOMEM;
	c.lim = limits_or_default(lim);
	c.r = &box->r;
	c.a = &box->a;
	c.msgs.limit = c.lim.max_messages;
	c.results.limit = c.lim.max_tool_calls;
	c.calls.limit = c.lim.max_tool_calls;
	box->r.api = api;
	box->r.provider = provider_of(api);
	box->r.model = "";
	target_path(target, target_len, &path, &path_len);

	err = body ? jdoc_parse(&c.doc, body, body_len) : -EBADMSG;
	if (err)
		goto out;
	root = c.doc.root;
	switch (api) {
	case LLM_API_OPENAI_CHAT:
		err = openai_chat_request(&c, root);
		if (!err && path_len && find(path, path_len, "/openai/deployments/")) {
			box->r.provider = LLM_PROVIDER_AZURE_OPENAI;
			if (!*box->r.model)
				model_from_path(&c, path, path_len, "/openai/deployments/", NULL);
		}
		break;
	case LLM_API_OPENAI_RESPONSES:
		err = openai_responses_request(&c, root);
		if (path_len > 8 && !memcmp(path, "/openai/", 8))
			box->r.provider = LLM_PROVIDER_AZURE_OPENAI;
		break;
	case LLM_API_ANTHROPIC_MESSAGES:
		err = anthropic_request(&c, root);
		break;
	case LLM_API_GEMINI_GENERATE:
	case LLM_API_GEMINI_STREAM:
		err = gemini_request(&c, root);
		if (!err && path_len)
			model_from_path(&c, path, path_len, "/models/", ":");
		box->r.stream = api == LLM_API_GEMINI_STREAM;
		break;
	case LLM_API_OLLAMA_CHAT:
	case LLM_API_OLLAMA_GENERATE:
		err = ollama_request(&c, root);
		break;
	case LLM_API_MCP:
		err = mcp_request(&c, root);
		break;
	default:
		err = -EINVAL;
		break;
	}
	if (!err)
		err = rq_finish(&c);
out:
	/* The record points into its arena only: the tree can go. */
	jdoc_free(&c.doc);
	free(c.msgs.v);
	free(c.results.v);
	free(c.calls.v);
	gbuf_free(&c.sys);
	if (err) {
		llm_request_free(&box->r);
		return err;
	}
	*out = &box->r;
	return 0;
}

void llm_request_free(struct llm_request *r)
{
	struct rq_box *box = (struct rq_box *)r;

	if (!r)
		return;
	arena_free(&box->a);
	free(box);
}

/* ---- the response builder ---- */

struct rs_box {
	struct llm_response r;
	struct arena a;
};

void b_set(struct llm_response_builder *b, char **dst, const char *s, size_t n, size_t max)
{
	char *p;

	if (!s)
		return;
	n = utf8_cut(s, n, max);
	p = malloc(n + 1);
	if (!p) {
		b->nomem = true;
		return;
	}
	memcpy(p, s, n);
	p[n] = 0;
	free(*dst);
	*dst = p;
}

void b_set_j(struct llm_response_builder *b, char **dst, const json_t *o, const char *key)
{
	size_t n;
	const char *s = jstr(o, key, &n);

	if (s && n)
		b_set(b, dst, s, n, LLM_STR_MAX);
}

void b_text(struct llm_response_builder *b, const char *s, size_t n)
{
	if (s && gbuf_add(&b->text, s, n, b->lim.max_text))
		b->nomem = true;
}

void b_text_j(struct llm_response_builder *b, const json_t *v)
{
	const char *s;
	size_t n;

	if ((s = jtext(b->doc, v, &n)))
		b_text(b, s, n);
}

void b_text_part(struct llm_response_builder *b, uint64_t key)
{
	if (b->text_part_any && b->text_part != key && b->text.total)
		b_text(b, "\n", 1);
	b->text_part_any = true;
	b->text_part = key;
}

struct tcacc *b_call(struct llm_response_builder *b, uint64_t key, bool create)
{
	struct tcacc *t;
	size_t i;

	/* Few calls per response (max_tool_calls): a scan beats a map. */
	for (i = b->n_tc; i-- > 0;)
		if (b->tc[i].key == key)
			return &b->tc[i];
	if (!create)
		return NULL;
	if (b->n_tc >= b->lim.max_tool_calls) {
		/*
		 * Not kept, only counted: the streams number calls in increasing
		 * order, so the highest key seen tells a new one from a fragment.
		 */
		if (!b->tc_over_any || key > b->tc_over_max) {
			b->tc_total++;
			b->tc_over_max = key;
			b->tc_over_any = true;
		}
		return NULL;
	}
	b->tc_total++;
	if (b->n_tc == b->cap_tc) {
		size_t cap = b->cap_tc ? b->cap_tc * 2 : 4;

		t = realloc(b->tc, cap * sizeof(*t));
		if (!t) {
			b->nomem = true;
			return NULL;
		}
		b->tc = t;
		b->cap_tc = cap;
	}
	t = &b->tc[b->n_tc++];
	memset(t, 0, sizeof(*t));
	t->key = key;
	return t;
}

void b_call_args(struct llm_response_builder *b, struct tcacc *t, const char *s, size_t n)
{
	if (t && s && gbuf_add(&t->args, s, n, b->lim.max_args))
		b->nomem = true;
}

void b_call_args_set(struct llm_response_builder *b, struct tcacc *t, const json_t *args)
{
	const char *s;
	size_t n;

	if (!t || !args)
		return;
	t->args.len = 0;
	t->args.total = 0;
	t->compact = false;
	if ((s = jtext(b->doc, args, &n))) {
		b_call_args(b, t, s, n);
		return;
	}
	if (jdump(b->doc, &t->args, args, b->lim.max_args, false))
		b->nomem = true;
	else
		t->compact = true;
}

void b_call_whole(struct llm_response_builder *b, const char *id, size_t id_len, const char *name,
		  size_t name_len, const json_t *args)
{
	/* Keys for whole calls never meet streamed indexes: they have the top bit. */
	struct tcacc *t = b_call(b, (1ull << 63) | b->tc_seq++, true);

	if (!t)
		return;
	b_set(b, &t->id, id, id_len, LLM_STR_MAX);
	b_set(b, &t->name, name, name_len, LLM_STR_MAX);
	b_call_args_set(b, t, args);
}

void b_calls_clear(struct llm_response_builder *b)
{
	for (size_t i = 0; i < b->n_tc; i++) {
		free(b->tc[i].id);
		free(b->tc[i].name);
		gbuf_free(&b->tc[i].args);
	}
	b->n_tc = 0;
	b->tc_total = 0;
	b->tc_seq = 0;
	b->tc_over_any = false;
}

void b_usage(int64_t *dst, const json_t *o, const char *key)
{
	int64_t v = jint(o, key, -1);

	if (v >= 0)
		*dst = v;
}

bool b_error_obj(struct llm_response_builder *b, const json_t *o)
{
	json_t *e = json_object_get(o, "error");
	size_t n;
	const char *s;

	if (!e || json_is_null(e))
		return false;
	s = jtext(b->doc, e, &n);
	if (!s)
		s = jtext(b->doc, json_object_get(e, "message"), &n);
	if (!s) {
		s = "error";
		n = 5;
	}
	b_set(b, &b->error, s, n, LLM_ERR_MAX);
	b->recognised = true;
	b->terminal = true;
	return true;
}

int llm_response_builder_new(enum llm_api api, const struct llm_limits *lim,
			     struct llm_response_builder **out)
{
	struct llm_response_builder *b;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (provider_of(api) == LLM_PROVIDER_NONE)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->api = api;
	b->lim = limits_or_default(lim);
	b->usage = (struct llm_usage){ -1, -1, -1, -1 };
	*out = b;
	return 0;
}

void llm_response_builder_free(struct llm_response_builder *b)
{
	if (!b)
		return;
	gbuf_free(&b->elem);
	gbuf_free(&b->scratch);
	gbuf_free(&b->text);
	b_calls_clear(b);
	free(b->tc);
	free(b->model);
	free(b->stop);
	free(b->error);
	free(b->mcp_id);
	gbuf_free(&b->mcp_result);
	for (size_t i = 0; i < b->n_mcp_tools; i++)
		free(b->mcp_tools[i]);
	free(b->mcp_tools);
	free(b);
}

static void on_json(struct llm_response_builder *b, const json_t *j)
{
	switch (b->api) {
	case LLM_API_OPENAI_CHAT:
		openai_chat_on_json(b, j);
		break;
	case LLM_API_OPENAI_RESPONSES:
		openai_responses_on_json(b, j);
		break;
	case LLM_API_ANTHROPIC_MESSAGES:
		anthropic_on_json(b, j);
		break;
	case LLM_API_GEMINI_GENERATE:
	case LLM_API_GEMINI_STREAM:
		gemini_on_json(b, j);
		break;
	case LLM_API_OLLAMA_CHAT:
	case LLM_API_OLLAMA_GENERATE:
		ollama_on_json(b, j);
		break;
	case LLM_API_MCP:
		mcp_on_json(b, j);
		break;
	default:
		break;
	}
}

/*
 * The events that make up nearly all of a stream (a text or arguments delta)
 * read without building a tree: true when handled. Anything else, or
 * anything they are not sure of, goes to jansson.
 */
static bool fast_event(struct llm_response_builder *b, const char *d, size_t n)
{
	switch (b->api) {
	case LLM_API_OPENAI_CHAT:
		return openai_chat_fast(b, d, n);
	case LLM_API_ANTHROPIC_MESSAGES:
		return anthropic_fast(b, d, n);
	case LLM_API_OPENAI_RESPONSES:
		return openai_responses_fast(b, d, n);
	case LLM_API_OLLAMA_CHAT:
	case LLM_API_OLLAMA_GENERATE:
		return ollama_fast(b, d, n);
	default:
		return false;
	}
}

static void parse_one(struct llm_response_builder *b, const void *d, size_t n)
{
	struct jdoc doc;

	if (!b->slow_only && n < JSTR_BIG && fast_event(b, d, n)) {
		b->elems++;
		return;
	}
	if (!jdoc_parse(&doc, d, n)) {
		b->elems++;
		b->doc = &doc;
		on_json(b, doc.root);
		b->doc = NULL;
	}
	jdoc_free(&doc);
}

int llm_response_feed_sse(struct llm_response_builder *b, const char *event, size_t event_len,
			  const char *data, size_t data_len)
{
	size_t i = 0;

	if (!b || (!data && data_len))
		return -EINVAL;
	b->sse = true;
	b->body_bytes += data_len;
	(void)event;
	(void)event_len;
	while (i < data_len &&
	       (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
		i++;
	if (data_len - i >= 6 && !memcmp(data + i, "[DONE]", 6)) {
		/* OpenAI's end of stream. */
		b->terminal = true;
		return 0;
	}
	/*
	 * The event type is in the data too for every API that names one
	 * (Anthropic, Responses); MCP's are all "message". The data decides.
	 */
	if (i < data_len && (data[i] == '{' || data[i] == '['))
		parse_one(b, data + i, data_len - i);
	if (b->nomem) {
		b->nomem = false;
		return -ENOMEM;
	}
	return 0;
}

/* A whole element is in d[0..n): parse it, from the piece or from what was kept. */
static void elem_done(struct llm_response_builder *b, const uint8_t *d, size_t n, bool kept)
{
	if (!kept) {
		/* The same bound whether the value came in one piece or many. */
		if (n > b->lim.max_body)
			b->body_truncated = true;
		else
			parse_one(b, d, n);
		return;
	}
	if (gbuf_add(&b->elem, (const char *)d, n, b->lim.max_body))
		b->elem_over = true;
	if (b->elem_over || b->elem.total > b->elem.len)
		b->body_truncated = true;
	else
		parse_one(b, b->elem.p, b->elem.len);
	b->elem.len = 0;
	b->elem.total = 0;
	b->elem_over = false;
}

static bool is_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int llm_response_feed_body(struct llm_response_builder *b, const uint8_t *data, size_t len)
{
	struct jsplit *s;
	size_t i = 0, start = 0;
	bool kept;

	if (!b || (!data && len))
		return -EINVAL;
	s = &b->sp;
	b->body_bytes += len;
	/* An element begun in an earlier piece is in b->elem. */
	kept = s->in_elem;
	while (i < len) {
		uint8_t c = data[i];

		if (s->in_elem) {
			if (s->in_str) {
				if (s->esc) {
					s->esc = false; /* the escaped byte, '"' or not */
					i++;
					continue;
				}
				/*
				 * Only '"' and '\\' matter in a string, and strings
				 * are most of a body (a reply's text, a tool call's
				 * arguments): skipped many bytes a step. A control
				 * byte stops the skip too; the split steps over it
				 * (the parser judges the element).
				 */
				i += bufutil_json_plain((const char *)data + i, len - i, false);
				if (i == len)
					break;
				if (data[i] == '\\')
					s->esc = true;
				else if (data[i] == '"')
					s->in_str = false;
				i++;
				continue;
			}
			if (c == '"') {
				s->in_str = true;
			} else if (c == '{' || c == '[') {
				s->depth++;
			} else if (c == '}' || c == ']') {
				if (!--s->depth) {
					s->in_elem = false;
					elem_done(b, data + start, i + 1 - start, kept);
					kept = false;
				}
			}
			i++;
			continue;
		}
		if (is_ws(c)) {
			i++;
			continue;
		}
		if (c == '[' && !s->outer && !s->seen) {
			/* One array of objects: Gemini's stream, a JSON-RPC batch. */
			s->outer = true;
			s->seen = true;
			b->stream_hint = true;
		} else if (c == '{' || c == '[') {
			s->in_elem = true;
			s->seen = true;
			s->depth = 1;
			start = i;
		} else if (c == ']' && s->outer) {
			s->outer = false;
			s->outer_closed = true;
		}
		/* Commas between elements, and junk, are skipped. */
		i++;
	}
	if (s->in_elem) {
		if (gbuf_add(&b->elem, (const char *)data + start, len - start, b->lim.max_body))
			b->elem_over = true;
	}
	if (b->nomem) {
		b->nomem = false;
		return -ENOMEM;
	}
	return 0;
}

static const char *cstr(struct arena *a, const char *s)
{
	return arena_str(a, s ?: "", s ? strlen(s) : 0, LLM_ERR_MAX) ?: "";
}

static void tool_call_out(struct llm_response_builder *b, struct arena *a, struct tcacc *t,
			  struct llm_tool_call *o)
{
	o->id = cstr(a, t->id);
	o->name = cstr(a, t->name);
	if (t->empty_obj && !t->args.total) {
		gbuf_add(&t->args, "{}", 2, b->lim.max_args);
		t->compact = true;
	}
	if (t->compact || t->args.total > t->args.len) {
		/* Ours, or cut: either way not to be parsed again. */
		o->args_json = t->compact;
		gbuf_text(a, &t->args, true, &o->args);
		return;
	}
	if (t->args.len) {
		struct gbuf g = { 0 };

		o->args_json = jcompact(t->args.p, t->args.len, &g, b->lim.max_args) == 0;
		gbuf_text(a, o->args_json ? &g : &t->args, true, &o->args);
		gbuf_free(&g);
		return;
	}
	gbuf_text(a, &t->args, true, &o->args);
}

int llm_response_finish(struct llm_response_builder *b, int http_status, bool complete,
			struct llm_response **out)
{
	struct llm_response *r;
	struct rs_box *box;
	struct arena *a;
	size_t i;
	int err = 0;

	if (!b || !out)
		return -EINVAL;
	*out = NULL;
	box = calloc(1, sizeof(*box));
	if (!box)
		return -ENOMEM;
	r = &box->r;
	a = &box->a;
	/* A value still open at the end was cut: never parsed. */
	if (b->sp.in_elem && (b->elem.total > b->elem.len || b->elem_over))
		b->body_truncated = true;
	r->provider = provider_of(b->api);
	r->api = b->api;
	r->model = cstr(a, b->model);
	r->stream = b->sse || (b->stream_hint && b->api != LLM_API_MCP);
	if (b->api == LLM_API_GEMINI_STREAM && b->sp.outer_closed)
		b->terminal = true;
	r->complete = complete && b->terminal && !b->sp.in_elem;
	r->http_status = http_status;
	gbuf_text(a, &b->text, false, &r->text);
	r->tool_calls_total = b->tc_total;
	r->tool_calls = b->n_tc ? arena_alloc(a, b->n_tc * sizeof(*r->tool_calls)) : NULL;
	for (i = 0; r->tool_calls && i < b->n_tc; i++)
		tool_call_out(b, a, &b->tc[i], &r->tool_calls[i]);
	r->n_tool_calls = r->tool_calls ? b->n_tc : 0;
	r->stop_reason = cstr(a, b->stop);
	r->usage = b->usage;
	if (!b->recognised && !b->error)
		b_set(b, &b->error, "unrecognised body", 17, LLM_ERR_MAX);
	r->error = b->error ? cstr(a, b->error) : NULL;
	r->mcp_id = b->mcp_id ? cstr(a, b->mcp_id) : NULL;
	if (b->api == LLM_API_MCP)
		gbuf_text(a, &b->mcp_result, b->mcp_have_result, &r->mcp_result);
	r->mcp_is_error = b->mcp_is_error;
	r->mcp_tools_total = b->mcp_tools_total;
	r->mcp_tools = b->n_mcp_tools ? arena_alloc(a, b->n_mcp_tools * sizeof(char *)) : NULL;
	for (i = 0; r->mcp_tools && i < b->n_mcp_tools; i++)
		r->mcp_tools[i] = cstr(a, b->mcp_tools[i]);
	r->n_mcp_tools = r->mcp_tools ? b->n_mcp_tools : 0;
	r->body_bytes = b->body_bytes;
	r->body_truncated = b->body_truncated;
	if (a->nomem || b->nomem) {
		b->nomem = false;
		err = -ENOMEM;
		llm_response_free(r);
		return err;
	}
	*out = r;
	return b->recognised ? 0 : -EBADMSG;
}

void llm_response_free(struct llm_response *r)
{
	struct rs_box *box = (struct rs_box *)r;

	if (!r)
		return;
	arena_free(&box->a);
	free(box);
}

// SPDX-License-Identifier: Apache-2.0
/*
 * Server-sent events splitter. See sse.h; the algorithm is the WHATWG one,
 * driven a byte (or a run of value bytes) at a time so that where the input
 * was cut never matters.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "warden/bufutil.h"
#include "warden/decode/sse.h"

/* Longest field name that means something: "event", "retry". */
#define NAME_MAX_KNOWN 5

enum line_state {
	LS_START, /* at the beginning of a line */
	LS_NAME,
	LS_VALUE_FIRST, /* just after the colon: one space is dropped */
	LS_VALUE,
	LS_COMMENT,
};

enum field { F_DATA, F_EVENT, F_ID, F_RETRY, F_UNKNOWN };

/* A growable byte buffer with a cap; one more byte is kept for a NUL. */
struct sbuf {
	char *p;
	size_t len, cap;
};

struct sse_parser {
	struct sse_limits lim;
	sse_event_cb cb;
	void *arg;
	struct sse_stats st;
	bool nomem;

	unsigned int bom; /* BOM bytes matched at the start; 3: past it */
	bool after_cr; /* an LF right now completes a CRLF, not a new line */
	enum line_state ls;
	char name[NAME_MAX_KNOWN];
	size_t name_len;
	enum field field;
	bool field_cut; /* this value hit max_field */

	struct sbuf data;
	uint64_t data_total;
	bool have_data; /* a data line since the last dispatch */
	struct sbuf event;
	struct sbuf id; /* the last event id */
	struct sbuf id_new; /* an id value being read */
	bool id_nul;
	int64_t retry;
	int64_t retry_new;
	bool retry_ok;
	uint64_t seq;
};

struct sse_limits sse_limits_default(void)
{
	return (struct sse_limits){
		.max_data = 1 << 20,
		.max_field = 1 << 10,
	};
}

/*
 * Append what fits under max bytes (plus the NUL's room); false when something
 * was left out.
 */
static bool sbuf_add(struct sse_parser *p, struct sbuf *b, const void *src, size_t n, size_t max)
{
	size_t take = max - b->len < n ? max - b->len : n;

	if (b->len + take + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *q;

		while (cap < b->len + take + 1)
			cap *= 2;
		if (cap > max + 1)
			cap = max + 1;
		q = realloc(b->p, cap);
		if (!q) {
			p->nomem = true;
			p->st.alloc_failures++;
			return false;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, src, take);
	b->len += take;
	return take == n;
}

static const char *sbuf_str(struct sbuf *b)
{
	if (!b->p)
		return "";
	b->p[b->len] = 0;
	return b->p;
}

static void data_add(struct sse_parser *p, const void *src, size_t n)
{
	p->data_total += n;
	if (p->data.len < p->lim.max_data || !n)
		sbuf_add(p, &p->data, src, n, p->lim.max_data);
}

static void field_add(struct sse_parser *p, struct sbuf *b, const void *src, size_t n)
{
	if (!sbuf_add(p, b, src, n, p->lim.max_field) && !p->field_cut) {
		p->field_cut = true;
		p->st.fields_truncated++;
	}
}

/* A blank line. */
static void dispatch(struct sse_parser *p)
{
	struct sse_event ev = { 0 };
	uint64_t total;

	if (!p->have_data) {
		/* Nothing to dispatch; the event type does not carry over. */
		p->event.len = 0;
		return;
	}
	/* Every data line added a "\n": the last one goes. */
	total = p->data_total - 1;
	if (p->data.len > total)
		p->data.len = total;
	ev.seq = p->seq++;
	ev.data = sbuf_str(&p->data);
	ev.data_len = p->data.len;
	ev.data_total = total;
	ev.data_truncated = total > p->data.len;
	if (p->event.len) {
		ev.event = sbuf_str(&p->event);
		ev.event_len = p->event.len;
	} else {
		ev.event = "message";
		ev.event_len = 7;
	}
	ev.id = sbuf_str(&p->id);
	ev.id_len = p->id.len;
	ev.retry = p->retry;
	p->st.events++;
	if (ev.data_truncated)
		p->st.data_truncated++;
	if (p->cb)
		p->cb(&ev, p->arg);
	p->data.len = 0;
	p->data_total = 0;
	p->have_data = false;
	p->event.len = 0;
}

/* The name is complete (at the colon or the line end). */
static void field_begin(struct sse_parser *p)
{
	static const struct {
		const char *name;
		size_t len;
		enum field f;
	} known[] = { { "data", 4, F_DATA },
		      { "event", 5, F_EVENT },
		      { "id", 2, F_ID },
		      { "retry", 5, F_RETRY } };

	p->field = F_UNKNOWN;
	p->field_cut = false;
	/* Once a line: the lengths are in the table, not a strlen each. */
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (p->name_len == known[i].len && !memcmp(p->name, known[i].name, p->name_len))
			p->field = known[i].f;
	switch (p->field) {
	case F_DATA:
		p->have_data = true;
		break;
	case F_EVENT:
		p->event.len = 0;
		break;
	case F_ID:
		p->id_new.len = 0;
		p->id_nul = false;
		break;
	case F_RETRY:
		p->retry_new = 0;
		p->retry_ok = false;
		break;
	case F_UNKNOWN:
		p->st.unknown_fields++;
		break;
	}
}

static void field_value(struct sse_parser *p, const uint8_t *v, size_t n)
{
	switch (p->field) {
	case F_DATA:
		data_add(p, v, n);
		break;
	case F_EVENT:
		field_add(p, &p->event, v, n);
		break;
	case F_ID:
		if (memchr(v, 0, n))
			p->id_nul = true;
		field_add(p, &p->id_new, v, n);
		break;
	case F_RETRY:
		for (size_t i = 0; i < n; i++) {
			if (v[i] < '0' || v[i] > '9') {
				p->retry_new = -1;
				break;
			}
			if (p->retry_new < 0)
				break;
			/* Saturate: a reconnection time of centuries is still "never soon". */
			p->retry_new = p->retry_new > (INT64_MAX - 9) / 10 ?
					       INT64_MAX :
					       p->retry_new * 10 + (v[i] - '0');
			p->retry_ok = true;
		}
		break;
	case F_UNKNOWN:
		break;
	}
}

static void field_end(struct sse_parser *p)
{
	struct sbuf t;

	switch (p->field) {
	case F_DATA:
		data_add(p, "\n", 1);
		break;
	case F_ID:
		/* An id with a NUL is ignored, the previous one stands. */
		if (p->id_nul)
			break;
		t = p->id;
		p->id = p->id_new;
		p->id_new = t;
		break;
	case F_RETRY:
		if (p->retry_ok && p->retry_new >= 0)
			p->retry = p->retry_new;
		break;
	default:
		break;
	}
}

static void line_end(struct sse_parser *p)
{
	switch (p->ls) {
	case LS_START:
		dispatch(p);
		break;
	case LS_NAME:
		/* No colon: the whole line is the name, the value is empty. */
		field_begin(p);
		field_end(p);
		break;
	case LS_VALUE_FIRST:
	case LS_VALUE:
		field_end(p);
		break;
	case LS_COMMENT:
		break;
	}
	p->ls = LS_START;
}

static void feed_bytes(struct sse_parser *p, const uint8_t *d, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		uint8_t c = d[i];

		if (p->after_cr) {
			p->after_cr = false;
			if (c == '\n') {
				i++;
				continue;
			}
		}
		if (c == '\r' || c == '\n') {
			line_end(p);
			p->after_cr = c == '\r';
			i++;
			continue;
		}
		switch (p->ls) {
		case LS_START:
			if (c == ':') {
				p->st.comments++;
				p->ls = LS_COMMENT;
				i++;
				break;
			}
			p->ls = LS_NAME;
			p->name_len = 0;
			/* fallthrough */
		case LS_NAME:
			if (c == ':') {
				field_begin(p);
				p->ls = LS_VALUE_FIRST;
			} else if (p->name_len < NAME_MAX_KNOWN) {
				p->name[p->name_len++] = c;
			} else {
				/* Too long for a known name: make sure it matches none. */
				p->name_len = NAME_MAX_KNOWN + 1;
			}
			i++;
			break;
		case LS_VALUE_FIRST:
			p->ls = LS_VALUE;
			if (c == ' ') {
				i++;
				break;
			}
			/* fallthrough */
		case LS_VALUE:
			k = bufutil_find_eol((const char *)d + i, n - i);
			field_value(p, d + i, k);
			i += k;
			break;
		case LS_COMMENT:
			i += bufutil_find_eol((const char *)d + i, n - i);
			break;
		}
	}
}

int sse_parser_new(const struct sse_limits *lim, sse_event_cb cb, void *arg,
		   struct sse_parser **out)
{
	struct sse_parser *p;

	if (!out)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->lim = lim ? *lim : sse_limits_default();
	p->cb = cb;
	p->arg = arg;
	p->retry = -1;
	*out = p;
	return 0;
}

void sse_parser_free(struct sse_parser *p)
{
	if (!p)
		return;
	free(p->data.p);
	free(p->event.p);
	free(p->id.p);
	free(p->id_new.p);
	free(p);
}

int sse_feed(struct sse_parser *p, const uint8_t *data, size_t len)
{
	static const uint8_t bom[3] = { 0xef, 0xbb, 0xbf };

	if (!p || (!data && len))
		return -EINVAL;
	p->nomem = false;
	p->st.bytes += len;
	/* The BOM may itself arrive in pieces; a partial one that fails is text. */
	while (p->bom < 3 && len) {
		if (data[0] != bom[p->bom]) {
			unsigned int matched = p->bom;

			p->bom = 3;
			feed_bytes(p, bom, matched);
			break;
		}
		p->bom++;
		data++;
		len--;
	}
	feed_bytes(p, data, len);
	return p->nomem ? -ENOMEM : 0;
}

void sse_end(struct sse_parser *p)
{
	if (!p)
		return;
	/* No blank line, no event (WHATWG: pending data is discarded at the end). */
	if (p->have_data || p->ls == LS_NAME || p->ls == LS_VALUE_FIRST || p->ls == LS_VALUE)
		p->st.events_incomplete++;
	p->bom = 0;
	p->after_cr = false;
	p->ls = LS_START;
	p->data.len = 0;
	p->data_total = 0;
	p->have_data = false;
	p->event.len = 0;
	p->id.len = 0;
	p->retry = -1;
	p->seq = 0;
}

void sse_get_stats(const struct sse_parser *p, struct sse_stats *out)
{
	if (p)
		*out = p->st;
	else
		memset(out, 0, sizeof(*out));
}

// SPDX-License-Identifier: Apache-2.0
/*
 * The SSE splitter over hostile bytes, cut into hostile pieces.
 *
 * Input: [flags] [seed] [stream...]; flags bit 0: tiny limits, bit 1: end
 * the stream half-way and go on (the parser must be as new). The stream is
 * parsed whole and cut where the seed says: both must report the same
 * events, within the limits.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "warden/bufutil.h"
#include "warden/decode/sse.h"

struct log {
	uint8_t *p;
	size_t len, cap;
	const struct sse_limits *lim;
};

static void add(struct log *l, const void *d, size_t n)
{
	if (l->len + n > l->cap) {
		size_t cap = (l->len + n) * 2 + 256;
		uint8_t *p = realloc(l->p, cap);

		if (!p)
			abort();
		l->p = p;
		l->cap = cap;
	}
	memcpy(l->p + l->len, d, n);
	l->len += n;
}

static void add_u64(struct log *l, uint64_t v)
{
	add(l, &v, sizeof(v));
}

static void on_event(const struct sse_event *ev, void *arg)
{
	struct log *l = arg;

	if (ev->data_len > l->lim->max_data || ev->data_len > ev->data_total ||
	    ev->data_truncated != (ev->data_len < ev->data_total) ||
	    (ev->event_len > l->lim->max_field && strcmp(ev->event, "message")) ||
	    ev->id_len > l->lim->max_field || ev->event[ev->event_len] || ev->data[ev->data_len] ||
	    ev->id[ev->id_len] || !ev->event_len || ev->retry < -1 || memchr(ev->id, 0, ev->id_len))
		__builtin_trap();
	add(l, "E", 1);
	add_u64(l, ev->seq);
	add_u64(l, ev->data_total);
	add_u64(l, (uint64_t)ev->retry);
	add_u64(l, ev->event_len);
	add(l, ev->event, ev->event_len);
	add_u64(l, ev->id_len);
	add(l, ev->id, ev->id_len);
	add_u64(l, ev->data_len);
	add(l, ev->data, ev->data_len);
}

static uint32_t rnd(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

static void run(const struct sse_limits *lim, const uint8_t *d, size_t len, size_t end_at,
		uint32_t seed, struct log *l)
{
	struct sse_parser *p;
	struct sse_stats st;
	size_t pos = 0;

	memset(l, 0, sizeof(*l));
	l->lim = lim;
	if (sse_parser_new(lim, on_event, l, &p))
		abort();
	while (pos < len) {
		size_t n = len - pos;

		if (seed)
			n = 1 + rnd(&seed) % (n < 48 ? n : 48);
		if (end_at > pos && end_at - pos < n)
			n = end_at - pos;
		if (sse_feed(p, d + pos, n))
			__builtin_trap();
		pos += n;
		if (pos == end_at) {
			sse_end(p);
			add(l, "X", 1);
		}
	}
	sse_end(p);
	sse_get_stats(p, &st);
	if (st.bytes != len)
		__builtin_trap();
	add(l, &st, sizeof(st));
	sse_parser_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sse_limits lim = sse_limits_default();
	struct log whole, split;
	size_t end_at = SIZE_MAX;
	uint32_t seed;

	if (size < 2)
		return 0;
	if (data[0] & 1) {
		lim.max_data = 7;
		lim.max_field = 3;
	}
	if (data[0] & 2)
		end_at = (size - 2) / 2;
	seed = data[1] | 0x100;
	data += 2;
	size -= 2;
	/* The line splitter's search: the first CR or LF, as a byte loop finds it. */
	{
		size_t eol = bufutil_find_eol((const char *)data, size), i = 0;

		while (i < size && data[i] != '\r' && data[i] != '\n')
			i++;
		if (eol != i)
			__builtin_trap();
	}
	run(&lim, data, size, end_at, 0, &whole);
	run(&lim, data, size, end_at, seed, &split);
	if (whole.len != split.len || memcmp(whole.p, split.p, whole.len))
		__builtin_trap();
	free(whole.p);
	free(split.p);
	return 0;
}

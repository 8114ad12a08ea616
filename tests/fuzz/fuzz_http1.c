// SPDX-License-Identifier: Apache-2.0
/*
 * The HTTP/1 stream decoder over hostile bytes, cut into hostile pieces.
 *
 * Input: [flags] [seed] [gap position: 2 bytes] [gap length] [stream...]
 *   flags bit 0: a request stream (else responses)
 *         bit 1: tiny limits, so that every bound is hit
 *         bit 2: report lost bytes at the gap position
 *         bit 3: no on_message callback (nothing kept)
 * The stream is decoded twice: whole, and cut where the seed says. Both
 * must report exactly the same things; every report must respect the limits.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "warden/decode/http1.h"

struct log {
	uint8_t *p;
	size_t len, cap;
	const struct http1_limits *lim;
	bool keep; /* on_message is set */
	bool in_msg; /* between on_headers and on_message */
	bool last_body; /* body bytes since the last other report */
	uint64_t body_hash;
	uint64_t fed; /* bytes fed or reported lost so far */
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

static void add_slice(struct log *l, struct http1_slice s)
{
	/* Slices point into the decoder's memory: ASan checks every byte is there. */
	add_u64(l, s.len);
	if (s.len)
		add(l, s.ptr, s.len);
	add_u64(l, s.ptr != NULL);
}

static uint64_t fnv(uint64_t h, const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ d[i]) * 0x100000001b3ull;
	return h;
}

/*
 * Body bytes come in pieces cut as the input was: runs of them are compared
 * by content, logged when anything else is reported.
 */
static void flush_body(struct log *l)
{
	if (!l->last_body)
		return;
	add(l, "B", 1);
	add_u64(l, l->body_hash);
	l->last_body = false;
}

static void check_message(struct log *l, const struct http1_message *m)
{
	if (m->n_headers > l->lim->max_headers || (m->n_headers && !m->headers))
		__builtin_trap();
	if (m->stream_offset > l->fed)
		__builtin_trap();
	if ((m->coding == HTTP1_CODING_GZIP || m->coding == HTTP1_CODING_DEFLATE) &&
	    m->body_total > l->lim->max_decoded)
		__builtin_trap();
	if (m->body_undecoded != (m->coding == HTTP1_CODING_OTHER))
		__builtin_trap();
}

static void on_headers(const struct http1_message *m, void *arg)
{
	struct log *l = arg;

	if (l->keep && l->in_msg)
		__builtin_trap();
	l->in_msg = true;
	flush_body(l);
	check_message(l, m);
	add(l, "H", 1);
	add_u64(l, m->seq);
	add_u64(l, m->stream_offset);
	add_u64(l, m->is_request | m->version_minor << 1 | m->chunked << 2 | m->until_close << 3 |
			   m->upgrade << 4 | m->has_content_length << 5 | (uint64_t)m->coding << 8);
	add_u64(l, m->status);
	add_u64(l, m->content_length);
	add_slice(l, m->method);
	add_slice(l, m->target);
	add_slice(l, m->reason);
	add_slice(l, m->host);
	add_slice(l, m->content_type);
	add_slice(l, m->content_encoding);
	add_slice(l, m->transfer_encoding);
	add_u64(l, m->n_headers);
	for (size_t i = 0; i < m->n_headers; i++) {
		add_slice(l, m->headers[i].name);
		add_slice(l, m->headers[i].value);
	}
}

static void on_body(const struct http1_message *m, const uint8_t *d, size_t n, void *arg)
{
	struct log *l = arg;

	if (!l->in_msg || !n || !d)
		__builtin_trap();
	check_message(l, m);
	if (!l->last_body)
		l->body_hash = 0xcbf29ce484222325ull;
	l->body_hash = fnv(l->body_hash, d, n);
	l->last_body = true;
}

static void on_message(const struct http1_message *m, void *arg)
{
	struct log *l = arg;

	if (!l->in_msg)
		__builtin_trap();
	l->in_msg = false;
	flush_body(l);
	check_message(l, m);
	if (m->body_len > m->body_total || m->body_len > l->lim->max_body ||
	    (m->body_len && !m->body) || m->body_truncated != (m->body_len < m->body_total))
		__builtin_trap();
	add(l, "M", 1);
	add_u64(l, m->seq);
	add_u64(l, m->complete | m->body_truncated << 1 | m->decode_truncated << 2 |
			   m->decode_error << 3);
	add_u64(l, m->wire_len);
	add_u64(l, m->body_total);
	add_u64(l, m->body_len);
	if (m->body_len)
		add(l, m->body, m->body_len);
}

static void on_error(int err, const char *what, uint64_t off, void *arg)
{
	struct log *l = arg;

	if (!what || !*what || err >= 0 || off > l->fed)
		__builtin_trap();
	flush_body(l);
	add(l, "E", 1);
	add_u64(l, (uint64_t)err);
	add(l, what, strlen(what));
	add_u64(l, off);
}

static uint32_t rnd(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

static void feed(struct http1_stream *s, struct log *l, const uint8_t *d, size_t n)
{
	l->fed += n;
	if (http1_feed(s, d, n))
		__builtin_trap();
}

/*
 * Decode d[0..len) with missing bytes at gap (SIZE_MAX: none): cut at random
 * sizes when seed is nonzero. The log collects every report and the stats.
 */
static void run(const struct http1_limits *lim, bool keep, const uint8_t *d, size_t len, size_t gap,
		uint64_t missing, uint32_t seed, struct log *l)
{
	struct http1_callbacks cb = {
		.on_headers = on_headers,
		.on_body = on_body,
		.on_message = keep ? on_message : NULL,
		.on_error = on_error,
	};
	struct http1_stream *s;
	struct http1_stats st;
	size_t pos = 0;

	memset(l, 0, sizeof(*l));
	l->lim = lim;
	l->keep = keep;
	if (http1_stream_new(lim, &cb, l, &s))
		abort();
	while (pos < len || pos == gap) {
		size_t n = len - pos;

		if (pos == gap) {
			l->fed += missing;
			http1_gap(s, missing);
			gap = SIZE_MAX;
			pos += missing < len - pos ? missing : len - pos;
			continue;
		}
		if (seed)
			n = 1 + rnd(&seed) % (n < 64 ? n : 64);
		if (gap > pos && gap - pos < n)
			n = gap - pos;
		feed(s, l, d + pos, n);
		pos += n;
	}
	http1_end(s);
	flush_body(l);
	if (keep && l->in_msg)
		__builtin_trap();
	http1_get_stats(s, &st);
	if (st.bytes != l->fed || st.messages_incomplete > st.messages)
		__builtin_trap();
	add(l, "S", 1);
	add(l, &st, sizeof(st));
	http1_stream_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http1_limits lim = http1_limits_default();
	struct log whole, split;
	size_t gap = SIZE_MAX;
	uint64_t missing = 0;
	uint8_t flags;
	uint32_t seed;

	if (size < 5)
		return 0;
	flags = data[0];
	seed = data[1] | 0x100;
	if (flags & 4) {
		gap = data[2] | data[3] << 8;
		missing = data[4];
	}
	data += 5;
	size -= 5;
	if (gap != SIZE_MAX && gap > size)
		gap = size;
	lim.is_request_stream = flags & 1;
	if (flags & 2) {
		lim.max_start_line = 24;
		lim.max_head = 80;
		lim.max_headers = 3;
		lim.max_body = 9;
		lim.max_decoded = 50;
	}
	run(&lim, !(flags & 8), data, size, gap, missing, 0, &whole);
	run(&lim, !(flags & 8), data, size, gap, missing, seed, &split);
	if (whole.len != split.len || memcmp(whole.p, split.p, whole.len))
		__builtin_trap();
	free(whole.p);
	free(split.p);
	return 0;
}

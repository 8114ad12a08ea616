// SPDX-License-Identifier: Apache-2.0
/*
 * The HTTP/2 connection decoder over hostile bytes, cut into hostile pieces.
 *
 * Input: [flags] [seed] [gap record] [records...], a record being a 2-byte
 * big-endian header (bit 15: the server direction, the rest: a length) and
 * that many bytes, the last one cut short if the input is.
 *   flags bit 0: tiny limits, so that every bound is hit
 *         bit 1: report the gap record as lost bytes instead of feeding it
 *         bit 2: no on_message callback (nothing kept)
 *         bit 3: end the connection half-way through the records and go on
 * The records are decoded twice: each fed whole, and each cut where the seed
 * says. Both must report exactly the same things; every report must respect
 * the limits.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "warden/decode/http2.h"

struct log {
	uint8_t *p;
	size_t len, cap;
	const struct http2_limits *lim;
	bool keep; /* on_message is set */
	int64_t open; /* on_headers not yet matched by on_message */
	bool last_body; /* body bytes since the last other report */
	uint64_t body_hash;
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

static void add_slice(struct log *l, struct http2_slice s)
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

/* Body bytes come in pieces cut as the input was: runs are compared by content. */
static void flush_body(struct log *l)
{
	if (!l->last_body)
		return;
	add(l, "B", 1);
	add_u64(l, l->body_hash);
	l->last_body = false;
}

static void check_message(struct log *l, const struct http2_message *m)
{
	if (m->n_headers > l->lim->max_headers || (m->n_headers && !m->headers) ||
	    (m->is_request ? !m->method.ptr || m->status : m->status < 200 || m->status > 999) ||
	    !m->stream_id || m->stream_id > 0x7fffffff)
		__builtin_trap();
	flush_body(l);
	add_u64(l, m->stream_id);
	add_u64(l, m->is_request);
	add_slice(l, m->method);
	add_slice(l, m->path);
	add_slice(l, m->authority);
	add_slice(l, m->scheme);
	add_u64(l, (uint64_t)m->status);
	add_u64(l, m->n_headers);
	for (size_t i = 0; i < m->n_headers; i++) {
		add_slice(l, m->headers[i].name);
		add_slice(l, m->headers[i].value);
	}
	add_slice(l, m->content_type);
	add_slice(l, m->content_encoding);
	add_u64(l, m->coding);
	add_u64(l, m->body_undecoded);
	add_u64(l, m->headers_truncated);
	add_u64(l, m->has_content_length);
	add_u64(l, m->content_length);
}

static void on_headers(const struct http2_message *m, void *arg)
{
	struct log *l = arg;

	l->open++;
	add(l, "H", 1);
	check_message(l, m);
}

static void on_body(const struct http2_message *m, const uint8_t *d, size_t n, void *arg)
{
	struct log *l = arg;

	if (!n || l->open <= 0 || m->body_total > l->lim->max_decoded + m->wire_len)
		__builtin_trap();
	if (!l->last_body)
		l->body_hash = 0xcbf29ce484222325ull;
	l->body_hash = fnv(l->body_hash, d, n);
	l->last_body = true;
}

static void on_message(const struct http2_message *m, void *arg)
{
	struct log *l = arg;

	if (--l->open < 0 || m->body_len > l->lim->max_body || m->body_len > m->body_total ||
	    m->body_truncated != (m->body_len < m->body_total) || (m->body_len && !m->body))
		__builtin_trap();
	add(l, "M", 1);
	check_message(l, m);
	add_u64(l, m->wire_len);
	add_u64(l, m->body_total);
	add_u64(l, m->decode_truncated);
	add_u64(l, m->decode_error);
	add_u64(l, m->has_trailers);
	add_u64(l, m->complete);
	add_u64(l, m->body_len);
	if (m->body_len)
		add(l, m->body, m->body_len);
}

static void on_error(int err, const char *what, enum http2_dir dir, uint64_t off, void *arg)
{
	struct log *l = arg;

	if (!what || !*what || (dir != HTTP2_DIR_CLIENT && dir != HTTP2_DIR_SERVER))
		__builtin_trap();
	flush_body(l);
	add(l, "E", 1);
	add_u64(l, (uint64_t)err);
	add(l, what, strlen(what));
	add_u64(l, dir);
	add_u64(l, off);
}

static uint32_t rnd(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

struct rec {
	enum http2_dir dir;
	const uint8_t *p;
	size_t len;
};

#define MAX_RECS 512

static void run(const struct http2_limits *lim, bool keep, const struct rec *recs, size_t n,
		size_t gap_rec, size_t end_at, uint32_t seed, struct log *l)
{
	struct http2_callbacks cb = {
		.on_headers = on_headers,
		.on_body = on_body,
		.on_message = keep ? on_message : NULL,
		.on_error = on_error,
	};
	struct http2_conn *c;
	struct http2_stats st;
	uint64_t total = 0;

	if (!keep)
		cb.on_message = NULL;
	memset(l, 0, sizeof(*l));
	l->lim = lim;
	l->keep = keep;
	if (http2_conn_new(lim, &cb, l, &c))
		abort();
	for (size_t i = 0; i < n; i++) {
		const struct rec *r = &recs[i];
		size_t pos = 0;

		if (i == end_at) {
			http2_end(c);
			add(l, "X", 1);
		}
		total += r->len;
		if (i == gap_rec) {
			http2_gap(c, r->dir, r->len);
			continue;
		}
		while (pos < r->len) {
			size_t k = r->len - pos;

			if (seed)
				k = 1 + rnd(&seed) % (k < 64 ? k : 64);
			if (http2_feed(c, r->dir, r->p + pos, k))
				__builtin_trap();
			pos += k;
		}
	}
	http2_end(c);
	flush_body(l);
	if (keep && l->open)
		__builtin_trap();
	http2_get_stats(c, &st);
	if (st.bytes != total || st.messages_incomplete > st.messages)
		__builtin_trap();
	add(l, &st, sizeof(st));
	http2_conn_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rec recs[MAX_RECS];
	struct http2_limits lim = http2_limits_default();
	struct log whole, split;
	size_t n = 0, gap_rec = SIZE_MAX, end_at = SIZE_MAX;
	uint8_t flags;
	uint32_t seed;

	if (size < 3)
		return 0;
	flags = data[0];
	seed = data[1] | 0x100;
	if (flags & 2)
		gap_rec = data[2];
	data += 3;
	size -= 3;
	while (size >= 2 && n < MAX_RECS) {
		size_t len = (size_t)(data[0] & 0x7f) << 8 | data[1];

		recs[n].dir = data[0] & 0x80 ? HTTP2_DIR_SERVER : HTTP2_DIR_CLIENT;
		data += 2;
		size -= 2;
		recs[n].len = len < size ? len : size;
		recs[n].p = data;
		data += recs[n].len;
		size -= recs[n].len;
		n++;
	}
	if (flags & 1) {
		lim.max_streams = 2;
		lim.max_header_block = 64;
		lim.max_header_list = 48;
		lim.max_headers = 2;
		lim.max_body = 7;
		lim.max_decoded = 100;
		lim.max_frame = 80;
		lim.max_table_size = 256;
	}
	if (flags & 8)
		end_at = n / 2;
	run(&lim, !(flags & 4), recs, n, gap_rec, end_at, 0, &whole);
	run(&lim, !(flags & 4), recs, n, gap_rec, end_at, seed, &split);
	if (whole.len != split.len || memcmp(whole.p, split.p, whole.len))
		__builtin_trap();
	free(whole.p);
	free(split.p);
	return 0;
}

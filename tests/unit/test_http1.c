// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for src/decode/http1.c: recorded exchanges, fed whole and split
 * anywhere (the results must not change), damaged input, lost bytes, limits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "warden/decode/http1.h"
#include "warden/decode/sse.h"

/* ---- failing allocations ---------------------------------------------------- */

/*
 * glibc lets a program replace malloc: these forward to it, except that
 * while armed the alloc_fail_at-th allocation (and, persistent, every one
 * after it) fails.
 */
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

static long alloc_fail_at = -1;
static long alloc_count;
static bool alloc_persistent;

static bool alloc_fails(void)
{
	if (alloc_fail_at < 0)
		return false;
	alloc_count++;
	return alloc_persistent ? alloc_count > alloc_fail_at : alloc_count == alloc_fail_at + 1;
}

void *malloc(size_t n)
{
	return alloc_fails() ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	return alloc_fails() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	return alloc_fails() ? NULL : __libc_realloc(p, n);
}

void free(void *p)
{
	__libc_free(p);
}

/* ---- a growable byte string ---------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const void *d, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3))) buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(tmp));
	buf_add(b, tmp, n);
}

static void buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static const uint8_t *u8(const struct buf *b)
{
	return (const uint8_t *)b->p;
}

/* ---- recording what the decoder reports ---------------------------------- */

#define MAX_MSGS 16
#define MAX_ERRS 16
#define MAX_EVENTS 32
/* Streamed bodies are kept up to this much, and counted beyond. */
#define STREAM_KEEP (4u << 20)

struct got_msg {
	struct http1_message m; /* scalars only: its slices dangle after the callback */
	char method[32], target[256], reason[64], host[128], ctype[128], cenc[64];
	size_t n_headers;
	struct buf headers; /* "name: value\n" each */
	struct buf body; /* what on_message gave */
	struct buf streamed; /* what on_body gave */
	uint64_t streamed_total;
	bool done;
};

struct got_err {
	int err;
	char what[64];
	uint64_t off;
};

struct got_event {
	char event[64];
	char id[64];
	int64_t retry;
	struct buf data;
};

struct rec {
	struct got_msg msgs[MAX_MSGS];
	size_t n_heads, n_done;
	struct got_err errs[MAX_ERRS];
	size_t n_errs;
	struct got_event events[MAX_EVENTS];
	size_t n_events;
	struct sse_parser *sse; /* for text/event-stream bodies */
	struct buf log; /* every callback, for comparing runs */
	uint32_t crc; /* of the streamed body of the message in flight */
};

static void slice_cpy(char *dst, size_t cap, struct http1_slice s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;

	memcpy(dst, s.ptr ? s.ptr : "", n);
	dst[n] = 0;
}

static void on_event(const struct sse_event *ev, void *arg)
{
	struct rec *r = arg;

	buf_printf(&r->log, "S %lu event=%s id=%s retry=%ld len=%zu total=%lu trunc=%d data=",
		   (unsigned long)ev->seq, ev->event, ev->id, (long)ev->retry, ev->data_len,
		   (unsigned long)ev->data_total, ev->data_truncated);
	buf_add(&r->log, ev->data, ev->data_len);
	buf_str(&r->log, "\n");
	if (r->n_events < MAX_EVENTS) {
		struct got_event *e = &r->events[r->n_events++];

		snprintf(e->event, sizeof(e->event), "%s", ev->event);
		snprintf(e->id, sizeof(e->id), "%s", ev->id);
		e->retry = ev->retry;
		buf_add(&e->data, ev->data, ev->data_len);
	}
}

static void on_headers(const struct http1_message *m, void *arg)
{
	struct rec *r = arg;
	struct got_msg *g;

	buf_printf(&r->log,
		   "H %lu @%lu req=%d %.*s %.*s 1.%d %d %.*s host=%.*s ct=%.*s ce=%.*s te=%.*s "
		   "cl=%d/%lu chunked=%d close=%d upgrade=%d coding=%d undecoded=%d nh=%zu\n",
		   (unsigned long)m->seq, (unsigned long)m->stream_offset, m->is_request,
		   (int)m->method.len, m->method.ptr, (int)m->target.len, m->target.ptr,
		   m->version_minor, m->status, (int)m->reason.len, m->reason.ptr, (int)m->host.len,
		   m->host.ptr, (int)m->content_type.len, m->content_type.ptr,
		   (int)m->content_encoding.len, m->content_encoding.ptr,
		   (int)m->transfer_encoding.len, m->transfer_encoding.ptr, m->has_content_length,
		   (unsigned long)m->content_length, m->chunked, m->until_close, m->upgrade,
		   m->coding, m->body_undecoded, m->n_headers);
	for (size_t i = 0; i < m->n_headers; i++)
		buf_printf(&r->log, "  %.*s: %.*s\n", (int)m->headers[i].name.len,
			   m->headers[i].name.ptr, (int)m->headers[i].value.len,
			   m->headers[i].value.ptr);
	r->crc = crc32(0, NULL, 0);
	assert_true(r->n_heads < MAX_MSGS);
	g = &r->msgs[r->n_heads++];
	slice_cpy(g->method, sizeof(g->method), m->method);
	slice_cpy(g->target, sizeof(g->target), m->target);
	slice_cpy(g->reason, sizeof(g->reason), m->reason);
	slice_cpy(g->host, sizeof(g->host), m->host);
	slice_cpy(g->ctype, sizeof(g->ctype), m->content_type);
	slice_cpy(g->cenc, sizeof(g->cenc), m->content_encoding);
	g->n_headers = m->n_headers;
	for (size_t i = 0; i < m->n_headers; i++) {
		buf_add(&g->headers, m->headers[i].name.ptr, m->headers[i].name.len);
		buf_str(&g->headers, ": ");
		buf_add(&g->headers, m->headers[i].value.ptr, m->headers[i].value.len);
		buf_str(&g->headers, "\n");
	}
	if (m->content_type.ptr && m->content_type.len >= 17 &&
	    !strncmp(m->content_type.ptr, "text/event-stream", 17)) {
		if (!r->sse)
			assert_int_equal(sse_parser_new(NULL, on_event, r, &r->sse), 0);
	}
}

static bool is_sse(const struct http1_message *m)
{
	return m->content_type.ptr && m->content_type.len >= 17 &&
	       !strncmp(m->content_type.ptr, "text/event-stream", 17);
}

static void on_body(const struct http1_message *m, const uint8_t *d, size_t n, void *arg)
{
	struct rec *r = arg;
	struct got_msg *g = &r->msgs[r->n_heads - 1];

	assert_true(n > 0);
	assert_int_equal(r->n_heads, r->n_done + 1);
	r->crc = crc32(r->crc, d, n);
	if (g->streamed.len < STREAM_KEEP)
		buf_add(&g->streamed, d,
			n < STREAM_KEEP - g->streamed.len ? n : STREAM_KEEP - g->streamed.len);
	g->streamed_total += n;
	assert_int_equal(g->streamed_total, m->body_total);
	if (is_sse(m))
		assert_int_equal(sse_feed(r->sse, d, n), 0);
}

static void on_message(const struct http1_message *m, void *arg)
{
	struct rec *r = arg;
	struct got_msg *g = &r->msgs[r->n_heads - 1];

	assert_int_equal(r->n_heads, r->n_done + 1);
	if (is_sse(m))
		sse_end(r->sse);
	buf_printf(&r->log,
		   "M %lu complete=%d wire=%lu total=%lu len=%zu trunc=%d dtrunc=%d derr=%d "
		   "crc=%08x bodycrc=%08lx\n",
		   (unsigned long)m->seq, m->complete, (unsigned long)m->wire_len,
		   (unsigned long)m->body_total, m->body_len, m->body_truncated,
		   m->decode_truncated, m->decode_error, r->crc, crc32(0, m->body, m->body_len));
	assert_true(m->body_len <= m->body_total);
	assert_true(m->body_len == 0 || m->body);
	assert_int_equal(m->body_total, g->streamed_total);
	assert_memory_equal(m->body ? (const char *)m->body : "",
			    g->streamed.p ? g->streamed.p : "", m->body_len);
	g->m = *m;
	g->m.body = NULL;
	g->m.headers = NULL;
	buf_add(&g->body, m->body ? (const char *)m->body : "", m->body_len);
	g->done = true;
	r->n_done++;
}

static void on_error(int err, const char *what, uint64_t off, void *arg)
{
	struct rec *r = arg;

	buf_printf(&r->log, "E %d %s @%lu\n", err, what, (unsigned long)off);
	assert_true(r->n_errs < MAX_ERRS);
	r->errs[r->n_errs].err = err;
	snprintf(r->errs[r->n_errs].what, sizeof(r->errs[0].what), "%s", what);
	r->errs[r->n_errs].off = off;
	r->n_errs++;
}

static const struct http1_callbacks callbacks = {
	.on_headers = on_headers,
	.on_body = on_body,
	.on_message = on_message,
	.on_error = on_error,
};

static void rec_free(struct rec *r)
{
	for (size_t i = 0; i < MAX_MSGS; i++) {
		buf_free(&r->msgs[i].headers);
		buf_free(&r->msgs[i].body);
		buf_free(&r->msgs[i].streamed);
	}
	for (size_t i = 0; i < MAX_EVENTS; i++)
		buf_free(&r->events[i].data);
	buf_free(&r->log);
	sse_parser_free(r->sse);
	memset(r, 0, sizeof(*r));
}

static struct http1_stream *open_stream(struct rec *r, bool req, const struct http1_limits *lim)
{
	struct http1_limits l = lim ? *lim : http1_limits_default();
	struct http1_stream *s = NULL;

	memset(r, 0, sizeof(*r));
	l.is_request_stream = req;
	assert_int_equal(http1_stream_new(&l, &callbacks, r, &s), 0);
	return s;
}

static void feed(struct http1_stream *s, const void *d, size_t n)
{
	assert_int_equal(http1_feed(s, d, n), 0);
}

static void feed_str(struct http1_stream *s, const char *d)
{
	feed(s, d, strlen(d));
}

static void log_stats(struct rec *r, struct http1_stream *s)
{
	struct http1_stats st;

	http1_get_stats(s, &st);
	buf_printf(&r->log,
		   "stats bytes=%lu msgs=%lu incomplete=%lu gaps=%lu gapbytes=%lu discarded=%lu "
		   "tunnel=%lu errors=%lu long=%lu many=%lu trunc=%lu capped=%lu derr=%lu "
		   "undecoded=%lu\n",
		   (unsigned long)st.bytes, (unsigned long)st.messages,
		   (unsigned long)st.messages_incomplete, (unsigned long)st.gaps,
		   (unsigned long)st.gap_bytes, (unsigned long)st.bytes_discarded,
		   (unsigned long)st.bytes_tunnel, (unsigned long)st.errors,
		   (unsigned long)st.heads_too_long, (unsigned long)st.too_many_headers,
		   (unsigned long)st.bodies_truncated, (unsigned long)st.decode_capped,
		   (unsigned long)st.decode_errors, (unsigned long)st.bodies_undecoded);
}

/*
 * Feed d cut at the ascending offsets cuts[], with missing bytes reported
 * at gap_at (gap_len of them skipped from d; gap_at SIZE_MAX: none), then
 * end the stream. Returns everything that was reported, stats included.
 */
static char *run(bool req, const struct http1_limits *lim, const uint8_t *d, size_t len,
		 const size_t *cuts, size_t ncuts, size_t gap_at, size_t gap_len)
{
	struct rec r;
	struct http1_stream *s = open_stream(&r, req, lim);
	size_t pos = 0;
	char *out;

	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;

		if (gap_at >= pos && gap_at < end) {
			feed(s, d + pos, gap_at - pos);
			http1_gap(s, gap_len);
			pos = gap_at + gap_len;
		}
		if (end > pos) {
			feed(s, d + pos, end - pos);
			pos = end;
		}
	}
	http1_end(s);
	log_stats(&r, s);
	http1_stream_free(s);
	out = r.log.p;
	r.log.p = NULL;
	rec_free(&r);
	return out;
}

static uint32_t rnd(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* Every single cut, random multi-cuts and byte-at-a-time give what whole input gives. */
static void check_splits_gap(bool req, const struct http1_limits *lim, const struct buf *b,
			     size_t gap_at, size_t gap_len)
{
	const uint8_t *d = u8(b);
	size_t len = b->len, *cuts = calloc(len + 1, sizeof(*cuts));
	char *whole = run(req, lim, d, len, NULL, 0, gap_at, gap_len);
	uint32_t seed = 0x5eed + len;

	assert_non_null(cuts);
	for (size_t c = 0; c <= len; c++) {
		char *x = run(req, lim, d, len, &c, 1, gap_at, gap_len);

		assert_string_equal(x, whole);
		free(x);
	}
	for (int k = 0; k < 64 && len; k++) {
		size_t n = 2 + rnd(&seed) % 8;
		char *x;

		for (size_t i = 0; i < n; i++)
			cuts[i] = rnd(&seed) % len;
		qsort(cuts, n, sizeof(*cuts), cmp_size);
		x = run(req, lim, d, len, cuts, n, gap_at, gap_len);
		assert_string_equal(x, whole);
		free(x);
	}
	for (size_t i = 0; i + 1 < len; i++)
		cuts[i] = i + 1;
	if (len > 1) {
		char *x = run(req, lim, d, len, cuts, len - 1, gap_at, gap_len);

		assert_string_equal(x, whole);
		free(x);
	}
	free(cuts);
	free(whole);
}

static void check_splits(bool req, const struct http1_limits *lim, const struct buf *b)
{
	check_splits_gap(req, lim, b, SIZE_MAX, 0);
}

/* ---- recorded exchanges --------------------------------------------------- */

static const char chat_json[] =
	"{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a "
	"helpful assistant.\"},{\"role\":\"user\",\"content\":\"Say hello\"}],\"temperature\":0,"
	"\"stream\":false}";

static const char completion_json[] =
	"{\"id\":\"chatcmpl-AbC123\",\"object\":\"chat.completion\",\"created\":1732520000,"
	"\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
	"\"assistant\",\"content\":\"Hello! How can I help you today?\",\"refusal\":null},"
	"\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":19,"
	"\"completion_tokens\":9,\"total_tokens\":28},\"system_fingerprint\":\"fp_0ba0d124f1\"}";

static void openai_request(struct buf *b)
{
	buf_printf(b,
		   "POST /v1/chat/completions HTTP/1.1\r\n"
		   "Host: api.openai.com\r\n"
		   "Accept-Encoding: gzip, deflate\r\n"
		   "Connection: keep-alive\r\n"
		   "Accept: application/json\r\n"
		   "Content-Type: application/json\r\n"
		   "User-Agent: OpenAI/Python 1.54.3\r\n"
		   "X-Stainless-Lang: python\r\n"
		   "Authorization: Bearer sk-proj-test0000000000\r\n"
		   "Content-Length: %zu\r\n"
		   "\r\n%s",
		   strlen(chat_json), chat_json);
}

static const char *const sse_events[] = {
	"{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1732520000,"
	"\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
	"\"content\":\"\"},\"finish_reason\":null}]}",
	"{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1732520000,"
	"\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},"
	"\"finish_reason\":null}]}",
	"{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1732520000,"
	"\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"!\"},"
	"\"finish_reason\":null}]}",
	"{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1732520000,"
	"\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":"
	"\"stop\"}]}",
	"[DONE]",
};

/* The body cut into chunks of the given sizes (0: the rest), one with an extension. */
static void chunked(struct buf *b, const char *body, size_t len, const size_t *sizes)
{
	size_t pos = 0;

	for (int i = 0; pos < len; i++) {
		size_t n = sizes[i] && sizes[i] < len - pos ? sizes[i] : len - pos;

		buf_printf(b, i == 1 ? "%zx;name=\"val\"\r\n" : "%zX\r\n", n);
		buf_add(b, body + pos, n);
		buf_str(b, "\r\n");
		pos += n;
	}
	buf_str(b, "0\r\nX-Trailer: done\r\n\r\n");
}

static void sse_body(struct buf *body)
{
	buf_str(body, ": OPENROUTER PROCESSING\n\n");
	for (size_t i = 0; i < sizeof(sse_events) / sizeof(sse_events[0]); i++)
		buf_printf(body, "data: %s\n\n", sse_events[i]);
}

static void sse_response(struct buf *b)
{
	static const size_t sizes[] = { 100, 37, 1, 250, 0 };
	struct buf body = { 0 };

	sse_body(&body);
	buf_str(b, "HTTP/1.1 200 OK\r\n"
		   "Date: Mon, 25 Nov 2024 07:00:00 GMT\r\n"
		   "Content-Type: text/event-stream; charset=utf-8\r\n"
		   "Transfer-Encoding: chunked\r\n"
		   "Connection: keep-alive\r\n"
		   "openai-processing-ms: 183\r\n"
		   "x-request-id: req_0123456789abcdef\r\n"
		   "\r\n");
	chunked(b, body.p, body.len, sizes);
	buf_free(&body);
}

/* src compressed with deflateInit2's window bits (31 gzip, 15 zlib, -15 raw). */
static void compress_into(struct buf *b, const void *src, size_t n, int wbits)
{
	z_stream z = { 0 };
	uint8_t out[16384];
	int r;

	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)src;
	z.avail_in = n;
	do {
		z.next_out = out;
		z.avail_out = sizeof(out);
		r = deflate(&z, Z_FINISH);
		assert_true(r == Z_OK || r == Z_STREAM_END);
		buf_add(b, out, sizeof(out) - z.avail_out);
	} while (r != Z_STREAM_END);
	deflateEnd(&z);
}

static void compressed_response(struct buf *b, const char *coding, int wbits, const void *body,
				size_t n)
{
	struct buf gz = { 0 };

	compress_into(&gz, body, n, wbits);
	buf_printf(b,
		   "HTTP/1.1 200 OK\r\n"
		   "Content-Type: application/json\r\n"
		   "Content-Encoding: %s\r\n"
		   "Content-Length: %zu\r\n"
		   "Vary: Accept-Encoding\r\n"
		   "\r\n",
		   coding, gz.len);
	buf_add(b, gz.p, gz.len);
	buf_free(&gz);
}

static void gzip_response(struct buf *b)
{
	compressed_response(b, "gzip", 31, completion_json, strlen(completion_json));
}

static void keepalive_requests(struct buf *b)
{
	static const size_t sizes[] = { 7, 0 };
	static const char emb[] = "{\"input\":\"hello\",\"model\":\"text-embedding-3-small\"}";

	buf_str(b, "GET /v1/models HTTP/1.1\r\n"
		   "Host: api.openai.com\r\n"
		   "Authorization: Bearer sk-test\r\n"
		   "\r\n");
	buf_printf(b,
		   "POST /v1/embeddings HTTP/1.1\r\n"
		   "Host: api.openai.com\r\n"
		   "Content-Type: application/json\r\n"
		   "Content-Length: %zu\r\n"
		   "\r\n%s",
		   strlen(emb), emb);
	/* httpx streams uploads chunked. */
	buf_str(b, "PUT /v1/files/upload HTTP/1.1\r\n"
		   "Host: api.openai.com\r\n"
		   "Transfer-Encoding: chunked\r\n"
		   "\r\n");
	chunked(b, emb, strlen(emb), sizes);
}

/* 100 Continue, 200, 204, 304, then a close-delimited HTTP/1.0 response. */
static void mixed_responses(struct buf *b)
{
	buf_str(b, "HTTP/1.1 100 Continue\r\n\r\n"
		   "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
		   "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"
		   "HTTP/1.1 304 Not Modified\r\nETag: \"abc\"\r\nContent-Length: 99\r\n\r\n"
		   "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"
		   "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the very end\n");
}

static void deflate_responses(struct buf *b)
{
	compressed_response(b, "deflate", 15, completion_json, strlen(completion_json));
	compressed_response(b, "deflate", -15, completion_json, strlen(completion_json));
	compressed_response(b, "x-gzip", 31, "{}", 2);
}

/* ---- exchanges, whole ------------------------------------------------------ */

static void openai_post(void **state)
{
	struct buf b = { 0 };
	struct rec r;
	struct http1_stream *s = open_stream(&r, true, NULL);
	struct http1_stats st;
	const struct got_msg *g = &r.msgs[0];

	(void)state;
	openai_request(&b);
	feed(s, b.p, b.len);
	assert_int_equal(r.n_done, 1);
	assert_string_equal(g->method, "POST");
	assert_string_equal(g->target, "/v1/chat/completions");
	assert_string_equal(g->host, "api.openai.com");
	assert_string_equal(g->ctype, "application/json");
	assert_int_equal(g->n_headers, 9);
	assert_non_null(strstr(g->headers.p, "Authorization: Bearer sk-proj-test0000000000\n"));
	assert_true(g->m.is_request);
	assert_int_equal(g->m.version_minor, 1);
	assert_int_equal(g->m.status, 0);
	assert_true(g->m.has_content_length);
	assert_int_equal(g->m.content_length, strlen(chat_json));
	assert_false(g->m.chunked);
	assert_int_equal(g->m.coding, HTTP1_CODING_IDENTITY);
	assert_true(g->m.complete);
	assert_false(g->m.body_truncated);
	assert_int_equal(g->m.body_total, strlen(chat_json));
	assert_int_equal(g->m.wire_len, strlen(chat_json));
	assert_int_equal(g->body.len, strlen(chat_json));
	assert_memory_equal(g->body.p, chat_json, strlen(chat_json));
	assert_int_equal(g->m.stream_offset, 0);
	assert_int_equal(r.n_errs, 0);
	http1_get_stats(s, &st);
	assert_int_equal(st.messages, 1);
	assert_int_equal(st.bytes, b.len);
	assert_int_equal(st.bytes_discarded, 0);
	http1_stream_free(s);
	rec_free(&r);
	buf_free(&b);
}

/* Headers are looked up during the callback, where they are valid. */
static void header_get_cb(const struct http1_message *m, void *arg)
{
	struct http1_slice v;
	int *ok = arg;

	assert_int_equal(http1_header_get(m, "content-TYPE", &v), 0);
	assert_int_equal(v.len, strlen("application/json"));
	assert_memory_equal(v.ptr, "application/json", v.len);
	assert_int_equal(http1_header_get(m, "x-stainless-lang", &v), 0);
	assert_memory_equal(v.ptr, "python", 6);
	assert_int_equal(http1_header_get(m, "X-Missing", &v), -ENOENT);
	assert_int_equal(http1_header_get(m, "Content-Lengt", &v), -ENOENT);
	(*ok)++;
}

static void header_lookup(void **state)
{
	struct http1_callbacks cb = { .on_headers = header_get_cb };
	struct http1_limits lim = http1_limits_default();
	struct http1_stream *s;
	struct buf b = { 0 };
	int ok = 0;

	(void)state;
	lim.is_request_stream = true;
	openai_request(&b);
	assert_int_equal(http1_stream_new(&lim, &cb, &ok, &s), 0);
	feed(s, b.p, b.len);
	assert_int_equal(ok, 1);
	http1_stream_free(s);
	buf_free(&b);
}

static void sse_streaming_response(void **state)
{
	struct buf b = { 0 }, body = { 0 };
	struct rec r;
	struct http1_stream *s = open_stream(&r, false, NULL);
	const struct got_msg *g = &r.msgs[0];
	size_t n = sizeof(sse_events) / sizeof(sse_events[0]);

	(void)state;
	sse_response(&b);
	sse_body(&body);
	/* As a client reads it: the head first, then the body a few bytes at a time. */
	for (size_t i = 0; i < b.len; i += 13)
		feed(s, b.p + i, b.len - i < 13 ? b.len - i : 13);
	assert_int_equal(r.n_done, 1);
	assert_int_equal(g->m.status, 200);
	assert_string_equal(g->reason, "OK");
	assert_string_equal(g->ctype, "text/event-stream; charset=utf-8");
	assert_true(g->m.chunked);
	assert_false(g->m.has_content_length);
	assert_true(g->m.complete);
	assert_int_equal(g->m.body_total, body.len);
	assert_int_equal(g->body.len, body.len);
	assert_memory_equal(g->body.p, body.p, body.len);
	/* The trailer is consumed, not taken for a header or a new message. */
	assert_int_equal(g->n_headers, 6);
	assert_int_equal(r.n_events, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(r.events[i].event, "message");
		assert_string_equal(r.events[i].data.p, sse_events[i]);
	}
	assert_string_equal(r.events[n - 1].data.p, "[DONE]");
	assert_int_equal(r.n_errs, 0);
	http1_stream_free(s);
	rec_free(&r);
	buf_free(&b);
	buf_free(&body);
}

static void gzip_json_response(void **state)
{
	struct buf b = { 0 };
	struct rec r;
	struct http1_stream *s = open_stream(&r, false, NULL);
	const struct got_msg *g = &r.msgs[0];

	(void)state;
	gzip_response(&b);
	gzip_response(&b); /* keep-alive: the inflater is reused */
	feed(s, b.p, b.len);
	assert_int_equal(r.n_done, 2);
	for (int i = 0; i < 2; i++) {
		g = &r.msgs[i];
		assert_int_equal(g->m.coding, HTTP1_CODING_GZIP);
		assert_string_equal(g->cenc, "gzip");
		assert_false(g->m.body_undecoded);
		assert_true(g->m.complete);
		assert_false(g->m.decode_error);
		assert_false(g->m.decode_truncated);
		assert_int_equal(g->m.wire_len, g->m.content_length);
		assert_int_equal(g->m.body_total, strlen(completion_json));
		assert_string_equal(g->body.p, completion_json);
	}
	assert_int_equal(r.n_errs, 0);
	http1_stream_free(s);
	rec_free(&r);
	buf_free(&b);
}

static void deflate_zlib_and_raw(void **state)
{
	struct buf b = { 0 };
	struct rec r;
	struct http1_stream *s = open_stream(&r, false, NULL);

	(void)state;
	deflate_responses(&b);
	feed(s, b.p, b.len);
	assert_int_equal(r.n_done, 3);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(r.msgs[i].m.coding, HTTP1_CODING_DEFLATE);
		assert_false(r.msgs[i].m.decode_error);
		assert_string_equal(r.msgs[i].body.p, completion_json);
	}
	assert_int_equal(r.msgs[2].m.coding, HTTP1_CODING_GZIP);
	assert_string_equal(r.msgs[2].body.p, "{}");
	assert_int_equal(r.n_errs, 0);
	http1_stream_free(s);
	rec_free(&r);
	buf_free(&b);
}

static void undecoded_codings(void **state)
{
	static const char in[] =
		"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 4\r\n\r\n"
		"\x8b\x01\x80\x03"
		"HTTP/1.1 200 OK\r\nContent-Encoding: gzip, zstd\r\n"
		"Content-Length: 2\r\n\r\nzz"
		"HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\n"
		"Content-Length: 2\r\n\r\nok";
	struct rec r;
	struct http1_stream *s = open_stream(&r, false, NULL);
	struct http1_stats st;

	(void)state;
	feed(s, in, sizeof(in) - 1);
	assert_int_equal(r.n_done, 3);
	assert_int_equal(r.msgs[0].m.coding, HTTP1_CODING_OTHER);
	assert_true(r.msgs[0].m.body_undecoded);
	assert_string_equal(r.msgs[0].cenc, "br");
	assert_memory_equal(r.msgs[0].body.p, "\x8b\x01\x80\x03", 4);
	assert_int_equal(r.msgs[1].m.coding, HTTP1_CODING_OTHER);
	assert_memory_equal(r.msgs[1].body.p, "zz", 2);
	assert_int_equal(r.msgs[2].m.coding, HTTP1_CODING_IDENTITY);
	assert_false(r.msgs[2].m.body_undecoded);
	http1_get_stats(s, &st);
	assert_int_equal(st.bodies_undecoded, 2);
	assert_int_equal(r.n_errs, 0);
	http1_stream_free(s);
	rec_free(&r);
}

static void keepalive_three_requests(void **state)
{
	struct buf b = { 0 };
	struct rec r;
	struct http1_stream *s = open_stream(&r, true, NULL);

	(void)state;
	keepalive_requests(&b);
	feed(s, b.p, b.len);
	assert_int_equal(r.n_done, 3);
	assert_string_equal(r.msgs[0].method, "GET");
	assert_string_equal(r.msgs[0].target, "/v1/models");
	assert_int_equal(r.msgs[0].m.body_total, 0);
	assert_true(r.msgs[0].m.complete);
	assert_int_equal(r.msgs[0].m.seq, 0);
	assert_string_equal(r.msgs[1].method, "POST");
	assert_int_equal(r.msgs[1].m.seq, 1);
	assert_true(r.msgs[1].m.stream_offset > 0);
	assert_memory_equal(b.p + r.msgs[1].m.stream_offset, "POST ", 5);
	assert_string_equal(r.msgs[1].body.p,
			    "{\"input\":\"hello\",\"model\":\"text-embedding-3-small\"}");
	assert_string_equal(r.msgs[2].method, "PUT");
	assert_true(r.msgs[2].m.chunked);
	assert_string_equal(r.msgs[2].body.p,
			    "{\"input\":\"hello\",\"model\":\"text-embedding-3-small\"}");
	assert_memory_equal(b.p + r.msgs[2].m.stream_offset, "PUT ", 4);
	assert_int_equal(r.n_errs, 0);
	http1_stream_free(s);
	rec_free(&r);
	buf_free(&b);
}

static void bodiless_and_close_delimited(void **state)
{
	struct buf b = { 0 };
	struct rec r;
	struct http1_stream *s = open_stream(&r, false, NULL);

	(void)state;
	mixed_responses(&b);
	feed(s, b.p, b.len);
	/* The last one ends with the connection only. */
	assert_int_equal(r.n_heads, 6);
	assert_int_equal(r.n_done, 5);
	assert_int_equal(r.msgs[0].m.status, 100);
	assert_int_equal(r.msgs[1].m.status, 200);
	assert_string_equal(r.msgs[1].body.p, "hello");
	assert_int_equal(r.msgs[2].m.status, 204);
	assert_int_equal(r.msgs[3].m.status, 304);
	assert_int_equal(r.msgs[3].m.body_total, 0); /* Content-Length: 99 is the entity's */
	assert_int_equal(r.msgs[4].m.status, 200);
	assert_string_equal(r.msgs[4].reason, "");
	http1_end(s);
	assert_int_equal(r.n_done, 6);
	assert_int_equal(r.msgs[5].m.version_minor, 0);
	assert_true(r.msgs[5].m.until_close);
	assert_true(r.msgs[5].m.complete);
	assert_string_equal(r.msgs[5].body.p, "until the very end\n");
	for (int i = 0; i < 6; i++)
		assert_true(r.msgs[i].m.complete);
	assert_int_equal(r.n_errs, 0);
	http1_stream_free(s);
	rec_free(&r);
	buf_free(&b);
}

static void bare_lf_and_empty_lines(void **state)
{
	static const char in[] = "\r\n\r\nGET /a HTTP/1.1\nHost: x\n\n\r\nGET /b HTTP/1.0\r\n\r\n";
	struct rec r;
	struct http1_stream *s = open_stream(&r, true, NULL);
	struct http1_stats st;

	(void)state;
	feed_str(s, in);
	assert_int_equal(r.n_done, 2);
	assert_string_equal(r.msgs[0].target, "/a");
	assert_string_equal(r.msgs[0].host, "x");
	assert_string_equal(r.msgs[1].target, "/b");
	assert_int_equal(r.msgs[1].m.version_minor, 0);
	assert_int_equal(r.n_errs, 0);
	http1_get_stats(s, &st);
	assert_int_equal(st.bytes_discarded, 0);
	http1_stream_free(s);
	rec_free(&r);
}

static void folded_header(void **state)
{
	static const char in[] = "GET / HTTP/1.1\r\nX-Long: first\r\n  second\r\n\tthird \r\n"
				 "X-Empty:\r\n later\r\nHost: h\r\n\r\n";
	struct rec r;
	struct http1_stream *s = open_stream(&r, true, NULL);

	(void)state;
	feed_str(s, in);
	assert_int_equal(r.n_done, 1);
	assert_string_equal(r.msgs[0].headers.p,
			    "X-Long: first    second   third\nX-Empty: later\nHost: h\n");
	assert_int_equal(r.n_errs, 0);
	http1_stream_free(s);
	rec_free(&r);
}

static void content_length_rules(void **state)
{
	struct rec r;
	struct http1_stream *s = open_stream(&r, true, NULL);

	(void)state;
	/* A list of equal values is one value. */
	feed_str(s, "POST /a HTTP/1.1\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc");
	assert_int_equal(r.n_done, 1);
	assert_string_equal(r.msgs[0].body.p, "abc");
	/* Disagreeing lengths would let two parsers see two different messages. */
	feed_str(s, "POST /b HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd");
	assert_int_equal(r.n_errs, 1);
	assert_int_equal(r.errs[0].err, -EBADMSG);
	assert_string_equal(r.errs[0].what, "invalid Content-Length");
	assert_int_equal(r.n_heads, 1);
	feed_str(s, "POST /c HTTP/1.1\r\nContent-Length: 1\r\n\r\nx");
	assert_int_equal(r.n_done, 2);
	assert_string_equal(r.msgs[1].target, "/c");
	feed_str(s, "POST /d HTTP/1.1\r\nContent-Length: -1\r\n\r\n");
	assert_int_equal(r.n_errs, 2);
	feed_str(s, "POST /e HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n");
	assert_int_equal(r.n_errs, 3);
	/* Transfer-Encoding wins over Content-Length. */
	feed_str(s, "POST /f HTTP/1.1\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "2\r\nok\r\n0\r\n\r\n");
	assert_int_equal(r.n_done, 3);
	assert_string_equal(r.msgs[2].target, "/f");
	assert_string_equal(r.msgs[2].body.p, "ok");
	/* A request body must be delimited: an unknown transfer coding is an error. */
	feed_str(s, "POST /g HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"
		    "GET /h HTTP/1.1\r\n\r\n");
	assert_int_equal(r.n_errs, 4);
	assert_string_equal(r.errs[3].what, "invalid Transfer-Encoding");
	assert_int_equal(r.n_done, 4);
	assert_string_equal(r.msgs[3].target, "/h");
	http1_stream_free(s);
	rec_free(&r);
}

/* ---- split anywhere ------------------------------------------------------- */

static void split_requests(void **state)
{
	struct buf b = { 0 };

	(void)state;
	openai_request(&b);
	check_splits(true, NULL, &b);
	buf_free(&b);
	keepalive_requests(&b);
	check_splits(true, NULL, &b);
	buf_free(&b);
}

static void split_responses(void **state)
{
	struct buf b = { 0 };

	(void)state;
	sse_response(&b);
	check_splits(false, NULL, &b);
	buf_free(&b);
	gzip_response(&b);
	check_splits(false, NULL, &b);
	buf_free(&b);
	mixed_responses(&b);
	check_splits(false, NULL, &b);
	buf_free(&b);
	deflate_responses(&b);
	check_splits(false, NULL, &b);
	buf_free(&b);
}

/* Damaged input: the same errors, at the same offsets, whatever the pieces. */
static void split_damaged(void **state)
{
	struct http1_limits lim = http1_limits_default();
	struct buf b = { 0 };

	(void)state;
	buf_str(&b, "\x16\x03\x01\x02\x7fgarbage\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"
		    "POST /x HTTP/1.1\r\nBad Header: 1\r\n\r\nGET /y HTTP/1.1\r\n\r\n");
	check_splits(true, NULL, &b);
	buf_free(&b);
	buf_str(&b, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n"
		    "HTTP/1.1 2x0 Bad\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
		    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n");
	check_splits(false, NULL, &b);
	buf_free(&b);
	/* Corrupt gzip, then a good one. */
	gzip_response(&b);
	b.p[b.len - 30] ^= 0x55;
	gzip_response(&b);
	check_splits(false, NULL, &b);
	buf_free(&b);
	/* Small limits: the cuts at the bounds are where the bytes say, not the pieces. */
	lim.max_head = 64;
	lim.max_start_line = 24;
	lim.max_headers = 2;
	lim.max_body = 7;
	lim.max_decoded = 100;
	buf_str(&b, "GET /a-target-that-is-far-too-long HTTP/1.1\r\n\r\n"
		    "GET /b HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"
		    "GET /c HTTP/1.1\r\nA: 0123456789012345678901234567890123456789\r\n\r\n"
		    "POST /d HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789"
		    "GET /e HTTP/1.1\r\n\r\n");
	check_splits(true, &lim, &b);
	buf_free(&b);
	{
		char zeros[1000] = { 0 };

		compressed_response(&b, "gzip", 31, zeros, sizeof(zeros));
		compressed_response(&b, "deflate", -15, zeros, 100);
		compressed_response(&b, "deflate", 15, zeros, 101);
	}
	check_splits(false, &lim, &b);
	buf_free(&b);
}

static void split_with_gaps(void **state)
{
	struct buf b = { 0 };
	size_t body_at;

	(void)state;
	openai_request(&b);
	body_at = b.len - strlen(chat_json);
	openai_request(&b);
	/* Inside the first body: known size, in step. */
	check_splits_gap(true, NULL, &b, body_at + 10, 20);
	/* Unknown size: resynchronise. */
	check_splits_gap(true, NULL, &b, body_at + 10, 0);
	/* Across the end of the body into the next head. */
	check_splits_gap(true, NULL, &b, body_at + 10, strlen(chat_json) + 5);
	/* Inside the head. */
	check_splits_gap(true, NULL, &b, 30, 3);
	buf_free(&b);
	sse_response(&b);
	sse_response(&b);
	check_splits_gap(false, NULL, &b, 300, 5);
	check_splits_gap(false, NULL, &b, 300, 500);
	buf_free(&b);
}

/* ---- damage, then recovery ------------------------------------------------ */

static void bad_chunk_size(void **state)
{
	static const char in[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				 "5\r\nhello\r\nzz\r\nmore\r\n0\r\n\r\n"
				 "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	struct rec r;
	struct http1_stream *s = open_stream(&r, false, NULL);
	struct http1_stats st;

	(void)state;
	feed_str(s, in);
	assert_int_equal(r.n_errs, 1);
	assert_int_equal(r.errs[0].err, -EBADMSG);
	assert_string_equal(r.errs[0].what, "invalid chunk size");
	assert_int_equal(r.errs[0].off, strstr(in, "zz") - in);
	assert_int_equal(r.n_done, 2);
	assert_false(r.msgs[0].m.complete);
	assert_string_equal(r.msgs[0].body.p, "hello");
	assert_true(r.msgs[1].m.complete);
	assert_string_equal(r.msgs[1].body.p, "ok");
	http1_get_stats(s, &st);
	assert_int_equal(st.messages_incomplete, 1);
	assert_int_equal(st.bytes_discarded, strlen("zz\r\nmore\r\n0\r\n\r\n"));
	assert_int_equal(st.errors, 1);
	http1_stream_free(s);
	rec_free(&r);
}

static void chunk_framing_errors(void **state)
{
	static const char *const bad[] = {
		"\r\n", /* no size */
		"5\rX", /* CR without LF */
		"5\r\nhelloXX", /* data longer than said */
		"ffffffffffffffffff\r\n", /* too large */
		"5;a\001b\r\n", /* control in an extension */
	};
	struct rec r;
	struct http1_stream *s = open_stream(&r, false, NULL);

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		feed_str(s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
		feed_str(s, bad[i]);
		feed_str(s, "\r\nHTTP/1.1 204 No Content\r\n\r\n");
		assert_int_equal(r.n_errs, i + 1);
		assert_int_equal(r.errs[i].err, -EBADMSG);
		assert_int_equal(r.n_done, 2 * (i + 1));
		assert_false(r.msgs[2 * i].m.complete);
		assert_int_equal(r.msgs[2 * i + 1].m.status, 204);
	}
	http1_stream_free(s);
	rec_free(&r);
}

static void oversized_header(void **state)
{
	struct buf b = { 0 };
	struct rec r;
	struct http1_stream *s = open_stream(&r, true, NULL);
	struct http1_stats st;

	(void)state;
	buf_str(&b, "GET / HTTP/1.1\r\nX-Big: ");
	for (int i = 0; i < 70000; i++)
		buf_str(&b, "a");
	buf_str(&b, "\r\n\r\n");
	feed(s, b.p, b.len);
	assert_int_equal(r.n_errs, 1);
	assert_int_equal(r.errs[0].err, -EMSGSIZE);
	assert_string_equal(r.errs[0].what, "header section too long");
	assert_int_equal(r.errs[0].off, 0);
	assert_int_equal(r.n_heads, 0);
	feed_str(s, "GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
	assert_int_equal(r.n_done, 1);
	assert_string_equal(r.msgs[0].target, "/next");
	http1_get_stats(s, &st);
	assert_int_equal(st.heads_too_long, 1);
	assert_int_equal(st.bytes_discarded, b.len);
	http1_stream_free(s);
	rec_free(&r);
	buf_free(&b);
}

static void head_limits(void **state)
{
	struct http1_limits lim = http1_limits_default();
	struct buf b = { 0 };
	struct rec r;
	struct http1_stream *s;
	struct http1_stats st;

	(void)state;
	lim.max_headers = 3;
	lim.max_start_line = 64;
	s = open_stream(&r, true, &lim);
	feed_str(s, "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n");
	assert_int_equal(r.n_errs, 1);
	assert_int_equal(r.errs[0].err, -EMSGSIZE);
	assert_string_equal(r.errs[0].what, "too many headers");
	feed_str(s, "GET /ok HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n");
	assert_int_equal(r.n_done, 1);
	assert_int_equal(r.msgs[0].n_headers, 3);
	buf_str(&b, "GET /");
	for (int i = 0; i < 100; i++)
		buf_str(&b, "x");
	buf_str(&b, " HTTP/1.1\r\n\r\n");
	feed(s, b.p, b.len);
	assert_int_equal(r.n_errs, 2);
	assert_string_equal(r.errs[1].what, "start line too long");
	feed_str(s, "GET /ok2 HTTP/1.1\r\n\r\n");
	assert_int_equal(r.n_done, 2);
	assert_string_equal(r.msgs[1].target, "/ok2");
	http1_get_stats(s, &st);
	assert_int_equal(st.too_many_headers, 1);
	assert_int_equal(st.heads_too_long, 1);
	http1_stream_free(s);
	rec_free(&r);
	buf_free(&b);
}

static void garbage_before_request(void **state)
{
	static const char junk[] = "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1garbage}";
	struct buf b = { 0 };
	struct rec r;
	struct http1_stream *s = open_stream(&r, true, NULL);
	struct http1_stats st;

	(void)state;
	buf_add(&b, junk, sizeof(junk) - 1);
	openai_request(&b);
	feed(s, b.p, b.len);
	assert_int_equal(r.n_errs, 1);
	assert_int_equal(r.errs[0].err, -EBADMSG);
	assert_string_equal(r.errs[0].what, "invalid request line");
	assert_int_equal(r.errs[0].off, 0);
	assert_int_equal(r.n_done, 1);
	assert_true(r.msgs[0].m.complete);
	assert_int_equal(r.msgs[0].m.stream_offset, sizeof(junk) - 1);
	assert_string_equal(r.msgs[0].body.p, chat_json);
	http1_get_stats(s, &st);
	assert_int_equal(st.bytes_discarded, sizeof(junk) - 1);
	http1_stream_free(s);
	rec_free(&r);
	buf_free(&b);
}

/* Resynchronising looks for known methods only: "abcPOST" is not a method. */
static void resync_inside_text(void **state)
{
	static const char in[] = "NOT HTTP AT ALL\r\nxyzGET /a HTTP/1.1\r\n\r\n"
				 "text}POST /b HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
	struct rec r;
	struct http1_stream *s = open_stream(&r, true, NULL);

	(void)state;
	feed_str(s, in);
	/* Both lines are garbage where a request belonged. */
	assert_int_equal(r.n_errs, 2);
	assert_int_equal(r.n_done, 2);
	assert_string_equal(r.msgs[0].method, "GET");
	assert_string_equal(r.msgs[0].target, "/a");
	assert_string_equal(r.msgs[1].method, "POST");
	assert_string_equal(r.msgs[1].target, "/b");
	http1_stream_free(s);
	rec_free(&r);
}

static void invalid_status_line(void **state)
{
	static const char in[] = "HTTP/1.1 2x0 OK\r\nContent-Length: 5\r\n\r\nhello"
				 "HTTP/2.0 200 OK\r\n\r\n"
				 "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	struct rec r;
	struct http1_stream *s = open_stream(&r, false, NULL);

	(void)state;
	feed_str(s, in);
	assert_int_equal(r.n_errs, 1);
	assert_int_equal(r.errs[0].err, -EBADMSG);
	assert_string_equal(r.errs[0].what, "invalid status line");
	assert_int_equal(r.errs[0].off, 0);
	assert_int_equal(r.n_done, 1);
	assert_string_equal(r.msgs[0].body.p, "ok");
	assert_int_equal(r.msgs[0].m.stream_offset, strstr(in, "HTTP/1.1 200") - in);
	http1_stream_free(s);
	rec_free(&r);
}

static void gzip_corrupt(void **state)
{
	struct buf b = { 0 };
	struct rec r;
	struct http1_stream *s = open_stream(&r, false, NULL);
	struct http1_stats st;

	(void)state;
	gzip_response(&b);
	b.p[b.len - 40] ^= 0xff;
	feed(s, b.p, b.len);
	buf_free(&b);
	gzip_response(&b);
	feed(s, b.p, b.len);
	assert_int_equal(r.n_errs, 1);
	assert_int_equal(r.errs[0].err, -EILSEQ);
	assert_string_equal(r.errs[0].what, "invalid gzip data");
	assert_int_equal(r.errs[0].off, 0);
	assert_int_equal(r.n_done, 2);
	/* The framing was fine: the message is complete, its decoding is not. */
	assert_true(r.msgs[0].m.complete);
	assert_true(r.msgs[0].m.decode_error);
	assert_true(r.msgs[1].m.complete);
	assert_false(r.msgs[1].m.decode_error);
	assert_string_equal(r.msgs[1].body.p, completion_json);
	http1_get_stats(s, &st);
	assert_int_equal(st.decode_errors, 1);
	http1_stream_free(s);
	rec_free(&r);
	buf_free(&b);
}

static void gzip_cut_short(void **state)
{
	struct buf gz = { 0 }, b = { 0 };
	struct rec r;
	struct http1_stream *s = open_stream(&r, false, NULL);

	(void)state;
	compress_into(&gz, completion_json, strlen(completion_json), 31);
	/* The framing says 20 bytes: the gzip stream inside is unfinished. */
	buf_str(&b, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 20\r\n\r\n");
	buf_add(&b, gz.p, 20);
	feed(s, b.p, b.len);
	assert_int_equal(r.n_done, 1);
	assert_true(r.msgs[0].m.complete);
	assert_true(r.msgs[0].m.decode_error);
	assert_int_equal(r.n_errs, 1);
	assert_string_equal(r.errs[0].what, "truncated compressed body");
	http1_stream_free(s);
	rec_free(&r);
	buf_free(&b);
	buf_free(&gz);
}

static void gap_in_body_stays_in_step(void **state)
{
	struct buf b = { 0 };
	struct rec r;
	struct http1_stream *s = open_stream(&r, true, NULL);
	size_t head, body = strlen(chat_json);
	struct http1_stats st;

	(void)state;
	openai_request(&b);
	head = b.len - body;
	openai_request(&b);
	feed(s, b.p, head + 40);
	http1_gap(s, 30);
	/* The message ends at the gap, not later. */
	assert_int_equal(r.n_done, 1);
	assert_false(r.msgs[0].m.complete);
	assert_int_equal(r.msgs[0].m.body_total, 40);
	assert_memory_equal(r.msgs[0].body.p, chat_json, 40);
	feed(s, b.p + head + 70, b.len - head - 70);
	assert_int_equal(r.n_done, 2);
	assert_true(r.msgs[1].m.complete);
	assert_string_equal(r.msgs[1].body.p, chat_json);
	assert_int_equal(r.msgs[1].m.stream_offset, head + body);
	assert_int_equal(r.n_errs, 0);
	http1_get_stats(s, &st);
	assert_int_equal(st.gaps, 1);
	assert_int_equal(st.gap_bytes, 30);
	assert_int_equal(st.bytes_discarded, body - 70);
	assert_int_equal(st.bytes, b.len);
	http1_stream_free(s);
	rec_free(&r);
	buf_free(&b);
}

static void gap_unknown_size_resyncs(void **state)
{
	struct buf b = { 0 };
	struct rec r;
	struct http1_stream *s = open_stream(&r, true, NULL);
	size_t head, body = strlen(chat_json);
	struct http1_stats st;

	(void)state;
	openai_request(&b);
	head = b.len - body;
	openai_request(&b);
	feed(s, b.p, head + 40);
	http1_gap(s, 0);
	assert_int_equal(r.n_done, 1);
	assert_false(r.msgs[0].m.complete);
	feed(s, b.p + head + 70, b.len - head - 70);
	assert_int_equal(r.n_done, 2);
	assert_true(r.msgs[1].m.complete);
	assert_string_equal(r.msgs[1].body.p, chat_json);
	/* A gap is not malformed input. */
	assert_int_equal(r.n_errs, 0);
	http1_get_stats(s, &st);
	assert_int_equal(st.bytes_discarded, body - 70);
	http1_stream_free(s);
	rec_free(&r);
	buf_free(&b);
}

static void gap_past_body_and_in_head(void **state)
{
	struct buf b = { 0 };
	struct rec r;
	struct http1_stream *s = open_stream(&r, true, NULL);
	size_t head, body = strlen(chat_json);

	(void)state;
	openai_request(&b);
	head = b.len - body;
	openai_request(&b);
	openai_request(&b);
	/* Lose the end of body 1 and the start of head 2: request 3 is next. */
	feed(s, b.p, head + 10);
	http1_gap(s, body - 10 + 20);
	feed(s, b.p + head + body + 20, b.len - (head + body + 20));
	assert_int_equal(r.n_done, 2);
	assert_false(r.msgs[0].m.complete);
	assert_true(r.msgs[1].m.complete);
	assert_int_equal(r.msgs[1].m.stream_offset, 2 * (head + body));
	http1_stream_free(s);
	rec_free(&r);

	/* Lose part of a head: no message was announced, none is finished. */
	s = open_stream(&r, true, NULL);
	feed(s, b.p, 50);
	http1_gap(s, 10);
	feed(s, b.p + 60, b.len - 60);
	assert_int_equal(r.n_done, 2);
	assert_int_equal(r.msgs[0].m.stream_offset, head + body);
	assert_true(r.msgs[0].m.complete);
	assert_int_equal(r.n_errs, 0);
	http1_stream_free(s);
	rec_free(&r);
	buf_free(&b);
}

static void gap_in_chunk(void **state)
{
	struct buf b = { 0 };
	struct rec r;
	struct http1_stream *s = open_stream(&r, false, NULL);
	const char *hello;

	(void)state;
	buf_str(&b, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "10\r\n0123456789abcdef\r\n4\r\nwxyz\r\n0\r\n\r\n"
		    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
	hello = strstr(b.p, "0123");
	feed(s, b.p, hello + 4 - b.p);
	http1_gap(s, 8);
	feed(s, hello + 12, b.p + b.len - (hello + 12));
	assert_int_equal(r.n_done, 2);
	assert_false(r.msgs[0].m.complete);
	assert_string_equal(r.msgs[0].body.p, "0123");
	assert_string_equal(r.msgs[1].body.p, "hello");
	assert_int_equal(r.n_errs, 0);
	http1_stream_free(s);
	rec_free(&r);
	buf_free(&b);
}

static void end_in_flight(void **state)
{
	struct rec r;
	struct http1_stream *s = open_stream(&r, false, NULL);

	(void)state;
	feed_str(s, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234");
	http1_end(s);
	assert_int_equal(r.n_done, 1);
	assert_false(r.msgs[0].m.complete);
	assert_string_equal(r.msgs[0].body.p, "01234");
	/* As new: offsets and sequence numbers start again. */
	feed_str(s, "HTTP/1.1 200 OK\r\nContent-Le");
	http1_end(s);
	assert_int_equal(r.n_errs, 1);
	assert_int_equal(r.errs[0].err, -ENODATA);
	assert_int_equal(r.errs[0].off, 0);
	feed_str(s, "HTTP/1.1 204 No Content\r\n\r\n");
	assert_int_equal(r.n_done, 2);
	assert_int_equal(r.msgs[1].m.seq, 0);
	http1_stream_free(s);
	rec_free(&r);
}

static void upgrade_and_connect(void **state)
{
	struct rec r;
	struct http1_stream *s = open_stream(&r, false, NULL);
	struct http1_stats st;

	(void)state;
	feed_str(s, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		    "Connection: Upgrade\r\n\r\n\x81\x05hello");
	assert_int_equal(r.n_done, 1);
	assert_true(r.msgs[0].m.upgrade);
	feed_str(s, "HTTP/1.1 200 OK\r\n\r\n");
	http1_get_stats(s, &st);
	assert_int_equal(st.bytes_tunnel, 7 + strlen("HTTP/1.1 200 OK\r\n\r\n"));
	assert_int_equal(r.n_done, 1);
	assert_int_equal(r.n_errs, 0);
	http1_stream_free(s);
	rec_free(&r);

	/* A request stream cannot know whether the switch happened: it goes on if HTTP follows. */
	s = open_stream(&r, true, NULL);
	feed_str(s,
		 "CONNECT api.openai.com:443 HTTP/1.1\r\nHost: api.openai.com:443\r\n\r\n"
		 "CONNECT api.openai.com:443 HTTP/1.1\r\nProxy-Authorization: Basic eDp5\r\n\r\n");
	feed(s, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
	assert_int_equal(r.n_done, 2);
	assert_int_equal(r.n_errs, 0);
	http1_get_stats(s, &st);
	assert_int_equal(st.bytes_tunnel, 11);
	assert_int_equal(st.bytes_discarded, 0);
	http1_stream_free(s);
	rec_free(&r);
}

/* ---- limits ---------------------------------------------------------------- */

static void body_cap(void **state)
{
	struct http1_limits lim = http1_limits_default();
	struct rec r;
	struct http1_stream *s;
	struct http1_stats st;

	(void)state;
	lim.max_body = 10;
	s = open_stream(&r, true, &lim);
	feed_str(s, "POST / HTTP/1.1\r\nContent-Length: 26\r\n\r\nabcdefghijklmnopqrstuvwxyz");
	assert_int_equal(r.n_done, 1);
	assert_true(r.msgs[0].m.complete);
	assert_true(r.msgs[0].m.body_truncated);
	assert_int_equal(r.msgs[0].m.body_len, 10);
	assert_int_equal(r.msgs[0].m.body_total, 26);
	assert_string_equal(r.msgs[0].body.p, "abcdefghij");
	/* Streaming saw all of it. */
	assert_string_equal(r.msgs[0].streamed.p, "abcdefghijklmnopqrstuvwxyz");
	http1_get_stats(s, &st);
	assert_int_equal(st.bodies_truncated, 1);
	http1_stream_free(s);
	rec_free(&r);
}

static void gzip_bomb(const struct http1_limits *lim, uint64_t cap)
{
	size_t n = 10u << 20;
	char *zeros = calloc(1, n);
	struct buf b = { 0 };
	struct rec r;
	struct http1_stream *s = open_stream(&r, false, lim);
	struct http1_stats st;
	const struct http1_message *m = &r.msgs[0].m;

	assert_non_null(zeros);
	compressed_response(&b, "gzip", 31, zeros, n);
	assert_true(b.len < 64 << 10);
	buf_str(&b, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	feed(s, b.p, b.len);
	assert_int_equal(r.n_done, 2);
	assert_true(m->complete);
	assert_true(m->decode_truncated);
	assert_false(m->decode_error);
	assert_int_equal(m->body_total, cap);
	assert_int_equal(m->body_len, lim ? lim->max_body : http1_limits_default().max_body);
	assert_true(m->body_truncated);
	assert_int_equal(r.msgs[0].streamed_total, cap);
	assert_string_equal(r.msgs[1].body.p, "ok");
	assert_int_equal(r.n_errs, 0);
	http1_get_stats(s, &st);
	assert_int_equal(st.decode_capped, 1);
	assert_int_equal(st.bodies_truncated, 1);
	http1_stream_free(s);
	rec_free(&r);
	buf_free(&b);
	free(zeros);
}

static void gzip_bomb_default_limits(void **state)
{
	(void)state;
	gzip_bomb(NULL, http1_limits_default().max_decoded);
}

static void gzip_bomb_small_cap(void **state)
{
	struct http1_limits lim = http1_limits_default();

	(void)state;
	lim.max_decoded = 1000000;
	lim.max_body = 4096;
	gzip_bomb(&lim, 1000000);
}

static void constructor_and_nulls(void **state)
{
	struct http1_limits lim = http1_limits_default();
	struct http1_stream *s = NULL;
	struct http1_stats st;

	(void)state;
	assert_true(lim.max_start_line <= lim.max_head);
	assert_true(lim.max_decoded < 10u << 20);
	lim.max_head = 4;
	assert_int_equal(http1_stream_new(&lim, NULL, NULL, &s), -EINVAL);
	assert_int_equal(http1_stream_new(NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(http1_stream_new(NULL, NULL, NULL, &s), 0);
	/* No callbacks at all: still consumed and counted. */
	assert_int_equal(
		http1_feed(s, (const uint8_t *)"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", 39),
		0);
	assert_int_equal(http1_feed(s, NULL, 0), 0);
	assert_int_equal(http1_feed(s, NULL, 1), -EINVAL);
	http1_get_stats(s, &st);
	assert_int_equal(st.messages, 1);
	http1_stream_free(s);
	http1_stream_free(NULL);
	http1_gap(NULL, 1);
	http1_end(NULL);
}

/* Callbacks that allocate nothing, for when allocations fail. */
struct counts {
	int heads, done, complete, errors;
	char last_body[8];
};

static void count_headers(const struct http1_message *m, void *arg)
{
	(void)m;
	((struct counts *)arg)->heads++;
}

static void count_message(const struct http1_message *m, void *arg)
{
	struct counts *c = arg;
	size_t n = m->body_len < sizeof(c->last_body) - 1 ? m->body_len : sizeof(c->last_body) - 1;

	c->done++;
	c->complete += m->complete;
	memcpy(c->last_body, m->body ? (const char *)m->body : "", n);
	c->last_body[n] = 0;
}

static void count_error(int err, const char *what, uint64_t off, void *arg)
{
	(void)err;
	(void)what;
	(void)off;
	((struct counts *)arg)->errors++;
}

/* Out of memory anywhere: input is still consumed, counted, and the stream recovers. */
static void allocation_failures(void **state)
{
	static const struct http1_callbacks cb = {
		.on_headers = count_headers,
		.on_message = count_message,
		.on_error = count_error,
	};
	static const char probe[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	struct buf b = { 0 };

	(void)state;
	gzip_response(&b);
	sse_response(&b);
	compressed_response(&b, "deflate", -15, completion_json, strlen(completion_json));
	buf_str(&b, "HTTP/1.1 204 No Content\r\n\r\n");
	for (int persistent = 0; persistent < 2; persistent++) {
		for (long at = 0;; at++) {
			struct http1_stream *s;
			struct http1_stats st;
			struct counts c = { 0 };
			bool hit;
			int r;

			assert_int_equal(http1_stream_new(NULL, &cb, &c, &s), 0);
			alloc_count = 0;
			alloc_persistent = persistent;
			alloc_fail_at = at;
			for (size_t i = 0; i < b.len; i += 97) {
				r = http1_feed(s, u8(&b) + i, b.len - i < 97 ? b.len - i : 97);
				assert_true(r == 0 || r == -ENOMEM);
			}
			hit = alloc_count > at;
			alloc_fail_at = -1;
			/* The decoder does allocate: else this test would prove nothing. */
			if (!at)
				assert_true(hit);
			assert_int_equal(c.heads, c.done);
			http1_get_stats(s, &st);
			assert_int_equal(st.bytes, b.len);
			assert_true(hit ? st.alloc_failures > 0 : st.alloc_failures == 0);
			if (!hit)
				assert_int_equal(c.complete, 4);
			/* Not wedged: the next message decodes. */
			c.done = c.complete = 0;
			assert_int_equal(http1_feed(s, (const uint8_t *)probe, strlen(probe)), 0);
			assert_int_equal(c.done, 1);
			assert_int_equal(c.complete, 1);
			assert_string_equal(c.last_body, "ok");
			http1_stream_free(s);
			if (!hit)
				break;
		}
	}
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(openai_post),
		cmocka_unit_test(header_lookup),
		cmocka_unit_test(sse_streaming_response),
		cmocka_unit_test(gzip_json_response),
		cmocka_unit_test(deflate_zlib_and_raw),
		cmocka_unit_test(undecoded_codings),
		cmocka_unit_test(keepalive_three_requests),
		cmocka_unit_test(bodiless_and_close_delimited),
		cmocka_unit_test(bare_lf_and_empty_lines),
		cmocka_unit_test(folded_header),
		cmocka_unit_test(content_length_rules),
		cmocka_unit_test(split_requests),
		cmocka_unit_test(split_responses),
		cmocka_unit_test(split_damaged),
		cmocka_unit_test(split_with_gaps),
		cmocka_unit_test(bad_chunk_size),
		cmocka_unit_test(chunk_framing_errors),
		cmocka_unit_test(oversized_header),
		cmocka_unit_test(head_limits),
		cmocka_unit_test(garbage_before_request),
		cmocka_unit_test(resync_inside_text),
		cmocka_unit_test(invalid_status_line),
		cmocka_unit_test(gzip_corrupt),
		cmocka_unit_test(gzip_cut_short),
		cmocka_unit_test(gap_in_body_stays_in_step),
		cmocka_unit_test(gap_unknown_size_resyncs),
		cmocka_unit_test(gap_past_body_and_in_head),
		cmocka_unit_test(gap_in_chunk),
		cmocka_unit_test(end_in_flight),
		cmocka_unit_test(upgrade_and_connect),
		cmocka_unit_test(body_cap),
		cmocka_unit_test(gzip_bomb_default_limits),
		cmocka_unit_test(gzip_bomb_small_cap),
		cmocka_unit_test(constructor_and_nulls),
		cmocka_unit_test(allocation_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

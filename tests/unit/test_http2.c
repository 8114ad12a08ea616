// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for src/decode/http2.c. The HTTP/2 bytes are genuine: a
 * libnghttp2 client session and a server session talk to each other in
 * memory, and every frame either sends is recorded in order, by direction.
 * The decoder is fed those recordings whole and split anywhere (the results
 * must not change), damaged, with lost bytes, under tight limits and with
 * failing allocations.
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

#include <nghttp2/nghttp2.h>

#include "warden/decode/http2.h"

/* ---- failing allocations ---------------------------------------------------- */

/*
 * glibc lets a program replace malloc: these forward to it, except that
 * while armed the alloc_fail_at-th allocation (and, persistent, every one
 * after it) fails. libnghttp2's HPACK inflater and zlib allocate through
 * them too.
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
	if (n)
		memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = 0;
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

/* ---- genuine HTTP/2 from libnghttp2 ------------------------------------------ */

/* What one side wrote, in one mem_send call. */
struct chunk {
	enum http2_dir dir;
	uint8_t *p;
	size_t len;
};

struct wire {
	struct chunk *ch;
	size_t n, cap, total;
	nghttp2_session *cli, *srv;
};

/* A body for a data provider: handed out chunk bytes at a time. */
struct source {
	const uint8_t *p;
	size_t len, pos, chunk;
	bool trailers; /* end with a trailer block instead of END_STREAM on DATA */
	bool defer; /* after the first chunk, hold the rest back (for RST_STREAM) */
	nghttp2_session *sess;
	int32_t sid;
};

static ssize_t source_read(nghttp2_session *sess, int32_t sid, uint8_t *out, size_t len,
			   uint32_t *flags, nghttp2_data_source *src, void *ud)
{
	struct source *s = src->ptr;
	size_t n = s->len - s->pos;

	(void)ud;
	if (s->defer && s->pos)
		return NGHTTP2_ERR_DEFERRED;
	if (n > len)
		n = len;
	if (s->chunk && n > s->chunk)
		n = s->chunk;
	memcpy(out, s->p + s->pos, n);
	s->pos += n;
	if (s->pos == s->len && !s->defer) {
		*flags |= NGHTTP2_DATA_FLAG_EOF;
		if (s->trailers) {
			static const nghttp2_nv tr[] = {
				{ (uint8_t *)"x-usage-tokens", (uint8_t *)"28", 14, 2,
				  NGHTTP2_NV_FLAG_NONE },
			};

			*flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
			assert_int_equal(nghttp2_submit_trailer(sess, sid, tr, 1), 0);
		}
	}
	return n;
}

static void wire_add(struct wire *w, enum http2_dir dir, const uint8_t *p, size_t n)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->ch = realloc(w->ch, w->cap * sizeof(*w->ch));
		assert_non_null(w->ch);
	}
	w->ch[w->n].dir = dir;
	w->ch[w->n].p = malloc(n);
	assert_non_null(w->ch[w->n].p);
	memcpy(w->ch[w->n].p, p, n);
	w->ch[w->n].len = n;
	w->n++;
	w->total += n;
}

static void wire_init(struct wire *w)
{
	nghttp2_session_callbacks *cbs;

	memset(w, 0, sizeof(*w));
	assert_int_equal(nghttp2_session_callbacks_new(&cbs), 0);
	assert_int_equal(nghttp2_session_client_new(&w->cli, cbs, NULL), 0);
	assert_int_equal(nghttp2_session_server_new(&w->srv, cbs, NULL), 0);
	nghttp2_session_callbacks_del(cbs);
	assert_int_equal(nghttp2_submit_settings(w->cli, NGHTTP2_FLAG_NONE, NULL, 0), 0);
	assert_int_equal(nghttp2_submit_settings(w->srv, NGHTTP2_FLAG_NONE, NULL, 0), 0);
}

/* Let both sides talk until neither has anything to say. */
static void pump(struct wire *w)
{
	for (bool more = true; more;) {
		const uint8_t *d;
		ssize_t n;

		more = false;
		while ((n = nghttp2_session_mem_send(w->cli, &d)) > 0) {
			wire_add(w, HTTP2_DIR_CLIENT, d, n);
			assert_int_equal(nghttp2_session_mem_recv(w->srv, w->ch[w->n - 1].p, n), n);
			more = true;
		}
		assert_true(n == 0);
		while ((n = nghttp2_session_mem_send(w->srv, &d)) > 0) {
			wire_add(w, HTTP2_DIR_SERVER, d, n);
			assert_int_equal(nghttp2_session_mem_recv(w->cli, w->ch[w->n - 1].p, n), n);
			more = true;
		}
		assert_true(n == 0);
	}
}

static void wire_free(struct wire *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->ch[i].p);
	free(w->ch);
	nghttp2_session_del(w->cli);
	nghttp2_session_del(w->srv);
	memset(w, 0, sizeof(*w));
}

#define NV(n, v)                                                                                   \
	{                                                                                          \
		(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, NGHTTP2_NV_FLAG_NONE \
	}

static int32_t request(struct wire *w, const nghttp2_nv *nv, size_t n, struct source *body)
{
	nghttp2_data_provider prd = { .source.ptr = body, .read_callback = source_read };
	int32_t sid = nghttp2_submit_request(w->cli, NULL, nv, n, body ? &prd : NULL, NULL);

	assert_true(sid > 0);
	if (body) {
		body->sess = w->cli;
		body->sid = sid;
	}
	return sid;
}

static void response(struct wire *w, int32_t sid, const nghttp2_nv *nv, size_t n,
		     struct source *body)
{
	nghttp2_data_provider prd = { .source.ptr = body, .read_callback = source_read };

	if (body) {
		body->sess = w->srv;
		body->sid = sid;
	}
	assert_int_equal(nghttp2_submit_response(w->srv, sid, nv, n, body ? &prd : NULL), 0);
}

static struct source src_str(const char *s, size_t chunk)
{
	return (struct source){ .p = (const uint8_t *)s, .len = strlen(s), .chunk = chunk };
}

/* ---- bodies ---------------------------------------------------------------- */

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

static const char sse_body[] = "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n"
			       "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n"
			       "data: {\"choices\":[{\"delta\":{\"content\":\"lo!\"}}]}\n\n"
			       "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
			       "data: [DONE]\n\n";

/* wbits 31: gzip; 15: zlib; -15: raw deflate. */
static size_t zcompress(const void *in, size_t n, int wbits, uint8_t *out, size_t cap)
{
	z_stream z = { 0 };

	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)in;
	z.avail_in = n;
	z.next_out = out;
	z.avail_out = cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return cap - z.avail_out;
}

/* ---- recording what the decoder reports ---------------------------------- */

#define MAX_MSGS 32

struct got_msg {
	struct http2_message m; /* scalars only: its slices dangle after the callback */
	char method[16], path[128], authority[128], scheme[16], ctype[64], cenc[32];
	struct buf headers; /* "name: value\n" each */
	struct buf body; /* what on_message gave */
	struct buf streamed; /* what on_body gave */
	bool done;
};

struct rec {
	struct got_msg msgs[MAX_MSGS];
	size_t n_heads, n_done;
	int errs[16];
	char what[16][80];
	size_t n_errs;
	struct buf log; /* every callback, for comparing runs */
};

static void slice_cpy(char *dst, size_t cap, struct http2_slice s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;

	memcpy(dst, s.ptr ? s.ptr : "", n);
	dst[n] = 0;
}

static struct got_msg *find_open(struct rec *r, const struct http2_message *m)
{
	for (size_t i = 0; i < r->n_heads; i++) {
		struct got_msg *g = &r->msgs[i];

		if (!g->done && g->m.stream_id == m->stream_id && g->m.is_request == m->is_request)
			return g;
	}
	fail_msg("no open message for stream %u", m->stream_id);
	return NULL;
}

static void on_headers(const struct http2_message *m, void *arg)
{
	struct rec *r = arg;
	struct got_msg *g;

	buf_printf(&r->log, "H %u req=%d %.*s %.*s %.*s %.*s %d ct=%.*s ce=%.*s coding=%d nh=%zu\n",
		   m->stream_id, m->is_request, (int)m->method.len, m->method.ptr, (int)m->path.len,
		   m->path.ptr, (int)m->authority.len, m->authority.ptr, (int)m->scheme.len,
		   m->scheme.ptr, m->status, (int)m->content_type.len, m->content_type.ptr,
		   (int)m->content_encoding.len, m->content_encoding.ptr, m->coding, m->n_headers);
	assert_true(r->n_heads < MAX_MSGS);
	g = &r->msgs[r->n_heads++];
	g->m = *m;
	slice_cpy(g->method, sizeof(g->method), m->method);
	slice_cpy(g->path, sizeof(g->path), m->path);
	slice_cpy(g->authority, sizeof(g->authority), m->authority);
	slice_cpy(g->scheme, sizeof(g->scheme), m->scheme);
	slice_cpy(g->ctype, sizeof(g->ctype), m->content_type);
	slice_cpy(g->cenc, sizeof(g->cenc), m->content_encoding);
	for (size_t i = 0; i < m->n_headers; i++) {
		const struct http2_header *h = &m->headers[i];

		buf_add(&g->headers, h->name.ptr, h->name.len);
		buf_add(&g->headers, ": ", 2);
		buf_add(&g->headers, h->value.ptr, h->value.len);
		buf_add(&g->headers, "\n", 1);
	}
	buf_add(&r->log, g->headers.p, g->headers.len);
}

static void on_body(const struct http2_message *m, const uint8_t *d, size_t n, void *arg)
{
	struct got_msg *g = find_open(arg, m);

	/* Pieces follow the input's cuts: only their concatenation is compared. */
	buf_add(&g->streamed, d, n);
	assert_int_equal(m->body_total, g->streamed.len);
}

static void on_message(const struct http2_message *m, void *arg)
{
	struct rec *r = arg;
	struct got_msg *g = find_open(r, m);

	g->done = true;
	g->m = *m;
	r->n_done++;
	buf_add(&g->body, m->body, m->body_len);
	buf_printf(&r->log,
		   "M %u req=%d complete=%d wire=%lu total=%lu len=%zu trunc=%d dtrunc=%d derr=%d "
		   "tr=%d htrunc=%d streamed=%zu body=",
		   m->stream_id, m->is_request, m->complete, (unsigned long)m->wire_len,
		   (unsigned long)m->body_total, m->body_len, m->body_truncated,
		   m->decode_truncated, m->decode_error, m->has_trailers, m->headers_truncated,
		   g->streamed.len);
	buf_add(&r->log, m->body, m->body_len);
	buf_add(&r->log, "\n", 1);
	assert_true(m->body_len <= m->body_total);
	assert_true(m->body_len == 0 || !memcmp(m->body, g->streamed.p, m->body_len));
}

static void on_error(int err, const char *what, enum http2_dir dir, uint64_t off, void *arg)
{
	struct rec *r = arg;

	buf_printf(&r->log, "E %d %s dir=%d @%lu\n", err, what, dir, (unsigned long)off);
	if (r->n_errs < 16) {
		r->errs[r->n_errs] = err;
		snprintf(r->what[r->n_errs], sizeof(r->what[0]), "%s", what);
		r->n_errs++;
	}
}

static const struct http2_callbacks rec_cb = {
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
	buf_free(&r->log);
}

static bool has_err(const struct rec *r, int err)
{
	for (size_t i = 0; i < r->n_errs; i++)
		if (r->errs[i] == err)
			return true;
	return false;
}

/* ---- feeding --------------------------------------------------------------- */

/*
 * Feed the recording, cut at the given global offsets (sorted), with the
 * bytes of gap_dir from global offset gap_at on, gap_len of them, lost.
 */
struct feed_opts {
	const size_t *cuts;
	size_t n_cuts;
	size_t gap_at, gap_len;
	bool end; /* http2_end at the end */
	size_t stop_at; /* feed only this much (SIZE_MAX: all) */
};

static void feed(struct http2_conn *c, const struct wire *w, const struct feed_opts *o)
{
	size_t pos = 0, k = 0;

	for (size_t i = 0; i < w->n && pos < o->stop_at; i++) {
		const struct chunk *ch = &w->ch[i];
		size_t off = 0;

		while (off < ch->len && pos < o->stop_at) {
			size_t n = ch->len - off;

			while (k < o->n_cuts && o->cuts[k] <= pos)
				k++;
			if (k < o->n_cuts && o->cuts[k] - pos < n)
				n = o->cuts[k] - pos;
			if (o->gap_len && pos < o->gap_at && o->gap_at - pos < n)
				n = o->gap_at - pos;
			if (o->stop_at - pos < n)
				n = o->stop_at - pos;
			if (o->gap_len && pos == o->gap_at) {
				n = o->gap_len < ch->len - off ? o->gap_len : ch->len - off;
				http2_gap(c, ch->dir, n);
			} else {
				assert_int_equal(http2_feed(c, ch->dir, ch->p + off, n), 0);
			}
			off += n;
			pos += n;
		}
	}
	if (o->end)
		http2_end(c);
}

static void decode(const struct http2_limits *lim, const struct wire *w, const struct feed_opts *o,
		   struct rec *r, struct http2_stats *st)
{
	struct http2_conn *c;

	memset(r, 0, sizeof(*r));
	assert_int_equal(http2_conn_new(lim, &rec_cb, r, &c), 0);
	feed(c, w, o);
	http2_get_stats(c, st);
	http2_conn_free(c);
	/* Exactly one on_message for each on_headers. */
	assert_int_equal(r->n_heads, r->n_done);
}

static const struct feed_opts whole = { .gap_at = SIZE_MAX, .end = true, .stop_at = SIZE_MAX };

static char *run_log(const struct http2_limits *lim, const struct wire *w,
		     const struct feed_opts *o)
{
	struct rec r;
	struct http2_stats st;
	char *out;

	decode(lim, w, o, &r, &st);
	buf_printf(&r.log, "stats msgs=%lu inc=%lu bytes=%lu disc=%lu err=%lu\n",
		   (unsigned long)st.messages, (unsigned long)st.messages_incomplete,
		   (unsigned long)st.bytes, (unsigned long)st.bytes_discarded,
		   (unsigned long)st.errors);
	out = r.log.p;
	r.log.p = NULL;
	rec_free(&r);
	return out;
}

/* Every single cut and byte-at-a-time give what the whole recording gives. */
static void check_splits(const struct http2_limits *lim, const struct wire *w,
			 const struct feed_opts *base)
{
	struct feed_opts o = *base;
	char *ref = run_log(lim, w, base);
	size_t *cuts = calloc(w->total + 1, sizeof(*cuts));

	assert_non_null(cuts);
	for (size_t cut = 0; cut <= w->total; cut++) {
		char *x;

		o.cuts = &cut;
		o.n_cuts = 1;
		x = run_log(lim, w, &o);
		assert_string_equal(x, ref);
		free(x);
	}
	for (size_t i = 0; i < w->total; i++)
		cuts[i] = i + 1;
	o.cuts = cuts;
	o.n_cuts = w->total;
	{
		char *x = run_log(lim, w, &o);

		assert_string_equal(x, ref);
		free(x);
	}
	free(cuts);
	free(ref);
}

/* ---- exchanges ------------------------------------------------------------- */

static const nghttp2_nv chat_req[] = {
	NV(":method", "POST"),
	NV(":scheme", "https"),
	NV(":authority", "api.openai.com"),
	NV(":path", "/v1/chat/completions"),
	NV("content-type", "application/json"),
	NV("authorization", "Bearer sk-proj-test0000000000"),
	NV("user-agent", "OpenAI/Python 1.54.3"),
	NV("accept-encoding", "gzip, deflate"),
};

static const nghttp2_nv get_req[] = {
	NV(":method", "GET"),
	NV(":scheme", "https"),
	NV(":authority", "api.openai.com"),
	NV(":path", "/v1/models"),
	NV("accept", "application/json"),
};

static const nghttp2_nv json_resp[] = {
	NV(":status", "200"),
	NV("content-type", "application/json"),
	NV("x-request-id", "req_0123456789abcdef"),
};

/* POST with a JSON body; JSON response in many small DATA frames. */
static void chat_exchange(struct wire *w, size_t resp_chunk)
{
	static struct source req, resp;

	wire_init(w);
	req = src_str(chat_json, 0);
	resp = src_str(completion_json, resp_chunk);
	assert_int_equal(request(w, chat_req, 8, &req), 1);
	pump(w);
	response(w, 1, json_resp, 3, &resp);
	pump(w);
}

static void openai_post(void **state)
{
	struct wire w;
	struct rec r;
	struct http2_stats st;
	struct http2_slice v;

	(void)state;
	chat_exchange(&w, 0);
	decode(NULL, &w, &whole, &r, &st);
	assert_int_equal(r.n_heads, 2);
	assert_int_equal(r.n_errs, 0);
	assert_string_equal(r.msgs[0].method, "POST");
	assert_string_equal(r.msgs[0].path, "/v1/chat/completions");
	assert_string_equal(r.msgs[0].authority, "api.openai.com");
	assert_string_equal(r.msgs[0].scheme, "https");
	assert_string_equal(r.msgs[0].ctype, "application/json");
	assert_true(r.msgs[0].m.is_request);
	assert_true(r.msgs[0].m.complete);
	assert_int_equal(r.msgs[0].m.stream_id, 1);
	assert_string_equal(r.msgs[0].headers.p, "content-type: application/json\n"
						 "authorization: Bearer sk-proj-test0000000000\n"
						 "user-agent: OpenAI/Python 1.54.3\n"
						 "accept-encoding: gzip, deflate\n");
	assert_string_equal(r.msgs[0].body.p, chat_json);
	assert_int_equal(r.msgs[0].m.wire_len, strlen(chat_json));
	assert_false(r.msgs[1].m.is_request);
	assert_int_equal(r.msgs[1].m.status, 200);
	assert_true(r.msgs[1].m.complete);
	assert_string_equal(r.msgs[1].body.p, completion_json);
	assert_string_equal(r.msgs[1].streamed.p, completion_json);
	assert_string_equal(r.msgs[1].headers.p, "content-type: application/json\n"
						 "x-request-id: req_0123456789abcdef\n");
	assert_int_equal(st.messages, 2);
	assert_int_equal(st.messages_incomplete, 0);
	assert_int_equal(st.bytes, w.total);
	assert_int_equal(st.bytes_discarded, 0);
	assert_int_equal(st.undecodable, 0);
	assert_true(st.frames >= 8);
	rec_free(&r);

	/* The header lookup helper, on a message of our own. */
	{
		struct http2_header h[] = { { { "content-type", 12 }, { "text/plain", 10 } } };
		struct http2_message m = { .headers = h, .n_headers = 1 };

		assert_int_equal(http2_header_get(&m, "Content-Type", &v), 0);
		assert_int_equal(v.len, 10);
		assert_int_equal(http2_header_get(&m, "host", &v), -ENOENT);
	}
	wire_free(&w);
}

/* Two streams at once, their DATA frames interleaved. */
static void interleaved(struct wire *w)
{
	static struct source r1, r3, body1;
	static const nghttp2_nv sse_resp[] = {
		NV(":status", "200"),
		NV("content-type", "text/event-stream"),
		NV("cache-control", "no-cache"),
	};

	wire_init(w);
	body1 = src_str(chat_json, 0);
	assert_int_equal(request(w, chat_req, 8, &body1), 1);
	assert_int_equal(request(w, get_req, 5, NULL), 3);
	pump(w);
	r1 = src_str(sse_body, 40);
	r3 = src_str(completion_json, 50);
	response(w, 1, sse_resp, 3, &r1);
	response(w, 3, json_resp, 3, &r3);
	pump(w);
}

static void two_streams_interleaved(void **state)
{
	struct wire w;
	struct rec r;
	struct http2_stats st;
	int order[2] = { -1, -1 };
	bool interleaved_seen = false;
	int last = 0;

	(void)state;
	interleaved(&w);
	/* The recording really interleaves the two responses' DATA frames. */
	for (size_t i = 0; i < w.n; i++) {
		const uint8_t *f = w.ch[i].p;

		if (w.ch[i].dir != HTTP2_DIR_SERVER || w.ch[i].len < 9 || f[3] != 0)
			continue;
		if (last && last != f[8] && order[1] >= 0)
			interleaved_seen = true;
		if (last != f[8])
			order[last ? 1 : 0] = f[8];
		last = f[8];
	}
	assert_true(interleaved_seen);
	decode(NULL, &w, &whole, &r, &st);
	assert_int_equal(r.n_heads, 4);
	assert_int_equal(r.n_errs, 0);
	for (size_t i = 0; i < 4; i++) {
		struct got_msg *g = &r.msgs[i];

		assert_true(g->m.complete);
		if (g->m.is_request && g->m.stream_id == 3) {
			assert_string_equal(g->method, "GET");
			assert_string_equal(g->path, "/v1/models");
			assert_int_equal(g->m.body_total, 0);
		} else if (g->m.stream_id == 1 && !g->m.is_request) {
			assert_string_equal(g->ctype, "text/event-stream");
			assert_string_equal(g->body.p, sse_body);
			assert_true(g->m.wire_len == strlen(sse_body));
		} else if (g->m.stream_id == 3) {
			assert_string_equal(g->body.p, completion_json);
		} else {
			assert_string_equal(g->body.p, chat_json);
		}
	}
	assert_int_equal(st.messages, 4);
	rec_free(&r);
	check_splits(NULL, &w, &whole);
	wire_free(&w);
}

static void split_anywhere(void **state)
{
	struct wire w;

	(void)state;
	chat_exchange(&w, 37);
	check_splits(NULL, &w, &whole);
	wire_free(&w);
}

static void gzip_exchange(struct wire *w, uint8_t *z, size_t zcap, int wbits, const char *enc)
{
	static struct source resp;
	nghttp2_nv nv[] = {
		NV(":status", "200"),
		NV("content-type", "application/json"),
		{ (uint8_t *)"content-encoding", (uint8_t *)enc, 16, strlen(enc),
		  NGHTTP2_NV_FLAG_NONE },
	};
	size_t zn = zcompress(completion_json, strlen(completion_json), wbits, z, zcap);

	wire_init(w);
	resp = (struct source){ .p = z, .len = zn, .chunk = 31 };
	assert_int_equal(request(w, get_req, 5, NULL), 1);
	pump(w);
	response(w, 1, nv, 3, &resp);
	pump(w);
}

static void gzip_response(void **state)
{
	static uint8_t z[4096];
	struct wire w;
	struct rec r;
	struct http2_stats st;

	(void)state;
	gzip_exchange(&w, z, sizeof(z), 31, "gzip");
	decode(NULL, &w, &whole, &r, &st);
	assert_int_equal(r.n_heads, 2);
	assert_string_equal(r.msgs[1].cenc, "gzip");
	assert_int_equal(r.msgs[1].m.coding, HTTP2_CODING_GZIP);
	assert_string_equal(r.msgs[1].body.p, completion_json);
	assert_true(r.msgs[1].m.wire_len < strlen(completion_json));
	assert_int_equal(r.msgs[1].m.body_total, strlen(completion_json));
	assert_false(r.msgs[1].m.decode_error);
	rec_free(&r);
	check_splits(NULL, &w, &whole);
	wire_free(&w);

	/* Raw deflate labelled deflate, as some servers send. */
	gzip_exchange(&w, z, sizeof(z), -15, "deflate");
	decode(NULL, &w, &whole, &r, &st);
	assert_string_equal(r.msgs[1].body.p, completion_json);
	assert_int_equal(st.decode_errors, 0);
	rec_free(&r);
	wire_free(&w);

	/* A coding not understood: passed on raw, counted. */
	gzip_exchange(&w, z, sizeof(z), 31, "br");
	decode(NULL, &w, &whole, &r, &st);
	assert_true(r.msgs[1].m.body_undecoded);
	assert_int_equal(r.msgs[1].m.body_total, r.msgs[1].m.wire_len);
	assert_int_equal(st.bodies_undecoded, 1);
	rec_free(&r);
	wire_free(&w);
}

/* Zip bomb: 64 MiB of zeros, capped at max_decoded. */
static void gzip_bomb(void **state)
{
	size_t n = 64u << 20, cap = 256 << 10, zn;
	uint8_t *zeros = calloc(1, n), *z = malloc(cap);
	struct http2_limits lim = http2_limits_default();
	static struct source resp;
	static const nghttp2_nv nv[] = { NV(":status", "200"), NV("content-encoding", "gzip") };
	struct wire w;
	struct rec r;
	struct http2_stats st;

	(void)state;
	assert_non_null(zeros);
	assert_non_null(z);
	zn = zcompress(zeros, n, 31, z, cap);
	free(zeros);
	assert_true(zn < 65535);
	wire_init(&w);
	resp = (struct source){ .p = z, .len = zn };
	request(&w, get_req, 5, NULL);
	pump(&w);
	response(&w, 1, nv, 2, &resp);
	pump(&w);
	decode(NULL, &w, &whole, &r, &st);
	assert_true(r.msgs[1].m.decode_truncated);
	assert_int_equal(r.msgs[1].m.body_total, lim.max_decoded);
	assert_int_equal(r.msgs[1].m.body_len, lim.max_body);
	assert_true(r.msgs[1].m.body_truncated);
	assert_true(r.msgs[1].m.complete);
	assert_int_equal(st.decode_capped, 1);
	assert_int_equal(st.bodies_truncated, 1);
	rec_free(&r);
	lim.max_decoded = 1000;
	lim.max_body = 10;
	decode(&lim, &w, &whole, &r, &st);
	assert_int_equal(r.msgs[1].m.body_total, 1000);
	assert_int_equal(r.msgs[1].m.body_len, 10);
	rec_free(&r);
	wire_free(&w);
	free(z);
}

/* Trailers after DATA end the message; a 1xx head before the response is skipped. */
static void trailers_and_informational(void **state)
{
	static struct source resp;
	static const nghttp2_nv cont[] = { NV(":status", "103"), NV("link", "</a.css>") };
	struct wire w;
	struct rec r;
	struct http2_stats st;

	(void)state;
	wire_init(&w);
	request(&w, get_req, 5, NULL);
	pump(&w);
	assert_int_equal(nghttp2_submit_headers(w.srv, NGHTTP2_FLAG_NONE, 1, NULL, cont, 2, NULL),
			 0);
	resp = src_str(completion_json, 64);
	resp.trailers = true;
	response(&w, 1, json_resp, 3, &resp);
	pump(&w);
	decode(NULL, &w, &whole, &r, &st);
	assert_int_equal(r.n_heads, 2);
	assert_int_equal(r.n_errs, 0);
	assert_int_equal(r.msgs[1].m.status, 200);
	assert_true(r.msgs[1].m.has_trailers);
	assert_true(r.msgs[1].m.complete);
	assert_string_equal(r.msgs[1].body.p, completion_json);
	assert_int_equal(st.trailers, 1);
	assert_int_equal(st.informational, 1);
	rec_free(&r);
	check_splits(NULL, &w, &whole);
	wire_free(&w);
}

/* Lost bytes anywhere: the connection is undecodable, every message ends once. */
static void gap_makes_undecodable(void **state)
{
	struct wire w;
	struct rec r;
	struct http2_stats st;
	struct feed_opts o = whole;
	size_t resp_data = 0, pos = 0;

	(void)state;
	interleaved(&w);
	/* The middle of the first server DATA frame. */
	for (size_t i = 0; i < w.n && !resp_data; i++) {
		if (w.ch[i].dir == HTTP2_DIR_SERVER && w.ch[i].len > 20 && w.ch[i].p[3] == 0)
			resp_data = pos + 12;
		pos += w.ch[i].len;
	}
	assert_true(resp_data);
	o.gap_at = resp_data;
	o.gap_len = 5;
	decode(NULL, &w, &o, &r, &st);
	assert_true(has_err(&r, -ENODATA));
	assert_int_equal(st.undecodable, 1);
	assert_int_equal(st.gaps, 1);
	assert_int_equal(st.gap_bytes, 5);
	assert_int_equal(st.bytes, w.total);
	assert_true(st.bytes_discarded > 0);
	assert_int_equal(st.messages, 4);
	assert_int_equal(st.messages_incomplete, 2);
	for (size_t i = 0; i < r.n_heads; i++)
		assert_true(r.msgs[i].m.is_request == r.msgs[i].m.complete);
	rec_free(&r);
	check_splits(NULL, &w, &o);

	/* A gap in the client direction, before any message: nothing is reported. */
	o.gap_at = 30;
	o.gap_len = 3;
	decode(NULL, &w, &o, &r, &st);
	assert_int_equal(r.n_heads, 0);
	assert_int_equal(r.n_errs, 1);
	assert_int_equal(r.errs[0], -ENODATA);
	assert_int_equal(st.bytes_discarded, w.total - 33);
	rec_free(&r);
	wire_free(&w);
}

static void rst_stream_ends_incomplete(void **state)
{
	static struct source resp;
	struct wire w;
	struct rec r;
	struct http2_stats st;

	(void)state;
	wire_init(&w);
	request(&w, get_req, 5, NULL);
	pump(&w);
	resp = src_str(completion_json, 20);
	resp.defer = true;
	response(&w, 1, json_resp, 3, &resp);
	pump(&w);
	assert_int_equal(nghttp2_submit_rst_stream(w.cli, NGHTTP2_FLAG_NONE, 1, NGHTTP2_CANCEL), 0);
	pump(&w);
	decode(NULL, &w, &whole, &r, &st);
	assert_int_equal(r.n_heads, 2);
	assert_int_equal(st.resets, 1);
	assert_true(r.msgs[0].m.complete);
	assert_false(r.msgs[1].m.complete);
	assert_string_equal(r.msgs[1].body.p, "{\"id\":\"chatcmpl-AbC1");
	assert_int_equal(st.messages_incomplete, 1);
	assert_int_equal(r.n_errs, 0);
	rec_free(&r);
	check_splits(NULL, &w, &whole);
	wire_free(&w);
}

static void goaway_ends_streams_above_last(void **state)
{
	static struct source r1, b3;
	struct wire w;
	struct rec r;
	struct http2_stats st;

	(void)state;
	wire_init(&w);
	request(&w, get_req, 5, NULL);
	b3 = src_str(chat_json, 10);
	b3.defer = true; /* the request body is still coming when the server gives up */
	request(&w, chat_req, 8, &b3);
	pump(&w);
	r1 = src_str(completion_json, 0);
	response(&w, 1, json_resp, 3, &r1);
	assert_int_equal(
		nghttp2_submit_goaway(w.srv, NGHTTP2_FLAG_NONE, 1, NGHTTP2_NO_ERROR, NULL, 0), 0);
	pump(&w);
	decode(NULL, &w, &whole, &r, &st);
	assert_int_equal(st.goaways, 1);
	assert_int_equal(r.n_heads, 3);
	for (size_t i = 0; i < 3; i++) {
		if (r.msgs[i].m.stream_id == 3) {
			assert_true(r.msgs[i].m.is_request);
			assert_false(r.msgs[i].m.complete);
			assert_string_equal(r.msgs[i].body.p, "{\"model\":\"");
		} else {
			assert_true(r.msgs[i].m.complete);
		}
	}
	assert_int_equal(st.messages_incomplete, 1);
	rec_free(&r);
	check_splits(NULL, &w, &whole);
	wire_free(&w);
}

/* The connection ends in the middle of things: on_error, every message once. */
static void truncated_everywhere(void **state)
{
	struct wire w;
	struct feed_opts o = whole;
	size_t cut_inside = 0, resp_cut = 0;

	(void)state;
	chat_exchange(&w, 50);
	for (size_t at = 0; at <= w.total; at++) {
		struct rec r;
		struct http2_stats st;

		o.stop_at = at;
		decode(NULL, &w, &o, &r, &st);
		assert_int_equal(st.bytes, at);
		assert_int_equal(st.messages, r.n_heads);
		assert_true(r.n_errs <= 1);
		if (r.n_errs) {
			assert_int_equal(r.errs[0], -ENODATA);
			cut_inside++;
		}
		if (r.n_heads == 2 && !r.msgs[1].m.complete)
			resp_cut++;
		rec_free(&r);
	}
	/* Most cuts are inside a frame; many inside the response's body. */
	assert_true(cut_inside > w.total / 2);
	assert_true(resp_cut > strlen(completion_json) / 2);
	wire_free(&w);
}

/* Hand-made damage: each is reported and ends decoding; nothing crashes. */
static void malformed_frames(void **state)
{
	static const struct {
		const char *name;
		const uint8_t bytes[32];
		size_t len;
		int err;
	} cases[] = {
		{ "PING of 7 bytes",
		  { 0, 0, 7, 6, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7 },
		  16,
		  -EPROTO },
		{ "DATA on stream 0", { 0, 0, 1, 0, 0, 0, 0, 0, 0, 'x' }, 10, -EPROTO },
		{ "SETTINGS of 5 bytes", { 0, 0, 5, 4, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 }, 14, -EPROTO },
		{ "padding too long", { 0, 0, 2, 0, 0x8, 0, 0, 0, 1, 9, 'x' }, 11, -EPROTO },
		/* HEADERS without END_HEADERS, then DATA. */
		{ "no CONTINUATION",
		  { 0, 0, 1, 1, 0, 0, 0, 0, 1, 0x82, 0, 0, 1, 0, 0, 0, 0, 0, 1, 'x' },
		  20,
		  -EPROTO },
		{ "CONTINUATION alone", { 0, 0, 1, 9, 4, 0, 0, 0, 1, 0x82 }, 10, -EPROTO },
		/* Index 0x7f + far beyond any table. */
		{ "HPACK garbage", { 0, 0, 3, 1, 4, 0, 0, 0, 1, 0xff, 0xff, 0x7f }, 12, -EBADMSG },
		{ "GOAWAY of 4 bytes", { 0, 0, 4, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 13, -EPROTO },
	};
	static const uint8_t bad_preface[] = "GET / HTTP/1.1\r\n\r\n";

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rec r = { 0 };
		struct http2_conn *c;
		struct http2_stats st;

		assert_int_equal(http2_conn_new(NULL, &rec_cb, &r, &c), 0);
		assert_int_equal(http2_feed(c, HTTP2_DIR_CLIENT, (const uint8_t *)HTTP2_PREFACE,
					    HTTP2_PREFACE_LEN),
				 0);
		assert_int_equal(http2_feed(c, HTTP2_DIR_CLIENT, cases[i].bytes, cases[i].len), 0);
		/* Later bytes are counted, not decoded. */
		assert_int_equal(http2_feed(c, HTTP2_DIR_SERVER, cases[i].bytes, cases[i].len), 0);
		http2_get_stats(c, &st);
		if (r.n_errs != 1 || r.errs[0] != cases[i].err)
			fail_msg("%s: %zu errors, first %d", cases[i].name, r.n_errs, r.errs[0]);
		assert_int_equal(st.undecodable, 1);
		assert_true(st.bytes_discarded >= cases[i].len);
		http2_end(c);
		http2_conn_free(c);
		rec_free(&r);
	}
	{
		struct rec r;
		struct http2_stats st;
		struct wire w = { 0 };

		/* HTTP/1 where HTTP/2 was expected: all of it discarded, however cut. */
		wire_add(&w, HTTP2_DIR_CLIENT, (const uint8_t *)"PRI * HTTP/2", 12);
		wire_add(&w, HTTP2_DIR_CLIENT, bad_preface, sizeof(bad_preface) - 1);
		decode(NULL, &w, &whole, &r, &st);
		assert_int_equal(r.n_errs, 1);
		assert_int_equal(r.errs[0], -EPROTO);
		assert_int_equal(st.bytes_discarded, w.total);
		rec_free(&r);
		check_splits(NULL, &w, &whole);
		for (size_t i = 0; i < w.n; i++)
			free(w.ch[i].p);
		free(w.ch);
	}
}

/* Every byte of a genuine exchange flipped in turn: no crash, one on_message per head. */
static void corrupted_bytes(void **state)
{
	struct wire w;

	(void)state;
	chat_exchange(&w, 60);
	for (size_t i = 0; i < w.n; i++) {
		for (size_t j = 0; j < w.ch[i].len; j++) {
			struct rec r;
			struct http2_stats st;

			w.ch[i].p[j] ^= 0xa5;
			decode(NULL, &w, &whole, &r, &st);
			assert_int_equal(st.bytes, w.total);
			rec_free(&r);
			w.ch[i].p[j] ^= 0xa5;
		}
	}
	wire_free(&w);
}

static void limits_counted(void **state)
{
	struct http2_limits lim;
	struct wire w;
	struct rec r;
	struct http2_stats st;

	(void)state;
	interleaved(&w);

	/* One stream at a time: the second is ignored, its DATA discarded. */
	lim = http2_limits_default();
	lim.max_streams = 1;
	decode(&lim, &w, &whole, &r, &st);
	assert_true(st.streams_refused >= 1);
	assert_true(st.bytes_discarded > 0);
	assert_int_equal(r.n_heads, 2);
	assert_int_equal(r.msgs[0].m.stream_id, 1);
	rec_free(&r);
	check_splits(&lim, &w, &whole);

	/* Few headers kept: the rest dropped, the message still reported. */
	lim = http2_limits_default();
	lim.max_headers = 2;
	decode(&lim, &w, &whole, &r, &st);
	assert_int_equal(r.n_heads, 4);
	assert_true(st.too_many_headers >= 1);
	assert_true(has_err(&r, -E2BIG));
	assert_true(r.msgs[0].m.headers_truncated);
	assert_int_equal(r.msgs[0].m.n_headers, 2);
	rec_free(&r);

	lim = http2_limits_default();
	lim.max_header_list = 40;
	decode(&lim, &w, &whole, &r, &st);
	assert_true(st.header_lists_too_long >= 1);
	rec_free(&r);

	/* A header block that does not fit: HPACK cannot go on. */
	lim = http2_limits_default();
	lim.max_header_block = 16;
	decode(&lim, &w, &whole, &r, &st);
	assert_int_equal(st.header_blocks_too_long, 1);
	assert_int_equal(st.undecodable, 1);
	assert_true(has_err(&r, -EMSGSIZE));
	rec_free(&r);
	/* Where decoding stops, and what is discarded, does not depend on the cuts. */
	check_splits(&lim, &w, &whole);

	/* Bodies kept short. */
	lim = http2_limits_default();
	lim.max_body = 10;
	decode(&lim, &w, &whole, &r, &st);
	assert_int_equal(st.bodies_truncated, 3);
	for (size_t i = 0; i < r.n_heads; i++)
		assert_true(r.msgs[i].m.body_len <= 10);
	rec_free(&r);
	check_splits(&lim, &w, &whole);

	wire_free(&w);

	/*
	 * DATA frames longer than max_frame are skipped: their message ends
	 * incomplete. The request's body (one DATA frame) fits, the response's
	 * (one longer frame) does not.
	 */
	chat_exchange(&w, 0);
	lim = http2_limits_default();
	lim.max_frame = 200;
	decode(&lim, &w, &whole, &r, &st);
	assert_int_equal(st.frames_too_large, 1);
	assert_int_equal(r.n_heads, 2);
	assert_true(r.msgs[0].m.complete);
	assert_string_equal(r.msgs[0].body.p, chat_json);
	assert_false(r.msgs[1].m.complete);
	assert_int_equal(r.msgs[1].m.body_total, 0);
	assert_int_equal(st.bytes_discarded, strlen(completion_json));
	rec_free(&r);
	check_splits(&lim, &w, &whole);

	assert_int_equal(http2_conn_new(&lim, NULL, NULL, NULL), -EINVAL);
	lim.max_streams = 0;
	{
		struct http2_conn *c = NULL;

		assert_int_equal(http2_conn_new(&lim, NULL, NULL, &c), -EINVAL);
	}
	wire_free(&w);
}

/* SETTINGS_HEADER_TABLE_SIZE raises what the inflater accepts; beyond the cap it is undecodable. */
static void header_table_size(void **state)
{
	nghttp2_settings_entry big = { NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, 16384 };
	struct http2_limits lim = http2_limits_default();
	struct wire w;
	struct rec r;
	struct http2_stats st;
	nghttp2_session_callbacks *cbs;
	nghttp2_option *opt;
	static struct source resp;

	(void)state;
	memset(&w, 0, sizeof(w));
	assert_int_equal(nghttp2_session_callbacks_new(&cbs), 0);
	assert_int_equal(nghttp2_option_new(&opt), 0);
	/* The client's encoder may use up to 16 KiB: make it. */
	nghttp2_option_set_max_deflate_dynamic_table_size(opt, 16384);
	assert_int_equal(nghttp2_session_client_new2(&w.cli, cbs, NULL, opt), 0);
	assert_int_equal(nghttp2_session_server_new(&w.srv, cbs, NULL), 0);
	nghttp2_option_del(opt);
	nghttp2_session_callbacks_del(cbs);
	assert_int_equal(nghttp2_submit_settings(w.cli, NGHTTP2_FLAG_NONE, NULL, 0), 0);
	assert_int_equal(nghttp2_submit_settings(w.srv, NGHTTP2_FLAG_NONE, &big, 1), 0);
	pump(&w);
	request(&w, get_req, 5, NULL);
	pump(&w);
	resp = src_str(completion_json, 0);
	response(&w, 1, json_resp, 3, &resp);
	pump(&w);
	request(&w, get_req, 5, NULL);
	pump(&w);
	decode(NULL, &w, &whole, &r, &st);
	assert_int_equal(r.n_errs, 0);
	assert_int_equal(r.n_heads, 3);
	assert_string_equal(r.msgs[2].path, "/v1/models");
	rec_free(&r);

	lim.max_table_size = 4096;
	decode(&lim, &w, &whole, &r, &st);
	assert_int_equal(st.table_size_capped, 1);
	assert_true(has_err(&r, -EBADMSG));
	assert_int_equal(st.undecodable, 1);
	rec_free(&r);
	wire_free(&w);
}

static void preface_and_nulls(void **state)
{
	struct http2_conn *c;
	struct http2_stats st;

	(void)state;
	assert_true(http2_is_preface((const uint8_t *)"PRI * HTTP/2.0\r\n", 16));
	assert_true(http2_is_preface((const uint8_t *)HTTP2_PREFACE "\0\0\x12\x04", 28));
	assert_false(http2_is_preface((const uint8_t *)"PRI * HTTP/1.1", 14));
	assert_false(http2_is_preface((const uint8_t *)"GET / HTTP/1.1\r\n", 16));
	assert_false(http2_is_preface(NULL, 0));
	http2_conn_free(NULL);
	http2_gap(NULL, HTTP2_DIR_CLIENT, 1);
	http2_end(NULL);
	http2_get_stats(NULL, &st);
	assert_int_equal(st.bytes, 0);
	assert_int_equal(http2_feed(NULL, HTTP2_DIR_CLIENT, NULL, 0), -EINVAL);
	assert_int_equal(http2_conn_new(NULL, NULL, NULL, &c), 0);
	assert_int_equal(http2_feed(c, 2, (const uint8_t *)"x", 1), -EINVAL);
	assert_int_equal(http2_feed(c, HTTP2_DIR_CLIENT, NULL, 1), -EINVAL);
	assert_int_equal(http2_feed(c, HTTP2_DIR_CLIENT, NULL, 0), 0);
	http2_conn_free(c);
}

/* http2_end mid-exchange, then a new connection on the same decoder. */
static void end_then_reuse(void **state)
{
	struct wire w;
	struct rec r = { 0 };
	struct http2_conn *c;
	struct feed_opts o = whole;
	struct http2_stats st;

	(void)state;
	chat_exchange(&w, 0);
	assert_int_equal(http2_conn_new(NULL, &rec_cb, &r, &c), 0);
	o.stop_at = w.total - 20;
	feed(c, &w, &o);
	assert_int_equal(r.n_heads, 2);
	assert_int_equal(r.n_done, 2);
	assert_true(has_err(&r, -ENODATA));
	feed(c, &w, &whole);
	assert_int_equal(r.n_done, 4);
	assert_true(r.msgs[2].m.complete && r.msgs[3].m.complete);
	assert_string_equal(r.msgs[3].body.p, completion_json);
	http2_get_stats(c, &st);
	assert_int_equal(st.messages_incomplete, 1);
	http2_conn_free(c);
	rec_free(&r);
	wire_free(&w);
}

/* Callbacks that allocate nothing, for when allocations fail. */
struct counts {
	int heads, done, complete;
};

static void count_headers(const struct http2_message *m, void *arg)
{
	(void)m;
	((struct counts *)arg)->heads++;
}

static void count_message(const struct http2_message *m, void *arg)
{
	struct counts *c = arg;

	c->done++;
	c->complete += m->complete;
}

/* Out of memory anywhere: input is still consumed, counted, and the decoder recovers. */
static void allocation_failures(void **state)
{
	static const struct http2_callbacks cb = {
		.on_headers = count_headers,
		.on_message = count_message,
	};
	static uint8_t z[4096];
	struct wire w, g;

	(void)state;
	interleaved(&w);
	gzip_exchange(&g, z, sizeof(z), 31, "gzip");
	for (int persistent = 0; persistent < 2; persistent++) {
		for (long at = 0;; at++) {
			struct http2_conn *c;
			struct http2_stats st;
			struct counts n = { 0 };
			bool hit;

			assert_int_equal(http2_conn_new(NULL, &cb, &n, &c), 0);
			alloc_count = 0;
			alloc_persistent = persistent;
			alloc_fail_at = at;
			for (size_t i = 0; i < w.n; i++) {
				int r = http2_feed(c, w.ch[i].dir, w.ch[i].p, w.ch[i].len);

				assert_true(r == 0 || r == -ENOMEM);
			}
			http2_end(c);
			for (size_t i = 0; i < g.n; i++) {
				int r = http2_feed(c, g.ch[i].dir, g.ch[i].p, g.ch[i].len);

				assert_true(r == 0 || r == -ENOMEM);
			}
			http2_end(c);
			hit = alloc_count > at;
			alloc_fail_at = -1;
			/* The decoder does allocate: else this test would prove nothing. */
			if (!at)
				assert_true(hit);
			assert_int_equal(n.heads, n.done);
			http2_get_stats(c, &st);
			assert_int_equal(st.bytes, w.total + g.total);
			assert_true(hit ? st.alloc_failures > 0 : st.alloc_failures == 0);
			if (!hit)
				assert_int_equal(n.complete, 6);
			/* Not wedged: the next connection decodes. */
			n.done = n.complete = 0;
			for (size_t i = 0; i < g.n; i++)
				assert_int_equal(http2_feed(c, g.ch[i].dir, g.ch[i].p, g.ch[i].len),
						 0);
			assert_int_equal(n.done, 2);
			assert_int_equal(n.complete, 2);
			http2_conn_free(c);
			if (!hit)
				break;
		}
	}
	wire_free(&w);
	wire_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(openai_post),
		cmocka_unit_test(two_streams_interleaved),
		cmocka_unit_test(split_anywhere),
		cmocka_unit_test(gzip_response),
		cmocka_unit_test(gzip_bomb),
		cmocka_unit_test(trailers_and_informational),
		cmocka_unit_test(gap_makes_undecodable),
		cmocka_unit_test(rst_stream_ends_incomplete),
		cmocka_unit_test(goaway_ends_streams_above_last),
		cmocka_unit_test(truncated_everywhere),
		cmocka_unit_test(malformed_frames),
		cmocka_unit_test(corrupted_bytes),
		cmocka_unit_test(limits_counted),
		cmocka_unit_test(header_table_size),
		cmocka_unit_test(preface_and_nulls),
		cmocka_unit_test(end_then_reuse),
		cmocka_unit_test(allocation_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

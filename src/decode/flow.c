// SPDX-License-Identifier: Apache-2.0
/*
 * The connection decoder: TLS chunks in, application events out. See flow.h.
 *
 * A connection is found by its BPF conn id (or, when BPF could not track
 * it, by (pid, SSL *)), kept in a hash with an LRU list for eviction and a
 * second chain per pid so a process exit finds its connections without a
 * walk over all of them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "warden/decode/flow.h"
#include "warden/decode/http1.h"
#include "warden/decode/http2.h"
#include "warden/decode/sse.h"

#define PREFIX_MAX 24 /* the HTTP/2 client preface is the longest thing we wait for */
#define HOST_MAX 255
#define PATH_MAX_KEPT 2048

enum proto {
	PROTO_UNKNOWN = 0,
	PROTO_HTTP1,
	PROTO_HTTP2,
	PROTO_SERVER, /* we see the server's side of the exchange */
	PROTO_OTHER,
};

enum { DIR_OUT = 0, DIR_IN = 1 }; /* bytes the client wrote / read */

/* A request whose response has not been seen yet. */
struct pending {
	struct pending *next;
	uint32_t stream; /* HTTP/2 stream id; 0 for HTTP/1 */
	uint64_t event_id;
	uint64_t ts;
	enum llm_api api;
	enum llm_provider provider;
	char method[16];
	char *host; /* NUL-terminated, at most HOST_MAX */
	size_t host_len;
	char *path; /* at most PATH_MAX_KEPT */
	size_t path_len;
};

/* A response in flight, with what decodes its body. */
struct resp_ctx {
	struct flow_conn *conn;
	uint32_t stream;
	bool active;
	struct pending *req; /* owned; NULL when unpaired */
	struct llm_response_builder *llm;
	struct sse_parser *sse; /* kept between responses: sse_end() resets it */
	bool is_sse;
	bool llm_failed; /* builder out of memory: counted, the body is not fed */
};

struct dir_state {
	uint64_t pos; /* next expected byte of the direction */
	bool started;
};

struct flow_conn {
	struct flow_table *t;
	uint64_t conn; /* BPF conn id; 0 when untracked */
	uint64_t ssl;
	struct flow_conn *hnext; /* hash chain */
	struct flow_conn *pnext; /* per-pid chain */
	struct flow_conn *lru_prev, *lru_next;
	uint32_t pid, tid, ppid, uid;
	uint64_t pid_start_ns, cgroup_id;
	char comm[17];
	struct event_addr remote;
	uint64_t last_ns;
	enum proto proto;
	int prefix_dir; /* the direction that spoke first */
	uint8_t prefix[PREFIX_MAX];
	size_t prefix_len;
	struct dir_state dir[2];
	struct http1_stream *h1[2];
	struct http2_conn *h2;
	struct pending *pend_head, *pend_tail;
	size_t n_pending;
	struct resp_ctx h1resp; /* HTTP/1: one response at a time */
	struct resp_ctx *h2resp; /* HTTP/2: one slot per concurrent stream (max_pending) */
	char host[HOST_MAX + 1]; /* the last Host / :authority seen */
	size_t n_errors;
};

struct flow_table {
	struct flow_limits lim;
	flow_emit_fn emit;
	void *arg;
	struct flow_conn **buckets;
	struct flow_conn **pid_buckets;
	size_t nbuckets; /* power of 2 */
	size_t nconns;
	struct flow_conn *lru_head, *lru_tail; /* head: most recently used */
	struct flow_stats stats;
	const struct event *cur; /* the TLS event being fed: time and task of what it completes */
	uint64_t now;
};

struct flow_limits flow_limits_default(void)
{
	return (struct flow_limits){
		.max_conns = 4096,
		.idle_ns = 120ULL * 1000000000,
		.max_pending = 32,
		.max_body = 1 << 20,
		.max_errors = 16,
		.llm = llm_limits_default(),
	};
}

/* ---- the table ------------------------------------------------------------ */

static size_t hash_u64(uint64_t v)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdULL;
	v ^= v >> 33;
	return v;
}

static size_t conn_bucket(const struct flow_table *t, uint64_t conn, uint32_t pid, uint64_t ssl)
{
	return hash_u64(conn ? conn : ssl ^ ((uint64_t)pid << 47) ^ 1) & (t->nbuckets - 1);
}

static size_t pid_bucket(const struct flow_table *t, uint32_t pid)
{
	return hash_u64(pid) & (t->nbuckets - 1);
}

int flow_table_new(const struct flow_limits *lim, flow_emit_fn emit, void *arg,
		   struct flow_table **out)
{
	struct flow_table *t;
	size_t n = 64;

	*out = NULL;
	if (!emit || (lim && (!lim->max_conns || !lim->max_pending)))
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->lim = lim ? *lim : flow_limits_default();
	t->emit = emit;
	t->arg = arg;
	while (n < t->lim.max_conns && n < (1u << 24))
		n <<= 1;
	t->nbuckets = n;
	t->buckets = calloc(n, sizeof(*t->buckets));
	t->pid_buckets = calloc(n, sizeof(*t->pid_buckets));
	if (!t->buckets || !t->pid_buckets) {
		free(t->buckets);
		free(t->pid_buckets);
		free(t);
		return -ENOMEM;
	}
	*out = t;
	return 0;
}

void flow_get_stats(const struct flow_table *t, struct flow_stats *out)
{
	*out = t->stats;
}

/* ---- events --------------------------------------------------------------- */

static void ev_init(struct flow_conn *c, struct event *ev, enum event_type type)
{
	const struct event *cur = c->t->cur;

	memset(ev, 0, offsetof(struct event, stats));
	memset(&ev->llm, 0, sizeof(ev->llm) > sizeof(ev->http) ? sizeof(ev->llm) : sizeof(ev->http));
	memset(&ev->decode_error, 0, sizeof(ev->decode_error));
	ev->type = type;
	ev->ts = c->t->now;
	if (cur && cur->pid == c->pid) {
		ev->pid = cur->pid;
		ev->tid = cur->tid;
		ev->ppid = cur->ppid;
		ev->uid = cur->uid;
		ev->pid_start_ns = cur->pid_start_ns;
		ev->cgroup_id = cur->cgroup_id;
		memcpy(ev->comm, cur->comm, sizeof(ev->comm));
		ev->exe = cur->exe;
	} else {
		ev->pid = c->pid;
		ev->tid = c->tid;
		ev->ppid = c->ppid;
		ev->uid = c->uid;
		ev->pid_start_ns = c->pid_start_ns;
		ev->cgroup_id = c->cgroup_id;
		memcpy(ev->comm, c->comm, sizeof(ev->comm));
	}
}

static void flow_fill(struct flow_conn *c, struct event_flow *f, uint32_t stream,
		      const struct pending *p)
{
	f->conn = c->conn;
	f->stream = stream;
	f->http_version = c->proto == PROTO_HTTP2 ? 20 : 11;
	f->remote = c->remote;
	if (p && p->host_len) {
		f->host.ptr = p->host;
		f->host.len = p->host_len;
	} else if (c->host[0]) {
		f->host.ptr = c->host;
		f->host.len = strlen(c->host);
	}
}

static void emit_error(struct flow_conn *c, const char *proto, int err, const char *what,
		       uint64_t offset, int dir)
{
	struct event ev;

	if (c->n_errors >= c->t->lim.max_errors) {
		c->t->stats.errors_suppressed++;
		return;
	}
	c->n_errors++;
	c->t->stats.errors++;
	ev_init(c, &ev, EVENT_DECODE_ERROR);
	flow_fill(c, &ev.decode_error.flow, 0, NULL);
	ev.decode_error.proto = proto;
	ev.decode_error.what = what;
	ev.decode_error.err = err;
	ev.decode_error.offset = offset;
	ev.decode_error.from_server = dir == DIR_IN;
	c->t->emit(&ev, c->t->arg);
}

static struct event_str str_of(const char *p, size_t n)
{
	return (struct event_str){ .ptr = n ? p : NULL, .len = n };
}

/* ---- requests ----------------------------------------------------------- */

static void pending_free(struct pending *p)
{
	if (!p)
		return;
	free(p->host);
	free(p->path);
	free(p);
}

static char *dup_capped(const char *s, size_t n, size_t cap, size_t *out_len)
{
	char *d;

	if (n > cap)
		n = cap;
	d = malloc(n + 1);
	if (!d)
		return NULL;
	if (n)
		memcpy(d, s, n);
	d[n] = 0;
	*out_len = n;
	return d;
}

/* The fields every request has, whatever its HTTP version. */
struct req_view {
	uint32_t stream;
	const char *method, *target, *host, *content_type, *content_encoding;
	size_t method_len, target_len, host_len, content_type_len, content_encoding_len;
	const uint8_t *body;
	size_t body_len;
	uint64_t body_total, wire_len;
	bool complete, body_undecoded;
};

static void pending_push(struct flow_conn *c, struct pending *p)
{
	if (c->n_pending >= c->t->lim.max_pending) {
		struct pending *old = c->pend_head;

		c->pend_head = old->next;
		if (!c->pend_head)
			c->pend_tail = NULL;
		c->n_pending--;
		pending_free(old);
		c->t->stats.pending_dropped++;
	}
	p->next = NULL;
	if (c->pend_tail)
		c->pend_tail->next = p;
	else
		c->pend_head = p;
	c->pend_tail = p;
	c->n_pending++;
}

/* The oldest pending request of stream (HTTP/1: the oldest of all). */
static struct pending *pending_take(struct flow_conn *c, uint32_t stream)
{
	struct pending **pp = &c->pend_head, *prev = NULL;

	for (; *pp; prev = *pp, pp = &(*pp)->next) {
		struct pending *p = *pp;

		if (p->stream != stream)
			continue;
		*pp = p->next;
		if (c->pend_tail == p)
			c->pend_tail = prev;
		c->n_pending--;
		p->next = NULL;
		return p;
	}
	return NULL;
}

static void on_request(struct flow_conn *c, const struct req_view *r)
{
	struct flow_table *t = c->t;
	enum llm_provider provider = LLM_PROVIDER_NONE;
	enum llm_api api;
	struct llm_request *req = NULL;
	struct pending *p;
	struct event ev;

	t->stats.requests++;
	if (r->host_len) {
		size_t n = r->host_len > HOST_MAX ? HOST_MAX : r->host_len;

		memcpy(c->host, r->host, n);
		c->host[n] = 0;
	}
	p = calloc(1, sizeof(*p));
	if (p) {
		p->host = dup_capped(c->host, strlen(c->host), HOST_MAX, &p->host_len);
		p->path = dup_capped(r->target, r->target_len, PATH_MAX_KEPT, &p->path_len);
		if (!p->host || !p->path) {
			pending_free(p);
			p = NULL;
		}
	}
	if (!p)
		t->stats.alloc_failures++;

	api = llm_classify(r->method, r->method_len, r->target, r->target_len, r->content_type,
			   r->content_type_len, r->body, r->body_len, &provider);
	if (api != LLM_API_NONE) {
		int err = llm_request_parse(api, r->target, r->target_len, r->body, r->body_len,
					    &t->lim.llm, &req);

		if (err == -ENOMEM) {
			t->stats.alloc_failures++;
			api = LLM_API_NONE;
		} else if (err) {
			t->stats.llm_parse_errors++;
			emit_error(c, "llm", err,
				   r->complete ? "request body is not the API's shape"
					       : "request body incomplete: not decoded",
				   0, DIR_OUT);
			api = LLM_API_NONE;
		}
	}

	if (api != LLM_API_NONE) {
		t->stats.llm_requests++;
		ev_init(c, &ev, api == LLM_API_MCP ? EVENT_MCP_CALL : EVENT_LLM_REQUEST);
		flow_fill(c, &ev.llm.flow, r->stream, p);
		ev.llm.path = str_of(r->target, r->target_len);
		ev.llm.req = req;
	} else {
		ev_init(c, &ev, EVENT_HTTP_REQUEST);
		flow_fill(c, &ev.http.flow, r->stream, p);
		ev.http.method = str_of(r->method, r->method_len);
		ev.http.target = str_of(r->target, r->target_len);
		ev.http.content_type = str_of(r->content_type, r->content_type_len);
		ev.http.content_encoding = str_of(r->content_encoding, r->content_encoding_len);
		ev.http.body_len = r->body_total;
		ev.http.wire_len = r->wire_len;
		ev.http.complete = r->complete;
		ev.http.body_undecoded = r->body_undecoded;
	}
	t->emit(&ev, t->arg);
	llm_request_free(req);
	if (!p)
		return;
	p->stream = r->stream;
	p->event_id = ev.id;
	p->ts = t->now;
	p->api = api;
	p->provider = provider;
	if (r->method_len < sizeof(p->method))
		memcpy(p->method, r->method, r->method_len);
	pending_push(c, p);
}

/* ---- responses ------------------------------------------------------------ */

static void sse_to_llm(const struct sse_event *e, void *arg)
{
	struct resp_ctx *rc = arg;

	if (!rc->llm || rc->llm_failed)
		return;
	if (llm_response_feed_sse(rc->llm, e->event, e->event_len, e->data, e->data_len)) {
		rc->llm_failed = true;
		rc->conn->t->stats.alloc_failures++;
	}
}

static bool is_event_stream(const char *ct, size_t n)
{
	static const char want[] = "text/event-stream";

	return ct && n >= sizeof(want) - 1 && !strncasecmp(ct, want, sizeof(want) - 1);
}

/* A response head: pair it with its request and set up the body's decoding. */
static void resp_begin(struct flow_conn *c, struct resp_ctx *rc, uint32_t stream, const char *ct,
		       size_t ct_len)
{
	struct flow_table *t = c->t;

	rc->conn = c;
	rc->stream = stream;
	rc->active = true;
	rc->req = pending_take(c, stream);
	rc->is_sse = false;
	rc->llm_failed = false;
	if (!rc->req || rc->req->api == LLM_API_NONE)
		return;
	if (llm_response_builder_new(rc->req->api, &t->lim.llm, &rc->llm)) {
		t->stats.alloc_failures++;
		return;
	}
	if (is_event_stream(ct, ct_len)) {
		if (!rc->sse) {
			struct sse_limits sl = sse_limits_default();

			sl.max_data = t->lim.llm.max_body;
			if (sse_parser_new(&sl, sse_to_llm, rc, &rc->sse)) {
				t->stats.alloc_failures++;
				return;
			}
		}
		rc->is_sse = true;
	}
}

static void resp_body(struct resp_ctx *rc, const uint8_t *data, size_t len)
{
	if (!rc->active || !rc->llm || rc->llm_failed)
		return;
	if (rc->is_sse) {
		if (sse_feed(rc->sse, data, len))
			rc->conn->t->stats.alloc_failures++;
	} else if (llm_response_feed_body(rc->llm, data, len)) {
		rc->llm_failed = true;
		rc->conn->t->stats.alloc_failures++;
	}
}

/* The fields every response has. */
struct resp_view {
	int status;
	const char *content_type, *content_encoding;
	size_t content_type_len, content_encoding_len;
	uint64_t body_total, wire_len;
	bool complete, body_undecoded;
};

static void resp_end(struct flow_conn *c, struct resp_ctx *rc, const struct resp_view *r)
{
	struct flow_table *t = c->t;
	struct pending *p = rc->req;
	struct llm_response *resp = NULL;
	struct event ev;

	if (!rc->active)
		return;
	t->stats.responses++;
	if (!p)
		t->stats.unpaired_responses++;
	if (rc->llm) {
		int err;

		if (rc->is_sse)
			sse_end(rc->sse);
		err = llm_response_finish(rc->llm, r->status, r->complete && !rc->llm_failed, &resp);
		/* A cut body is expected not to parse: complete=false says enough. */
		if (err == -EBADMSG && r->complete)
			emit_error(c, "llm", err, "response body is not the API's shape", 0, DIR_IN);
		else if (err)
			t->stats.alloc_failures++;
	}
	if (resp) {
		t->stats.llm_responses++;
		ev_init(c, &ev, p->api == LLM_API_MCP ? EVENT_MCP_RESULT : EVENT_LLM_RESPONSE);
		flow_fill(c, &ev.llm.flow, rc->stream, p);
		ev.llm.path = str_of(p->path, p->path_len);
		ev.llm.resp = resp;
		ev.llm.request_id = p->event_id;
		ev.llm.latency_ns = t->now - p->ts;
	} else {
		ev_init(c, &ev, EVENT_HTTP_RESPONSE);
		flow_fill(c, &ev.http.flow, rc->stream, p);
		if (p) {
			ev.http.method = str_of(p->method, strlen(p->method));
			ev.http.target = str_of(p->path, p->path_len);
			ev.http.request_id = p->event_id;
			ev.http.latency_ns = t->now - p->ts;
		}
		ev.http.status = r->status;
		ev.http.content_type = str_of(r->content_type, r->content_type_len);
		ev.http.content_encoding = str_of(r->content_encoding, r->content_encoding_len);
		ev.http.body_len = r->body_total;
		ev.http.wire_len = r->wire_len;
		ev.http.complete = r->complete;
		ev.http.body_undecoded = r->body_undecoded;
	}
	t->emit(&ev, t->arg);
	llm_response_free(resp);
	llm_response_builder_free(rc->llm);
	rc->llm = NULL;
	pending_free(p);
	rc->req = NULL;
	rc->active = false;
}

static void resp_ctx_free(struct resp_ctx *rc)
{
	llm_response_builder_free(rc->llm);
	sse_parser_free(rc->sse);
	pending_free(rc->req);
	memset(rc, 0, sizeof(*rc));
}

/* ---- HTTP/1 --------------------------------------------------------------- */

static bool informational(int status)
{
	return status >= 100 && status < 200 && status != 101;
}

static void h1_req_message(const struct http1_message *m, void *arg)
{
	struct req_view r = {
		.method = m->method.ptr,
		.method_len = m->method.len,
		.target = m->target.ptr,
		.target_len = m->target.len,
		.host = m->host.ptr,
		.host_len = m->host.len,
		.content_type = m->content_type.ptr,
		.content_type_len = m->content_type.len,
		.content_encoding = m->content_encoding.ptr,
		.content_encoding_len = m->content_encoding.len,
		.body = m->body,
		.body_len = m->body_len,
		.body_total = m->body_total,
		.wire_len = m->wire_len,
		.complete = m->complete && !m->body_truncated,
		.body_undecoded = m->body_undecoded,
	};

	on_request(arg, &r);
}

static void h1_resp_headers(const struct http1_message *m, void *arg)
{
	struct flow_conn *c = arg;

	if (informational(m->status))
		return;
	resp_begin(c, &c->h1resp, 0, m->content_type.ptr, m->content_type.len);
}

static void h1_resp_body(const struct http1_message *m, const uint8_t *data, size_t len, void *arg)
{
	struct flow_conn *c = arg;

	if (!informational(m->status))
		resp_body(&c->h1resp, data, len);
}

static void h1_resp_message(const struct http1_message *m, void *arg)
{
	struct flow_conn *c = arg;
	struct resp_view r = {
		.status = m->status,
		.content_type = m->content_type.ptr,
		.content_type_len = m->content_type.len,
		.content_encoding = m->content_encoding.ptr,
		.content_encoding_len = m->content_encoding.len,
		.body_total = m->body_total,
		.wire_len = m->wire_len,
		.complete = m->complete,
		.body_undecoded = m->body_undecoded,
	};

	if (!informational(m->status))
		resp_end(c, &c->h1resp, &r);
}

static void h1_req_error(int err, const char *what, uint64_t off, void *arg)
{
	emit_error(arg, "http1", err, what, off, DIR_OUT);
}

static void h1_resp_error(int err, const char *what, uint64_t off, void *arg)
{
	emit_error(arg, "http1", err, what, off, DIR_IN);
}

static const struct http1_callbacks h1_req_cb = {
	.on_message = h1_req_message,
	.on_error = h1_req_error,
};

static const struct http1_callbacks h1_resp_cb = {
	.on_headers = h1_resp_headers,
	.on_body = h1_resp_body,
	.on_message = h1_resp_message,
	.on_error = h1_resp_error,
};

static int h1_setup(struct flow_conn *c)
{
	struct http1_limits lim = http1_limits_default();
	int r;

	lim.max_body = c->t->lim.max_body;
	lim.is_request_stream = true;
	r = http1_stream_new(&lim, &h1_req_cb, c, &c->h1[DIR_OUT]);
	if (r)
		return r;
	lim.is_request_stream = false;
	return http1_stream_new(&lim, &h1_resp_cb, c, &c->h1[DIR_IN]);
}

/* ---- HTTP/2 --------------------------------------------------------------- */

static struct resp_ctx *h2_slot(struct flow_conn *c, uint32_t stream, bool create)
{
	struct resp_ctx *free_slot = NULL;

	for (size_t i = 0; i < c->t->lim.max_pending; i++) {
		struct resp_ctx *rc = &c->h2resp[i];

		if (rc->active && rc->stream == stream)
			return rc;
		if (!rc->active && !free_slot)
			free_slot = rc;
	}
	return create ? free_slot : NULL;
}

static void h2_headers(const struct http2_message *m, void *arg)
{
	struct flow_conn *c = arg;
	struct resp_ctx *rc;

	if (m->is_request)
		return;
	rc = h2_slot(c, m->stream_id, true);
	if (!rc) {
		c->t->stats.pending_dropped++;
		return;
	}
	resp_begin(c, rc, m->stream_id, m->content_type.ptr, m->content_type.len);
}

static void h2_body(const struct http2_message *m, const uint8_t *data, size_t len, void *arg)
{
	struct flow_conn *c = arg;
	struct resp_ctx *rc;

	if (m->is_request)
		return;
	rc = h2_slot(c, m->stream_id, false);
	if (rc)
		resp_body(rc, data, len);
}

/*
 * The body is whole when END_STREAM came, or when the announced length
 * arrived: clients such as curl stop reading once they have it, so the
 * empty DATA frame that ends the stream may never be captured.
 */
static bool h2_complete(const struct http2_message *m)
{
	return m->complete || (m->has_content_length && m->wire_len == m->content_length &&
			       !m->decode_error);
}

static void h2_message(const struct http2_message *m, void *arg)
{
	struct flow_conn *c = arg;
	struct resp_ctx *rc;

	if (m->is_request) {
		struct req_view r = {
			.stream = m->stream_id,
			.method = m->method.ptr,
			.method_len = m->method.len,
			.target = m->path.ptr,
			.target_len = m->path.len,
			.host = m->authority.ptr,
			.host_len = m->authority.len,
			.content_type = m->content_type.ptr,
			.content_type_len = m->content_type.len,
			.content_encoding = m->content_encoding.ptr,
			.content_encoding_len = m->content_encoding.len,
			.body = m->body,
			.body_len = m->body_len,
			.body_total = m->body_total,
			.wire_len = m->wire_len,
			.complete = h2_complete(m) && !m->body_truncated,
			.body_undecoded = m->body_undecoded,
		};

		on_request(c, &r);
		return;
	}
	rc = h2_slot(c, m->stream_id, false);
	if (rc) {
		struct resp_view r = {
			.status = m->status,
			.content_type = m->content_type.ptr,
			.content_type_len = m->content_type.len,
			.content_encoding = m->content_encoding.ptr,
			.content_encoding_len = m->content_encoding.len,
			.body_total = m->body_total,
			.wire_len = m->wire_len,
			.complete = h2_complete(m),
			.body_undecoded = m->body_undecoded,
		};

		resp_end(c, rc, &r);
	}
}

static void h2_error(int err, const char *what, enum http2_dir dir, uint64_t off, void *arg)
{
	emit_error(arg, "http2", err, what, off, dir == HTTP2_DIR_CLIENT ? DIR_OUT : DIR_IN);
}

static const struct http2_callbacks h2_cb = {
	.on_headers = h2_headers,
	.on_body = h2_body,
	.on_message = h2_message,
	.on_error = h2_error,
};

static int h2_setup(struct flow_conn *c)
{
	struct http2_limits lim = http2_limits_default();

	lim.max_body = c->t->lim.max_body;
	c->h2resp = calloc(c->t->lim.max_pending, sizeof(*c->h2resp));
	if (!c->h2resp)
		return -ENOMEM;
	return http2_conn_new(&lim, &h2_cb, c, &c->h2);
}

/* ---- protocol detection ---------------------------------------------------- */

static bool is_token_char(uint8_t ch)
{
	return ch >= 'A' && ch <= 'Z';
}

/*
 * What the first bytes of a direction say: 1 decided (*proto set), 0 not
 * yet (a prefix of something we know), so wait for more.
 */
static int detect(const uint8_t *p, size_t n, int dir, enum proto *proto)
{
	static const char http1[] = "HTTP/1.";
	size_t i;

	if (http2_is_preface(p, n)) {
		if (n < PREFIX_MAX)
			return 0;
		*proto = dir == DIR_OUT ? PROTO_HTTP2 : PROTO_SERVER;
		return 1;
	}
	if (!memcmp(p, http1, n < 7 ? n : 7)) {
		if (n < 7)
			return 0;
		*proto = dir == DIR_IN ? PROTO_HTTP1 : PROTO_SERVER;
		return 1;
	}
	for (i = 0; i < n && i < 16 && is_token_char(p[i]); i++)
		;
	if (i == n && n < 16)
		return 0;
	if (i >= 3 && i < n && p[i] == ' ') {
		*proto = dir == DIR_OUT ? PROTO_HTTP1 : PROTO_SERVER;
		return 1;
	}
	/* A SETTINGS frame on stream 0 first: the server's preface. */
	if (n >= 9 && p[3] == 4 && !(p[5] | p[6] | p[7] | p[8])) {
		*proto = dir == DIR_IN ? PROTO_HTTP2 : PROTO_SERVER;
		return 1;
	}
	*proto = PROTO_OTHER;
	return 1;
}

/* ---- connections ---------------------------------------------------------- */

static void lru_unlink(struct flow_table *t, struct flow_conn *c)
{
	if (c->lru_prev)
		c->lru_prev->lru_next = c->lru_next;
	else
		t->lru_head = c->lru_next;
	if (c->lru_next)
		c->lru_next->lru_prev = c->lru_prev;
	else
		t->lru_tail = c->lru_prev;
	c->lru_prev = c->lru_next = NULL;
}

static void lru_push_front(struct flow_table *t, struct flow_conn *c)
{
	c->lru_next = t->lru_head;
	c->lru_prev = NULL;
	if (t->lru_head)
		t->lru_head->lru_prev = c;
	t->lru_head = c;
	if (!t->lru_tail)
		t->lru_tail = c;
}

static void chain_remove(struct flow_conn **pp, struct flow_conn *c, bool pid_chain)
{
	for (; *pp; pp = pid_chain ? &(*pp)->pnext : &(*pp)->hnext) {
		if (*pp == c) {
			*pp = pid_chain ? c->pnext : c->hnext;
			return;
		}
	}
}

/* Ends the connection: what is in flight is emitted incomplete. Then frees it. */
static void conn_end(struct flow_table *t, struct flow_conn *c)
{
	const struct event *saved = t->cur;

	/* What ends now was not completed by the event being fed, if any. */
	if (saved && saved->pid != c->pid)
		t->cur = NULL;
	if (c->h1[DIR_OUT])
		http1_end(c->h1[DIR_OUT]);
	if (c->h1[DIR_IN])
		http1_end(c->h1[DIR_IN]);
	if (c->h2)
		http2_end(c->h2);
	t->cur = saved;

	chain_remove(&t->buckets[conn_bucket(t, c->conn, c->pid, c->ssl)], c, false);
	chain_remove(&t->pid_buckets[pid_bucket(t, c->pid)], c, true);
	lru_unlink(t, c);
	t->nconns--;

	http1_stream_free(c->h1[DIR_OUT]);
	http1_stream_free(c->h1[DIR_IN]);
	http2_conn_free(c->h2);
	resp_ctx_free(&c->h1resp);
	if (c->h2resp) {
		for (size_t i = 0; i < t->lim.max_pending; i++)
			resp_ctx_free(&c->h2resp[i]);
		free(c->h2resp);
	}
	while (c->pend_head) {
		struct pending *p = c->pend_head;

		c->pend_head = p->next;
		pending_free(p);
	}
	free(c);
}

static struct flow_conn *conn_find(struct flow_table *t, const struct event *ev)
{
	struct flow_conn *c = t->buckets[conn_bucket(t, ev->tls.conn, ev->pid, ev->tls.ssl)];

	for (; c; c = c->hnext) {
		if (ev->tls.conn ? c->conn == ev->tls.conn
				 : !c->conn && c->pid == ev->pid && c->ssl == ev->tls.ssl)
			return c;
	}
	return NULL;
}

static struct flow_conn *conn_get(struct flow_table *t, const struct event *ev)
{
	struct flow_conn *c = conn_find(t, ev);
	size_t b;

	if (c) {
		if (t->lru_head != c) {
			lru_unlink(t, c);
			lru_push_front(t, c);
		}
		return c;
	}
	if (t->nconns >= t->lim.max_conns && t->lru_tail) {
		t->stats.conns_evicted++;
		conn_end(t, t->lru_tail);
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->t = t;
	c->conn = ev->tls.conn;
	c->ssl = ev->tls.ssl;
	c->pid = ev->pid;
	b = conn_bucket(t, c->conn, c->pid, c->ssl);
	c->hnext = t->buckets[b];
	t->buckets[b] = c;
	b = pid_bucket(t, c->pid);
	c->pnext = t->pid_buckets[b];
	t->pid_buckets[b] = c;
	lru_push_front(t, c);
	t->nconns++;
	t->stats.conns++;
	return c;
}

/* ---- bytes ---------------------------------------------------------------- */

static int deliver(struct flow_conn *c, int dir, const uint8_t *data, size_t len)
{
	switch (c->proto) {
	case PROTO_HTTP1:
		return http1_feed(c->h1[dir], data, len);
	case PROTO_HTTP2:
		return http2_feed(c->h2, dir == DIR_OUT ? HTTP2_DIR_CLIENT : HTTP2_DIR_SERVER, data,
				  len);
	default:
		return 0;
	}
}

static int decide(struct flow_conn *c, int dir, const uint8_t *data, size_t len)
{
	struct flow_table *t = c->t;
	size_t take;
	int r;

	if (c->prefix_len && c->prefix_dir != dir)
		return 0; /* the other side spoke first: wait for it to be recognised */
	c->prefix_dir = dir;
	take = PREFIX_MAX - c->prefix_len < len ? PREFIX_MAX - c->prefix_len : len;
	memcpy(c->prefix + c->prefix_len, data, take);
	c->prefix_len += take;
	if (!detect(c->prefix, c->prefix_len, dir, &c->proto))
		return 0;

	switch (c->proto) {
	case PROTO_HTTP1:
		t->stats.conns_http1++;
		r = h1_setup(c);
		break;
	case PROTO_HTTP2:
		t->stats.conns_http2++;
		r = h2_setup(c);
		break;
	case PROTO_SERVER:
		t->stats.conns_server++;
		return 0;
	default:
		t->stats.conns_other++;
		return 0;
	}
	if (r) {
		t->stats.alloc_failures++;
		c->proto = PROTO_OTHER;
		return r;
	}
	/* The held prefix, then the rest of this piece. */
	r = deliver(c, dir, c->prefix, c->prefix_len - take);
	if (!r)
		r = deliver(c, dir, data, len);
	return r;
}

static int feed_bytes(struct flow_conn *c, int dir, const uint8_t *data, size_t len)
{
	if (!len)
		return 0;
	if (c->proto == PROTO_UNKNOWN)
		return decide(c, dir, data, len);
	return deliver(c, dir, data, len);
}

static void feed_gap(struct flow_conn *c, int dir, uint64_t missing)
{
	c->t->stats.gaps++;
	c->t->stats.gap_bytes += missing;
	switch (c->proto) {
	case PROTO_HTTP1:
		http1_gap(c->h1[dir], missing);
		break;
	case PROTO_HTTP2:
		http2_gap(c->h2, dir == DIR_OUT ? HTTP2_DIR_CLIENT : HTTP2_DIR_SERVER, missing);
		break;
	case PROTO_UNKNOWN:
		/* The held prefix no longer leads to what follows: start over. */
		if (c->prefix_dir == dir)
			c->prefix_len = 0;
		break;
	default:
		break;
	}
}

int flow_feed_tls(struct flow_table *t, const struct event *ev)
{
	struct flow_conn *c;
	const uint8_t *data = ev->tls.data;
	size_t len = ev->tls.len;
	struct dir_state *d;
	int dir, r = 0;

	if (ev->type != EVENT_TLS_WRITE && ev->type != EVENT_TLS_READ)
		return -EINVAL;
	dir = ev->type == EVENT_TLS_WRITE ? DIR_OUT : DIR_IN;
	c = conn_get(t, ev);
	if (!c) {
		t->stats.alloc_failures++;
		return -ENOMEM;
	}
	t->cur = ev;
	t->now = ev->ts;
	c->last_ns = ev->ts;
	c->tid = ev->tid;
	c->ppid = ev->ppid;
	c->uid = ev->uid;
	c->pid_start_ns = ev->pid_start_ns;
	c->cgroup_id = ev->cgroup_id;
	memcpy(c->comm, ev->comm, sizeof(c->comm));
	if (ev->tls.remote.family)
		c->remote = ev->tls.remote;

	d = &c->dir[dir];
	if (ev->tls.stream_offset != UINT64_MAX) {
		uint64_t pos = ev->tls.stream_offset + ev->tls.offset;

		if (!d->started) {
			d->started = true;
			d->pos = pos;
		} else if (pos > d->pos) {
			feed_gap(c, dir, pos - d->pos);
		} else if (pos < d->pos) {
			uint64_t dup = d->pos - pos;

			if (dup >= len) {
				t->stats.bytes_stale += len;
				goto out;
			}
			t->stats.bytes_stale += dup;
			data += dup;
			len -= dup;
		}
		d->pos = ev->tls.stream_offset + ev->tls.offset + ev->tls.len;
		r = feed_bytes(c, dir, data, len);
		if (ev->tls.last && ev->tls.offset + ev->tls.len < ev->tls.total_len) {
			/* The capture stopped short of the call (cap or fault): say so now. */
			feed_gap(c, dir, ev->tls.total_len - ev->tls.offset - ev->tls.len);
			d->pos = ev->tls.stream_offset + ev->tls.total_len;
		}
	} else {
		/* Untracked connection: no offsets, only the call's own accounting. */
		if (ev->tls.fault)
			feed_gap(c, dir, 0);
		r = feed_bytes(c, dir, data, len);
		if (ev->tls.last && ev->tls.offset + ev->tls.len < ev->tls.total_len)
			feed_gap(c, dir, ev->tls.total_len - ev->tls.offset - ev->tls.len);
	}
	if (r == -ENOMEM)
		t->stats.alloc_failures++;
out:
	t->cur = NULL;
	return r;
}

void flow_process_exit(struct flow_table *t, uint32_t pid, uint64_t pid_start_ns)
{
	struct flow_conn **pp = &t->pid_buckets[pid_bucket(t, pid)];

	while (*pp) {
		struct flow_conn *c = *pp;

		if (c->pid == pid && (!pid_start_ns || !c->pid_start_ns ||
				      c->pid_start_ns == pid_start_ns)) {
			conn_end(t, c); /* unlinks c from *pp */
			continue;
		}
		pp = &c->pnext;
	}
}

void flow_expire(struct flow_table *t, uint64_t now_ns)
{
	while (t->lru_tail && t->lru_tail->last_ns + t->lim.idle_ns < now_ns) {
		t->stats.conns_expired++;
		t->now = now_ns;
		conn_end(t, t->lru_tail);
	}
}

void flow_end_all(struct flow_table *t, uint64_t now_ns)
{
	t->now = now_ns;
	while (t->lru_head)
		conn_end(t, t->lru_head);
}

void flow_table_free(struct flow_table *t)
{
	if (!t)
		return;
	while (t->lru_head)
		conn_end(t, t->lru_head);
	free(t->buckets);
	free(t->pid_buckets);
	free(t);
}

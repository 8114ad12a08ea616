// SPDX-License-Identifier: Apache-2.0
/*
 * The event type's names and its JSON encoding: every output formats from
 * here. Events are written straight into a reused buffer, field by field,
 * with no intermediate objects: the daemon formats every event, so this
 * path allocates nothing once the buffer has grown. event_to_json() reads
 * that same text back for callers that want a json_t, so there is one
 * definition of the format.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <linux/io_uring.h>
#include <linux/types.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "warden/bufutil.h"
#include "warden/decode/llm.h"
#include "warden/decode/dns.h"
#include "warden/encode.h"
#include "warden/event.h"
#include "warden/events.h"

/*
 * The errno name of a negative result (-ECONNREFUSED -> "ECONNREFUSED"); the
 * kernel's own restart codes too, which syscall exit tracepoints see before
 * the process gets EINTR or a restarted call. NULL for no errno: negated in
 * 64 bits, so a result of INT_MIN from a record is no overflow.
 */
static const char *errno_name(int64_t result)
{
	int64_t err = -result;

	if (err <= 0 || err > INT_MAX)
		return NULL;
	switch (err) {
	case 512:
		return "ERESTARTSYS";
	case 513:
		return "ERESTARTNOINTR";
	case 514:
		return "ERESTARTNOHAND";
	case 516:
		return "ERESTART_RESTARTBLOCK";
	default:
		return strerrorname_np((int)err);
	}
}

static const char *const type_names[EVENT_TYPE_MAX] = {
	[EVENT_PROCESS_FORK] = "process.fork",
	[EVENT_PROCESS_EXEC] = "process.exec",
	[EVENT_PROCESS_EXIT] = "process.exit",
	[EVENT_NET_CONNECT] = "net.connect",
	[EVENT_TLS_WRITE] = "tls.write",
	[EVENT_TLS_READ] = "tls.read",
	[EVENT_AGENT_STATS] = "agent.stats",
	[EVENT_LIB_MAP] = "internal.lib_map",
	[EVENT_DNS_ANSWER] = "dns.answer",
	[EVENT_HTTP_REQUEST] = "http.request",
	[EVENT_HTTP_RESPONSE] = "http.response",
	[EVENT_LLM_REQUEST] = "llm.request",
	[EVENT_LLM_RESPONSE] = "llm.response",
	[EVENT_MCP_CALL] = "mcp.call",
	[EVENT_MCP_RESULT] = "mcp.result",
	[EVENT_CAPTURE_BLIND] = "capture.blind",
	[EVENT_DECODE_ERROR] = "decode.error",
	[EVENT_SESSION_START] = "session.start",
	[EVENT_SESSION_END] = "session.end",
	[EVENT_FILE_OPEN] = "file.open",
	[EVENT_NET_CONNECT_RESULT] = "net.connect.result",
	[EVENT_IO_URING] = "io_uring.submit",
	[EVENT_NET_LISTEN] = "net.listen",
	[EVENT_FILE_UNLINK] = "file.unlink",
	[EVENT_FILE_RMDIR] = "file.rmdir",
	[EVENT_FILE_RENAME] = "file.rename",
	[EVENT_FILE_MKDIR] = "file.mkdir",
	[EVENT_FILE_LINK] = "file.link",
	[EVENT_FILE_SYMLINK] = "file.symlink",
	[EVENT_FILE_CHMOD] = "file.chmod",
	[EVENT_FILE_CHOWN] = "file.chown",
	[EVENT_FILE_TRUNCATE] = "file.truncate",
	[EVENT_NET_ACCEPT] = "net.accept",
};

void event_stats_add(struct event_stats_tables *t, bool drop, const char *name, uint64_t v)
{
	struct event_stat *s = drop ? t->drops : t->counters;
	unsigned int *n = drop ? &t->ndrops : &t->ncounters;

	if (*n < EVENT_STATS_MAX)
		s[(*n)++] = (struct event_stat){ name, v };
}

const char *event_type_name(enum event_type t)
{
	return (unsigned int)t < EVENT_TYPE_MAX ? type_names[t] : "unknown";
}

/*
 * A dotted quad into buf (INET_ADDRSTRLEN bytes) by hand: glibc's inet_ntop
 * formats IPv4 through sprintf, about 1,700 instructions an address.
 */
static void ipv4_str(const uint8_t a[4], char buf[INET_ADDRSTRLEN])
{
	char *p = buf;

	for (int i = 0; i < 4; i++) {
		unsigned int v = a[i];

		if (i)
			*p++ = '.';
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
	}
	*p = 0;
}

const char *event_addr_str(const struct event_addr *a, char *buf, size_t size)
{
	buf[0] = 0;
	if (a->family == AF_INET && size >= INET_ADDRSTRLEN)
		ipv4_str(a->addr, buf);
	else if (a->family == AF_INET)
		inet_ntop(AF_INET, a->addr, buf, size);
	else if (a->family == AF_INET6)
		inet_ntop(AF_INET6, a->addr, buf, size);
	return buf;
}

static const char *family_name(uint16_t f)
{
	switch (f) {
	case AF_INET:
		return "inet";
	case AF_INET6:
		return "inet6";
	case AF_UNIX:
		return "unix";
	default:
		return "unknown";
	}
}

/*
 * A JSON writer into a growing buffer: one memcpy a piece, no stdio locking
 * or format parsing (stdio was a quarter of the daemon's CPU at high event
 * rates). A failed growth marks the buffer; the caller sees it once, at the
 * end.
 */
struct jw {
	struct event_json *b;
	bool first;
};

static bool jw_grow(struct event_json *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 1024;
	char *p;

	if (b->failed)
		return false;
	while (cap < need)
		cap *= 2;
	p = realloc(b->buf, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->buf = p;
	b->cap = cap;
	return true;
}

static void jw_raw(struct jw *w, const char *s, size_t n)
{
	struct event_json *b = w->b;

	if (b->len + n > b->cap && !jw_grow(b, b->len + n))
		return;
	memcpy(b->buf + b->len, s, n);
	b->len += n;
}

static inline void jw_ch(struct jw *w, char c)
{
	struct event_json *b = w->b;

	if (b->len + 1 > b->cap && !jw_grow(b, b->len + 1))
		return;
	b->buf[b->len++] = c;
}

/* v in decimal: two digits a step, from the end of a 20-byte buffer. */
static size_t u64_dec(uint64_t v, char buf[20])
{
	static const char pairs[] = "00010203040506070809101112131415161718192021222324"
				    "25262728293031323334353637383940414243444546474849"
				    "50515253545556575859606162636465666768697071727374"
				    "75767778798081828384858687888990919293949596979899";
	char *p = buf + 20;

	while (v >= 100) {
		unsigned int d = (unsigned int)(v % 100) * 2;

		v /= 100;
		*--p = pairs[d + 1];
		*--p = pairs[d];
	}
	if (v >= 10) {
		*--p = pairs[v * 2 + 1];
		*--p = pairs[v * 2];
	} else {
		*--p = (char)('0' + v);
	}
	return (size_t)(buf + 20 - p);
}

/* s must be valid UTF-8: only '"', '\\' and control bytes need escaping. */
static void jw_escaped(struct jw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	for (size_t i = 0;; i++) {
		char esc[6] = { '\\', 0, '0', '0', 0, 0 };
		size_t elen = 2;
		unsigned char c;

		i += bufutil_json_plain(s + i, n - i, false);
		if (i >= n)
			break;
		c = s[i];
		jw_raw(w, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			esc[1] = 'u';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		}
		jw_raw(w, esc, elen);
	}
	jw_raw(w, s + run, n - run);
}

/*
 * Always inlined, here and in the writers that take a key: keys are
 * literals, so their length and copy fold into a few stores, the comma,
 * quotes and colon included (a third of a small event's formatting was
 * four calls per key).
 */
#define JW_INLINE static inline __attribute__((always_inline))

JW_INLINE void jw_key(struct jw *w, const char *k)
{
	struct event_json *b = w->b;
	size_t kl = strlen(k);
	char *p;

	if (b->len + kl + 4 > b->cap && !jw_grow(b, b->len + kl + 4))
		return;
	p = b->buf + b->len;
	if (!w->first)
		*p++ = ',';
	w->first = false;
	*p++ = '"';
	memcpy(p, k, kl);
	p += kl;
	*p++ = '"';
	*p++ = ':';
	b->len = p - b->buf;
}

JW_INLINE void jw_str(struct jw *w, const char *k, const char *s, size_t n)
{
	jw_key(w, k);
	jw_ch(w, '"');
	jw_escaped(w, s, n);
	jw_ch(w, '"');
}

/* Bytes from the kernel as a JSON string: valid UTF-8 as is, each bad byte as U+FFFD. */
static void jw_bytes_value(struct jw *w, const char *s, size_t n)
{
	char buf[3 * 256];
	size_t i = 0, take;

	jw_ch(w, '"');
	if (encode_utf8_valid((const unsigned char *)s, n)) {
		jw_escaped(w, s, n);
		jw_ch(w, '"');
		return;
	}
	while (i < n) {
		take = n - i > 256 ? 256 : n - i;
		/* End each piece before a continuation byte: never split a sequence. */
		while (take < n - i && take > 0 && ((unsigned char)s[i + take] & 0xc0) == 0x80)
			take--;
		if (!take)
			take = n - i > 256 ? 256 : n - i;
		jw_escaped(w, buf, encode_utf8_sanitize((const unsigned char *)s + i, take, buf));
		i += take;
	}
	jw_ch(w, '"');
}

JW_INLINE void jw_bytes(struct jw *w, const char *k, const char *s, size_t n)
{
	jw_key(w, k);
	jw_bytes_value(w, s, n);
}

JW_INLINE void jw_cstr(struct jw *w, const char *k, const char *s)
{
	jw_str(w, k, s, strlen(s));
}

/*
 * Consumers (jansson, most SIEM parsers) read JSON integers as int64: keep
 * every number in that range. Only a corrupt record gets near the limit.
 */
JW_INLINE void jw_uint(struct jw *w, const char *k, uint64_t v)
{
	char buf[20];
	size_t n = u64_dec(v > INT64_MAX ? (uint64_t)INT64_MAX : v, buf);

	jw_key(w, k);
	jw_raw(w, buf + 20 - n, n);
}

JW_INLINE void jw_int(struct jw *w, const char *k, int64_t v)
{
	char buf[20];
	/* The magnitude as unsigned: -INT64_MIN does not fit an int64_t. */
	size_t n = u64_dec(v < 0 ? 0 - (uint64_t)v : (uint64_t)v, buf);

	jw_key(w, k);
	if (v < 0)
		jw_ch(w, '-');
	jw_raw(w, buf + 20 - n, n);
}

JW_INLINE void jw_bool(struct jw *w, const char *k, bool v)
{
	jw_key(w, k);
	jw_raw(w, v ? "true" : "false", v ? 4 : 5);
}

static void jw_addr(struct jw *w, const char *kaddr, const char *kport, const struct event_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (a->family != AF_INET && a->family != AF_INET6)
		return;
	jw_cstr(w, kaddr, event_addr_str(a, buf, sizeof(buf)));
	jw_uint(w, kport, a->port);
}

/* Base64 in pieces through a stack buffer: no allocation for any size. */
static void jw_base64(struct jw *w, const char *k, const uint8_t *data, size_t n)
{
	char buf[4096 + 1];
	const size_t piece = 3 * 1024; /* a multiple of 3: pieces join without padding */

	jw_key(w, k);
	jw_ch(w, '"');
	for (size_t i = 0; i < n; i += piece)
		jw_raw(w, buf, encode_base64(data + i, n - i < piece ? n - i : piece, buf));
	jw_ch(w, '"');
}

static void write_exec(struct jw *w, const struct event *ev)
{
	const char *p = ev->exec.args, *end = p + ev->exec.args_len;
	bool first = true;

	jw_bytes(w, "filename", ev->exec.filename, strlen(ev->exec.filename));
	if (ev->exec.cwd) {
		jw_bytes(w, "cwd", ev->exec.cwd, ev->exec.cwd_len);
		if (ev->exec.cwd_cut)
			jw_bool(w, "cwd_cut", true);
	}
	jw_key(w, "argv");
	jw_ch(w, '[');
	while (p < end) {
		size_t n = strnlen(p, end - p);
		if (!first)
			jw_ch(w, ',');
		first = false;
		jw_bytes_value(w, p, n);
		p += n + 1;
	}
	jw_ch(w, ']');
	jw_bool(w, "argv_truncated", ev->exec.args_truncated);
}

static void write_tls(struct jw *w, const struct event *ev)
{
	jw_uint(w, "conn", ev->tls.conn);
	jw_int(w, "fd", ev->tls.fd);
	jw_cstr(w, "func", ev->tls.func);
	jw_uint(w, "call", ev->tls.call);
	jw_uint(w, "offset", ev->tls.offset);
	if (ev->tls.stream_offset != UINT64_MAX)
		jw_uint(w, "stream_offset", ev->tls.stream_offset);
	jw_uint(w, "len", ev->tls.len);
	jw_uint(w, "total_len", ev->tls.total_len);
	jw_bool(w, "truncated", ev->tls.truncated);
	if (ev->tls.fault)
		jw_bool(w, "fault", true);
	jw_addr(w, "laddr", "lport", &ev->tls.local);
	jw_addr(w, "raddr", "rport", &ev->tls.remote);
	if (encode_utf8_valid(ev->tls.data, ev->tls.len))
		jw_str(w, "data", (const char *)ev->tls.data, ev->tls.len);
	else
		jw_base64(w, "data_b64", ev->tls.data, ev->tls.len);
}

/* Text from the HTTP decoders: raw bytes, possibly invalid UTF-8. Absent: no key. */
static void jw_estr(struct jw *w, const char *k, struct event_str s)
{
	if (s.ptr)
		jw_bytes(w, k, s.ptr, s.len);
}

static void write_flow(struct jw *w, const struct event_flow *f)
{
	jw_uint(w, "conn", f->conn);
	jw_cstr(w, "http_version", f->http_version == 20 ? "2" : "1.1");
	if (f->http_version == 20)
		jw_uint(w, "h2_stream", f->stream);
	jw_addr(w, "raddr", "rport", &f->remote);
	jw_estr(w, "host", f->host);
}

static void write_http(struct jw *w, const struct event *ev)
{
	write_flow(w, &ev->http.flow);
	jw_estr(w, "method", ev->http.method);
	jw_estr(w, "path", ev->http.target);
	if (ev->type == EVENT_HTTP_RESPONSE)
		jw_int(w, "status", ev->http.status);
	jw_estr(w, "content_type", ev->http.content_type);
	jw_estr(w, "content_encoding", ev->http.content_encoding);
	jw_uint(w, "body_len", ev->http.body_len);
	jw_uint(w, "wire_len", ev->http.wire_len);
	jw_bool(w, "complete", ev->http.complete);
	if (ev->http.body_undecoded)
		jw_bool(w, "body_undecoded", true);
	if (ev->http.request_id) {
		jw_uint(w, "request_id", ev->http.request_id);
		jw_uint(w, "latency_ns", ev->http.latency_ns);
	}
}

/*
 * An extracted text: its value, and when it was cut, the true length
 * ("<key>_len") and "<key>_truncated". Absent texts write nothing.
 */
static void jw_text(struct jw *w, const char *k, const struct llm_text *t)
{
	char key[64];

	if (!t->ptr)
		return;
	jw_str(w, k, t->ptr, t->len);
	if (!t->truncated)
		return;
	snprintf(key, sizeof(key), "%s_len", k);
	jw_uint(w, key, t->total);
	snprintf(key, sizeof(key), "%s_truncated", k);
	jw_bool(w, key, true);
}

/* JSON text the extractor produced (jansson's compact dump) goes in as is. */
static void jw_json_or_text(struct jw *w, const char *k, const struct llm_text *t, bool is_json)
{
	if (is_json && t->ptr && !t->truncated) {
		jw_key(w, k);
		jw_raw(w, t->ptr, t->len);
	} else {
		jw_text(w, k, t);
	}
}

static void jw_array_open(struct jw *w, const char *k)
{
	jw_key(w, k);
	jw_ch(w, '[');
}

static void jw_obj_open(struct jw *w, struct jw *inner, bool first)
{
	if (!first)
		jw_ch(w, ',');
	jw_ch(w, '{');
	inner->b = w->b;
	inner->first = true;
}

static void write_llm_request(struct jw *w, const struct llm_request *r)
{
	struct jw o;

	jw_cstr(w, "provider", llm_provider_name(r->provider));
	jw_cstr(w, "api", llm_api_name(r->api));
	if (r->api == LLM_API_MCP) {
		jw_cstr(w, "method", r->mcp_method ? r->mcp_method : "");
		if (r->mcp_id && r->mcp_id[0])
			jw_cstr(w, "rpc_id", r->mcp_id);
		if (r->mcp_tool)
			jw_cstr(w, "tool", r->mcp_tool);
		jw_json_or_text(w, "arguments", &r->mcp_args, true);
		return;
	}
	jw_cstr(w, "model", r->model ? r->model : "");
	jw_bool(w, "stream", r->stream);
	jw_text(w, "system", &r->system);
	jw_array_open(w, "messages");
	for (size_t i = 0; i < r->n_messages; i++) {
		jw_obj_open(w, &o, i == 0);
		jw_cstr(&o, "role", r->messages[i].role ? r->messages[i].role : "");
		jw_text(&o, "text", &r->messages[i].text);
		jw_ch(w, '}');
	}
	jw_ch(w, ']');
	if (r->messages_total > r->n_messages)
		jw_uint(w, "messages_total", r->messages_total);
	jw_array_open(w, "tools");
	for (size_t i = 0; i < r->n_tools; i++) {
		if (i)
			jw_ch(w, ',');
		jw_ch(w, '"');
		jw_escaped(w, r->tools[i], strlen(r->tools[i]));
		jw_ch(w, '"');
	}
	jw_ch(w, ']');
	if (r->tools_total > r->n_tools)
		jw_uint(w, "tools_total", r->tools_total);
	if (!r->n_tool_results)
		return;
	jw_array_open(w, "tool_results");
	for (size_t i = 0; i < r->n_tool_results; i++) {
		const struct llm_tool_result *tr = &r->tool_results[i];

		jw_obj_open(w, &o, i == 0);
		jw_cstr(&o, "tool_call_id", tr->tool_call_id ? tr->tool_call_id : "");
		if (tr->name && tr->name[0])
			jw_cstr(&o, "name", tr->name);
		jw_text(&o, "content", &tr->content);
		if (tr->is_error)
			jw_bool(&o, "is_error", true);
		jw_ch(w, '}');
	}
	jw_ch(w, ']');
}

static void write_usage(struct jw *w, const struct llm_usage *u)
{
	struct jw o = { .b = w->b, .first = true };

	jw_key(w, "usage");
	jw_ch(w, '{');
	if (u->input_tokens >= 0)
		jw_int(&o, "input_tokens", u->input_tokens);
	if (u->output_tokens >= 0)
		jw_int(&o, "output_tokens", u->output_tokens);
	if (u->cache_read_tokens >= 0)
		jw_int(&o, "cache_read_tokens", u->cache_read_tokens);
	if (u->total_tokens >= 0)
		jw_int(&o, "total_tokens", u->total_tokens);
	jw_ch(w, '}');
}

static void write_llm_response(struct jw *w, const struct llm_response *r)
{
	struct jw o;

	jw_cstr(w, "provider", llm_provider_name(r->provider));
	jw_cstr(w, "api", llm_api_name(r->api));
	jw_int(w, "status", r->http_status);
	jw_bool(w, "complete", r->complete);
	if (r->error)
		jw_cstr(w, "error", r->error);
	if (r->api == LLM_API_MCP) {
		if (r->mcp_id && r->mcp_id[0])
			jw_cstr(w, "rpc_id", r->mcp_id);
		jw_text(w, "result", &r->mcp_result);
		if (r->mcp_is_error)
			jw_bool(w, "is_error", true);
		if (r->n_mcp_tools) {
			jw_array_open(w, "tools");
			for (size_t i = 0; i < r->n_mcp_tools; i++) {
				if (i)
					jw_ch(w, ',');
				jw_ch(w, '"');
				jw_escaped(w, r->mcp_tools[i], strlen(r->mcp_tools[i]));
				jw_ch(w, '"');
			}
			jw_ch(w, ']');
		}
		return;
	}
	jw_cstr(w, "model", r->model ? r->model : "");
	jw_bool(w, "stream", r->stream);
	jw_text(w, "text", &r->text);
	jw_array_open(w, "tool_calls");
	for (size_t i = 0; i < r->n_tool_calls; i++) {
		const struct llm_tool_call *tc = &r->tool_calls[i];

		jw_obj_open(w, &o, i == 0);
		jw_cstr(&o, "id", tc->id ? tc->id : "");
		jw_cstr(&o, "name", tc->name ? tc->name : "");
		jw_json_or_text(&o, "arguments", &tc->args, tc->args_json);
		jw_ch(w, '}');
	}
	jw_ch(w, ']');
	if (r->tool_calls_total > r->n_tool_calls)
		jw_uint(w, "tool_calls_total", r->tool_calls_total);
	jw_cstr(w, "stop_reason", r->stop_reason ? r->stop_reason : "");
	write_usage(w, &r->usage);
}

static void write_llm(struct jw *w, const struct event *ev)
{
	write_flow(w, &ev->llm.flow);
	jw_estr(w, "path", ev->llm.path);
	if (ev->llm.req)
		write_llm_request(w, ev->llm.req);
	if (ev->llm.resp)
		write_llm_response(w, ev->llm.resp);
	if (ev->llm.request_id) {
		jw_uint(w, "request_id", ev->llm.request_id);
		jw_uint(w, "latency_ns", ev->llm.latency_ns);
	}
}

static void write_decode_error(struct jw *w, const struct event *ev)
{
	const char *name = errno_name(ev->decode_error.err);

	write_flow(w, &ev->decode_error.flow);
	jw_cstr(w, "proto", ev->decode_error.proto ? ev->decode_error.proto : "");
	jw_cstr(w, "direction", ev->decode_error.from_server ? "response" : "request");
	jw_cstr(w, "what", ev->decode_error.what ? ev->decode_error.what : "");
	jw_cstr(w, "error", name ? name : "EUNKNOWN");
	jw_uint(w, "offset", ev->decode_error.offset);
}

static void write_blind(struct jw *w, const struct event *ev)
{
	jw_addr(w, "raddr", "rport", &ev->blind.flow.remote);
	jw_estr(w, "host", ev->blind.flow.host);
	jw_cstr(w, "reason", ev->blind.reason ? ev->blind.reason : "");
	if (ev->blind.connect_id)
		jw_uint(w, "connect_id", ev->blind.connect_id);
}

static void write_dns(struct jw *w, const struct event *ev)
{
	const struct dns_message *m = ev->dns.msg;
	char buf[INET6_ADDRSTRLEN];
	const char *tname;

	jw_int(w, "fd", ev->dns.fd);
	jw_addr(w, "server", "port", &ev->dns.server);
	if (!m) {
		jw_uint(w, "len", ev->dns.len);
		if (ev->dns.total_len > ev->dns.len)
			jw_uint(w, "total_len", ev->dns.total_len);
		return;
	}
	jw_uint(w, "dns_id", m->id);
	if (!m->is_response)
		jw_bool(w, "response", false);
	jw_bytes(w, "qname", m->qname, strnlen(m->qname, sizeof(m->qname)));
	tname = dns_type_name(m->qtype);
	if (tname)
		jw_cstr(w, "qtype", tname);
	else
		jw_uint(w, "qtype", m->qtype);
	jw_uint(w, "rcode", m->rcode);
	jw_key(w, "addrs");
	jw_ch(w, '[');
	for (unsigned int i = 0; i < m->n_addrs && i < DNS_MAX_ADDRS; i++) {
		const struct dns_addr *a = &m->addrs[i];

		if (i)
			jw_ch(w, ',');
		buf[0] = 0;
		if (a->family == AF_INET6)
			inet_ntop(AF_INET6, a->addr, buf, sizeof(buf));
		else
			ipv4_str(a->addr, buf);
		jw_ch(w, '"');
		jw_escaped(w, buf, strlen(buf));
		jw_ch(w, '"');
	}
	jw_ch(w, ']');
	if (m->cname[0])
		jw_bytes(w, "cname", m->cname, strnlen(m->cname, sizeof(m->cname)));
	jw_bool(w, "tc", m->truncated_flag);
	jw_bool(w, "addrs_truncated", m->addrs_truncated);
	jw_bool(w, "truncated", ev->dns.total_len > ev->dns.len);
}

/* open(2) flags by name; bits with no name go in as one hex string. */
static void write_open_flags(struct jw *w, int flags)
{
	static const struct {
		int bit;
		const char *name;
	} names[] = {
		{ O_CREAT, "O_CREAT" },	      { O_EXCL, "O_EXCL" },	    { O_NOCTTY, "O_NOCTTY" },
		{ O_TRUNC, "O_TRUNC" },	      { O_APPEND, "O_APPEND" },	    { O_NONBLOCK, "O_NONBLOCK" },
		{ O_DSYNC, "O_DSYNC" },	      { O_ASYNC, "O_ASYNC" },	    { O_DIRECT, "O_DIRECT" },
		{ 0100000 /* the kernel's; 0 in 64-bit libc */, "O_LARGEFILE" }, { O_DIRECTORY, "O_DIRECTORY" },
		{ O_NOFOLLOW, "O_NOFOLLOW" }, { O_NOATIME, "O_NOATIME" },   { O_CLOEXEC, "O_CLOEXEC" },
		{ O_PATH, "O_PATH" },
	};
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
	unsigned int rest = flags & ~O_ACCMODE;
	char buf[16];

	jw_key(w, "flags");
	jw_ch(w, '[');
	jw_raw(w, "\"", 1);
	jw_raw(w, acc[flags & O_ACCMODE], strlen(acc[flags & O_ACCMODE]));
	jw_raw(w, "\"", 1);
	/* O_SYNC and O_TMPFILE contain another flag's bit: named whole, before it. */
	if ((rest & (O_SYNC & ~O_DSYNC)) && (rest & O_DSYNC)) {
		jw_raw(w, ",\"O_SYNC\"", 9);
		rest &= ~((O_SYNC & ~O_DSYNC) | O_DSYNC);
	}
	if ((rest & (O_TMPFILE & ~O_DIRECTORY)) && (rest & O_DIRECTORY)) {
		jw_raw(w, ",\"O_TMPFILE\"", 12);
		rest &= ~((O_TMPFILE & ~O_DIRECTORY) | O_DIRECTORY);
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(rest & names[i].bit))
			continue;
		jw_ch(w, ',');
		jw_ch(w, '"');
		jw_raw(w, names[i].name, strlen(names[i].name));
		jw_ch(w, '"');
		rest &= ~names[i].bit;
	}
	if (rest) {
		int n = snprintf(buf, sizeof(buf), ",\"%#x\"", rest);

		jw_raw(w, buf, n);
	}
	jw_ch(w, ']');
}

/* The IORING_OP_* names of the requests the kernel side reports (bpf/session.bpf.c). */
static const char *io_uring_op_name(uint8_t op)
{
	static const char *const names[] = {
		[IORING_OP_ACCEPT] = "accept",
		[IORING_OP_CONNECT] = "connect",
		[IORING_OP_OPENAT] = "openat",
		[IORING_OP_OPENAT2] = "openat2",
		[IORING_OP_RENAMEAT] = "renameat",
		[IORING_OP_UNLINKAT] = "unlinkat",
		[IORING_OP_MKDIRAT] = "mkdirat",
		[IORING_OP_SYMLINKAT] = "symlinkat",
		[IORING_OP_LINKAT] = "linkat",
		[IORING_OP_SOCKET] = "socket",
		[56] = "bind", /* IORING_OP_BIND, IORING_OP_LISTEN: newer than Debian 12's header */
		[57] = "listen",
	};

	return op < sizeof(names) / sizeof(names[0]) ? names[op] : NULL;
}

/*
 * A path a process passed, under key, as the kernel side could read it;
 * <key>_truncated and <key>_unreadable say when it could not whole.
 */
static void write_path_as(struct jw *w, const char *key, const char *path, size_t len,
			  bool truncated, bool fault)
{
	char k[32];

	jw_bytes(w, key, path, len);
	if (truncated) {
		snprintf(k, sizeof(k), "%s_truncated", key);
		jw_bool(w, k, true);
	}
	if (fault) {
		snprintf(k, sizeof(k), "%s_unreadable", key);
		jw_bool(w, k, true);
	}
}

static void write_path(struct jw *w, const char *path, size_t len, bool truncated, bool fault)
{
	write_path_as(w, "path", path, len, truncated, fault);
}

struct flag_name {
	unsigned int bit;
	const char *name;
};

/* The flags of unlinkat, renameat2 and linkat, by the names their man pages give them. */
static const struct flag_name unlink_flags[] = { { 0x200, "AT_REMOVEDIR" } };
static const struct flag_name rename_flags[] = { { 1, "RENAME_NOREPLACE" },
						 { 2, "RENAME_EXCHANGE" },
						 { 4, "RENAME_WHITEOUT" } };
static const struct flag_name link_flags[] = { { 0x400, "AT_SYMLINK_FOLLOW" },
					       { 0x1000, "AT_EMPTY_PATH" } };
/* fchmodat2's and fchownat's */
static const struct flag_name owner_mode_flags[] = { { 0x100, "AT_SYMLINK_NOFOLLOW" },
						     { 0x1000, "AT_EMPTY_PATH" } };

/* flags as a list of the names in names[n], and the hex of any bits left. */
static void write_flag_list(struct jw *w, const char *key, unsigned int flags,
			    const struct flag_name *names, size_t n)
{
	char buf[16];
	bool first = true;

	jw_key(w, key);
	jw_ch(w, '[');
	for (size_t i = 0; i < n; i++) {
		if (!(flags & names[i].bit))
			continue;
		if (!first)
			jw_ch(w, ',');
		jw_ch(w, '"');
		jw_raw(w, names[i].name, strlen(names[i].name));
		jw_ch(w, '"');
		flags &= ~names[i].bit;
		first = false;
	}
	if (flags) {
		int len = snprintf(buf, sizeof(buf), "%s\"%#x\"", first ? "" : ",", flags);

		jw_raw(w, buf, len);
	}
	jw_ch(w, ']');
}

/*
 * rel joined as text to the directory the kernel walked for it, under key
 * (with <key>_cut when only the directory's tail was had): where a path
 * points with no file to walk. Nothing for an absolute path (no dir).
 */
static bool write_joined(struct jw *w, const char *key, const char *dir, size_t dir_len, bool cut,
			 const char *rel, size_t rel_len)
{
	char joined[2 * WARDEN_OPEN_PATH_MAX], k[40];
	int n;

	if (!dir || !rel_len || rel[0] == '/')
		return false;
	n = bufutil_path_join(dir, dir_len, rel, rel_len, joined, sizeof(joined));
	if (n < 0)
		return false;
	jw_bytes(w, key, joined, n);
	if (cut) {
		snprintf(k, sizeof(k), "%s_cut", key);
		jw_bool(w, k, true);
	}
	return true;
}

/*
 * The request's own fields, by kind: the paths it names, relative to which
 * directories, and its flags under the names its syscall twin takes.
 */
static void write_io_uring_paths(struct jw *w, const struct event *ev)
{
	const typeof(ev->io_uring) *u = &ev->io_uring;

	write_path(w, u->path, u->path_len, u->path_truncated, u->path_fault);
	if (u->opcode == IORING_OP_CONNECT)
		return; /* an AF_UNIX socket's path: no directory, no flags */
	jw_int(w, "dirfd", u->dfd);
	/* Lexical, as for file.*: the file may not be there yet. */
	if (!u->dir_of_path2)
		write_joined(w, "resolved_path", u->dir, u->dir_len, u->dir_cut, u->path,
			     u->path_len);
	switch (u->opcode) {
	case IORING_OP_OPENAT:
	case IORING_OP_OPENAT2:
		write_open_flags(w, (int)u->flags);
		break;
	case IORING_OP_UNLINKAT:
		write_flag_list(w, "flags", u->flags, unlink_flags,
				sizeof(unlink_flags) / sizeof(unlink_flags[0]));
		break;
	case IORING_OP_MKDIRAT:
		jw_uint(w, "mode", u->flags);
		break;
	case IORING_OP_SYMLINKAT:
		write_path_as(w, "target", u->path2, u->path2_len, u->path2_truncated,
			      u->path2_fault);
		break;
	case IORING_OP_RENAMEAT:
	case IORING_OP_LINKAT:
		write_path_as(w, "new_path", u->path2, u->path2_len, u->path2_truncated,
			      u->path2_fault);
		jw_int(w, "new_dirfd", u->dfd2);
		/* The walk is path2's own, or path's directory when path2's is that too. */
		if (u->dir_of_path2 || u->dfd2 == u->dfd)
			write_joined(w, "new_resolved_path", u->dir, u->dir_len, u->dir_cut,
				     u->path2, u->path2_len);
		if (u->opcode == IORING_OP_RENAMEAT)
			write_flag_list(w, "flags", u->flags, rename_flags,
					sizeof(rename_flags) / sizeof(rename_flags[0]));
		else
			write_flag_list(w, "flags", u->flags, link_flags,
					sizeof(link_flags) / sizeof(link_flags[0]));
		break;
	default:
		break;
	}
}

static void write_io_uring(struct jw *w, const struct event *ev)
{
	const char *name = io_uring_op_name(ev->io_uring.opcode);

	if (name)
		jw_cstr(w, "op", name);
	jw_uint(w, "opcode", ev->io_uring.opcode);
	jw_uint(w, "user_data", ev->io_uring.user_data);
	if (ev->io_uring.sq_thread)
		jw_bool(w, "sq_thread", true);
	if (ev->io_uring.remote.family) {
		jw_cstr(w, "family", family_name(ev->io_uring.remote.family));
		if (ev->io_uring.remote.family == AF_INET || ev->io_uring.remote.family == AF_INET6)
			jw_addr(w, "daddr", "dport", &ev->io_uring.remote);
		if (ev->io_uring.host)
			jw_bytes(w, "host", ev->io_uring.host, strlen(ev->io_uring.host));
	}
	if (ev->io_uring.path)
		write_io_uring_paths(w, ev);
}

static void write_file_change(struct jw *w, const struct event *ev)
{
	const typeof(ev->fchange) *c = &ev->fchange;

	if (c->file || ((c->flags & AT_EMPTY_PATH) && !c->path_len && !c->path_fault)) {
		/* fchmod, fchown, ftruncate and the *at() calls given AT_EMPTY_PATH: no path. */
		jw_int(w, "fd", c->dfd);
		if (c->file) {
			jw_bytes(w, "resolved_path", c->file, c->file_len);
			if (c->file_cut)
				jw_bool(w, "resolved_path_cut", true);
		}
	} else {
		write_path(w, c->path, c->path_len, c->path_truncated, c->path_fault);
		jw_int(w, "dirfd", c->dfd);
		/* Lexical: the file may be gone (unlink, rename) or be made only now. */
		write_joined(w, "resolved_path", c->dir, c->dir_len, c->dir_cut, c->path,
			     c->path_len);
	}
	switch (ev->type) {
	case EVENT_FILE_RENAME:
	case EVENT_FILE_LINK:
		write_path_as(w, "new_path", c->path2, c->path2_len, c->path2_truncated,
			      c->path2_fault);
		jw_int(w, "new_dirfd", c->dfd2);
		/* dfd2's own directory, walked, or dfd's when dfd2 is dfd. */
		if (c->dir2)
			write_joined(w, "new_resolved_path", c->dir2, c->dir2_len, c->dir2_cut,
				     c->path2, c->path2_len);
		else if (c->dfd2 == c->dfd)
			write_joined(w, "new_resolved_path", c->dir, c->dir_len, c->dir_cut,
				     c->path2, c->path2_len);
		if (ev->type == EVENT_FILE_RENAME)
			write_flag_list(w, "flags", c->flags, rename_flags,
					sizeof(rename_flags) / sizeof(rename_flags[0]));
		else
			write_flag_list(w, "flags", c->flags, link_flags,
					sizeof(link_flags) / sizeof(link_flags[0]));
		break;
	case EVENT_FILE_SYMLINK:
		write_path_as(w, "target", c->path2, c->path2_len, c->path2_truncated,
			      c->path2_fault);
		break;
	case EVENT_FILE_MKDIR:
		jw_uint(w, "mode", c->mode);
		break;
	case EVENT_FILE_CHMOD:
	case EVENT_FILE_CHOWN:
		if (ev->type == EVENT_FILE_CHMOD)
			jw_uint(w, "mode", c->mode);
		/* -1 leaves the owner or the group as it is: then there is no key. */
		if (ev->type == EVENT_FILE_CHOWN && c->uid != UINT32_MAX)
			jw_uint(w, "owner", c->uid);
		if (ev->type == EVENT_FILE_CHOWN && c->gid != UINT32_MAX)
			jw_uint(w, "group", c->gid);
		write_flag_list(w, "flags", c->flags, owner_mode_flags,
				sizeof(owner_mode_flags) / sizeof(owner_mode_flags[0]));
		break;
	case EVENT_FILE_TRUNCATE:
		jw_int(w, "length", c->length);
		break;
	default:
		break;
	}
	jw_int(w, "result", c->result);
	if (c->result < 0) {
		const char *name = errno_name(c->result);

		jw_cstr(w, "error", name ? name : "EUNKNOWN");
	}
}

static void write_accept(struct jw *w, const struct event *ev)
{
	const typeof(ev->accept) *a = &ev->accept;

	jw_int(w, "fd", a->fd);
	jw_int(w, "conn_fd", a->conn_fd);
	jw_bool(w, "io_uring", a->io_uring);
	jw_cstr(w, "family", family_name(a->local.family));
	if (a->local.family == AF_INET || a->local.family == AF_INET6) {
		jw_addr(w, "laddr", "lport", &a->local);
		jw_addr(w, "raddr", "rport", &a->remote);
	}
}

static void write_listen(struct jw *w, const struct event *ev)
{
	jw_int(w, "fd", ev->listen.fd);
	jw_cstr(w, "family", family_name(ev->listen.local.family));
	if (ev->listen.local.family == AF_UNIX)
		jw_bytes(w, "path", ev->listen.unix_path, ev->listen.unix_path_len);
	else
		jw_addr(w, "laddr", "lport", &ev->listen.local);
	jw_int(w, "backlog", ev->listen.backlog);
	jw_int(w, "result", ev->listen.result);
	if (ev->listen.result < 0) {
		const char *name = errno_name(ev->listen.result);

		jw_cstr(w, "error", name ? name : "EUNKNOWN");
	}
}

static void write_file_open(struct jw *w, const struct event *ev)
{
	write_path(w, ev->file.path, ev->file.path_len, ev->file.path_truncated,
		   ev->file.path_fault);
	if (ev->file.late_read)
		jw_bool(w, "read_at_exit", true);
	if (ev->file.resolved && ev->file.resolved_dir) {
		/* No file: where the path pointed, joined as text to its directory. */
		if (write_joined(w, "resolved_path", ev->file.resolved, ev->file.resolved_len,
				 ev->file.resolved_cut, ev->file.path, ev->file.path_len))
			jw_bool(w, "resolved_path_lexical", true);
	} else if (ev->file.resolved) {
		jw_bytes(w, "resolved_path", ev->file.resolved, ev->file.resolved_len);
		if (ev->file.resolved_cut)
			jw_bool(w, "resolved_path_cut", true);
	}
	jw_cstr(w, "syscall", ev->file.openat2 ? "openat2" : "openat");
	jw_int(w, "dirfd", ev->file.dirfd);
	write_open_flags(w, ev->file.flags);
	jw_uint(w, "mode", ev->file.mode);
	jw_int(w, "result", ev->file.result);
	if (ev->file.result < 0) {
		const char *name = errno_name(ev->file.result);

		jw_cstr(w, "error", name ? name : "EUNKNOWN");
	}
}

static void jw_cstr_or_null(struct jw *w, const char *k, const char *s)
{
	if (s) {
		jw_bytes(w, k, s, strlen(s));
	} else {
		jw_key(w, k);
		jw_raw(w, "null", 4);
	}
}

static void write_session(struct jw *w, const struct event *ev)
{
	jw_cstr_or_null(w, "agent", ev->sess.agent);
	jw_cstr_or_null(w, "container_id", ev->sess.container_id);
	jw_cstr_or_null(w, "pod_uid", ev->sess.pod_uid);
	if (ev->type != EVENT_SESSION_END)
		return;
	jw_uint(w, "processes", ev->sess.processes);
	jw_uint(w, "events", ev->sess.events);
	jw_uint(w, "duration_ns", ev->sess.duration_ns);
}

static void write_stats_object(struct jw *w, const char *k, const struct event_stat *st,
			       unsigned int n)
{
	struct jw inner = { .b = w->b, .first = true };

	jw_key(w, k);
	jw_ch(w, '{');
	for (unsigned int i = 0; i < n; i++)
		jw_uint(&inner, st[i].name, st[i].value);
	jw_ch(w, '}');
}

int event_format_json(const struct event *ev, struct event_json *out)
{
	struct jw w = { .b = out, .first = true };

	out->len = 0;
	out->failed = false;
	jw_ch(&w, '{');
	jw_uint(&w, "id", ev->id);
	jw_uint(&w, "ts", ev->ts);
	jw_cstr(&w, "type", event_type_name(ev->type));
	if (ev->type != EVENT_AGENT_STATS) {
		jw_uint(&w, "pid", ev->pid);
		jw_uint(&w, "tid", ev->tid);
		jw_uint(&w, "ppid", ev->ppid);
		jw_uint(&w, "uid", ev->uid);
		jw_bytes(&w, "comm", ev->comm, strnlen(ev->comm, sizeof(ev->comm)));
		if (ev->exe) {
			jw_bytes(&w, "exe", ev->exe, strlen(ev->exe));
		} else {
			jw_key(&w, "exe");
			jw_raw(&w, "null", 4);
		}
	}
	if (ev->session) {
		jw_uint(&w, "session", ev->session);
		jw_uint(&w, "session_root", ev->session_root);
		if (ev->session_nested)
			jw_bool(&w, "session_nested", true);
	}
	if (ev->cause)
		jw_uint(&w, "cause", ev->cause);

	switch (ev->type) {
	case EVENT_PROCESS_EXEC:
		write_exec(&w, ev);
		break;
	case EVENT_PROCESS_EXIT:
		jw_int(&w, "exit_code", ev->exit.status);
		jw_int(&w, "signal", ev->exit.signal);
		if (ev->exit.core_dumped)
			jw_bool(&w, "core_dumped", true);
		break;
	case EVENT_NET_CONNECT:
	case EVENT_NET_CONNECT_RESULT:
		jw_int(&w, "fd", ev->connect.fd);
		jw_cstr(&w, "family", family_name(ev->connect.remote.family));
		if (ev->connect.remote.family == AF_UNIX)
			jw_bytes(&w, "path", ev->connect.unix_path, ev->connect.unix_path_len);
		else
			jw_addr(&w, "daddr", "dport", &ev->connect.remote);
		jw_int(&w, "result", ev->connect.result);
		if (ev->connect.result < 0) {
			const char *name = errno_name(ev->connect.result);

			jw_cstr(&w, "error", name ? name : "EUNKNOWN");
		}
		if (ev->connect.host)
			jw_bytes(&w, "host", ev->connect.host, strlen(ev->connect.host));
		break;
	case EVENT_NET_LISTEN:
		write_listen(&w, ev);
		break;
	case EVENT_NET_ACCEPT:
		write_accept(&w, ev);
		break;
	case EVENT_TLS_WRITE:
	case EVENT_TLS_READ:
		write_tls(&w, ev);
		break;
	case EVENT_HTTP_REQUEST:
	case EVENT_HTTP_RESPONSE:
		write_http(&w, ev);
		break;
	case EVENT_LLM_REQUEST:
	case EVENT_LLM_RESPONSE:
	case EVENT_MCP_CALL:
	case EVENT_MCP_RESULT:
		write_llm(&w, ev);
		break;
	case EVENT_DECODE_ERROR:
		write_decode_error(&w, ev);
		break;
	case EVENT_CAPTURE_BLIND:
		write_blind(&w, ev);
		break;
	case EVENT_DNS_ANSWER:
		write_dns(&w, ev);
		break;
	case EVENT_FILE_OPEN:
		write_file_open(&w, ev);
		break;
	case EVENT_IO_URING:
		write_io_uring(&w, ev);
		break;
	case EVENT_SESSION_START:
	case EVENT_SESSION_END:
		write_session(&w, ev);
		break;
	case EVENT_AGENT_STATS: {
		static const struct event_stats_tables none;
		const struct event_stats_tables *t = ev->stats.tables ?: &none;

		write_stats_object(&w, "drops", t->drops, t->ndrops);
		write_stats_object(&w, "counters", t->counters, t->ncounters);
		jw_uint(&w, "events", ev->stats.events);
		jw_uint(&w, "uptime_ns", ev->stats.uptime_ns);
		break;
	}
	default:
		if (event_is_file_change(ev->type))
			write_file_change(&w, ev);
		break;
	}
	jw_ch(&w, '}');
	jw_ch(&w, '\n');
	return out->failed ? -ENOMEM : 0;
}

void event_json_release(struct event_json *j)
{
	if (!j)
		return;
	free(j->buf);
	*j = (struct event_json){ 0 };
}

void event_json_trim(struct event_json *j)
{
	if (j->cap > EVENT_JSON_KEEP)
		event_json_release(j);
}

int event_write_json(const struct event *ev, FILE *f)
{
	/* Per thread, kept between events: the hot path allocates nothing. */
	static __thread struct event_json j;
	int r;

	if (ferror(f))
		return -EIO;
	r = event_format_json(ev, &j);
	if (!r && fwrite_unlocked(j.buf, 1, j.len, f) != j.len)
		r = -EIO;
	event_json_trim(&j);
	return r;
}

int event_to_json(const struct event *ev, json_t **out)
{
	struct event_json j = { 0 };
	json_error_t jerr;
	int r;

	*out = NULL;
	r = event_format_json(ev, &j);
	if (!r) {
		*out = json_loadb(j.buf, j.len, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &jerr);
		if (!*out)
			r = -EINVAL; /* the writer produced invalid JSON: a bug, caught by tests */
	}
	event_json_release(&j);
	return r;
}

// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for src/decode/flow.c: recorded client exchanges fed as TLS
 * chunks, whole and split at every point (the events must not change), with
 * lost calls, truncated captures, server-side connections, process exits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "warden/decode/flow.h"
#include "warden/decode/llm.h"

/* ---- a recorded OpenAI exchange, an Anthropic stream, a plain GET ------------ */

#define OPENAI_REQ_BODY                                                                      \
	"{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"You are "  \
	"terse.\"},{\"role\":\"user\",\"content\":\"RUN: ls /tmp\"}],\"tools\":[{\"type\":"     \
	"\"function\",\"function\":{\"name\":\"run_shell\",\"parameters\":{\"type\":\"object\"," \
	"\"properties\":{\"command\":{\"type\":\"string\"}}}}}],\"stream\":false}"

#define OPENAI_RESP_BODY                                                                     \
	"{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini\","      \
	"\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,"       \
	"\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":"      \
	"\"run_shell\",\"arguments\":\"{\\\"command\\\": \\\"ls /tmp\\\"}\"}}]},"               \
	"\"finish_reason\":\"tool_calls\"}],\"usage\":{\"prompt_tokens\":20,"                  \
	"\"completion_tokens\":5,\"total_tokens\":25}}"

#define ANTHROPIC_REQ_BODY                                                                   \
	"{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":1024,\"stream\":true,\"messages\":"   \
	"[{\"role\":\"user\",\"content\":\"hello there\"}]}"

/* SSE events of a streamed Anthropic reply, sent chunked. */
static const char anthropic_sse[] =
	"event: message_start\n"
	"data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
	"\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],"
	"\"stop_reason\":null,\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}}\n\n"
	"event: content_block_start\n"
	"data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":"
	"\"text\",\"text\":\"\"}}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
	"\"text\":\"Hi \"}}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
	"\"text\":\"back!\"}}\n\n"
	"event: content_block_stop\n"
	"data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
	"event: message_delta\n"
	"data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
	"\"usage\":{\"output_tokens\":3}}\n\n"
	"event: message_stop\n"
	"data: {\"type\":\"message_stop\"}\n\n";

static char *out_stream, *in_stream;
static size_t out_len, in_len;

static void append(char **buf, size_t *len, const char *s, size_t n)
{
	*buf = realloc(*buf, *len + n + 1);
	assert_non_null(*buf);
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = 0;
}

static void appendf(char **buf, size_t *len, const char *fmt, ...)
{
	char tmp[8192];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(tmp));
	append(buf, len, tmp, n);
}

/* Three exchanges on one keep-alive connection, as a client writes and reads them. */
static int build_exchange(void **state)
{
	const char *sse = anthropic_sse;
	size_t left = strlen(sse);

	(void)state;
	out_len = in_len = 0;
	appendf(&out_stream, &out_len,
		"POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\n"
		"Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		strlen(OPENAI_REQ_BODY), OPENAI_REQ_BODY);
	appendf(&in_stream, &in_len,
		"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		strlen(OPENAI_RESP_BODY), OPENAI_RESP_BODY);

	appendf(&out_stream, &out_len,
		"POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\n"
		"content-type: application/json\r\ncontent-length: %zu\r\n\r\n%s",
		strlen(ANTHROPIC_REQ_BODY), ANTHROPIC_REQ_BODY);
	appendf(&in_stream, &in_len,
		"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
		"Transfer-Encoding: chunked\r\n\r\n");
	while (left) {
		size_t n = left > 97 ? 97 : left;

		appendf(&in_stream, &in_len, "%zx\r\n", n);
		append(&in_stream, &in_len, sse, n);
		append(&in_stream, &in_len, "\r\n", 2);
		sse += n;
		left -= n;
	}
	append(&in_stream, &in_len, "0\r\n\r\n", 5);

	appendf(&out_stream, &out_len, "GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n");
	appendf(&in_stream, &in_len,
		"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nnope!");
	return 0;
}

static int free_exchange(void **state)
{
	(void)state;
	free(out_stream);
	free(in_stream);
	out_stream = in_stream = NULL;
	return 0;
}

/* ---- feeding and collecting ------------------------------------------------ */

struct sink {
	char log[16384];
	size_t len;
	uint64_t next_id;
	uint64_t ids[64];
	int n;
};

static void logf_(struct sink *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	s->len += vsnprintf(s->log + s->len, sizeof(s->log) - s->len, fmt, ap);
	va_end(ap);
	assert_true(s->len < sizeof(s->log));
}

/* Each event as a line of the fields that matter: equal lines, equal decoding. */
static void collect(struct event *ev, void *arg)
{
	struct sink *s = arg;

	ev->id = ++s->next_id;
	if (s->n < 64)
		s->ids[s->n] = ev->id;
	s->n++;
	logf_(s, "%s pid=%u", event_type_name(ev->type), ev->pid);
	switch (ev->type) {
	case EVENT_LLM_REQUEST: {
		const struct llm_request *r = ev->llm.req;

		logf_(s, " %s model=%s stream=%d msgs=%zu", llm_provider_name(r->provider),
		      r->model, r->stream, r->n_messages);
		for (size_t i = 0; i < r->n_messages; i++)
			logf_(s, " [%s:%.*s]", r->messages[i].role, (int)r->messages[i].text.len,
			      r->messages[i].text.ptr);
		for (size_t i = 0; i < r->n_tools; i++)
			logf_(s, " tool=%s", r->tools[i]);
		logf_(s, " host=%.*s", (int)ev->llm.flow.host.len, ev->llm.flow.host.ptr);
		break;
	}
	case EVENT_LLM_RESPONSE: {
		const struct llm_response *r = ev->llm.resp;

		logf_(s, " req=%llu complete=%d status=%d model=%s text=%.*s stop=%s",
		      (unsigned long long)ev->llm.request_id, r->complete, r->http_status, r->model,
		      (int)r->text.len, r->text.ptr ? r->text.ptr : "", r->stop_reason);
		for (size_t i = 0; i < r->n_tool_calls; i++)
			logf_(s, " call=%s:%s:%.*s", r->tool_calls[i].id, r->tool_calls[i].name,
			      (int)r->tool_calls[i].args.len, r->tool_calls[i].args.ptr);
		break;
	}
	case EVENT_HTTP_REQUEST:
		logf_(s, " %.*s %.*s host=%.*s complete=%d", (int)ev->http.method.len,
		      ev->http.method.ptr, (int)ev->http.target.len, ev->http.target.ptr,
		      (int)ev->http.flow.host.len, ev->http.flow.host.ptr, ev->http.complete);
		break;
	case EVENT_HTTP_RESPONSE:
		logf_(s, " req=%llu status=%d len=%llu complete=%d",
		      (unsigned long long)ev->http.request_id, ev->http.status,
		      (unsigned long long)ev->http.body_len, ev->http.complete);
		break;
	case EVENT_DECODE_ERROR:
		logf_(s, " %s %s", ev->decode_error.proto, ev->decode_error.what);
		break;
	default:
		break;
	}
	logf_(s, "\n");
}

static void feed(struct flow_table *t, enum event_type type, uint64_t conn, uint64_t stream_off,
		 const char *data, size_t len, uint64_t total, uint64_t ts)
{
	struct event ev = { .type = type, .pid = 100, .tid = 100, .ts = ts };

	strcpy(ev.comm, "agent");
	ev.tls.conn = conn;
	ev.tls.stream_offset = stream_off;
	ev.tls.total_len = total;
	ev.tls.data = (const uint8_t *)data;
	ev.tls.len = len;
	ev.tls.last = true;
	ev.tls.remote.family = AF_INET;
	ev.tls.remote.port = 443;
	assert_int_equal(flow_feed_tls(t, &ev), 0);
}

/*
 * The whole exchange in calls: requests written in two calls cut at
 * cut_out, then responses read in two cut at cut_in (0: one call each).
 */
static void run(struct sink *s, size_t cut_out, size_t cut_in)
{
	struct flow_table *t;
	size_t o = 0, i = 0;
	uint64_t ts = 1000;

	memset(s, 0, sizeof(*s));
	assert_int_equal(flow_table_new(NULL, collect, s, &t), 0);
	if (cut_out) {
		feed(t, EVENT_TLS_WRITE, 1, 0, out_stream, cut_out, cut_out, ts++);
		o = cut_out;
	}
	feed(t, EVENT_TLS_WRITE, 1, o, out_stream + o, out_len - o, out_len - o, ts++);
	if (cut_in) {
		feed(t, EVENT_TLS_READ, 1, 0, in_stream, cut_in, cut_in, ts++);
		i = cut_in;
	}
	feed(t, EVENT_TLS_READ, 1, i, in_stream + i, in_len - i, in_len - i, ts++);
	flow_table_free(t);
}

/* ---- tests ----------------------------------------------------------------- */

static void test_exchange_events(void **state)
{
	static struct sink s;

	(void)state;
	run(&s, 0, 0);
	/* Requests: the OpenAI call with its system prompt as a message and the tool offered. */
	assert_non_null(strstr(s.log, "llm.request pid=100 openai model=gpt-4o-mini stream=0"));
	assert_non_null(strstr(s.log, "[user:RUN: ls /tmp]"));
	assert_non_null(strstr(s.log, "tool=run_shell host=api.openai.com"));
	assert_non_null(strstr(s.log, "llm.request pid=100 anthropic model=claude-sonnet-4-5 "
				      "stream=1 msgs=1 [user:hello there]"));
	assert_non_null(strstr(s.log, "http.request pid=100 GET /index.html host=example.com"));
	/* Responses, each paired with its request's id. */
	assert_non_null(strstr(s.log, "complete=1 status=200 model=gpt-4o-mini text= "
				      "stop=tool_calls call=call_1:run_shell:{\"command\":\"ls /tmp\"}"));
	assert_non_null(strstr(s.log, "complete=1 status=200 model=claude-sonnet-4-5 "
				      "text=Hi back! stop=end_turn"));
	assert_non_null(strstr(s.log, "http.response pid=100 req="));
	assert_non_null(strstr(s.log, "status=404 len=5 complete=1"));
	assert_null(strstr(s.log, "decode.error"));
	assert_int_equal(s.n, 6);
	/* The response names its request: 2nd event answers the 1st. */
	char want[64];
	snprintf(want, sizeof(want), "llm.response pid=100 req=%llu ",
		 (unsigned long long)s.ids[0]);
	assert_non_null(strstr(s.log, want));
}

/* Every split point of each direction gives the same events. */
static void test_split_anywhere(void **state)
{
	static struct sink whole, cut;

	(void)state;
	run(&whole, 0, 0);
	for (size_t k = 1; k < out_len; k++) {
		run(&cut, k, 0);
		if (strcmp(whole.log, cut.log))
			fail_msg("write split at %zu:\n%s\nvs\n%s", k, cut.log, whole.log);
	}
	for (size_t k = 1; k < in_len; k++) {
		run(&cut, 0, k);
		if (strcmp(whole.log, cut.log))
			fail_msg("read split at %zu:\n%s\nvs\n%s", k, cut.log, whole.log);
	}
}

/* A lost read call inside the SSE stream: that reply ends incomplete, the next decodes. */
static void test_lost_call_resyncs(void **state)
{
	static struct sink s;
	struct flow_table *t;
	const char *second = strstr(in_stream, "HTTP/1.1 200 OK\r\nContent-Type: text/event");
	size_t start2 = second - in_stream, hole = start2 + 600, third;

	(void)state;
	third = strstr(in_stream, "HTTP/1.1 404") - in_stream;
	memset(&s, 0, sizeof(s));
	assert_int_equal(flow_table_new(NULL, collect, &s, &t), 0);
	feed(t, EVENT_TLS_WRITE, 1, 0, out_stream, out_len, out_len, 1);
	feed(t, EVENT_TLS_READ, 1, 0, in_stream, hole, hole, 2);
	/* 40 bytes of the stream never reach us (a dropped record). */
	feed(t, EVENT_TLS_READ, 1, hole + 40, in_stream + hole + 40, in_len - hole - 40,
	     in_len - hole - 40, 3);
	flow_table_free(t);
	assert_non_null(strstr(s.log, "call=call_1:run_shell"));
	assert_non_null(strstr(s.log, "complete=0 status=200 model=claude-sonnet-4-5"));
	/* The 404 after the damaged body is found again: its head is read after the gap. */
	(void)third;
	assert_non_null(strstr(s.log, "status=404"));
	struct flow_stats st;
	(void)st;
}

/* A capture cut at the cap: the request is reported incomplete, not mis-decoded. */
static void test_truncated_request(void **state)
{
	static struct sink s;
	struct flow_table *t;
	size_t first_len = strstr(out_stream, "POST /v1/messages") - out_stream;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(flow_table_new(NULL, collect, &s, &t), 0);
	/* 200 bytes captured (the head and some body) of a call that wrote the whole request. */
	feed(t, EVENT_TLS_WRITE, 1, 0, out_stream, 200, first_len, 1);
	feed(t, EVENT_TLS_WRITE, 1, first_len, out_stream + first_len, out_len - first_len,
	     out_len - first_len, 2);
	flow_table_free(t);
	assert_non_null(strstr(s.log, "decode.error pid=100 llm"));
	assert_non_null(strstr(s.log, "http.request pid=100 POST /v1/chat/completions "
				      "host=api.openai.com complete=0"));
	assert_non_null(strstr(s.log, "llm.request pid=100 anthropic"));
}

/* The server's side of a connection (it reads requests) is left alone. */
static void test_server_side_ignored(void **state)
{
	static struct sink s;
	struct flow_table *t;
	struct flow_stats st;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(flow_table_new(NULL, collect, &s, &t), 0);
	feed(t, EVENT_TLS_READ, 9, 0, out_stream, out_len, out_len, 1);
	feed(t, EVENT_TLS_WRITE, 9, 0, in_stream, in_len, in_len, 2);
	flow_get_stats(t, &st);
	assert_int_equal(st.conns_server, 1);
	flow_table_free(t);
	assert_int_equal(s.n, 0);
}

/* Not HTTP at all: counted, nothing emitted. */
static void test_other_protocol(void **state)
{
	static struct sink s;
	struct flow_table *t;
	struct flow_stats st;
	static const char junk[] = "\x16\x03\x01 this is no HTTP";

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(flow_table_new(NULL, collect, &s, &t), 0);
	feed(t, EVENT_TLS_WRITE, 3, 0, junk, sizeof(junk) - 1, sizeof(junk) - 1, 1);
	flow_get_stats(t, &st);
	assert_int_equal(st.conns_other, 1);
	flow_table_free(t);
	assert_int_equal(s.n, 0);
}

/* The process exits with a stream in flight: the reply is emitted, incomplete. */
static void test_exit_ends_stream(void **state)
{
	static struct sink s;
	struct flow_table *t;
	size_t start2 = strstr(in_stream, "HTTP/1.1 200 OK\r\nContent-Type: text/event") - in_stream;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(flow_table_new(NULL, collect, &s, &t), 0);
	feed(t, EVENT_TLS_WRITE, 1, 0, out_stream, out_len, out_len, 1);
	feed(t, EVENT_TLS_READ, 1, 0, in_stream, start2 + 500, start2 + 500, 2);
	assert_int_equal(s.n, 4); /* three requests, the first response */
	flow_process_exit(t, 100, 0);
	assert_int_equal(s.n, 5);
	assert_non_null(strstr(s.log, "complete=0 status=200 model=claude-sonnet-4-5"));
	flow_process_exit(t, 100, 0); /* nothing left */
	assert_int_equal(s.n, 5);
	flow_table_free(t);
}

/* Connections beyond max_conns end the least recently used one. */
static void test_conn_limit(void **state)
{
	static struct sink s;
	struct flow_limits lim = flow_limits_default();
	struct flow_table *t;
	struct flow_stats st;

	(void)state;
	memset(&s, 0, sizeof(s));
	lim.max_conns = 4;
	assert_int_equal(flow_table_new(&lim, collect, &s, &t), 0);
	for (uint64_t c = 1; c <= 10; c++)
		feed(t, EVENT_TLS_WRITE, c, 0, out_stream, 50, 50, c);
	flow_get_stats(t, &st);
	assert_int_equal(st.conns, 10);
	assert_int_equal(st.conns_evicted, 6);
	flow_expire(t, 1000ull * 1000000000);
	flow_get_stats(t, &st);
	assert_int_equal(st.conns_expired, 4);
	flow_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exchange_events),
		cmocka_unit_test(test_split_anywhere),
		cmocka_unit_test(test_lost_call_resyncs),
		cmocka_unit_test(test_truncated_request),
		cmocka_unit_test(test_server_side_ignored),
		cmocka_unit_test(test_other_protocol),
		cmocka_unit_test(test_exit_ends_stream),
		cmocka_unit_test(test_conn_limit),
	};

	return cmocka_run_group_tests_name("flow", tests, build_exchange, free_exchange);
}

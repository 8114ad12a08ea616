// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for src/decode/sse.c: recorded LLM event streams, the WHATWG
 * parsing rules, any split of the input, and the bounds.
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

#include "warden/bufutil.h"
#include "warden/decode/sse.h"

#define MAX_EVENTS 64

struct got {
	char event[64];
	char id[64];
	char *data;
	size_t data_len;
	uint64_t data_total;
	bool truncated;
	int64_t retry;
	uint64_t seq;
};

struct rec {
	struct got ev[MAX_EVENTS];
	size_t n;
	char *log;
	size_t log_len;
};

static void log_add(struct rec *r, const char *s, size_t n)
{
	r->log = realloc(r->log, r->log_len + n + 1);
	assert_non_null(r->log);
	memcpy(r->log + r->log_len, s, n);
	r->log_len += n;
	r->log[r->log_len] = 0;
}

static void on_event(const struct sse_event *ev, void *arg)
{
	struct rec *r = arg;
	struct got *g;
	char head[512];
	int n;

	/* Strings are terminated where their lengths say. */
	assert_int_equal(ev->event[ev->event_len], 0);
	assert_int_equal(ev->data[ev->data_len], 0);
	assert_int_equal(ev->id[ev->id_len], 0);
	assert_true(ev->data_len <= ev->data_total);
	assert_int_equal(ev->data_truncated, ev->data_len < ev->data_total);
	n = snprintf(head, sizeof(head),
		     "%lu [%s] id=[%s] retry=%ld total=%lu trunc=%d: ", (unsigned long)ev->seq,
		     ev->event, ev->id, (long)ev->retry, (unsigned long)ev->data_total,
		     ev->data_truncated);
	log_add(r, head, n);
	log_add(r, ev->data, ev->data_len);
	log_add(r, "\n", 1);
	assert_true(r->n < MAX_EVENTS);
	g = &r->ev[r->n++];
	snprintf(g->event, sizeof(g->event), "%s", ev->event);
	snprintf(g->id, sizeof(g->id), "%s", ev->id);
	g->data = malloc(ev->data_len + 1);
	assert_non_null(g->data);
	memcpy(g->data, ev->data, ev->data_len + 1);
	g->data_len = ev->data_len;
	g->data_total = ev->data_total;
	g->truncated = ev->data_truncated;
	g->retry = ev->retry;
	g->seq = ev->seq;
}

static void rec_free(struct rec *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->ev[i].data);
	free(r->log);
	memset(r, 0, sizeof(*r));
}

static struct sse_parser *open_parser(struct rec *r, const struct sse_limits *lim)
{
	struct sse_parser *p = NULL;

	memset(r, 0, sizeof(*r));
	assert_int_equal(sse_parser_new(lim, on_event, r, &p), 0);
	return p;
}

static void feed(struct sse_parser *p, const void *d, size_t n)
{
	assert_int_equal(sse_feed(p, d, n), 0);
}

static void feed_str(struct sse_parser *p, const char *s)
{
	feed(p, s, strlen(s));
}

/* The whole stream, once: events and stats. */
static struct rec parse_all(const char *in, size_t len, const struct sse_limits *lim,
			    struct sse_stats *st)
{
	struct rec r;
	struct sse_parser *p = open_parser(&r, lim);

	feed(p, in, len);
	sse_end(p);
	sse_get_stats(p, st);
	sse_parser_free(p);
	return r;
}

/* ---- recorded streams ------------------------------------------------------ */

static const char openai_stream[] =
	"data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1732520000,"
	"\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
	"\"content\":\"\"},\"finish_reason\":null}]}\n\n"
	"data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1732520000,"
	"\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},"
	"\"finish_reason\":null}]}\n\n"
	"data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1732520000,"
	"\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":"
	"\"stop\"}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":1,\"total_tokens\":10}}"
	"\n\n"
	"data: [DONE]\n\n";

/* Anthropic's Messages API, as sent: named events, CRLF line ends. */
static const char anthropic_stream[] =
	"event: message_start\r\n"
	"data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\","
	"\"role\":\"assistant\",\"model\":\"claude-3-5-sonnet-20241022\",\"content\":[],"
	"\"stop_reason\":null,\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\r\n"
	"\r\n"
	"event: content_block_start\r\n"
	"data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
	"\"text\":\"\"}}\r\n"
	"\r\n"
	"event: ping\r\n"
	"data: {\"type\": \"ping\"}\r\n"
	"\r\n"
	"event: content_block_delta\r\n"
	"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
	"\"text\":\"Hello\"}}\r\n"
	"\r\n"
	"event: content_block_stop\r\n"
	"data: {\"type\":\"content_block_stop\",\"index\":0}\r\n"
	"\r\n"
	"event: message_delta\r\n"
	"data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
	"\"usage\":{\"output_tokens\":15}}\r\n"
	"\r\n"
	"event: message_stop\r\n"
	"data: {\"type\":\"message_stop\"}\r\n"
	"\r\n";

/* Everything the spec has, in one stream. */
static const char spec_stream[] = "\xef\xbb\xbf: a comment\n"
				  "retry: 2500\r"
				  "id: 7\r\n"
				  "data:first\n"
				  "data:  two spaces\r"
				  "data\n"
				  "\n"
				  "event: update\n"
				  "unknown: field\n"
				  "data: x\n"
				  "\r\n"
				  "id\n"
				  "retry: 12x\n"
				  "data: after an empty id\n"
				  "\n"
				  "event: dropped\n"
				  "\n"
				  "data: last, unfinished";

static void openai_events(void **state)
{
	struct sse_stats st;
	struct rec r = parse_all(openai_stream, sizeof(openai_stream) - 1, NULL, &st);

	(void)state;
	assert_int_equal(r.n, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(r.ev[i].event, "message");
		assert_string_equal(r.ev[i].id, "");
		assert_int_equal(r.ev[i].retry, -1);
		assert_int_equal(r.ev[i].seq, i);
		assert_false(r.ev[i].truncated);
	}
	assert_non_null(strstr(r.ev[1].data, "\"content\":\"Hi\""));
	assert_int_equal(r.ev[0].data[0], '{');
	assert_int_equal(r.ev[0].data[r.ev[0].data_len - 1], '}');
	assert_string_equal(r.ev[3].data, "[DONE]");
	assert_int_equal(st.events, 4);
	assert_int_equal(st.events_incomplete, 0);
	assert_int_equal(st.bytes, sizeof(openai_stream) - 1);
	rec_free(&r);
}

static void anthropic_events(void **state)
{
	static const char *const types[] = {
		"message_start",      "content_block_start", "ping",	     "content_block_delta",
		"content_block_stop", "message_delta",	     "message_stop",
	};
	struct sse_stats st;
	struct rec r = parse_all(anthropic_stream, sizeof(anthropic_stream) - 1, NULL, &st);

	(void)state;
	assert_int_equal(r.n, 7);
	for (size_t i = 0; i < 7; i++)
		assert_string_equal(r.ev[i].event, types[i]);
	assert_string_equal(r.ev[2].data, "{\"type\": \"ping\"}");
	assert_string_equal(r.ev[3].data, "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
					  "{\"type\":\"text_delta\",\"text\":\"Hello\"}}");
	assert_null(strchr(r.ev[0].data, '\r'));
	rec_free(&r);
}

static void spec_rules(void **state)
{
	struct sse_stats st;
	struct rec r = parse_all(spec_stream, sizeof(spec_stream) - 1, NULL, &st);

	(void)state;
	assert_int_equal(r.n, 3);
	/* One space is dropped, a second stays; "data" alone is an empty line of data. */
	assert_string_equal(r.ev[0].data, "first\n two spaces\n");
	assert_string_equal(r.ev[0].event, "message");
	assert_string_equal(r.ev[0].id, "7");
	assert_int_equal(r.ev[0].retry, 2500);
	assert_string_equal(r.ev[1].event, "update");
	assert_string_equal(r.ev[1].data, "x");
	/* The id carries over. */
	assert_string_equal(r.ev[1].id, "7");
	/* "id" with no value empties it; "retry: 12x" is ignored. */
	assert_string_equal(r.ev[2].id, "");
	assert_int_equal(r.ev[2].retry, 2500);
	assert_string_equal(r.ev[2].event, "message");
	assert_string_equal(r.ev[2].data, "after an empty id");
	assert_int_equal(st.comments, 1);
	assert_int_equal(st.unknown_fields, 1);
	/* "event: dropped" had no data: no event, and its type does not carry on. */
	assert_int_equal(st.events, 3);
	assert_int_equal(st.events_incomplete, 1);
	rec_free(&r);
}

static void empty_and_odd_lines(void **state)
{
	static const char in[] = "data:\n\n" /* one empty data line: an empty event */
				 "data\ndata\n\n" /* two: "\n" */
				 "\n\n\n" /* blank lines alone do nothing */
				 ":\n" /* an empty comment */
				 "da:ta\n" /* unknown field "da" */
				 "Data: case\n\n" /* names are case-sensitive */
				 "data:a:b: c\n\n" /* only the first colon splits */
				 "id: a\0b\ndata: nul id ignored\n\n"
				 "event:\ndata: empty type is message\n\n"
				 "data: \xff\xfe bytes pass\n\n";
	struct sse_stats st;
	struct rec r = parse_all(in, sizeof(in) - 1, NULL, &st);

	(void)state;
	assert_int_equal(r.n, 6);
	assert_int_equal(r.ev[0].data_len, 0);
	assert_string_equal(r.ev[1].data, "\n");
	assert_string_equal(r.ev[2].data, "a:b: c");
	assert_string_equal(r.ev[3].data, "nul id ignored");
	assert_string_equal(r.ev[3].id, "");
	assert_string_equal(r.ev[4].event, "message");
	assert_string_equal(r.ev[5].data, "\xff\xfe bytes pass");
	assert_int_equal(st.unknown_fields, 2);
	assert_int_equal(st.comments, 1);
	assert_int_equal(st.events_incomplete, 0);
	rec_free(&r);
}

static void bom_handling(void **state)
{
	struct rec r;
	struct sse_parser *p = open_parser(&r, NULL);

	(void)state;
	/* A BOM in pieces. */
	feed(p, "\xef", 1);
	feed(p, "\xbb", 1);
	feed(p, "\277data: a\n\n", 10);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.ev[0].data, "a");
	/* Only at the start: later it is part of a name, an unknown field. */
	feed_str(p, "\357\273\277data: b\n\ndata: c\n\n");
	assert_int_equal(r.n, 2);
	assert_string_equal(r.ev[1].data, "c");
	sse_end(p);
	/* A partial BOM that fails is text: here the start of an unknown field name. */
	feed(p, "\xef", 1);
	feed_str(p, "x\ndata: d\n\n");
	assert_int_equal(r.n, 3);
	assert_string_equal(r.ev[2].data, "d");
	sse_end(p);
	feed_str(p, "data: e\n\n");
	assert_int_equal(r.n, 4);
	assert_string_equal(r.ev[3].data, "e");
	sse_parser_free(p);
	rec_free(&r);
}

/* ---- split anywhere ------------------------------------------------------- */

static char *run(const char *in, size_t len, const size_t *cuts, size_t ncuts,
		 const struct sse_limits *lim)
{
	struct rec r;
	struct sse_parser *p = open_parser(&r, lim);
	struct sse_stats st;
	size_t pos = 0;
	char line[256];
	char *out;
	int n;

	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;

		feed(p, in + pos, end - pos);
		pos = end;
	}
	sse_end(p);
	sse_get_stats(p, &st);
	n = snprintf(line, sizeof(line),
		     "stats bytes=%lu events=%lu incomplete=%lu trunc=%lu ftrunc=%lu comments=%lu "
		     "unknown=%lu\n",
		     (unsigned long)st.bytes, (unsigned long)st.events,
		     (unsigned long)st.events_incomplete, (unsigned long)st.data_truncated,
		     (unsigned long)st.fields_truncated, (unsigned long)st.comments,
		     (unsigned long)st.unknown_fields);
	log_add(&r, line, n);
	sse_parser_free(p);
	out = r.log;
	r.log = NULL;
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

static void check_splits(const char *in, size_t len, const struct sse_limits *lim)
{
	char *whole = run(in, len, NULL, 0, lim);
	size_t *cuts = calloc(len + 1, sizeof(*cuts));
	uint32_t seed = 42 + len;

	assert_non_null(cuts);
	for (size_t c = 0; c <= len; c++) {
		char *x = run(in, len, &c, 1, lim);

		assert_string_equal(x, whole);
		free(x);
	}
	for (int k = 0; k < 64; k++) {
		size_t n = 2 + rnd(&seed) % 8;
		char *x;

		for (size_t i = 0; i < n; i++)
			cuts[i] = rnd(&seed) % (len + 1);
		qsort(cuts, n, sizeof(*cuts), cmp_size);
		x = run(in, len, cuts, n, lim);
		assert_string_equal(x, whole);
		free(x);
	}
	for (size_t i = 0; i + 1 < len; i++)
		cuts[i] = i + 1;
	{
		char *x = run(in, len, cuts, len ? len - 1 : 0, lim);

		assert_string_equal(x, whole);
		free(x);
	}
	free(cuts);
	free(whole);
}

static void split_anywhere(void **state)
{
	struct sse_limits lim = { .max_data = 5, .max_field = 3 };

	(void)state;
	check_splits(openai_stream, sizeof(openai_stream) - 1, NULL);
	check_splits(anthropic_stream, sizeof(anthropic_stream) - 1, NULL);
	check_splits(spec_stream, sizeof(spec_stream) - 1, NULL);
	/* Cuts at the bounds are where the bytes say. */
	check_splits(spec_stream, sizeof(spec_stream) - 1, &lim);
	check_splits(anthropic_stream, sizeof(anthropic_stream) - 1, &lim);
}

/* A CR at the end of one piece and an LF at the start of the next are one line end. */
static void crlf_across_pieces(void **state)
{
	struct rec r;
	struct sse_parser *p = open_parser(&r, NULL);

	(void)state;
	feed_str(p, "data: a\r");
	feed_str(p, "\ndata: b\r");
	feed_str(p, "\n\r");
	assert_int_equal(r.n, 1);
	assert_string_equal(r.ev[0].data, "a\nb");
	/* The LF after that CR is swallowed: no second dispatch, no extra line. */
	feed_str(p, "\ndata: c\r\r");
	assert_int_equal(r.n, 2);
	assert_string_equal(r.ev[1].data, "c");
	sse_parser_free(p);
	rec_free(&r);
}

/* ---- bounds ---------------------------------------------------------------- */

static void data_cap(void **state)
{
	struct sse_limits lim = sse_limits_default();
	struct sse_stats st;
	struct rec r;
	struct sse_parser *p;

	(void)state;
	lim.max_data = 8;
	p = open_parser(&r, &lim);
	feed_str(p, "data: 0123\ndata: 456789\n\ndata: ok\n\ndata: 1234567\n\ndata: 12345678\n\n");
	assert_int_equal(r.n, 4);
	assert_true(r.ev[0].truncated);
	assert_int_equal(r.ev[0].data_len, 8);
	assert_int_equal(r.ev[0].data_total, 11);
	assert_string_equal(r.ev[0].data, "0123\n456");
	assert_false(r.ev[1].truncated);
	assert_string_equal(r.ev[1].data, "ok");
	/* 7 bytes and the line's "\n" fit; the "\n" goes at dispatch. */
	assert_false(r.ev[2].truncated);
	assert_string_equal(r.ev[2].data, "1234567");
	/* Exactly the cap: whole, although its "\n" did not fit. */
	assert_false(r.ev[3].truncated);
	assert_string_equal(r.ev[3].data, "12345678");
	sse_get_stats(p, &st);
	assert_int_equal(st.data_truncated, 1);
	sse_parser_free(p);
	rec_free(&r);
}

static void long_line_streams_through(void **state)
{
	size_t n = 5u << 20;
	char *big = malloc(n);
	struct sse_stats st;
	struct rec r;
	struct sse_parser *p = open_parser(&r, NULL);

	(void)state;
	assert_non_null(big);
	memset(big, 'x', n);
	feed_str(p, "event: huge\ndata: ");
	for (size_t i = 0; i < n; i += 65536)
		feed(p, big + i, 65536);
	feed_str(p, "\n\ndata: next\n\n");
	assert_int_equal(r.n, 2);
	assert_string_equal(r.ev[0].event, "huge");
	assert_true(r.ev[0].truncated);
	assert_int_equal(r.ev[0].data_len, sse_limits_default().max_data);
	assert_int_equal(r.ev[0].data_total, n);
	assert_string_equal(r.ev[1].data, "next");
	assert_string_equal(r.ev[1].event, "message");
	sse_get_stats(p, &st);
	assert_int_equal(st.data_truncated, 1);
	sse_parser_free(p);
	rec_free(&r);
	free(big);
}

static void field_cap(void **state)
{
	struct sse_limits lim = sse_limits_default();
	struct sse_stats st;
	struct rec r;
	struct sse_parser *p;

	(void)state;
	lim.max_field = 4;
	p = open_parser(&r, &lim);
	feed_str(p, "event: abcdefgh\nid: 123456\ndata: x\n\nid: 12\ndata: y\n\n");
	assert_int_equal(r.n, 2);
	assert_string_equal(r.ev[0].event, "abcd");
	assert_string_equal(r.ev[0].id, "1234");
	assert_string_equal(r.ev[1].id, "12");
	sse_get_stats(p, &st);
	assert_int_equal(st.fields_truncated, 2);
	sse_parser_free(p);
	rec_free(&r);
}

static void end_discards_unfinished(void **state)
{
	struct sse_stats st;
	struct rec r;
	struct sse_parser *p = open_parser(&r, NULL);

	(void)state;
	feed_str(p, "id: 5\nretry: 10\ndata: complete\n\ndata: partial\n");
	sse_end(p);
	assert_int_equal(r.n, 1);
	/* As new: id and retry do not survive the end of the stream. */
	feed_str(p, "data: again\n\n");
	assert_int_equal(r.n, 2);
	assert_string_equal(r.ev[1].id, "");
	assert_int_equal(r.ev[1].retry, -1);
	assert_int_equal(r.ev[1].seq, 0);
	feed_str(p, "data: cut in the mid");
	sse_end(p);
	/* A comment or a bare event type is no event. */
	feed_str(p, ": only a comm");
	sse_end(p);
	feed_str(p, "event: x\n");
	sse_end(p);
	sse_get_stats(p, &st);
	assert_int_equal(st.events, 2);
	assert_int_equal(st.events_incomplete, 2);
	sse_parser_free(p);
	rec_free(&r);
}

static void retry_values(void **state)
{
	static const char in[] = "retry: 99999999999999999999999999\ndata: a\n\n"
				 "retry:\ndata: b\n\n"
				 "retry: 0\ndata: c\n\n"
				 "retry: -1\ndata: d\n\n";
	struct sse_stats st;
	struct rec r = parse_all(in, sizeof(in) - 1, NULL, &st);

	(void)state;
	assert_int_equal(r.n, 4);
	assert_int_equal(r.ev[0].retry, INT64_MAX);
	assert_int_equal(r.ev[1].retry, INT64_MAX);
	assert_int_equal(r.ev[2].retry, 0);
	assert_int_equal(r.ev[3].retry, 0);
	rec_free(&r);
}

static void constructor_and_nulls(void **state)
{
	struct sse_parser *p = NULL;
	struct sse_stats st;

	(void)state;
	assert_int_equal(sse_parser_new(NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(sse_parser_new(NULL, NULL, NULL, &p), 0);
	assert_int_equal(sse_feed(p, (const uint8_t *)"data: x\n\n", 9), 0);
	assert_int_equal(sse_feed(p, NULL, 0), 0);
	assert_int_equal(sse_feed(p, NULL, 3), -EINVAL);
	sse_get_stats(p, &st);
	assert_int_equal(st.events, 1);
	sse_parser_free(p);
	sse_parser_free(NULL);
	sse_end(NULL);
}

/* The line search finds the first CR or LF wherever it falls: in a block of 16, a word, the tail. */
static void eol_anywhere(void **state)
{
	char buf[70];

	(void)state;
	for (size_t n = 0; n <= sizeof(buf); n++) {
		memset(buf, 'x', sizeof(buf));
		assert_int_equal(bufutil_find_eol(buf, n), n);
		for (size_t at = 0; at < n; at++) {
			for (int k = 0; k < 2; k++) {
				memset(buf, 'x', sizeof(buf));
				buf[at] = k ? '\r' : '\n';
				if (at + 1 < n)
					buf[at + 1] = '\n';
				assert_int_equal(bufutil_find_eol(buf, n), at);
			}
		}
	}
	/* Bytes next to them are not them: 0x0b, 0x0c, 0x8a, 0x8d. */
	memcpy(buf,
	       "\x0b\x0c\x8a\x8d\x0b\x0c\x8a\x8d\x0b\x0c\x8a\x8d\x0b\x0c\x8a\x8d"
	       "ab\n",
	       19);
	assert_int_equal(bufutil_find_eol(buf, 19), 18);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(eol_anywhere),
		cmocka_unit_test(openai_events),
		cmocka_unit_test(anthropic_events),
		cmocka_unit_test(spec_rules),
		cmocka_unit_test(empty_and_odd_lines),
		cmocka_unit_test(bom_handling),
		cmocka_unit_test(split_anywhere),
		cmocka_unit_test(crlf_across_pieces),
		cmocka_unit_test(data_cap),
		cmocka_unit_test(long_line_streams_through),
		cmocka_unit_test(field_cap),
		cmocka_unit_test(end_discards_unfinished),
		cmocka_unit_test(retry_values),
		cmocka_unit_test(constructor_and_nulls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

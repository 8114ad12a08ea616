// SPDX-License-Identifier: Apache-2.0
/*
 * The LLM extractors over hostile bytes: classification, request parsing and
 * response building for every API.
 *
 * Input: [mode] [seed] [target '\n'] [body...]. mode: the low three bits pick
 * the API; bit 3: tiny limits; bit 4: the body is an SSE stream (split by the
 * real splitter, events fed one by one); bit 5: the stream ended properly.
 * The body is also fed whole and cut where the seed says: both must build the
 * same response. Every record must keep to its limits, and the body must
 * parse with the big-string reader exactly when it parses with jansson.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/bufutil.h"
#include "warden/decode/llm.h"
#include "warden/decode/sse.h"
/* The big-string reader must accept exactly what jansson accepts. */
#include "../../src/decode/llm_internal.h"

static const enum llm_api apis[8] = {
	LLM_API_OPENAI_CHAT,	    LLM_API_OPENAI_RESPONSES,
	LLM_API_ANTHROPIC_MESSAGES, LLM_API_GEMINI_GENERATE,
	LLM_API_GEMINI_STREAM,	    LLM_API_OLLAMA_CHAT,
	LLM_API_OLLAMA_GENERATE,    LLM_API_MCP,
};

static void check_text(const struct llm_text *t, size_t max)
{
	if (!t->ptr) {
		if (t->len)
			__builtin_trap();
		return;
	}
	if (t->len > max || t->len > t->total || t->truncated != (t->len < t->total) ||
	    t->ptr[t->len])
		__builtin_trap();
}

static void check_str(const char *s)
{
	if (!s || strlen(s) > 4096)
		__builtin_trap();
}

static void check_request(const struct llm_request *r, const struct llm_limits *lim)
{
	check_str(r->model);
	check_text(&r->system, lim->max_text);
	if (r->n_messages > lim->max_messages || r->n_messages > r->messages_total ||
	    r->n_tools > lim->max_tools || r->n_tools > r->tools_total ||
	    r->n_tool_results > lim->max_tool_calls || r->n_tool_calls > lim->max_tool_calls)
		__builtin_trap();
	for (size_t i = 0; i < r->n_messages; i++) {
		check_str(r->messages[i].role);
		check_text(&r->messages[i].text, lim->max_text);
	}
	for (size_t i = 0; i < r->n_tools; i++)
		check_str(r->tools[i]);
	for (size_t i = 0; i < r->n_tool_results; i++) {
		check_str(r->tool_results[i].tool_call_id);
		check_str(r->tool_results[i].name);
		check_text(&r->tool_results[i].content, lim->max_text);
	}
	for (size_t i = 0; i < r->n_tool_calls; i++) {
		check_str(r->tool_calls[i].id);
		check_str(r->tool_calls[i].name);
		check_text(&r->tool_calls[i].args, lim->max_args);
	}
	if (r->api == LLM_API_MCP) {
		check_str(r->mcp_method);
		check_str(r->mcp_id);
		check_text(&r->mcp_args, lim->max_args);
	}
}

/* Checked, and written out for comparison. */
static char *summary(const struct llm_response *r, const struct llm_limits *lim)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	if (!f)
		abort();
	check_str(r->model);
	check_str(r->stop_reason);
	check_text(&r->text, lim->max_text);
	check_text(&r->mcp_result, lim->max_text);
	if (r->n_tool_calls > lim->max_tool_calls || r->n_tool_calls > r->tool_calls_total ||
	    r->n_mcp_tools > lim->max_tools || r->n_mcp_tools > r->mcp_tools_total)
		__builtin_trap();
	fprintf(f, "%s|%d|%d|%s|%s|%ld|%ld|%ld|%ld|%zu|%zu|%d\n", r->model, r->stream, r->complete,
		r->stop_reason, r->error ? r->error : "-", (long)r->usage.input_tokens,
		(long)r->usage.output_tokens, (long)r->usage.cache_read_tokens,
		(long)r->usage.total_tokens, r->n_tool_calls, r->tool_calls_total,
		r->body_truncated);
	if (r->text.ptr)
		fwrite(r->text.ptr, 1, r->text.len, f);
	for (size_t i = 0; i < r->n_tool_calls; i++) {
		check_str(r->tool_calls[i].id);
		check_str(r->tool_calls[i].name);
		check_text(&r->tool_calls[i].args, lim->max_args);
		fprintf(f, "|%s|%s|%d|", r->tool_calls[i].id, r->tool_calls[i].name,
			r->tool_calls[i].args_json);
		fwrite(r->tool_calls[i].args.ptr, 1, r->tool_calls[i].args.len, f);
	}
	if (r->mcp_result.ptr)
		fwrite(r->mcp_result.ptr, 1, r->mcp_result.len, f);
	for (size_t i = 0; i < r->n_mcp_tools; i++)
		fprintf(f, "|%s", r->mcp_tools[i]);
	fclose(f);
	return s;
}

static uint32_t rnd(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

static void on_event(const struct sse_event *ev, void *arg)
{
	if (llm_response_feed_sse(arg, ev->event, ev->event_len, ev->data, ev->data_len))
		__builtin_trap();
}

static char *build(enum llm_api api, const struct llm_limits *lim, bool sse, bool complete,
		   const uint8_t *d, size_t len, uint32_t seed, bool slow)
{
	struct llm_response_builder *b;
	struct llm_response *r = NULL;
	struct sse_parser *p = NULL;
	size_t pos = 0;
	char *s;
	int err;

	if (llm_response_builder_new(api, lim, &b))
		abort();
	b->slow_only = slow;
	if (sse && sse_parser_new(NULL, on_event, b, &p))
		abort();
	while (pos < len) {
		size_t n = len - pos;

		if (seed)
			n = 1 + rnd(&seed) % (n < 64 ? n : 64);
		if (sse ? sse_feed(p, d + pos, n) : llm_response_feed_body(b, d + pos, n))
			__builtin_trap();
		pos += n;
	}
	if (p) {
		sse_end(p);
		sse_parser_free(p);
	}
	err = llm_response_finish(b, 200, complete, &r);
	if ((err && err != -74 /* EBADMSG */) || !r || (err && !r->error))
		__builtin_trap();
	if (r->body_bytes > len)
		__builtin_trap();
	s = summary(r, lim);
	llm_response_free(r);
	llm_response_builder_free(b);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct llm_limits lim = llm_limits_default();
	const uint8_t *target, *body, *nl;
	size_t target_len, body_len;
	struct llm_request *rq = NULL;
	enum llm_provider prov;
	enum llm_api api;
	bool sse, complete;
	uint32_t seed;
	char *whole, *split;

	if (size < 2)
		return 0;
	api = apis[data[0] & 7];
	if (data[0] & 8) {
		lim.max_text = 5;
		lim.max_messages = 2;
		lim.max_tools = 1;
		lim.max_tool_calls = 1;
		lim.max_args = 3;
		lim.max_body = 40;
	}
	sse = data[0] & 16;
	complete = data[0] & 32;
	seed = data[1] | 0x100;
	data += 2;
	size -= 2;
	nl = memchr(data, '\n', size < 256 ? size : 256);
	target = data;
	target_len = nl ? (size_t)(nl - data) : 0;
	body = nl ? nl + 1 : data;
	body_len = size - (body - data);

	{
		struct jdoc d;
		json_t *j = json_loadb((const char *)body, body_len, JSON_ALLOW_NUL, NULL);
		int err = jdoc_parse(&d, body, body_len);

		if ((err == 0) != (j != NULL) && err != -ENOMEM)
			__builtin_trap();
		/* Without big strings (placeholders), the tree is jansson's own. */
		if (!err && j && !d.n_big && !json_equal(d.root, j))
			__builtin_trap();
		json_decref(j);
		jdoc_free(&d);
	}
	{
		/* Without a tree, what the tree gives, or a refusal: compacted (cut where seed says), walked. */
		size_t max = seed % 512, la, lb, plain;
		struct gbuf fast = { 0 }, slow = { 0 };
		char sa[300], sb[300];
		struct jdoc d;

		if (!jcompact_plain((const char *)body, body_len, &fast, max)) {
			if (jdoc_parse(&d, body, body_len) ||
			    jdump(&d, &slow, d.root, max, false) || fast.len != slow.len ||
			    fast.total != slow.total ||
			    (fast.len && memcmp(fast.p, slow.p, fast.len)))
				__builtin_trap();
			jdoc_free(&d);
		}
		gbuf_free(&fast);
		gbuf_free(&slow);
		max = seed % sizeof(sa) + 1;
		if (!json_strings_plain((const char *)body, body_len, sa, max, &la) &&
		    (json_strings_tree((const char *)body, body_len, sb, max, &lb) || la != lb ||
		     memcmp(sa, sb, la)))
			__builtin_trap();
		/* The text scanner's first stop: the first byte a byte loop stops at. */
		for (int ascii = 0; ascii < 2; ascii++) {
			plain = bufutil_json_plain((const char *)body, body_len, ascii);
			for (size_t i = 0; i <= plain && i < body_len; i++) {
				uint8_t c = body[i];
				bool stop = c < 0x20 || c == '"' || c == '\\' ||
					    (ascii && c >= 0x80);

				if (stop != (i == plain))
					__builtin_trap();
			}
			if (plain > body_len)
				__builtin_trap();
		}
	}
	llm_classify("POST", 4, (const char *)target, target_len, "application/json", 16, body,
		     body_len, &prov);
	if (llm_request_parse(api, (const char *)target, target_len, body, body_len, &lim, &rq) ==
	    0) {
		check_request(rq, &lim);
		llm_request_free(rq);
	}
	whole = build(api, &lim, sse, complete, body, body_len, 0, false);
	split = build(api, &lim, sse, complete, body, body_len, seed, false);
	if (strcmp(whole, split))
		__builtin_trap();
	/* The fast path for hot events must build what the tree builds. */
	free(split);
	split = build(api, &lim, sse, complete, body, body_len, seed, true);
	if (strcmp(whole, split)) {
		fprintf(stderr, "whole: %s\ntree only, split: %s\n", whole, split);
		__builtin_trap();
	}
	free(whole);
	free(split);
	return 0;
}

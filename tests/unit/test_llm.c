// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for the LLM extractors (src/decode/llm*.c): requests and
 * responses of every provider as their SDKs send them, streams fed event by
 * event and split at every byte, cut-off streams, bad shapes, and the limits.
 *
 * JSON is written with ' for " to stay readable; \\' is an escaped quote.
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
#include "warden/decode/llm.h"
#include "warden/decode/sse.h"
/* The fast path for hot stream events must agree with the tree. */
#include "../../src/decode/llm_internal.h"

/* ---- helpers ---- */

#define MAX_J 64
static char *jpool[MAX_J];
static size_t n_jpool;

/* The JSON text with ' turned into ". */
static const char *J(const char *s)
{
	char *p = strdup(s);

	assert_non_null(p);
	for (char *q = p; *q; q++)
		if (*q == '\'')
			*q = '"';
	assert_true(n_jpool < MAX_J);
	jpool[n_jpool++] = p;
	return p;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < n_jpool; i++)
		free(jpool[i]);
	n_jpool = 0;
	return 0;
}

static struct llm_request *req(enum llm_api api, const char *target, const char *body)
{
	struct llm_request *r = NULL;

	assert_int_equal(llm_request_parse(api, target, target ? strlen(target) : 0,
					   (const uint8_t *)body, strlen(body), NULL, &r),
			 0);
	assert_non_null(r);
	assert_int_equal(r->api, api);
	return r;
}

static void assert_text(const struct llm_text *t, const char *want)
{
	assert_non_null(t->ptr);
	assert_string_equal(t->ptr, want);
	assert_int_equal(t->len, strlen(want));
	assert_int_equal(t->total, strlen(want));
	assert_false(t->truncated);
}

static void assert_msg(const struct llm_request *r, size_t i, const char *role, const char *text)
{
	assert_true(i < r->n_messages);
	assert_string_equal(r->messages[i].role, role);
	assert_text(&r->messages[i].text, text);
}

static void assert_call(const struct llm_tool_call *c, const char *id, const char *name,
			const char *args, bool json)
{
	assert_string_equal(c->id, id);
	assert_string_equal(c->name, name);
	assert_text(&c->args, args);
	assert_int_equal(c->args_json, json);
}

/* Everything a response says, as one string: equal strings, equal responses. */
static char *summary(const struct llm_response *r)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	assert_non_null(f);
	fprintf(f, "p=%d a=%d model=%s stream=%d complete=%d status=%d stop=%s err=%s\n",
		r->provider, r->api, r->model, r->stream, r->complete, r->http_status,
		r->stop_reason, r->error ? r->error : "(none)");
	fprintf(f, "text[%zu/%lu/%d]=", r->text.len, (unsigned long)r->text.total,
		r->text.truncated);
	if (r->text.ptr)
		fwrite(r->text.ptr, 1, r->text.len, f);
	fprintf(f, "\nusage=%ld/%ld/%ld/%ld calls=%zu/%zu\n", (long)r->usage.input_tokens,
		(long)r->usage.output_tokens, (long)r->usage.cache_read_tokens,
		(long)r->usage.total_tokens, r->n_tool_calls, r->tool_calls_total);
	for (size_t i = 0; i < r->n_tool_calls; i++)
		fprintf(f, "call %s %s json=%d %s\n", r->tool_calls[i].id, r->tool_calls[i].name,
			r->tool_calls[i].args_json, r->tool_calls[i].args.ptr);
	fprintf(f, "mcp id=%s err=%d res=%s tools=%zu/%zu\n", r->mcp_id ? r->mcp_id : "(null)",
		r->mcp_is_error, r->mcp_result.ptr ? r->mcp_result.ptr : "(null)", r->n_mcp_tools,
		r->mcp_tools_total);
	for (size_t i = 0; i < r->n_mcp_tools; i++)
		fprintf(f, "tool %s\n", r->mcp_tools[i]);
	fclose(f);
	return s;
}

struct sse_ctx {
	struct llm_response_builder *b;
	size_t events;
};

static void on_sse(const struct sse_event *ev, void *arg)
{
	struct sse_ctx *c = arg;

	c->events++;
	assert_int_equal(
		llm_response_feed_sse(c->b, ev->event, ev->event_len, ev->data, ev->data_len), 0);
}

static bool slow_only;

/* An SSE body split by the real splitter, fed in pieces of `piece` bytes (0: whole). */
static struct llm_response *resp_sse(enum llm_api api, const char *body, size_t len, size_t piece,
				     bool complete, int want)
{
	struct sse_ctx c = { 0 };
	struct sse_parser *p;
	struct llm_response *r = NULL;
	size_t pos = 0;

	assert_int_equal(llm_response_builder_new(api, NULL, &c.b), 0);
	c.b->slow_only = slow_only;
	assert_int_equal(sse_parser_new(NULL, on_sse, &c, &p), 0);
	while (pos < len) {
		size_t n = piece && len - pos > piece ? piece : len - pos;

		assert_int_equal(sse_feed(p, (const uint8_t *)body + pos, n), 0);
		pos += n;
	}
	sse_end(p);
	sse_parser_free(p);
	assert_int_equal(llm_response_finish(c.b, 200, complete, &r), want);
	assert_non_null(r);
	llm_response_builder_free(c.b);
	return r;
}

/* A body fed whole, or in two pieces cut at `cut`. */
static struct llm_response *resp_body(enum llm_api api, const char *body, size_t len, size_t cut,
				      bool complete, int want)
{
	struct llm_response_builder *b;
	struct llm_response *r = NULL;

	if (cut > len)
		cut = len;
	assert_int_equal(llm_response_builder_new(api, NULL, &b), 0);
	b->slow_only = slow_only;
	assert_int_equal(llm_response_feed_body(b, (const uint8_t *)body, cut), 0);
	assert_int_equal(llm_response_feed_body(b, (const uint8_t *)body + cut, len - cut), 0);
	assert_int_equal(llm_response_finish(b, 200, complete, &r), want);
	assert_non_null(r);
	llm_response_builder_free(b);
	return r;
}

/* The same response for the body whole, split at every byte, and a byte at a time. */
static struct llm_response *body_every_split(enum llm_api api, const char *body)
{
	size_t len = strlen(body);
	struct llm_response *whole = resp_body(api, body, len, len, true, 0), *r;
	struct llm_response_builder *b;
	char *want = summary(whole), *got;

	for (size_t cut = 0; cut <= len; cut++) {
		r = resp_body(api, body, len, cut, true, 0);
		got = summary(r);
		assert_string_equal(got, want);
		free(got);
		llm_response_free(r);
	}
	assert_int_equal(llm_response_builder_new(api, NULL, &b), 0);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(llm_response_feed_body(b, (const uint8_t *)body + i, 1), 0);
	assert_int_equal(llm_response_finish(b, 200, true, &r), 0);
	got = summary(r);
	assert_string_equal(got, want);
	free(got);
	llm_response_free(r);
	llm_response_builder_free(b);
	slow_only = true;
	r = resp_body(api, body, len, len / 2, true, 0);
	slow_only = false;
	got = summary(r);
	assert_string_equal(got, want);
	free(got);
	llm_response_free(r);
	free(want);
	return whole;
}

/* The same response for the SSE body whole and in pieces of every size up to 7, and byte-wise. */
static struct llm_response *sse_every_split(enum llm_api api, const char *body)
{
	size_t len = strlen(body);
	struct llm_response *whole = resp_sse(api, body, len, 0, true, 0), *r;
	char *want = summary(whole), *got;

	for (size_t piece = 1; piece <= 7; piece++) {
		r = resp_sse(api, body, len, piece, true, 0);
		got = summary(r);
		assert_string_equal(got, want);
		free(got);
		llm_response_free(r);
	}
	slow_only = true;
	r = resp_sse(api, body, len, 0, true, 0);
	slow_only = false;
	got = summary(r);
	assert_string_equal(got, want);
	free(got);
	llm_response_free(r);
	free(want);
	return whole;
}

static size_t cut_before(const char *body, const char *marker)
{
	const char *p = strstr(body, marker);

	assert_non_null(p);
	return p - body;
}

/* ---- OpenAI Chat Completions ---- */

static const char chat_req[] =
	"{'messages':[{'role':'system','content':'You are a helpful assistant.'},"
	"{'role':'user','content':[{'type':'text','text':'Weather in Paris?'},"
	"{'type':'image_url','image_url':{'url':'https://x.test/a.png','detail':'auto'}},"
	"{'type':'text','text':'And Rome.'}]},"
	"{'role':'assistant','content':null,'refusal':null,'tool_calls':[{'id':'call_abc123',"
	"'type':'function','function':{'name':'get_weather','arguments':"
	"'{\\'location\\': \\'Paris\\', \\'unit\\': \\'c\\'}'}}]},"
	"{'role':'tool','tool_call_id':'call_abc123','content':'{\\'temp\\': 21}'}],"
	"'model':'gpt-4o-2024-08-06','stream':true,'stream_options':{'include_usage':true},"
	"'temperature':0.2,'tools':[{'type':'function','function':{'name':'get_weather',"
	"'description':'Get the weather','parameters':{'type':'object','properties':"
	"{'location':{'type':'string'}},'required':['location']},'strict':true}},"
	"{'type':'function','function':{'name':'get_time','parameters':{}}}],"
	"'tool_choice':'auto','parallel_tool_calls':true,'user':'u-1'}";

static void test_openai_chat_request(void **state)
{
	struct llm_request *r = req(LLM_API_OPENAI_CHAT, "/v1/chat/completions", J(chat_req));

	(void)state;
	assert_int_equal(r->provider, LLM_PROVIDER_OPENAI);
	assert_string_equal(r->model, "gpt-4o-2024-08-06");
	assert_true(r->stream);
	assert_text(&r->system, "You are a helpful assistant.");
	assert_int_equal(r->n_messages, 4);
	assert_int_equal(r->messages_total, 4);
	assert_msg(r, 0, "system", "You are a helpful assistant.");
	assert_msg(r, 1, "user", "Weather in Paris?\nAnd Rome.");
	assert_string_equal(r->messages[2].role, "assistant");
	assert_int_equal(r->messages[2].text.len, 0);
	assert_msg(r, 3, "tool", "{\"temp\": 21}");
	assert_int_equal(r->n_tools, 2);
	assert_int_equal(r->tools_total, 2);
	assert_string_equal(r->tools[0], "get_weather");
	assert_string_equal(r->tools[1], "get_time");
	assert_int_equal(r->n_tool_results, 1);
	assert_string_equal(r->tool_results[0].tool_call_id, "call_abc123");
	assert_text(&r->tool_results[0].content, "{\"temp\": 21}");
	assert_false(r->tool_results[0].is_error);
	assert_int_equal(r->n_tool_calls, 1);
	assert_call(&r->tool_calls[0], "call_abc123", "get_weather",
		    "{\"location\":\"Paris\",\"unit\":\"c\"}", true);
	assert_null(r->mcp_method);
	llm_request_free(r);

	/* Azure: the deployment names the model when the body does not. */
	r = req(LLM_API_OPENAI_CHAT,
		"/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21",
		J("{'messages':[{'role':'user','content':'hi'}]}"));
	assert_int_equal(r->provider, LLM_PROVIDER_AZURE_OPENAI);
	assert_string_equal(r->model, "gpt4o-prod");
	assert_false(r->stream);
	assert_null(r->system.ptr);
	llm_request_free(r);
	r = req(LLM_API_OPENAI_CHAT, "/openai/deployments/d1/chat/completions?api-version=1",
		J("{'model':'gpt-4o','messages':[]}"));
	assert_string_equal(r->model, "gpt-4o");
	llm_request_free(r);
}

static const char chat_resp[] =
	"{\n  'id': 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',\n  'object': 'chat.completion',\n"
	"  'created': 1741570283,\n  'model': 'gpt-4o-2024-08-06',\n  'choices': [\n    {\n"
	"      'index': 0,\n      'message': {\n        'role': 'assistant',\n"
	"        'content': 'Checking {the} [weather].',\n        'tool_calls': [\n          {\n"
	"            'id': 'call_xyz',\n            'type': 'function',\n"
	"            'function': {\n              'name': 'get_weather',\n"
	"              'arguments': '{\\n  \\'location\\': \\'Paris\\'\\n}'\n            }\n"
	"          }\n        ],\n        'refusal': null,\n        'annotations': []\n      },\n"
	"      'logprobs': null,\n      'finish_reason': 'tool_calls'\n    }\n  ],\n"
	"  'usage': {\n    'prompt_tokens': 82,\n    'completion_tokens': 17,\n"
	"    'total_tokens': 99,\n    'prompt_tokens_details': {\n      'cached_tokens': 64,\n"
	"      'audio_tokens': 0\n    },\n    'completion_tokens_details': {\n"
	"      'reasoning_tokens': 0\n    }\n  },\n  'service_tier': 'default',\n"
	"  'system_fingerprint': 'fp_fc9f1d7035'\n}\n";

/*
 * A reply whose strings hold escapes next to everything the splitter
 * counts ('"', '\\', braces, brackets), an escaped backslash last before
 * a closing quote, and a long string with escapes far from its quote:
 * the string skip must stop at each escape, and not at an escaped quote.
 */
static void openai_chat_response_escapes(void **state)
{
	static const char head[] =
		"{\"id\":\"x\",\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":"
		"{\"role\":\"assistant\",\"content\":\"q\\\"{[\\\\\\\"}]\\\\",
			  tail[] = "\",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
				   "\"function\":{\"name\":\"f\",\"arguments\":"
				   "\"{\\\"p\\\":\\\"a\\\\\\\\\\\\\\\"b}\\\"}\"}}]},"
				   "\"finish_reason\":\"tool_calls\"}]}";
	char body[sizeof(head) + 600 + sizeof(tail)], want[16 + 300];
	struct llm_response *r;
	size_t n = 0, w = 0;

	(void)state;
	n += (size_t)sprintf(body + n, "%s", head);
	w += (size_t)sprintf(want + w, "q\"{[\\\"}]\\");
	/* 100 x "ab\n" then "\\" : escapes spread over a long string. */
	for (int i = 0; i < 100; i++) {
		n += (size_t)sprintf(body + n, "ab\\n");
		w += (size_t)sprintf(want + w, "ab\n");
	}
	n += (size_t)sprintf(body + n, "\\\\%s", tail);
	w += (size_t)sprintf(want + w, "\\");
	assert_true(n < sizeof(body) && w < sizeof(want));
	r = body_every_split(LLM_API_OPENAI_CHAT, body);
	assert_text(&r->text, want);
	assert_int_equal(r->n_tool_calls, 1);
	assert_call(&r->tool_calls[0], "c1", "f", "{\"p\":\"a\\\\\\\"b}\"}", true);
	assert_string_equal(r->stop_reason, "tool_calls");
	assert_true(r->complete);
	assert_false(r->body_truncated);
	llm_response_free(r);
}

static void openai_chat_response(void **state)
{
	struct llm_response *r = body_every_split(LLM_API_OPENAI_CHAT, J(chat_resp));

	(void)state;
	assert_int_equal(r->provider, LLM_PROVIDER_OPENAI);
	assert_string_equal(r->model, "gpt-4o-2024-08-06");
	assert_false(r->stream);
	assert_true(r->complete);
	assert_int_equal(r->http_status, 200);
	assert_text(&r->text, "Checking {the} [weather].");
	assert_int_equal(r->n_tool_calls, 1);
	assert_call(&r->tool_calls[0], "call_xyz", "get_weather", "{\"location\":\"Paris\"}", true);
	assert_string_equal(r->stop_reason, "tool_calls");
	assert_int_equal(r->usage.input_tokens, 82);
	assert_int_equal(r->usage.output_tokens, 17);
	assert_int_equal(r->usage.total_tokens, 99);
	assert_int_equal(r->usage.cache_read_tokens, 64);
	assert_null(r->error);
	assert_false(r->body_truncated);
	llm_response_free(r);
}

#define CHUNK(delta, fin)                                                                        \
	"data: {'id':'chatcmpl-1','object':'chat.completion.chunk','created':1732520000,"        \
	"'model':'gpt-4o-mini','system_fingerprint':'fp_1','choices':[{'index':0,'delta':" delta \
	",'logprobs':null,'finish_reason':" fin "}],'usage':null}\n\n"

static const char chat_stream[] = CHUNK("{'role':'assistant','content':'','refusal':null}", "null") CHUNK(
	"{'content':'Hel'}",
	"null") CHUNK("{'content':'lo \\u00e9'}",
		      "null") CHUNK("{'tool_calls':[{'index':0,'id':'call_1','type':'function','function':"
				    "{'name':'get_weather','arguments':''}}]}",
				    "null")
	CHUNK("{'tool_calls':[{'index':0,'function':{'arguments':'{\\'loc'}}]}", "null") CHUNK(
		"{'tool_calls':[{'index':0,'function':{'arguments':'ation\\': \\'Paris\\'}'}}]}",
		"null") CHUNK("{'tool_calls':[{'index':1,'id':'call_2','type':'function','function':"
			      "{'name':'get_time','arguments':'{\\'tz\\':'}}]}",
			      "null")
		CHUNK("{'tool_calls':[{'index':1,'function':{'arguments':' \\'CET\\'}'}}]}", "null") CHUNK(
			"{}",
			"'tool_calls'") "data: {'id':'chatcmpl-1','object':'chat.completion.chunk','created':1732520000,"
					"'model':'gpt-4o-mini','choices':[],'usage':{'prompt_tokens':10,'completion_tokens':5,"
					"'total_tokens':15,'prompt_tokens_details':{'cached_tokens':0}}}\n\n"
					"data: [DONE]\n\n";

static void openai_chat_stream(void **state)
{
	const char *body = J(chat_stream);
	struct llm_response *r = sse_every_split(LLM_API_OPENAI_CHAT, body);

	(void)state;
	assert_string_equal(r->model, "gpt-4o-mini");
	assert_true(r->stream);
	assert_true(r->complete);
	assert_text(&r->text, "Hello \xc3\xa9");
	assert_int_equal(r->n_tool_calls, 2);
	assert_int_equal(r->tool_calls_total, 2);
	assert_call(&r->tool_calls[0], "call_1", "get_weather", "{\"location\":\"Paris\"}", true);
	assert_call(&r->tool_calls[1], "call_2", "get_time", "{\"tz\":\"CET\"}", true);
	assert_string_equal(r->stop_reason, "tool_calls");
	assert_int_equal(r->usage.input_tokens, 10);
	assert_int_equal(r->usage.output_tokens, 5);
	assert_int_equal(r->usage.total_tokens, 15);
	llm_response_free(r);

	/* Cut in the middle of the arguments: what came, raw, and not complete. */
	r = resp_sse(LLM_API_OPENAI_CHAT, body,
		     cut_before(body, "data: {\"id\":\"chatcmpl-1\","
				      "\"object\":\"chat.completion.chunk\","
				      "\"created\":1732520000,\"model\":"
				      "\"gpt-4o-mini\",\"system_fingerprint"
				      "\":\"fp_1\",\"choices\":[{\"index\":0,"
				      "\"delta\":{\"tool_calls\":[{\"index\":0,"
				      "\"function\":{\"arguments\":\"ation"),
		     0, false, 0);
	assert_false(r->complete);
	assert_true(r->stream);
	assert_text(&r->text, "Hello \xc3\xa9");
	assert_int_equal(r->n_tool_calls, 1);
	assert_call(&r->tool_calls[0], "call_1", "get_weather", "{\"loc", false);
	assert_string_equal(r->stop_reason, "");
	assert_int_equal(r->usage.input_tokens, -1);
	llm_response_free(r);

	/* The caller saw the end, the API's end marker never came. */
	r = resp_sse(LLM_API_OPENAI_CHAT, body,
		     cut_before(body, "data: {\"id\":\"chatcmpl-1\","
				      "\"object\":\"chat.completion.chunk\","
				      "\"created\":1732520000,\"model\":"
				      "\"gpt-4o-mini\",\"system_fingerprint"
				      "\":\"fp_1\",\"choices\":[{\"index\":0,"
				      "\"delta\":{}"),
		     0, true, 0);
	assert_false(r->complete);
	llm_response_free(r);
}

static void openai_error_body(void **state)
{
	const char *body = J("{\n  'error': {\n    'message': 'Incorrect API key provided: sk-...',"
			     "\n    'type': 'invalid_request_error',\n    'param': null,\n"
			     "    'code': 'invalid_api_key'\n  }\n}\n");
	struct llm_response *r = resp_body(LLM_API_OPENAI_CHAT, body, strlen(body), 10, true, 0);

	(void)state;
	assert_string_equal(r->error, "Incorrect API key provided: sk-...");
	assert_int_equal(r->n_tool_calls, 0);
	assert_null(r->text.ptr);
	llm_response_free(r);
}

/* ---- OpenAI Responses ---- */

static const char responses_req[] =
	"{'model':'gpt-4.1','instructions':'Be nice.','input':[{'role':'user','content':"
	"[{'type':'input_text','text':'Weather in Oslo?'}]},{'type':'function_call','id':'fc_1',"
	"'call_id':'call_9','name':'get_weather','arguments':'{\\'city\\': \\'Oslo\\'}',"
	"'status':'completed'},{'type':'function_call_output','call_id':'call_9','output':'-3C'},"
	"{'type':'reasoning','id':'rs_1','summary':[]}],"
	"'tools':[{'type':'function','name':'get_weather','description':'d','parameters':{},"
	"'strict':true},{'type':'web_search_preview'}],'stream':true,'store':false,"
	"'reasoning':{'effort':'low'}}";

static void test_openai_responses_request(void **state)
{
	struct llm_request *r = req(LLM_API_OPENAI_RESPONSES, "/v1/responses", J(responses_req));

	(void)state;
	assert_string_equal(r->model, "gpt-4.1");
	assert_true(r->stream);
	assert_text(&r->system, "Be nice.");
	assert_int_equal(r->n_messages, 1);
	assert_msg(r, 0, "user", "Weather in Oslo?");
	assert_int_equal(r->n_tools, 2);
	assert_string_equal(r->tools[0], "get_weather");
	assert_string_equal(r->tools[1], "web_search_preview");
	assert_int_equal(r->n_tool_results, 1);
	assert_string_equal(r->tool_results[0].tool_call_id, "call_9");
	assert_text(&r->tool_results[0].content, "-3C");
	assert_int_equal(r->n_tool_calls, 1);
	assert_call(&r->tool_calls[0], "call_9", "get_weather", "{\"city\":\"Oslo\"}", true);
	llm_request_free(r);

	r = req(LLM_API_OPENAI_RESPONSES, "/v1/responses",
		J("{'model':'o3','input':'Tell me a joke'}"));
	assert_false(r->stream);
	assert_int_equal(r->n_messages, 1);
	assert_msg(r, 0, "user", "Tell me a joke");
	llm_request_free(r);
}

static const char responses_resp[] =
	"{'id':'resp_1','object':'response','created_at':1741476542,'status':'completed',"
	"'error':null,'incomplete_details':null,'instructions':null,'model':'gpt-4.1-2025-04-14',"
	"'output':[{'type':'message','id':'msg_1','status':'completed','role':'assistant',"
	"'content':[{'type':'output_text','text':'Hi there','annotations':[]}]},"
	"{'type':'function_call','id':'fc_2','call_id':'call_10','name':'get_weather',"
	"'arguments':'{\\'city\\': \\'Oslo\\'}','status':'completed'}],"
	"'parallel_tool_calls':true,'usage':{'input_tokens':36,'input_tokens_details':"
	"{'cached_tokens':4},'output_tokens':87,'output_tokens_details':{'reasoning_tokens':0},"
	"'total_tokens':123},'user':null,'metadata':{}}";

static void openai_responses_response(void **state)
{
	struct llm_response *r = body_every_split(LLM_API_OPENAI_RESPONSES, J(responses_resp));

	(void)state;
	assert_string_equal(r->model, "gpt-4.1-2025-04-14");
	assert_true(r->complete);
	assert_false(r->stream);
	assert_text(&r->text, "Hi there");
	assert_int_equal(r->n_tool_calls, 1);
	assert_call(&r->tool_calls[0], "call_10", "get_weather", "{\"city\":\"Oslo\"}", true);
	assert_string_equal(r->stop_reason, "completed");
	assert_int_equal(r->usage.input_tokens, 36);
	assert_int_equal(r->usage.output_tokens, 87);
	assert_int_equal(r->usage.total_tokens, 123);
	assert_int_equal(r->usage.cache_read_tokens, 4);
	llm_response_free(r);
}

#define REV(type, rest) "event: " type "\ndata: {'type':'" type "'," rest "}\n\n"

static const char responses_stream_head[] = REV(
	"response.created", "'sequence_number':0,'response':{'id':'resp_2','object':'response',"
			    "'status':'in_progress','model':'gpt-4.1-2025-04-14','output':[]}")
	REV("response.output_item.added",
	    "'sequence_number':1,'output_index':0,'item':{'id':'msg_2',"
	    "'type':'message','status':'in_progress','content':[],"
	    "'role':'assistant'}") REV("response.content_part.added",
				       "'sequence_number':2,'item_id':'msg_2','output_index':0,"
				       "'content_index':0,'part':{'type':'output_text',"
				       "'annotations':[],'text':''}")
		REV("response.output_text.delta",
		    "'sequence_number':3,'item_id':'msg_2','output_index':0,"
		    "'content_index':0,'delta':'Hi'")
			REV("response.output_text.delta",
			    "'sequence_number':4,'item_id':'msg_2','output_index':0,"
			    "'content_index':0,'delta':' there'")
				REV("response.output_item.added",
				    "'sequence_number':5,'output_index':1,'item':{'id':'fc_3',"
				    "'type':'function_call','status':'in_progress',"
				    "'arguments':'','call_id':'call_11','name':'get_weather'}")
					REV("response.function_call_arguments.delta",
					    "'sequence_number':6,'item_id':'fc_3',"
					    "'output_index':1,'delta':'{\\'city\\':'")
						REV("response.function_call_arguments.delta",
						    "'sequence_number':7,'item_id':'fc_3',"
						    "'output_index':1,'delta':' \\'Oslo\\'}'");

static const char responses_stream_tail[] =
	REV("response.function_call_arguments.done", "'sequence_number':8,'item_id':'fc_3',"
						     "'output_index':1,'arguments':"
						     "'{\\'city\\': \\'Oslo\\'}'")
		REV("response.completed",
		    "'sequence_number':9,'response':{'id':'resp_2','object':'response',"
		    "'status':'completed','model':'gpt-4.1-2025-04-14','output':["
		    "{'type':'message','id':'msg_2','status':'completed','role':"
		    "'assistant','content':[{'type':'output_text','text':'Hi there',"
		    "'annotations':[]}]},{'type':'function_call','id':'fc_3','call_id':"
		    "'call_11','name':'get_weather','arguments':'{\\'city\\': \\'Oslo\\'}',"
		    "'status':'completed'}],'usage':{'input_tokens':5,'output_tokens':7,"
		    "'total_tokens':12}}");

static void openai_responses_stream(void **state)
{
	char body[8192];
	struct llm_response *r;

	(void)state;
	snprintf(body, sizeof(body), "%s%s", J(responses_stream_head), J(responses_stream_tail));
	r = sse_every_split(LLM_API_OPENAI_RESPONSES, body);
	assert_string_equal(r->model, "gpt-4.1-2025-04-14");
	assert_true(r->stream);
	assert_true(r->complete);
	assert_text(&r->text, "Hi there");
	assert_int_equal(r->n_tool_calls, 1);
	assert_call(&r->tool_calls[0], "call_11", "get_weather", "{\"city\":\"Oslo\"}", true);
	assert_string_equal(r->stop_reason, "completed");
	assert_int_equal(r->usage.total_tokens, 12);
	llm_response_free(r);

	/* Cut before the end: the deltas, assembled. */
	r = resp_sse(LLM_API_OPENAI_RESPONSES, body, strlen(J(responses_stream_head)), 0, false, 0);
	assert_false(r->complete);
	assert_text(&r->text, "Hi there");
	assert_int_equal(r->n_tool_calls, 1);
	assert_call(&r->tool_calls[0], "call_11", "get_weather", "{\"city\":\"Oslo\"}", true);
	llm_response_free(r);
}

/* ---- Anthropic ---- */

static const char anthropic_req[] =
	"{'max_tokens':1024,'messages':[{'role':'user','content':'What is the weather in SF?'},"
	"{'role':'assistant','content':[{'type':'text','text':'Let me check.'},{'type':'tool_use',"
	"'id':'toolu_01A','name':'get_weather','input':{'location':'San Francisco, CA',"
	"'unit':'f'}}]},{'role':'user','content':[{'type':'tool_result','tool_use_id':'toolu_01A',"
	"'content':[{'type':'text','text':'15 degrees'},{'type':'text','text':'foggy'}],"
	"'is_error':false},{'type':'tool_result','tool_use_id':'toolu_01B','content':'timeout',"
	"'is_error':true},{'type':'text','text':'Thanks'}]}],"
	"'model':'claude-sonnet-4-20250514','system':[{'type':'text','text':'You are terse.',"
	"'cache_control':{'type':'ephemeral'}}],'tools':[{'name':'get_weather','description':"
	"'Get weather','input_schema':{'type':'object','properties':{'location':{'type':"
	"'string'}},'required':['location']}},{'type':'web_search_20250305','name':'web_search',"
	"'max_uses':5}],'stream':true,'metadata':{'user_id':'u'},'temperature':1}";

static void test_anthropic_request(void **state)
{
	struct llm_request *r =
		req(LLM_API_ANTHROPIC_MESSAGES, "/v1/messages?beta=true", J(anthropic_req));

	(void)state;
	assert_int_equal(r->provider, LLM_PROVIDER_ANTHROPIC);
	assert_string_equal(r->model, "claude-sonnet-4-20250514");
	assert_true(r->stream);
	assert_text(&r->system, "You are terse.");
	assert_int_equal(r->n_messages, 3);
	assert_msg(r, 0, "user", "What is the weather in SF?");
	assert_msg(r, 1, "assistant", "Let me check.");
	assert_msg(r, 2, "user", "Thanks");
	assert_int_equal(r->n_tools, 2);
	assert_string_equal(r->tools[1], "web_search");
	assert_int_equal(r->n_tool_calls, 1);
	assert_call(&r->tool_calls[0], "toolu_01A", "get_weather",
		    "{\"location\":\"San Francisco, CA\",\"unit\":\"f\"}", true);
	assert_int_equal(r->n_tool_results, 2);
	assert_string_equal(r->tool_results[0].tool_call_id, "toolu_01A");
	assert_text(&r->tool_results[0].content, "15 degrees\nfoggy");
	assert_false(r->tool_results[0].is_error);
	assert_string_equal(r->tool_results[1].tool_call_id, "toolu_01B");
	assert_text(&r->tool_results[1].content, "timeout");
	assert_true(r->tool_results[1].is_error);
	llm_request_free(r);

	r = req(LLM_API_ANTHROPIC_MESSAGES, "/v1/messages",
		J("{'model':'claude-3-5-haiku-latest','max_tokens':10,'system':'Plain.',"
		  "'messages':[{'role':'user','content':'hi'}]}"));
	assert_false(r->stream);
	assert_text(&r->system, "Plain.");
	llm_request_free(r);
}

static const char anthropic_resp[] =
	"{'id':'msg_01X','type':'message','role':'assistant','model':'claude-sonnet-4-20250514',"
	"'content':[{'type':'text','text':'I will check.'},{'type':'tool_use','id':'toolu_01B',"
	"'name':'get_weather','input':{'location':'SF','unit':'celsius'}}],"
	"'stop_reason':'tool_use','stop_sequence':null,'usage':{'input_tokens':472,"
	"'cache_creation_input_tokens':0,'cache_read_input_tokens':100,'output_tokens':91,"
	"'service_tier':'standard'}}";

static void anthropic_response(void **state)
{
	struct llm_response *r = body_every_split(LLM_API_ANTHROPIC_MESSAGES, J(anthropic_resp));

	(void)state;
	assert_string_equal(r->model, "claude-sonnet-4-20250514");
	assert_true(r->complete);
	assert_false(r->stream);
	assert_text(&r->text, "I will check.");
	assert_int_equal(r->n_tool_calls, 1);
	assert_call(&r->tool_calls[0], "toolu_01B", "get_weather",
		    "{\"location\":\"SF\",\"unit\":\"celsius\"}", true);
	assert_string_equal(r->stop_reason, "tool_use");
	assert_int_equal(r->usage.input_tokens, 472);
	assert_int_equal(r->usage.output_tokens, 91);
	assert_int_equal(r->usage.cache_read_tokens, 100);
	llm_response_free(r);

	r = body_every_split(LLM_API_ANTHROPIC_MESSAGES,
			     J("{'type':'error','error':{'type':'overloaded_error',"
			       "'message':'Overloaded'},'request_id':'req_1'}"));
	assert_string_equal(r->error, "Overloaded");
	llm_response_free(r);
}

#define AEV(type, rest) "event: " type "\r\ndata: {'type':'" type "'" rest "}\r\n\r\n"

static const char anthropic_stream[] = AEV(
	"message_start",
	",'message':{'id':'msg_1','type':'message','role':'assistant',"
	"'content':[],'model':'claude-sonnet-4-20250514','stop_reason':null,"
	"'stop_sequence':null,'usage':{'input_tokens':25,"
	"'cache_creation_input_tokens':0,'cache_read_input_tokens':10,"
	"'output_tokens':1}}") AEV("content_block_start",
				   ",'index':0,'content_block':{'type':'text','text':''}") AEV("ping",
											       "")
	AEV("content_block_delta", ",'index':0,'delta':{'type':'text_delta','text':'Hello'}") AEV(
		"content_block_delta", ",'index':0,'delta':{'type':'text_delta','text':'!'}")
		AEV("content_block_stop", ",'index':0") AEV(
			"content_block_start",
			",'index':1,'content_block':{'type':'tool_use','id':'toolu_01T',"
			"'name':'get_weather','input':{}}")
			AEV("content_block_delta",
			    ",'index':1,'delta':{'type':'input_json_delta','partial_json':''}")
				AEV("content_block_delta",
				    ",'index':1,'delta':{'type':'input_json_delta','partial_json':"
				    "'{\\'location\\': \\'San'}")
					AEV("content_block_delta",
					    ",'index':1,'delta':{'type':'input_json_delta','partial_json':"
					    "' Francisco\\'}'}") AEV("content_block_stop",
								     ",'index':1")
						AEV("content_block_start",
						    ",'index':2,'content_block':{'type':'tool_use','id':'toolu_01U',"
						    "'name':'now','input':{}}")
							AEV("content_block_stop", ",'index':2") AEV(
								"message_delta",
								",'delta':{'stop_reason':'tool_use','stop_sequence':null},"
								"'usage':{'output_tokens':89}")
								AEV("message_stop", "");

static void anthropic_stream_test(void **state)
{
	const char *body = J(anthropic_stream);
	struct llm_response *r = sse_every_split(LLM_API_ANTHROPIC_MESSAGES, body);

	(void)state;
	assert_string_equal(r->model, "claude-sonnet-4-20250514");
	assert_true(r->stream);
	assert_true(r->complete);
	assert_text(&r->text, "Hello!");
	assert_int_equal(r->n_tool_calls, 2);
	assert_call(&r->tool_calls[0], "toolu_01T", "get_weather",
		    "{\"location\":\"San Francisco\"}", true);
	assert_call(&r->tool_calls[1], "toolu_01U", "now", "{}", true);
	assert_string_equal(r->stop_reason, "tool_use");
	assert_int_equal(r->usage.input_tokens, 25);
	assert_int_equal(r->usage.output_tokens, 89);
	assert_int_equal(r->usage.cache_read_tokens, 10);
	llm_response_free(r);

	/* Cut after the first text delta. */
	r = resp_sse(LLM_API_ANTHROPIC_MESSAGES, body,
		     cut_before(body, "event: content_block_delta\r\ndata: {\"type\":"
				      "\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
				      "\"text_delta\",\"text\":\"!"),
		     0, false, 0);
	assert_false(r->complete);
	assert_text(&r->text, "Hello");
	assert_int_equal(r->usage.output_tokens, 1);
	llm_response_free(r);

	/* An error event mid-stream. */
	r = resp_sse(LLM_API_ANTHROPIC_MESSAGES,
		     J("event: error\ndata: {'type':'error','error':{'type':'overloaded_error',"
		       "'message':'Overloaded'}}\n\n"),
		     strlen(J("event: error\ndata: {'type':'error','error':{'type':"
			      "'overloaded_error','message':'Overloaded'}}\n\n")),
		     0, true, 0);
	assert_string_equal(r->error, "Overloaded");
	llm_response_free(r);
}

/* ---- Gemini ---- */

static const char gemini_req[] =
	"{'contents':[{'role':'user','parts':[{'text':'Weather in Paris?'}]},{'role':'model',"
	"'parts':[{'functionCall':{'name':'get_weather','args':{'city':'Paris'}}}]},"
	"{'role':'user','parts':[{'functionResponse':{'name':'get_weather','response':"
	"{'temp':21,'sky':'clear'}}}]}],'systemInstruction':{'parts':[{'text':'Be brief.'}]},"
	"'tools':[{'functionDeclarations':[{'name':'get_weather','description':'d',"
	"'parameters':{'type':'OBJECT'}},{'name':'get_time'}]},{'googleSearch':{}}],"
	"'generationConfig':{'temperature':0.5,'thinkingConfig':{'thinkingBudget':0}}}";

static void test_gemini_request(void **state)
{
	struct llm_request *r = req(LLM_API_GEMINI_STREAM,
				    "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse",
				    J(gemini_req));

	(void)state;
	assert_int_equal(r->provider, LLM_PROVIDER_GEMINI);
	assert_string_equal(r->model, "gemini-2.0-flash");
	assert_true(r->stream);
	assert_text(&r->system, "Be brief.");
	assert_int_equal(r->n_messages, 3);
	assert_msg(r, 0, "user", "Weather in Paris?");
	assert_string_equal(r->messages[1].role, "model");
	assert_int_equal(r->n_tools, 3);
	assert_string_equal(r->tools[0], "get_weather");
	assert_string_equal(r->tools[1], "get_time");
	assert_string_equal(r->tools[2], "googleSearch");
	assert_int_equal(r->n_tool_calls, 1);
	assert_call(&r->tool_calls[0], "", "get_weather", "{\"city\":\"Paris\"}", true);
	assert_int_equal(r->n_tool_results, 1);
	assert_string_equal(r->tool_results[0].tool_call_id, "");
	assert_string_equal(r->tool_results[0].name, "get_weather");
	assert_text(&r->tool_results[0].content, "{\"temp\":21,\"sky\":\"clear\"}");
	llm_request_free(r);

	r = req(LLM_API_GEMINI_GENERATE, "/v1beta/models/gemini-2.5-pro:generateContent",
		J("{'contents':[{'parts':[{'text':'hi'}]}],"
		  "'system_instruction':{'parts':{'text':'snake'}}}"));
	assert_false(r->stream);
	assert_string_equal(r->model, "gemini-2.5-pro");
	assert_msg(r, 0, "user", "hi");
	llm_request_free(r);
}

static const char gemini_resp[] =
	"{\n  'candidates': [\n    {\n      'content': {\n        'parts': [\n"
	"          {\n            'text': 'It is sunny'\n          },\n"
	"          {\n            'functionCall': {\n              'name': 'get_weather',\n"
	"              'args': {\n                'city': 'Paris'\n              }\n"
	"            }\n          }\n        ],\n        'role': 'model'\n      },\n"
	"      'finishReason': 'STOP',\n      'avgLogprobs': -0.1\n    }\n  ],\n"
	"  'usageMetadata': {\n    'promptTokenCount': 10,\n    'candidatesTokenCount': 5,\n"
	"    'totalTokenCount': 15,\n    'promptTokensDetails': [\n      {\n"
	"        'modality': 'TEXT',\n        'tokenCount': 10\n      }\n    ]\n  },\n"
	"  'modelVersion': 'gemini-2.0-flash',\n  'responseId': 'abc'\n}\n";

/* The streamed JSON array, as the REST API sends it without alt=sse. */
static const char gemini_array[] =
	"[{\n  'candidates': [\n    {\n      'content': {\n        'parts': [\n          {\n"
	"            'text': 'The sky [is] '\n          }\n        ],\n        'role': 'model'\n"
	"      }\n    }\n  ],\n  'usageMetadata': {\n    'promptTokenCount': 4,\n"
	"    'totalTokenCount': 4\n  },\n  'modelVersion': 'gemini-2.0-flash'\n}\n,\r\n"
	"{\n  'candidates': [\n    {\n      'content': {\n        'parts': [\n          {\n"
	"            'text': '\\'blue\\' {\\\\}'\n          }\n        ],\n        'role': 'model'\n"
	"      },\n      'finishReason': 'STOP'\n    }\n  ],\n  'usageMetadata': {\n"
	"    'promptTokenCount': 4,\n    'candidatesTokenCount': 6,\n    'totalTokenCount': 10\n"
	"  },\n  'modelVersion': 'gemini-2.0-flash'\n}\n]";

static void gemini_response(void **state)
{
	const char *arr = J(gemini_array);
	struct llm_response *r = body_every_split(LLM_API_GEMINI_GENERATE, J(gemini_resp));
	char *sse;
	size_t n;

	(void)state;
	assert_string_equal(r->model, "gemini-2.0-flash");
	assert_true(r->complete);
	assert_false(r->stream);
	assert_text(&r->text, "It is sunny");
	assert_int_equal(r->n_tool_calls, 1);
	assert_call(&r->tool_calls[0], "", "get_weather", "{\"city\":\"Paris\"}", true);
	assert_string_equal(r->stop_reason, "STOP");
	assert_int_equal(r->usage.input_tokens, 10);
	assert_int_equal(r->usage.output_tokens, 5);
	assert_int_equal(r->usage.total_tokens, 15);
	llm_response_free(r);

	r = body_every_split(LLM_API_GEMINI_STREAM, arr);
	assert_true(r->stream);
	assert_true(r->complete);
	assert_text(&r->text, "The sky [is] \"blue\" {\\}");
	assert_string_equal(r->stop_reason, "STOP");
	assert_int_equal(r->usage.output_tokens, 6);
	assert_int_equal(r->usage.total_tokens, 10);
	llm_response_free(r);

	/* Cut inside the second element: the first one's text, not complete. */
	r = resp_body(LLM_API_GEMINI_STREAM, arr, strlen(arr) - 40, strlen(arr) - 40, false, 0);
	assert_false(r->complete);
	assert_text(&r->text, "The sky [is] ");
	llm_response_free(r);

	/* alt=sse: the same chunks as data: events. */
	n = asprintf(&sse,
		     "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hel\"}],"
		     "\"role\": \"model\"}}],\"usageMetadata\": {\"promptTokenCount\": 3},"
		     "\"modelVersion\": \"gemini-2.5-flash\"}\r\n\r\n"
		     "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"lo\"},"
		     "{\"functionCall\": {\"name\": \"f\", \"args\": {}}}],\"role\": \"model\"},"
		     "\"finishReason\": \"STOP\"}],\"usageMetadata\": {\"promptTokenCount\": 3,"
		     "\"candidatesTokenCount\": 2,\"totalTokenCount\": 5},"
		     "\"modelVersion\": \"gemini-2.5-flash\"}\r\n\r\n");
	assert_true(n > 0);
	r = sse_every_split(LLM_API_GEMINI_STREAM, sse);
	assert_true(r->stream);
	assert_true(r->complete);
	assert_string_equal(r->model, "gemini-2.5-flash");
	assert_text(&r->text, "Hello");
	assert_call(&r->tool_calls[0], "", "f", "{}", true);
	assert_int_equal(r->usage.total_tokens, 5);
	llm_response_free(r);
	free(sse);
}

/* ---- Ollama ---- */

static void test_ollama_request(void **state)
{
	struct llm_request *r = req(
		LLM_API_OLLAMA_CHAT, "/api/chat",
		J("{'model':'llama3.2','messages':[{'role':'system','content':'sys'},"
		  "{'role':'user','content':'hi','images':[]},{'role':'assistant','content':'',"
		  "'tool_calls':[{'function':{'name':'get_weather','arguments':{'city':'Toronto'}}}]},"
		  "{'role':'tool','content':'11 degrees','tool_name':'get_weather'}],"
		  "'tools':[{'type':'function','function':{'name':'get_weather','parameters':{}}}],"
		  "'options':{'temperature':0},'keep_alive':'5m'}"));

	(void)state;
	assert_int_equal(r->provider, LLM_PROVIDER_OLLAMA);
	assert_string_equal(r->model, "llama3.2");
	assert_true(r->stream); /* the default */
	assert_text(&r->system, "sys");
	assert_int_equal(r->n_messages, 4);
	assert_msg(r, 1, "user", "hi");
	assert_msg(r, 3, "tool", "11 degrees");
	assert_int_equal(r->n_tools, 1);
	assert_call(&r->tool_calls[0], "", "get_weather", "{\"city\":\"Toronto\"}", true);
	assert_string_equal(r->tool_results[0].name, "get_weather");
	assert_text(&r->tool_results[0].content, "11 degrees");
	llm_request_free(r);

	r = req(LLM_API_OLLAMA_GENERATE, "/api/generate",
		J("{'model':'llama3.2','prompt':'Why is the sky blue?','system':'S',"
		  "'stream':false}"));
	assert_false(r->stream);
	assert_text(&r->system, "S");
	assert_int_equal(r->n_messages, 1);
	assert_msg(r, 0, "user", "Why is the sky blue?");
	llm_request_free(r);
}

static const char ollama_ndjson[] =
	"{'model':'llama3.2','created_at':'2024-07-22T20:33:28.123Z','message':{'role':'assistant',"
	"'content':'The'},'done':false}\n"
	"{'model':'llama3.2','created_at':'2024-07-22T20:33:28.2Z','message':{'role':'assistant',"
	"'content':' sky {is}\\n'},'done':false}\n"
	"{'model':'llama3.2','created_at':'2024-07-22T20:33:28.3Z','message':{'role':'assistant',"
	"'content':'','tool_calls':[{'function':{'name':'get_weather','arguments':{'city':"
	"'Toronto'}}}]},'done':false}\n"
	"{'model':'llama3.2','created_at':'2024-07-22T20:33:28.4Z','message':{'role':'assistant',"
	"'content':''},'done_reason':'stop','done':true,'total_duration':4883583458,"
	"'load_duration':1334875,'prompt_eval_count':26,'prompt_eval_duration':342546000,"
	"'eval_count':282,'eval_duration':4535599000}\n";

static void ollama_response(void **state)
{
	const char *body = J(ollama_ndjson);
	struct llm_response *r = body_every_split(LLM_API_OLLAMA_CHAT, body);

	(void)state;
	assert_string_equal(r->model, "llama3.2");
	assert_true(r->stream);
	assert_true(r->complete);
	assert_text(&r->text, "The sky {is}\n");
	assert_int_equal(r->n_tool_calls, 1);
	assert_call(&r->tool_calls[0], "", "get_weather", "{\"city\":\"Toronto\"}", true);
	assert_string_equal(r->stop_reason, "stop");
	assert_int_equal(r->usage.input_tokens, 26);
	assert_int_equal(r->usage.output_tokens, 282);
	llm_response_free(r);

	/* Cut in the second line. */
	r = resp_body(LLM_API_OLLAMA_CHAT, body, cut_before(body, " sky") + 3, 5, false, 0);
	assert_false(r->complete);
	assert_text(&r->text, "The");
	llm_response_free(r);

	r = body_every_split(LLM_API_OLLAMA_GENERATE,
			     J("{'model':'llama3.2','created_at':'2024-07-22T20:33:28Z',"
			       "'response':'Because.','done':true,'done_reason':'stop',"
			       "'context':[1,2,3],'prompt_eval_count':5,'eval_count':3}"));
	assert_false(r->stream);
	assert_true(r->complete);
	assert_text(&r->text, "Because.");
	assert_int_equal(r->usage.output_tokens, 3);
	llm_response_free(r);

	/*
	 * A short field starting with \u0001 stands behind a placeholder in the
	 * tree: read through it, the tree and the fast path agree (fuzz_llm).
	 */
	r = body_every_split(LLM_API_OLLAMA_CHAT,
			     J("{'model':'\\u0001llama3.2','message':{'role':'assistant',"
			       "'content':'a'},'done':false}\n"
			       "{'model':'x','message':{'role':'assistant','content':'b'},"
			       "'done':true,'done_reason':'stop'}\n"));
	assert_string_equal(r->model, "\x01llama3.2");
	assert_text(&r->text, "ab");
	llm_response_free(r);

	r = body_every_split(LLM_API_OLLAMA_CHAT, J("{'error':'model \\'x\\' not found'}"));
	assert_string_equal(r->error, "model \"x\" not found");
	llm_response_free(r);
}

/* ---- MCP ---- */

static void test_mcp_request(void **state)
{
	struct llm_request *r = req(
		LLM_API_MCP, "/mcp",
		J("{'jsonrpc':'2.0','id':3,'method':'tools/call','params':{'name':'read_file',"
		  "'arguments':{'path':'/etc/hosts','lines': [1, 2]},'_meta':{'progressToken':3}}}"));

	(void)state;
	assert_int_equal(r->provider, LLM_PROVIDER_MCP);
	assert_string_equal(r->model, "");
	assert_string_equal(r->mcp_method, "tools/call");
	assert_string_equal(r->mcp_id, "3");
	assert_string_equal(r->mcp_tool, "read_file");
	assert_text(&r->mcp_args, "{\"path\":\"/etc/hosts\",\"lines\":[1,2]}");
	llm_request_free(r);

	r = req(LLM_API_MCP, "/", J("{'jsonrpc':'2.0','id':'abc','method':'tools/list'}"));
	assert_string_equal(r->mcp_method, "tools/list");
	assert_string_equal(r->mcp_id, "\"abc\"");
	assert_null(r->mcp_tool);
	llm_request_free(r);

	r = req(LLM_API_MCP, "/", J("[{'jsonrpc':'2.0','method':'notifications/initialized'}]"));
	assert_string_equal(r->mcp_method, "notifications/initialized");
	assert_string_equal(r->mcp_id, "");
	llm_request_free(r);
}

static void mcp_response(void **state)
{
	const char *sse = J("event: message\nid: 1\ndata: {'jsonrpc':'2.0','method':"
			    "'notifications/progress','params':{'progressToken':3,'progress':1}}"
			    "\n\nevent: message\nid: 2\ndata: {'jsonrpc':'2.0','id':3,'result':"
			    "{'content':[{'type':'text','text':'127.0.0.1 localhost'},{'type':"
			    "'image','data':'AAAA','mimeType':'image/png'},{'type':'text','text':"
			    "'::1 localhost'}],'isError':false}}\n\n");
	struct llm_response *r = sse_every_split(LLM_API_MCP, sse);

	(void)state;
	assert_true(r->complete);
	assert_string_equal(r->mcp_id, "3");
	assert_false(r->mcp_is_error);
	assert_text(&r->mcp_result, "127.0.0.1 localhost\n::1 localhost");
	assert_null(r->error);
	llm_response_free(r);

	r = body_every_split(LLM_API_MCP,
			     J("{'jsonrpc':'2.0','id':'abc','result':{'tools':[{'name':'read_file',"
			       "'description':'Read','inputSchema':{'type':'object'}},{'name':"
			       "'write_file','inputSchema':{}}],'nextCursor':null}}"));
	assert_string_equal(r->mcp_id, "\"abc\"");
	assert_int_equal(r->n_mcp_tools, 2);
	assert_int_equal(r->mcp_tools_total, 2);
	assert_string_equal(r->mcp_tools[0], "read_file");
	assert_string_equal(r->mcp_tools[1], "write_file");
	llm_response_free(r);

	r = body_every_split(LLM_API_MCP, J("{'jsonrpc':'2.0','id':5,'error':{'code':-32602,"
					    "'message':'Unknown tool: x'}}"));
	assert_true(r->mcp_is_error);
	assert_text(&r->mcp_result, "Unknown tool: x");
	assert_string_equal(r->error, "Unknown tool: x");
	llm_response_free(r);

	r = body_every_split(LLM_API_MCP, J("{'jsonrpc':'2.0','id':9,'result':{'content':[{'type':"
					    "'text','text':'denied'}],'isError':true}}"));
	assert_true(r->mcp_is_error);
	assert_text(&r->mcp_result, "denied");
	llm_response_free(r);
}

/* ---- classification ---- */

struct cls_case {
	const char *method, *target, *ctype, *body;
	enum llm_api api;
	enum llm_provider prov;
};

static void classify_table(void **state)
{
	static const struct cls_case cases[] = {
		{ "POST", "/v1/chat/completions", "application/json", "{}", LLM_API_OPENAI_CHAT,
		  LLM_PROVIDER_OPENAI },
		{ "POST", "/proxy/v1/chat/completions?x=1", NULL, NULL, LLM_API_OPENAI_CHAT,
		  LLM_PROVIDER_OPENAI },
		{ "POST", "https://api.openai.com/v1/chat/completions", NULL, NULL,
		  LLM_API_OPENAI_CHAT, LLM_PROVIDER_OPENAI },
		{ "POST", "/openai/deployments/gpt4/chat/completions?api-version=2024-10-21", NULL,
		  NULL, LLM_API_OPENAI_CHAT, LLM_PROVIDER_AZURE_OPENAI },
		{ "POST", "/v1/responses", NULL, NULL, LLM_API_OPENAI_RESPONSES,
		  LLM_PROVIDER_OPENAI },
		{ "POST", "/gw/v1/responses/", NULL, NULL, LLM_API_OPENAI_RESPONSES,
		  LLM_PROVIDER_OPENAI },
		{ "POST", "/v1/acct/gw/openai/responses", NULL, NULL, LLM_API_OPENAI_RESPONSES,
		  LLM_PROVIDER_OPENAI },
		{ "POST", "/openai/v1/responses?api-version=preview", NULL, NULL,
		  LLM_API_OPENAI_RESPONSES, LLM_PROVIDER_AZURE_OPENAI },
		{ "POST",
		  "/v1/projects/p/locations/us/publishers/google/models/gemini-2.0-flash"
		  ":streamGenerateContent",
		  NULL, NULL, LLM_API_GEMINI_STREAM, LLM_PROVIDER_GEMINI },
		{ "POST", "/v1/chat/completions#frag", NULL, NULL, LLM_API_OPENAI_CHAT,
		  LLM_PROVIDER_OPENAI },
		{ "post", "/v1/chat/completions", NULL, NULL, LLM_API_NONE, LLM_PROVIDER_NONE },
		{ "POST", "/v1/messages", NULL, NULL, LLM_API_ANTHROPIC_MESSAGES,
		  LLM_PROVIDER_ANTHROPIC },
		{ "POST", "/anthropic/v1/messages?beta=true", NULL, NULL,
		  LLM_API_ANTHROPIC_MESSAGES, LLM_PROVIDER_ANTHROPIC },
		{ "POST", "/v1beta/models/gemini-2.0-flash:generateContent?key=k", NULL, NULL,
		  LLM_API_GEMINI_GENERATE, LLM_PROVIDER_GEMINI },
		{ "POST", "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse", NULL,
		  NULL, LLM_API_GEMINI_STREAM, LLM_PROVIDER_GEMINI },
		{ "POST", "/api/chat", NULL, NULL, LLM_API_OLLAMA_CHAT, LLM_PROVIDER_OLLAMA },
		{ "POST", "/api/generate", NULL, NULL, LLM_API_OLLAMA_GENERATE,
		  LLM_PROVIDER_OLLAMA },
		{ "POST", "/mcp", "application/json",
		  "  {\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}", LLM_API_MCP,
		  LLM_PROVIDER_MCP },
		{ "POST", "/", NULL, "[{\"jsonrpc\":\"2.0\",\"method\":\"initialize\"}]",
		  LLM_API_MCP, LLM_PROVIDER_MCP },
		/* Not LLM traffic. */
		{ "GET", "/v1/chat/completions", NULL, NULL, LLM_API_NONE, LLM_PROVIDER_NONE },
		{ "GET", "/v1/models", NULL, NULL, LLM_API_NONE, LLM_PROVIDER_NONE },
		{ "POST", "/v1/messages/count_tokens", NULL, NULL, LLM_API_NONE,
		  LLM_PROVIDER_NONE },
		{ "POST", "/v1/embeddings", NULL, "{}", LLM_API_NONE, LLM_PROVIDER_NONE },
		{ "POST", "/index.html?q=/v1/messages", NULL, NULL, LLM_API_NONE,
		  LLM_PROVIDER_NONE },
		{ "POST", "/mcp", "application/json", "{\"id\":1,\"method\":\"x\"}", LLM_API_NONE,
		  LLM_PROVIDER_NONE },
		{ "POST", "/mcp", "text/plain", "{\"jsonrpc\":\"2.0\",\"method\":\"x\"}",
		  LLM_API_NONE, LLM_PROVIDER_NONE },
		{ "POST", "/rpc", NULL, "jsonrpc 2.0 method", LLM_API_NONE, LLM_PROVIDER_NONE },
		{ "POST", "/", NULL, "", LLM_API_NONE, LLM_PROVIDER_NONE },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cls_case *c = &cases[i];
		enum llm_provider p = 99;
		enum llm_api a =
			llm_classify(c->method, strlen(c->method), c->target, strlen(c->target),
				     c->ctype, c->ctype ? strlen(c->ctype) : 0,
				     (const uint8_t *)c->body, c->body ? strlen(c->body) : 0, &p);

		if (a != c->api || p != c->prov)
			fail_msg("case %zu (%s %s): api %d provider %d", i, c->method, c->target, a,
				 p);
	}
	assert_string_equal(llm_api_name(LLM_API_OPENAI_CHAT), "chat.completions");
	assert_string_equal(llm_provider_name(LLM_PROVIDER_ANTHROPIC), "anthropic");
	assert_string_equal(llm_provider_name(LLM_PROVIDER_NONE), "none");
}

/* ---- bad input ---- */

static void bad_shapes(void **state)
{
	static const struct {
		enum llm_api api;
		const char *body;
	} cases[] = {
		{ LLM_API_OPENAI_CHAT, "{\"model\":\"gpt\",\"messages\":" },
		{ LLM_API_OPENAI_CHAT, "{\"model\":\"gpt\",\"messages\":{}}" },
		{ LLM_API_OPENAI_CHAT, "[1,2]" },
		{ LLM_API_OPENAI_CHAT, "not json" },
		{ LLM_API_OPENAI_CHAT, "" },
		{ LLM_API_OPENAI_RESPONSES, "{\"input\":5}" },
		{ LLM_API_OPENAI_RESPONSES, "{}" },
		{ LLM_API_ANTHROPIC_MESSAGES, "{\"model\":\"c\",\"messages\":\"hi\"}" },
		{ LLM_API_GEMINI_GENERATE, "{\"contents\":{}}" },
		{ LLM_API_OLLAMA_CHAT, "{\"messages\":[]}" },
		{ LLM_API_OLLAMA_CHAT, "{\"model\":\"m\",\"messages\":7}" },
		{ LLM_API_MCP, "{\"jsonrpc\":\"1.0\",\"method\":\"x\"}" },
		{ LLM_API_MCP, "{\"jsonrpc\":\"2.0\",\"method\":7}" },
		{ LLM_API_MCP, "[]" },
	};
	struct llm_request *r = (void *)1;
	struct llm_response *resp;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int err = llm_request_parse(cases[i].api, "/", 1, (const uint8_t *)cases[i].body,
					    strlen(cases[i].body), NULL, &r);

		if (err != -EBADMSG)
			fail_msg("case %zu: %d", i, err);
		assert_null(r);
	}
	/* Junk messages in a good array are skipped, not fatal. */
	r = req(LLM_API_OPENAI_CHAT, "/",
		"{\"messages\":[1,null,{\"role\":7},{\"role\":\"user\","
		"\"content\":{\"x\":1}}]}");
	assert_int_equal(r->n_messages, 1);
	assert_int_equal(r->messages[0].text.len, 0);
	llm_request_free(r);
	assert_int_equal(llm_request_parse(LLM_API_NONE, "/", 1, (const uint8_t *)"{}", 2, NULL,
					   &r),
			 -EINVAL);

	/* Responses: not the API's shape gives -EBADMSG and still a record. */
	resp = resp_body(LLM_API_ANTHROPIC_MESSAGES, "<html>502 Bad Gateway</html>", 28, 9, true,
			 -EBADMSG);
	assert_string_equal(resp->error, "unrecognised body");
	assert_false(resp->complete);
	llm_response_free(resp);
	resp = resp_body(LLM_API_OPENAI_CHAT, "{\"choices\":5}", 13, 3, true, -EBADMSG);
	llm_response_free(resp);
	resp = resp_body(LLM_API_GEMINI_STREAM, "[{\"candidates\":[", 16, 3, false, -EBADMSG);
	llm_response_free(resp);
	resp = resp_sse(LLM_API_OPENAI_CHAT, "data: {\"choices\":[{\"delta\":\n\n", 29, 0, true,
			-EBADMSG);
	llm_response_free(resp);
	/* Wrong types inside a right shape: ignored. */
	resp = resp_sse(LLM_API_OPENAI_CHAT,
			"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":5,\"tool_calls\":"
			"[7,{\"index\":-3,\"function\":{\"name\":[],\"arguments\":{}}}]}}]}\n\n",
			123, 0, true, 0);
	assert_false(resp->complete);
	llm_response_free(resp);
	llm_response_free(NULL);
	llm_request_free(NULL);
	llm_response_builder_free(NULL);
}

/* ---- limits ---- */

static void limits(void **state)
{
	struct llm_limits lim = llm_limits_default();
	size_t big = 300 << 10, n;
	char *body = malloc(big + 4096 * 8 + 64 * 600), *p;
	struct llm_request *r;
	struct llm_response_builder *b;
	struct llm_response *resp;

	(void)state;
	assert_non_null(body);
	/* One 300 KiB message, with a 2-byte character right at the cap. */
	p = body +
	    sprintf(body, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"");
	memset(p, 'a', big);
	p[lim.max_text - 1] = '\xc3';
	p[lim.max_text] = '\xa9';
	p += big;
	p += sprintf(p, "\"}]}");
	assert_int_equal(llm_request_parse(LLM_API_OPENAI_CHAT, "/", 1, (uint8_t *)body, p - body,
					   NULL, &r),
			 0);
	assert_int_equal(r->messages[0].text.total, big);
	assert_true(r->messages[0].text.truncated);
	/* Cut before the character, never inside it. */
	assert_int_equal(r->messages[0].text.len, lim.max_text - 1);
	assert_int_equal(strlen(r->messages[0].text.ptr), lim.max_text - 1);
	llm_request_free(r);

	/* 600 messages: the last 256 are kept. */
	p = body + sprintf(body, "{\"model\":\"m\",\"messages\":[");
	for (int i = 0; i < 600; i++)
		p += sprintf(p, "%s{\"role\":\"user\",\"content\":\"m%d\"}", i ? "," : "", i);
	p += sprintf(p, "]}");
	assert_int_equal(llm_request_parse(LLM_API_OPENAI_CHAT, "/", 1, (uint8_t *)body, p - body,
					   NULL, &r),
			 0);
	assert_int_equal(r->messages_total, 600);
	assert_int_equal(r->n_messages, 256);
	assert_string_equal(r->messages[0].text.ptr, "m344");
	assert_string_equal(r->messages[255].text.ptr, "m599");
	llm_request_free(r);

	/* Small limits: tools, calls, args. */
	lim.max_tools = 2;
	lim.max_tool_calls = 1;
	lim.max_args = 8;
	lim.max_text = 4;
	lim.max_body = 64;
	n = sprintf(body, "{\"model\":\"m\",\"system\":\"abcdefgh\",\"messages\":[],\"tools\":"
			  "[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"}]}");
	assert_int_equal(llm_request_parse(LLM_API_ANTHROPIC_MESSAGES, "/", 1, (uint8_t *)body, n,
					   &lim, &r),
			 0);
	assert_int_equal(r->n_tools, 2);
	assert_int_equal(r->tools_total, 3);
	assert_int_equal(r->system.len, 4);
	assert_int_equal(r->system.total, 8);
	llm_request_free(r);

	assert_int_equal(llm_response_builder_new(LLM_API_OPENAI_CHAT, &lim, &b), 0);
	for (int i = 0; i < 1000; i++) {
		n = sprintf(body,
			    "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"xy\","
			    "\"tool_calls\":[{\"index\":%d,\"id\":\"c%d\",\"function\":"
			    "{\"name\":\"f\",\"arguments\":\"{\\\"k\\\":1}\"}}]}}]}",
			    i % 2, i);
		assert_int_equal(llm_response_feed_sse(b, "message", 7, body, n), 0);
	}
	assert_int_equal(llm_response_finish(b, 200, false, &resp), 0);
	assert_int_equal(resp->text.len, 4);
	assert_int_equal(resp->text.total, 2000);
	assert_int_equal(resp->n_tool_calls, 1);
	assert_int_equal(resp->tool_calls_total, 2);
	assert_int_equal(resp->tool_calls[0].args.len, 8);
	assert_int_equal(resp->tool_calls[0].args.total, 3500);
	assert_false(resp->tool_calls[0].args_json);
	llm_response_free(resp);
	llm_response_builder_free(b);

	/* A body value over max_body is skipped, counted and flagged. */
	assert_int_equal(llm_response_builder_new(LLM_API_OLLAMA_CHAT, &lim, &b), 0);
	n = sprintf(body,
		    "{\"model\":\"m\",\"message\":{\"content\":\"ok\"},\"done\":false}\n"
		    "{\"model\":\"m\",\"message\":{\"content\":\"%0100d\"},\"done\":false}\n",
		    0);
	for (size_t i = 0; i < n; i += 10)
		assert_int_equal(
			llm_response_feed_body(b, (uint8_t *)body + i, n - i < 10 ? n - i : 10), 0);
	assert_int_equal(llm_response_finish(b, 200, true, &resp), 0);
	assert_true(resp->body_truncated);
	assert_int_equal(resp->body_bytes, n);
	assert_string_equal(resp->text.ptr, "ok");
	assert_false(resp->complete);
	llm_response_free(resp);
	llm_response_builder_free(b);
	free(body);
}

/*
 * A key jansson refuses (a NUL in it) anywhere in an event, even in a value
 * the hot path would skip, makes the event not JSON on both paths.
 */
static void fast_path_escaped_keys(void **state)
{
	static const char *const bodies[] = {
		"{\"model\":\"m\",\"x\":{\"\\u0000k\":1},\"message\":{\"role\":\"assistant\","
		"\"content\":\"hi\"},\"done\":true}\n",
		"{\"model\":\"m\",\"x\":{\"k\\u00e9\":1},\"message\":{\"role\":\"assistant\","
		"\"content\":\"hi\"},\"done\":true}\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		char *got[2];

		for (int slow = 0; slow < 2; slow++) {
			struct llm_response_builder *b;
			struct llm_response *r = NULL;

			assert_int_equal(llm_response_builder_new(LLM_API_OLLAMA_CHAT, NULL, &b),
					 0);
			b->slow_only = slow;
			assert_int_equal(llm_response_feed_body(b, (const uint8_t *)bodies[i],
								strlen(bodies[i])),
					 0);
			llm_response_finish(b, 200, true, &r);
			assert_non_null(r);
			got[slow] = summary(r);
			llm_response_free(r);
			llm_response_builder_free(b);
		}
		assert_string_equal(got[0], got[1]);
		/* The escaped but valid key is read (by jansson); the NUL one is not JSON. */
		assert_true(strstr(got[0], "hi") ? i == 1 : i == 0);
		free(got[0]);
		free(got[1]);
	}
}

/* jdoc_parse builds its trees itself, or asks jansson: either way jansson's tree, or its refusal. */
static void jdoc_is_jansson(void **state)
{
	static const char *const docs[] = {
		"{}",
		"[]",
		" {\"a\" : [ ] , \"b\":{}}\r\n",
		"[1,-2,0,-0,123456789012345]",
		"[0.5,-0.25,1.0,-0.0,3.14159265358979]",
		"[true,false,null]",
		"{\"a\":1,\"a\":2}",
		"{\"k\":\"\\u0000x\",\"e\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
		"{\"\xc3\xa9\":\"\xe2\x82\xac\\u20ac\\ud83d\\ude00\"}",
		"[[[[[[1]]]]],{\"x\":[{}]}]",
		/* Not ours to read: exponents, long integers, escaped keys. */
		"[1e5]",
		"[2.5E-3]",
		"[1234567890123456]",
		"[-9223372036854775808]",
		"[99999999999999999999]",
		"{\"a\\u0062\":1}",
		"{\"a\\u0000\":1}",
		/* Not JSON. */
		"",
		"1",
		"\"s\"",
		"[1,]",
		"{\"a\"}",
		"{\"a\":}",
		"[01]",
		"[-]",
		"[tru]",
		"[1 2]",
		"{\"a\":1,}",
		"[\"\\x\"]",
		"[\"\\ud800\"]",
		"[\"\x01\"]",
		"[\"\xc3(\"]",
		"{} x",
		"[1.]",
		"[.5]",
		"{1:2}",
		"[\"abc",
		"[",
	};
	struct jdoc d;
	json_t *j;
	char *deep, *wide;
	int err;

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		j = json_loadb(docs[i], strlen(docs[i]), JSON_ALLOW_NUL, NULL);
		err = jdoc_parse(&d, docs[i], strlen(docs[i]));
		if (!j) {
			assert_int_equal(err, -EBADMSG);
		} else {
			assert_int_equal(err, 0);
			assert_true(json_equal(d.root, j));
		}
		json_decref(j);
		jdoc_free(&d);
	}
	/* Deeper than the scanner goes, and more values than it holds: jansson's. */
	deep = malloc(2 * 200 + 1);
	wide = malloc(2 * 10000 + 2);
	assert_non_null(deep);
	assert_non_null(wide);
	memset(deep, '[', 200);
	memset(deep + 200, ']', 200);
	deep[400] = 0;
	wide[0] = '[';
	for (int i = 0; i < 10000; i++)
		memcpy(wide + 1 + 2 * i, i < 9999 ? "1," : "1]", 2);
	wide[20001] = 0;
	for (int k = 0; k < 2; k++) {
		const char *t = k ? wide : deep;

		j = json_loadb(t, strlen(t), JSON_ALLOW_NUL, NULL);
		assert_non_null(j);
		assert_int_equal(jdoc_parse(&d, t, strlen(t)), 0);
		assert_true(json_equal(d.root, j));
		json_decref(j);
		jdoc_free(&d);
	}
	free(deep);
	free(wide);
	/* Keys of JSTR_BIG bytes and more stay jansson's: the same key, or its refusal of \u0000. */
	for (int k = 0; k < 2; k++) {
		size_t n = JSTR_BIG + 100;
		char *doc = malloc(n + 32);
		size_t len;

		assert_non_null(doc);
		doc[0] = '{';
		doc[1] = '"';
		memset(doc + 2, 'k', n);
		if (k)
			memcpy(doc + 2 + n / 2, "\\u0000", 6);
		len = 2 + n;
		len += (size_t)sprintf(doc + len, "\" : \"v\"}");
		j = json_loadb(doc, len, JSON_ALLOW_NUL, NULL);
		err = jdoc_parse(&d, doc, len);
		if (k) {
			assert_null(j);
			assert_int_equal(err, -EBADMSG);
		} else {
			assert_non_null(j);
			assert_int_equal(err, 0);
			assert_true(json_equal(d.root, j));
		}
		json_decref(j);
		jdoc_free(&d);
		free(doc);
	}
}

/* The text scanner stops at the first byte a JSON string cannot carry, wherever it falls. */
static void json_plain_stops(void **state)
{
	static const unsigned char stops[] = { '"', '\\', 0, 0x1f, '\n', 0x80, 0xc3, 0xff };
	char buf[80];

	(void)state;
	for (size_t n = 0; n <= sizeof(buf); n++) {
		memset(buf, 'a', sizeof(buf));
		assert_int_equal(bufutil_json_plain(buf, n, false), n);
		assert_int_equal(bufutil_json_plain(buf, n, true), n);
		/* Every place in a block of 16, a word of 8 and the tail, each kind of stop. */
		for (size_t at = 0; at < n; at++) {
			for (size_t k = 0; k < sizeof(stops); k++) {
				bool high = stops[k] >= 0x80;

				memset(buf, 'a', sizeof(buf));
				buf[at] = (char)stops[k];
				if (at + 1 < n)
					buf[at + 1] =
						'"'; /* a later stop must not hide the first */
				assert_int_equal(bufutil_json_plain(buf, n, true), at);
				assert_int_equal(bufutil_json_plain(buf, n, false),
						 high ? (at + 1 < n ? at + 1 : n) : at);
			}
		}
	}
	/* 0x7f and 0x20 are plain text; UTF-8 is, unless ascii is asked for. */
	assert_int_equal(bufutil_json_plain("\x7f \xc3\xa9zzzzzzzzzzzzzzzzzz", 22, false), 22);
	assert_int_equal(bufutil_json_plain("\x7f \xc3\xa9zzzzzzzzzzzzzzzzzz", 22, true), 2);
}

/* s as jdump writes jansson's tree of it, or NULL when s is not JSON. */
static char *dump_via_tree(const char *s, size_t n, size_t max)
{
	struct gbuf g = { 0 };
	struct jdoc d;
	char *out = NULL;

	if (!jdoc_parse(&d, s, n) && !jdump(&d, &g, d.root, max, false))
		out = strndup(g.p ? g.p : "", g.len);
	gbuf_free(&g);
	jdoc_free(&d);
	return out;
}

/* A text of n plain bytes (an é every 100: UTF-8 passes through), between quotes' worth of room. */
static char *long_text(size_t n)
{
	char *p = malloc(n + 1);

	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = "abcdefghij klmnopqrstuvwxyz."[i % 28];
	for (size_t i = 50; i + 1 < n; i += 100)
		memcpy(p + i, "\xc3\xa9", 2);
	p[n] = 0;
	return p;
}

/* jcompact without a tree writes what jdump writes with one, and says when it cannot. */
static void jcompact_is_jdump(void **state)
{
	static const struct {
		const char *doc;
		bool plain;
	} docs[] = {
		{ "{\"command\": \"ls -la /tmp\"}", true },
		{ " {\n  \"a\" : [ 1 , -2, 0, 123456789012345 ] ,\t\"b\":{}, \"c\": [ ] }\r\n",
		  true },
		{ "[true,false,null,\"x y\",{\"k\":\" a b \"}]", true },
		{ "{\"e\":\"q\\\" b\\\\ \\n\\r\\t\\b\\f\"}", true },
		{ "{\"u\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}", true },
		{ "{\"deep\":[[[[{\"k\":[1]}]]]],\"k\":[{\"k\":1},{\"k\":2}]}", true },
		/* jansson writes these its own way: the tree's. */
		{ "{\"r\":0.5}", false },
		{ "{\"r\":-0}", false },
		{ "{\"s\":\"\\/\"}", false },
		{ "{\"s\":\"\\u0041\\u00e9\\ud83d\\ude00\"}", false },
		{ "{\"s\":\"\\u0001W0\"}", false },
		{ "{\"a\":1,\"b\":2,\"a\":3}", false },
		{ "{\"a\\u0062\":1}", false },
		{ "[1e5]", false },
		{ "[1234567890123456]", false },
		{ "\"just a string\"", false },
		{ "7", false },
		/* Not JSON. */
		{ "{\"a\":1,}", false },
		{ "{\"a\" 1}", false },
		{ "", false },
		{ "[\"\\x\"]", false },
		{ "[\"\xc3(\"]", false },
		{ "{} {}", false },
	};
	char *big = long_text(3000), *doc = malloc(8000), *want;
	struct gbuf g = { 0 };
	size_t n;
	int r;

	(void)state;
	assert_non_null(doc);
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]) + 4; i++) {
		const char *d = i < sizeof(docs) / sizeof(docs[0]) ? docs[i].doc : doc;
		bool plain = i < sizeof(docs) / sizeof(docs[0]) ? docs[i].plain : true;
		size_t k = i - sizeof(docs) / sizeof(docs[0]);

		if (d == doc && k == 0) { /* a big string, escapes and all: jdump splices it back */
			sprintf(doc, "{ \"big\" : \"%.1400s\\u0041\\/%s\", \"n\": 1 }", big,
				big + 1400);
		} else if (d == doc && k == 1) { /* a big key (keys are ASCII to the scanner) */
			memset(doc, 'k', 1200);
			memcpy(doc, "{\"", 2);
			strcpy(doc + 1200, "\": [ \"v\" ]}");
		} else if (d == doc && k == 2) { /* more keys than repeats are looked for in */
			int o = sprintf(doc, "{");

			for (int j = 0; j < 70; j++)
				o += sprintf(doc + o, "%s\"k%d\": %d", j ? ", " : "", j, j);
			strcpy(doc + o, "}");
			plain = false;
		} else if (d == doc) { /* a long text without a big string: the common arguments */
			sprintf(doc, "{\"command\": \"echo %.900s\",\n \"timeout\": 30}", big);
		}
		n = strlen(d);
		want = dump_via_tree(d, n, SIZE_MAX);
		r = jcompact_plain(d, n, &g, SIZE_MAX);
		if (plain) {
			assert_int_equal(r, 0);
			assert_non_null(want);
			assert_int_equal(g.len, strlen(want));
			assert_memory_equal(g.p, want, g.len);
		} else {
			assert_int_equal(r, -EINVAL);
			assert_int_equal(g.total, 0);
		}
		gbuf_free(&g);
		/* And the whole of jcompact: the same text, or the same refusal. */
		r = jcompact(d, n, &g, SIZE_MAX);
		if (want) {
			assert_int_equal(r, 0);
			assert_int_equal(g.len, strlen(want));
			assert_memory_equal(g.p, want, g.len);
		} else {
			assert_int_equal(r, -EBADMSG);
		}
		gbuf_free(&g);
		/* Cut short, at every length around a two-byte character: the same prefix. */
		for (size_t max = 1; want && max < 64 && max < strlen(want); max += 3) {
			char *cut = dump_via_tree(d, n, max);

			assert_int_equal(jcompact(d, n, &g, max), 0);
			assert_int_equal(g.total, strlen(want));
			assert_string_equal(g.p, cut);
			gbuf_free(&g);
			free(cut);
		}
		free(want);
	}
	free(big);
	free(doc);
}

/* The tool call's strings for matching: walked without a tree as the tree walks them. */
static void json_strings_is_tree(void **state)
{
	static const struct {
		const char *doc;
		bool plain;
	} docs[] = {
		{ "{\"command\":\"ls -la\",\"env\":{\"A\":\"1\",\"B\":[\"x\",\"y\\n\\u00e9\"]},\"n\":5,"
		  "\"r\":0.5,\"t\":true}",
		  true },
		{ "[\"a\",[\"b\",[\"c\",[\"d\",[\"e\",[\"f\",[\"g\",[\"h\",[\"i\",[\"j\"]]]]]]]]]]",
		  true },
		{ "{}", true },
		{ "{\"a\":\"1\",\"a\":\"2\",\"b\":\"3\"}", false },
		{ "{\"k\":\"nul \\u0000 inside\"}", false },
		{ "\"top\"", false },
		{ "[1e5,\"x\"]", false },
		{ "{\"k\\u0065y\":\"v\"}", false },
		{ "not json", false },
	};
	char a[64], b[64];
	size_t la, lb;
	int ra, rb;

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		const char *d = docs[i].doc;
		size_t n = strlen(d);

		for (size_t cap = 1; cap <= sizeof(a); cap = cap < 8 ? cap + 1 : cap * 2) {
			memset(a, 'A', sizeof(a));
			memset(b, 'A', sizeof(b));
			rb = json_strings_tree(d, n, b, cap, &lb);
			ra = json_strings_plain(d, n, a, cap, &la);
			if (docs[i].plain) {
				assert_int_equal(ra, 0);
				assert_int_equal(rb, 0);
				assert_int_equal(la, lb);
				assert_memory_equal(a, b, la);
			} else {
				assert_int_equal(ra, -EINVAL);
			}
			/* The public call: either way the tree's result. */
			memset(a, 'A', sizeof(a));
			ra = llm_json_strings(d, n, a, cap, &la);
			assert_int_equal(ra, rb);
			assert_int_equal(la, lb);
			assert_memory_equal(a, b, la);
			assert_true(la < cap);
		}
	}
	assert_int_equal(llm_json_strings("{}", 2, a, 0, &la), -EINVAL);
	/* Depth first, one per line, nested values past eight levels left out, as the tree does. */
	ra = llm_json_strings(docs[1].doc, strlen(docs[1].doc), a, sizeof(a), &la);
	assert_int_equal(ra, 0);
	assert_int_equal(la, 16);
	assert_memory_equal(a, "a\nb\nc\nd\ne\nf\ng\nh\n", 16);
}

/* Trees share a per-thread block: nested and out-of-order lifetimes keep each one whole. */
static void jdoc_lifetimes(void **state)
{
	struct jdoc a, b, c;
	char big[16000];
	size_t n = 0;

	(void)state;
	assert_int_equal(jdoc_parse(&a, "{\"a\":\"one\"}", 11), 0);
	assert_int_equal(jdoc_parse(&b, "{\"b\":[1,2,3]}", 13), 0);
	jdoc_free(&a);
	assert_int_equal(jdoc_parse(&c, "{\"c\":{\"d\":\"two\"}}", 17), 0);
	assert_int_equal(json_array_size(json_object_get(b.root, "b")), 3);
	assert_string_equal(json_string_value(json_object_get(json_object_get(c.root, "c"), "d")),
			    "two");
	jdoc_free(&b);
	assert_string_equal(json_string_value(json_object_get(json_object_get(c.root, "c"), "d")),
			    "two");
	jdoc_free(&c);
	/* A tree larger than the block spills to malloc and is freed node by node. */
	big[n++] = '[';
	for (int i = 0; i < 1300; i++)
		n += sprintf(big + n, "{\"k\":%d},", i);
	big[n - 1] = ']';
	assert_int_equal(jdoc_parse(&a, big, n), 0);
	assert_true(a.in_arena && a.arena_spilled);
	assert_int_equal(jdoc_parse(&b, "{\"after\":true}", 14), 0);
	assert_true(json_is_true(json_object_get(b.root, "after")));
	assert_int_equal(json_array_size(a.root), 1300);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(a.root, 1299), "k")),
			 1299);
	jdoc_free(&a);
	jdoc_free(&b);
}

/* Strings of JSTR_BIG bytes and more are read outside jansson: same values, same errors. */
static void big_strings(void **state)
{
	size_t pad = 3000, n;
	char *body = malloc(4 * pad + 1024), *want = malloc(pad + 64), *p;
	struct llm_request *r;
	struct llm_response *resp;

	(void)state;
	assert_non_null(body);
	assert_non_null(want);
	/* Escapes of every kind in a big message, a big argument value, and a lookalike. */
	p = body +
	    sprintf(body, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"");
	memset(p, 'x', pad);
	p += pad;
	p += sprintf(p,
		     "\\\"q\\\" \\\\ \\/ \\n\\t\\u00e9\\ud83d\\ude00\xe2\x82\xac\"},"
		     "{\"role\":\"tool\",\"tool_call_id\":\"\\u0001W0\",\"content\":\"\\u0001W0\"},"
		     "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"function\":{\"name\":"
		     "\"write\",\"arguments\":\"{\\\"body\\\": \\\"");
	memset(p, 'y', pad);
	p += pad;
	p += sprintf(p, "\\\\n\\\"}\"}}]}]}");
	assert_int_equal(llm_request_parse(LLM_API_OPENAI_CHAT, "/", 1, (uint8_t *)body, p - body,
					   NULL, &r),
			 0);
	memset(want, 'x', pad);
	strcpy(want + pad, "\"q\" \\ / \n\t\xc3\xa9\xf0\x9f\x98\x80\xe2\x82\xac");
	assert_int_equal(r->n_messages, 3);
	assert_text(&r->messages[0].text, want);
	assert_text(&r->messages[1].text, "\x01W0");
	/* A short field that looks like a placeholder is read as what it is. */
	assert_string_equal(r->tool_results[0].tool_call_id, "\x01W0");
	n = sprintf(want, "{\"body\":\"");
	memset(want + n, 'y', pad);
	strcpy(want + n + pad, "\\n\"}");
	assert_call(&r->tool_calls[0], "c", "write", want, true);
	llm_request_free(r);

	/* An object argument with a big value: its JSON text comes back as it was. */
	p = body + sprintf(body,
			   "{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":"
			   "[{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"w\",\"input\":{\"a\":"
			   "[\"");
	memset(p, 'z', pad);
	p += pad;
	p += sprintf(p, "\\u00e9\"],\"b\":1}}]}]}");
	assert_int_equal(llm_request_parse(LLM_API_ANTHROPIC_MESSAGES, "/", 1, (uint8_t *)body,
					   p - body, NULL, &r),
			 0);
	n = sprintf(want, "{\"a\":[\"");
	memset(want + n, 'z', pad);
	strcpy(want + n + pad, "\\u00e9\"],\"b\":1}");
	assert_call(&r->tool_calls[0], "t", "w", want, true);
	llm_request_free(r);

	/* Bad escapes, lone surrogates, bad UTF-8, raw control bytes: not JSON. */
	static const char *const bad[] = { "\\x", "\\udc00", "\\ud800x", "\xc3(", "\x01", "\\u12" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = body + sprintf(body, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
					 "\"content\":\"");
		memset(p, 'x', pad);
		p += pad;
		p += sprintf(p, "%s\"}]}", bad[i]);
		r = (void *)1;
		assert_int_equal(llm_request_parse(LLM_API_OPENAI_CHAT, "/", 1, (uint8_t *)body,
						   p - body, NULL, &r),
				 -EBADMSG);
		assert_null(r);
	}

	/* A big reply text in a response body, split everywhere by the splitter. */
	p = body + sprintf(body, "{\"choices\":[{\"index\":0,\"message\":{\"content\":\"");
	memset(p, 'w', pad);
	p += pad;
	p += sprintf(p, "\\n\"},\"finish_reason\":\"stop\"}]}");
	resp = resp_body(LLM_API_OPENAI_CHAT, body, p - body, 1500, true, 0);
	assert_int_equal(resp->text.len, pad + 1);
	assert_int_equal(resp->text.ptr[pad], '\n');
	llm_response_free(resp);
	free(body);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_openai_chat_request, teardown),
		cmocka_unit_test_teardown(openai_chat_response, teardown),
		cmocka_unit_test_teardown(openai_chat_response_escapes, teardown),
		cmocka_unit_test_teardown(openai_chat_stream, teardown),
		cmocka_unit_test_teardown(openai_error_body, teardown),
		cmocka_unit_test_teardown(test_openai_responses_request, teardown),
		cmocka_unit_test_teardown(openai_responses_response, teardown),
		cmocka_unit_test_teardown(openai_responses_stream, teardown),
		cmocka_unit_test_teardown(test_anthropic_request, teardown),
		cmocka_unit_test_teardown(anthropic_response, teardown),
		cmocka_unit_test_teardown(anthropic_stream_test, teardown),
		cmocka_unit_test_teardown(test_gemini_request, teardown),
		cmocka_unit_test_teardown(gemini_response, teardown),
		cmocka_unit_test_teardown(test_ollama_request, teardown),
		cmocka_unit_test_teardown(ollama_response, teardown),
		cmocka_unit_test_teardown(test_mcp_request, teardown),
		cmocka_unit_test_teardown(mcp_response, teardown),
		cmocka_unit_test_teardown(classify_table, teardown),
		cmocka_unit_test_teardown(bad_shapes, teardown),
		cmocka_unit_test_teardown(limits, teardown),
		cmocka_unit_test_teardown(big_strings, teardown),
		cmocka_unit_test_teardown(jdoc_is_jansson, teardown),
		cmocka_unit_test_teardown(jdoc_lifetimes, teardown),
		cmocka_unit_test_teardown(json_plain_stops, teardown),
		cmocka_unit_test_teardown(jcompact_is_jdump, teardown),
		cmocka_unit_test_teardown(json_strings_is_tree, teardown),
		cmocka_unit_test_teardown(fast_path_escaped_keys, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

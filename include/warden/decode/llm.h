/* SPDX-License-Identifier: Apache-2.0 */
/*
 * LLM API extractors: recognise an HTTP request as a call to an LLM API (by
 * method, path and body shape, never by host alone: local servers and tests
 * use 127.0.0.1) and turn request and response bodies into typed records.
 * Pure: no I/O, no globals. The caller (the connection decoder) owns HTTP;
 * these functions see a path, a content type and body bytes.
 *
 * Providers and APIs:
 *   OpenAI     POST /v1/chat/completions, /v1/responses (any prefix, so
 *              proxies and gateways match), Azure OpenAI
 *              /openai/deployments/{d}/chat/completions?api-version=...
 *              (model = the deployment when the body names none)
 *   Anthropic  POST /v1/messages
 *   Gemini     POST /v1beta/models/{model}:generateContent and
 *              :streamGenerateContent (?alt=sse or a streamed JSON array)
 *   Ollama     POST /api/chat, /api/generate (NDJSON streams)
 *   MCP        POST with a JSON-RPC 2.0 body whose method is tools/call,
 *              tools/list, initialize, ... (any path)
 *
 * Every record owns its memory (one arena per record): strings are
 * NUL-terminated, valid UTF-8 (jansson's), and may hold NULs (use the
 * lengths). Kept text is bounded by struct llm_limits, with the true length
 * reported.
 */
#ifndef WARDEN_DECODE_LLM_H
#define WARDEN_DECODE_LLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum llm_provider {
	LLM_PROVIDER_NONE = 0,
	LLM_PROVIDER_OPENAI,
	LLM_PROVIDER_AZURE_OPENAI,
	LLM_PROVIDER_ANTHROPIC,
	LLM_PROVIDER_GEMINI,
	LLM_PROVIDER_OLLAMA,
	LLM_PROVIDER_MCP,
};

enum llm_api {
	LLM_API_NONE = 0,
	LLM_API_OPENAI_CHAT, /* chat/completions */
	LLM_API_OPENAI_RESPONSES, /* responses */
	LLM_API_ANTHROPIC_MESSAGES,
	LLM_API_GEMINI_GENERATE, /* generateContent */
	LLM_API_GEMINI_STREAM, /* streamGenerateContent */
	LLM_API_OLLAMA_CHAT,
	LLM_API_OLLAMA_GENERATE,
	LLM_API_MCP, /* JSON-RPC 2.0 */
};

/* "openai", "anthropic", ...; "none". */
const char *llm_provider_name(enum llm_provider p);
/* "chat.completions", "responses", "messages", "generateContent", ... */
const char *llm_api_name(enum llm_api a);

struct llm_limits {
	size_t max_text; /* bytes kept of one text (a message, the system prompt, a reply) */
	size_t max_messages; /* messages kept per request (the last ones: the newest matter) */
	size_t max_tools; /* tool names kept */
	size_t max_tool_calls; /* tool calls kept per response */
	size_t max_args; /* bytes kept of one tool call's arguments (JSON text) */
	size_t max_body; /* body bytes a response builder buffers (non-streaming bodies) */
};

/* 256 KiB text, 256 messages, 128 tools, 64 tool calls, 64 KiB args, 8 MiB body. */
struct llm_limits llm_limits_default(void);

/* A text kept up to a limit: len <= total; truncated when len < total. */
struct llm_text {
	const char *ptr; /* NULL when absent */
	size_t len;
	uint64_t total;
	bool truncated;
};

struct llm_message {
	const char *role; /* "system", "user", "assistant", "tool", "developer", ... */
	struct llm_text text; /* text parts joined with "\n" */
};

/* A tool result being sent back to the model in a request. */
struct llm_tool_result {
	const char *tool_call_id; /* "" when the API has none (Gemini, Ollama): then name */
	const char *name; /* "" when unknown */
	struct llm_text content;
	bool is_error;
};

/* A tool call the model asked for (responses), or one echoed back in a request's history. */
struct llm_tool_call {
	const char *id; /* "" when the API gives none */
	const char *name;
	/*
	 * The arguments as compact JSON text when they parsed as JSON
	 * (args_json true), else the raw text the model produced. Streamed
	 * arguments cut at max_args cannot be parsed: the raw prefix.
	 */
	struct llm_text args;
	bool args_json;
};

struct llm_usage {
	int64_t input_tokens; /* -1 when not reported */
	int64_t output_tokens;
	int64_t cache_read_tokens;
	int64_t total_tokens;
};

struct llm_request {
	enum llm_provider provider;
	enum llm_api api;
	const char *model; /* "" when not named */
	bool stream;
	struct llm_text system; /* system prompt / instructions; ptr NULL when none */
	struct llm_message *messages;
	size_t n_messages; /* kept */
	size_t messages_total; /* in the request */
	const char **tools; /* names of the tools offered */
	size_t n_tools;
	size_t tools_total;
	struct llm_tool_result *tool_results; /* the last max_tool_calls */
	size_t n_tool_results;
	size_t tool_results_total;
	/* Tool calls echoed back in the history (assistant turns): the last max_tool_calls. */
	struct llm_tool_call *tool_calls;
	size_t n_tool_calls;
	size_t tool_calls_total;
	/* MCP: method ("tools/call", "tools/list", ...), the tool and its arguments. */
	const char *mcp_method; /* NULL unless api == LLM_API_MCP */
	const char *mcp_id; /* JSON-RPC id as text ("7", "\"abc\""); "" for notifications */
	const char *mcp_tool; /* tools/call: params.name; NULL for other methods */
	struct llm_text mcp_args; /* tools/call: params.arguments as compact JSON */
};

struct llm_response {
	enum llm_provider provider;
	enum llm_api api;
	const char *model; /* "" when not named */
	bool stream; /* it came as a stream (SSE, NDJSON, JSON array) */
	bool complete; /* the stream or body ended properly */
	int http_status;
	struct llm_text text; /* the assistant's text, stream deltas assembled */
	struct llm_tool_call *tool_calls;
	size_t n_tool_calls;
	size_t tool_calls_total;
	const char *stop_reason; /* "stop", "tool_calls", "end_turn", "tool_use", ...; "" */
	struct llm_usage usage;
	const char *error; /* the API's error message (an error body or event); NULL when none */
	/* MCP */
	const char *mcp_id;
	struct llm_text mcp_result; /* result (content text joined) or error message */
	bool mcp_is_error;
	const char **mcp_tools; /* tools/list result: tool names (max_tools kept) */
	size_t n_mcp_tools;
	size_t mcp_tools_total;
	/* Body bytes fed; truncated: a JSON value in it was over max_body and skipped. */
	uint64_t body_bytes;
	bool body_truncated;
};

/*
 * What API a request is, from its method, target (path and query) and
 * content type; for MCP the body is looked at (a JSON-RPC 2.0 object or
 * batch). Cheap: called on every HTTP request. *provider is set too.
 */
enum llm_api llm_classify(const char *method, size_t method_len, const char *target,
			  size_t target_len, const char *content_type, size_t content_type_len,
			  const uint8_t *body, size_t body_len, enum llm_provider *provider);

/*
 * The request body of a classified request. target is needed for models and
 * stream flags named in the path (Gemini, Azure). 0 and *out, or -EBADMSG
 * (not JSON or not the API's shape), -ENOMEM. lim NULL: the defaults.
 */
int llm_request_parse(enum llm_api api, const char *target, size_t target_len,
		      const uint8_t *body, size_t body_len, const struct llm_limits *lim,
		      struct llm_request **out);
void llm_request_free(struct llm_request *r);

/*
 * Every string value of the JSON text s[0..n) (a tool call's arguments),
 * unescaped, one per line, depth first, in at most cap - 1 bytes of buf
 * (cut there); *len is how many. 0, or -EBADMSG when s is not JSON (or has
 * a NUL in a string), -EINVAL when cap is 0.
 */
int llm_json_strings(const char *s, size_t n, char *buf, size_t cap, size_t *len);

/*
 * Builds a response from what arrives: SSE events (the caller splits
 * text/event-stream), or raw body bytes for everything else (JSON bodies,
 * Ollama's NDJSON, Gemini's streamed JSON array), in any pieces. Memory is
 * bounded by lim whatever the input.
 */
struct llm_response_builder;

int llm_response_builder_new(enum llm_api api, const struct llm_limits *lim,
			     struct llm_response_builder **out);
void llm_response_builder_free(struct llm_response_builder *b);
/* One SSE event: its type ("message" when none) and data. 0, or -ENOMEM. */
int llm_response_feed_sse(struct llm_response_builder *b, const char *event, size_t event_len,
			  const char *data, size_t data_len);
/* Body bytes that are not SSE. 0, or -ENOMEM. */
int llm_response_feed_body(struct llm_response_builder *b, const uint8_t *data, size_t len);
/*
 * The body ended (complete: properly; false: cut by a gap, reset or close).
 * 0 and *out, -EBADMSG when nothing in it was the API's shape (still a
 * response: *out is set, with error "unrecognised body"), -ENOMEM.
 */
int llm_response_finish(struct llm_response_builder *b, int http_status, bool complete,
			struct llm_response **out);
void llm_response_free(struct llm_response *r);

#endif

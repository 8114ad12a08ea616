// SPDX-License-Identifier: Apache-2.0
/*
 * Gemini API: models/{model}:generateContent and :streamGenerateContent (SSE
 * with alt=sse, else one JSON array streamed). The REST API takes the proto
 * field names in both spellings (systemInstruction, system_instruction).
 */
#include <errno.h>
#include <string.h>

#include "llm_internal.h"

static const json_t *get2(const json_t *o, const char *camel, const char *snake)
{
	const json_t *v = json_object_get(o, camel);

	return v ? v : json_object_get(o, snake);
}

static void tools(struct rq_ctx *c, const json_t *arr)
{
	const json_t *t, *decls, *d;
	const char *name, *key;
	size_t i, k, n;

	json_array_foreach(arr, i, t) {
		decls = get2(t, "functionDeclarations", "function_declarations");
		if (json_is_array(decls)) {
			json_array_foreach(decls, k, d) {
				name = jstr(d, "name", &n);
				rq_tool(c, name, n);
			}
			continue;
		}
		/* Built-in tools are keys: {"googleSearch": {}}, {"codeExecution": {}}. */
		key = json_object_iter_key(json_object_iter((json_t *)t));
		if (key)
			rq_tool(c, key, strlen(key));
	}
}

int gemini_request(struct rq_ctx *c, const json_t *root)
{
	const json_t *contents = json_object_get(root, "contents"), *m, *p, *f, *v;
	const char *role, *id, *name;
	size_t i, k, role_len, id_len, name_len;

	if (!json_is_object(root) || !json_is_array(contents))
		return -EBADMSG;
	v = get2(root, "systemInstruction", "system_instruction");
	if (v && !json_is_null(v))
		rq_system(c, v);
	json_array_foreach(contents, i, m) {
		if (!json_is_object(m))
			continue;
		role = jstr(m, "role", &role_len);
		if (!role) {
			/* Optional in single-turn requests: the user speaks. */
			role = "user";
			role_len = 4;
		}
		rq_msg(c, role, role_len, m);
		json_array_foreach(json_object_get(m, "parts"), k, p) {
			if ((f = get2(p, "functionCall", "function_call"))) {
				id = jstr(f, "id", &id_len);
				name = jstr(f, "name", &name_len);
				rq_call(c, id, id_len, name, name_len, json_object_get(f, "args"));
			} else if ((f = get2(p, "functionResponse", "function_response"))) {
				id = jstr(f, "id", &id_len);
				name = jstr(f, "name", &name_len);
				rq_result(c, id, id_len, name, name_len,
					  json_object_get(f, "response"), false);
			}
		}
	}
	tools(c, json_object_get(root, "tools"));
	return 0;
}

static void chunk(struct llm_response_builder *b, const json_t *j)
{
	const json_t *cands = json_object_get(j, "candidates"), *u, *cand, *p, *f, *t;
	const char *id, *name;
	size_t i, id_len, name_len;

	if (b_error_obj(b, j))
		return;
	u = json_object_get(j, "usageMetadata");
	t = json_object_get(j, "promptFeedback");
	if (!json_is_array(cands) && !json_is_object(u) && !json_is_object(t))
		return;
	b->recognised = true;
	if (!b->model)
		b_set_j(b, &b->model, j, "modelVersion");
	if (json_is_object(u)) {
		/* Counts in every chunk are running totals: the last one stands. */
		b_usage(&b->usage.input_tokens, u, "promptTokenCount");
		b_usage(&b->usage.output_tokens, u, "candidatesTokenCount");
		b_usage(&b->usage.total_tokens, u, "totalTokenCount");
		b_usage(&b->usage.cache_read_tokens, u, "cachedContentTokenCount");
	}
	if (jstr(t, "blockReason", NULL)) {
		b_set_j(b, &b->stop, t, "blockReason");
		b->terminal = true;
	}
	cand = json_array_get(cands, 0);
	if (!cand)
		return;
	json_array_foreach(json_object_get(json_object_get(cand, "content"), "parts"), i, p) {
		t = json_object_get(p, "text");
		if (json_is_string(t) && !jbool(p, "thought", false)) {
			/* Parts and chunks are pieces of one reply: no separators. */
			b_text_j(b, t);
		} else if ((f = get2(p, "functionCall", "function_call"))) {
			id = jstr(f, "id", &id_len);
			name = jstr(f, "name", &name_len);
			b_call_whole(b, id, id_len, name, name_len, json_object_get(f, "args"));
		}
	}
	if (jstr(cand, "finishReason", NULL)) {
		b_set_j(b, &b->stop, cand, "finishReason");
		b->terminal = true;
	}
	if (b->api == LLM_API_GEMINI_GENERATE)
		b->terminal = true;
}

void gemini_on_json(struct llm_response_builder *b, const json_t *j)
{
	const json_t *v;
	size_t i;

	if (!json_is_array(j)) {
		chunk(b, j);
		return;
	}
	/* A whole streamed array in one SSE event or one piece. */
	b->stream_hint = true;
	json_array_foreach(j, i, v)
		chunk(b, v);
}

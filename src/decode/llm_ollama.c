// SPDX-License-Identifier: Apache-2.0
/*
 * Ollama's native API: /api/chat and /api/generate. Streams are NDJSON, and
 * streaming is the default: a request without "stream" streams.
 */
#include <errno.h>
#include <string.h>

#include "llm_internal.h"

int ollama_request(struct rq_ctx *c, const json_t *root)
{
	const json_t *m, *tc, *fn, *v;
	const char *role, *id, *name;
	size_t i, k, role_len, id_len, name_len, n;
	const char *model = jstr(root, "model", &n);

	if (!json_is_object(root) || !model)
		return -EBADMSG;
	rq_model(c, model, n);
	c->r->stream = jbool(root, "stream", true);
	if (c->r->api == LLM_API_OLLAMA_GENERATE) {
		v = json_object_get(root, "system");
		if (json_is_string(v))
			rq_system(c, v);
		v = json_object_get(root, "prompt");
		if (json_is_string(v))
			rq_msg(c, "user", 4, v);
		return 0;
	}
	v = json_object_get(root, "messages");
	if (v && !json_is_array(v))
		return -EBADMSG;
	json_array_foreach(v, i, m) {
		role = jstr(m, "role", &role_len);
		if (!role)
			continue;
		if (!strcmp(role, "system"))
			rq_system(c, json_object_get(m, "content"));
		rq_msg(c, role, role_len, json_object_get(m, "content"));
		if (!strcmp(role, "tool")) {
			id = jstr(m, "tool_call_id", &id_len);
			name = jstr(m, "tool_name", &name_len);
			if (!name)
				name = jstr(m, "name", &name_len);
			rq_result(c, id, id_len, name, name_len, json_object_get(m, "content"),
				  false);
		}
		json_array_foreach(json_object_get(m, "tool_calls"), k, tc) {
			fn = json_object_get(tc, "function");
			id = jstr(tc, "id", &id_len);
			name = jstr(fn, "name", &name_len);
			rq_call(c, id, id_len, name, name_len, json_object_get(fn, "arguments"));
		}
	}
	json_array_foreach(json_object_get(root, "tools"), i, v) {
		name = jstr(json_object_get(v, "function"), "name", &name_len);
		rq_tool(c, name, name_len);
	}
	return 0;
}

void ollama_on_json(struct llm_response_builder *b, const json_t *j)
{
	const json_t *msg, *tc, *fn, *v;
	const char *id, *name;
	size_t i, id_len, name_len;

	if (b_error_obj(b, j))
		return;
	msg = json_object_get(j, "message");
	v = json_object_get(j, "response");
	if (!json_is_boolean(json_object_get(j, "done")) && !json_is_object(msg) &&
	    !json_is_string(v))
		return;
	b->recognised = true;
	if (!b->model)
		b_set_j(b, &b->model, j, "model");
	b_text_j(b, v);
	b_text_j(b, json_object_get(msg, "content"));
	json_array_foreach(json_object_get(msg, "tool_calls"), i, tc) {
		fn = json_object_get(tc, "function");
		id = jstr(tc, "id", &id_len);
		name = jstr(fn, "name", &name_len);
		b_call_whole(b, id, id_len, name, name_len, json_object_get(fn, "arguments"));
	}
	if (!jbool(j, "done", false)) {
		b->stream_hint = true;
		return;
	}
	b->terminal = true;
	b_set_j(b, &b->stop, j, "done_reason");
	b_usage(&b->usage.input_tokens, j, "prompt_eval_count");
	b_usage(&b->usage.output_tokens, j, "eval_count");
}

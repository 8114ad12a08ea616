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

/* The hot line: a chunk of text, not done. */
bool ollama_fast(struct llm_response_builder *b, const char *d, size_t n)
{
	struct jval top, k, v, mk, mv, model = { 0 }, resp = { 0 }, content = { 0 };
	bool done = false, msg = false;
	struct jscan c, mc;
	const char *s;
	size_t len;
	int r;

	if (!js_top(d, n, &top))
		return false;
	js_begin(&c, &top);
	while ((r = js_obj_next(&c, &k, &v)) > 0) {
		if (js_is(&k, "done")) {
			if (done || v.type != JV_BOOL || v.p[0] != 'f')
				return false;
			done = true;
		} else if (js_is(&k, "model")) {
			if (model.type)
				return false;
			model = v;
		} else if (js_is(&k, "response")) {
			if (resp.type || v.type != JV_STR)
				return false;
			resp = v;
		} else if (js_is(&k, "message")) {
			if (msg || v.type != JV_OBJ)
				return false;
			msg = true;
			js_begin(&mc, &v);
			while ((r = js_obj_next(&mc, &mk, &mv)) > 0) {
				if (js_is(&mk, "content") && mv.type == JV_STR && !content.type)
					content = mv;
				else if (!(js_is(&mk, "role") && mv.type == JV_STR))
					return false;
			}
			if (r < 0)
				return false;
		} else if (js_is(&k, "error")) {
			return false;
		}
	}
	if (r < 0 || !done)
		return false;
	b->recognised = true;
	b->stream_hint = true;
	if (!b->model && model.type == JV_STR && (s = js_text(b, &model, &len)) && len)
		b_set(b, &b->model, s, len, LLM_STR_MAX);
	if (resp.type && (s = js_text(b, &resp, &len)))
		b_text(b, s, len);
	if (content.type && (s = js_text(b, &content, &len)))
		b_text(b, s, len);
	return true;
}

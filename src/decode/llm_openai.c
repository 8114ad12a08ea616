// SPDX-License-Identifier: Apache-2.0
/*
 * OpenAI: Chat Completions (also Azure's deployments, and every server that
 * copies the API: vLLM, llama.cpp, Ollama's /v1) and the Responses API.
 */
#include <errno.h>
#include <string.h>

#include "llm_internal.h"

static bool is_system_role(const char *role)
{
	return role && (!strcmp(role, "system") || !strcmp(role, "developer"));
}

/* ---- Chat Completions ---- */

static void chat_tools(struct rq_ctx *c, const json_t *tools)
{
	const json_t *t, *fn;
	const char *name;
	size_t i, n;

	json_array_foreach(tools, i, t)
	{
		fn = json_object_get(t, "function");
		if (!fn)
			fn = json_object_get(t, "custom");
		name = jstr(fn, "name", &n);
		if (!name)
			name = jstr(t, "name", &n);
		if (!name)
			name = jstr(t, "type", &n);
		rq_tool(c, name, n);
	}
}

int openai_chat_request(struct rq_ctx *c, const json_t *root)
{
	const json_t *msgs = json_object_get(root, "messages"), *m, *tc, *fn, *content;
	const char *role, *id, *name;
	size_t i, k, role_len, id_len, name_len, n;
	const char *model = jstr(root, "model", &n);

	if (!json_is_object(root) || !json_is_array(msgs))
		return -EBADMSG;
	rq_model(c, model, n);
	c->r->stream = jbool(root, "stream", false);
	json_array_foreach(msgs, i, m)
	{
		role = jstr(m, "role", &role_len);
		if (!role)
			continue;
		content = json_object_get(m, "content");
		if (is_system_role(role))
			rq_system(c, content);
		rq_msg(c, role, role_len, content);
		if (!strcmp(role, "tool") || !strcmp(role, "function")) {
			id = jstr(m, "tool_call_id", &id_len);
			name = jstr(m, "name", &name_len);
			rq_result(c, id, id_len, name, name_len, content, false);
		}
		json_array_foreach(json_object_get(m, "tool_calls"), k, tc)
		{
			fn = json_object_get(tc, "function");
			id = jstr(tc, "id", &id_len);
			name = jstr(fn, "name", &name_len);
			rq_call(c, id, id_len, name, name_len, json_object_get(fn, "arguments"));
		}
		/* The deprecated single function_call. */
		fn = json_object_get(m, "function_call");
		if (json_is_object(fn)) {
			name = jstr(fn, "name", &name_len);
			rq_call(c, NULL, 0, name, name_len, json_object_get(fn, "arguments"));
		}
	}
	chat_tools(c, json_object_get(root, "tools"));
	chat_tools(c, json_object_get(root, "functions"));
	return 0;
}

static void chat_usage(struct llm_response_builder *b, const json_t *u)
{
	if (!json_is_object(u))
		return;
	b_usage(&b->usage.input_tokens, u, "prompt_tokens");
	b_usage(&b->usage.output_tokens, u, "completion_tokens");
	b_usage(&b->usage.total_tokens, u, "total_tokens");
	b_usage(&b->usage.cache_read_tokens, json_object_get(u, "prompt_tokens_details"),
		"cached_tokens");
}

static void chat_delta(struct llm_response_builder *b, const json_t *delta)
{
	const json_t *tc, *fn;
	struct tcacc *t;
	size_t i, n;
	const char *s;

	b_text_j(b, json_object_get(delta, "content"));
	json_array_foreach(json_object_get(delta, "tool_calls"), i, tc)
	{
		int64_t idx = jint(tc, "index", (int64_t)i);

		/* Fragments of one call share its index: the first names it. */
		t = b_call(b, (uint64_t)idx & ~(1ull << 63), true);
		if (!t)
			continue;
		fn = json_object_get(tc, "function");
		if ((s = jstr(tc, "id", &n)) && n)
			b_set(b, &t->id, s, n, LLM_STR_MAX);
		if ((s = jstr(fn, "name", &n)) && n && !t->name)
			b_set(b, &t->name, s, n, LLM_STR_MAX);
		if ((s = jstr(fn, "arguments", &n)))
			b_call_args(b, t, s, n);
	}
}

static void chat_message(struct llm_response_builder *b, const json_t *msg)
{
	const json_t *tc, *fn;
	const char *id, *name;
	size_t i, id_len, name_len;

	b_text_j(b, json_object_get(msg, "content"));
	json_array_foreach(json_object_get(msg, "tool_calls"), i, tc)
	{
		fn = json_object_get(tc, "function");
		id = jstr(tc, "id", &id_len);
		name = jstr(fn, "name", &name_len);
		b_call_whole(b, id, id_len, name, name_len, json_object_get(fn, "arguments"));
	}
	fn = json_object_get(msg, "function_call");
	if (json_is_object(fn)) {
		name = jstr(fn, "name", &name_len);
		b_call_whole(b, NULL, 0, name, name_len, json_object_get(fn, "arguments"));
	}
}

void openai_chat_on_json(struct llm_response_builder *b, const json_t *j)
{
	const json_t *choices = json_object_get(j, "choices"), *ch, *pick = NULL, *v;
	size_t i;

	if (b_error_obj(b, j) || !json_is_array(choices))
		return;
	b->recognised = true;
	if (!b->model)
		b_set_j(b, &b->model, j, "model");
	chat_usage(b, json_object_get(j, "usage"));
	/* n > 1 asks for alternatives: the first one stands for the reply. */
	json_array_foreach(choices, i, ch)
	{
		if (jint(ch, "index", 0) == 0) {
			pick = ch;
			break;
		}
	}
	if (!pick)
		return;
	if ((v = json_object_get(pick, "delta"))) {
		b->stream_hint = true;
		chat_delta(b, v);
	} else if ((v = json_object_get(pick, "message"))) {
		chat_message(b, v);
		b->terminal = true;
	}
	if (jstr(pick, "finish_reason", NULL)) {
		b_set_j(b, &b->stop, pick, "finish_reason");
		b->terminal = true;
	}
}

/* ---- Responses ---- */

int openai_responses_request(struct rq_ctx *c, const json_t *root)
{
	const json_t *input = json_object_get(root, "input"), *it, *v;
	const char *type, *role, *id, *name;
	size_t i, role_len, id_len, name_len, n;
	const char *model = jstr(root, "model", &n);

	if (!json_is_object(root) || (!model && !input) ||
	    (input && !json_is_string(input) && !json_is_array(input)))
		return -EBADMSG;
	rq_model(c, model, n);
	c->r->stream = jbool(root, "stream", false);
	v = json_object_get(root, "instructions");
	if (json_is_string(v))
		rq_system(c, v);
	if (json_is_string(input))
		rq_msg(c, "user", 4, input);
	json_array_foreach(input, i, it)
	{
		if (json_is_string(it)) {
			rq_msg(c, "user", 4, it);
			continue;
		}
		type = jstr(it, "type", NULL);
		role = jstr(it, "role", &role_len);
		if (role && (!type || !strcmp(type, "message"))) {
			v = json_object_get(it, "content");
			if (is_system_role(role))
				rq_system(c, v);
			rq_msg(c, role, role_len, v);
		} else if (type && (!strcmp(type, "function_call_output") ||
				    !strcmp(type, "custom_tool_call_output"))) {
			id = jstr(it, "call_id", &id_len);
			rq_result(c, id, id_len, NULL, 0, json_object_get(it, "output"), false);
		} else if (type && !strcmp(type, "function_call")) {
			id = jstr(it, "call_id", &id_len);
			name = jstr(it, "name", &name_len);
			rq_call(c, id, id_len, name, name_len, json_object_get(it, "arguments"));
		}
	}
	json_array_foreach(json_object_get(root, "tools"), i, it)
	{
		/* Built-in tools (web_search, file_search, ...) go by their type. */
		name = jstr(it, "name", &name_len);
		if (!name)
			name = jstr(it, "type", &name_len);
		rq_tool(c, name, name_len);
	}
	return 0;
}

/* Text parts are keyed by where they are: output item and content part. */
static uint64_t part_key(const json_t *j)
{
	return ((uint64_t)jint(j, "output_index", 0) << 24) + (uint64_t)jint(j, "content_index", 0);
}

/* A whole response object: the body, or what response.completed carries. */
static void responses_full(struct llm_response_builder *b, const json_t *resp)
{
	const json_t *out = json_object_get(resp, "output"), *it, *p, *u, *e;
	const char *type, *id, *name, *s;
	size_t i, k, id_len, name_len, n;

	if (!json_is_object(resp))
		return;
	b->recognised = true;
	b_set_j(b, &b->model, resp, "model");
	b_set_j(b, &b->stop, resp, "status");
	e = json_object_get(resp, "error");
	if (json_is_object(e) && (s = jstr(e, "message", &n)))
		b_set(b, &b->error, s, n, LLM_ERR_MAX);
	u = json_object_get(resp, "usage");
	if (json_is_object(u)) {
		b_usage(&b->usage.input_tokens, u, "input_tokens");
		b_usage(&b->usage.output_tokens, u, "output_tokens");
		b_usage(&b->usage.total_tokens, u, "total_tokens");
		b_usage(&b->usage.cache_read_tokens, json_object_get(u, "input_tokens_details"),
			"cached_tokens");
	}
	if (!json_is_array(out))
		return;
	/* The whole response is the truth: what the deltas built goes. */
	b->text.len = 0;
	b->text.total = 0;
	b->text_part_any = false;
	b_calls_clear(b);
	json_array_foreach(out, i, it)
	{
		type = jstr(it, "type", NULL);
		if (!type)
			continue;
		if (!strcmp(type, "message")) {
			json_array_foreach(json_object_get(it, "content"), k, p)
			{
				s = jstr(p, "type", NULL);
				if (!s || strcmp(s, "output_text") ||
				    !json_is_string(json_object_get(p, "text")))
					continue;
				b_text_part(b, ((uint64_t)i << 24) + k);
				b_text_j(b, json_object_get(p, "text"));
			}
		} else if (!strcmp(type, "function_call")) {
			id = jstr(it, "call_id", &id_len);
			name = jstr(it, "name", &name_len);
			b_call_whole(b, id, id_len, name, name_len,
				     json_object_get(it, "arguments"));
		}
	}
}

static void responses_item(struct llm_response_builder *b, const json_t *j, bool done)
{
	const json_t *item = json_object_get(j, "item");
	struct tcacc *t;
	const char *s, *type = jstr(item, "type", NULL);
	size_t n;

	if (!type || strcmp(type, "function_call"))
		return;
	t = b_call(b, (uint64_t)jint(j, "output_index", 0), true);
	if (!t)
		return;
	if ((s = jstr(item, "call_id", &n)) && n)
		b_set(b, &t->id, s, n, LLM_STR_MAX);
	if ((s = jstr(item, "name", &n)) && n)
		b_set(b, &t->name, s, n, LLM_STR_MAX);
	/* Added has "" (the deltas follow); done has them all. */
	if (done && jstr(item, "arguments", NULL))
		b_call_args_set(b, t, json_object_get(item, "arguments"));
}

void openai_responses_on_json(struct llm_response_builder *b, const json_t *j)
{
	const char *type = jstr(j, "type", NULL), *s;
	const json_t *v;
	struct tcacc *t;
	size_t n;

	if (!type) {
		if (b_error_obj(b, j))
			return;
		if (json_is_array(json_object_get(j, "output")) || jstr(j, "status", NULL)) {
			responses_full(b, j);
			b->terminal = true;
		}
		return;
	}
	if (!strcmp(type, "error")) {
		s = jstr(j, "message", &n);
		if (!s)
			s = jstr(json_object_get(j, "error"), "message", &n);
		if (!s) {
			s = "error";
			n = 5;
		}
		b_set(b, &b->error, s, n, LLM_ERR_MAX);
		b->recognised = true;
		b->terminal = true;
		return;
	}
	if (strncmp(type, "response.", 9))
		return;
	b->recognised = true;
	b->stream_hint = true;
	type += 9;
	if (!strcmp(type, "output_text.delta")) {
		if (jstr(j, "delta", NULL)) {
			b_text_part(b, part_key(j));
			b_text_j(b, json_object_get(j, "delta"));
		}
	} else if (!strcmp(type, "function_call_arguments.delta")) {
		t = b_call(b, (uint64_t)jint(j, "output_index", 0), false);
		if ((s = jtext(b->doc, json_object_get(j, "delta"), &n)))
			b_call_args(b, t, s, n);
	} else if (!strcmp(type, "function_call_arguments.done")) {
		t = b_call(b, (uint64_t)jint(j, "output_index", 0), false);
		if ((v = json_object_get(j, "arguments")) && json_is_string(v))
			b_call_args_set(b, t, v);
	} else if (!strcmp(type, "output_item.added")) {
		responses_item(b, j, false);
	} else if (!strcmp(type, "output_item.done")) {
		responses_item(b, j, true);
	} else if (!strcmp(type, "created") || !strcmp(type, "in_progress")) {
		v = json_object_get(j, "response");
		if (!b->model)
			b_set_j(b, &b->model, v, "model");
	} else if (!strcmp(type, "completed") || !strcmp(type, "incomplete") ||
		   !strcmp(type, "failed")) {
		responses_full(b, json_object_get(j, "response"));
		b->terminal = true;
	}
}

/* ---- the hot path: a chunk with a text delta and nothing else of note ---- */

/*
 * tool_calls: [{"index": N, "function": {"arguments": "..."}}], the shape
 * of every fragment after a call's first (which names it, and takes the
 * tree): one call, its index, its piece of arguments, nothing else.
 */
static bool tool_args_fast(const struct jval *arr, uint64_t *idx, struct jval *args)
{
	struct jscan c, tc, fc;
	struct jval el, k, v, fk, fv;
	bool have_idx = false;
	int r;

	if (arr->type != JV_ARR)
		return false;
	js_begin(&c, arr);
	if (js_arr_next(&c, &el) <= 0 || js_arr_next(&c, &v) != 0 || el.type != JV_OBJ)
		return false;
	js_begin(&tc, &el);
	while ((r = js_obj_next(&tc, &k, &v)) > 0) {
		if (js_is(&k, "index") && !have_idx) {
			if (!js_uint(&v, idx))
				return false;
			have_idx = true;
		} else if (js_is(&k, "function") && v.type == JV_OBJ && !args->type) {
			js_begin(&fc, &v);
			while ((r = js_obj_next(&fc, &fk, &fv)) > 0) {
				if (!js_is(&fk, "arguments") || fv.type != JV_STR || args->type)
					return false;
				*args = fv;
			}
			if (r < 0)
				return false;
		} else {
			return false;
		}
	}
	return r == 0 && have_idx && args->type;
}

static bool chunk_delta_fast(const struct jval *delta, struct jval *content, uint64_t *idx,
			     struct jval *args)
{
	struct jscan c;
	struct jval k, v;
	int r;

	if (delta->type != JV_OBJ)
		return false;
	js_begin(&c, delta);
	while ((r = js_obj_next(&c, &k, &v)) > 0) {
		if (js_is(&k, "content") && !content->type &&
		    (v.type == JV_STR || v.type == JV_NULL))
			*content = v;
		else if (js_is(&k, "tool_calls") && !args->type) {
			if (!tool_args_fast(&v, idx, args))
				return false;
		} else if (!(js_is(&k, "role") && v.type == JV_STR) &&
			   !(js_is(&k, "refusal") && v.type == JV_NULL))
			return false;
	}
	return r == 0;
}

static bool chunk_choice_fast(const struct jval *ch, struct jval *content, uint64_t *call,
			      struct jval *args)
{
	struct jscan c;
	struct jval k, v;
	bool delta = false;
	uint64_t idx;
	int r;

	if (ch->type != JV_OBJ)
		return false;
	js_begin(&c, ch);
	while ((r = js_obj_next(&c, &k, &v)) > 0) {
		if (js_is(&k, "index")) {
			if (!js_uint(&v, &idx) || idx)
				return false;
		} else if (js_is(&k, "delta")) {
			if (delta || !chunk_delta_fast(&v, content, call, args))
				return false;
			delta = true;
		} else if (!((js_is(&k, "finish_reason") || js_is(&k, "logprobs")) &&
			     v.type == JV_NULL)) {
			return false;
		}
	}
	return r == 0 && delta;
}

bool openai_chat_fast(struct llm_response_builder *b, const char *d, size_t n)
{
	struct jval top, k, v, ch, model = { 0 }, content = { 0 }, args = { 0 };
	struct jscan c, cc;
	bool choice = false;
	uint64_t call = 0;
	struct tcacc *t;
	const char *s;
	size_t len;
	int r;

	if (!js_top(d, n, &top))
		return false;
	js_begin(&c, &top);
	while ((r = js_obj_next(&c, &k, &v)) > 0) {
		if (js_is(&k, "choices")) {
			/* One choice: with n > 1 the tree decides which. */
			if (choice || v.type != JV_ARR)
				return false;
			js_begin(&cc, &v);
			if (js_arr_next(&cc, &ch) <= 0 || js_arr_next(&cc, &v) != 0 ||
			    !chunk_choice_fast(&ch, &content, &call, &args))
				return false;
			choice = true;
		} else if (js_is(&k, "model")) {
			if (model.type)
				return false;
			model = v;
		} else if (js_is(&k, "usage") || js_is(&k, "error")) {
			if (v.type != JV_NULL)
				return false;
		}
	}
	if (r < 0 || !choice)
		return false;
	b->recognised = true;
	b->stream_hint = true;
	if (!b->model && model.type == JV_STR && (s = js_text(b, &model, &len)) && len)
		b_set(b, &b->model, s, len, LLM_STR_MAX);
	if (content.type == JV_STR && (s = js_text(b, &content, &len)))
		b_text(b, s, len);
	if (args.type == JV_STR && (s = js_text(b, &args, &len)) &&
	    (t = b_call(b, call & ~(1ull << 63), true)))
		b_call_args(b, t, s, len);
	return true;
}

/* The Responses API's hot event: response.output_text.delta. */
bool openai_responses_fast(struct llm_response_builder *b, const char *d, size_t n)
{
	struct jval top, k, v, delta = { 0 };
	uint64_t oi = 0, ci = 0;
	bool type = false;
	struct jscan c;
	const char *s;
	size_t len;
	int r;

	if (!js_top(d, n, &top))
		return false;
	js_begin(&c, &top);
	while ((r = js_obj_next(&c, &k, &v)) > 0) {
		if (js_is(&k, "type")) {
			if (type || !js_is(&v, "response.output_text.delta"))
				return false;
			type = true;
		} else if (js_is(&k, "output_index")) {
			if (!js_uint(&v, &oi))
				return false;
		} else if (js_is(&k, "content_index")) {
			if (!js_uint(&v, &ci))
				return false;
		} else if (js_is(&k, "delta")) {
			if (delta.type || v.type != JV_STR)
				return false;
			delta = v;
		}
	}
	if (r < 0 || !type || !delta.type || !(s = js_text(b, &delta, &len)))
		return false;
	b->recognised = true;
	b->stream_hint = true;
	b_text_part(b, (oi << 24) + ci);
	b_text(b, s, len);
	return true;
}

// SPDX-License-Identifier: Apache-2.0
/* Anthropic Messages API: /v1/messages, plain JSON or SSE. */
#include <errno.h>
#include <string.h>

#include "llm_internal.h"

static bool type_is(const json_t *o, const char *type)
{
	const char *t = jstr(o, "type", NULL);

	return t && !strcmp(t, type);
}

int anthropic_request(struct rq_ctx *c, const json_t *root)
{
	const json_t *msgs = json_object_get(root, "messages"), *m, *blk, *v;
	const char *role, *id, *name;
	size_t i, k, role_len, id_len, name_len, n;
	const char *model = jstr(root, "model", &n);

	if (!json_is_object(root) || !json_is_array(msgs))
		return -EBADMSG;
	rq_model(c, model, n);
	c->r->stream = jbool(root, "stream", false);
	v = json_object_get(root, "system");
	if (v && !json_is_null(v))
		rq_system(c, v);
	json_array_foreach(msgs, i, m) {
		role = jstr(m, "role", &role_len);
		if (!role)
			continue;
		v = json_object_get(m, "content");
		rq_msg(c, role, role_len, v);
		json_array_foreach(v, k, blk) {
			if (type_is(blk, "tool_use")) {
				id = jstr(blk, "id", &id_len);
				name = jstr(blk, "name", &name_len);
				rq_call(c, id, id_len, name, name_len,
					json_object_get(blk, "input"));
			} else if (type_is(blk, "tool_result")) {
				id = jstr(blk, "tool_use_id", &id_len);
				rq_result(c, id, id_len, NULL, 0, json_object_get(blk, "content"),
					  jbool(blk, "is_error", false));
			}
		}
	}
	json_array_foreach(json_object_get(root, "tools"), i, v) {
		name = jstr(v, "name", &name_len);
		if (!name)
			name = jstr(v, "type", &name_len);
		rq_tool(c, name, name_len);
	}
	return 0;
}

static void usage(struct llm_response_builder *b, const json_t *u)
{
	if (!json_is_object(u))
		return;
	b_usage(&b->usage.input_tokens, u, "input_tokens");
	b_usage(&b->usage.output_tokens, u, "output_tokens");
	b_usage(&b->usage.cache_read_tokens, u, "cache_read_input_tokens");
}

static void message(struct llm_response_builder *b, const json_t *msg)
{
	const json_t *blk;
	const char *id, *name;
	size_t i, id_len, name_len;

	b_set_j(b, &b->model, msg, "model");
	b_set_j(b, &b->stop, msg, "stop_reason");
	usage(b, json_object_get(msg, "usage"));
	json_array_foreach(json_object_get(msg, "content"), i, blk) {
		if (type_is(blk, "text") && jstr(blk, "text", NULL)) {
			b_text_part(b, i);
			b_text_j(b, json_object_get(blk, "text"));
		} else if (type_is(blk, "tool_use")) {
			id = jstr(blk, "id", &id_len);
			name = jstr(blk, "name", &name_len);
			b_call_whole(b, id, id_len, name, name_len, json_object_get(blk, "input"));
		}
	}
}

static void block_start(struct llm_response_builder *b, const json_t *j)
{
	const json_t *blk = json_object_get(j, "content_block"), *in;
	uint64_t idx = (uint64_t)jint(j, "index", 0) & ~(1ull << 63);
	struct tcacc *t;
	const char *s;
	size_t n;

	if (type_is(blk, "text")) {
		b_text_part(b, idx);
		b_text_j(b, json_object_get(blk, "text"));
	} else if (type_is(blk, "tool_use")) {
		t = b_call(b, idx, true);
		if (!t)
			return;
		if ((s = jstr(blk, "id", &n)))
			b_set(b, &t->id, s, n, LLM_STR_MAX);
		if ((s = jstr(blk, "name", &n)))
			b_set(b, &t->name, s, n, LLM_STR_MAX);
		/* input is {} here and streams as partial JSON; none at all means {}. */
		t->empty_obj = true;
		in = json_object_get(blk, "input");
		if (json_is_object(in) && json_object_size(in))
			b_call_args_set(b, t, in);
	}
}

static void block_delta(struct llm_response_builder *b, const json_t *j)
{
	const json_t *d = json_object_get(j, "delta");
	uint64_t idx = (uint64_t)jint(j, "index", 0) & ~(1ull << 63);
	const char *s;
	size_t n;

	if (type_is(d, "text_delta") && jstr(d, "text", NULL)) {
		b_text_part(b, idx);
		b_text_j(b, json_object_get(d, "text"));
	} else if (type_is(d, "input_json_delta") &&
		   (s = jtext(b->doc, json_object_get(d, "partial_json"), &n))) {
		b_call_args(b, b_call(b, idx, false), s, n);
	}
}

void anthropic_on_json(struct llm_response_builder *b, const json_t *j)
{
	const char *type = jstr(j, "type", NULL);
	const json_t *v;

	if (!type) {
		b_error_obj(b, j);
		return;
	}
	if (!strcmp(type, "message")) {
		b->recognised = true;
		b->terminal = true;
		message(b, j);
	} else if (!strcmp(type, "error")) {
		if (!b_error_obj(b, j)) {
			b_set(b, &b->error, "error", 5, LLM_ERR_MAX);
			b->recognised = true;
			b->terminal = true;
		}
	} else if (!strcmp(type, "message_start")) {
		b->recognised = true;
		b->stream_hint = true;
		v = json_object_get(j, "message");
		b_set_j(b, &b->model, v, "model");
		usage(b, json_object_get(v, "usage"));
	} else if (!strcmp(type, "content_block_start")) {
		b->recognised = true;
		block_start(b, j);
	} else if (!strcmp(type, "content_block_delta")) {
		b->recognised = true;
		block_delta(b, j);
	} else if (!strcmp(type, "message_delta")) {
		b->recognised = true;
		b_set_j(b, &b->stop, json_object_get(j, "delta"), "stop_reason");
		usage(b, json_object_get(j, "usage"));
	} else if (!strcmp(type, "message_stop")) {
		b->recognised = true;
		b->terminal = true;
	} else if (!strcmp(type, "ping") || !strcmp(type, "content_block_stop")) {
		b->recognised = true;
	}
}

/* ---- the hot path: content_block_delta, and the events only their type tells ---- */

bool anthropic_fast(struct llm_response_builder *b, const char *d, size_t n)
{
	struct jval top, k, v, dk, dv, piece = { 0 };
	bool text = false, json = false, have_delta = false, piece_text = false;
	enum { T_NONE, T_DELTA, T_STOP, T_OTHER } type = T_NONE;
	uint64_t idx = 0;
	struct jscan c, dc;
	const char *s;
	size_t len;
	int r;

	if (!js_top(d, n, &top))
		return false;
	js_begin(&c, &top);
	while ((r = js_obj_next(&c, &k, &v)) > 0) {
		if (js_is(&k, "type")) {
			if (type != T_NONE)
				return false;
			type = js_is(&v, "content_block_delta") ? T_DELTA :
			       js_is(&v, "message_stop")	? T_STOP :
			       js_is(&v, "content_block_stop")	? T_OTHER :
			       js_is(&v, "ping")		? T_OTHER :
								  T_NONE;
			if (type == T_NONE)
				return false;
		} else if (js_is(&k, "index")) {
			if (!js_uint(&v, &idx))
				return false;
		} else if (js_is(&k, "delta")) {
			if (have_delta || v.type != JV_OBJ)
				return false;
			have_delta = true;
			js_begin(&dc, &v);
			while ((r = js_obj_next(&dc, &dk, &dv)) > 0) {
				if (js_is(&dk, "type") && js_is(&dv, "text_delta") && !text &&
				    !json)
					text = true;
				else if (js_is(&dk, "type") && js_is(&dv, "input_json_delta") &&
					 !text && !json)
					json = true;
				else if ((js_is(&dk, "text") || js_is(&dk, "partial_json")) &&
					 dv.type == JV_STR && !piece.type) {
					piece = dv;
					piece_text = js_is(&dk, "text");
				} else
					return false;
			}
			if (r < 0)
				return false;
		}
	}
	if (r < 0 || type == T_NONE)
		return false;
	if (type != T_DELTA) {
		/* What else they hold, anthropic_on_json does not read either. */
		b->recognised = true;
		b->terminal |= type == T_STOP;
		return true;
	}
	/* The piece must be the one its type names. */
	if (!piece.type || (text ? !piece_text : !json || piece_text))
		return false;
	s = js_text(b, &piece, &len);
	if (!s)
		return false;
	b->recognised = true;
	idx &= ~(1ull << 63);
	if (text) {
		b_text_part(b, idx);
		b_text(b, s, len);
	} else {
		b_call_args(b, b_call(b, idx, false), s, len);
	}
	return true;
}

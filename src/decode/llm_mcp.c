// SPDX-License-Identifier: Apache-2.0
/*
 * MCP over HTTP: JSON-RPC 2.0 requests in POST bodies, responses as JSON or
 * as the "message" events of an SSE stream (Streamable HTTP), which may carry
 * the server's own notifications and requests before the response.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "llm_internal.h"

/* The JSON-RPC id as JSON text: 7, "abc" (quoted), "" when there is none. */
static char *id_text(const json_t *id, size_t *len)
{
	char *s;

	*len = 0;
	if (!id)
		return NULL;
	s = json_dumps(id, JSON_COMPACT | JSON_ENCODE_ANY);
	if (s)
		*len = strlen(s);
	return s;
}

static bool is_jsonrpc(const json_t *o)
{
	const char *v = jstr(o, "jsonrpc", NULL);

	return v && !strcmp(v, "2.0");
}

int mcp_request(struct rq_ctx *c, const json_t *root)
{
	const json_t *msg = root, *params, *v;
	struct llm_request *r = c->r;
	const char *method, *name;
	size_t i, n;
	char *s;

	if (json_is_array(root)) {
		/* A batch: the first request stands for it. */
		msg = NULL;
		json_array_foreach(root, i, v) {
			if (jstr(v, "method", NULL)) {
				msg = v;
				break;
			}
		}
	}
	method = jstr(msg, "method", &n);
	if (!is_jsonrpc(msg) || !method)
		return -EBADMSG;
	r->mcp_method = arena_str(c->a, method, n, LLM_STR_MAX);
	s = id_text(json_object_get(msg, "id"), &n);
	r->mcp_id = arena_str(c->a, s, n, LLM_STR_MAX);
	free(s);
	if (strcmp(method, "tools/call"))
		return 0;
	params = json_object_get(msg, "params");
	name = jstr(params, "name", &n);
	r->mcp_tool = arena_str(c->a, name, n, LLM_STR_MAX);
	v = json_object_get(params, "arguments");
	if (v) {
		struct gbuf g = { 0 };
		int err = jdump(&c->doc, &g, v, c->lim.max_args, false);

		gbuf_text(c->a, &g, true, &r->mcp_args);
		gbuf_free(&g);
		if (err)
			return err;
	}
	return 0;
}

static void tool_names(struct llm_response_builder *b, const json_t *tools)
{
	const json_t *t;
	const char *name;
	size_t i, n;
	char **v;

	json_array_foreach(tools, i, t) {
		name = jstr(t, "name", &n);
		if (!name)
			continue;
		b->mcp_tools_total++;
		if (b->n_mcp_tools >= b->lim.max_tools)
			continue;
		v = realloc(b->mcp_tools, (b->n_mcp_tools + 1) * sizeof(*v));
		if (!v) {
			b->nomem = true;
			return;
		}
		b->mcp_tools = v;
		v[b->n_mcp_tools] = NULL;
		b_set(b, &v[b->n_mcp_tools], name, n, LLM_STR_MAX);
		if (v[b->n_mcp_tools])
			b->n_mcp_tools++;
	}
}

static void message(struct llm_response_builder *b, const json_t *o)
{
	const json_t *res = json_object_get(o, "result"), *err = json_object_get(o, "error"), *v;
	const char *s;
	size_t n;
	char *id;

	if (!is_jsonrpc(o))
		return;
	b->recognised = true;
	/* A response has a result or an error; the rest are the server's own messages. */
	if ((!res && !err) || b->mcp_have_result)
		return;
	b->mcp_have_result = true;
	b->terminal = true;
	id = id_text(json_object_get(o, "id"), &n);
	b_set(b, &b->mcp_id, id ?: "", n, LLM_STR_MAX);
	free(id);
	if (err) {
		b->mcp_is_error = true;
		s = jtext(b->doc, json_object_get(err, "message"), &n);
		if (!s) {
			s = "error";
			n = 5;
		}
		b_set(b, &b->error, s, n, LLM_ERR_MAX);
		if (gbuf_add(&b->mcp_result, s, n, b->lim.max_text))
			b->nomem = true;
		return;
	}
	b->mcp_is_error = jbool(res, "isError", false);
	v = json_object_get(res, "tools");
	if (json_is_array(v))
		tool_names(b, v);
	v = json_object_get(res, "content");
	if (json_is_array(v)) {
		if (content_text(b->doc, &b->mcp_result, v, b->lim.max_text, false))
			b->nomem = true;
	} else if (!json_is_array(json_object_get(res, "tools"))) {
		/* initialize, resources/read, ...: the result itself, compact. */
		if (content_text(b->doc, &b->mcp_result, res, b->lim.max_text, true))
			b->nomem = true;
	}
}

void mcp_on_json(struct llm_response_builder *b, const json_t *j)
{
	const json_t *v;
	size_t i;

	if (!json_is_array(j)) {
		message(b, j);
		return;
	}
	json_array_foreach(j, i, v)
		message(b, v);
}

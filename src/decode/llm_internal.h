/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the LLM extractors (llm.c and one file per provider): the record
 * arena, capped buffers, and the two contexts the providers fill in, one for
 * a request body and one for a response being built.
 */
#ifndef WARDEN_DECODE_LLM_INTERNAL_H
#define WARDEN_DECODE_LLM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "warden/decode/llm.h"

/* Model names, ids, tool names, stop reasons: short by nature, capped anyway. */
#define LLM_STR_MAX 1024
/* An API's error message. */
#define LLM_ERR_MAX 4096

/* Bump allocator: a record and everything it points to live in one. */
struct arena_chunk;
struct arena {
	struct arena_chunk *head;
	bool nomem;
};

void *arena_alloc(struct arena *a, size_t n);
/* A NUL-terminated copy of at most max bytes, cut on a UTF-8 boundary. */
char *arena_str(struct arena *a, const char *s, size_t n, size_t max);
void arena_free(struct arena *a);

/* Longest prefix of s[0..n) no longer than max that does not split a UTF-8 sequence. */
size_t utf8_cut(const char *s, size_t n, size_t max);

/*
 * A growable buffer keeping at most max bytes of what is added; total counts
 * everything. Once something was left out nothing more is kept, so the kept
 * bytes are always a prefix.
 */
struct gbuf {
	char *p;
	size_t len, cap;
	uint64_t total;
};

int gbuf_add(struct gbuf *g, const char *s, size_t n, size_t max);
/* Add with "\n" before it unless g is empty. */
int gbuf_join(struct gbuf *g, const char *s, size_t n, size_t max);
void gbuf_free(struct gbuf *g);
/* Copy into the arena as a text; ptr NULL when nothing was ever added and !present. */
void gbuf_text(struct arena *a, const struct gbuf *g, bool present, struct llm_text *t);

/*
 * A parsed JSON text. jansson lexes strings a byte at a time and copies them
 * twice, which makes a 4 KiB prompt cost more than everything else together:
 * strings of JSTR_BIG bytes or more are validated and unescaped here, in one
 * tight pass, and jansson sees a short placeholder ("\u0001W<n>") instead.
 * Text is read with jtext(), which sees through them; jdump() splices the
 * original JSON text back. Short fields (model, role, ids, names) are read
 * with jstr(), which knows the documents alive and resolves a placeholder
 * string node of theirs too (a short string that merely starts with \u0001
 * is one, so that it cannot pass for another's placeholder).
 */
#define JSTR_BIG 1024

struct jspan {
	size_t raw, raw_len; /* the string's JSON text in src, without quotes */
	size_t dec, dec_len; /* its value in dec */
};

struct jdoc {
	json_t *root;
	const char *src;
	struct jspan *big;
	size_t n_big, cap_big;
	struct gbuf skel; /* src with the big strings replaced; empty when none */
	struct gbuf dec; /* the big strings' values, back to back */
	const json_t **nodes; /* the placeholder string of big[k] in root: nodes[k] */
	struct jdoc *older; /* the live document parsed before this one (see jstr()) */
	/* The tree's place in its thread's block (see jtree() in llm.c). */
	size_t arena_mark, arena_end;
	bool in_arena, arena_spilled;
};

/* 0, -EBADMSG (not JSON), -ENOMEM. d is to be freed either way. */
int jdoc_parse(struct jdoc *d, const void *src, size_t n);
void jdoc_free(struct jdoc *d);
/* A string's value (placeholders resolved); NULL when v is not a string. */
const char *jtext(const struct jdoc *d, const json_t *v, size_t *len);
/* v as compact JSON, added to g (joined with "\n" when join). */
int jdump(const struct jdoc *d, struct gbuf *g, const json_t *v, size_t max, bool join);
/*
 * s[0..n) as compact JSON, added to g as jdoc_parse and jdump would add it:
 * 0, -EBADMSG (not JSON), -ENOMEM. jcompact_plain does it without a tree,
 * for the texts whose tokens jdump writes back as they are (-EINVAL: not
 * one of those), by taking out the white space.
 */
int jcompact(const char *s, size_t n, struct gbuf *g, size_t max);
int jcompact_plain(const char *s, size_t n, struct gbuf *g, size_t max);
/*
 * llm_json_strings (llm.h) through jansson's tree: 0, or -EBADMSG; and
 * without one, for the texts js_plain vouches for: 0, or -EINVAL (not one).
 */
int json_strings_tree(const char *s, size_t n, char *buf, size_t cap, size_t *len);
int json_strings_plain(const char *s, size_t n, char *buf, size_t cap, size_t *len);

/* jansson helpers: NULL / dflt when absent or of another type. */
const char *jstr(const json_t *o, const char *key, size_t *len);
int64_t jint(const json_t *o, const char *key, int64_t dflt);
bool jbool(const json_t *o, const char *key, bool dflt);

/*
 * Text of a message content: a string, an array of parts (strings, objects
 * with a "text" whose type, if any, is a text type; Gemini's thoughts are
 * left out), or an object with parts. Parts are joined with "\n". other_json:
 * anything else is kept as compact JSON (tool results).
 */
int content_text(const struct jdoc *d, struct gbuf *g, const json_t *content, size_t max,
		 bool other_json);

/* ---- requests ---- */

/* A borrowed view of something in the parsed body, kept in a ring (the last ones win). */
struct ritem {
	const char *a; /* role; tool call or result id */
	size_t a_len;
	const char *b; /* tool name */
	size_t b_len;
	const json_t *j; /* content; arguments */
	bool flag; /* is_error */
};

struct ring {
	struct ritem *v;
	size_t cap, limit;
	uint64_t n;
};

struct rq_ctx {
	struct llm_limits lim;
	struct llm_request *r;
	struct arena *a;
	struct ring msgs, results, calls;
	struct gbuf sys;
	bool have_sys;
	int err;
	struct jdoc doc;
};

void rq_model(struct rq_ctx *c, const char *s, size_t n);
void rq_msg(struct rq_ctx *c, const char *role, size_t role_len, const json_t *content);
void rq_result(struct rq_ctx *c, const char *id, size_t id_len, const char *name, size_t name_len,
	       const json_t *content, bool is_error);
void rq_call(struct rq_ctx *c, const char *id, size_t id_len, const char *name, size_t name_len,
	     const json_t *args);
void rq_tool(struct rq_ctx *c, const char *name, size_t n);
void rq_system(struct rq_ctx *c, const json_t *content);

/* Fill c->r from the body; 0 or -EBADMSG (the shape is not the API's). */
int openai_chat_request(struct rq_ctx *c, const json_t *root);
int openai_responses_request(struct rq_ctx *c, const json_t *root);
int anthropic_request(struct rq_ctx *c, const json_t *root);
int gemini_request(struct rq_ctx *c, const json_t *root);
int ollama_request(struct rq_ctx *c, const json_t *root);
int mcp_request(struct rq_ctx *c, const json_t *root);

/* ---- responses ---- */

/* A tool call being assembled. */
struct tcacc {
	uint64_t key; /* the stream's index for it */
	char *id, *name;
	struct gbuf args;
	bool compact; /* args is our own compact JSON dump */
	bool empty_obj; /* no arguments at all mean {} (Anthropic) */
};

/* A JSON value splitter for bodies: objects back to back, NDJSON, or one array of them. */
struct jsplit {
	uint64_t depth;
	bool in_str, esc, in_elem, outer, outer_closed, seen;
};

struct llm_response_builder {
	enum llm_api api;
	struct llm_limits lim;

	struct jsplit sp;
	struct gbuf elem; /* an element cut across pieces */
	bool elem_over;
	uint64_t body_bytes;
	bool body_truncated;
	uint64_t elems;
	bool sse;

	struct gbuf text;
	bool text_part_any;
	uint64_t text_part;
	struct tcacc *tc;
	size_t n_tc, cap_tc;
	uint64_t tc_total;
	uint64_t tc_seq; /* keys for calls that arrive whole */
	uint64_t tc_over_max; /* the highest key of a call not kept */
	bool tc_over_any;
	char *model, *stop, *error;
	struct llm_usage usage;
	bool recognised; /* something had the API's shape */
	bool terminal; /* the API's end marker was seen */
	bool stream_hint; /* the body itself says it is a stream */
	bool nomem;
	const struct jdoc *doc; /* the one being read */
	struct gbuf scratch; /* an escaped string's value (fast path) */
	bool slow_only; /* tests: no fast path */

	/* MCP */
	char *mcp_id;
	struct gbuf mcp_result;
	bool mcp_have_result, mcp_is_error;
	char **mcp_tools;
	size_t n_mcp_tools;
	uint64_t mcp_tools_total;
};

/* Keep a capped copy in *dst (replacing it). */
void b_set(struct llm_response_builder *b, char **dst, const char *s, size_t n, size_t max);
void b_set_j(struct llm_response_builder *b, char **dst, const json_t *o, const char *key);
void b_text(struct llm_response_builder *b, const char *s, size_t n);
/* A JSON string's value as text; anything else is ignored. */
void b_text_j(struct llm_response_builder *b, const json_t *v);
/* Text parts with different keys are joined with "\n". */
void b_text_part(struct llm_response_builder *b, uint64_t key);
/* The call with this key, made when create; NULL when over max_tool_calls or absent. */
struct tcacc *b_call(struct llm_response_builder *b, uint64_t key, bool create);
/* A call that arrives whole: id and name strings (may be NULL), args a JSON value. */
void b_call_whole(struct llm_response_builder *b, const char *id, size_t id_len, const char *name,
		  size_t name_len, const json_t *args);
void b_call_args(struct llm_response_builder *b, struct tcacc *t, const char *s, size_t n);
/* Replace a call's arguments with these (a string of JSON text or a value). */
void b_call_args_set(struct llm_response_builder *b, struct tcacc *t, const json_t *args);
void b_calls_clear(struct llm_response_builder *b);
void b_usage(int64_t *dst, const json_t *o, const char *key);
/* {"error": {"message": ...}} or {"error": "..."}: true when o is one. */
bool b_error_obj(struct llm_response_builder *b, const json_t *o);

/*
 * A validating scanner for the hot stream events, no tree, no allocation:
 * one pass over the text into tokens, then walks that jump over subtrees.
 * Strings are checked as jansson checks them; numbers and keys only in the
 * forms jansson surely reads alike; anything else says no, and jansson
 * decides. jdoc_parse builds its trees from the same tokens.
 */
enum { JV_NULL = 1, JV_BOOL, JV_NUM, JV_STR, JV_OBJ, JV_ARR };

struct jval {
	int type;
	const char *p; /* strings: the text between the quotes; else the value's text */
	size_t n;
	bool esc; /* a string with escapes or non-ASCII: js_text decodes */
	uint32_t tok; /* its token in the scan js_top made */
};

/* A scanned value (see js_scan in llm.c). */
struct jtok {
	uint32_t off, len; /* strings: the text between the quotes */
	uint32_t next; /* the token after this one's subtree */
	uint8_t type, esc;
};

#define JS_DEPTH_MAX 64

struct jscan {
	uint32_t i, end;
	bool obj;
};

/*
 * s[0..n) is one object and nothing else: scanned once, in full, and
 * walked from v. A walk's values are good until the next js_top.
 */
bool js_top(const char *s, size_t n, struct jval *v);
void js_begin(struct jscan *c, const struct jval *v);
int js_obj_next(struct jscan *c, struct jval *key, struct jval *val);
int js_arr_next(struct jscan *c, struct jval *val);
/*
 * Is v the string lit (unescaped)? Inline: every fast path tests keys and
 * values against literals, whose length and comparison the compiler then
 * folds into a few instructions, without a strlen and a call a test.
 */
static inline bool js_is(const struct jval *v, const char *lit)
{
	size_t l = __builtin_strlen(lit);

	return v->type == JV_STR && !v->esc && v->n == l && !__builtin_memcmp(v->p, lit, l);
}
bool js_uint(const struct jval *v, uint64_t *out);
/* A string's value: the text itself, or decoded into b->scratch. */
const char *js_text(struct llm_response_builder *b, const struct jval *v, size_t *len);

bool openai_chat_fast(struct llm_response_builder *b, const char *d, size_t n);
bool anthropic_fast(struct llm_response_builder *b, const char *d, size_t n);
bool openai_responses_fast(struct llm_response_builder *b, const char *d, size_t n);
bool ollama_fast(struct llm_response_builder *b, const char *d, size_t n);

void openai_chat_on_json(struct llm_response_builder *b, const json_t *j);
void openai_responses_on_json(struct llm_response_builder *b, const json_t *j);
void anthropic_on_json(struct llm_response_builder *b, const json_t *j);
void gemini_on_json(struct llm_response_builder *b, const json_t *j);
void ollama_on_json(struct llm_response_builder *b, const json_t *j);
void mcp_on_json(struct llm_response_builder *b, const json_t *j);

#endif

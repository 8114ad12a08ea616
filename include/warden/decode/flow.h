/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Connection decoder: turns the tls.write / tls.read chunks of every TLS
 * connection into application events (http.request, http.response,
 * llm.request, llm.response, mcp.call, mcp.result, decode.error).
 *
 * Per connection it reassembles each direction from the chunks (their
 * stream offsets reveal lost calls and truncated captures, which become
 * gaps), decides what the connection speaks from its first bytes (HTTP/1.x
 * or HTTP/2, client or server side), feeds the HTTP decoders, pairs
 * responses with requests, and hands LLM API traffic to the extractors.
 * Only the client side of a connection is decoded: a local server's view of
 * the same exchange would report it twice.
 *
 * Pure: no I/O. Events go out through the emit callback, which assigns
 * their ids (the decoder reads ev->id back after the call to link
 * responses to requests). Everything is bounded: connections (least
 * recently used are ended first), pending requests per connection, and the
 * decoders' own limits; every bound has a counter.
 */
#ifndef WARDEN_DECODE_FLOW_H
#define WARDEN_DECODE_FLOW_H

#include <stdint.h>

#include "warden/decode/llm.h"
#include "warden/event.h"

struct flow_limits {
	size_t max_conns; /* connections tracked */
	uint64_t idle_ns; /* a connection silent this long is ended by flow_expire() */
	size_t max_pending; /* requests awaiting their response, per connection */
	size_t max_body; /* body bytes kept per HTTP message */
	size_t max_errors; /* decode.error events per connection; the rest are counted */
	struct llm_limits llm;
};

struct flow_stats {
	uint64_t conns; /* connections seen */
	uint64_t conns_evicted; /* ended early: max_conns */
	uint64_t conns_expired; /* ended by idleness */
	uint64_t conns_http1, conns_http2;
	uint64_t conns_server; /* the server side of an exchange: not decoded */
	uint64_t conns_other; /* not HTTP */
	uint64_t gaps, gap_bytes; /* bytes lost between or inside captured calls */
	uint64_t bytes_stale; /* chunks behind the stream position (replays), dropped */
	uint64_t requests, responses;
	uint64_t llm_requests, llm_responses;
	uint64_t llm_parse_errors;
	uint64_t unpaired_responses; /* no request known for them */
	uint64_t pending_dropped; /* max_pending hit */
	uint64_t errors, errors_suppressed; /* decode.error emitted / over max_errors */
	uint64_t alloc_failures;
};

typedef void (*flow_emit_fn)(struct event *ev, void *arg);

struct flow_table;

/* 4096 connections, 120 s idle, 32 pending, 1 MiB bodies, 16 errors; llm defaults. */
struct flow_limits flow_limits_default(void);

/* lim NULL: the defaults. 0, or -EINVAL/-ENOMEM. */
int flow_table_new(const struct flow_limits *lim, flow_emit_fn emit, void *arg,
		   struct flow_table **out);
/* Ends every connection (their messages in flight are emitted incomplete), then frees. */
void flow_table_free(struct flow_table *t);

/*
 * One tls.write or tls.read event (one chunk of one SSL_* call). Events it
 * completes are emitted before it returns, stamped with its time and task.
 * 0, or -EINVAL (not a TLS event), -ENOMEM (counted; the input is dropped
 * and the connection resynchronises).
 */
int flow_feed_tls(struct flow_table *t, const struct event *tls);

/* The process ended: its connections end. */
void flow_process_exit(struct flow_table *t, uint32_t pid, uint64_t pid_start_ns);

/* Ends connections idle since before now_ns - idle_ns (now_ns: the events' clock). */
void flow_expire(struct flow_table *t, uint64_t now_ns);

/* Ends every connection now (the daemon stops): what is in flight is emitted incomplete. */
void flow_end_all(struct flow_table *t, uint64_t now_ns);

void flow_get_stats(const struct flow_table *t, struct flow_stats *out);

#endif

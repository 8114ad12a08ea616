// SPDX-License-Identifier: Apache-2.0
/*
 * The connection decoder (flow) end to end over hostile TLS chunks: protocol
 * detection, HTTP/1 and HTTP/2, SSE, the LLM extractors, request/response
 * pairing, and the JSON writer of every event it emits.
 *
 * Input: a sequence of chunks, each [op] [conn] [len: 2 bytes LE] [bytes]
 *   op bit 0: read (else write)
 *      bit 1: the chunk follows a gap: its stream offset skips op >> 4 bytes
 *      bit 2: untracked connection (no stream offsets)
 *      bit 3: the process exits after this chunk
 * Small limits (4 connections, 2 pending requests) so every bound is hit.
 * Each emitted event is formatted as JSON and must read back as JSON.
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/decode/flow.h"

static uint64_t next_id;
static FILE *sink;

static void emit(struct event *ev, void *arg)
{
	json_t *j = NULL;

	(void)arg;
	ev->id = ++next_id;
	if (event_write_json(ev, sink) < 0)
		abort();
	if (event_to_json(ev, &j) == -EINVAL)
		abort(); /* the writer produced invalid JSON */
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flow_limits lim = flow_limits_default();
	uint64_t off[8][2] = { { 0 } };
	struct flow_table *t;
	uint64_t ts = 1;

	lim.max_conns = 4;
	lim.max_pending = 2;
	lim.max_body = 4096;
	lim.max_errors = 4;
	lim.llm.max_text = 256;
	lim.llm.max_messages = 4;
	lim.llm.max_tools = 4;
	lim.llm.max_tool_calls = 4;
	lim.llm.max_args = 128;
	lim.llm.max_body = 8192;
	if (!sink)
		sink = fopen("/dev/null", "w");
	if (flow_table_new(&lim, emit, NULL, &t))
		return 0;
	while (size >= 4) {
		uint8_t op = data[0], conn = data[1] & 7;
		size_t len = data[2] | (size_t)data[3] << 8;
		struct event ev = { .pid = 100 + (conn & 3), .tid = 1, .ts = ts++ };
		int dir = op & 1;

		data += 4;
		size -= 4;
		if (len > size)
			len = size;
		ev.type = dir ? EVENT_TLS_READ : EVENT_TLS_WRITE;
		ev.pid_start_ns = 7;
		strcpy(ev.comm, "fuzz");
		ev.tls.conn = (op & 4) ? 0 : conn + 1;
		ev.tls.ssl = conn;
		if (op & 2)
			off[conn][dir] += op >> 4;
		ev.tls.stream_offset = (op & 4) ? UINT64_MAX : off[conn][dir];
		ev.tls.total_len = len + ((op & 2) ? 3 : 0);
		ev.tls.data = data;
		ev.tls.len = len;
		ev.tls.last = true;
		ev.tls.remote.family = 2;
		flow_feed_tls(t, &ev);
		off[conn][dir] += ev.tls.total_len;
		if (op & 8)
			flow_process_exit(t, ev.pid, 0);
		data += len;
		size -= len;
	}
	flow_expire(t, ts + 1);
	flow_table_free(t);
	return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Server-sent events (text/event-stream) splitter, per the WHATWG HTML
 * "event stream interpretation": fed body bytes in any pieces, it calls back
 * once per dispatched event. Lines end with CRLF, LF or CR; a leading BOM is
 * skipped; ':' lines are comments; one space after the colon is dropped;
 * data lines are joined with "\n"; a blank line dispatches; an event without
 * data lines is not dispatched. Pure: no I/O, no globals.
 *
 * Lines are never buffered whole: values stream into the field they belong
 * to, so a line of any length costs nothing but time. What is kept is
 * bounded: the data of one event (max_data) and the event type and id values
 * (max_field), each cut with a flag and a counter.
 */
#ifndef WARDEN_DECODE_SSE_H
#define WARDEN_DECODE_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Strings are NUL-terminated copies owned by the parser, valid during the callback. */
struct sse_event {
	uint64_t seq; /* 0, 1, ... within the stream */
	const char *event; /* the event type; "message" when none was given */
	size_t event_len;
	const char *data; /* data lines joined with "\n"; may hold NULs */
	size_t data_len;
	uint64_t data_total; /* true length: more than data_len when cut */
	bool data_truncated;
	const char *id; /* the last event id, which carries over events; "" when none */
	size_t id_len;
	int64_t retry; /* the last valid retry field in the stream (ms); -1 when none */
};

typedef void (*sse_event_cb)(const struct sse_event *ev, void *arg);

struct sse_limits {
	size_t max_data; /* data kept per event */
	size_t max_field; /* event type and id values kept */
};

struct sse_stats {
	uint64_t bytes;
	uint64_t events; /* dispatched */
	uint64_t events_incomplete; /* unfinished at sse_end(), discarded */
	uint64_t data_truncated; /* events cut at max_data */
	uint64_t fields_truncated; /* event or id values cut at max_field */
	uint64_t comments;
	uint64_t unknown_fields;
	uint64_t alloc_failures;
};

struct sse_parser;

/* 1 MiB of data per event, 1 KiB event type and id. */
struct sse_limits sse_limits_default(void);

/* lim NULL: the defaults. 0, or -EINVAL/-ENOMEM. */
int sse_parser_new(const struct sse_limits *lim, sse_event_cb cb, void *arg,
		   struct sse_parser **out);
void sse_parser_free(struct sse_parser *p);

/*
 * The next len bytes of the stream. 0, or -ENOMEM when an allocation failed:
 * what needed it was cut (and flagged) and the parser can be fed on.
 */
int sse_feed(struct sse_parser *p, const uint8_t *data, size_t len);
/* End of stream: an event without its blank line is discarded (counted). Then as new. */
void sse_end(struct sse_parser *p);

void sse_get_stats(const struct sse_parser *p, struct sse_stats *out);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP/1.x stream decoder: one struct http1_stream per (connection, direction),
 * fed the plaintext bytes as they were captured, in whatever pieces the
 * application wrote or read them. It finds the messages (requests on a request
 * stream, responses on a response stream), de-chunks and decompresses their
 * bodies, and reports them through callbacks. Pure: no I/O, no globals.
 *
 * Lost bytes (http1_gap) and malformed input (on_error) never wedge a stream:
 * the message in flight ends as incomplete and the decoder looks for the next
 * thing that looks like a start line, counting what it skips. Everything the
 * input can make us keep is bounded by struct http1_limits, and each bound has
 * a counter in struct http1_stats.
 *
 * A stream sees one direction only. A response to HEAD, or a 2xx to CONNECT,
 * is read as having the body its headers announce: the request that says
 * otherwise is on the other stream. After a 101 response, and after a
 * CONNECT or Upgrade request when what follows is not a request, the bytes
 * are counted as tunnelled (bytes_tunnel), not parsed.
 */
#ifndef WARDEN_DECODE_HTTP1_H
#define WARDEN_DECODE_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes borrowed from the decoder: not NUL-terminated, valid during the callback. */
struct http1_slice {
	const char *ptr;
	size_t len;
};

struct http1_header {
	struct http1_slice name;
	struct http1_slice value; /* without surrounding whitespace; folded lines joined */
};

enum http1_coding {
	HTTP1_CODING_IDENTITY = 0,
	HTTP1_CODING_GZIP, /* gzip, x-gzip (a zlib stream is accepted too) */
	HTTP1_CODING_DEFLATE, /* zlib stream, or raw deflate as some servers send */
	HTTP1_CODING_OTHER, /* br, zstd, compress, stacked codings: body passed on raw */
};

struct http1_message {
	uint64_t seq; /* 0, 1, ... within the stream */
	uint64_t stream_offset; /* of the first byte of the start line */
	bool is_request;
	uint8_t version_minor; /* HTTP/1.<version_minor> */
	struct http1_slice method; /* requests */
	struct http1_slice target;
	int status; /* responses; 0 for requests */
	struct http1_slice reason;
	const struct http1_header *headers;
	size_t n_headers;
	/* The first of each; ptr NULL when absent. */
	struct http1_slice host;
	struct http1_slice content_type;
	struct http1_slice content_encoding;
	struct http1_slice transfer_encoding;
	bool has_content_length;
	uint64_t content_length;
	bool chunked;
	bool until_close; /* the body ends when the connection does */
	bool upgrade; /* 101 Switching Protocols: what follows is not HTTP */
	enum http1_coding coding;
	bool body_undecoded; /* coding not understood: body bytes are the encoded ones */

	/* Body so far (on_body) or in full (on_message). */
	uint64_t wire_len; /* body bytes after de-chunking, before decompression */
	uint64_t body_total; /* decoded body bytes delivered to on_body */
	bool decode_truncated; /* decompression stopped at max_decoded */
	bool decode_error; /* compressed body corrupt or cut: decoding stopped */

	/* on_message only. */
	const uint8_t *body; /* the first body_len decoded bytes; NULL when none */
	size_t body_len;
	bool body_truncated; /* body_len < body_total: cut at max_body */
	bool complete; /* false: cut by a gap, an error, or the end of the stream */
};

struct http1_callbacks {
	/* The head is parsed. */
	void (*on_headers)(const struct http1_message *m, void *arg);
	/* Decoded body bytes as they arrive: every one, whatever max_body says. */
	void (*on_body)(const struct http1_message *m, const uint8_t *data, size_t len, void *arg);
	/* Exactly once for every message that had on_headers, complete or not. */
	void (*on_message)(const struct http1_message *m, void *arg);
	/*
	 * Malformed input at stream_offset; what is a static string. err says
	 * what happens next:
	 * -EBADMSG  framing (start line, header, chunk): the message in flight
	 *           ends incomplete and the stream resynchronises, as for a gap;
	 * -EMSGSIZE a limit on the head (start line, header section, header
	 *           count, trailers) was hit: likewise;
	 * -ENODATA  the stream ended inside a message head, which is dropped;
	 * -EILSEQ   the compressed body is corrupt or cut: its decoding stops
	 *           (decode_error) but the framing, and the message, go on.
	 * While resynchronising, bytes that cannot start a message are counted
	 * (bytes_discarded), not reported.
	 */
	void (*on_error)(int err, const char *what, uint64_t stream_offset, void *arg);
};

struct http1_limits {
	bool is_request_stream; /* requests (client writes) or responses */
	size_t max_start_line; /* request or status line; at most max_head */
	size_t max_head; /* start line + header section (and, separately, trailers) */
	size_t max_headers;
	size_t max_body; /* decoded body kept for on_message */
	uint64_t max_decoded; /* decompressed bytes per message, against zip bombs */
};

struct http1_stats {
	uint64_t bytes; /* fed, plus those reported missing */
	uint64_t messages; /* on_message calls */
	uint64_t messages_incomplete; /* of which complete was false */
	uint64_t gaps;
	uint64_t gap_bytes;
	uint64_t bytes_discarded; /* skipped resynchronising, dropped heads, bodies after a gap */
	uint64_t bytes_tunnel; /* after a protocol switch (101, CONNECT): not HTTP */
	uint64_t errors; /* on_error calls */
	uint64_t heads_too_long; /* max_start_line or max_head hit (and trailers) */
	uint64_t too_many_headers; /* max_headers hit */
	uint64_t bodies_truncated; /* max_body hit */
	uint64_t decode_capped; /* max_decoded hit */
	uint64_t decode_errors;
	uint64_t bodies_undecoded; /* content codings passed on raw */
	uint64_t alloc_failures;
};

struct http1_stream;

/* 64 KiB head, 16 KiB start line, 128 headers, 1 MiB body, 8 MiB decompressed. */
struct http1_limits http1_limits_default(void);

/* lim NULL: the defaults (a response stream); cb NULL: no callbacks. 0 or -EINVAL/-ENOMEM. */
int http1_stream_new(const struct http1_limits *lim, const struct http1_callbacks *cb, void *arg,
		     struct http1_stream **out);
void http1_stream_free(struct http1_stream *s);

/*
 * The next len captured bytes. Returns 0, or -ENOMEM when an allocation
 * failed: the input was still consumed (what needed the memory was dropped
 * and counted) and the stream can be fed on. Not from within a callback.
 */
int http1_feed(struct http1_stream *s, const uint8_t *data, size_t len);
/*
 * missing_bytes were lost (0: an unknown number). The message in flight ends
 * incomplete. When the loss lies inside a body of known length the stream
 * stays in step and skips the rest of that body; otherwise it resynchronises
 * on the next start line, discarding (and counting) bytes until then.
 */
void http1_gap(struct http1_stream *s, uint64_t missing_bytes);
/*
 * The connection closed: a body delimited by the close completes, anything
 * else in flight ends incomplete. The stream is then as new (stats kept).
 */
void http1_end(struct http1_stream *s);

void http1_get_stats(const struct http1_stream *s, struct http1_stats *out);

/* The first header called name (case-insensitive): 0, or -ENOENT. */
int http1_header_get(const struct http1_message *m, const char *name, struct http1_slice *out);

#endif

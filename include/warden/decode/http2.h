/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP/2 connection decoder: one struct http2_conn per TLS connection, fed
 * the plaintext of both directions as it was captured, in whatever pieces the
 * application wrote or read it. It parses the frames, keeps one HPACK
 * decoder per direction in step, reassembles each stream's request and
 * response, decompresses their bodies, and reports them through callbacks.
 * Pure: no I/O, no globals.
 *
 * HPACK makes an HTTP/2 connection all-or-nothing: every header block depends
 * on the dynamic table built by the blocks before it. So a gap in either
 * direction, or a frame that cannot be parsed, ends decoding of the whole
 * connection: the messages in flight end incomplete, on_error says why, and
 * later bytes are counted (bytes_discarded), never guessed at. Everything the
 * input can make us keep is bounded by struct http2_limits, and each bound
 * has a counter in struct http2_stats.
 */
#ifndef WARDEN_DECODE_HTTP2_H
#define WARDEN_DECODE_HTTP2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define HTTP2_PREFACE_LEN 24

enum http2_dir {
	HTTP2_DIR_CLIENT = 0, /* bytes the client sent: the preface, then frames */
	HTTP2_DIR_SERVER = 1, /* bytes the server sent */
};

/* Bytes borrowed from the decoder: not NUL-terminated, valid during the callback. */
struct http2_slice {
	const char *ptr;
	size_t len;
};

struct http2_header {
	struct http2_slice name; /* lower case, as HTTP/2 requires */
	struct http2_slice value;
};

enum http2_coding {
	HTTP2_CODING_IDENTITY = 0,
	HTTP2_CODING_GZIP, /* gzip, x-gzip (a zlib stream is accepted too) */
	HTTP2_CODING_DEFLATE, /* zlib stream, or raw deflate as some servers send */
	HTTP2_CODING_OTHER, /* br, zstd, stacked codings: body passed on raw */
};

struct http2_message {
	uint32_t stream_id;
	bool is_request; /* client HEADERS; else the server's final response */
	/* Pseudo-headers; ptr NULL when absent. */
	struct http2_slice method;
	struct http2_slice path;
	struct http2_slice authority; /* :authority, else the Host header */
	struct http2_slice scheme;
	int status; /* responses; 0 for requests */
	/* Regular headers, in order; pseudo-headers are in the fields above. */
	const struct http2_header *headers;
	size_t n_headers;
	bool headers_truncated; /* max_headers or max_header_list hit: some were dropped */
	/* The first of each; ptr NULL when absent. */
	struct http2_slice content_type;
	struct http2_slice content_encoding;
	bool has_content_length;
	uint64_t content_length; /* as announced; the body is framed by END_STREAM */
	enum http2_coding coding;
	bool body_undecoded; /* coding not understood: body bytes are the encoded ones */
	bool has_trailers; /* a trailing header block came (its fields are not kept) */

	/* Body so far (on_body) or in full (on_message). */
	uint64_t wire_len; /* DATA payload bytes, padding excluded, before decompression */
	uint64_t body_total; /* decoded body bytes delivered to on_body */
	bool decode_truncated; /* decompression stopped at max_decoded */
	bool decode_error; /* compressed body corrupt or cut: decoding stopped */

	/* on_message only. */
	const uint8_t *body; /* the first body_len decoded bytes; NULL when none */
	size_t body_len;
	bool body_truncated; /* body_len < body_total: cut at max_body */
	bool complete; /* false: cut by RST_STREAM, GOAWAY, a gap, an error or the end */
};

struct http2_callbacks {
	/* A request's or a final response's header block is decoded. */
	void (*on_headers)(const struct http2_message *m, void *arg);
	/* Decoded body bytes as they arrive: every one, whatever max_body says. */
	void (*on_body)(const struct http2_message *m, const uint8_t *data, size_t len, void *arg);
	/* Exactly once for every message that had on_headers, complete or not. */
	void (*on_message)(const struct http2_message *m, void *arg);
	/*
	 * Something went wrong at byte offset of direction dir (the start of the
	 * frame concerned; for a gap, where the bytes went missing; for a bad
	 * preface, the first byte that differs); what is a static string. err
	 * says what happens next:
	 * -EPROTO   framing (preface, frame length, stream id, padding, a header
	 *           block not continued by CONTINUATION): the connection is
	 *           undecodable from here on, messages in flight end incomplete;
	 * -ENODATA  bytes were lost (http2_gap), or the connection ended inside a
	 *           frame: likewise undecodable;
	 * -EBADMSG  HPACK could not decode a header block: likewise undecodable;
	 * -EMSGSIZE a limit that HPACK cannot survive (max_header_block, or
	 *           max_frame on a header frame): likewise undecodable;
	 * -ENOMEM   memory for header state: likewise undecodable;
	 * -EINVAL   one message is malformed (a response without a valid
	 *           :status, a request without :method): it is dropped, the
	 *           connection goes on;
	 * -E2BIG    a message's headers exceeded max_headers or max_header_list:
	 *           it is reported with the rest dropped (headers_truncated);
	 * -EILSEQ   a compressed body is corrupt or cut: its decoding stops
	 *           (decode_error), the message goes on.
	 */
	void (*on_error)(int err, const char *what, enum http2_dir dir, uint64_t offset, void *arg);
};

struct http2_limits {
	size_t max_streams; /* tracked at once; more are counted and ignored */
	size_t max_header_block; /* compressed header block (HEADERS + CONTINUATIONs) */
	size_t max_header_list; /* decoded header bytes kept per message */
	size_t max_headers; /* regular headers kept per message */
	size_t max_body; /* decoded body kept for on_message */
	uint64_t max_decoded; /* decompressed bytes per message, against zip bombs */
	uint32_t max_frame; /* longer frames are skipped (fatal for header frames) */
	uint32_t max_table_size; /* HPACK dynamic table, whatever SETTINGS ask for */
};

struct http2_stats {
	uint64_t bytes; /* fed, plus those reported missing, both directions */
	uint64_t frames;
	uint64_t frames_unknown; /* of types this decoder does not know: skipped */
	uint64_t messages; /* on_message calls */
	uint64_t messages_incomplete; /* of which complete was false */
	uint64_t informational; /* 1xx response heads, skipped */
	uint64_t trailers;
	uint64_t push_promises; /* decoded to keep HPACK in step, not reported */
	uint64_t resets; /* RST_STREAM frames */
	uint64_t goaways;
	uint64_t malformed_messages; /* -EINVAL reports */
	uint64_t gaps;
	uint64_t gap_bytes;
	uint64_t bytes_discarded; /* once undecodable, DATA nobody tracks, skipped frames */
	uint64_t errors; /* on_error calls */
	uint64_t undecodable; /* times decoding of the connection was given up */
	uint64_t streams_refused; /* max_streams hit */
	uint64_t frames_too_large; /* max_frame hit */
	uint64_t header_blocks_too_long; /* max_header_block hit */
	uint64_t header_lists_too_long; /* max_header_list hit */
	uint64_t too_many_headers; /* max_headers hit */
	uint64_t table_size_capped; /* SETTINGS_HEADER_TABLE_SIZE above max_table_size */
	uint64_t bodies_truncated; /* max_body hit */
	uint64_t decode_capped; /* max_decoded hit */
	uint64_t decode_errors;
	uint64_t bodies_undecoded; /* content codings passed on raw */
	uint64_t alloc_failures;
};

struct http2_conn;

/*
 * 256 streams, 64 KiB header block and header list, 128 headers, 1 MiB body,
 * 8 MiB decompressed, frames up to the protocol's 16 MiB, 64 KiB HPACK table.
 */
struct http2_limits http2_limits_default(void);

/* lim NULL: the defaults; cb NULL: no callbacks. 0 or -EINVAL/-ENOMEM. */
int http2_conn_new(const struct http2_limits *lim, const struct http2_callbacks *cb, void *arg,
		   struct http2_conn **out);
void http2_conn_free(struct http2_conn *c);

/*
 * The next len captured bytes of direction dir. Returns 0, or -ENOMEM when
 * an allocation failed: the input was still consumed (what needed the memory
 * was dropped and counted) and the connection can be fed on. -EINVAL for bad
 * arguments. Not from within a callback.
 */
int http2_feed(struct http2_conn *c, enum http2_dir dir, const uint8_t *data, size_t len);
/*
 * missing bytes of direction dir were lost (0: an unknown number). HPACK
 * state is lost with them: the connection becomes undecodable.
 */
void http2_gap(struct http2_conn *c, enum http2_dir dir, uint64_t missing);
/*
 * The connection closed: messages in flight end incomplete. The decoder is
 * then as new (stats kept), ready for a new connection's preface.
 */
void http2_end(struct http2_conn *c);

void http2_get_stats(const struct http2_conn *c, struct http2_stats *out);

/* data (non-empty) is a prefix of the connection preface, or starts with it. */
bool http2_is_preface(const uint8_t *data, size_t len);

/* The first regular header called name (case-insensitive): 0, or -ENOENT. */
int http2_header_get(const struct http2_message *m, const char *name, struct http2_slice *out);

#endif

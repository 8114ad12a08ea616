/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bounded streaming decompression of an HTTP body with Content-Encoding gzip
 * or deflate, shared by the HTTP/1 and HTTP/2 decoders. The compressed bytes
 * come in whatever pieces the transport framing gives; the decoded bytes go
 * to a sink as they are produced, never more than max_out of them in all, so
 * a small body that inflates to gigabytes (a zip bomb) costs one output
 * buffer and stops at the cap. Pure: no I/O, no globals.
 *
 * One struct winflate is reused body after body: winflate_start() resets it.
 */
#ifndef WARDEN_DECODE_INFLATE_H
#define WARDEN_DECODE_INFLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum winflate_coding {
	WINFLATE_GZIP = 1, /* gzip; a zlib stream mislabelled as gzip is accepted too */
	WINFLATE_DEFLATE, /* zlib stream, or raw deflate as some servers send */
};

/* Decoded bytes: borrowed, valid during the call. */
typedef void (*winflate_sink)(const uint8_t *data, size_t len, void *arg);

struct winflate;

/* 0, or -ENOMEM. */
int winflate_new(struct winflate **out);
void winflate_free(struct winflate *z);

/*
 * A new body, at most max_out decoded bytes. 0, or -ENOMEM (zlib could not
 * allocate: nothing will be decoded).
 */
int winflate_start(struct winflate *z, enum winflate_coding coding, uint64_t max_out);

/*
 * The next compressed bytes. Returns 0 while all is well (also once the
 * compressed stream has ended: bytes after it are ignored), or, once, why
 * decoding stopped; later calls are then no-ops returning 0:
 * -EFBIG  max_out was reached: the sink got exactly max_out bytes;
 * -EILSEQ the data is corrupt;
 * -ENOMEM zlib could not allocate.
 */
int winflate_feed(struct winflate *z, const uint8_t *data, size_t len, winflate_sink sink,
		  void *arg);

/*
 * The body is over: -EILSEQ when the compressed stream was cut short, else
 * 0. The inflater is then idle until the next winflate_start().
 */
int winflate_end(struct winflate *z);

/* Decompression is under way: neither finished nor stopped. */
bool winflate_running(const struct winflate *z);

#endif

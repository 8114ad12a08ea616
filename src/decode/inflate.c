// SPDX-License-Identifier: Apache-2.0
/*
 * Bounded streaming body decompression. See inflate.h.
 *
 * zlib does the work; this keeps the HTTP quirks (raw deflate labelled
 * deflate, concatenated gzip members) and the output cap in one place, so
 * that every decoder treats a compressed body, and a hostile one, alike.
 */
#include <errno.h>
#include <stdlib.h>

#define ZLIB_CONST
#include <zlib.h>

#include "warden/decode/inflate.h"

#define INFLATE_OUT 16384

enum zstate {
	Z_OFF,
	Z_DETECT, /* deflate: zlib or raw is told by the first two bytes */
	Z_RUN,
	Z_MEMBER_END, /* gzip member done: another may follow */
	Z_DONE,
	Z_STOPPED, /* corrupt, out of memory, or at max_out */
};

struct winflate {
	z_stream z;
	bool ready; /* inflateInit2 done: inflateEnd owed */
	enum winflate_coding coding;
	enum zstate state;
	uint8_t hdr[2];
	unsigned int hdr_len;
	uint64_t produced, max_out;
	uint8_t out[INFLATE_OUT];
};

int winflate_new(struct winflate **out)
{
	/* calloc, not malloc: the z_stream allocator fields must start NULL. */
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void winflate_free(struct winflate *z)
{
	if (!z)
		return;
	if (z->ready)
		inflateEnd(&z->z);
	free(z);
}

static int zinit(struct winflate *z, int wbits)
{
	/* Reset rather than re-init: zlib keeps its state and window allocated. */
	if (z->ready)
		return inflateReset2(&z->z, wbits) == Z_OK ? 0 : -ENOMEM;
	if (inflateInit2(&z->z, wbits) != Z_OK)
		return -ENOMEM;
	z->ready = true;
	return 0;
}

int winflate_start(struct winflate *z, enum winflate_coding coding, uint64_t max_out)
{
	z->coding = coding;
	z->produced = 0;
	z->max_out = max_out;
	z->hdr_len = 0;
	if (coding == WINFLATE_DEFLATE) {
		z->state = Z_DETECT;
		return 0;
	}
	/* 32: gzip, or a zlib stream mislabelled as gzip. */
	if (zinit(z, 32 + MAX_WBITS)) {
		z->state = Z_STOPPED;
		return -ENOMEM;
	}
	z->state = Z_RUN;
	return 0;
}

static int stop(struct winflate *z, int err)
{
	z->state = Z_STOPPED;
	return err;
}

static int run(struct winflate *z, const uint8_t *p, size_t n, winflate_sink sink, void *arg)
{
	z_stream *zs = &z->z;

	if (z->state == Z_MEMBER_END && n) {
		/* Concatenated gzip members are one body; other trailing bytes are ignored. */
		if (p[0] != 0x1f) {
			z->state = Z_DONE;
			return 0;
		}
		inflateReset(zs);
		z->state = Z_RUN;
	}
	if (z->state != Z_RUN)
		return 0;
	zs->next_in = p;
	zs->avail_in = n;
	for (;;) {
		uint64_t left = z->max_out - z->produced;
		/* One byte beyond the cap says whether there was more. */
		size_t room = left >= INFLATE_OUT ? INFLATE_OUT : left + 1, got;
		int r;

		zs->next_out = z->out;
		zs->avail_out = room;
		r = inflate(zs, Z_NO_FLUSH);
		got = room - zs->avail_out;
		if (got > left) {
			if (left)
				sink(z->out, left, arg);
			z->produced += left;
			return stop(z, -EFBIG);
		}
		z->produced += got;
		if (got)
			sink(z->out, got, arg);
		if (r == Z_STREAM_END) {
			if (z->coding != WINFLATE_GZIP) {
				z->state = Z_DONE;
			} else if (!zs->avail_in) {
				z->state = Z_MEMBER_END;
			} else if (*zs->next_in != 0x1f) {
				z->state = Z_DONE;
			} else {
				inflateReset(zs);
				continue;
			}
			return 0;
		}
		if (r == Z_MEM_ERROR)
			return stop(z, -ENOMEM);
		if (r != Z_OK && r != Z_BUF_ERROR)
			return stop(z, -EILSEQ);
		/*
		 * Room left means the input is used up. A full buffer may leave
		 * output pending inside zlib even without input: go round again.
		 */
		if (zs->avail_out || r == Z_BUF_ERROR)
			return 0;
	}
}

int winflate_feed(struct winflate *z, const uint8_t *p, size_t n, winflate_sink sink, void *arg)
{
	if (z->state == Z_DETECT) {
		uint8_t cmf, flg;
		int r;

		while (n && z->hdr_len < 2) {
			z->hdr[z->hdr_len++] = *p++;
			n--;
		}
		if (z->hdr_len < 2)
			return 0;
		/* "deflate" means zlib (RFC 9110), but raw deflate is common enough. */
		cmf = z->hdr[0];
		flg = z->hdr[1];
		if (zinit(z, (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0 ?
				     MAX_WBITS :
				     -MAX_WBITS))
			return stop(z, -ENOMEM);
		z->state = Z_RUN;
		r = run(z, z->hdr, 2, sink, arg);
		if (r)
			return r;
	}
	return run(z, p, n, sink, arg);
}

int winflate_end(struct winflate *z)
{
	bool cut = z->state == Z_RUN || z->state == Z_DETECT;

	z->state = Z_OFF;
	return cut ? -EILSEQ : 0;
}

bool winflate_running(const struct winflate *z)
{
	return z && (z->state == Z_DETECT || z->state == Z_RUN || z->state == Z_MEMBER_END);
}

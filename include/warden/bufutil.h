/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers the byte decoders share: bounded buffer growth, token compares. */
#ifndef WARDEN_BUFUTIL_H
#define WARDEN_BUFUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/*
 * Grow *buf (of *cap elements of elem bytes) to hold need elements,
 * doubling from 16, never past max (need <= max). 0, or -ENOMEM with *buf
 * and *cap unchanged.
 */
int bufutil_reserve(void **buf, size_t *cap, size_t need, size_t elem, size_t max);

/* The n bytes at p equal the NUL-terminated lit, ASCII case-insensitively. */
bool bufutil_ieq(const char *p, size_t n, const char *lit);

/*
 * rel[0..rlen) joined to the directory dir[0..dlen) into out (cap bytes,
 * NUL-terminated), as text: "." and empty components dropped, ".." taking
 * the component before it away (never dir's leading "/"). What a path
 * names when no file is there to walk (a failed open): symlinks in rel are
 * not followed, so ".." after one may name another directory than the
 * kernel would. Its length, or -ENAMETOOLONG when it does not fit.
 */
int bufutil_path_join(const char *dir, size_t dlen, const char *rel, size_t rlen, char *out,
		      size_t cap);

/*
 * The index of the first byte of s[0..n) that a JSON string's text cannot
 * carry as it is: a control byte, '"' or '\\', and with ascii any byte of
 * 0x80 or more too (for the caller to check as UTF-8); n when there is none.
 * Prompts are kilobytes of such text, read and written a few times each:
 * sixteen bytes a step where there is SSE2 (every x86-64), else eight, by
 * a word-wide test that may flag a clean byte (the byte loop then decides).
 */
static inline size_t bufutil_json_plain(const char *s, size_t n, bool ascii)
{
	size_t i = 0;

#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
	const __m128i space = _mm_set1_epi8(0x20), ctl = _mm_set1_epi8(0x1f);

	for (; n - i >= 16; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(s + i));
		/* Signed, bytes of 0x80 and more are below 0x20 too. */
		__m128i bad = ascii ? _mm_cmplt_epi8(v, space) :
				      _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v);
		unsigned int m;

		bad = _mm_or_si128(bad, _mm_or_si128(_mm_cmpeq_epi8(v, quote),
						     _mm_cmpeq_epi8(v, bslash)));
		m = (unsigned int)_mm_movemask_epi8(bad);
		if (m)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	for (; n - i >= 8; i += 8) {
		uint64_t w, f;

		memcpy(&w, s + i, 8);
		f = ((w - 0x2020202020202020ULL) |
		     ((w ^ 0x2222222222222222ULL) - 0x0101010101010101ULL) |
		     ((w ^ 0x5c5c5c5c5c5c5c5cULL) - 0x0101010101010101ULL)) &
		    ~w;
		if (ascii)
			f |= w;
		if (f & 0x8080808080808080ULL)
			break;
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == '"' || c == '\\' || (ascii && c >= 0x80))
			return i;
	}
	return n;
}

/* The index of the first CR or LF in s[0..n), n when there is none (lines of SSE, of headers). */
static inline size_t bufutil_find_eol(const char *s, size_t n)
{
	size_t i = 0;

#ifdef __SSE2__
	const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');

	for (; n - i >= 16; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(s + i));
		unsigned int m = (unsigned int)_mm_movemask_epi8(
			_mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)));

		if (m)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	for (; n - i >= 8; i += 8) {
		const uint64_t ones = 0x0101010101010101ULL;
		uint64_t w, l, c;

		/* A zero byte of w ^ '\n' or of w ^ '\r': exact when there is none. */
		memcpy(&w, s + i, 8);
		l = w ^ (ones * '\n');
		c = w ^ (ones * '\r');
		if ((((l - ones) & ~l) | ((c - ones) & ~c)) & (ones << 7))
			break;
	}
	while (i < n && s[i] != '\n' && s[i] != '\r')
		i++;
	return i;
}

#endif

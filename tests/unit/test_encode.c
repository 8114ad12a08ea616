// SPDX-License-Identifier: Apache-2.0
/* Unit tests for src/util/encode.c: UTF-8 validation and base64. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "warden/encode.h"

static bool valid(const char *bytes, size_t len)
{
	return encode_utf8_valid((const unsigned char *)bytes, len);
}

#define VALID(lit) valid(lit, sizeof(lit) - 1)

/* ---- UTF-8 ---------------------------------------------------------------- */

static void utf8_empty_and_ascii(void **state)
{
	(void)state;
	assert_true(encode_utf8_valid((const unsigned char *)"", 0));
	assert_true(VALID("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"));
	assert_true(VALID("\x01\x7f"));
	/* Every 7-bit byte on its own is valid. */
	for (unsigned int c = 0; c < 0x80; c++) {
		unsigned char b = c;

		assert_true(encode_utf8_valid(&b, 1));
	}
}

static void utf8_high_bytes_alone_invalid(void **state)
{
	(void)state;
	/* No byte >= 0x80 is valid on its own: lead bytes need continuations. */
	for (unsigned int c = 0x80; c < 0x100; c++) {
		unsigned char b = c;

		assert_false(encode_utf8_valid(&b, 1));
	}
}

static void utf8_embedded_nul_valid(void **state)
{
	(void)state;
	assert_true(VALID("a\0b"));
	assert_true(VALID("\0\0\0"));
	assert_true(VALID("\xc3\xa9\0\xe2\x82\xac"));
}

static void utf8_two_byte(void **state)
{
	(void)state;
	assert_true(VALID("\xc2\x80")); /* U+0080, smallest 2-byte */
	assert_true(VALID("caf\xc3\xa9")); /* "café" */
	assert_true(VALID("\xdf\xbf")); /* U+07FF, largest 2-byte */
	/* Overlong encodings of U+0000 and U+007F. */
	assert_false(VALID("\xc0\x80"));
	assert_false(VALID("\xc1\xbf"));
	/* Second byte not a continuation. */
	assert_false(VALID("\xc3\x41"));
	assert_false(VALID("\xc3\xc3"));
}

static void utf8_three_byte(void **state)
{
	(void)state;
	assert_true(VALID("\xe0\xa0\x80")); /* U+0800 */
	assert_true(VALID("\xe2\x82\xac")); /* U+20AC EURO SIGN */
	assert_true(VALID("\xed\x9f\xbf")); /* U+D7FF, just below surrogates */
	assert_true(VALID("\xee\x80\x80")); /* U+E000, just above surrogates */
	assert_true(VALID("\xef\xbf\xbf")); /* U+FFFF */
	/* Overlong. */
	assert_false(VALID("\xe0\x80\x80"));
	assert_false(VALID("\xe0\x9f\xbf")); /* U+07FF in 3 bytes */
	/* Surrogates U+D800..U+DFFF. */
	assert_false(VALID("\xed\xa0\x80"));
	assert_false(VALID("\xed\xbf\xbf"));
	assert_false(VALID("\xed\xb0\x80"));
	/* Bad continuation. */
	assert_false(VALID("\xe2\x82\x41"));
	assert_false(VALID("\xe2\x41\xac"));
}

static void utf8_four_byte(void **state)
{
	(void)state;
	assert_true(VALID("\xf0\x90\x80\x80")); /* U+10000 */
	assert_true(VALID("\xf0\x9f\x98\x80")); /* U+1F600 */
	assert_true(VALID("\xf4\x8f\xbf\xbf")); /* U+10FFFF */
	/* > U+10FFFF. */
	assert_false(VALID("\xf4\x90\x80\x80"));
	assert_false(VALID("\xf5\x80\x80\x80"));
	assert_false(VALID("\xf7\xbf\xbf\xbf"));
	/* Overlong. */
	assert_false(VALID("\xf0\x80\x80\x80"));
	assert_false(VALID("\xf0\x8f\xbf\xbf")); /* U+FFFF in 4 bytes */
	/* Bad continuation in each position. */
	assert_false(VALID("\xf0\x41\x98\x80"));
	assert_false(VALID("\xf0\x9f\x41\x80"));
	assert_false(VALID("\xf0\x9f\x98\x41"));
}

static void utf8_truncated_at_end(void **state)
{
	(void)state;
	assert_false(VALID("\xc3"));
	assert_false(VALID("abc\xc3"));
	assert_false(VALID("\xe2\x82"));
	assert_false(VALID("abc\xe2"));
	assert_false(VALID("\xf0\x9f\x98"));
	assert_false(VALID("x\xf0\x9f"));
	/* A valid sequence cut by len even though more bytes follow in memory. */
	assert_false(valid("\xe2\x82\xac", 2));
	assert_false(valid("\xf0\x9f\x98\x80", 3));
	assert_true(valid("a\xe2\x82\xac", 1));
}

static void utf8_lone_continuation(void **state)
{
	(void)state;
	assert_false(VALID("\x80"));
	assert_false(VALID("\xbf"));
	assert_false(VALID("abc\x80xyz"));
	/* One continuation too many after a complete sequence. */
	assert_false(VALID("\xc3\xa9\xa9"));
	assert_false(VALID("\xe2\x82\xac\x80"));
}

static void utf8_invalid_lead_bytes(void **state)
{
	(void)state;
	assert_false(VALID("\xfe"));
	assert_false(VALID("\xff"));
	assert_false(VALID("\xf8\x88\x80\x80\x80"));
	assert_false(VALID("ok\xff"));
}

/* ---- base64 --------------------------------------------------------------- */

static void check_b64(const char *in, const char *expect)
{
	size_t len = strlen(in);
	size_t need = encode_base64_size(len);
	char *out = malloc(need + 8);
	size_t n;

	assert_non_null(out);
	assert_int_equal(need, strlen(expect) + 1);
	memset(out, 'Z', need + 8);
	n = encode_base64((const unsigned char *)in, len, out);
	assert_int_equal(n, strlen(expect));
	assert_string_equal(out, expect);
	/* Nothing written past the advertised size. */
	for (size_t i = need; i < need + 8; i++)
		assert_int_equal(out[i], 'Z');
	free(out);
}

static void b64_rfc4648_vectors(void **state)
{
	(void)state;
	check_b64("", "");
	check_b64("f", "Zg==");
	check_b64("fo", "Zm8=");
	check_b64("foo", "Zm9v");
	check_b64("foob", "Zm9vYg==");
	check_b64("fooba", "Zm9vYmE=");
	check_b64("foobar", "Zm9vYmFy");
}

static int b64_val(char c)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(tbl, c) : NULL;

	return p ? (int)(p - tbl) : -1;
}

/* A strict reference decoder: -1 on any character outside the alphabet. */
static long b64_decode(const char *s, size_t n, unsigned char *out)
{
	size_t o = 0;

	if (n % 4)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		int pad = 0;

		for (int k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
			} else {
				if (pad)
					return -1;
				v[k] = b64_val(s[i + k]);
				if (v[k] < 0)
					return -1;
			}
		}
		uint32_t w = v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3];

		out[o++] = w >> 16;
		if (pad < 2)
			out[o++] = w >> 8 & 0xff;
		if (pad < 1)
			out[o++] = w & 0xff;
	}
	return o;
}

static void b64_binary_roundtrip(void **state)
{
	unsigned char in[256], back[256];
	char out[400];
	size_t n;

	(void)state;
	for (int i = 0; i < 256; i++)
		in[i] = i;
	assert_int_equal(encode_base64_size(256), 345);
	n = encode_base64(in, sizeof(in), out);
	assert_int_equal(n, 344);
	assert_int_equal(strlen(out), 344);
	/* 256 = 85*3 + 1: two padding characters. */
	assert_int_equal(out[342], '=');
	assert_int_equal(out[343], '=');
	assert_memory_equal(out, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g", 44);
	assert_string_equal(out + 340, "/w==");
	assert_int_equal(b64_decode(out, n, back), 256);
	assert_memory_equal(back, in, 256);

	/* Every length 0..256, from every start: length and content survive. */
	for (size_t start = 0; start < 3; start++) {
		for (size_t len = 0; len + start <= 256; len++) {
			n = encode_base64(in + start, len, out);
			assert_int_equal(n, (len + 2) / 3 * 4);
			assert_int_equal(n + 1, encode_base64_size(len));
			assert_int_equal(out[n], 0);
			assert_int_equal(b64_decode(out, n, back), len);
			assert_memory_equal(back, in + start, len);
		}
	}
}

static void b64_high_bits(void **state)
{
	char out[16];
	(void)state;
	/* Sign extension of bytes >= 0x80 must not leak into other sextets. */
	encode_base64((const unsigned char *)"\xff\xff\xff", 3, out);
	assert_string_equal(out, "////");
	encode_base64((const unsigned char *)"\xff", 1, out);
	assert_string_equal(out, "/w==");
	encode_base64((const unsigned char *)"\x00\xff", 2, out);
	assert_string_equal(out, "AP8=");
	encode_base64((const unsigned char *)"\xfb\xef\xbe", 3, out);
	assert_string_equal(out, "++++");
	encode_base64((const unsigned char *)"\0\0\0", 3, out);
	assert_string_equal(out, "AAAA");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8_empty_and_ascii),
		cmocka_unit_test(utf8_high_bytes_alone_invalid),
		cmocka_unit_test(utf8_embedded_nul_valid),
		cmocka_unit_test(utf8_two_byte),
		cmocka_unit_test(utf8_three_byte),
		cmocka_unit_test(utf8_four_byte),
		cmocka_unit_test(utf8_truncated_at_end),
		cmocka_unit_test(utf8_lone_continuation),
		cmocka_unit_test(utf8_invalid_lead_bytes),
		cmocka_unit_test(b64_rfc4648_vectors),
		cmocka_unit_test(b64_binary_roundtrip),
		cmocka_unit_test(b64_high_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

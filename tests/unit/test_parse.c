// SPDX-License-Identifier: Apache-2.0
/* Unit tests for src/util/parse.c: parse_size and parse_uint. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "warden/parse.h"

#define SENTINEL 0xdeadbeefcafef00dull

static void size_ok(const char *s, uint64_t expect)
{
	uint64_t v = SENTINEL;
	int r = parse_size(s, &v);

	if (r != 0)
		fail_msg("parse_size(\"%s\") = %d, expected 0", s, r);
	if (v != expect)
		fail_msg("parse_size(\"%s\") -> %llu, expected %llu", s, (unsigned long long)v,
			 (unsigned long long)expect);
}

static void size_err(const char *s, int expect)
{
	uint64_t v = SENTINEL;
	int r = parse_size(s, &v);

	if (r != expect)
		fail_msg("parse_size(\"%s\") = %d, expected %d", s, r, expect);
	/* A failed parse leaves the output alone. */
	assert_true(v == SENTINEL);
}

static void parse_size_plain(void **state)
{
	(void)state;
	size_ok("4096", 4096);
	size_ok("0", 0);
	size_ok("1", 1);
	size_ok("18446744073709551615", UINT64_MAX);
}

static void parse_size_suffixes(void **state)
{
	(void)state;
	size_ok("256K", 256ull << 10);
	size_ok("1k", 1024);
	size_ok("1K", 1024);
	size_ok("1M", 1ull << 20);
	size_ok("1m", 1ull << 20);
	size_ok("16MiB", 16ull << 20);
	size_ok("16MB", 16ull << 20);
	size_ok("2GB", 2ull << 30);
	size_ok("2G", 2ull << 30);
	size_ok("2g", 2ull << 30);
	size_ok("3KiB", 3072);
	size_ok("0K", 0);
	/* The largest value each suffix accepts. */
	size_ok("17179869183G", 17179869183ull << 30);
	size_ok("17592186044415M", 17592186044415ull << 20);
	size_ok("18014398509481983K", 18014398509481983ull << 10);
}

static void parse_size_invalid(void **state)
{
	(void)state;
	size_err("", -EINVAL);
	size_err("K", -EINVAL);
	size_err("M", -EINVAL);
	size_err("12X", -EINVAL);
	size_err("-1", -EINVAL);
	size_err("+1", -EINVAL);
	size_err(" 1", -EINVAL);
	size_err("1 ", -EINVAL);
	size_err("1 K", -EINVAL);
	size_err("1MM", -EINVAL);
	size_err("1KB2", -EINVAL);
	size_err("1Mi", -EINVAL);
	size_err("1MiBB", -EINVAL);
	size_err("1T", -EINVAL);
	size_err("1.5M", -EINVAL);
	size_err("0x10", -EINVAL);
	size_err("abc", -EINVAL);
	assert_int_equal(parse_size(NULL, &(uint64_t){ 0 }), -EINVAL);
}

static void parse_size_range(void **state)
{
	(void)state;
	size_err("99999999999999999999", -ERANGE);
	size_err("18446744073709551616", -ERANGE);
	size_err("17179869184G", -ERANGE); /* 2^34 GiB = 2^64 */
	size_err("17592186044416M", -ERANGE);
	size_err("18014398509481984K", -ERANGE);
	size_err("99999999999999999999K", -ERANGE);
}

static void uint_ok(const char *s, uint64_t min, uint64_t max, uint64_t expect)
{
	uint64_t v = SENTINEL;
	int r = parse_uint(s, min, max, &v);

	if (r != 0)
		fail_msg("parse_uint(\"%s\", %llu, %llu) = %d, expected 0", s,
			 (unsigned long long)min, (unsigned long long)max, r);
	assert_true(v == expect);
}

static void uint_err(const char *s, uint64_t min, uint64_t max, int expect)
{
	uint64_t v = SENTINEL;
	int r = parse_uint(s, min, max, &v);

	if (r != expect)
		fail_msg("parse_uint(\"%s\", %llu, %llu) = %d, expected %d", s,
			 (unsigned long long)min, (unsigned long long)max, r, expect);
	assert_true(v == SENTINEL);
}

static void parse_uint_bounds(void **state)
{
	(void)state;
	uint_ok("1", 1, 10, 1);
	uint_ok("10", 1, 10, 10);
	uint_ok("5", 1, 10, 5);
	uint_ok("0", 0, 0, 0);
	uint_ok("007", 0, 10, 7);
	uint_ok("18446744073709551615", 0, UINT64_MAX, UINT64_MAX);
	uint_err("0", 1, 10, -ERANGE);
	uint_err("11", 1, 10, -ERANGE);
	uint_err("4294967296", 0, UINT32_MAX, -ERANGE);
	uint_ok("4294967295", 0, UINT32_MAX, UINT32_MAX);
	uint_err("18446744073709551616", 0, UINT64_MAX, -ERANGE);
	uint_err("99999999999999999999", 0, UINT64_MAX, -ERANGE);
}

static void parse_uint_invalid(void **state)
{
	(void)state;
	uint_err("", 0, 100, -EINVAL);
	uint_err("-1", 0, 100, -EINVAL);
	uint_err("+1", 0, 100, -EINVAL);
	uint_err(" 1", 0, 100, -EINVAL);
	uint_err("1 ", 0, 100, -EINVAL);
	uint_err("1K", 0, 10000, -EINVAL);
	uint_err("1.0", 0, 100, -EINVAL);
	uint_err("0x1", 0, 100, -EINVAL);
	uint_err("x", 0, 100, -EINVAL);
	assert_int_equal(parse_uint(NULL, 0, 1, &(uint64_t){ 0 }), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_size_plain),	cmocka_unit_test(parse_size_suffixes),
		cmocka_unit_test(parse_size_invalid),	cmocka_unit_test(parse_size_range),
		cmocka_unit_test(parse_uint_bounds),	cmocka_unit_test(parse_uint_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

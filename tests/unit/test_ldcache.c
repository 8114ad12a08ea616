// SPDX-License-Identifier: Apache-2.0
/* Unit tests for src/sensor/ldcache.c: the glibc ld.so.cache 1.1 format. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "warden/ldcache.h"

#define MAGIC "glibc-ld.so.cache1.1"
#define HDR_SIZE 48
#define ENTRY_SIZE 24

struct pair {
	const char *key, *path;
};

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/*
 * A new-format image at buf + prefix_len (buf holds prefix_len bytes of
 * whatever came before). Returns the total length; *key_off / *val_off
 * get the offsets written for entry 0 (relative to the new header).
 */
static size_t build_cache(unsigned char *buf, size_t size, size_t prefix_len,
			  const struct pair *pairs, unsigned int n)
{
	unsigned char *h = buf + prefix_len;
	size_t str_off = HDR_SIZE + (size_t)n * ENTRY_SIZE;
	size_t o = str_off;

	assert_true(prefix_len + str_off <= size);
	memset(h, 0, str_off);
	memcpy(h, MAGIC, 20);
	put32(h + 20, n);
	h[28] = 2; /* flags: little endian, as ldconfig writes on x86-64 */
	for (unsigned int i = 0; i < n; i++) {
		unsigned char *e = h + HDR_SIZE + i * ENTRY_SIZE;
		size_t kl = strlen(pairs[i].key) + 1, vl = strlen(pairs[i].path) + 1;

		assert_true(prefix_len + o + kl + vl <= size);
		put32(e, 0x0303); /* FLAG_ELF_LIBC6 | FLAG_X8664_LIB64 */
		put32(e + 4, o);
		memcpy(h + o, pairs[i].key, kl);
		o += kl;
		put32(e + 8, o);
		memcpy(h + o, pairs[i].path, vl);
		o += vl;
		put32(e + 12, 0);
		put64(e + 16, 0);
	}
	put32(h + 24, o - str_off); /* len_strings */
	return prefix_len + o;
}

struct seen {
	unsigned int n;
	char key[8][64];
	char path[8][128];
	int stop_at; /* return non-zero from this call (1-based); 0: never */
	int ret;
};

static int collect(const char *key, const char *path, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8) {
		snprintf(s->key[s->n], sizeof(s->key[0]), "%s", key);
		snprintf(s->path[s->n], sizeof(s->path[0]), "%s", path);
	}
	s->n++;
	return s->stop_at && (int)s->n == s->stop_at ? s->ret : 0;
}

static const struct pair two[] = {
	{ "libssl.so.3", "/lib/x86_64-linux-gnu/libssl.so.3" },
	{ "libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6" },
};

static void parse_two_entries(void **state)
{
	unsigned char buf[512];
	struct seen s = { 0 };
	size_t len;

	(void)state;
	len = build_cache(buf, sizeof(buf), 0, two, 2);
	assert_int_equal(len, 48 + 48 + 12 + 34 + 10 + 32);
	assert_int_equal(ldcache_parse(buf, len, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.key[0], "libssl.so.3");
	assert_string_equal(s.path[0], "/lib/x86_64-linux-gnu/libssl.so.3");
	assert_string_equal(s.key[1], "libc.so.6");
	assert_string_equal(s.path[1], "/lib/x86_64-linux-gnu/libc.so.6");
}

static void parse_empty_cache(void **state)
{
	unsigned char buf[64];
	struct seen s = { 0 };
	size_t len;

	(void)state;
	len = build_cache(buf, sizeof(buf), 0, NULL, 0);
	assert_int_equal(len, 48);
	assert_int_equal(ldcache_parse(buf, len, collect, &s), 0);
	assert_int_equal(s.n, 0);
}

static void parse_shared_strings(void **state)
{
	unsigned char buf[512];
	struct seen s = { 0 };
	size_t len;

	(void)state;
	/* ldconfig shares string tails: a key may point inside another string. */
	len = build_cache(buf, sizeof(buf), 0, two, 2);
	put32(buf + HDR_SIZE + ENTRY_SIZE + 4, 0 + HDR_SIZE + 2 * ENTRY_SIZE + 12 + 22);
	assert_int_equal(ldcache_parse(buf, len, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.key[1], "libssl.so.3");
	assert_string_equal(s.path[1], "/lib/x86_64-linux-gnu/libc.so.6");
}

static void callback_stops_walk(void **state)
{
	unsigned char buf[512];
	struct seen s = { 0 };
	size_t len;

	(void)state;
	len = build_cache(buf, sizeof(buf), 0, two, 2);
	s.stop_at = 1;
	s.ret = 7;
	assert_int_equal(ldcache_parse(buf, len, collect, &s), 7);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.key[0], "libssl.so.3");

	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	s.ret = -ECANCELED;
	assert_int_equal(ldcache_parse(buf, len, collect, &s), -ECANCELED);
	assert_int_equal(s.n, 1);

	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	s.ret = 1;
	assert_int_equal(ldcache_parse(buf, len, collect, &s), 1);
	assert_int_equal(s.n, 2);
}

static void malformed_nlibs(void **state)
{
	unsigned char buf[512];
	struct seen s = { 0 };
	size_t len;

	(void)state;
	len = build_cache(buf, sizeof(buf), 0, two, 2);
	/* Entries would run past the end. */
	put32(buf + 20, (len - HDR_SIZE) / ENTRY_SIZE + 1);
	assert_int_equal(ldcache_parse(buf, len, collect, &s), -EBADMSG);
	put32(buf + 20, 1000);
	assert_int_equal(ldcache_parse(buf, len, collect, &s), -EBADMSG);
	put32(buf + 20, 0xffffffff);
	assert_int_equal(ldcache_parse(buf, len, collect, &s), -EBADMSG);
	put32(buf + 20, 0x0aaaaaab); /* * 24 wraps a 32-bit size to 8 */
	assert_int_equal(ldcache_parse(buf, len, collect, &s), -EBADMSG);
	assert_int_equal(s.n, 0);
}

static void malformed_string_offsets(void **state)
{
	unsigned char buf[512];
	struct seen s = { 0 };
	size_t len;

	(void)state;
	/* Key of entry 1 at len: one past the end. */
	len = build_cache(buf, sizeof(buf), 0, two, 2);
	put32(buf + HDR_SIZE + ENTRY_SIZE + 4, len);
	assert_int_equal(ldcache_parse(buf, len, collect, &s), -EBADMSG);
	/* Entry 0 is fine and may be reported first; nothing after the bad one. */
	assert_true(s.n <= 1);

	memset(&s, 0, sizeof(s));
	len = build_cache(buf, sizeof(buf), 0, two, 2);
	put32(buf + HDR_SIZE + 8, 0xffffffff); /* value of entry 0 */
	assert_int_equal(ldcache_parse(buf, len, collect, &s), -EBADMSG);
	assert_int_equal(s.n, 0);

	memset(&s, 0, sizeof(s));
	len = build_cache(buf, sizeof(buf), 0, two, 2);
	put32(buf + HDR_SIZE + 4, len + 1000);
	assert_int_equal(ldcache_parse(buf, len, collect, &s), -EBADMSG);
	assert_int_equal(s.n, 0);
}

static void malformed_unterminated_string(void **state)
{
	unsigned char buf[512];
	struct seen s = { 0 };
	size_t len;

	(void)state;
	/* The last string (libc's path) loses its NUL: it runs to the end. */
	len = build_cache(buf, sizeof(buf), 0, two, 2);
	buf[len - 1] = 'X';
	assert_int_equal(ldcache_parse(buf, len, collect, &s), -EBADMSG);
	/* Same, by cutting the image one byte short. */
	memset(&s, 0, sizeof(s));
	len = build_cache(buf, sizeof(buf), 0, two, 2);
	buf[len - 1] = 'X'; /* make sure no NUL sits right after */
	assert_int_equal(ldcache_parse(buf, len - 1, collect, &s), -EBADMSG);
	assert_true(s.n <= 1);
}

static void malformed_short_or_no_magic(void **state)
{
	unsigned char buf[512];
	struct seen s = { 0 };
	size_t len;

	(void)state;
	len = build_cache(buf, sizeof(buf), 0, two, 2);
	for (size_t n = 0; n < HDR_SIZE; n++)
		assert_int_equal(ldcache_parse(buf, n, collect, &s), -EBADMSG);
	/* Header present, entries cut. */
	assert_int_equal(ldcache_parse(buf, HDR_SIZE + ENTRY_SIZE, collect, &s), -EBADMSG);
	assert_int_equal(s.n, 0);

	/* No magic anywhere. */
	memcpy(buf, "glibc-ld.so.cache1.0", 20);
	assert_int_equal(ldcache_parse(buf, len, collect, &s), -EBADMSG);
	memset(buf, 0, 20);
	assert_int_equal(ldcache_parse(buf, len, collect, &s), -EBADMSG);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(ldcache_parse(buf, sizeof(buf), collect, &s), -EBADMSG);
	assert_int_equal(s.n, 0);

	/* Only the old format. */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, "ld.so-1.7.0", 11);
	assert_int_equal(ldcache_parse(buf, 128, collect, &s), -EBADMSG);

	/* Magic found, but fewer than 48 bytes from it to the end. */
	memset(buf, 0, sizeof(buf));
	memcpy(buf + 100, MAGIC, 20);
	assert_int_equal(ldcache_parse(buf, 100 + 47, collect, &s), -EBADMSG);
	assert_int_equal(s.n, 0);
}

static void old_format_prefix(void **state)
{
	unsigned char buf[1024];
	struct seen s = { 0 };
	size_t len, prefix;

	(void)state;
	/*
	 * The compat layout: "ld.so-1.7.0" (12 bytes with NUL), u32 nlibs,
	 * nlibs 12-byte entries {flags, key, value}, the new header aligned
	 * to 8 after them.
	 */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, "ld.so-1.7.0", 12);
	put32(buf + 12, 2);
	for (int i = 0; i < 2; i++) {
		put32(buf + 16 + 12 * i, 0x0303);
		put32(buf + 20 + 12 * i, 0x1000 + i);
		put32(buf + 24 + 12 * i, 0x2000 + i);
	}
	prefix = (16 + 2 * 12 + 7) & ~(size_t)7;
	assert_int_equal(prefix, 40);
	len = build_cache(buf, sizeof(buf), prefix, two, 2);
	assert_int_equal(ldcache_parse(buf, len, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.key[0], "libssl.so.3");
	assert_string_equal(s.path[0], "/lib/x86_64-linux-gnu/libssl.so.3");
	assert_string_equal(s.key[1], "libc.so.6");
	assert_string_equal(s.path[1], "/lib/x86_64-linux-gnu/libc.so.6");

	/* A prefix that leaves the new header unaligned. */
	{
		unsigned char odd[1024];
		struct seen s2 = { 0 };
		size_t olen;

		memset(odd, 0, sizeof(odd));
		memcpy(odd, "ld.so-1.7.0", 12);
		olen = build_cache(odd, sizeof(odd), 13, two, 2);
		assert_int_equal(ldcache_parse(odd, olen, collect, &s2), 0);
		assert_int_equal(s2.n, 2);
		assert_string_equal(s2.key[1], "libc.so.6");
		assert_string_equal(s2.path[1], "/lib/x86_64-linux-gnu/libc.so.6");
	}

	/* Offsets count from the new header, not from the file start. */
	memset(&s, 0, sizeof(s));
	put32(buf + prefix + HDR_SIZE + 4, len - prefix); /* == new-format length: past the end */
	assert_int_equal(ldcache_parse(buf, len, collect, &s), -EBADMSG);
	assert_int_equal(s.n, 0);
}

/* ---- the real /etc/ld.so.cache --------------------------------------------- */

struct real {
	unsigned int n;
	int ssl, libc;
	char ssl_path[256];
};

static int find_libs(const char *key, const char *path, void *arg)
{
	struct real *r = arg;

	r->n++;
	if (!strncmp(key, "libssl.so", 9) && !r->ssl) {
		r->ssl = 1;
		snprintf(r->ssl_path, sizeof(r->ssl_path), "%s", path);
	}
	if (!strcmp(key, "libc.so.6"))
		r->libc = 1;
	return 0;
}

static void walk_etc_ld_so_cache(void **state)
{
	struct real r = { 0 };
	unsigned char hdr[48];
	FILE *f;

	(void)state;
	f = fopen("/etc/ld.so.cache", "rb");
	if (!f) {
		print_message("/etc/ld.so.cache missing: skipped\n");
		skip();
	}
	assert_int_equal(fread(hdr, 1, sizeof(hdr), f), sizeof(hdr));
	fclose(f);

	assert_int_equal(ldcache_walk_file("/etc/ld.so.cache", find_libs, &r), 0);
	assert_true(r.n > 0);
	if (!memcmp(hdr, MAGIC, 20)) {
		uint32_t nlibs;

		memcpy(&nlibs, hdr + 20, 4);
		assert_int_equal(r.n, nlibs);
	}
	assert_true(r.libc);
	if (!r.ssl) {
		print_message("no libssl in /etc/ld.so.cache: skipped\n");
		skip();
	}
	assert_non_null(strstr(r.ssl_path, "libssl"));
	assert_int_equal(r.ssl_path[0], '/');
	assert_int_equal(access(r.ssl_path, F_OK), 0);
}

static void walk_file_errors(void **state)
{
	char path[] = "/tmp/warden-test-ldcache.XXXXXX";
	struct seen s = { 0 };
	int fd;

	(void)state;
	assert_int_equal(ldcache_walk_file("/nonexistent/ld.so.cache", collect, &s), -ENOENT);

	/* An empty file. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	/* An error (today -EFBIG), and no callback. */
	assert_true(ldcache_walk_file(path, collect, &s) < 0);
	assert_int_equal(s.n, 0);
	/* A file with a valid image. */
	{
		unsigned char buf[512];
		size_t len = build_cache(buf, sizeof(buf), 0, two, 2);

		assert_int_equal(write(fd, buf, len), (ssize_t)len);
	}
	assert_int_equal(ldcache_walk_file(path, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.key[0], "libssl.so.3");
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_two_entries),
		cmocka_unit_test(parse_empty_cache),
		cmocka_unit_test(parse_shared_strings),
		cmocka_unit_test(callback_stops_walk),
		cmocka_unit_test(malformed_nlibs),
		cmocka_unit_test(malformed_string_offsets),
		cmocka_unit_test(malformed_unterminated_string),
		cmocka_unit_test(malformed_short_or_no_magic),
		cmocka_unit_test(old_format_prefix),
		cmocka_unit_test(walk_etc_ld_so_cache),
		cmocka_unit_test(walk_file_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

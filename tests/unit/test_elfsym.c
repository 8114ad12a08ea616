// SPDX-License-Identifier: Apache-2.0
/* Unit tests for src/sensor/elfsym.c: exported functions in .dynsym. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include "warden/elfsym.h"

#define LIBSSL "/lib/x86_64-linux-gnu/libssl.so.3"
#define LIBCURL "/usr/lib/x86_64-linux-gnu/libcurl.so.4"
#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"

static const char *const ssl_names[] = { "SSL_write", "SSL_read", "SSL_write_ex", "SSL_read_ex" };

static void need_file(const char *path)
{
	if (access(path, R_OK)) {
		print_message("%s missing: skipped\n", path);
		skip();
	}
}

static void libssl_exports_all_four(void **state)
{
	uint32_t found = 0xdead;

	(void)state;
	need_file(LIBSSL);
	assert_int_equal(elfsym_find_exported(LIBSSL, ssl_names, 4, &found, NULL), 0);
	assert_int_equal(found, 0xf);
}

static void libssl_bits_follow_names(void **state)
{
	static const char *const names[] = {
		"no_such_symbol", "SSL_read_ex", "SSL_CTX_new", "SSL_write",
		"SSL_write ",	  "ssl_write",	 "SSL_writ",	"SSL_read",
	};
	uint32_t found = 0;

	(void)state;
	need_file(LIBSSL);
	assert_int_equal(elfsym_find_exported(LIBSSL, names, 8, &found, NULL), 0);
	/* 1: SSL_read_ex, 2: SSL_CTX_new, 3: SSL_write, 7: SSL_read; no prefixes or case games. */
	assert_int_equal(found, (1u << 1) | (1u << 2) | (1u << 3) | (1u << 7));

	/* A subset: only the bits asked for. */
	assert_int_equal(elfsym_find_exported(LIBSSL, ssl_names + 2, 2, &found, NULL), 0);
	assert_int_equal(found, 0x3);
	/* No names: nothing found, not an error. */
	found = 0xdead;
	assert_int_equal(elfsym_find_exported(LIBSSL, ssl_names, 0, &found, NULL), 0);
	assert_int_equal(found, 0);
}

static void too_many_names(void **state)
{
	const char *names[33];
	uint32_t found = 0xdead;

	(void)state;
	need_file(LIBSSL);
	for (int i = 0; i < 33; i++)
		names[i] = "SSL_write";
	assert_int_equal(elfsym_find_exported(LIBSSL, names, 33, &found, NULL), -EINVAL);
	assert_int_equal(found, 0);
	/* 32 is allowed: bit 31 is usable. */
	for (int i = 0; i < 31; i++)
		names[i] = "no_such_symbol";
	names[31] = "SSL_write";
	assert_int_equal(elfsym_find_exported(LIBSSL, names, 32, &found, NULL), 0);
	assert_int_equal(found, 1u << 31);
}

static void bin_true_has_none(void **state)
{
	uint32_t found = 0xdead;

	(void)state;
	need_file("/bin/true");
	assert_int_equal(elfsym_find_exported("/bin/true", ssl_names, 4, &found, NULL), 0);
	assert_int_equal(found, 0);
}

static void imported_symbols_not_reported(void **state)
{
	static const char *const names[] = { "malloc", "free", "SSL_write" };
	static const char *const curl_names[] = { "curl_easy_init", "curl_easy_perform",
						  "SSL_write" };
	uint32_t found = 0xdead;

	(void)state;
	/* /bin/true imports malloc and free (undefined in its .dynsym)... */
	need_file("/bin/true");
	assert_int_equal(elfsym_find_exported("/bin/true", names, 3, &found, NULL), 0);
	assert_int_equal(found, 0);
	/* ...which libc defines: the same names are found there. */
	if (!access(LIBC, R_OK)) {
		assert_int_equal(elfsym_find_exported(LIBC, names, 3, &found, NULL), 0);
		assert_int_equal(found, 0x3);
	}
	/* /usr/bin/curl imports curl_easy_* from libcurl and never names SSL_write. */
	if (!access("/usr/bin/curl", R_OK)) {
		assert_int_equal(elfsym_find_exported("/usr/bin/curl", curl_names, 3, &found, NULL), 0);
		assert_int_equal(found, 0);
	}
	/* libcurl defines curl_easy_* and imports SSL_write/SSL_read from libssl. */
	if (!access(LIBCURL, R_OK)) {
		assert_int_equal(elfsym_find_exported(LIBCURL, curl_names, 3, &found, NULL), 0);
		assert_int_equal(found, 0x3);
		assert_int_equal(elfsym_find_exported(LIBCURL, ssl_names, 4, &found, NULL), 0);
		assert_int_equal(found, 0);
	}
}

static void data_symbols_not_reported(void **state)
{
	/* libc exports these as objects, not functions. */
	static const char *const names[] = { "environ", "stdout", "errno", "getenv" };
	uint32_t found = 0;

	(void)state;
	need_file(LIBC);
	assert_int_equal(elfsym_find_exported(LIBC, names, 4, &found, NULL), 0);
	assert_int_equal(found, 1u << 3);
}

static char *temp_file(const char *data, size_t len)
{
	char *path = strdup("/tmp/warden-test-elfsym.XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void not_elf(void **state)
{
	static const char text[] = "#!/bin/sh\necho SSL_write SSL_read\n";
	uint32_t found = 0xdead;
	char *path;

	(void)state;
	path = temp_file(text, sizeof(text) - 1);
	assert_int_equal(elfsym_find_exported(path, ssl_names, 4, &found, NULL), -ENOEXEC);
	assert_int_equal(found, 0);
	unlink(path);
	free(path);

	/* Empty, and an ELF magic with nothing after it. */
	path = temp_file("", 0);
	assert_int_equal(elfsym_find_exported(path, ssl_names, 4, &found, NULL), -ENOEXEC);
	unlink(path);
	free(path);
	path = temp_file("\x7f" "ELF", 4);
	assert_int_equal(elfsym_find_exported(path, ssl_names, 4, &found, NULL), -ENOEXEC);
	unlink(path);
	free(path);

	/* An ar archive is not an ELF object either. */
	path = temp_file("!<arch>\n", 8);
	assert_int_equal(elfsym_find_exported(path, ssl_names, 4, &found, NULL), -ENOEXEC);
	unlink(path);
	free(path);
}

static void missing_path(void **state)
{
	uint32_t found = 0xdead;

	(void)state;
	assert_int_equal(elfsym_find_exported("/nonexistent/libssl.so.3", ssl_names, 4, &found, NULL),
			 -ENOENT);
	assert_int_equal(found, 0);
}

/*
 * The offsets are what the uprobes attach at: the code bytes there in the
 * file must be the bytes the dynamic linker put at the symbol's address.
 */
static void libssl_offsets_hold_the_code(void **state)
{
	uint64_t off[4] = { 0 };
	uint32_t found = 0;
	void *h;
	int fd;

	(void)state;
	need_file(LIBSSL);
	assert_int_equal(elfsym_find_exported(LIBSSL, ssl_names, 4, &found, off), 0);
	assert_int_equal(found, 0xf);
	h = dlopen(LIBSSL, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h);
	fd = open(LIBSSL, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	for (unsigned int i = 0; i < 4; i++) {
		unsigned char file[32];
		void *sym = dlsym(h, ssl_names[i]);

		assert_non_null(sym);
		assert_true(off[i] > 0);
		assert_int_equal(pread(fd, file, sizeof(file), (off_t)off[i]), sizeof(file));
		/* Past the first instruction: a live uprobe puts int3 there. */
		assert_memory_equal(file + 8, (unsigned char *)sym + 8, sizeof(file) - 8);
	}
	/* Distinct functions, distinct offsets. */
	assert_true(off[0] != off[1] && off[0] != off[2] && off[1] != off[3]);
	close(fd);
	dlclose(h);
}

/* Asking for offsets changes nothing about what is found. */
static void offsets_zero_when_not_found(void **state)
{
	static const char *const names[] = { "SSL_write", "no_such_symbol" };
	uint64_t off[2] = { 7, 7 };
	uint32_t found = 0;

	(void)state;
	need_file(LIBSSL);
	assert_int_equal(elfsym_find_exported(LIBSSL, names, 2, &found, off), 0);
	assert_int_equal(found, 0x1);
	assert_true(off[0] > 0);
	assert_int_equal(off[1], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(libssl_exports_all_four),
		cmocka_unit_test(libssl_bits_follow_names),
		cmocka_unit_test(libssl_offsets_hold_the_code),
		cmocka_unit_test(offsets_zero_when_not_found),
		cmocka_unit_test(too_many_names),
		cmocka_unit_test(bin_true_has_none),
		cmocka_unit_test(imported_symbols_not_reported),
		cmocka_unit_test(data_symbols_not_reported),
		cmocka_unit_test(not_elf),
		cmocka_unit_test(missing_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

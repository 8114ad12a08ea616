// SPDX-License-Identifier: Apache-2.0
/* Unit tests for src/util/bufutil.c: joining a relative path to its directory. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "warden/bufutil.h"

/* dir and rel joined into a buffer of cap bytes: the result's text, or NULL on an error. */
static const char *join(const char *dir, const char *rel, size_t cap, int *ret)
{
	static char out[1024];

	*ret = bufutil_path_join(dir, strlen(dir), rel, strlen(rel), out, cap);
	return *ret < 0 ? NULL : out;
}

static void join_plain(void **state)
{
	int n;

	(void)state;
	assert_string_equal(join("/home/agent", "notes.txt", 512, &n), "/home/agent/notes.txt");
	assert_int_equal(n, 21);
	assert_string_equal(join("/home/agent/", "a/b", 512, &n), "/home/agent/a/b");
	assert_string_equal(join("/", "etc/passwd", 512, &n), "/etc/passwd");
	assert_int_equal(n, 11);
	/* Empty and "." components are nothing; a trailing '/' is dropped. */
	assert_string_equal(join("/w", "./a//b/./c/", 512, &n), "/w/a/b/c");
	assert_string_equal(join("/w", "", 512, &n), "/w");
	assert_string_equal(join("/w", ".", 512, &n), "/w");
}

static void join_dotdot(void **state)
{
	int n;

	(void)state;
	assert_string_equal(join("/home/agent/project", "../../.ssh/id_rsa", 512, &n),
			    "/home/.ssh/id_rsa");
	assert_string_equal(join("/home/agent", "x/../y", 512, &n), "/home/agent/y");
	/* Never above the root. */
	assert_string_equal(join("/home", "../../../../etc/shadow", 512, &n), "/etc/shadow");
	assert_string_equal(join("/", "..", 512, &n), "/");
	assert_int_equal(n, 1);
	assert_string_equal(join("/a", "..", 512, &n), "/");
	/* A directory's tail (the walk was cut): ".." eats into it, never makes it absolute. */
	assert_string_equal(join("deep/er", "../../x", 512, &n), "x");
	assert_string_equal(join("deep", "../../x", 512, &n), "x");
}

static void join_bounds(void **state)
{
	char dir[300], rel[300];
	int n;

	(void)state;
	/* Exactly filling the buffer (NUL included) fits; one byte more does not. */
	assert_string_equal(join("/ab", "cd", 7, &n), "/ab/cd");
	assert_null(join("/ab", "cde", 7, &n));
	assert_int_equal(n, -ENAMETOOLONG);
	assert_null(join("/abcdefg", "x", 8, &n));
	assert_int_equal(n, -ENAMETOOLONG);
	/* The largest inputs the kernel side gives (255 bytes each) fit in 512. */
	memset(dir, 'd', 255);
	dir[0] = '/';
	dir[255] = 0;
	memset(rel, 'r', 255);
	rel[255] = 0;
	assert_non_null(join(dir, rel, 512, &n));
	assert_int_equal(n, 511);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(join_plain),
		cmocka_unit_test(join_dotdot),
		cmocka_unit_test(join_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

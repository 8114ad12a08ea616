// SPDX-License-Identifier: Apache-2.0
/* Unit tests for src/session/hostcache.c: names by address, TTLs, eviction. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "warden/hostcache.h"

#define SEC 1000000000ull

static struct event_addr v4(const char *s)
{
	struct event_addr a = { .family = AF_INET };

	assert_int_equal(inet_pton(AF_INET, s, a.addr), 1);
	return a;
}

static struct event_addr v6(const char *s)
{
	struct event_addr a = { .family = AF_INET6 };

	assert_int_equal(inet_pton(AF_INET6, s, a.addr), 1);
	return a;
}

static void test_learn_lookup(void **state)
{
	struct hostcache *hc;
	struct event_addr a = v4("10.1.2.3"), b = v6("2001:db8::1"), c = v4("10.1.2.4");

	(void)state;
	assert_int_equal(hostcache_new(16, 0, &hc), 0);
	hostcache_learn(hc, &a, "api.openai.com", 60, 0);
	hostcache_learn(hc, &b, "api.anthropic.com", 60, 0);
	a.port = 443; /* ports do not matter */
	assert_string_equal(hostcache_lookup(hc, &a, SEC), "api.openai.com");
	assert_string_equal(hostcache_lookup(hc, &b, SEC), "api.anthropic.com");
	assert_null(hostcache_lookup(hc, &c, SEC));
	/* A later answer renames the address, in place. */
	hostcache_learn(hc, &a, "other.example", 60, 0);
	assert_string_equal(hostcache_lookup(hc, &a, SEC), "other.example");
	struct hostcache_stats st;
	hostcache_get_stats(hc, &st);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.misses, 1);
	hostcache_free(hc);
}

static void test_ttl(void **state)
{
	struct hostcache *hc;
	struct event_addr a = v4("192.0.2.1"), b = v4("192.0.2.2");

	(void)state;
	assert_int_equal(hostcache_new(16, 30, &hc), 0);
	hostcache_learn(hc, &a, "short.example", 1, 100 * SEC); /* raised to 30 s */
	hostcache_learn(hc, &b, "long.example", 3600, 100 * SEC);
	assert_non_null(hostcache_lookup(hc, &a, 129 * SEC));
	assert_null(hostcache_lookup(hc, &a, 131 * SEC));
	assert_non_null(hostcache_lookup(hc, &b, 131 * SEC));
	hostcache_free(hc);
}

static void test_eviction_oldest_first(void **state)
{
	struct hostcache *hc;
	char name[32];

	(void)state;
	assert_int_equal(hostcache_new(16, 0, &hc), 0);
	for (int i = 0; i < 20; i++) {
		struct event_addr a = { .family = AF_INET, .addr = { 10, 0, 0, (uint8_t)i } };

		snprintf(name, sizeof(name), "h%d.example", i);
		hostcache_learn(hc, &a, name, 60, 0);
	}
	for (int i = 0; i < 20; i++) {
		struct event_addr a = { .family = AF_INET, .addr = { 10, 0, 0, (uint8_t)i } };
		const char *n = hostcache_lookup(hc, &a, 0);

		if (i < 4) {
			assert_null(n);
		} else {
			snprintf(name, sizeof(name), "h%d.example", i);
			assert_non_null(n);
			assert_string_equal(n, name);
		}
	}
	struct hostcache_stats st;
	hostcache_get_stats(hc, &st);
	assert_int_equal(st.entries, 16);
	assert_int_equal(st.evicted, 4);
	hostcache_free(hc);
}

static void test_bad_input(void **state)
{
	struct hostcache *hc;
	struct event_addr unix_addr = { .family = AF_UNIX }, a = v4("10.0.0.1");
	char longname[400];

	(void)state;
	assert_int_equal(hostcache_new(8, 0, &hc), -EINVAL);
	assert_int_equal(hostcache_new(16, 0, &hc), 0);
	hostcache_learn(hc, &unix_addr, "x", 60, 0);
	assert_null(hostcache_lookup(hc, &unix_addr, 0));
	hostcache_learn(hc, &a, "", 60, 0);
	assert_null(hostcache_lookup(hc, &a, 0));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	hostcache_learn(hc, &a, longname, 60, 0);
	assert_int_equal(strlen(hostcache_lookup(hc, &a, 0)), 255);
	hostcache_free(hc);
	hostcache_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learn_lookup),
		cmocka_unit_test(test_ttl),
		cmocka_unit_test(test_eviction_oldest_first),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests_name("hostcache", tests, NULL, NULL);
}

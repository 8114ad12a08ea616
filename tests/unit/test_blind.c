// SPDX-License-Identifier: Apache-2.0
/* Unit tests for src/session/blind.c: LLM host patterns and blind-spot reports. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "warden/blind.h"

#define SEC 1000000000ull

struct sink {
	int n;
	struct event last;
	char host[256];
};

static void collect(struct event *ev, void *arg)
{
	struct sink *s = arg;

	s->n++;
	s->last = *ev;
	memcpy(s->host, ev->blind.flow.host.ptr, ev->blind.flow.host.len);
	s->host[ev->blind.flow.host.len] = 0;
}

static struct event connect_ev(uint32_t pid, const char *host, int result, uint64_t ts)
{
	struct event ev = { .type = EVENT_NET_CONNECT, .id = 77, .pid = pid, .ts = ts };

	ev.pid_start_ns = 1000 + pid;
	ev.connect.host = host;
	ev.connect.result = result;
	ev.connect.remote.family = AF_INET;
	ev.connect.remote.port = 443;
	ev.connect.remote.addr[0] = 10;
	ev.connect.remote.addr[3] = 9;
	strcpy(ev.comm, "agent");
	return ev;
}

static struct event tls_ev(uint32_t pid, bool with_addr, uint16_t port)
{
	struct event ev = { .type = EVENT_TLS_WRITE, .pid = pid };

	ev.pid_start_ns = 1000 + pid;
	if (with_addr) {
		ev.tls.remote.family = AF_INET;
		ev.tls.remote.port = port;
		ev.tls.remote.addr[0] = 10;
		ev.tls.remote.addr[3] = 9;
	}
	return ev;
}

static void test_hosts(void **state)
{
	struct blind *b;

	(void)state;
	assert_int_equal(blind_new(5 * SEC, 4, &b), 0);
	assert_true(blind_is_llm_host(b, "api.openai.com"));
	assert_true(blind_is_llm_host(b, "API.Anthropic.COM."));
	assert_true(blind_is_llm_host(b, "myco.openai.azure.com"));
	assert_false(blind_is_llm_host(b, "openai.azure.com")); /* needs a label before */
	assert_false(blind_is_llm_host(b, "api.openai.com.evil.example"));
	assert_false(blind_is_llm_host(b, "example.com"));
	assert_false(blind_is_llm_host(b, ""));
	assert_false(blind_is_llm_host(b, NULL));
	assert_false(blind_is_llm_host(b, "llm.test"));
	assert_int_equal(blind_add_host(b, "llm.test"), 0);
	assert_true(blind_is_llm_host(b, "llm.test"));
	assert_int_equal(blind_add_host(b, "*.corp.test"), 0);
	assert_true(blind_is_llm_host(b, "a.corp.test"));
	assert_int_equal(blind_add_host(b, ""), -EINVAL);
	assert_int_equal(blind_add_host(b, "a*b"), -EINVAL);
	assert_int_equal(blind_add_host(b, "*."), -EINVAL);
	blind_free(b);
}

static void test_report_after_window(void **state)
{
	struct blind *b;
	struct sink s = {};
	struct event c = connect_ev(42, "api.openai.com", 0, 10 * SEC);

	(void)state;
	assert_int_equal(blind_new(5 * SEC, 4, &b), 0);
	blind_on_connect(b, &c, collect, &s);
	blind_check(b, 14 * SEC, collect, &s);
	assert_int_equal(s.n, 0);
	blind_check(b, 15 * SEC, collect, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.last.type, EVENT_CAPTURE_BLIND);
	assert_int_equal(s.last.pid, 42);
	assert_string_equal(s.host, "api.openai.com");
	assert_int_equal(s.last.blind.connect_id, 77);
	assert_int_equal(s.last.blind.flow.remote.port, 443);
	assert_string_equal(s.last.comm, "agent");
	blind_check(b, 30 * SEC, collect, &s); /* once */
	assert_int_equal(s.n, 1);
	blind_free(b);
}

static void test_plaintext_clears(void **state)
{
	struct blind *b;
	struct sink s = {};
	struct event c1 = connect_ev(1, "api.openai.com", 0, 0);
	struct event c2 = connect_ev(2, "api.anthropic.com", -EINPROGRESS, 0);
	struct event t1 = tls_ev(1, true, 443), t2 = tls_ev(2, false, 0);
	struct event other_port = tls_ev(1, true, 8443), other_pid = tls_ev(3, true, 443);

	(void)state;
	assert_int_equal(blind_new(5 * SEC, 4, &b), 0);
	blind_on_connect(b, &c1, collect, &s);
	blind_on_connect(b, &c2, collect, &s);
	blind_on_tls(b, &other_port); /* another peer: still blind */
	blind_on_tls(b, &other_pid);
	blind_on_tls(b, &t2); /* memory BIO: no address, same process */
	blind_check(b, 10 * SEC, collect, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.last.pid, 1);
	blind_on_connect(b, &c1, collect, &s);
	blind_on_tls(b, &t1);
	blind_check(b, 20 * SEC, collect, &s);
	assert_int_equal(s.n, 1);
	struct blind_stats st;
	blind_get_stats(b, &st);
	assert_int_equal(st.watches, 3);
	assert_int_equal(st.seen, 2);
	assert_int_equal(st.reported, 1);
	blind_free(b);
}

static void test_ignored_connects(void **state)
{
	struct blind *b;
	struct sink s = {};
	struct event refused = connect_ev(1, "api.openai.com", -ECONNREFUSED, 0);
	struct event nohost = connect_ev(1, NULL, 0, 0);
	struct event other = connect_ev(1, "example.com", 0, 0);

	(void)state;
	assert_int_equal(blind_new(1 * SEC, 4, &b), 0);
	blind_on_connect(b, &refused, collect, &s);
	blind_on_connect(b, &nohost, collect, &s);
	blind_on_connect(b, &other, collect, &s);
	blind_check(b, 100 * SEC, collect, &s);
	assert_int_equal(s.n, 0);
	blind_free(b);
}

static void test_full_reports_oldest(void **state)
{
	struct blind *b;
	struct sink s = {};

	(void)state;
	assert_int_equal(blind_new(100 * SEC, 2, &b), 0);
	for (uint32_t pid = 1; pid <= 3; pid++) {
		struct event c = connect_ev(pid, "api.openai.com", 0, pid * SEC);

		blind_on_connect(b, &c, collect, &s);
	}
	assert_int_equal(s.n, 1);
	assert_int_equal(s.last.pid, 1);
	struct blind_stats st;
	blind_get_stats(b, &st);
	assert_int_equal(st.full, 1);
	blind_free(b);
	blind_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_report_after_window),
		cmocka_unit_test(test_plaintext_clears),
		cmocka_unit_test(test_ignored_connects),
		cmocka_unit_test(test_full_reports_oldest),
	};

	return cmocka_run_group_tests_name("blind", tests, NULL, NULL);
}

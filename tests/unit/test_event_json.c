// SPDX-License-Identifier: Apache-2.0
/* Unit tests for src/event.c: event_to_json / event_write_json. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>

#include "warden/decode/dns.h"
#include "warden/encode.h"
#include "warden/event.h"

static void base_event(struct event *ev, enum event_type type)
{
	memset(ev, 0, sizeof(*ev));
	ev->id = 42;
	ev->ts = 1700000000123456789ull;
	ev->type = type;
	ev->pid = 4242;
	ev->tid = 4243;
	ev->ppid = 1;
	ev->uid = 1000;
	ev->pid_start_ns = 99;
	strcpy(ev->comm, "curl");
	ev->exe = "/usr/bin/curl";
}

/* event_to_json, then a round trip through text so we check what a reader sees. */
static json_t *to_json(const struct event *ev)
{
	json_t *o = NULL, *back;
	json_error_t jerr;
	char *text;

	assert_int_equal(event_to_json(ev, &o), 0);
	assert_non_null(o);
	assert_true(json_is_object(o));
	text = json_dumps(o, JSON_COMPACT);
	assert_non_null(text);
	json_decref(o);
	back = json_loads(text, JSON_ALLOW_NUL, &jerr);
	if (!back)
		fail_msg("json_loads: %s: %s", jerr.text, text);
	free(text);
	return back;
}

static const char *get_str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_string(v))
		fail_msg("field \"%s\" is not a string", k);
	return json_string_value(v);
}

static json_int_t get_int(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_integer(v))
		fail_msg("field \"%s\" is not an integer", k);
	return json_integer_value(v);
}

static int get_bool(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_boolean(v))
		fail_msg("field \"%s\" is not a boolean", k);
	return json_is_true(v);
}

static void check_common(json_t *o, const char *type)
{
	assert_int_equal(get_int(o, "id"), 42);
	assert_int_equal(get_int(o, "ts"), 1700000000123456789ll);
	assert_string_equal(get_str(o, "type"), type);
	assert_int_equal(get_int(o, "pid"), 4242);
	assert_int_equal(get_int(o, "tid"), 4243);
	assert_int_equal(get_int(o, "ppid"), 1);
	assert_int_equal(get_int(o, "uid"), 1000);
	assert_string_equal(get_str(o, "comm"), "curl");
	assert_string_equal(get_str(o, "exe"), "/usr/bin/curl");
}

/* ---- tls ------------------------------------------------------------------ */

static void tls_event(struct event *ev, enum event_type type, const void *data, uint32_t len)
{
	base_event(ev, type);
	ev->tls.conn = 7;
	ev->tls.call = 11;
	ev->tls.offset = 0;
	ev->tls.total_len = len;
	ev->tls.ssl = 0xdeadbeef;
	ev->tls.data = data;
	ev->tls.len = len;
	ev->tls.fd = 5;
	ev->tls.func = type == EVENT_TLS_WRITE ? "SSL_write" : "SSL_read_ex";
	ev->tls.local.family = AF_INET;
	ev->tls.local.port = 51000;
	memcpy(ev->tls.local.addr, "\x0a\x00\x00\x02", 4);
	ev->tls.remote.family = AF_INET6;
	ev->tls.remote.port = 443;
	ev->tls.remote.addr[15] = 1; /* ::1 */
}

static void tls_write_utf8(void **state)
{
	static const char data[] = "POST /api HTTP/1.1\r\nHost: caf\xc3\xa9.example\r\n\r\n{\"k\":\"\xe2\x82\xac\"}";
	struct event ev;
	json_t *o;

	(void)state;
	tls_event(&ev, EVENT_TLS_WRITE, data, sizeof(data) - 1);
	o = to_json(&ev);
	check_common(o, "tls.write");
	assert_string_equal(get_str(o, "data"), data);
	assert_int_equal(json_string_length(json_object_get(o, "data")), sizeof(data) - 1);
	assert_null(json_object_get(o, "data_b64"));
	assert_int_equal(get_int(o, "conn"), 7);
	assert_int_equal(get_int(o, "call"), 11);
	assert_int_equal(get_int(o, "fd"), 5);
	assert_string_equal(get_str(o, "func"), "SSL_write");
	assert_int_equal(get_int(o, "offset"), 0);
	assert_int_equal(get_int(o, "len"), sizeof(data) - 1);
	assert_int_equal(get_int(o, "total_len"), sizeof(data) - 1);
	assert_false(get_bool(o, "truncated"));
	assert_null(json_object_get(o, "fault"));
	assert_string_equal(get_str(o, "laddr"), "10.0.0.2");
	assert_int_equal(get_int(o, "lport"), 51000);
	assert_string_equal(get_str(o, "raddr"), "::1");
	assert_int_equal(get_int(o, "rport"), 443);
	json_decref(o);
}

static void tls_read_flags_no_addrs(void **state)
{
	struct event ev;
	json_t *o;

	(void)state;
	tls_event(&ev, EVENT_TLS_READ, "HTTP/1.1 200 OK\r\n", 17);
	ev.tls.local.family = 0;
	ev.tls.remote.family = AF_UNIX; /* not an IP: no address fields */
	ev.tls.fd = -1;
	ev.tls.truncated = true;
	ev.tls.fault = true;
	ev.tls.offset = 16384;
	ev.tls.total_len = 300000;
	o = to_json(&ev);
	check_common(o, "tls.read");
	assert_string_equal(get_str(o, "func"), "SSL_read_ex");
	assert_string_equal(get_str(o, "data"), "HTTP/1.1 200 OK\r\n");
	assert_int_equal(get_int(o, "fd"), -1);
	assert_true(get_bool(o, "truncated"));
	assert_true(get_bool(o, "fault"));
	assert_int_equal(get_int(o, "offset"), 16384);
	assert_int_equal(get_int(o, "total_len"), 300000);
	assert_null(json_object_get(o, "laddr"));
	assert_null(json_object_get(o, "lport"));
	assert_null(json_object_get(o, "raddr"));
	assert_null(json_object_get(o, "rport"));
	json_decref(o);
}

static void tls_empty_data(void **state)
{
	struct event ev;
	json_t *o;

	(void)state;
	tls_event(&ev, EVENT_TLS_WRITE, "", 0);
	o = to_json(&ev);
	assert_string_equal(get_str(o, "data"), "");
	assert_null(json_object_get(o, "data_b64"));
	json_decref(o);
}

static void tls_utf8_with_nul(void **state)
{
	static const char data[] = "a\0b";
	struct event ev;
	json_t *o;

	(void)state;
	/* NUL is valid UTF-8: kept as a string of 3 characters. */
	tls_event(&ev, EVENT_TLS_WRITE, data, 3);
	o = to_json(&ev);
	assert_int_equal(json_string_length(json_object_get(o, "data")), 3);
	assert_memory_equal(json_string_value(json_object_get(o, "data")), "a\0b", 3);
	assert_null(json_object_get(o, "data_b64"));
	json_decref(o);
}

static void tls_binary(void **state)
{
	static const unsigned char data[] = { 0x16, 0x03, 0x01, 0x00, 0xff, 0xfe, 'h', 'i' };
	struct event ev;
	json_t *o;

	(void)state;
	tls_event(&ev, EVENT_TLS_READ, data, sizeof(data));
	o = to_json(&ev);
	check_common(o, "tls.read");
	assert_null(json_object_get(o, "data"));
	assert_string_equal(get_str(o, "data_b64"), "FgMBAP/+aGk=");
	assert_int_equal(get_int(o, "len"), 8);
	json_decref(o);
}

static void tls_binary_large_heap(void **state)
{
	const size_t len = 40 * 1024;
	unsigned char *data = malloc(len);
	size_t need = encode_base64_size(len);
	char *expect = malloc(need);
	struct event ev;
	json_t *o;
	const char *b64;

	(void)state;
	assert_non_null(data);
	assert_non_null(expect);
	for (size_t i = 0; i < len; i++)
		data[i] = (i * 131 + 7) & 0xff;
	data[0] = 0xff; /* certainly not UTF-8 */
	data[len - 1] = 0x00;
	assert_int_equal(encode_base64(data, len, expect), need - 1);
	assert_true(need > 4096); /* beyond the stack buffer */

	tls_event(&ev, EVENT_TLS_WRITE, data, len);
	o = to_json(&ev);
	assert_null(json_object_get(o, "data"));
	b64 = get_str(o, "data_b64");
	assert_int_equal(strlen(b64), need - 1);
	assert_int_equal(strlen(b64), 54616); /* 4 * ceil(40960 / 3) */
	assert_string_equal(b64, expect);
	assert_int_equal(get_int(o, "len"), len);
	json_decref(o);
	free(expect);
	free(data);
}

static void tls_binary_stack_boundary(void **state)
{
	/* 3069 bytes -> 4093 chars (+NUL fits 4096); 3072 -> 4097: first heap size. */
	static const size_t lens[] = { 3069, 3070, 3071, 3072 };
	unsigned char data[3072];
	char expect[4200];

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = 0x80 | (i & 0x7f);
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		struct event ev;
		json_t *o;

		tls_event(&ev, EVENT_TLS_WRITE, data, lens[k]);
		encode_base64(data, lens[k], expect);
		o = to_json(&ev);
		assert_string_equal(get_str(o, "data_b64"), expect);
		json_decref(o);
	}
}

/* ---- process ------------------------------------------------------------- */

static void exec_argv(void **state)
{
	static const char args[] = "/bin/echo\0a\0b\0c"; /* final NUL included: 16 bytes */
	struct event ev;
	json_t *o, *argv;

	(void)state;
	base_event(&ev, EVENT_PROCESS_EXEC);
	ev.exe = "/usr/bin/echo";
	ev.exec.filename = "/bin/echo";
	ev.exec.args = args;
	ev.exec.args_len = sizeof(args);
	ev.exec.args_total = sizeof(args);
	o = to_json(&ev);
	assert_string_equal(get_str(o, "type"), "process.exec");
	assert_string_equal(get_str(o, "exe"), "/usr/bin/echo");
	assert_string_equal(get_str(o, "filename"), "/bin/echo");
	argv = json_object_get(o, "argv");
	assert_true(json_is_array(argv));
	assert_int_equal(json_array_size(argv), 4);
	assert_string_equal(json_string_value(json_array_get(argv, 0)), "/bin/echo");
	assert_string_equal(json_string_value(json_array_get(argv, 1)), "a");
	assert_string_equal(json_string_value(json_array_get(argv, 2)), "b");
	assert_string_equal(json_string_value(json_array_get(argv, 3)), "c");
	assert_false(get_bool(o, "argv_truncated"));
	assert_null(json_object_get(o, "cwd")); /* in no session: none */
	json_decref(o);

	/* A member's working directory; then its tail only. */
	ev.exec.cwd = "/home/dev/repo";
	ev.exec.cwd_len = 14;
	o = to_json(&ev);
	assert_string_equal(get_str(o, "cwd"), "/home/dev/repo");
	assert_null(json_object_get(o, "cwd_cut"));
	json_decref(o);
	ev.exec.cwd_cut = true;
	o = to_json(&ev);
	assert_true(get_bool(o, "cwd_cut"));
	json_decref(o);
	ev.exec.cwd = NULL;
	ev.exec.cwd_len = 0;
	ev.exec.cwd_cut = false;

	/* Cut in the middle of the last argument, without its NUL: still 4 items. */
	ev.exec.args_len = sizeof(args) - 1;
	ev.exec.args_truncated = true;
	o = to_json(&ev);
	argv = json_object_get(o, "argv");
	assert_int_equal(json_array_size(argv), 4);
	assert_string_equal(json_string_value(json_array_get(argv, 3)), "c");
	assert_true(get_bool(o, "argv_truncated"));
	json_decref(o);

	/* Empty argument in the middle. */
	ev.exec.args = "x\0\0y";
	ev.exec.args_len = 5;
	o = to_json(&ev);
	argv = json_object_get(o, "argv");
	assert_int_equal(json_array_size(argv), 3);
	assert_string_equal(json_string_value(json_array_get(argv, 0)), "x");
	assert_string_equal(json_string_value(json_array_get(argv, 1)), "");
	assert_string_equal(json_string_value(json_array_get(argv, 2)), "y");
	json_decref(o);

	/* No argv. */
	ev.exec.args_len = 0;
	o = to_json(&ev);
	argv = json_object_get(o, "argv");
	assert_true(json_is_array(argv));
	assert_int_equal(json_array_size(argv), 0);
	json_decref(o);
}

static void exec_invalid_utf8(void **state)
{
	static const char args[] = "ls\0\xff\xfe-x";
	struct event ev;
	json_t *o, *argv;
	const char *fn;

	(void)state;
	base_event(&ev, EVENT_PROCESS_EXEC);
	ev.exe = NULL;
	ev.exec.filename = "/tmp/bad\xff\xc0name";
	ev.exec.args = args;
	ev.exec.args_len = sizeof(args);
	o = to_json(&ev);
	fn = get_str(o, "filename");
	/* Each invalid byte becomes U+FFFD; ASCII kept; the result is valid UTF-8. */
	assert_true(encode_utf8_valid((const unsigned char *)fn, strlen(fn)));
	assert_string_equal(fn, "/tmp/bad\xef\xbf\xbd\xef\xbf\xbdname");
	argv = json_object_get(o, "argv");
	assert_int_equal(json_array_size(argv), 2);
	assert_string_equal(json_string_value(json_array_get(argv, 0)), "ls");
	assert_true(json_is_string(json_array_get(argv, 1)));
	assert_string_equal(json_string_value(json_array_get(argv, 1)), "\xef\xbf\xbd\xef\xbf\xbd-x");
	assert_true(json_is_null(json_object_get(o, "exe")));
	json_decref(o);
}

static void fork_fields(void **state)
{
	struct event ev;
	json_t *o;

	(void)state;
	base_event(&ev, EVENT_PROCESS_FORK);
	ev.fork.parent_start_ns = 12345;
	o = to_json(&ev);
	check_common(o, "process.fork");
	json_decref(o);
}

static void exit_fields(void **state)
{
	struct event ev;
	json_t *o;

	(void)state;
	base_event(&ev, EVENT_PROCESS_EXIT);
	ev.exit.status = 3;
	o = to_json(&ev);
	check_common(o, "process.exit");
	assert_int_equal(get_int(o, "exit_code"), 3);
	assert_int_equal(get_int(o, "signal"), 0);
	assert_null(json_object_get(o, "core_dumped"));
	json_decref(o);

	ev.exit.status = 0;
	ev.exit.signal = 11;
	ev.exit.core_dumped = true;
	o = to_json(&ev);
	assert_int_equal(get_int(o, "exit_code"), 0);
	assert_int_equal(get_int(o, "signal"), 11);
	assert_true(get_bool(o, "core_dumped"));
	json_decref(o);
}

static void comm_full_and_invalid(void **state)
{
	struct event ev;
	json_t *o;

	(void)state;
	base_event(&ev, EVENT_PROCESS_FORK);
	memcpy(ev.comm, "0123456789abcdef", 17);
	o = to_json(&ev);
	assert_string_equal(get_str(o, "comm"), "0123456789abcdef");
	json_decref(o);

	strcpy(ev.comm, "x\xff");
	o = to_json(&ev);
	assert_string_equal(get_str(o, "comm"), "x\xef\xbf\xbd");
	json_decref(o);

	/* Valid multibyte text beside an invalid byte survives. */
	strcpy(ev.comm, "\xc3\xa9\xff");
	o = to_json(&ev);
	assert_string_equal(get_str(o, "comm"), "\xc3\xa9\xef\xbf\xbd");
	json_decref(o);
}

/* ---- sessions and file.open ------------------------------------------------ */

static void io_uring_fields(void **state)
{
	struct event ev;
	json_t *o, *f;

	(void)state;
	base_event(&ev, EVENT_IO_URING);
	ev.session = 40;
	ev.io_uring.opcode = 18;
	ev.io_uring.user_data = 7;
	ev.io_uring.path = "secret.txt";
	ev.io_uring.path_len = 10;
	ev.io_uring.dfd = -100;
	ev.io_uring.flags = O_RDONLY | O_CLOEXEC;
	o = to_json(&ev);
	check_common(o, "io_uring.submit");
	assert_string_equal(get_str(o, "op"), "openat");
	assert_int_equal(get_int(o, "opcode"), 18);
	assert_int_equal(get_int(o, "user_data"), 7);
	assert_string_equal(get_str(o, "path"), "secret.txt");
	assert_int_equal(get_int(o, "dirfd"), -100);
	f = json_object_get(o, "flags");
	assert_int_equal(json_array_size(f), 2);
	assert_string_equal(json_string_value(json_array_get(f, 1)), "O_CLOEXEC");
	assert_null(json_object_get(o, "daddr"));
	assert_null(json_object_get(o, "sq_thread"));
	json_decref(o);

	/* A connect from the SQPOLL thread. */
	base_event(&ev, EVENT_IO_URING);
	ev.io_uring.opcode = 16;
	ev.io_uring.sq_thread = true;
	ev.io_uring.remote.family = AF_INET;
	ev.io_uring.remote.port = 443;
	memcpy(ev.io_uring.remote.addr, "\x0a\0\0\x01", 4);
	o = to_json(&ev);
	assert_string_equal(get_str(o, "op"), "connect");
	assert_string_equal(get_str(o, "daddr"), "10.0.0.1");
	assert_int_equal(get_int(o, "dport"), 443);
	assert_string_equal(get_str(o, "family"), "inet");
	assert_true(get_bool(o, "sq_thread"));
	assert_null(json_object_get(o, "path"));
	assert_null(json_object_get(o, "host"));
	json_decref(o);
	ev.io_uring.host = "api.example.com";
	o = to_json(&ev);
	assert_string_equal(get_str(o, "host"), "api.example.com");
	json_decref(o);

	/* A connect to a UNIX socket: its path, no directory or flags. */
	base_event(&ev, EVENT_IO_URING);
	ev.io_uring.opcode = 16;
	ev.io_uring.remote.family = AF_UNIX;
	ev.io_uring.path = "/run/docker.sock";
	ev.io_uring.path_len = 16;
	o = to_json(&ev);
	assert_string_equal(get_str(o, "family"), "unix");
	assert_string_equal(get_str(o, "path"), "/run/docker.sock");
	assert_null(json_object_get(o, "daddr"));
	assert_null(json_object_get(o, "dirfd"));
	assert_null(json_object_get(o, "flags"));
	json_decref(o);

	/* A rename: both paths and directories, its flags by name, unknown bits in hex. */
	base_event(&ev, EVENT_IO_URING);
	ev.io_uring.opcode = 35;
	ev.io_uring.path = "a";
	ev.io_uring.path_len = 1;
	ev.io_uring.path2 = "b/c";
	ev.io_uring.path2_len = 3;
	ev.io_uring.path2_truncated = true;
	ev.io_uring.dfd = -100;
	ev.io_uring.dfd2 = 5;
	ev.io_uring.flags = 2 | 0x40;
	o = to_json(&ev);
	assert_string_equal(get_str(o, "op"), "renameat");
	assert_string_equal(get_str(o, "path"), "a");
	assert_string_equal(get_str(o, "new_path"), "b/c");
	assert_true(get_bool(o, "new_path_truncated"));
	assert_null(json_object_get(o, "path_truncated"));
	assert_int_equal(get_int(o, "dirfd"), -100);
	assert_int_equal(get_int(o, "new_dirfd"), 5);
	f = json_object_get(o, "flags");
	assert_int_equal(json_array_size(f), 2);
	assert_string_equal(json_string_value(json_array_get(f, 0)), "RENAME_EXCHANGE");
	assert_string_equal(json_string_value(json_array_get(f, 1)), "0x40");
	assert_null(json_object_get(o, "resolved_path"));
	json_decref(o);

	/* The walked directory joins path, and path2 only when dfd2 is dfd. */
	ev.io_uring.dir = "/w/x";
	ev.io_uring.dir_len = 4;
	o = to_json(&ev);
	assert_string_equal(get_str(o, "resolved_path"), "/w/x/a");
	assert_null(json_object_get(o, "new_resolved_path"));
	json_decref(o);
	ev.io_uring.dfd2 = -100;
	o = to_json(&ev);
	assert_string_equal(get_str(o, "new_resolved_path"), "/w/x/b/c");
	json_decref(o);
	/* A walk of path2's directory (path absolute) serves path2 alone. */
	ev.io_uring.path = "/etc/a";
	ev.io_uring.path_len = 6;
	ev.io_uring.dfd2 = 5;
	ev.io_uring.dir_of_path2 = true;
	ev.io_uring.dir_cut = true;
	o = to_json(&ev);
	assert_null(json_object_get(o, "resolved_path"));
	assert_string_equal(get_str(o, "new_resolved_path"), "/w/x/b/c");
	assert_true(get_bool(o, "new_resolved_path_cut"));
	json_decref(o);

	/* A symlink: the link made and what it points to; a mkdir: its mode; an rmdir. */
	ev.io_uring.opcode = 38;
	ev.io_uring.path2_truncated = false;
	ev.io_uring.path2_fault = true;
	o = to_json(&ev);
	assert_string_equal(get_str(o, "target"), "b/c");
	assert_true(get_bool(o, "target_unreadable"));
	assert_null(json_object_get(o, "new_path"));
	assert_null(json_object_get(o, "new_dirfd"));
	assert_null(json_object_get(o, "flags"));
	json_decref(o);
	ev.io_uring.opcode = 37;
	ev.io_uring.flags = 0700;
	o = to_json(&ev);
	assert_int_equal(get_int(o, "mode"), 0700);
	assert_null(json_object_get(o, "target"));
	json_decref(o);
	ev.io_uring.opcode = 36;
	ev.io_uring.flags = 0x200;
	o = to_json(&ev);
	f = json_object_get(o, "flags");
	assert_int_equal(json_array_size(f), 1);
	assert_string_equal(json_string_value(json_array_get(f, 0)), "AT_REMOVEDIR");
	json_decref(o);

	/* An opcode the table does not name: its number alone. */
	base_event(&ev, EVENT_IO_URING);
	ev.io_uring.opcode = 200;
	o = to_json(&ev);
	assert_null(json_object_get(o, "op"));
	assert_int_equal(get_int(o, "opcode"), 200);
	json_decref(o);
}

static void listen_fields(void **state)
{
	struct event ev;
	json_t *o;

	(void)state;
	base_event(&ev, EVENT_NET_LISTEN);
	ev.listen.fd = 3;
	ev.listen.backlog = 5;
	ev.listen.local.family = AF_INET6;
	ev.listen.local.port = 8080;
	ev.listen.local.addr[15] = 1; /* ::1 */
	o = to_json(&ev);
	check_common(o, "net.listen");
	assert_int_equal(get_int(o, "fd"), 3);
	assert_string_equal(get_str(o, "family"), "inet6");
	assert_string_equal(get_str(o, "laddr"), "::1");
	assert_int_equal(get_int(o, "lport"), 8080);
	assert_int_equal(get_int(o, "backlog"), 5);
	assert_int_equal(get_int(o, "result"), 0);
	assert_null(json_object_get(o, "error"));
	assert_null(json_object_get(o, "path"));
	json_decref(o);

	/* A UNIX socket: its path; a failure: its error, and no address for no socket. */
	ev.listen.local.family = AF_UNIX;
	ev.listen.unix_path = "/run/a.sock";
	ev.listen.unix_path_len = 11;
	o = to_json(&ev);
	assert_string_equal(get_str(o, "path"), "/run/a.sock");
	assert_null(json_object_get(o, "laddr"));
	json_decref(o);
	memset(&ev.listen.local, 0, sizeof(ev.listen.local));
	ev.listen.result = -88;
	o = to_json(&ev);
	assert_string_equal(get_str(o, "error"), "ENOTSOCK");
	assert_string_equal(get_str(o, "family"), "unknown");
	assert_null(json_object_get(o, "laddr"));
	assert_null(json_object_get(o, "path"));
	json_decref(o);
}

static void accept_fields(void **state)
{
	struct event ev;
	json_t *o;

	(void)state;
	base_event(&ev, EVENT_NET_ACCEPT);
	ev.session = 40;
	ev.accept.fd = 3;
	ev.accept.conn_fd = 4;
	ev.accept.local.family = ev.accept.remote.family = AF_INET;
	ev.accept.local.port = 4444;
	memcpy(ev.accept.local.addr, "\0\0\0\0", 4);
	ev.accept.remote.port = 51000;
	memcpy(ev.accept.remote.addr, "\xcb\0\x71\x07", 4);
	o = to_json(&ev);
	check_common(o, "net.accept");
	assert_int_equal(get_int(o, "fd"), 3);
	assert_int_equal(get_int(o, "conn_fd"), 4);
	assert_string_equal(get_str(o, "family"), "inet");
	assert_string_equal(get_str(o, "laddr"), "0.0.0.0");
	assert_int_equal(get_int(o, "lport"), 4444);
	assert_string_equal(get_str(o, "raddr"), "203.0.113.7");
	assert_int_equal(get_int(o, "rport"), 51000);
	assert_false(json_is_true(json_object_get(o, "io_uring")));
	assert_true(json_is_false(json_object_get(o, "io_uring")));
	json_decref(o);
	ev.accept.io_uring = true;
	o = to_json(&ev);
	assert_true(json_is_true(json_object_get(o, "io_uring")));
	json_decref(o);
	ev.accept.io_uring = false;

	/* A UNIX connection, or a socket gone: the family alone. */
	memset(&ev.accept.local, 0, sizeof(ev.accept.local));
	memset(&ev.accept.remote, 0, sizeof(ev.accept.remote));
	ev.accept.local.family = ev.accept.remote.family = AF_UNIX;
	o = to_json(&ev);
	assert_string_equal(get_str(o, "family"), "unix");
	assert_null(json_object_get(o, "laddr"));
	assert_null(json_object_get(o, "raddr"));
	json_decref(o);
}

static void file_change_fields(void **state)
{
	struct event ev;
	json_t *o, *f;

	(void)state;
	/* A rename through one dirfd: both paths joined to its directory, flags by name. */
	base_event(&ev, EVENT_FILE_RENAME);
	ev.session = 40;
	ev.fchange.path = "a";
	ev.fchange.path_len = 1;
	ev.fchange.path2 = "../b";
	ev.fchange.path2_len = 4;
	ev.fchange.dfd = ev.fchange.dfd2 = 3;
	ev.fchange.flags = 1;
	ev.fchange.dir = "/w/x";
	ev.fchange.dir_len = 4;
	o = to_json(&ev);
	check_common(o, "file.rename");
	assert_string_equal(get_str(o, "path"), "a");
	assert_string_equal(get_str(o, "resolved_path"), "/w/x/a");
	assert_string_equal(get_str(o, "new_path"), "../b");
	assert_string_equal(get_str(o, "new_resolved_path"), "/w/b");
	assert_int_equal(get_int(o, "dirfd"), 3);
	assert_int_equal(get_int(o, "new_dirfd"), 3);
	f = json_object_get(o, "flags");
	assert_int_equal(json_array_size(f), 1);
	assert_string_equal(json_string_value(json_array_get(f, 0)), "RENAME_NOREPLACE");
	assert_int_equal(get_int(o, "result"), 0);
	assert_null(json_object_get(o, "mode"));
	json_decref(o);

	/* Another directory for the new path: the walked one does not serve it. */
	ev.fchange.dfd2 = -100;
	o = to_json(&ev);
	assert_null(json_object_get(o, "new_resolved_path"));
	json_decref(o);
	/* ...but its own walk does (mv a dir/), cut or not. */
	ev.fchange.dir2 = "/w/dir";
	ev.fchange.dir2_len = 6;
	ev.fchange.dir2_cut = true;
	o = to_json(&ev);
	assert_string_equal(get_str(o, "resolved_path"), "/w/x/a");
	assert_string_equal(get_str(o, "new_resolved_path"), "/w/b");
	assert_true(get_bool(o, "new_resolved_path_cut"));
	json_decref(o);
	ev.fchange.path2 = "b";
	ev.fchange.path2_len = 1;
	ev.fchange.dir2_cut = false;
	o = to_json(&ev);
	assert_string_equal(get_str(o, "new_resolved_path"), "/w/dir/b");
	assert_null(json_object_get(o, "new_resolved_path_cut"));
	json_decref(o);

	/* An absolute path is its own; a failure its error; a chmod its mode. */
	base_event(&ev, EVENT_FILE_CHMOD);
	ev.fchange.path = "/etc/x";
	ev.fchange.path_len = 6;
	ev.fchange.dfd = -100;
	ev.fchange.mode = 04755;
	ev.fchange.result = -1;
	o = to_json(&ev);
	check_common(o, "file.chmod");
	assert_null(json_object_get(o, "resolved_path"));
	assert_int_equal(get_int(o, "mode"), 04755);
	assert_string_equal(get_str(o, "error"), "EPERM");
	assert_null(json_object_get(o, "new_path"));
	json_decref(o);

	/* A symlink: the link made, and its target as written; a cut directory says so. */
	base_event(&ev, EVENT_FILE_SYMLINK);
	ev.fchange.path = "l";
	ev.fchange.path_len = 1;
	ev.fchange.path2 = "/etc/shadow";
	ev.fchange.path2_len = 11;
	ev.fchange.dfd = -100;
	ev.fchange.dir = "deep/er";
	ev.fchange.dir_len = 7;
	ev.fchange.dir_cut = true;
	o = to_json(&ev);
	assert_string_equal(get_str(o, "target"), "/etc/shadow");
	assert_string_equal(get_str(o, "resolved_path"), "deep/er/l");
	assert_true(get_bool(o, "resolved_path_cut"));
	assert_null(json_object_get(o, "new_dirfd"));
	json_decref(o);

	/* fchmod(fd): the fd and its file's own path, no path or dirfd; flags by name. */
	base_event(&ev, EVENT_FILE_CHMOD);
	ev.fchange.path = "";
	ev.fchange.dfd = 5;
	ev.fchange.flags = AT_EMPTY_PATH;
	ev.fchange.mode = 04755;
	ev.fchange.file = "/w/run.sh";
	ev.fchange.file_len = 9;
	o = to_json(&ev);
	check_common(o, "file.chmod");
	assert_int_equal(get_int(o, "fd"), 5);
	assert_string_equal(get_str(o, "resolved_path"), "/w/run.sh");
	assert_null(json_object_get(o, "resolved_path_cut"));
	assert_null(json_object_get(o, "path"));
	assert_null(json_object_get(o, "dirfd"));
	assert_null(json_object_get(o, "owner"));
	assert_int_equal(get_int(o, "mode"), 04755);
	f = json_object_get(o, "flags");
	assert_int_equal(json_array_size(f), 1);
	assert_string_equal(json_string_value(json_array_get(f, 0)), "AT_EMPTY_PATH");
	json_decref(o);

	/* fchown(fd, 0, -1): the owner only; a cut walk says so; none walked, none given. */
	base_event(&ev, EVENT_FILE_CHOWN);
	ev.fchange.path = "";
	ev.fchange.dfd = 5;
	ev.fchange.flags = AT_EMPTY_PATH;
	ev.fchange.uid = 0;
	ev.fchange.gid = UINT32_MAX;
	ev.fchange.file = "deep/f";
	ev.fchange.file_len = 6;
	ev.fchange.file_cut = true;
	o = to_json(&ev);
	check_common(o, "file.chown");
	assert_int_equal(get_int(o, "owner"), 0);
	assert_null(json_object_get(o, "group"));
	assert_null(json_object_get(o, "mode"));
	assert_string_equal(get_str(o, "resolved_path"), "deep/f");
	assert_true(get_bool(o, "resolved_path_cut"));
	json_decref(o);
	ev.fchange.file = NULL;
	o = to_json(&ev);
	assert_int_equal(get_int(o, "fd"), 5);
	assert_null(json_object_get(o, "resolved_path"));
	assert_null(json_object_get(o, "path"));
	json_decref(o);

	/* ftruncate(fd, 0): the fd, its file, the length; truncate(path, n): the path. */
	base_event(&ev, EVENT_FILE_TRUNCATE);
	ev.fchange.path = "";
	ev.fchange.dfd = 4;
	ev.fchange.flags = AT_EMPTY_PATH;
	ev.fchange.file = "/var/log/auth.log";
	ev.fchange.file_len = 17;
	o = to_json(&ev);
	check_common(o, "file.truncate");
	assert_int_equal(get_int(o, "fd"), 4);
	assert_string_equal(get_str(o, "resolved_path"), "/var/log/auth.log");
	assert_int_equal(get_int(o, "length"), 0);
	assert_null(json_object_get(o, "flags"));
	assert_null(json_object_get(o, "mode"));
	json_decref(o);
	base_event(&ev, EVENT_FILE_TRUNCATE);
	ev.fchange.path = "big";
	ev.fchange.path_len = 3;
	ev.fchange.dfd = -100;
	ev.fchange.length = (int64_t)1 << 40;
	ev.fchange.dir = "/w";
	ev.fchange.dir_len = 2;
	o = to_json(&ev);
	assert_string_equal(get_str(o, "resolved_path"), "/w/big");
	assert_int_equal(get_int(o, "length"), (int64_t)1 << 40);
	json_decref(o);

	/* lchown(path, 1000, 1000): a path joined to its directory, both ids. */
	base_event(&ev, EVENT_FILE_CHOWN);
	ev.fchange.path = "x";
	ev.fchange.path_len = 1;
	ev.fchange.dfd = -100;
	ev.fchange.flags = 0x100;
	ev.fchange.uid = ev.fchange.gid = 1000;
	ev.fchange.dir = "/w";
	ev.fchange.dir_len = 2;
	o = to_json(&ev);
	assert_string_equal(get_str(o, "path"), "x");
	assert_string_equal(get_str(o, "resolved_path"), "/w/x");
	assert_int_equal(get_int(o, "dirfd"), -100);
	assert_null(json_object_get(o, "fd"));
	assert_int_equal(get_int(o, "owner"), 1000);
	assert_int_equal(get_int(o, "group"), 1000);
	f = json_object_get(o, "flags");
	assert_int_equal(json_array_size(f), 1);
	assert_string_equal(json_string_value(json_array_get(f, 0)), "AT_SYMLINK_NOFOLLOW");
	json_decref(o);
}

static void file_open_fields(void **state)
{
	struct event ev;
	json_t *o, *f;

	(void)state;
	base_event(&ev, EVENT_FILE_OPEN);
	ev.session = 40;
	ev.session_root = 4000;
	ev.session_nested = true;
	ev.cause = 41;
	ev.file.path = "/etc/shadow";
	ev.file.path_len = 11;
	ev.file.dirfd = -100;
	ev.file.flags = O_WRONLY | O_CREAT | O_CLOEXEC | 0x40000000;
	ev.file.mode = 0600;
	ev.file.result = -13;
	o = to_json(&ev);
	check_common(o, "file.open");
	assert_int_equal(get_int(o, "session"), 40);
	assert_int_equal(get_int(o, "session_root"), 4000);
	assert_true(get_bool(o, "session_nested"));
	assert_int_equal(get_int(o, "cause"), 41);
	assert_string_equal(get_str(o, "path"), "/etc/shadow");
	assert_null(json_object_get(o, "read_at_exit"));
	assert_null(json_object_get(o, "resolved_path")); /* failed: none */
	assert_string_equal(get_str(o, "syscall"), "openat");
	assert_int_equal(get_int(o, "dirfd"), -100);
	assert_int_equal(get_int(o, "mode"), 0600);
	assert_int_equal(get_int(o, "result"), -13);
	assert_string_equal(get_str(o, "error"), "EACCES");
	f = json_object_get(o, "flags");
	assert_int_equal(json_array_size(f), 4);
	assert_string_equal(json_string_value(json_array_get(f, 0)), "O_WRONLY");
	assert_string_equal(json_string_value(json_array_get(f, 1)), "O_CREAT");
	assert_string_equal(json_string_value(json_array_get(f, 2)), "O_CLOEXEC");
	assert_string_equal(json_string_value(json_array_get(f, 3)), "0x40000000");
	json_decref(o);

	/* O_TMPFILE named whole; no session: no session keys. */
	base_event(&ev, EVENT_FILE_OPEN);
	ev.file.path = "";
	ev.file.flags = O_RDWR | O_TMPFILE;
	ev.file.result = 3;
	ev.file.path_fault = true;
	o = to_json(&ev);
	assert_null(json_object_get(o, "session"));
	assert_null(json_object_get(o, "cause"));
	assert_null(json_object_get(o, "error"));
	assert_true(get_bool(o, "path_unreadable"));
	assert_null(json_object_get(o, "read_at_exit"));
	f = json_object_get(o, "flags");
	assert_int_equal(json_array_size(f), 2);
	assert_string_equal(json_string_value(json_array_get(f, 1)), "O_TMPFILE");
	json_decref(o);

	/* Read at the exit: the path, flagged so; the file resolved. */
	base_event(&ev, EVENT_FILE_OPEN);
	ev.file.path = "../etc/hostname";
	ev.file.path_len = 15;
	ev.file.late_read = true;
	ev.file.resolved = "/etc/hostname";
	ev.file.resolved_len = 13;
	o = to_json(&ev);
	assert_string_equal(get_str(o, "path"), "../etc/hostname");
	assert_true(get_bool(o, "read_at_exit"));
	assert_null(json_object_get(o, "path_unreadable"));
	assert_string_equal(get_str(o, "resolved_path"), "/etc/hostname");
	assert_null(json_object_get(o, "resolved_path_cut"));
	json_decref(o);
	ev.file.resolved = "/d/e/f";
	ev.file.resolved_len = 6;
	ev.file.resolved_cut = true;
	o = to_json(&ev);
	assert_string_equal(get_str(o, "resolved_path"), "/d/e/f");
	assert_true(get_bool(o, "resolved_path_cut"));
	assert_null(json_object_get(o, "resolved_path_lexical"));
	json_decref(o);

	/* A failed relative open: its path joined to the directory, flagged as text only. */
	ev.file.path = "../.ssh/id_rsa";
	ev.file.path_len = 14;
	ev.file.result = -2;
	ev.file.resolved = "/home/agent/work";
	ev.file.resolved_len = 16;
	ev.file.resolved_cut = false;
	ev.file.resolved_dir = true;
	o = to_json(&ev);
	assert_string_equal(get_str(o, "path"), "../.ssh/id_rsa");
	assert_string_equal(get_str(o, "resolved_path"), "/home/agent/.ssh/id_rsa");
	assert_true(get_bool(o, "resolved_path_lexical"));
	assert_null(json_object_get(o, "resolved_path_cut"));
	assert_string_equal(get_str(o, "error"), "ENOENT");
	json_decref(o);
}

static void session_fields(void **state)
{
	struct event ev;
	json_t *o;

	(void)state;
	base_event(&ev, EVENT_SESSION_START);
	ev.session = 42;
	ev.session_root = 4242;
	ev.sess.agent = "llm-client";
	ev.sess.pod_uid = "1234abcd-5678-90ab-cdef-1234567890ab";
	o = to_json(&ev);
	check_common(o, "session.start");
	assert_int_equal(get_int(o, "session"), 42);
	assert_null(json_object_get(o, "session_nested"));
	assert_string_equal(get_str(o, "agent"), "llm-client");
	assert_true(json_is_null(json_object_get(o, "container_id")));
	assert_string_equal(get_str(o, "pod_uid"), "1234abcd-5678-90ab-cdef-1234567890ab");
	assert_null(json_object_get(o, "processes"));
	json_decref(o);

	ev.type = EVENT_SESSION_END;
	ev.sess.processes = 3;
	ev.sess.events = 120;
	ev.sess.duration_ns = 5000;
	o = to_json(&ev);
	assert_string_equal(get_str(o, "type"), "session.end");
	assert_int_equal(get_int(o, "processes"), 3);
	assert_int_equal(get_int(o, "events"), 120);
	assert_int_equal(get_int(o, "duration_ns"), 5000);
	json_decref(o);
}

/* ---- net.connect --------------------------------------------------------- */

static void connect_inet_refused(void **state)
{
	struct event ev;
	json_t *o;

	(void)state;
	base_event(&ev, EVENT_NET_CONNECT);
	ev.connect.fd = 3;
	ev.connect.result = -111;
	ev.connect.remote.family = AF_INET;
	ev.connect.remote.port = 8443;
	memcpy(ev.connect.remote.addr, "\x7f\x00\x00\x01", 4);
	o = to_json(&ev);
	check_common(o, "net.connect");
	assert_int_equal(get_int(o, "fd"), 3);
	assert_string_equal(get_str(o, "family"), "inet");
	assert_string_equal(get_str(o, "daddr"), "127.0.0.1");
	assert_int_equal(get_int(o, "dport"), 8443);
	assert_int_equal(get_int(o, "result"), -111);
	assert_string_equal(get_str(o, "error"), "ECONNREFUSED");
	assert_null(json_object_get(o, "path"));
	json_decref(o);

	/* The kernel's restart codes have names too (a connect a signal cut). */
	ev.connect.result = -512;
	o = to_json(&ev);
	assert_string_equal(get_str(o, "error"), "ERESTARTSYS");
	json_decref(o);
	ev.connect.result = -1000;
	o = to_json(&ev);
	assert_string_equal(get_str(o, "error"), "EUNKNOWN");
	json_decref(o);
	/* A record's worst: no errno can be its negation (a fuzzer found the overflow). */
	ev.connect.result = INT32_MIN;
	o = to_json(&ev);
	assert_int_equal(get_int(o, "result"), INT32_MIN);
	assert_string_equal(get_str(o, "error"), "EUNKNOWN");
	json_decref(o);
}

static void connect_inet6_ok(void **state)
{
	struct event ev;
	json_t *o;

	(void)state;
	base_event(&ev, EVENT_NET_CONNECT);
	ev.connect.fd = 4;
	ev.connect.result = 0;
	ev.connect.remote.family = AF_INET6;
	ev.connect.remote.port = 443;
	ev.connect.remote.addr[15] = 1;
	o = to_json(&ev);
	assert_string_equal(get_str(o, "family"), "inet6");
	assert_string_equal(get_str(o, "daddr"), "::1");
	assert_int_equal(get_int(o, "dport"), 443);
	assert_int_equal(get_int(o, "result"), 0);
	assert_null(json_object_get(o, "error"));
	json_decref(o);

	/* RFC 5952 text and an in-progress connect. */
	memcpy(ev.connect.remote.addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x42", 16);
	ev.connect.result = -EINPROGRESS;
	o = to_json(&ev);
	assert_string_equal(get_str(o, "daddr"), "2001:db8::42");
	assert_string_equal(get_str(o, "error"), "EINPROGRESS");
	json_decref(o);
}

static void connect_unix(void **state)
{
	static const char path[] = "/run/dbus/system_bus_socket";
	struct event ev;
	json_t *o;

	(void)state;
	base_event(&ev, EVENT_NET_CONNECT);
	ev.connect.fd = 9;
	ev.connect.result = -2;
	ev.connect.remote.family = AF_UNIX;
	ev.connect.unix_path = path;
	ev.connect.unix_path_len = sizeof(path) - 1;
	o = to_json(&ev);
	assert_string_equal(get_str(o, "family"), "unix");
	assert_string_equal(get_str(o, "path"), path);
	assert_string_equal(get_str(o, "error"), "ENOENT");
	assert_null(json_object_get(o, "daddr"));
	assert_null(json_object_get(o, "dport"));
	json_decref(o);

	/* Abstract: leading NUL kept as a character. */
	ev.connect.unix_path = "\0warden";
	ev.connect.unix_path_len = 7;
	ev.connect.result = 0;
	o = to_json(&ev);
	assert_int_equal(json_string_length(json_object_get(o, "path")), 7);
	assert_memory_equal(get_str(o, "path"), "\0warden", 7);
	json_decref(o);
}

static void connect_unknown_family(void **state)
{
	struct event ev;
	json_t *o;

	(void)state;
	base_event(&ev, EVENT_NET_CONNECT);
	ev.connect.result = -4095; /* not an errno glibc knows */
	o = to_json(&ev);
	assert_string_equal(get_str(o, "family"), "unknown");
	assert_null(json_object_get(o, "daddr"));
	assert_null(json_object_get(o, "path"));
	assert_string_equal(get_str(o, "error"), "EUNKNOWN");
	json_decref(o);
}

/* ---- dns.answer ---------------------------------------------------------- */

static const uint8_t dns_bytes[] = { 0x12, 0x34, 0x81, 0x80 };

static void dns_event(struct event *ev)
{
	base_event(ev, EVENT_DNS_ANSWER);
	ev->dns.fd = 3;
	ev->dns.server.family = AF_INET;
	ev->dns.server.port = 53;
	memcpy(ev->dns.server.addr, "\x0a\xff\xff\x35", 4);
	ev->dns.data = dns_bytes;
	ev->dns.len = sizeof(dns_bytes);
	ev->dns.total_len = sizeof(dns_bytes);
}

/* Before the decoder: where it came from and how long it was. */
static void dns_unparsed(void **state)
{
	struct event ev;
	json_t *o;

	(void)state;
	dns_event(&ev);
	o = to_json(&ev);
	check_common(o, "dns.answer");
	assert_int_equal(get_int(o, "fd"), 3);
	assert_string_equal(get_str(o, "server"), "10.255.255.53");
	assert_int_equal(get_int(o, "port"), 53);
	assert_int_equal(get_int(o, "len"), 4);
	assert_null(json_object_get(o, "total_len"));
	assert_null(json_object_get(o, "qname"));
	assert_null(json_object_get(o, "addrs"));
	json_decref(o);

	/* Cut by the capture; server unknown. */
	ev.dns.total_len = 1500;
	ev.dns.server.family = 0;
	o = to_json(&ev);
	assert_int_equal(get_int(o, "total_len"), 1500);
	assert_null(json_object_get(o, "server"));
	assert_null(json_object_get(o, "port"));
	json_decref(o);
}

static void dns_parsed(void **state)
{
	static struct dns_message m;
	struct event ev;
	json_t *o, *a;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.id = 0x1234;
	m.is_response = true;
	m.qtype = 1;
	m.qclass = 1;
	strcpy(m.qname, "www.example.com");
	strcpy(m.cname, "edge.\"cdn\".net");
	m.addrs[0].family = AF_INET;
	memcpy(m.addrs[0].addr, "\xc6\x33\x64\x07", 4);
	m.addrs[1].family = AF_INET6;
	memcpy(m.addrs[1].addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x07", 16);
	m.n_addrs = 2;
	m.addrs_truncated = true;
	m.truncated_flag = true;
	dns_event(&ev);
	ev.dns.server.family = AF_INET6;
	memset(ev.dns.server.addr, 0, 16);
	ev.dns.server.addr[15] = 1;
	ev.dns.msg = &m;
	o = to_json(&ev);
	check_common(o, "dns.answer");
	assert_int_equal(get_int(o, "fd"), 3);
	assert_string_equal(get_str(o, "server"), "::1");
	assert_int_equal(get_int(o, "port"), 53);
	assert_int_equal(get_int(o, "dns_id"), 0x1234);
	assert_string_equal(get_str(o, "qname"), "www.example.com");
	assert_string_equal(get_str(o, "qtype"), "A");
	assert_int_equal(get_int(o, "rcode"), 0);
	assert_string_equal(get_str(o, "cname"), "edge.\"cdn\".net");
	a = json_object_get(o, "addrs");
	assert_true(json_is_array(a));
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(json_string_value(json_array_get(a, 0)), "198.51.100.7");
	assert_string_equal(json_string_value(json_array_get(a, 1)), "2001:db8::7");
	assert_true(get_bool(o, "tc"));
	assert_true(get_bool(o, "addrs_truncated"));
	assert_false(get_bool(o, "truncated"));
	assert_null(json_object_get(o, "response"));
	json_decref(o);

	/* NXDOMAIN for a type without a name here, no addresses, no CNAME; a query. */
	memset(&m, 0, sizeof(m));
	m.rcode = 3;
	m.qtype = 4242;
	strcpy(m.qname, "nope.invalid");
	ev.dns.total_len = 2000;
	o = to_json(&ev);
	assert_int_equal(get_int(o, "qtype"), 4242);
	assert_int_equal(get_int(o, "rcode"), 3);
	assert_int_equal(json_array_size(json_object_get(o, "addrs")), 0);
	assert_null(json_object_get(o, "cname"));
	assert_false(get_bool(o, "response"));
	assert_true(get_bool(o, "truncated"));
	json_decref(o);
}

/* ---- agent.stats --------------------------------------------------------- */

static void stats_fields(void **state)
{
	struct event_stats_tables t = { 0 };
	struct event ev;
	json_t *o, *drops, *counters;

	(void)state;
	base_event(&ev, EVENT_AGENT_STATS);
	ev.stats.tables = &t;
	event_stats_add(&t, true, "process.exec", 3);
	event_stats_add(&t, true, "tls.data", 12);
	event_stats_add(&t, false, "read_fault", 1);
	event_stats_add(&t, false, "tls_nested", 0);
	event_stats_add(&t, false, "proc_lookups", 5000000000ull);
	ev.stats.events = 123456;
	ev.stats.uptime_ns = 60000000000ull;
	o = to_json(&ev);
	assert_int_equal(get_int(o, "id"), 42);
	assert_string_equal(get_str(o, "type"), "agent.stats");
	/* No process fields on the agent's own event. */
	assert_null(json_object_get(o, "pid"));
	assert_null(json_object_get(o, "comm"));
	assert_null(json_object_get(o, "exe"));
	drops = json_object_get(o, "drops");
	assert_true(json_is_object(drops));
	assert_int_equal(json_object_size(drops), 2);
	assert_int_equal(get_int(drops, "process.exec"), 3);
	assert_int_equal(get_int(drops, "tls.data"), 12);
	counters = json_object_get(o, "counters");
	assert_true(json_is_object(counters));
	assert_int_equal(json_object_size(counters), 3);
	assert_int_equal(get_int(counters, "read_fault"), 1);
	assert_int_equal(get_int(counters, "tls_nested"), 0);
	assert_int_equal(get_int(counters, "proc_lookups"), 5000000000ll);
	assert_int_equal(get_int(o, "events"), 123456);
	assert_int_equal(get_int(o, "uptime_ns"), 60000000000ll);
	json_decref(o);

	/* Full tables keep what fits and drop the rest; empty ones, and none, are still objects. */
	for (int i = 0; i < EVENT_STATS_MAX + 5; i++)
		event_stats_add(&t, false, "more", (uint64_t)i);
	assert_int_equal(t.ncounters, EVENT_STATS_MAX);
	assert_int_equal(t.counters[EVENT_STATS_MAX - 1].value, EVENT_STATS_MAX - 4);
	assert_int_equal(t.ndrops, 2);
	t.ndrops = 0;
	t.ncounters = 0;
	o = to_json(&ev);
	assert_int_equal(json_object_size(json_object_get(o, "drops")), 0);
	assert_true(json_is_object(json_object_get(o, "counters")));
	json_decref(o);
	ev.stats.tables = NULL;
	o = to_json(&ev);
	assert_int_equal(json_object_size(json_object_get(o, "drops")), 0);
	assert_true(json_is_object(json_object_get(o, "counters")));
	json_decref(o);
}

static void type_names(void **state)
{
	(void)state;
	assert_string_equal(event_type_name(EVENT_PROCESS_FORK), "process.fork");
	assert_string_equal(event_type_name(EVENT_PROCESS_EXEC), "process.exec");
	assert_string_equal(event_type_name(EVENT_PROCESS_EXIT), "process.exit");
	assert_string_equal(event_type_name(EVENT_NET_CONNECT), "net.connect");
	assert_string_equal(event_type_name(EVENT_TLS_WRITE), "tls.write");
	assert_string_equal(event_type_name(EVENT_TLS_READ), "tls.read");
	assert_string_equal(event_type_name(EVENT_AGENT_STATS), "agent.stats");
	assert_string_equal(event_type_name(EVENT_LIB_MAP), "internal.lib_map");
	assert_string_equal(event_type_name(EVENT_TYPE_MAX), "unknown");
	assert_string_equal(event_type_name((enum event_type)-1), "unknown");
}

static void addr_str(void **state)
{
	struct event_addr a = { 0 };
	char buf[INET6_ADDRSTRLEN];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	assert_string_equal(event_addr_str(&a, buf, sizeof(buf)), "");
	a.family = AF_INET;
	memcpy(a.addr, "\xc0\xa8\x01\xfe", 4);
	assert_string_equal(event_addr_str(&a, buf, sizeof(buf)), "192.168.1.254");
	/* IPv4 is formatted by hand: as inet_ntop does, octet by octet of every width. */
	for (unsigned int i = 0; i < 256; i++) {
		char want[INET_ADDRSTRLEN];
		uint8_t q[4] = { i, 255 - i, i / 10, (i * 37) & 255 };

		memcpy(a.addr, q, 4);
		assert_non_null(inet_ntop(AF_INET, q, want, sizeof(want)));
		assert_string_equal(event_addr_str(&a, buf, sizeof(buf)), want);
	}
	/* A buffer too small for any dotted quad gets inet_ntop's answer: nothing. */
	assert_string_equal(event_addr_str(&a, buf, 7), "");
	a.family = AF_INET6;
	memcpy(a.addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff\x7f\0\0\x01", 16);
	assert_string_equal(event_addr_str(&a, buf, sizeof(buf)), "::ffff:127.0.0.1");
}

/* ---- event_write_json ---------------------------------------------------- */

static void write_json_one_line(void **state)
{
	static const char data[] = "line1\nline2\r\n";
	struct event ev;
	char *buf = NULL;
	size_t size = 0;
	FILE *f;
	json_t *o;
	json_error_t jerr;

	(void)state;
	tls_event(&ev, EVENT_TLS_WRITE, data, sizeof(data) - 1);
	f = open_memstream(&buf, &size);
	assert_non_null(f);
	assert_int_equal(event_write_json(&ev, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_true(size > 2);
	assert_int_equal(strlen(buf), size);
	assert_int_equal(buf[size - 1], '\n');
	/* Exactly one newline: the one ending the line. */
	assert_ptr_equal(strchr(buf, '\n'), buf + size - 1);
	o = json_loads(buf, JSON_ALLOW_NUL, &jerr);
	assert_non_null(o);
	assert_string_equal(get_str(o, "data"), data);
	assert_string_equal(get_str(o, "type"), "tls.write");
	json_decref(o);
	free(buf);
}

/* Numbers at their edges, through the writer's own decimal conversion. */
static void format_json_numbers(void **state)
{
	struct event_json j = { 0 };
	struct event ev;
	char *line;

	(void)state;
	base_event(&ev, EVENT_PROCESS_EXIT);
	ev.id = 0;
	ev.ts = UINT64_MAX; /* beyond int64: written as INT64_MAX */
	ev.pid = 4294967295u;
	ev.tid = 10;
	ev.ppid = 9;
	ev.uid = 100;
	ev.exit.status = INT32_MIN;
	ev.exit.signal = -1;
	assert_int_equal(event_format_json(&ev, &j), 0);
	assert_true(j.len > 0 && j.buf[j.len - 1] == '\n');
	line = strndup(j.buf, j.len);
	assert_non_null(strstr(line, "{\"id\":0,\"ts\":9223372036854775807,"));
	assert_non_null(strstr(line, "\"pid\":4294967295,\"tid\":10,\"ppid\":9,\"uid\":100,"));
	assert_non_null(strstr(line, "\"exit_code\":-2147483648,\"signal\":-1"));
	free(line);
	/* The buffer is reused: a second event replaces the first. */
	ev.exit.status = 99;
	ev.exit.signal = 0;
	ev.ts = 1000;
	assert_int_equal(event_format_json(&ev, &j), 0);
	line = strndup(j.buf, j.len);
	assert_non_null(strstr(line, "\"ts\":1000,"));
	assert_non_null(strstr(line, "\"exit_code\":99,\"signal\":0"));
	assert_ptr_equal(strchr(line, '\n'), line + j.len - 1);
	free(line);
	event_json_release(&j);
	assert_null(j.buf);
	event_json_release(NULL);
}

static void write_json_two_events(void **state)
{
	struct event ev;
	char buf[4096];
	FILE *f;
	char *nl;

	(void)state;
	memset(buf, 0, sizeof(buf));
	f = fmemopen(buf, sizeof(buf) - 1, "w");
	assert_non_null(f);
	base_event(&ev, EVENT_PROCESS_EXIT);
	ev.exit.status = 1;
	assert_int_equal(event_write_json(&ev, f), 0);
	ev.id = 43;
	assert_int_equal(event_write_json(&ev, f), 0);
	assert_int_equal(fclose(f), 0);
	nl = strchr(buf, '\n');
	assert_non_null(nl);
	assert_non_null(strchr(nl + 1, '\n'));
	assert_int_equal(strchr(nl + 1, '\n')[1], 0);
	assert_int_equal(strncmp(buf, "{", 1), 0);
	assert_int_equal(strncmp(nl + 1, "{", 1), 0);
	assert_non_null(strstr(buf, "\"id\":42"));
	assert_non_null(strstr(nl + 1, "\"id\":43"));
}

static void write_json_stream_error(void **state)
{
	struct event ev;
	char buf[16];
	FILE *f;

	(void)state;
	/* Opened read-only: every write fails, and the caller must hear of it. */
	f = fmemopen(buf, sizeof(buf), "r");
	assert_non_null(f);
	base_event(&ev, EVENT_PROCESS_FORK);
	assert_int_equal(event_write_json(&ev, f), -EIO);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tls_write_utf8),
		cmocka_unit_test(tls_read_flags_no_addrs),
		cmocka_unit_test(tls_empty_data),
		cmocka_unit_test(tls_utf8_with_nul),
		cmocka_unit_test(tls_binary),
		cmocka_unit_test(tls_binary_large_heap),
		cmocka_unit_test(tls_binary_stack_boundary),
		cmocka_unit_test(exec_argv),
		cmocka_unit_test(exec_invalid_utf8),
		cmocka_unit_test(fork_fields),
		cmocka_unit_test(exit_fields),
		cmocka_unit_test(comm_full_and_invalid),
		cmocka_unit_test(connect_inet_refused),
		cmocka_unit_test(connect_inet6_ok),
		cmocka_unit_test(connect_unix),
		cmocka_unit_test(connect_unknown_family),
		cmocka_unit_test(dns_unparsed),
		cmocka_unit_test(dns_parsed),
		cmocka_unit_test(stats_fields),
		cmocka_unit_test(type_names),
		cmocka_unit_test(file_open_fields),
		cmocka_unit_test(io_uring_fields),
		cmocka_unit_test(listen_fields),
		cmocka_unit_test(accept_fields),
		cmocka_unit_test(file_change_fields),
		cmocka_unit_test(session_fields),
		cmocka_unit_test(addr_str),
		cmocka_unit_test(write_json_one_line),
		cmocka_unit_test(format_json_numbers),
		cmocka_unit_test(write_json_two_events),
		cmocka_unit_test(write_json_stream_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

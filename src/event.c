// SPDX-License-Identifier: Apache-2.0
/* The event type's names and its JSON encoding: every output formats from here. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "warden/encode.h"
#include "warden/event.h"

static const char *const type_names[EVENT_TYPE_MAX] = {
	[EVENT_PROCESS_FORK] = "process.fork", [EVENT_PROCESS_EXEC] = "process.exec",
	[EVENT_PROCESS_EXIT] = "process.exit", [EVENT_NET_CONNECT] = "net.connect",
	[EVENT_TLS_WRITE] = "tls.write",       [EVENT_TLS_READ] = "tls.read",
	[EVENT_AGENT_STATS] = "agent.stats",   [EVENT_LIB_MAP] = "internal.lib_map",
};

const char *event_type_name(enum event_type t)
{
	return (unsigned int)t < EVENT_TYPE_MAX ? type_names[t] : "unknown";
}

const char *event_addr_str(const struct event_addr *a, char *buf, size_t size)
{
	buf[0] = 0;
	if (a->family == AF_INET)
		inet_ntop(AF_INET, a->addr, buf, size);
	else if (a->family == AF_INET6)
		inet_ntop(AF_INET6, a->addr, buf, size);
	return buf;
}

/* json_object_set_new() that remembers a failure instead of leaking or crashing. */
static void set(json_t *o, const char *k, json_t *v, int *err)
{
	if (!v || json_object_set_new_nocheck(o, k, v))
		*err = -ENOMEM;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* Strings from the kernel are bytes: valid UTF-8 goes as is, bad bytes become U+FFFD. */
static json_t *bytes_string(const char *s, size_t len)
{
	char stackbuf[1024], *tmp;
	json_t *j;
	size_t n;

	if (encode_utf8_valid((const unsigned char *)s, len))
		return json_stringn_nocheck(s, len);
	tmp = 3 * len <= sizeof(stackbuf) ? stackbuf : malloc(3 * len);
	if (!tmp)
		return NULL;
	n = encode_utf8_sanitize((const unsigned char *)s, len, tmp);
	j = json_stringn_nocheck(tmp, n);
	if (tmp != stackbuf)
		free(tmp);
	return j;
}

static void set_addr(json_t *o, const char *kaddr, const char *kport, const struct event_addr *a,
		     int *err)
{
	char buf[INET6_ADDRSTRLEN];

	if (a->family != AF_INET && a->family != AF_INET6)
		return;
	set(o, kaddr, json_string(event_addr_str(a, buf, sizeof(buf))), err);
	set(o, kport, json_integer(a->port), err);
}

static const char *family_name(uint16_t f)
{
	switch (f) {
	case AF_INET:
		return "inet";
	case AF_INET6:
		return "inet6";
	case AF_UNIX:
		return "unix";
	default:
		return "unknown";
	}
}

static void set_exec(json_t *o, const struct event *ev, int *err)
{
	json_t *argv = json_array();
	const char *p = ev->exec.args, *end = p + ev->exec.args_len;

	set(o, "filename", bytes_string(ev->exec.filename, strlen(ev->exec.filename)), err);
	while (argv && p < end) {
		size_t n = strnlen(p, end - p);

		if (json_array_append_new(argv, bytes_string(p, n)))
			*err = -ENOMEM;
		p += n + 1;
	}
	set(o, "argv", argv, err);
	set(o, "argv_truncated", json_boolean(ev->exec.args_truncated), err);
}

static void set_tls(json_t *o, const struct event *ev, int *err)
{
	static const size_t b64_stack = 4096;
	char stackbuf[b64_stack];

	set(o, "conn", json_integer(ev->tls.conn), err);
	set(o, "fd", json_integer(ev->tls.fd), err);
	set(o, "func", json_string(ev->tls.func), err);
	set(o, "call", json_integer(ev->tls.call), err);
	set(o, "offset", json_integer(ev->tls.offset), err);
	set(o, "len", json_integer(ev->tls.len), err);
	set(o, "total_len", json_integer(ev->tls.total_len), err);
	set(o, "truncated", json_boolean(ev->tls.truncated), err);
	if (ev->tls.fault)
		set(o, "fault", json_true(), err);
	set_addr(o, "laddr", "lport", &ev->tls.local, err);
	set_addr(o, "raddr", "rport", &ev->tls.remote, err);
	if (encode_utf8_valid(ev->tls.data, ev->tls.len)) {
		set(o, "data", json_stringn_nocheck((const char *)ev->tls.data, ev->tls.len), err);
	} else {
		size_t need = encode_base64_size(ev->tls.len);
		char *b64 = need <= b64_stack ? stackbuf : malloc(need);
		size_t n;

		if (!b64) {
			*err = -ENOMEM;
			return;
		}
		n = encode_base64(ev->tls.data, ev->tls.len, b64);
		set(o, "data_b64", json_stringn_nocheck(b64, n), err);
		if (b64 != stackbuf)
			free(b64);
	}
}

static void set_stats(json_t *o, const struct event *ev, int *err)
{
	json_t *drops = json_object(), *counters = json_object();

	for (unsigned int i = 0; drops && i < ev->stats.ndrops; i++)
		set(drops, ev->stats.drops[i].name, json_integer(ev->stats.drops[i].value), err);
	for (unsigned int i = 0; counters && i < ev->stats.ncounters; i++)
		set(counters, ev->stats.counters[i].name, json_integer(ev->stats.counters[i].value),
		    err);
	set(o, "drops", drops, err);
	set(o, "counters", counters, err);
	set(o, "events", json_integer(ev->stats.events), err);
	set(o, "uptime_ns", json_integer(ev->stats.uptime_ns), err);
}

int event_to_json(const struct event *ev, json_t **out)
{
	json_t *o = json_object();
	int err = 0;

	*out = NULL;
	if (!o)
		return -ENOMEM;
	set(o, "id", json_integer(ev->id), &err);
	set(o, "ts", json_integer(ev->ts), &err);
	set(o, "type", json_string(event_type_name(ev->type)), &err);
	if (ev->type != EVENT_AGENT_STATS) {
		set(o, "pid", json_integer(ev->pid), &err);
		set(o, "tid", json_integer(ev->tid), &err);
		set(o, "ppid", json_integer(ev->ppid), &err);
		set(o, "uid", json_integer(ev->uid), &err);
		set(o, "comm", bytes_string(ev->comm, strnlen(ev->comm, sizeof(ev->comm))), &err);
		set(o, "exe", str_or_null(ev->exe), &err);
	}

	switch (ev->type) {
	case EVENT_PROCESS_EXEC:
		set_exec(o, ev, &err);
		break;
	case EVENT_PROCESS_EXIT:
		set(o, "exit_code", json_integer(ev->exit.status), &err);
		set(o, "signal", json_integer(ev->exit.signal), &err);
		if (ev->exit.core_dumped)
			set(o, "core_dumped", json_true(), &err);
		break;
	case EVENT_NET_CONNECT:
		set(o, "fd", json_integer(ev->connect.fd), &err);
		set(o, "family", json_string(family_name(ev->connect.remote.family)), &err);
		if (ev->connect.remote.family == AF_UNIX)
			set(o, "path",
			    bytes_string(ev->connect.unix_path, ev->connect.unix_path_len), &err);
		else
			set_addr(o, "daddr", "dport", &ev->connect.remote, &err);
		set(o, "result", json_integer(ev->connect.result), &err);
		if (ev->connect.result < 0) {
			const char *name = strerrorname_np(-ev->connect.result);

			set(o, "error", json_string(name ? name : "EUNKNOWN"), &err);
		}
		break;
	case EVENT_TLS_WRITE:
	case EVENT_TLS_READ:
		set_tls(o, ev, &err);
		break;
	case EVENT_AGENT_STATS:
		set_stats(o, ev, &err);
		break;
	default:
		break;
	}
	if (err) {
		json_decref(o);
		return err;
	}
	*out = o;
	return 0;
}

int event_write_json(const struct event *ev, FILE *f)
{
	json_t *o;
	int r = event_to_json(ev, &o);

	if (r < 0)
		return r;
	r = json_dumpf(o, f, JSON_COMPACT) < 0 || fputc('\n', f) == EOF ? -EIO : 0;
	json_decref(o);
	return r;
}

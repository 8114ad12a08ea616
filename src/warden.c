// SPDX-License-Identifier: Apache-2.0
/*
 * warden: the investigation CLI. Reads wardend's store read-only (SQLite
 * WAL: it works while wardend writes) and shows the daemon's state, the
 * agent sessions, their timelines and events, and verifies the hash chain.
 * Output is for people on a terminal (colour, 80 columns) and JSON for
 * programs; errors are one line on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "warden/event.h"
#include "warden/store.h"
#include "warden/version.h"

enum { EXIT_OK = 0, EXIT_ERR = 1, EXIT_USAGE = 2 };

#define WIDTH 80
#define TIMELINE_MAX 200000 /* events of one session shown; more are counted */
#define INDENT_MAX 8
#define FOLLOW_INTERVAL_NS 250000000L
#define FOLLOW_BATCH 10000

static bool color;

static const char *const USAGE_MAIN =
	"Usage: warden COMMAND [OPTIONS]\n"
	"\n"
	"Investigate what AI agents did on this host, from the store wardend writes\n"
	"(" STORE_DEFAULT_PATH " unless wardend runs with --db PATH). The store is\n"
	"opened read-only: every command works while wardend runs.\n"
	"\n"
	"Commands:\n"
	"  status              is wardend running; events/s, drops, active sessions\n"
	"  sessions            list agent sessions\n"
	"  timeline SESSION    one session as a tree: prompts, replies, tool calls and\n"
	"                      the processes, connections and requests they caused\n"
	"  events              list events, filtered; --follow for new ones\n"
	"  show EVENT          one event's stored JSON, indented\n"
	"  export SESSION      a session's events as JSON lines\n"
	"  verify              check the store's hash chain for altered, inserted or\n"
	"                      deleted events\n"
	"  version             print the version\n"
	"  help                show this help\n"
	"\n"
	"Every command takes --db PATH and --help ('warden COMMAND --help').\n"
	"Durations (--since) are a number and a unit: 30s, 15m, 2h, 7d.\n"
	"Colours are used on a terminal unless NO_COLOR is set.\n"
	"\n"
	"Exit status: 0 on success, 1 on an error (or a failed check), 2 on a usage\n"
	"error.\n";

/* Every command's --help ends with these. */
static const char *const USAGE_COMMON =
	"\n"
	"  --db PATH           the store (default " STORE_DEFAULT_PATH ")\n"
	"  -h, --help          show this help\n";

static const char *const USAGE_STATUS =
	"Usage: warden status [--db PATH]\n"
	"\n"
	"Whether wardend is running on the store (the pid it recorded, and whether\n"
	"that process is alive), the event rate and kernel drops from its last two\n"
	"agent.stats events, store errors, active sessions and the events stored.\n";

static const char *const EXIT_STATUS =
	"\nExit status: 0 when wardend is running, 1 when it is not or on an error.\n";

static const char *const USAGE_SESSIONS =
	"Usage: warden sessions [--active] [--since DURATION] [--json] [--db PATH]\n"
	"\n"
	"List agent sessions, oldest first: id (the id of its session.start event,\n"
	"which 'warden timeline' takes), start time, duration, root pid, agent,\n"
	"events and the root command.\n"
	"\n"
	"  --active            only sessions that have not ended\n"
	"  --since DURATION    only sessions started in the last DURATION (2h, 7d)\n"
	"  --json              one JSON object per session and line\n";

static const char *const USAGE_TIMELINE =
	"Usage: warden timeline SESSION [--json] [--all] [--db PATH]\n"
	"\n"
	"Show one session in time order as a tree: each event is indented under the\n"
	"event that caused it (its 'cause'). Prompts (llm.request: model and the last\n"
	"user text) and the tool results they carry back, model replies (llm.response)\n"
	"with their tool calls, and under them the processes, connections, HTTP\n"
	"requests and file opens those caused, and alerts. Long texts are shortened\n"
	"and their length shown as (N bytes). Lines fit 80 columns.\n"
	"\n"
	"  --json              the session's events as JSON lines in tree order, each\n"
	"                      with an added \"depth\"\n"
	"  --all               also show the C runtime's opens (ld.so.cache, shared\n"
	"                      libraries, locale data), hidden by default and counted\n";

static const char *const USAGE_EVENTS =
	"Usage: warden events [--session ID] [--type TYPE] [--pid PID] [--since DURATION]\n"
	"                     [--follow] [--json] [--db PATH]\n"
	"\n"
	"List stored events in id order, one line each (id, time, type, pid and a\n"
	"summary), or as the stored JSON lines with --json.\n"
	"\n"
	"  --session ID        only events of that session\n"
	"  --type TYPE         only that event type (process.exec, llm.request, ...)\n"
	"  --pid PID           only events of that process\n"
	"  --since DURATION    only events of the last DURATION (30s, 15m, 2h, 7d)\n"
	"  --follow            then wait for new events and print them as they are\n"
	"                      stored (wardend commits every second: --db-commit-ms;\n"
	"                      Ctrl-C stops)\n"
	"  --json              the stored JSON lines\n";

static const char *const USAGE_SHOW = "Usage: warden show EVENT [--db PATH]\n"
				      "\n"
				      "Print one event's stored JSON, indented.\n";

static const char *const USAGE_EXPORT =
	"Usage: warden export SESSION [--format jsonl] [--db PATH]\n"
	"\n"
	"Write every stored event of a session (its session.start first) to stdout as\n"
	"JSON lines, in id order: the exact lines wardend stored.\n"
	"\n"
	"  --format jsonl      the only format today (the default)\n";

static const char *const USAGE_VERIFY =
	"Usage: warden verify [--db PATH]\n"
	"\n"
	"Walk the store's hash chain in id order and report the first event row that\n"
	"was altered, inserted or deleted since wardend stored it. Retention's\n"
	"deletions are not reported: the chain starts at the anchor they leave.\n"
	"Redacted events verify (their original's digest is kept) and are counted.\n";

static const char *const EXIT_VERIFY =
	"\nExit status: 0 when the chain is intact ('ok: N events verified'), 1 when\n"
	"it is not ('verify: event ID N: ...') or on an error.\n";

static const char *const EXIT_DEFAULT =
	"\nExit status: 0 on success, 1 on an error, 2 on a usage error.\n";

static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("warden: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_ERR;
}

/* One line, like every error; the command's --help says the rest. */
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("warden: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* "30s", "15m", "2h", "7d" -> ns; -EINVAL otherwise (at most ~100 years). */
static int parse_duration(const char *s, uint64_t *ns)
{
	static const struct {
		char unit;
		uint64_t ns;
	} units[] = { { 's', 1000000000ull },
		      { 'm', 60 * 1000000000ull },
		      { 'h', 3600 * 1000000000ull },
		      { 'd', 86400 * 1000000000ull } };
	uint64_t v = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > 36500ull * 86400)
			return -EINVAL;
	}
	if (p == s || !p[0] || p[1])
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (*p == units[i].unit) {
			*ns = v * units[i].ns;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_id(const char *s, uint64_t *out)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end || !*out || *out > INT64_MAX ? -EINVAL : 0;
}

static int open_store(const char *path, struct store **st)
{
	const char *errmsg = NULL;
	int r = store_open(path, STORE_RDONLY, st, &errmsg);

	if (r == -ENOENT)
		return fail("cannot open %s: %s (is wardend running with --db?)", path,
			    strerror(-r));
	if (r == -EPROTO)
		return fail("cannot open %s: made by a newer Warden (schema above %d)", path,
			    STORE_SCHEMA_VERSION);
	if (r == -EPROTONOSUPPORT)
		return fail(
			"cannot open %s: made by an older Warden (schema below %d); start the new"
			" wardend on it once to migrate it",
			path, STORE_SCHEMA_VERSION);
	if (r == -EBADMSG)
		return fail("cannot open %s: not a Warden store", path);
	if (r < 0)
		return fail("cannot open %s: %s%s%s", path, strerror(-r), errmsg ? ": " : "",
			    errmsg ? errmsg : "");
	return 0;
}

static int sql_fail(struct store *st)
{
	return fail("reading the store: %s", store_errmsg(st));
}

static sqlite3_stmt *prepare(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	return s;
}

/* ---- One line of text that fits its columns ---- */

struct line {
	char buf[1024];
	size_t len;
	int cols, max;
};

static void line_init(struct line *l, int max)
{
	l->len = 0;
	l->cols = 0;
	l->max = max;
	l->buf[0] = 0;
}

static void line_color(struct line *l, const char *code)
{
	size_t n = strlen(code);

	if (!color || l->len + n + 1 >= sizeof(l->buf))
		return;
	memcpy(l->buf + l->len, code, n);
	l->len += n;
	l->buf[l->len] = 0;
}

static size_t utf8_len(unsigned char c)
{
	return c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

/* Columns (code points) in t[0..n), control characters counted as one. */
static int text_cols(const char *t, size_t n)
{
	int cols = 0;

	for (size_t i = 0; i < n; i += utf8_len((unsigned char)t[i]))
		cols++;
	return cols;
}

/* Appends up to cols columns of t; control characters become spaces. Returns columns used. */
static int line_put(struct line *l, const char *t, size_t n, int cols)
{
	int used = 0;

	for (size_t i = 0; i < n && used < cols;) {
		size_t k = utf8_len((unsigned char)t[i]);

		if (i + k > n || l->len + k + 8 >= sizeof(l->buf))
			break;
		if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f)
			l->buf[l->len++] = ' ';
		else
			memcpy(l->buf + l->len, t + i, k), l->len += k;
		i += k;
		used++;
	}
	l->buf[l->len] = 0;
	l->cols += used;
	return used;
}

static void line_add(struct line *l, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	line_put(l, tmp, (size_t)n, l->max - l->cols);
}

/*
 * A text quoted into what is left of the line, shortened to fit with its
 * true length shown: "first words..." (1234 bytes). total: the length the
 * capture saw (text_len when truncated), else n.
 */
static void line_text(struct line *l, const char *t, size_t n, uint64_t total)
{
	char tail[48];
	int room = l->max - l->cols - 2, tail_cols;

	if (!t)
		return;
	if (room > 0 && text_cols(t, n) <= room && total <= n) {
		line_put(l, "\"", 1, 1);
		line_put(l, t, n, room);
		line_put(l, "\"", 1, 1);
		return;
	}
	tail_cols =
		snprintf(tail, sizeof(tail), "...\" (%" PRIu64 " bytes)", total > n ? total : n);
	room -= tail_cols;
	if (room < 8) {
		line_add(l, "(%" PRIu64 " bytes)", total > n ? total : n);
		return;
	}
	line_put(l, "\"", 1, 1);
	line_put(l, t, n, room);
	line_put(l, tail, strlen(tail), tail_cols);
}

/* ---- JSON helpers ---- */

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static json_int_t jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* A text field with its true length (the "<k>_len" the capture recorded when it cut it). */
static void line_jtext(struct line *l, json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	char lk[64];

	if (!json_is_string(v))
		return;
	snprintf(lk, sizeof(lk), "%s_len", k);
	line_text(l, json_string_value(v), json_string_length(v), (uint64_t)jint(o, lk));
}

static const char *last_user_text(json_t *j, json_t **msg)
{
	json_t *msgs = json_object_get(j, "messages");

	*msg = NULL;
	for (size_t i = json_array_size(msgs); i-- > 0;) {
		json_t *m = json_array_get(msgs, i);
		const char *role = jstr(m, "role");

		if (role && !strcmp(role, "user") && jstr(m, "text") && jstr(m, "text")[0]) {
			*msg = m;
			return jstr(m, "text");
		}
	}
	return NULL;
}

#define C_RESET "\033[0m"
#define C_DIM "\033[2m"
#define C_BOLD "\033[1m"
#define C_BLUE "\033[34m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_RED "\033[31m"
#define C_CYAN "\033[36m"
#define C_MAGENTA "\033[35m"

static void line_tag(struct line *l, const char *c, const char *tag)
{
	line_color(l, c);
	line_add(l, "%s", tag);
	line_color(l, C_RESET);
	line_add(l, " ");
}

/* One event as a line's worth of words. */
static void summarize(struct line *l, const char *type, json_t *j)
{
	char args[512];
	size_t n = 0;
	json_t *v, *m;
	const char *s;

	if (!strcmp(type, "llm.request")) {
		line_tag(l, C_BOLD C_BLUE, "prompt");
		line_add(l, "%s: ", jstr(j, "model") ? jstr(j, "model") : "?");
		s = last_user_text(j, &m);
		if (s)
			line_jtext(l, m, "text");
		else if (json_array_size(json_object_get(j, "tool_results")))
			line_add(l, "(%zu tool results)",
				 json_array_size(json_object_get(j, "tool_results")));
	} else if (!strcmp(type, "llm.response")) {
		line_tag(l, C_BOLD C_GREEN, "reply");
		line_add(l, "%s: ", jstr(j, "model") ? jstr(j, "model") : "?");
		if (jstr(j, "text") && jstr(j, "text")[0])
			line_jtext(l, j, "text");
		else
			line_add(l, "%zu tool calls",
				 json_array_size(json_object_get(j, "tool_calls")));
	} else if (!strcmp(type, "mcp.call")) {
		line_tag(l, C_MAGENTA, "mcp call");
		line_add(l, "%s %s", jstr(j, "method") ? jstr(j, "method") : "",
			 jstr(j, "tool") ? jstr(j, "tool") : "");
	} else if (!strcmp(type, "mcp.result")) {
		line_tag(l, C_MAGENTA, "mcp result");
		line_jtext(l, j, "result");
	} else if (!strcmp(type, "process.exec")) {
		line_tag(l, C_YELLOW, "exec");
		v = json_object_get(j, "argv");
		for (size_t i = 0; i < json_array_size(v) && n < sizeof(args) - 1; i++) {
			const char *a = json_string_value(json_array_get(v, i));
			int k = snprintf(args + n, sizeof(args) - n, "%s%s", i ? " " : "",
					 a ? a : "");

			n += k > 0 ? (size_t)k : 0;
		}
		if (n >= sizeof(args))
			n = sizeof(args) - 1;
		args[n] = 0;
		if (!n && jstr(j, "filename"))
			n = (size_t)snprintf(args, sizeof(args), "%s", jstr(j, "filename"));
		line_put(l, args, strnlen(args, sizeof(args)), l->max - l->cols);
	} else if (!strcmp(type, "process.fork")) {
		line_tag(l, C_DIM, "fork");
		line_add(l, "pid %" JSON_INTEGER_FORMAT " (parent %" JSON_INTEGER_FORMAT ")",
			 jint(j, "pid"), jint(j, "ppid"));
	} else if (!strcmp(type, "process.exit")) {
		line_tag(l, C_DIM, "exit");
		line_add(l, "pid %" JSON_INTEGER_FORMAT " code %" JSON_INTEGER_FORMAT,
			 jint(j, "pid"), jint(j, "exit_code"));
		if (jint(j, "signal"))
			line_add(l, " signal %" JSON_INTEGER_FORMAT, jint(j, "signal"));
	} else if (!strcmp(type, "net.connect")) {
		line_tag(l, C_CYAN, "connect");
		if (jstr(j, "path"))
			line_add(l, "%s", jstr(j, "path"));
		else
			line_add(l, "%s:%" JSON_INTEGER_FORMAT,
				 jstr(j, "host")  ? jstr(j, "host") :
				 jstr(j, "daddr") ? jstr(j, "daddr") :
						    "?",
				 jint(j, "dport"));
		if (jstr(j, "error"))
			line_add(l, " %s", jstr(j, "error"));
	} else if (!strcmp(type, "net.listen")) {
		line_tag(l, C_CYAN, "listen");
		if (jstr(j, "path"))
			line_add(l, "%s", jstr(j, "path"));
		else if (jstr(j, "laddr"))
			line_add(l, "%s:%" JSON_INTEGER_FORMAT, jstr(j, "laddr"), jint(j, "lport"));
		else
			line_add(l, "fd %" JSON_INTEGER_FORMAT, jint(j, "fd"));
		if (jstr(j, "error"))
			line_add(l, " %s", jstr(j, "error"));
	} else if (!strcmp(type, "net.accept")) {
		/* who came in, and to which port */
		line_tag(l, C_CYAN, "accept");
		if (jstr(j, "raddr"))
			line_add(l, "%s:%" JSON_INTEGER_FORMAT " -> %s:%" JSON_INTEGER_FORMAT,
				 jstr(j, "raddr"), jint(j, "rport"),
				 jstr(j, "laddr") ? jstr(j, "laddr") : "?", jint(j, "lport"));
		else
			line_add(l, "%s fd %" JSON_INTEGER_FORMAT,
				 jstr(j, "family") ? jstr(j, "family") : "?", jint(j, "fd"));
	} else if (!strcmp(type, "http.request")) {
		line_tag(l, C_CYAN, "http");
		line_add(l, "%s %s%s", jstr(j, "method") ? jstr(j, "method") : "?",
			 jstr(j, "host") ? jstr(j, "host") : "",
			 jstr(j, "path") ? jstr(j, "path") : "");
	} else if (!strcmp(type, "http.response")) {
		line_tag(l, C_CYAN, "http");
		line_add(l, "%" JSON_INTEGER_FORMAT " (%" JSON_INTEGER_FORMAT " bytes)",
			 jint(j, "status"), jint(j, "body_len"));
	} else if (!strcmp(type, "file.open")) {
		const char *path = jstr(j, "path"), *file = jstr(j, "resolved_path");

		line_tag(l, C_YELLOW, "open");
		/* The path as passed, and the file it named when that says more. */
		if (path && path[0])
			line_add(l, "%s", path);
		if (file && (!path || strcmp(path, file)))
			line_add(l, path && path[0] ? " -> %s" : "%s", file);
		else if (!path || !path[0])
			line_add(l, "(path not captured)"); /* a bad pointer: the open failed too */
		if (jstr(j, "error"))
			line_add(l, " %s", jstr(j, "error"));
	} else if (!strncmp(type, "file.", 5) && strcmp(type, "file.open")) {
		/* A change: the file it names, where it can be told, and the new name or target. */
		const char *path = jstr(j, "resolved_path") ? jstr(j, "resolved_path") :
							      jstr(j, "path");
		const char *to = jstr(j, "new_resolved_path") ? jstr(j, "new_resolved_path") :
				 jstr(j, "new_path")	      ? jstr(j, "new_path") :
								jstr(j, "target");

		line_tag(l, C_YELLOW, type + 5);
		if (jint(j, "mode") || !strcmp(type, "file.chmod"))
			line_add(l, "%04llo ", (unsigned long long)jint(j, "mode"));
		if (!strcmp(type, "file.chown")) {
			/* owner:group as chown(1) takes them; '-' for the one left as it was */
			if (json_object_get(j, "owner"))
				line_add(l, "%" JSON_INTEGER_FORMAT, jint(j, "owner"));
			else
				line_add(l, "-");
			if (json_object_get(j, "group"))
				line_add(l, ":%" JSON_INTEGER_FORMAT " ", jint(j, "group"));
			else
				line_add(l, ":- ");
		}
		if (!strcmp(type, "file.truncate"))
			line_add(l, "%" JSON_INTEGER_FORMAT " bytes ", jint(j, "length"));
		line_add(l, "%s", path ? path : "?");
		if (to)
			line_add(l, " -> %s", to);
		if (jstr(j, "error"))
			line_add(l, " %s", jstr(j, "error"));
	} else if (!strcmp(type, "io_uring.submit")) {
		line_tag(l, C_YELLOW, "io_uring");
		line_add(l, "%s", jstr(j, "op") ? jstr(j, "op") : "?");
		if (jstr(j, "path"))
			line_add(l, " %s", jstr(j, "path"));
		/* A rename's or link's new name; the file a symlink points to. */
		if (jstr(j, "new_path"))
			line_add(l, " -> %s", jstr(j, "new_path"));
		else if (jstr(j, "target"))
			line_add(l, " -> %s", jstr(j, "target"));
		if (jstr(j, "daddr"))
			line_add(l, " %s:%" JSON_INTEGER_FORMAT, jstr(j, "daddr"),
				 jint(j, "dport"));
	} else if (!strcmp(type, "dns.answer")) {
		line_tag(l, C_DIM, "dns");
		line_add(l, "%s", jstr(j, "qname") ? jstr(j, "qname") : "");
	} else if (!strcmp(type, "session.start")) {
		line_tag(l, C_BOLD, "session start");
		line_add(l, "%s (pid %" JSON_INTEGER_FORMAT ")%s%s", jstr(j, "comm"),
			 jint(j, "pid"), jstr(j, "agent") ? " agent " : "",
			 jstr(j, "agent") ? jstr(j, "agent") : "");
	} else if (!strcmp(type, "session.end")) {
		line_tag(l, C_BOLD, "session end");
		line_add(l, "%" JSON_INTEGER_FORMAT " processes, %" JSON_INTEGER_FORMAT " events",
			 jint(j, "processes"), jint(j, "events"));
	} else if (!strcmp(type, "capture.blind") || !strcmp(type, "decode.error")) {
		line_tag(l, C_RED, type);
		line_add(l, "%s %s", jstr(j, "host") ? jstr(j, "host") : "",
			 jstr(j, "reason") ? jstr(j, "reason") :
			 jstr(j, "what")   ? jstr(j, "what") :
					     "");
	} else if (!strcmp(type, "agent.stats")) {
		line_tag(l, C_DIM, "stats");
		line_add(l, "%" JSON_INTEGER_FORMAT " events", jint(j, "events"));
	} else {
		line_tag(l, C_DIM, type);
		line_add(l, "%s", jstr(j, "comm") ? jstr(j, "comm") : "");
	}
}

static void time_str(uint64_t ts, char *buf, size_t size, bool date)
{
	time_t t = (time_t)(ts / 1000000000ull);
	struct tm tm;
	size_t n;

	localtime_r(&t, &tm);
	n = strftime(buf, size, date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
	if (!date && n)
		snprintf(buf + n, size - n, ".%03u", (unsigned int)(ts / 1000000 % 1000));
}

static void duration_str(uint64_t ns, char *buf, size_t size)
{
	uint64_t s = ns / 1000000000ull;

	if (s < 60)
		snprintf(buf, size, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s / 60 % 60);
	else
		snprintf(buf, size, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s / 3600 % 24);
}

/* ---- Option parsing shared by the commands ---- */

enum {
	OPT_DB = 256,
	OPT_ACTIVE,
	OPT_SINCE,
	OPT_JSON,
	OPT_SESSION,
	OPT_TYPE,
	OPT_PID,
	OPT_FOLLOW,
	OPT_ALL,
	OPT_FORMAT,
};

struct cmd_opts {
	const char *db;
	bool active, json, follow, all;
	uint64_t since_ns; /* 0: all */
	uint64_t session;
	const char *type;
	int64_t pid; /* -1: any */
	const char *format;
	const char *arg; /* the positional argument, when the command takes one */
};

/*
 * Parses argv (argv[0] is the command) into o. Returns -1 to go on, else
 * the exit status (help printed: 0; usage error: 2).
 */
static int parse_cmd(int argc, char **argv, const char *usage, bool want_arg, struct cmd_opts *o)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, OPT_DB },
		{ "active", no_argument, NULL, OPT_ACTIVE },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "session", required_argument, NULL, OPT_SESSION },
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "follow", no_argument, NULL, OPT_FOLLOW },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *cmd = argv[0];
	uint64_t v;
	int c;

	*o = (struct cmd_opts){ .db = STORE_DEFAULT_PATH, .pid = -1, .format = "jsonl" };
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		/* Each command takes only the options its usage names. */
		if (c != '?' && c != ':' && c != 'h' && c != OPT_DB) {
			char flag[32] = "";

			for (const struct option *lo = longopts; lo->name; lo++)
				if (lo->val == c)
					snprintf(flag, sizeof(flag), "--%s ", lo->name);
			if (flag[0] && !strstr(usage, flag))
				return usage_error("%s: unknown option '%.*s'", cmd,
						   (int)strlen(flag) - 1, flag);
		}
		switch (c) {
		case OPT_DB:
			o->db = optarg;
			break;
		case OPT_ACTIVE:
			o->active = true;
			break;
		case OPT_SINCE:
			if (parse_duration(optarg, &o->since_ns) < 0)
				return usage_error(
					"--since: '%s' is not a duration (30s, 15m, 2h, 7d)",
					optarg);
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_SESSION:
			if (parse_id(optarg, &o->session) < 0)
				return usage_error("--session: '%s' is not a session id", optarg);
			break;
		case OPT_TYPE:
			o->type = optarg;
			for (int t = 0; t < EVENT_TYPE_MAX; t++)
				if (t != EVENT_LIB_MAP && !strcmp(optarg, event_type_name(t)))
					o->type = event_type_name(t);
			if (o->type == optarg)
				return usage_error(
					"--type: '%s' is not an event type (process.exec, "
					"net.connect, llm.request, ...)",
					optarg);
			break;
		case OPT_PID:
			if (parse_id(optarg, &v) < 0 || v > INT32_MAX)
				return usage_error("--pid: '%s' is not a pid", optarg);
			o->pid = (int64_t)v;
			break;
		case OPT_FOLLOW:
			o->follow = true;
			break;
		case OPT_ALL:
			o->all = true;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "jsonl"))
				return usage_error("--format: '%s' is not a format (jsonl)",
						   optarg);
			o->format = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			fputs(USAGE_COMMON, stdout);
			fputs(!strcmp(cmd, "status") ? EXIT_STATUS :
			      !strcmp(cmd, "verify") ? EXIT_VERIFY :
						       EXIT_DEFAULT,
			      stdout);
			return EXIT_OK;
		default:
			return usage_error("%s: unknown or incomplete option '%s'", cmd,
					   argv[optind - 1]);
		}
	}
	if (want_arg) {
		if (optind >= argc)
			return usage_error("%s: missing argument", cmd);
		o->arg = argv[optind++];
	}
	if (optind < argc)
		return usage_error("%s: unexpected argument '%s'", cmd, argv[optind]);
	return -1;
}

/* ---- status ---- */

struct stats_sample {
	uint64_t id, ts, events, uptime;
	uint64_t drops, store_errors;
	bool ok;
};

static void stats_sample(sqlite3_stmt *s, struct stats_sample *out)
{
	json_t *j = json_loadb((const char *)sqlite3_column_text(s, 1),
			       (size_t)sqlite3_column_bytes(s, 1), 0, NULL);
	const char *k;
	json_t *v;

	*out = (struct stats_sample){ .id = (uint64_t)sqlite3_column_int64(s, 0) };
	if (!j)
		return;
	out->ok = true;
	out->ts = (uint64_t)jint(j, "ts");
	out->events = (uint64_t)jint(j, "events");
	out->uptime = (uint64_t)jint(j, "uptime_ns");
	json_object_foreach(json_object_get(j, "drops"), k, v)
		out->drops += (uint64_t)json_integer_value(v);
	out->store_errors = (uint64_t)jint(json_object_get(j, "counters"), "store_errors");
	json_decref(j);
}

static bool pid_alive(int64_t pid)
{
	return pid > 0 && pid <= INT32_MAX && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static int cmd_status(struct store *st, const struct cmd_opts *o)
{
	struct stats_sample a = {}, b = {};
	sqlite3_stmt *s;
	uint64_t since = 0, now = now_ns();
	int64_t pid = 0, active = 0, count = 0, lo = 0, hi = 0;
	bool up;
	char buf[64];

	(void)o;
	if (store_get_owner(st, &pid, &since) < 0)
		return sql_fail(st);
	up = pid_alive(pid);
	s = prepare(st, "SELECT e.id, e.json FROM spans p CROSS JOIN events e"
			" ON e.id BETWEEN p.first_id AND p.last_id"
			" WHERE p.types & warden_type_bit('agent.stats') AND e.type = 'agent.stats'"
			" ORDER BY p.first_id DESC, e.id DESC LIMIT 2");
	if (!s)
		return sql_fail(st);
	if (sqlite3_step(s) == SQLITE_ROW)
		stats_sample(s, &a);
	if (sqlite3_step(s) == SQLITE_ROW)
		stats_sample(s, &b);
	sqlite3_finalize(s);
	s = prepare(st, "SELECT (SELECT count(*) FROM sessions WHERE end_ts IS NULL),"
			" (SELECT coalesce(sum(events), 0) FROM spans),"
			" (SELECT min(id) FROM events), (SELECT max(id) FROM events)");
	if (!s)
		return sql_fail(st);
	if (sqlite3_step(s) == SQLITE_ROW) {
		active = sqlite3_column_int64(s, 0);
		count = sqlite3_column_int64(s, 1);
		lo = sqlite3_column_int64(s, 2);
		hi = sqlite3_column_int64(s, 3);
	}
	sqlite3_finalize(s);

	if (up) {
		time_str(since, buf, sizeof(buf), true);
		printf("wardend:   %srunning%s (pid %" PRId64 ", since %s)\n", color ? C_GREEN : "",
		       color ? C_RESET : "", pid, buf);
	} else {
		printf("wardend:   %snot running%s\n", color ? C_RED : "", color ? C_RESET : "");
	}
	if (a.ok) {
		duration_str(now > a.ts ? now - a.ts : 0, buf, sizeof(buf));
		printf("stats:     last agent.stats %s ago\n", buf);
		/* A rate needs two samples from one run of the daemon. */
		if (b.ok && a.ts > b.ts && a.uptime > b.uptime && a.events >= b.events)
			printf("events/s:  %.1f\n",
			       (double)(a.events - b.events) * 1e9 / (double)(a.ts - b.ts));
		else
			printf("events/s:  unknown (needs two agent.stats of one run)\n");
		printf("drops:     %" PRIu64 "\n", a.drops);
		printf("store errors: %" PRIu64 "\n", a.store_errors);
	} else {
		printf("stats:     no agent.stats stored yet\n");
	}
	printf("sessions:  %" PRId64 " active\n", active);
	printf("stored:    %" PRId64 " events (ids %" PRId64 "..%" PRId64 ")\n", count, lo, hi);
	return up ? EXIT_OK : EXIT_ERR;
}

/* ---- sessions ---- */

static int cmd_sessions(struct store *st, const struct cmd_opts *o)
{
	sqlite3_stmt *s;
	uint64_t now = now_ns();
	char t[32], d[32], head[128];
	int rc, n = 0;

	s = prepare(st,
		    "SELECT id, root_pid, root_exe, root_comm, agent, container_id, pod_uid,"
		    " start_ts, end_ts, processes,"
		    " (SELECT coalesce(sum(events), 0) FROM session_spans p WHERE p.session = s.id)"
		    " FROM sessions s WHERE (?1 = 0 OR end_ts IS NULL) AND start_ts >= ?2"
		    " ORDER BY id");
	if (!s)
		return sql_fail(st);
	sqlite3_bind_int(s, 1, o->active);
	sqlite3_bind_int64(s, 2,
			   o->since_ns && now > o->since_ns ? (int64_t)(now - o->since_ns) : 0);
	if (!o->json) {
		snprintf(head, sizeof(head), "%-8s %-19s %-8s %7s %-12s %7s %s", "SESSION",
			 "STARTED", "DURATION", "PID", "AGENT", "EVENTS", "COMMAND");
		printf("%s%s%s\n", color ? C_BOLD : "", head, color ? C_RESET : "");
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		uint64_t start = (uint64_t)sqlite3_column_int64(s, 7);
		bool ended = sqlite3_column_type(s, 8) != SQLITE_NULL;
		uint64_t end = ended ? (uint64_t)sqlite3_column_int64(s, 8) : now;
		const char *exe = (const char *)sqlite3_column_text(s, 2);
		const char *comm = (const char *)sqlite3_column_text(s, 3);
		const char *agent = (const char *)sqlite3_column_text(s, 4);

		n++;
		if (o->json) {
			json_t *j = json_pack("{sI sI ss* ss* ss* ss* ss* sI so sI sb}", "id",
					      sqlite3_column_int64(s, 0), "root_pid",
					      sqlite3_column_int64(s, 1), "root_exe", exe,
					      "root_comm", comm, "agent", agent, "container_id",
					      (const char *)sqlite3_column_text(s, 5), "pod_uid",
					      (const char *)sqlite3_column_text(s, 6), "start_ts",
					      (json_int_t)start, "end_ts",
					      ended ? json_integer((json_int_t)end) : json_null(),
					      "events", sqlite3_column_int64(s, 10), "active",
					      !ended);

			if (!j)
				return fail("out of memory");
			json_dumpf(j, stdout, JSON_COMPACT);
			putchar('\n');
			json_decref(j);
			continue;
		}
		struct line l;

		time_str(start, t, sizeof(t), true);
		duration_str(end > start ? end - start : 0, d, sizeof(d));
		line_init(&l, WIDTH);
		line_add(&l, "%-8" PRId64 " %-19s %-8s %7" PRId64 " %-12.12s %7" PRId64 " ",
			 sqlite3_column_int64(s, 0), t, ended ? d : "active",
			 sqlite3_column_int64(s, 1), agent ? agent : "-",
			 sqlite3_column_int64(s, 10));
		line_add(&l, "%s", exe ? exe : comm ? comm : "?");
		puts(l.buf);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sql_fail(st);
	if (!o->json && !n)
		printf("(no sessions%s)\n", o->active ? " active" : "");
	return EXIT_OK;
}

/* ---- timeline ---- */

struct tnode {
	uint64_t id, ts, cause;
	json_t *j;
	char type[24];
	int first_child, last_child, next;
	bool is_alert;
};

static int find_node(const struct tnode *n, int count, uint64_t id)
{
	int lo = 0, hi = count - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;

		if (n[mid].id == id)
			return mid;
		if (n[mid].id < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

static void print_sub(int depth, const char *c, const char *tag, json_t *o, const char *name,
		      const char *text_key)
{
	struct line l;

	line_init(&l, WIDTH);
	line_add(&l, "%12s  %*s", "", (depth > INDENT_MAX ? INDENT_MAX : depth) * 2, "");
	line_tag(&l, c, tag);
	if (name)
		line_add(&l, "%s: ", name);
	line_jtext(&l, o, text_key);
	puts(l.buf);
}

static void print_node(const struct tnode *n, int depth)
{
	struct line l;
	char t[32];
	json_t *v;
	size_t i;

	time_str(n->ts, t, sizeof(t), false);
	line_init(&l, WIDTH);
	line_color(&l, C_DIM);
	line_add(&l, "%-12s", t);
	line_color(&l, C_RESET);
	line_add(&l, "  %*s", (depth > INDENT_MAX ? INDENT_MAX : depth) * 2, "");
	if (n->is_alert) {
		line_tag(&l, C_BOLD C_RED, "ALERT");
		line_add(&l, "%s (%s)", jstr(n->j, "rule") ? jstr(n->j, "rule") : "?",
			 jstr(n->j, "severity") ? jstr(n->j, "severity") : "?");
		puts(l.buf);
		return;
	}
	summarize(&l, n->type, n->j);
	puts(l.buf);
	/* What the event carries: results going back to the model, calls it made. */
	if (!strcmp(n->type, "llm.request"))
		json_array_foreach(json_object_get(n->j, "tool_results"), i, v)
			print_sub(depth + 1, C_MAGENTA, "tool result", v,
				  jstr(v, "name") ? jstr(v, "name") : jstr(v, "tool_call_id"),
				  "content");
	if (!strcmp(n->type, "llm.response")) {
		json_array_foreach(json_object_get(n->j, "tool_calls"), i, v)
		{
			json_t *args = json_object_get(v, "arguments");
			char *text = json_is_string(args) ? NULL : json_dumps(args, JSON_COMPACT);
			json_t *tmp = json_pack("{ss}", "arguments",
						text			? text :
						json_string_value(args) ? json_string_value(args) :
									  "");

			print_sub(depth + 1, C_MAGENTA, "tool call", tmp,
				  jstr(v, "name") ? jstr(v, "name") : "?", "arguments");
			json_decref(tmp);
			free(text);
		}
	}
}

static int load_timeline(struct store *st, uint64_t session, struct tnode **out, int *count,
			 uint64_t *more)
{
	sqlite3_stmt *s;
	struct tnode *n = NULL;
	int rc, cap = 0, c = 0;

	*more = 0;
	s = prepare(st, "SELECT e.id, e.ts, e.type, e.cause, e.json FROM session_spans p"
			" CROSS JOIN events e ON e.id BETWEEN p.first_id AND p.last_id"
			" WHERE p.session = ?1 AND e.session = ?1 ORDER BY p.first_id, e.id");
	if (!s)
		return sql_fail(st);
	sqlite3_bind_int64(s, 1, (int64_t)session);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct tnode *x;

		if (c >= TIMELINE_MAX) {
			(*more)++;
			continue;
		}
		if (c == cap) {
			int ncap = cap ? cap * 2 : 256;
			struct tnode *nn = realloc(n, sizeof(*n) * (size_t)ncap);

			if (!nn)
				break;
			n = nn;
			cap = ncap;
		}
		x = &n[c];
		*x = (struct tnode){ .id = (uint64_t)sqlite3_column_int64(s, 0),
				     .ts = (uint64_t)sqlite3_column_int64(s, 1),
				     .cause = (uint64_t)sqlite3_column_int64(s, 3),
				     .first_child = -1,
				     .last_child = -1,
				     .next = -1 };
		snprintf(x->type, sizeof(x->type), "%s", sqlite3_column_text(s, 2));
		x->j = json_loadb((const char *)sqlite3_column_text(s, 4),
				  (size_t)sqlite3_column_bytes(s, 4), 0, NULL);
		if (!x->j)
			x->j = json_object();
		c++;
	}
	sqlite3_finalize(s);
	*out = n;
	*count = c;
	if (rc != SQLITE_DONE)
		return sql_fail(st);
	return 0;
}

static void free_nodes(struct tnode *n, int count)
{
	for (int i = 0; i < count; i++)
		json_decref(n[i].j);
	free(n);
}

static int session_exists(struct store *st, uint64_t id, bool *exists)
{
	sqlite3_stmt *s = prepare(st,
				  "SELECT EXISTS (SELECT 1 FROM sessions WHERE id = ?1)"
				  " OR EXISTS (SELECT 1 FROM session_spans WHERE session = ?1)");
	int rc;

	if (!s)
		return sql_fail(st);
	sqlite3_bind_int64(s, 1, (int64_t)id);
	rc = sqlite3_step(s);
	*exists = rc == SQLITE_ROW && sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : sql_fail(st);
}

/* Alerts of the session hang under the event that raised them (none until the rules land). */
static void attach_alerts(struct store *st, uint64_t session, struct tnode **n, int *count)
{
	sqlite3_stmt *s = prepare(st, "SELECT id, ts, event_id, json FROM alerts WHERE session = ?"
				      " ORDER BY id");

	if (!s)
		return;
	sqlite3_bind_int64(s, 1, (int64_t)session);
	while (sqlite3_step(s) == SQLITE_ROW && *count < TIMELINE_MAX) {
		struct tnode *nn = realloc(*n, sizeof(**n) * (size_t)(*count + 1));

		if (!nn)
			break;
		*n = nn;
		nn[*count] = (struct tnode){ .id = UINT64_MAX, /* after every event when sorted */
					     .ts = (uint64_t)sqlite3_column_int64(s, 1),
					     .cause = (uint64_t)sqlite3_column_int64(s, 2),
					     .first_child = -1,
					     .last_child = -1,
					     .next = -1,
					     .is_alert = true };
		nn[*count].j = json_loadb((const char *)sqlite3_column_text(s, 3),
					  (size_t)sqlite3_column_bytes(s, 3), 0, NULL);
		if (!nn[*count].j)
			nn[*count].j = json_object();
		(*count)++;
	}
	sqlite3_finalize(s);
}

/*
 * The C runtime's own opens (the loader's cache, shared libraries, locale
 * data): every exec makes dozens and none says what a tool did, so the text
 * timeline hides them unless asked.
 */
static bool loader_open(const struct tnode *t)
{
	const char *type = json_string_value(json_object_get(t->j, "type"));
	const char *path = json_string_value(json_object_get(t->j, "path"));

	if (!type || strcmp(type, "file.open") || !path)
		return false;
	if (!strcmp(path, "/etc/ld.so.cache") || !strncmp(path, "/usr/lib/locale/", 16) ||
	    !strncmp(path, "/usr/share/locale/", 18) || strstr(path, "/gconv/"))
		return true;
	return (!strncmp(path, "/lib", 4) || !strncmp(path, "/usr/lib", 8) ||
		!strncmp(path, "/usr/local/lib", 14)) &&
	       strstr(path, ".so");
}

static int cmd_timeline(struct store *st, const struct cmd_opts *o)
{
	unsigned long hidden = 0;
	struct tnode *n = NULL;
	int count = 0, events, r, roots = -1, last_root = -1, *stack = NULL, *depth = NULL, sp = 0;
	uint64_t id, more;
	bool exists;

	if (parse_id(o->arg, &id) < 0)
		return usage_error("'%s' is not a session id", o->arg);
	r = session_exists(st, id, &exists);
	if (r)
		return r;
	if (!exists)
		return fail("no such session: %" PRIu64, id);
	r = load_timeline(st, id, &n, &count, &more);
	if (r)
		goto out;
	events = count;
	attach_alerts(st, id, &n, &count);
	/* Link each event under its cause (ids are sorted: binary search), else at the top. */
	for (int i = 0; i < count; i++) {
		int p = n[i].cause ? find_node(n, events, n[i].cause) : -1;

		if (p == i)
			p = -1;
		if (p >= 0) {
			if (n[p].last_child >= 0)
				n[n[p].last_child].next = i;
			else
				n[p].first_child = i;
			n[p].last_child = i;
		} else {
			if (last_root >= 0)
				n[last_root].next = i;
			else
				roots = i;
			last_root = i;
		}
	}
	/* Depth first, iteratively: cause chains can be as long as the session. */
	stack = malloc(sizeof(int) * (size_t)(count + 1));
	depth = malloc(sizeof(int) * (size_t)(count + 1));
	if (count && (!stack || !depth)) {
		r = fail("out of memory");
		goto out;
	}
	if (roots >= 0) {
		stack[sp] = roots;
		depth[sp++] = 0;
	}
	while (sp > 0) {
		int i = stack[--sp], d = depth[sp];

		if (n[i].next >= 0) {
			stack[sp] = n[i].next;
			depth[sp++] = d;
		}
		if (n[i].first_child >= 0) {
			stack[sp] = n[i].first_child;
			depth[sp++] = d + 1;
		}
		if (o->json) {
			json_object_set_new(n[i].j, "depth", json_integer(d));
			json_dumpf(n[i].j, stdout, JSON_COMPACT);
			putchar('\n');
		} else if (!o->all && loader_open(&n[i])) {
			hidden++;
		} else {
			print_node(&n[i], d);
		}
	}
	if (hidden)
		printf("(%lu opens of libraries and locale data hidden; --all shows them)\n", hidden);
	if (more)
		fprintf(stderr,
			"warden: timeline cut at %d events (%" PRIu64 " more); see 'warden "
			"export %" PRIu64 "'\n",
			TIMELINE_MAX, more, id);
	r = EXIT_OK;
out:
	free(stack);
	free(depth);
	free_nodes(n, count);
	return r;
}

/* ---- events, show, export ---- */

static void print_event_line(uint64_t id, uint64_t ts, const char *type, int64_t pid,
			     const char *json, int len)
{
	json_t *j = json_loadb(json, (size_t)len, 0, NULL);
	struct line l;
	char t[32];

	time_str(ts, t, sizeof(t), false);
	line_init(&l, WIDTH);
	line_add(&l, "%-7" PRIu64 " %s %6" PRId64 " ", id, t, pid);
	summarize(&l, type, j ? j : json_object());
	puts(l.buf);
	json_decref(j);
}

static volatile sig_atomic_t stop_follow;

static void on_sigint(int sig)
{
	(void)sig;
	stop_follow = 1;
}

static int cmd_events(struct store *st, const struct cmd_opts *o)
{
	char sql[1024];
	sqlite3_stmt *s;
	uint64_t last = 0, now = now_ns();
	int rc, n;

	/*
	 * Filters walk the spans that may hold a match (from the one holding
	 * the last id printed) and read their rows by id; see store.h.
	 */
	if (o->session)
		n = snprintf(
			sql, sizeof(sql),
			"SELECT e.id, e.ts, e.type, e.pid, e.json FROM session_spans p"
			" CROSS JOIN events e ON e.id BETWEEN p.first_id AND p.last_id"
			" WHERE p.session = ?2 AND p.first_id >= coalesce((SELECT max(first_id)"
			" FROM session_spans WHERE session = ?2 AND first_id <= ?1), 0)"
			" AND e.id > ?1 AND e.session = ?2");
	else if (o->type || o->pid >= 0 || o->since_ns)
		n = snprintf(sql, sizeof(sql),
			     "SELECT e.id, e.ts, e.type, e.pid, e.json FROM spans p"
			     " CROSS JOIN events e ON e.id BETWEEN p.first_id AND p.last_id"
			     " WHERE p.first_id >= coalesce((SELECT max(first_id) FROM spans"
			     " WHERE first_id <= ?1), 0) AND e.id > ?1");
	else
		n = snprintf(
			sql, sizeof(sql),
			"SELECT e.id, e.ts, e.type, e.pid, e.json FROM events e WHERE e.id > ?1");
	if (o->type)
		n += snprintf(sql + n, sizeof(sql) - (size_t)n, " AND e.type = ?3%s",
			      o->session ? "" : " AND p.types & warden_type_bit(?3)");
	if (o->pid >= 0)
		n += snprintf(sql + n, sizeof(sql) - (size_t)n, " AND e.pid = ?4%s",
			      o->session ? "" : " AND warden_pid_maybe(p.pids, ?4)");
	if (o->since_ns)
		n += snprintf(sql + n, sizeof(sql) - (size_t)n, " AND e.ts >= ?5%s",
			      o->session ? "" : " AND p.max_ts >= ?5");
	snprintf(sql + n, sizeof(sql) - (size_t)n, " ORDER BY %se.id LIMIT %d",
		 o->session || o->type || o->pid >= 0 || o->since_ns ? "p.first_id, " : "",
		 FOLLOW_BATCH);
	s = prepare(st, sql);
	if (!s)
		return sql_fail(st);
	if (o->follow) {
		struct sigaction sa = { .sa_handler = on_sigint };

		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	for (;;) {
		int rows = 0;

		sqlite3_bind_int64(s, 1, (int64_t)last);
		if (o->session)
			sqlite3_bind_int64(s, 2, (int64_t)o->session);
		if (o->type)
			sqlite3_bind_text(s, 3, o->type, -1, SQLITE_STATIC);
		if (o->pid >= 0)
			sqlite3_bind_int64(s, 4, o->pid);
		if (o->since_ns)
			sqlite3_bind_int64(s, 5,
					   now > o->since_ns ? (int64_t)(now - o->since_ns) : 0);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			const char *json = (const char *)sqlite3_column_text(s, 4);
			int len = sqlite3_column_bytes(s, 4);

			last = (uint64_t)sqlite3_column_int64(s, 0);
			rows++;
			if (o->json) {
				fwrite(json, 1, (size_t)len, stdout);
				putchar('\n');
			} else {
				print_event_line(last, (uint64_t)sqlite3_column_int64(s, 1),
						 (const char *)sqlite3_column_text(s, 2),
						 sqlite3_column_int64(s, 3), json, len);
			}
		}
		sqlite3_reset(s);
		if (rc != SQLITE_DONE && rc != SQLITE_BUSY) {
			sqlite3_finalize(s);
			return sql_fail(st);
		}
		if (fflush(stdout) == EOF || ferror(stdout))
			break; /* the reader went away */
		if (rows == FOLLOW_BATCH)
			continue;
		if (!o->follow || stop_follow)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = FOLLOW_INTERVAL_NS }, NULL);
		if (stop_follow)
			break;
	}
	sqlite3_finalize(s);
	return EXIT_OK;
}

static int cmd_show(struct store *st, const struct cmd_opts *o)
{
	sqlite3_stmt *s;
	uint64_t id;
	json_t *j;
	int rc;

	if (parse_id(o->arg, &id) < 0)
		return usage_error("'%s' is not an event id", o->arg);
	s = prepare(st, "SELECT json, redacted FROM events WHERE id = ?");
	if (!s)
		return sql_fail(st);
	sqlite3_bind_int64(s, 1, (int64_t)id);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		return rc == SQLITE_DONE ? fail("no such event: %" PRIu64, id) : sql_fail(st);
	}
	j = json_loadb((const char *)sqlite3_column_text(s, 0), (size_t)sqlite3_column_bytes(s, 0),
		       JSON_ALLOW_NUL, NULL);
	if (j) {
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		/* Not JSON (a redaction, or damage): as stored. */
		fwrite(sqlite3_column_text(s, 0), 1, (size_t)sqlite3_column_bytes(s, 0), stdout);
		putchar('\n');
	}
	if (sqlite3_column_int(s, 1))
		fprintf(stderr, "warden: event %" PRIu64 " is redacted\n", id);
	json_decref(j);
	sqlite3_finalize(s);
	return EXIT_OK;
}

static int cmd_export(struct store *st, const struct cmd_opts *o)
{
	sqlite3_stmt *s;
	uint64_t id;
	bool exists;
	int rc;

	if (parse_id(o->arg, &id) < 0)
		return usage_error("'%s' is not a session id", o->arg);
	rc = session_exists(st, id, &exists);
	if (rc)
		return rc;
	if (!exists)
		return fail("no such session: %" PRIu64, id);
	s = prepare(st, "SELECT e.json FROM session_spans p CROSS JOIN events e"
			" ON e.id BETWEEN p.first_id AND p.last_id"
			" WHERE p.session = ?1 AND e.session = ?1 ORDER BY p.first_id, e.id");
	if (!s)
		return sql_fail(st);
	sqlite3_bind_int64(s, 1, (int64_t)id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		fwrite(sqlite3_column_text(s, 0), 1, (size_t)sqlite3_column_bytes(s, 0), stdout);
		putchar('\n');
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sql_fail(st);
	return fflush(stdout) == EOF ? fail("writing: %s", strerror(errno)) : EXIT_OK;
}

static int cmd_verify(struct store *st, const struct cmd_opts *o)
{
	struct store_verify_result res;
	int r = store_verify(st, &res);

	(void)o;
	if (r < 0)
		return fail("verify: %s (%s)", strerror(-r), store_errmsg(st));
	switch (res.verdict) {
	case STORE_VERIFY_OK:
		printf("ok: %" PRIu64 " events verified", res.events);
		if (res.redacted)
			printf(" (%" PRIu64 " redacted)", res.redacted);
		if (res.anchor_id)
			printf(", from the retention anchor after event %" PRIu64, res.anchor_id);
		putchar('\n');
		return EXIT_OK;
	case STORE_VERIFY_ALTERED:
		fprintf(stderr, "verify: event ID %" PRIu64 ": hash mismatch (row altered)\n",
			res.bad_id);
		break;
	case STORE_VERIFY_DELETED:
		fprintf(stderr, "verify: event ID %" PRIu64 ": missing (row deleted)\n",
			res.bad_id);
		break;
	case STORE_VERIFY_INSERTED:
		fprintf(stderr, "verify: event ID %" PRIu64 ": not in the chain (row inserted)\n",
			res.bad_id);
		break;
	}
	return EXIT_ERR;
}

static const struct command {
	const char *name;
	const char *usage;
	bool arg;
	int (*fn)(struct store *st, const struct cmd_opts *o);
} commands[] = {
	{ "status", USAGE_STATUS, false, cmd_status },
	{ "sessions", USAGE_SESSIONS, false, cmd_sessions },
	{ "timeline", USAGE_TIMELINE, true, cmd_timeline },
	{ "events", USAGE_EVENTS, false, cmd_events },
	{ "show", USAGE_SHOW, true, cmd_show },
	{ "export", USAGE_EXPORT, true, cmd_export },
	{ "verify", USAGE_VERIFY, false, cmd_verify },
};

int main(int argc, char **argv)
{
	struct store *st = NULL;
	struct cmd_opts o;
	int r;

	if (argc < 2) {
		fputs(USAGE_MAIN, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version") ||
	    !strcmp(argv[1], "-V")) {
		printf("warden %s\n", WARDEN_VERSION);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(USAGE_MAIN, stdout);
		return EXIT_OK;
	}
	color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *c = &commands[i];

		if (strcmp(argv[1], c->name))
			continue;
		r = parse_cmd(argc - 1, argv + 1, c->usage, c->arg, &o);
		if (r >= 0)
			return r;
		r = open_store(o.db, &st);
		if (r)
			return r;
		r = c->fn(st, &o);
		store_close(st);
		return r;
	}
	return usage_error("unknown command '%s' (see 'warden --help')", argv[1]);
}

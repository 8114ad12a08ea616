// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for src/store/store.c: schema and migrations, batching, ids
 * across restarts, retention, the hash chain against altered, deleted and
 * inserted rows, redaction; spans (lookups without per-event indexes)
 * and merged process rows; and the warden CLI (build/warden) over a
 * synthetic session, since real sessions need the session stage.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "warden/decode/llm.h"
#include "warden/event.h"
#include "warden/store.h"
#include "../../src/store/checkpoint.h"

#define SEC 1000000000ull
#define DAY (86400 * SEC)

static char dir[] = "/tmp/warden-store-XXXXXX";
static char path[PATH_MAX];
static int ndb;

static const char *new_db(void)
{
	snprintf(path, sizeof(path), "%s/t%d.db", dir, ++ndb);
	return path;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * SEC + ts.tv_nsec;
}

static struct event mk(uint64_t id, enum event_type t, uint64_t ts, uint32_t pid)
{
	struct event ev = { .id = id, .type = t, .ts = ts, .pid = pid, .ppid = 1 };

	snprintf(ev.comm, sizeof(ev.comm), "proc%u", pid);
	ev.pid_start_ns = 1000 + pid;
	ev.exe = "/usr/bin/true";
	if (t == EVENT_PROCESS_EXEC) {
		ev.exec.filename = "/usr/bin/true";
		ev.exec.args = "true\0--flag\0";
		ev.exec.args_len = 12;
	}
	return ev;
}

static struct store *open_rw(const char *p)
{
	struct store *st = NULL;

	assert_int_equal(store_open(p, 0, &st, NULL), 0);
	return st;
}

/* ids 1..n, with every tenth id skipped: numbering gaps are legitimate. */
static uint64_t fill(struct store *st, uint64_t first, int n, uint64_t ts0)
{
	uint64_t id = first;

	for (int i = 0; i < n; i++, id++) {
		struct event ev;

		if (id % 10 == 0)
			id++;
		ev = mk(id, i % 3 ? EVENT_NET_CONNECT : EVENT_PROCESS_EXEC, ts0 + (uint64_t)i * SEC,
			100 + (uint32_t)(i % 7));
		assert_int_equal(store_add(st, &ev), 0);
	}
	assert_int_equal(store_commit(st), 0);
	return id - 1;
}

static struct store_verify_result verify(const char *p)
{
	struct store_verify_result res;
	struct store *st = NULL;

	assert_int_equal(store_open(p, STORE_RDONLY, &st, NULL), 0);
	assert_int_equal(store_verify(st, &res), 0);
	store_close(st);
	return res;
}

static void sql(const char *p, const char *q)
{
	sqlite3 *db;
	char *err = NULL;

	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	if (sqlite3_exec(db, q, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", q, err);
	sqlite3_close(db);
}

static int64_t sql_int(const char *p, const char *q)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void test_migrate_empty(void **state)
{
	const char *p = new_db();
	struct store *st;
	FILE *f = fopen(p, "w"); /* an empty file is an empty database */

	(void)state;
	assert_non_null(f);
	fclose(f);
	st = open_rw(p);
	assert_int_equal(store_last_id(st), 0);
	store_close(st);
	assert_int_equal(sql_int(p, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(sql_int(p, "SELECT count(*) FROM sqlite_master WHERE name IN"
				    " ('events', 'sessions', 'processes', 'alerts', 'meta')"),
			 5);
	assert_int_equal(
		sql_int(p, "SELECT 'wal' = (SELECT journal_mode FROM pragma_journal_mode)"), 1);
	assert_int_equal(sql_int(p, "PRAGMA auto_vacuum"), 2); /* incremental */
	/* Reopening migrates nothing and keeps the data. */
	st = open_rw(p);
	store_close(st);
	assert_int_equal(verify(p).verdict, STORE_VERIFY_OK);
	/* A newer schema is refused, not clobbered. */
	sql(p, "PRAGMA user_version = 99");
	assert_int_equal(store_open(p, 0, &st, NULL), -EPROTO);
	assert_int_equal(store_open(p, STORE_RDONLY, &st, NULL), -EPROTO);
	assert_null(st);
}

static void test_readonly_missing(void **state)
{
	struct store *st = (void *)1;
	const char *p = new_db();

	(void)state;
	assert_int_equal(store_open(p, STORE_RDONLY, &st, NULL), -ENOENT);
	assert_null(st);
	assert_int_equal(access(p, F_OK), -1); /* and not created */
	assert_int_equal(store_open("/nonexistent-dir/x.db", 0, &st, NULL), -ENOENT);
	store_close(NULL);
}

static void test_insert_verify(void **state)
{
	const char *p = new_db();
	struct store *st = open_rw(p);
	struct store_verify_result res;
	uint64_t last = fill(st, 1, 200, now_ns());

	(void)state;
	assert_int_equal(store_last_id(st), last);
	store_close(st);
	res = verify(p);
	assert_int_equal(res.verdict, STORE_VERIFY_OK);
	assert_int_equal(res.events, 200);
	assert_int_equal(sql_int(p, "SELECT count(*) FROM events"), 200);
	/* exec rows fill the process table; argv is space-joined. */
	assert_int_equal(sql_int(p, "SELECT count(*) FROM processes WHERE argv = 'true --flag'"),
			 7);
	/* A reader cannot write. */
	assert_int_equal(store_open(p, STORE_RDONLY, &st, NULL), 0);
	{
		struct event ev = mk(last + 1, EVENT_PROCESS_FORK, 1, 1);

		assert_int_equal(store_add(st, &ev), -EROFS);
	}
	store_close(st);
}

static void test_batching(void **state)
{
	const char *p = new_db();
	struct store *st = open_rw(p), *rd = NULL;
	struct store_stats ss;
	uint64_t id = 0, n_auto;

	(void)state;
	assert_int_equal(store_begin(st), 0);
	for (int i = 0; i < 10; i++) {
		struct event ev = mk(++id, EVENT_PROCESS_FORK, now_ns(), 5);

		assert_int_equal(store_add(st, &ev), 0);
	}
	/* Nothing visible before the commit, all after: one transaction per batch. */
	assert_int_equal(sql_int(p, "SELECT count(*) FROM events"), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(sql_int(p, "SELECT count(*) FROM events"), 10);
	/*
	 * A transaction commits itself at STORE_TXN_BYTES of JSON or
	 * STORE_BATCH_MAX events, whichever comes first: not one event sooner.
	 */
	for (size_t bytes = 0, len = 0;;) {
		struct event ev = mk(++id, EVENT_PROCESS_FORK, now_ns(), 5);

		if (bytes + 2 * len >= STORE_TXN_BYTES && bytes + len < STORE_TXN_BYTES)
			assert_int_equal(sql_int(p, "SELECT count(*) FROM events"), 10);
		assert_int_equal(store_add(st, &ev), 0);
		assert_non_null(store_event_json(st, id, &len));
		bytes += len;
		if (bytes >= STORE_TXN_BYTES || id - 10 == STORE_BATCH_MAX)
			break;
	}
	n_auto = id - 10;
	assert_true(n_auto > 100 && n_auto <= STORE_BATCH_MAX);
	assert_int_equal(sql_int(p, "SELECT count(*) FROM events"), 10 + n_auto);
	for (int i = 0; i < 5; i++) {
		struct event ev = mk(++id, EVENT_PROCESS_FORK, now_ns(), 5);

		assert_int_equal(store_add(st, &ev), 0);
	}
	/* A reader sees committed rows while the writer is open (WAL). */
	assert_int_equal(store_open(p, STORE_RDONLY, &rd, NULL), 0);
	assert_int_equal(store_last_id(rd), 10 + n_auto);
	store_close(rd);
	/* The line stored is handed back for printing, for that event only. */
	{
		struct event ev = mk(++id, EVENT_PROCESS_EXEC, now_ns(), 5);
		char *line = NULL;
		size_t size = 0, len = 0;
		const char *json;
		FILE *f = open_memstream(&line, &size);

		assert_int_equal(store_add(st, &ev), 0);
		json = store_event_json(st, id, &len);
		assert_non_null(json);
		assert_int_equal(event_write_json(&ev, f), 0);
		fclose(f);
		assert_int_equal(len + 1, size);
		assert_memory_equal(json, line, len);
		assert_int_equal(line[len], '\n');
		assert_null(store_event_json(st, id - 1, &len));
		assert_null(store_event_json(NULL, id, &len));
		free(line);
	}
	/* Ids must increase: a stale one is refused and counted. */
	{
		struct event ev = mk(3, EVENT_PROCESS_FORK, now_ns(), 5);

		assert_int_equal(store_add(st, &ev), -EINVAL);
		assert_null(store_event_json(st, 3, &(size_t){ 0 }));
	}
	store_get_stats(st, &ss);
	assert_int_equal(ss.errors, 1);
	store_close(st);
	assert_int_equal(verify(p).events, 16 + n_auto);
}

static void test_restart_ids(void **state)
{
	const char *p = new_db();
	struct store *st = open_rw(p), *other = NULL;
	uint64_t last;

	(void)state;
	last = fill(st, 1, 50, now_ns());
	/* One writer at a time: a second would interleave chains. */
	assert_int_equal(store_open(p, 0, &other, NULL), 0); /* same pid: allowed (restart) */
	store_close(other);
	store_close(st);
	st = open_rw(p);
	assert_int_equal(store_last_id(st), last);
	last = fill(st, store_last_id(st) + 1, 50, now_ns());
	store_close(st);
	assert_int_equal(verify(p).verdict, STORE_VERIFY_OK);
	assert_int_equal(verify(p).events, 100);
	assert_int_equal(sql_int(p, "SELECT max(id) FROM events"), (int64_t)last);
	/* A live owner that is not us: refused. */
	sql(p, "UPDATE meta SET value = 1 WHERE key = 'owner_pid'"); /* init: alive */
	assert_int_equal(store_open(p, 0, &other, NULL), -EBUSY);
}

static void test_retention(void **state)
{
	const char *p = new_db();
	struct store *st = open_rw(p);
	struct store_verify_result res;
	uint64_t now = now_ns(), deleted = 0;

	(void)state;
	fill(st, 1, 100, now - 40 * DAY); /* old */
	fill(st, 200, 100, now - 1 * DAY); /* recent */
	/* Bounded: at most 30 rows a call. */
	assert_int_equal(store_retain(st, now, 30 * DAY, 0, 30, &deleted), 0);
	assert_int_equal(deleted, 30);
	assert_int_equal(verify(p).verdict, STORE_VERIFY_OK);
	assert_int_equal(store_retain(st, now, 30 * DAY, 0, 1000, &deleted), 0);
	assert_int_equal(deleted, 70);
	assert_int_equal(store_retain(st, now, 30 * DAY, 0, 1000, &deleted), 0);
	assert_int_equal(deleted, 0);
	res = verify(p);
	assert_int_equal(res.verdict, STORE_VERIFY_OK);
	assert_int_equal(res.events, 100);
	assert_int_equal(res.anchor_id, 111); /* the last old id: 100 ids, 11 skipped */
	assert_int_equal(sql_int(p, "SELECT min(id) FROM events"), 201); /* 200 was skipped */
	/* New rows chain on; deleting after the anchor is still caught. */
	fill(st, 400, 10, now);
	store_close(st);
	assert_int_equal(verify(p).events, 110);
	sql(p, "DELETE FROM events WHERE id = 201");
	res = verify(p);
	assert_int_equal(res.verdict, STORE_VERIFY_DELETED);
	assert_int_equal(res.bad_id, 201);
}

static void test_retention_size(void **state)
{
	const char *p = new_db();
	struct store *st = open_rw(p);
	uint64_t now = now_ns(), deleted = 0, total = 0;
	int64_t before, after;

	(void)state;
	fill(st, 1, 5000, now);
	before = sql_int(p, "SELECT count(*) FROM events");
	/* 400 KiB (an empty store is ~200 KiB of 16 KiB pages): most rows go, oldest first,
	 * in bounded rounds. */
	for (int i = 0; i < 20; i++) {
		assert_int_equal(store_retain(st, now, 0, 400 << 10, 1000, &deleted), 0);
		total += deleted;
		if (!deleted)
			break;
	}
	after = sql_int(p, "SELECT count(*) FROM events");
	assert_true(total > 0 && after < before);
	assert_int_equal(after + (int64_t)total, before);
	assert_int_equal(sql_int(p, "SELECT max(id) FROM events"), (int64_t)store_last_id(st));
	store_close(st);
	assert_int_equal(verify(p).verdict, STORE_VERIFY_OK);
	assert_true(sql_int(p, "PRAGMA page_count") * sql_int(p, "PRAGMA page_size") < 800 << 10);
}

static void test_tamper(void **state)
{
	const char *p = new_db();
	struct store *st = open_rw(p);
	struct store_verify_result res;
	char q[128];

	(void)state;
	fill(st, 1, 100, now_ns());
	store_close(st);
	/* Altered json. */
	sql(p, "UPDATE events SET json = replace(json, 'proc', 'evil') WHERE id = 42");
	res = verify(p);
	assert_int_equal(res.verdict, STORE_VERIFY_ALTERED);
	assert_int_equal(res.bad_id, 42);
	assert_int_equal(res.events, 41 - 4); /* 10, 20, 30, 40 were never ids */

	p = new_db();
	st = open_rw(p);
	fill(st, 1, 100, now_ns());
	store_close(st);
	/* Altered column only (the session a row belongs to is covered too). */
	sql(p, "UPDATE events SET session = 7 WHERE id = 15");
	assert_int_equal(verify(p).bad_id, 15);
	assert_int_equal(verify(p).verdict, STORE_VERIFY_ALTERED);
	sql(p, "UPDATE events SET session = 0 WHERE id = 15");
	assert_int_equal(verify(p).verdict, STORE_VERIFY_OK);
	/* Deleted in the middle, next to a legitimate gap, and at the end. */
	sql(p, "DELETE FROM events WHERE id = 61");
	res = verify(p);
	assert_int_equal(res.verdict, STORE_VERIFY_DELETED);
	assert_int_equal(res.bad_id, 61);
	p = new_db();
	st = open_rw(p);
	fill(st, 1, 100, now_ns());
	store_close(st);
	snprintf(q, sizeof(q), "DELETE FROM events WHERE id = (SELECT max(id) FROM events)");
	sql(p, q);
	res = verify(p);
	assert_int_equal(res.verdict, STORE_VERIFY_DELETED);
	assert_int_equal(res.bad_id, 111); /* 100 ids with 11 skipped */
	/* Inserted into a gap. */
	p = new_db();
	st = open_rw(p);
	fill(st, 1, 100, now_ns());
	store_close(st);
	sql(p,
	    "INSERT INTO events (id, prev_id, ts, type, pid, session, cause, json, hash)"
	    " SELECT 20, 19, ts, type, pid, session, cause, json, hash FROM events WHERE id = 19");
	res = verify(p);
	assert_int_equal(res.verdict, STORE_VERIFY_INSERTED);
	assert_int_equal(res.bad_id, 20);
	/* Deleting the first row is caught too (no anchor moved). */
	p = new_db();
	st = open_rw(p);
	fill(st, 1, 20, now_ns());
	store_close(st);
	sql(p, "DELETE FROM events WHERE id = 1");
	res = verify(p);
	assert_int_equal(res.verdict, STORE_VERIFY_DELETED);
	assert_int_equal(res.bad_id, 1);
}

static void test_redact(void **state)
{
	const char *p = new_db();
	struct store *st = open_rw(p);
	struct store_verify_result res;
	static const char red[] = "{\"id\":5,\"redacted\":true}";

	(void)state;
	fill(st, 1, 20, now_ns());
	assert_int_equal(store_redact(st, 5, red, strlen(red)), 0);
	assert_int_equal(store_redact(st, 5, red, strlen(red)), 0); /* twice: same digest */
	assert_int_equal(store_redact(st, 10, red, strlen(red)), -ENOENT);
	store_close(st);
	res = verify(p);
	assert_int_equal(res.verdict, STORE_VERIFY_OK);
	assert_int_equal(res.redacted, 1);
	assert_int_equal(res.events, 20);
	/* The digest of the original is what the chain trusts. */
	sql(p, "UPDATE events SET json_sha = zeroblob(32) WHERE id = 5");
	res = verify(p);
	assert_int_equal(res.verdict, STORE_VERIFY_ALTERED);
	assert_int_equal(res.bad_id, 5);
}

/* session.* keep the sessions table, process.* the processes table. */
static void test_side_tables(void **state)
{
	const char *p = new_db();
	struct store *st = open_rw(p);
	struct event ev;

	(void)state;
	ev = mk(1, EVENT_SESSION_START, 1000, 50);
	ev.session = 1;
	ev.sess.agent = "claude";
	ev.sess.container_id = "abc123";
	assert_int_equal(store_add(st, &ev), 0);
	ev = mk(2, EVENT_PROCESS_FORK, 2000, 51);
	ev.session = 1;
	assert_int_equal(store_add(st, &ev), 0);
	ev = mk(3, EVENT_PROCESS_EXEC, 3000, 51);
	ev.session = 1;
	assert_int_equal(store_add(st, &ev), 0);
	ev = mk(4, EVENT_PROCESS_EXIT, 4000, 51);
	ev.exit.status = 3;
	ev.session = 1;
	assert_int_equal(store_add(st, &ev), 0);
	ev = mk(5, EVENT_SESSION_END, 5000, 50);
	ev.session = 1;
	ev.sess.processes = 2;
	ev.sess.events = 4;
	assert_int_equal(store_add(st, &ev), 0);
	store_close(st);
	assert_int_equal(sql_int(p, "SELECT count(*) FROM sessions WHERE id = 1 AND root_pid = 50"
				    " AND agent = 'claude' AND container_id = 'abc123'"
				    " AND start_ts = 1000 AND end_ts = 5000 AND processes = 2"
				    " AND events = 4"),
			 1);
	assert_int_equal(sql_int(p, "SELECT count(*) FROM processes WHERE pid = 51 AND session = 1"
				    " AND first_seen = 2000 AND last_seen = 4000 AND exit_code = 3"
				    " AND exe = '/usr/bin/true' AND argv = 'true --flag'"),
			 1);
}

/* ---- A synthetic session, through the store and the CLI ---- */

static void add(struct store *st, struct event *ev)
{
	assert_int_equal(store_add(st, ev), 0);
}

static const char *make_session_db(void)
{
	static char db[PATH_MAX];
	struct store *st;
	struct event ev;
	uint64_t t = now_ns() - 60 * SEC;
	static struct llm_message msgs[] = {
		{ "system", { "be brief", 8, 8, false } },
		{ "user",
		  { "list the files in /tmp and tell me which is the largest one please", 66, 66,
		    false } },
	};
	static struct llm_tool_call calls[] = {
		{ "call_1", "bash", { "{\"cmd\":\"ls -la /tmp\"}", 21, 21, false }, true },
	};
	static struct llm_tool_result results[] = {
		{ "call_1", "bash", { "total 0\nfile-a\nfile-b", 21, 21, false }, false },
	};
	struct llm_request req = { .provider = LLM_PROVIDER_OPENAI,
				   .api = LLM_API_OPENAI_CHAT,
				   .model = "gpt-4o",
				   .messages = msgs,
				   .n_messages = 2,
				   .messages_total = 2 };
	struct llm_response resp = { .provider = LLM_PROVIDER_OPENAI,
				     .api = LLM_API_OPENAI_CHAT,
				     .model = "gpt-4o",
				     .complete = true,
				     .http_status = 200,
				     .tool_calls = calls,
				     .n_tool_calls = 1,
				     .stop_reason = "tool_calls" };

	snprintf(db, sizeof(db), "%s/session.db", dir);
	st = open_rw(db);
	ev = mk(1, EVENT_PROCESS_EXEC, t, 300);
	add(st, &ev);
	ev = mk(2, EVENT_SESSION_START, t + 1, 300);
	ev.session = 2;
	ev.sess.agent = "llm-client";
	add(st, &ev);
	ev = mk(3, EVENT_LLM_REQUEST, t + 2 * SEC, 300);
	ev.session = 2;
	ev.llm.req = &req;
	add(st, &ev);
	ev = mk(4, EVENT_LLM_RESPONSE, t + 3 * SEC, 300);
	ev.session = 2;
	ev.cause = 3;
	ev.llm.resp = &resp;
	ev.llm.request_id = 3;
	add(st, &ev);
	ev = mk(5, EVENT_PROCESS_FORK, t + 4 * SEC, 301);
	ev.session = 2;
	ev.cause = 4;
	add(st, &ev);
	ev = mk(6, EVENT_PROCESS_EXEC, t + 4 * SEC + 1, 301);
	ev.exec.args = "ls\0-la\0/tmp\0";
	ev.exec.args_len = 12;
	ev.session = 2;
	ev.cause = 4;
	add(st, &ev);
	ev = mk(7, EVENT_PROCESS_EXIT, t + 5 * SEC, 301);
	ev.session = 2;
	ev.cause = 6;
	add(st, &ev);
	req.messages_total = 4;
	req.tool_results = results;
	req.n_tool_results = 1;
	msgs[1].text = (struct llm_text){ "x", 1, 5000, true }; /* cut by the capture */
	ev = mk(8, EVENT_LLM_REQUEST, t + 6 * SEC, 300);
	ev.session = 2;
	ev.cause = 4;
	ev.llm.req = &req;
	add(st, &ev);
	ev = mk(9, EVENT_NET_CONNECT, t + 6 * SEC, 999); /* another process: not in the session */
	add(st, &ev);
	store_commit(st);
	store_close(st);
	return db;
}

static char warden_bin[PATH_MAX];

/* Runs build/warden ARGS; its stdout+stderr in out; the exit status. */
static int cli(char *out, size_t size, const char *fmt, ...)
{
	char cmd[PATH_MAX * 3], args[PATH_MAX];
	va_list ap;
	FILE *f;
	size_t n;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", warden_bin, args);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, size - 1, f);
	out[n] = 0;
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void test_cli_session(void **state)
{
	const char *db = make_session_db();
	char out[16384];
	int rc;

	(void)state;
	if (access(warden_bin, X_OK) < 0) {
		print_message("skipped: %s not built\n", warden_bin);
		skip();
	}
	assert_int_equal(sql_int(db, "SELECT count(*) FROM sessions WHERE id = 2 AND"
				     " agent = 'llm-client' AND end_ts IS NULL"),
			 1);
	rc = cli(out, sizeof(out), "sessions --db %s", db);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "llm-client"));
	assert_non_null(strstr(out, "active"));
	rc = cli(out, sizeof(out), "sessions --active --json --db %s", db);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "\"id\":2"));
	assert_non_null(strstr(out, "\"events\":7"));

	rc = cli(out, sizeof(out), "timeline 2 --db %s", db);
	assert_int_equal(rc, 0);
	/* The prompt with its text shortened to fit, then the reply, its call and what it caused. */
	assert_non_null(strstr(out, "prompt gpt-4o: \"list the files in /tmp"));
	assert_non_null(strstr(out, "(66 bytes)"));
	assert_non_null(strstr(out, "reply gpt-4o"));
	assert_non_null(strstr(out, "tool call bash: \"{\\\"cmd\\\"") ||
			strstr(out, "tool call bash: \"{\"cmd\""));
	assert_non_null(strstr(out, "    exec ls -la /tmp"));
	assert_non_null(strstr(out, "      exit pid 301"));
	assert_non_null(strstr(out, "tool result bash:"));
	assert_non_null(strstr(out, "(5000 bytes)"));
	assert_null(strstr(out, "connect")); /* pid 999 is not in it */
	for (char *l = out; *l;) {
		char *e = strchr(l, '\n');
		size_t cols = 0;

		for (char *c = l; c < (e ? e : l + strlen(l)); c++)
			cols += ((unsigned char)*c & 0xc0) != 0x80;
		assert_true(cols <= 80);
		l = e ? e + 1 : l + strlen(l);
	}
	rc = cli(out, sizeof(out), "timeline 2 --json --db %s", db);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "\"depth\":2"));

	rc = cli(out, sizeof(out), "export 2 --format jsonl --db %s", db);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "\"id\":2,"));
	assert_null(strstr(out, "\"id\":9,"));
	rc = cli(out, sizeof(out), "show 4 --db %s", db);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "\"tool_calls\": ["));
	rc = cli(out, sizeof(out), "events --type process.exec --db %s", db);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "exec ls -la /tmp"));
	rc = cli(out, sizeof(out), "events --session 2 --pid 301 --json --db %s", db);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "\"id\":5,"));
	assert_null(strstr(out, "\"id\":4,"));
	rc = cli(out, sizeof(out), "verify --db %s", db);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "ok: 9 events verified"));
	rc = cli(out, sizeof(out), "status --db %s", db);
	assert_int_equal(rc, 1); /* nobody writes it */
	assert_non_null(strstr(out, "not running"));
	assert_non_null(strstr(out, "1 active"));
	/* A new writer ends the sessions of the last one, at their last event. */
	store_close(open_rw(db));
	assert_int_equal(sql_int(db, "SELECT end_ts - start_ts FROM sessions WHERE id = 2"),
			 (int64_t)(6 * SEC - 1));
	rc = cli(out, sizeof(out), "sessions --active --db %s", db);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "(no sessions active)"));

	/* Errors: one line, the right status. */
	rc = cli(out, sizeof(out), "timeline 42 --db %s", db);
	assert_int_equal(rc, 1);
	assert_string_equal(out, "warden: no such session: 42\n");
	rc = cli(out, sizeof(out), "events --since 1x --db %s", db);
	assert_int_equal(rc, 2);
	assert_non_null(
		strstr(out, "warden: --since: '1x' is not a duration (30s, 15m, 2h, 7d)\n"));
	rc = cli(out, sizeof(out), "show 999 --db %s", db);
	assert_int_equal(rc, 1);
	assert_string_equal(out, "warden: no such event: 999\n");
	rc = cli(out, sizeof(out), "events --db %s/missing.db", dir);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "(is wardend running with --db?)"));
	assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out));
	rc = cli(out, sizeof(out), "sessions --follow --db %s", db);
	assert_int_equal(rc, 2);
	rc = cli(out, sizeof(out), "bogus");
	assert_int_equal(rc, 2);
}

static void test_throughput(void **state)
{
	const char *p = new_db();
	struct store *st = open_rw(p);
	struct timespec a, b;
	const int n = 100000;
	double s;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	/* Batches the size wardend's loop makes under load (a poll's worth). */
	for (int i = 0; i < n; i++) {
		struct event ev = mk((uint64_t)i + 1,
				     i % 2 ? EVENT_NET_CONNECT : EVENT_PROCESS_EXEC, now_ns(),
				     100 + (uint32_t)(i % 50));

		assert_int_equal(store_add(st, &ev), 0);
		if (i % 1000 == 999)
			assert_int_equal(store_commit(st), 0);
	}
	store_commit(st);
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	print_message("store: %d events in %.2f s: %.0f events/s (batches of 1000)\n", n, s, n / s);
	store_close(st);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(verify(p).events, (uint64_t)n);
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	print_message("verify: %d events in %.2f s\n", n, s);
}

/* ---- Checkpoints on their own thread ---- */

static off_t wal_bytes(const char *p)
{
	char w[PATH_MAX + 8];
	struct stat sb;

	snprintf(w, sizeof(w), "%s-wal", p);
	return stat(w, &sb) ? 0 : sb.st_size;
}

/*
 * Stores ~3 KiB exec events until their JSON reaches mib MiB, committing
 * every 50 as wardend's loop does; returns the last id, *max the largest
 * the WAL file was after a commit.
 */
static uint64_t fill_wal(struct store *st, const char *p, size_t mib, off_t *max)
{
	static char args[3000];
	size_t bytes = 0;
	uint64_t id = 0;

	memset(args, 'a', sizeof(args));
	*max = 0;
	while (bytes < (mib << 20)) {
		struct event ev;
		size_t len;

		id++;
		ev = mk(id, EVENT_PROCESS_EXEC, now_ns(), 100 + (uint32_t)(id % 50));
		ev.exec.args = args;
		ev.exec.args_len = sizeof(args);
		assert_int_equal(store_add(st, &ev), 0);
		assert_non_null(store_event_json(st, id, &len));
		bytes += len;
		if (id % 50 == 0) {
			assert_int_equal(store_commit(st), 0);
			if (wal_bytes(p) > *max)
				*max = wal_bytes(p);
		}
	}
	assert_int_equal(store_commit(st), 0);
	return id;
}

/* A WAL frame: a page and its header. */
#define FRAME_BYTES (16384 + 24)

/*
 * 100 MiB of events: the thread copies the WAL meanwhile, the writer ends
 * and restarts it past CKPT_WAL_MAX_FRAMES (so the file never passes the
 * hard limit), and store_checkpoint() leaves nothing in it uncopied.
 */
static void test_background_checkpoint(void **state)
{
	const char *p = new_db();
	struct store *st = open_rw(p);
	struct store_stats ss;
	sqlite3_stmt *s;
	uint64_t id;
	off_t max;
	sqlite3 *db;

	(void)state;
	id = fill_wal(st, p, 100, &max);
	store_get_stats(st, &ss);
	print_message("checkpoints: %" PRIu64 " by the thread (%.3f s CPU), %" PRIu64
		      " by the writer; WAL at most %lld bytes\n",
		      ss.checkpoints, ss.checkpoint_cpu_ns / 1e9, ss.checkpoints_writer,
		      (long long)max);
	assert_true(ss.checkpoints > 0);
	assert_true(ss.checkpoints_writer > 0);
	assert_int_equal(ss.checkpoint_errors, 0);
	assert_true(max >= (off_t)CKPT_FRAMES * FRAME_BYTES);
	assert_true(max <= (off_t)(CKPT_WAL_HARD_FRAMES + 64) * FRAME_BYTES);
	assert_int_equal(store_checkpoint(st), 0);
	/* Everything copied: another connection's checkpoint finds no frame left. */
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA wal_checkpoint(PASSIVE)", -1, &s, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 0);
	assert_int_equal(sqlite3_column_int(s, 1), sqlite3_column_int(s, 2));
	sqlite3_finalize(s);
	sqlite3_close(db);
	store_close(st);
	assert_int_equal(wal_bytes(p), 0); /* the last connection's close removes it */
	assert_int_equal(verify(p).events, id);
}

/* ckpt_pass_due() of a WAL frames long, the last pass asked for at asked. */
static bool pass_due(int asked, int frames)
{
	return ckpt_pass_due(&asked, frames);
}

/* When the writer asks the thread for a pass: each CKPT_STEP_FRAMES, every commit near the end. */
static void test_checkpoint_pass_due(void **state)
{
	const int end = CKPT_WAL_MAX_FRAMES - CKPT_STEP_FRAMES;
	int asked;

	(void)state;
	assert_false(pass_due(0, CKPT_FRAMES - 1));
	assert_true(pass_due(0, CKPT_FRAMES));
	/* Not after every commit: only once the WAL grew by a step. */
	assert_false(pass_due(CKPT_FRAMES, CKPT_FRAMES + 1));
	assert_false(pass_due(CKPT_FRAMES, CKPT_FRAMES + CKPT_STEP_FRAMES - 1));
	assert_true(pass_due(CKPT_FRAMES, CKPT_FRAMES + CKPT_STEP_FRAMES));
	assert_false(pass_due(end - 1, end - 1));
	/* Near the writer's copy, after every commit. */
	assert_true(pass_due(end - 1, end));
	assert_true(pass_due(end + 10, end + 11));
	/* A WAL that restarted (asked_frames reset to 0) starts over at CKPT_FRAMES. */
	assert_false(pass_due(0, CKPT_FRAMES / 2));
	/* The restart itself: the first commit after it forgets the last ask. */
	asked = end;
	assert_false(ckpt_pass_due(&asked, 10));
	assert_int_equal(asked, 0);
	assert_true(ckpt_pass_due(&asked, CKPT_FRAMES));
	/* Without one, the last ask stands. */
	asked = CKPT_FRAMES;
	assert_false(ckpt_pass_due(&asked, CKPT_FRAMES + 1));
	assert_int_equal(asked, CKPT_FRAMES);
}

/* Without the thread (the fallback), the writer checkpoints at CKPT_FRAMES, as SQLite would. */
static void test_inline_checkpoint(void **state)
{
	const char *p = new_db();
	struct store *st = NULL;
	struct store_stats ss;
	uint64_t id;
	off_t max;

	(void)state;
	assert_int_equal(store_open(p, STORE_CKPT_INLINE, &st, NULL), 0);
	id = fill_wal(st, p, 40, &max);
	store_get_stats(st, &ss);
	assert_int_equal(ss.checkpoints, 0);
	assert_true(ss.checkpoints_writer > 0);
	assert_int_equal(ss.checkpoint_errors, 0);
	assert_true(max <= (off_t)(CKPT_FRAMES + 64) * FRAME_BYTES);
	assert_int_equal(store_checkpoint(st), 0);
	store_close(st);
	assert_int_equal(verify(p).events, id);
}

/* ---- Spans: lookups without per-event indexes ---- */

/* Lines of out that hold needle. */
static int count_lines(const char *out, const char *needle)
{
	int n = 0;

	for (const char *l = out; *l;) {
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l);

		if (memmem(l, len, needle, strlen(needle)))
			n++;
		l += len + (e ? 1 : 0);
	}
	return n;
}

/*
 * 3,000 events over 100 interleaved sessions and 300 pids: spans close at
 * SPAN_EVENTS and when more sessions than they track arrive, and every
 * lookup the CLI makes still finds exactly its events, across commits.
 */
static void test_spans_lookup(void **state)
{
	const char *p = new_db();
	struct store *st = open_rw(p);
	static char out[1 << 20];
	uint64_t t = now_ns() - 3000 * SEC;
	int rc;

	(void)state;
	if (access(warden_bin, X_OK) < 0) {
		print_message("skipped: %s not built\n", warden_bin);
		skip();
	}
	for (int i = 1; i <= 3000; i++) {
		struct event ev = mk((uint64_t)i, i % 5 ? EVENT_NET_CONNECT : EVENT_FILE_OPEN,
				     t + (uint64_t)i * SEC, 1000 + (uint32_t)(i % 300));

		ev.session = 10000 + (uint64_t)(i % 100);
		if (i % 7 == 0)
			ev.session = 0;
		add(st, &ev);
		if (i % 250 == 0)
			assert_int_equal(store_commit(st), 0);
	}
	store_close(st);
	/* Every event is in exactly one span; every session event in its session's spans. */
	assert_int_equal(sql_int(p, "SELECT sum(events) FROM spans"), 3000);
	assert_int_equal(sql_int(p, "SELECT count(*) FROM spans a JOIN spans b ON a.first_id <"
				    " b.first_id AND a.last_id >= b.first_id"),
			 0);
	assert_true(sql_int(p, "SELECT count(*) FROM spans") > 3);
	assert_int_equal(sql_int(p, "SELECT sum(events) FROM session_spans"),
			 sql_int(p, "SELECT count(*) FROM events WHERE session != 0"));
	assert_int_equal(sql_int(p, "SELECT sum(events) FROM session_spans WHERE session = 10042"),
			 sql_int(p, "SELECT count(*) FROM events WHERE session = 10042"));
	/* The CLI: by session, type, pid, time, and together. */
	rc = cli(out, sizeof(out), "events --json --session 10042 --db %s", p);
	assert_int_equal(rc, 0);
	assert_int_equal(count_lines(out, "\"session\":10042,"),
			 sql_int(p, "SELECT count(*) FROM events WHERE session = 10042"));
	assert_int_equal(count_lines(out, "\"id\":"), count_lines(out, "\"session\":10042,"));
	rc = cli(out, sizeof(out), "events --json --type file.open --db %s", p);
	assert_int_equal(rc, 0);
	assert_int_equal(count_lines(out, "\"type\":\"file.open\""), 600);
	assert_int_equal(count_lines(out, "\"id\":"), 600);
	rc = cli(out, sizeof(out), "events --json --pid 1042 --db %s", p);
	assert_int_equal(rc, 0);
	assert_int_equal(count_lines(out, "\"pid\":1042,"), 10);
	assert_int_equal(count_lines(out, "\"id\":"), 10);
	/* pid 1045: i = 45, 345, ..., 2745, all file.open (i % 5 == 0); pid 1042: none. */
	rc = cli(out, sizeof(out), "events --json --pid 1045 --type file.open --db %s", p);
	assert_int_equal(rc, 0);
	assert_int_equal(count_lines(out, "\"id\":"), 10);
	rc = cli(out, sizeof(out), "events --json --pid 1042 --type file.open --db %s", p);
	assert_int_equal(rc, 0);
	assert_int_equal(count_lines(out, "\"id\":"), 0);
	rc = cli(out, sizeof(out), "events --json --since 500s --db %s", p);
	assert_int_equal(rc, 0);
	assert_true(count_lines(out, "\"id\":") >= 495 && count_lines(out, "\"id\":") <= 505);
	rc = cli(out, sizeof(out), "sessions --json --db %s", p);
	assert_int_equal(rc, 0);
}

/* A database written before spans (schema 1) gets them at the writer's first open. */
static void test_migrate_v1(void **state)
{
	const char *p = new_db();
	struct store *st = NULL;
	static char out[1 << 16];
	int rc;

	(void)state;
	sql(p, "CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
	       "CREATE TABLE events (id INTEGER PRIMARY KEY, prev_id INTEGER NOT NULL,"
	       " ts INTEGER NOT NULL, type TEXT NOT NULL, pid INTEGER NOT NULL,"
	       " session INTEGER NOT NULL, cause INTEGER NOT NULL, json TEXT NOT NULL,"
	       " hash BLOB NOT NULL, redacted INTEGER NOT NULL DEFAULT 0, json_sha BLOB);"
	       "CREATE INDEX events_session ON events (session, id) WHERE session != 0;"
	       "CREATE INDEX events_type ON events (type, id);"
	       "CREATE INDEX events_pid ON events (pid, id);"
	       "CREATE INDEX events_ts ON events (ts);"
	       "CREATE TABLE sessions (id INTEGER PRIMARY KEY, root_pid INTEGER NOT NULL,"
	       " root_exe TEXT, root_comm TEXT, agent TEXT, container_id TEXT, pod_uid TEXT,"
	       " start_ts INTEGER NOT NULL, end_ts INTEGER, processes INTEGER, events INTEGER);"
	       "CREATE INDEX sessions_start ON sessions (start_ts);"
	       "CREATE TABLE processes (pid INTEGER NOT NULL, start_ns INTEGER NOT NULL,"
	       " ppid INTEGER, exe TEXT, argv TEXT, session INTEGER NOT NULL DEFAULT 0,"
	       " first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, exit_code INTEGER,"
	       " UNIQUE (pid, start_ns));"
	       "CREATE INDEX processes_session ON processes (session) WHERE session != 0;"
	       "CREATE TABLE alerts (id INTEGER PRIMARY KEY, prev_id INTEGER NOT NULL,"
	       " ts INTEGER NOT NULL, event_id INTEGER, session INTEGER NOT NULL DEFAULT 0,"
	       " rule TEXT NOT NULL, severity TEXT NOT NULL, json TEXT NOT NULL,"
	       " hash BLOB NOT NULL);"
	       "INSERT INTO meta VALUES ('anchor_id', 0), ('anchor_hash', zeroblob(32)),"
	       " ('head_id', 0), ('head_hash', zeroblob(32));"
	       "INSERT INTO sessions (id, root_pid, start_ts) VALUES (7, 70, 1);"
	       "INSERT INTO processes VALUES (70, 5, 1, '/bin/agent', 'agent -x', 7, 1, 2, 0);"
	       "PRAGMA user_version = 1;");
	/* Rows as schema 1 held them (no chain: this test is about lookups). */
	for (int i = 1; i <= 2500; i++) {
		char q[512];

		snprintf(q, sizeof(q),
			 "INSERT INTO events VALUES (%d, %d, %d, '%s', %d, %d, 0,"
			 " '{\"id\":%d,\"pid\":%d}', zeroblob(32), 0, NULL)",
			 i, i - 1, i, i % 2 ? "net.connect" : "process.exec", 70 + i % 3,
			 i % 4 ? 0 : 7, i, 70 + i % 3);
		sql(p, q);
	}
	/* A reader cannot migrate: it says so. */
	assert_int_equal(store_open(p, STORE_RDONLY, &st, NULL), -EPROTONOSUPPORT);
	rc = cli(out, sizeof(out), "events --db %s", p);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "made by an older Warden"));
	st = open_rw(p);
	store_close(st);
	assert_int_equal(sql_int(p, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(
		sql_int(p, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'events_%'"), 0);
	assert_int_equal(sql_int(p, "SELECT sum(events) FROM spans"), 2500);
	assert_int_equal(sql_int(p, "SELECT sum(events) FROM session_spans WHERE session = 7"),
			 625);
	rc = cli(out, sizeof(out), "events --json --session 7 --db %s", p);
	assert_int_equal(rc, 0);
	assert_int_equal(count_lines(out, "\"id\":"), 625);
	rc = cli(out, sizeof(out), "events --json --type process.exec --pid 71 --db %s", p);
	assert_int_equal(rc, 0);
	/* even i with i % 3 == 1: i = 4, 10, 16, ... */
	assert_int_equal(count_lines(out, "\"id\":"),
			 sql_int(p, "SELECT count(*) FROM events WHERE type = 'process.exec'"
				    " AND pid = 71"));
}

/* Retention inside a span trims it: counts and lookups stay exact. */
static void test_retention_in_span(void **state)
{
	const char *p = new_db();
	struct store *st = open_rw(p);
	uint64_t now = now_ns(), deleted = 0;

	(void)state;
	for (int i = 1; i <= 200; i++) {
		struct event ev = mk((uint64_t)i, EVENT_NET_CONNECT,
				     now - (uint64_t)(i <= 120 ? 40 : 1) * DAY, 500);

		ev.session = 3;
		add(st, &ev);
	}
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_retain(st, now, 30 * DAY, 0, 1000, &deleted), 0);
	assert_int_equal(deleted, 120);
	/* The open span was cut: later events open another. */
	fill(st, 300, 10, now);
	store_close(st);
	assert_int_equal(sql_int(p, "SELECT sum(events) FROM spans"),
			 sql_int(p, "SELECT count(*) FROM events"));
	assert_int_equal(sql_int(p, "SELECT min(first_id) FROM spans"), 121);
	assert_int_equal(sql_int(p, "SELECT sum(events) FROM session_spans WHERE session = 3"), 80);
	assert_int_equal(verify(p).verdict, STORE_VERIFY_OK);
}

/* A process's fork, exec and exit in different batches still make one row, merged. */
static void test_processes_across_batches(void **state)
{
	const char *p = new_db();
	struct store *st = open_rw(p);
	struct event ev;

	(void)state;
	ev = mk(1, EVENT_PROCESS_FORK, 100, 61);
	ev.ppid = 60;
	add(st, &ev);
	assert_int_equal(store_commit(st), 0);
	ev = mk(2, EVENT_PROCESS_EXEC, 200, 61);
	ev.session = 9; /* it became a session's at exec */
	add(st, &ev);
	ev = mk(3, EVENT_PROCESS_EXEC, 300, 61); /* exec again: the last one counts */
	ev.exec.args = "sh\0-c\0id\0";
	ev.exec.args_len = 9;
	ev.exe = "/bin/sh";
	ev.session = 9;
	add(st, &ev);
	assert_int_equal(store_commit(st), 0);
	ev = mk(4, EVENT_PROCESS_EXIT, 400, 61);
	ev.exit.status = 1;
	add(st, &ev);
	ev = mk(5, EVENT_PROCESS_FORK, 500, 62);
	add(st, &ev);
	store_close(st);
	assert_int_equal(sql_int(p, "SELECT count(*) FROM processes"), 2);
	assert_int_equal(sql_int(p, "SELECT count(*) FROM processes WHERE pid = 61 AND ppid = 60"
				    " AND session = 9 AND first_seen = 100 AND last_seen = 400"
				    " AND exit_code = 1 AND exe = '/bin/sh' AND argv = 'sh -c id'"),
			 1);
	assert_int_equal(sql_int(p, "SELECT count(*) FROM processes WHERE pid = 62 AND"
				    " exit_code IS NULL AND exe IS NULL AND last_seen = 500"),
			 1);
}

/*
 * The batch's limits (src/store/batch.h): process text beyond its arena
 * is written early, an event line larger than the event arena goes alone;
 * every row arrives whole and in order either way.
 */
static void test_batch_limits(void **state)
{
	const char *p = new_db();
	struct store *st = open_rw(p);
	static char argv[4000];
	const size_t big = 5 << 20; /* 5 MiB of control bytes: a 30 MiB JSON line */
	char *data = malloc(big);
	struct store_verify_result res;
	uint64_t id = 0;

	(void)state;
	assert_non_null(data);
	memset(argv, 'a', sizeof(argv));
	memset(data, 1, big);
	for (int i = 0; i < 300; i++) {
		struct event ev;

		id++;
		ev = mk(id, EVENT_PROCESS_EXEC, 1000 + id, 2000 + (uint32_t)i);

		ev.exec.args = argv;
		ev.exec.args_len = sizeof(argv);
		add(st, &ev);
		if (i == 150) {
			id++;
			ev = mk(id, EVENT_TLS_WRITE, 1000 + id, 7);
			ev.tls.data = (const uint8_t *)data;
			ev.tls.len = (uint32_t)big;
			ev.tls.total_len = (uint32_t)big;
			ev.tls.func = "SSL_write";
			add(st, &ev);
		}
	}
	assert_int_equal(store_commit(st), 0);
	store_close(st);
	free(data);
	assert_int_equal(sql_int(p, "SELECT count(*) FROM processes WHERE length(argv) = 4000"),
			 300);
	assert_int_equal(sql_int(p, "SELECT count(*) FROM events"), 301);
	assert_int_equal(sql_int(p, "SELECT max(length(json)) > 30000000 FROM events"), 1);
	assert_int_equal(sql_int(p, "SELECT type = 'tls.write' FROM events WHERE id = 152"), 1);
	res = verify(p);
	assert_int_equal(res.verdict, STORE_VERIFY_OK);
	assert_int_equal(res.events, 301);
}

static int setup(void **state)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	if (n > 0) {
		self[n] = 0;
		snprintf(warden_bin, sizeof(warden_bin), "%s/../warden", dirname(self));
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	if (getenv("WARDEN_TEST_KEEP")) {
		print_message("kept %s\n", dir);
		return 0;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_empty),
		cmocka_unit_test(test_readonly_missing),
		cmocka_unit_test(test_insert_verify),
		cmocka_unit_test(test_batching),
		cmocka_unit_test(test_restart_ids),
		cmocka_unit_test(test_retention),
		cmocka_unit_test(test_retention_size),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_side_tables),
		cmocka_unit_test(test_cli_session),
		cmocka_unit_test(test_spans_lookup),
		cmocka_unit_test(test_migrate_v1),
		cmocka_unit_test(test_retention_in_span),
		cmocka_unit_test(test_processes_across_batches),
		cmocka_unit_test(test_batch_limits),
		cmocka_unit_test(test_background_checkpoint),
		cmocka_unit_test(test_checkpoint_pass_due),
		cmocka_unit_test(test_inline_checkpoint),
		cmocka_unit_test(test_throughput),
	};

	return cmocka_run_group_tests_name("store", tests, setup, teardown);
}

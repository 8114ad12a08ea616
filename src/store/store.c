// SPDX-License-Identifier: Apache-2.0
/* The SQLite store and its hash chain. See store.h for the chain's definition. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "warden/event.h"
#include "warden/store.h"
#include "batch.h"
#include "checkpoint.h"

#define STORE_BUSY_TIMEOUT_MS 2000

/*
 * Forward migrations: migrations[v] takes a database from user_version v to
 * v + 1, in the same transaction that sets the new version. Never edit one
 * that has shipped; append.
 */
static const char *const migrations[STORE_SCHEMA_VERSION] = {
	/* 0 -> 1 */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY," /* the event id */
	" prev_id INTEGER NOT NULL," /* the stored event before it: the chain link */
	" ts INTEGER NOT NULL, type TEXT NOT NULL, pid INTEGER NOT NULL,"
	" session INTEGER NOT NULL, cause INTEGER NOT NULL,"
	" json TEXT NOT NULL, hash BLOB NOT NULL,"
	" redacted INTEGER NOT NULL DEFAULT 0, json_sha BLOB);"
	"CREATE INDEX events_session ON events (session, id) WHERE session != 0;"
	"CREATE INDEX events_type ON events (type, id);"
	"CREATE INDEX events_pid ON events (pid, id);"
	"CREATE INDEX events_ts ON events (ts);"
	"CREATE TABLE sessions ("
	" id INTEGER PRIMARY KEY," /* its session.start event */
	" root_pid INTEGER NOT NULL, root_exe TEXT, root_comm TEXT, agent TEXT,"
	" container_id TEXT, pod_uid TEXT, start_ts INTEGER NOT NULL, end_ts INTEGER,"
	" processes INTEGER, events INTEGER);"
	"CREATE INDEX sessions_start ON sessions (start_ts);"
	"CREATE TABLE processes ("
	" pid INTEGER NOT NULL, start_ns INTEGER NOT NULL, ppid INTEGER, exe TEXT, argv TEXT,"
	" session INTEGER NOT NULL DEFAULT 0, first_seen INTEGER NOT NULL,"
	" last_seen INTEGER NOT NULL, exit_code INTEGER,"
	" UNIQUE (pid, start_ns));" /* rowid: argv makes rows too large for WITHOUT ROWID */
	"CREATE INDEX processes_session ON processes (session) WHERE session != 0;"
	/* Alerts will chain like events (prev_id, hash) when the rules land. */
	"CREATE TABLE alerts ("
	" id INTEGER PRIMARY KEY, prev_id INTEGER NOT NULL, ts INTEGER NOT NULL,"
	" event_id INTEGER, session INTEGER NOT NULL DEFAULT 0, rule TEXT NOT NULL,"
	" severity TEXT NOT NULL, json TEXT NOT NULL, hash BLOB NOT NULL);"
	"INSERT INTO meta VALUES ('anchor_id', 0), ('anchor_hash', zeroblob(32)),"
	" ('head_id', 0), ('head_hash', zeroblob(32));",
	/*
	 * 1 -> 2: four index entries an event cost as much as the event row.
	 * Lookups go through spans instead (see "Spans" below); the SQL
	 * functions are store.c's own, registered on every connection.
	 */
	"DROP INDEX events_session; DROP INDEX events_type; DROP INDEX events_pid;"
	" DROP INDEX events_ts;"
	"CREATE TABLE spans ("
	" first_id INTEGER PRIMARY KEY, last_id INTEGER NOT NULL, events INTEGER NOT NULL,"
	" min_ts INTEGER NOT NULL, max_ts INTEGER NOT NULL,"
	" types INTEGER NOT NULL," /* OR of warden_type_bit(type) */
	" pids BLOB NOT NULL);" /* Bloom filter of the pids: warden_pid_maybe() */
	"CREATE TABLE session_spans ("
	" session INTEGER NOT NULL, first_id INTEGER NOT NULL, last_id INTEGER NOT NULL,"
	" events INTEGER NOT NULL, max_ts INTEGER NOT NULL,"
	" PRIMARY KEY (session, first_id)) WITHOUT ROWID;"
	"CREATE INDEX session_spans_first ON session_spans (first_id);"
	"INSERT INTO spans SELECT min(id), max(id), count(*), min(ts), max(ts),"
	" warden_type_bits(type), warden_pid_bloom(pid) FROM events GROUP BY id >> 10;"
	"INSERT INTO session_spans SELECT session, min(id), max(id), count(*), max(ts)"
	" FROM events WHERE session != 0 GROUP BY session, id >> 10;"
	/* Keyed by process identity: one b-tree to update, not a table and its index. */
	"CREATE TABLE processes2 ("
	" pid INTEGER NOT NULL, start_ns INTEGER NOT NULL, ppid INTEGER, exe TEXT, argv TEXT,"
	" session INTEGER NOT NULL DEFAULT 0, first_seen INTEGER NOT NULL,"
	" last_seen INTEGER NOT NULL, exit_code INTEGER,"
	" PRIMARY KEY (pid, start_ns)) WITHOUT ROWID;"
	"INSERT INTO processes2 SELECT pid, start_ns, ppid, exe, argv, session, first_seen,"
	" last_seen, exit_code FROM processes;"
	"DROP TABLE processes;"
	"ALTER TABLE processes2 RENAME TO processes;"
	"CREATE INDEX processes_session ON processes (session) WHERE session != 0;",
};

enum {
	S_INSERT,
	S_EVENTS_N,
	S_PROCESS,
	S_PROCESS_N,
	S_SESSION_START,
	S_SESSION_END,
	S_META_SET,
	S_META_GET,
	S_SPAN,
	S_SESSION_SPAN,
	S_MAX,
};

/*
 * The batch's rows (batch.h) go BATCH_ROWS to a statement, as one
 * multi-row VALUES list: SQLite's per-statement work (bind, step, reset,
 * halt) then comes once per BATCH_ROWS rows. The rest go one by one. OR
 * FAIL: any failure fails the whole transaction here, so SQLite need not
 * keep a statement journal to undo one statement's rows.
 */
#define BATCH_ROWS 64

#define EVENTS_INSERT \
	"INSERT OR FAIL INTO events (id, prev_id, ts, type, pid, session, cause, json, hash) VALUES "
#define EVENTS_COLS 9
/* argv is NULL unless the batch saw the process exec: then its session counts. */
#define PROCESS_INSERT                                                                        \
	"INSERT OR FAIL INTO processes (pid, start_ns, ppid, exe, argv, session, first_seen," \
	" last_seen,"                                                                         \
	" exit_code) VALUES "
#define PROCESS_COLS 9
#define PROCESS_UPSERT                                                                         \
	" ON CONFLICT DO UPDATE SET exe = coalesce(excluded.exe, exe),"                        \
	" argv = coalesce(excluded.argv, argv), session = CASE WHEN excluded.argv IS NOT NULL" \
	" THEN excluded.session ELSE session END, last_seen = excluded.last_seen,"             \
	" exit_code = coalesce(excluded.exit_code, exit_code)"

/* "head (?,...,?),(?,...) tail" for rows rows of cols columns; NULL on ENOMEM. Caller frees. */
static char *values_sql(const char *head, int cols, int rows, const char *tail)
{
	size_t n = strlen(head) + strlen(tail) + (size_t)rows * ((size_t)cols * 2 + 2) + 1;
	char *sql = malloc(n), *p;

	if (!sql)
		return NULL;
	p = stpcpy(sql, head);
	for (int r = 0; r < rows; r++) {
		*p++ = r ? ',' : '(';
		if (r)
			*p++ = '(';
		for (int c = 0; c < cols; c++) {
			*p++ = '?';
			*p++ = c + 1 < cols ? ',' : ')';
		}
	}
	strcpy(p, tail);
	return sql;
}

static const char *const stmt_sql[S_MAX] = {
	[S_INSERT] = EVENTS_INSERT "(?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[S_PROCESS] = PROCESS_INSERT "(?, ?, ?, ?, ?, ?, ?, ?, ?)" PROCESS_UPSERT,
	/* S_EVENTS_N and S_PROCESS_N: values_sql() */
	[S_SESSION_START] =
		"INSERT OR REPLACE INTO sessions (id, root_pid, root_exe, root_comm,"
		" agent, container_id, pod_uid, start_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	[S_SESSION_END] = "UPDATE sessions SET end_ts = ?2, processes = ?3, events = ?4"
			  " WHERE id = ?1",
	[S_META_SET] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
	[S_META_GET] = "SELECT value FROM meta WHERE key = ?",
	/*
	 * Upserts, not INSERT OR REPLACE: a replace deletes and inserts, and
	 * a statement that may write twice keeps a statement journal (a
	 * temporary file) to undo itself.
	 */
	[S_SPAN] = "INSERT INTO spans (first_id, last_id, events, min_ts, max_ts, types, pids)"
		   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO UPDATE SET last_id = ?2,"
		   " events = ?3, min_ts = ?4, max_ts = ?5, types = ?6, pids = ?7",
	[S_SESSION_SPAN] = "INSERT INTO session_spans (session, first_id, last_id, events, max_ts)"
			   " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO UPDATE SET last_id = ?3,"
			   " events = ?4, max_ts = ?5",
};

/*
 * Spans. Events are looked up by session, type, pid and time through
 * spans: runs of up to SPAN_EVENTS consecutive stored events, each with its
 * id range, time range, the types in it (a 64-bit mask) and its pids (a
 * Bloom filter), and per session in it the range of that session's events.
 * A query walks the spans that may hold a match and reads their events by
 * id, which is the table's own key. Per event this costs a few bit
 * operations in memory; per commit, the open span's row and the rows of the
 * sessions that commit touched. A span stays open across commits (its rows
 * are rewritten), so spans are long even when commits are small.
 */
#define SPAN_EVENTS 1024
#define SPAN_SESSIONS 32 /* a span that would cover more sessions closes first */
#define SPAN_BLOOM_BYTES 256 /* 2,048 bits, two a pid: ~5% false positives at 256 pids */

struct span_session {
	uint64_t session, first_id, last_id, max_ts;
	uint32_t events;
	bool dirty; /* changed since the last commit */
};

struct span {
	uint64_t first_id, last_id, min_ts, max_ts, types;
	uint32_t events; /* 0: no span open */
	bool dirty;
	unsigned int nsessions;
	struct span_session sessions[SPAN_SESSIONS];
	uint8_t pids[SPAN_BLOOM_BYTES];
};

struct chain_pos {
	uint64_t id;
	uint8_t hash[STORE_HASH_LEN];
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[S_MAX];
	bool rdonly, in_tx;
	struct chain_pos head; /* last row added, pending or not */
	struct chain_pos committed; /* last row committed: where a failed batch rolls back to */
	unsigned int pending;
	size_t pending_bytes;
	struct span span; /* the open span, as it will be committed */
	struct span span_committed; /* as last committed: where a failed batch rolls back to */
	struct event_json json; /* the JSON line of the event being stored */
	uint64_t json_id; /* the event whose line json holds (0: none) */
	size_t json_line_len; /* its length without the newline */
	struct store_batch batch; /* the transaction's event and process rows, not yet written */
	struct ckpt *ckpt; /* a writer's WAL checkpoints */
	struct store_stats stats;
};

static int errno_of(sqlite3 *db, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return -EBADMSG;
	case SQLITE_CANTOPEN:
		if (db && sqlite3_system_errno(db) > 0)
			return -sqlite3_system_errno(db);
		return -ENOENT;
	default:
		return -EIO;
	}
}

static int exec_sql(struct store *st, const char *sql)
{
	return errno_of(st->db, sqlite3_exec(st->db, sql, NULL, NULL, NULL));
}

static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/*
 * SHA-256 through OpenSSL's low-level calls, on the stack: at each init,
 * OpenSSL 3.0's EVP frees and allocates its provider context (two
 * allocations per stored event), and its one-shot SHA256() fetches the
 * algorithm on every call. The low-level calls are deprecated in 3.0, not
 * gone, and run the same assembly.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static void sha256(const void *p, size_t n, uint8_t out[STORE_HASH_LEN])
{
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, p, n);
	SHA256_Final(out, &c);
}
#pragma GCC diagnostic pop

/* The row hash of store.h, from its parts; json_sha is SHA-256 of the json text. */
static void row_hash(const uint8_t prev_hash[STORE_HASH_LEN], uint64_t prev_id, uint64_t id,
		     uint64_t ts, uint64_t pid, uint64_t session, uint64_t cause, const char *type,
		     const uint8_t json_sha[STORE_HASH_LEN], uint8_t out[STORE_HASH_LEN])
{
	uint8_t buf[STORE_HASH_LEN * 2 + 6 * 8 + 64 + 1];
	size_t tlen = strnlen(type, 64), n = 0;

	memcpy(buf, prev_hash, STORE_HASH_LEN);
	n += STORE_HASH_LEN;
	be64(buf + n, prev_id);
	be64(buf + n + 8, id);
	be64(buf + n + 16, ts);
	be64(buf + n + 24, pid);
	be64(buf + n + 32, session);
	be64(buf + n + 40, cause);
	n += 48;
	memcpy(buf + n, type, tlen);
	n += tlen;
	buf[n++] = 0;
	memcpy(buf + n, json_sha, STORE_HASH_LEN);
	n += STORE_HASH_LEN;
	sha256(buf, n, out);
}

uint64_t store_type_bit(const char *type)
{
	uint32_t h = 2166136261u; /* FNV-1a: stable across builds, as stored masks need */

	for (const unsigned char *c = (const unsigned char *)type; *c; c++)
		h = (h ^ *c) * 16777619u;
	return 1ull << (h % 64);
}

static void bloom_bits(int64_t pid, unsigned int *a, unsigned int *b)
{
	uint64_t h = (uint64_t)pid * 0x9e3779b97f4a7c15ull;

	*a = (unsigned int)(h >> 53); /* 11 bits each: 0..2047 */
	*b = (unsigned int)(h >> 42) & 2047;
}

static void bloom_add(uint8_t *bloom, int64_t pid)
{
	unsigned int a, b;

	bloom_bits(pid, &a, &b);
	bloom[a / 8] |= (uint8_t)(1 << (a % 8));
	bloom[b / 8] |= (uint8_t)(1 << (b % 8));
}

static bool bloom_maybe(const uint8_t *bloom, int64_t pid)
{
	unsigned int a, b;

	bloom_bits(pid, &a, &b);
	return (bloom[a / 8] & (1 << (a % 8))) && (bloom[b / 8] & (1 << (b % 8)));
}

/* warden_pid_maybe(pids, pid): may the span whose Bloom filter is pids hold pid? */
static void sql_pid_maybe(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const uint8_t *bloom = sqlite3_value_blob(argv[0]);

	(void)argc;
	/* A filter of another size is not ours: it may hold anything. */
	sqlite3_result_int(ctx, !bloom || sqlite3_value_bytes(argv[0]) != SPAN_BLOOM_BYTES ||
					bloom_maybe(bloom, sqlite3_value_int64(argv[1])));
}

static void sql_type_bit(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *t = sqlite3_value_text(argv[0]);

	(void)argc;
	sqlite3_result_int64(ctx, (int64_t)store_type_bit(t ? (const char *)t : ""));
}

/* The aggregates build the spans of events stored before they existed (migration 1 -> 2). */
static void sql_type_bits_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	uint64_t *acc = sqlite3_aggregate_context(ctx, sizeof(*acc));
	const unsigned char *t = sqlite3_value_text(argv[0]);

	(void)argc;
	if (acc)
		*acc |= store_type_bit(t ? (const char *)t : "");
}

static void sql_type_bits_final(sqlite3_context *ctx)
{
	uint64_t *acc = sqlite3_aggregate_context(ctx, 0);

	sqlite3_result_int64(ctx, acc ? (int64_t)*acc : 0);
}

static void sql_pid_bloom_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	uint8_t *bloom = sqlite3_aggregate_context(ctx, SPAN_BLOOM_BYTES);

	(void)argc;
	if (bloom)
		bloom_add(bloom, sqlite3_value_int64(argv[0]));
}

static void sql_pid_bloom_final(sqlite3_context *ctx)
{
	uint8_t *bloom = sqlite3_aggregate_context(ctx, SPAN_BLOOM_BYTES);

	if (bloom)
		sqlite3_result_blob(ctx, bloom, SPAN_BLOOM_BYTES, SQLITE_TRANSIENT);
	else
		sqlite3_result_error_nomem(ctx);
}

static int register_functions(struct store *st)
{
	const int f = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
	int rc = sqlite3_create_function(st->db, "warden_pid_maybe", 2, f, NULL, sql_pid_maybe,
					 NULL, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(st->db, "warden_type_bit", 1, f, NULL, sql_type_bit,
					     NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(st->db, "warden_type_bits", 1, f, NULL, NULL,
					     sql_type_bits_step, sql_type_bits_final);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(st->db, "warden_pid_bloom", 1, f, NULL, NULL,
					     sql_pid_bloom_step, sql_pid_bloom_final);
	return errno_of(st->db, rc);
}

static int meta_get(struct store *st, const char *key, int64_t *iv, uint8_t *blob, size_t blob_len)
{
	sqlite3_stmt *s = st->stmt[S_META_GET];
	int rc, r = -ENOENT;

	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		r = 0;
		if (iv)
			*iv = sqlite3_column_int64(s, 0);
		if (blob) {
			const void *b = sqlite3_column_blob(s, 0);

			if (b && (size_t)sqlite3_column_bytes(s, 0) == blob_len)
				memcpy(blob, b, blob_len);
			else
				r = -EBADMSG;
		}
	} else if (rc != SQLITE_DONE) {
		r = errno_of(st->db, rc);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return r;
}

static int meta_set(struct store *st, const char *key, int64_t iv, const uint8_t *blob,
		    size_t blob_len)
{
	sqlite3_stmt *s = st->stmt[S_META_SET];
	int rc;

	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (blob)
		sqlite3_bind_blob(s, 2, blob, (int)blob_len, SQLITE_STATIC);
	else
		sqlite3_bind_int64(s, 2, iv);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : errno_of(st->db, rc);
}

static int get_pos(struct store *st, const char *id_key, const char *hash_key,
		   struct chain_pos *pos)
{
	int64_t id;
	int r = meta_get(st, id_key, &id, NULL, 0);

	if (!r)
		r = meta_get(st, hash_key, NULL, pos->hash, STORE_HASH_LEN);
	pos->id = (uint64_t)id;
	return r == -ENOENT ? -EBADMSG : r;
}

static int schema_version(struct store *st, int *v)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL);

	if (rc != SQLITE_OK)
		return errno_of(st->db, rc);
	rc = sqlite3_step(s);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : errno_of(st->db, rc);
}

static int migrate(struct store *st)
{
	char sql[64];
	int v, r;

	r = schema_version(st, &v);
	if (r < 0)
		return r;
	if (v > STORE_SCHEMA_VERSION)
		return -EPROTO;
	for (; v < STORE_SCHEMA_VERSION; v++) {
		r = exec_sql(st, "BEGIN IMMEDIATE");
		if (r < 0)
			return r;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		r = exec_sql(st, migrations[v]);
		if (!r)
			r = exec_sql(st, sql);
		if (!r)
			r = exec_sql(st, "COMMIT");
		if (r < 0) {
			exec_sql(st, "ROLLBACK");
			return r;
		}
	}
	return 0;
}

static bool pid_alive(int64_t pid)
{
	return pid > 0 && pid <= INT32_MAX && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/*
 * One writer per database: two would interleave their chains. A previous
 * writer's sessions cannot go on (the session stage starts afresh): they end
 * at their last stored event.
 */
static int claim(struct store *st)
{
	struct timespec ts;
	int64_t owner = 0;
	int r = exec_sql(st, "BEGIN IMMEDIATE");

	if (r < 0)
		return r;
	r = meta_get(st, "owner_pid", &owner, NULL, 0);
	if (r == -ENOENT)
		r = 0;
	if (!r && owner != getpid() && pid_alive(owner))
		r = -EBUSY;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (!r)
		r = meta_set(st, "owner_pid", getpid(), NULL, 0);
	if (!r)
		r = meta_set(st, "owner_since", ts.tv_sec * 1000000000ll + ts.tv_nsec, NULL, 0);
	if (!r)
		r = exec_sql(st, "UPDATE sessions SET end_ts = coalesce((SELECT max(max_ts) FROM"
				 " session_spans WHERE session = sessions.id), start_ts)"
				 " WHERE end_ts IS NULL");
	if (!r)
		r = exec_sql(st, "COMMIT");
	if (r < 0)
		exec_sql(st, "ROLLBACK");
	return r;
}

static int open_db(struct store *st, const char *path, unsigned int flags)
{
	int oflags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	int rc, v, r;

	if (flags & STORE_RDONLY) {
		/* SQLite's "unable to open" says less than errno does. */
		if (access(path, R_OK) < 0)
			return -errno;
		oflags |= SQLITE_OPEN_READONLY;
	} else {
		oflags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	}
	rc = sqlite3_open_v2(path, &st->db, oflags, NULL);
	if (rc != SQLITE_OK)
		return errno_of(st->db, rc);
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
	r = register_functions(st);
	if (r < 0)
		return r;
	if (flags & STORE_RDONLY) {
		r = schema_version(st, &v);
		if (r < 0)
			return r;
		if (v > STORE_SCHEMA_VERSION)
			return -EPROTO;
		if (v < 1)
			return -EBADMSG; /* empty, or not ours: nothing to read */
		if (v < STORE_SCHEMA_VERSION)
			return -EPROTONOSUPPORT; /* a reader cannot migrate it */
		return 0;
	}
	r = batch_init(&st->batch);
	if (r < 0)
		return r;
	/*
	 * Before any table exists; no-ops on an existing database. 16 KiB
	 * pages: a quarter of the write calls of 4 KiB ones for the same
	 * events, and room for a typical event row in one page (checkpoint.h's
	 * CKPT_PAGE_SIZE sizes the WAL in these).
	 */
	r = exec_sql(st, "PRAGMA page_size = 16384");
	if (!r)
		r = exec_sql(st, "PRAGMA auto_vacuum = INCREMENTAL");
	if (!r)
		r = exec_sql(st, "PRAGMA journal_mode = WAL");
	if (!r)
		r = exec_sql(st, "PRAGMA synchronous = NORMAL");
	/*
	 * The process upserts keep a statement journal (a row may be written
	 * twice): in memory, not a temporary file created and unlinked at
	 * every commit.
	 */
	if (!r)
		r = exec_sql(st, "PRAGMA temp_store = MEMORY");
	if (!r)
		r = migrate(st);
	if (!r)
		r = ckpt_start(st->db, path, !(flags & STORE_CKPT_INLINE), &st->ckpt);
	return r;
}

int store_open(const char *path, unsigned int flags, struct store **out, const char **errmsg)
{
	struct store *st;
	int r;

	*out = NULL;
	if (errmsg)
		*errmsg = NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->rdonly = flags & STORE_RDONLY;
	r = open_db(st, path, flags);
	for (int i = 0; !r && i < S_MAX; i++) {
		char *sql = NULL;

		/* A reader needs only the meta lookup. */
		if (st->rdonly && i != S_META_GET)
			continue;
		if (i == S_EVENTS_N)
			sql = values_sql(EVENTS_INSERT, EVENTS_COLS, BATCH_ROWS, "");
		else if (i == S_PROCESS_N)
			sql = values_sql(PROCESS_INSERT, PROCESS_COLS, BATCH_ROWS, PROCESS_UPSERT);
		if ((i == S_EVENTS_N || i == S_PROCESS_N) && !sql) {
			r = -ENOMEM;
			break;
		}
		r = errno_of(st->db,
			     sqlite3_prepare_v3(st->db, sql ? sql : stmt_sql[i], -1,
						SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL));
		free(sql);
	}
	if (!r)
		r = get_pos(st, "head_id", "head_hash", &st->head);
	st->committed = st->head;
	if (!r && !st->rdonly)
		r = claim(st);
	if (r < 0) {
		if (errmsg && st->db)
			*errmsg = sqlite3_errstr(sqlite3_extended_errcode(st->db));
		st->rdonly = true; /* nothing of ours to release in the database */
		store_close(st);
		return r;
	}
	*out = st;
	return 0;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (!st->rdonly) {
		store_commit(st);
		meta_set(st, "owner_pid", 0, NULL, 0);
	}
	/* Before the close, which then (the last connection) copies the rest of the WAL. */
	ckpt_stop(st->ckpt);
	for (int i = 0; i < S_MAX; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	event_json_release(&st->json);
	batch_free(&st->batch);
	free(st);
}

uint64_t store_last_id(const struct store *st)
{
	return st->head.id;
}

static void bind_text_or_null(sqlite3_stmt *s, int i, const char *t)
{
	if (t)
		sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

static int step_done(struct store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : errno_of(st->db, rc);
}

/* Writes the open span's row and its sessions' rows that changed, in the open transaction. */
static int span_write(struct store *st)
{
	struct span *sp = &st->span;
	sqlite3_stmt *s = st->stmt[S_SPAN];
	int r;

	if (!sp->events || !sp->dirty)
		return 0;
	sqlite3_bind_int64(s, 1, (int64_t)sp->first_id);
	sqlite3_bind_int64(s, 2, (int64_t)sp->last_id);
	sqlite3_bind_int64(s, 3, sp->events);
	sqlite3_bind_int64(s, 4, (int64_t)sp->min_ts);
	sqlite3_bind_int64(s, 5, (int64_t)sp->max_ts);
	sqlite3_bind_int64(s, 6, (int64_t)sp->types);
	sqlite3_bind_blob(s, 7, sp->pids, SPAN_BLOOM_BYTES, SQLITE_STATIC);
	r = step_done(st, s);
	for (unsigned int i = 0; !r && i < sp->nsessions; i++) {
		struct span_session *ss = &sp->sessions[i];

		if (!ss->dirty)
			continue;
		s = st->stmt[S_SESSION_SPAN];
		sqlite3_bind_int64(s, 1, (int64_t)ss->session);
		sqlite3_bind_int64(s, 2, (int64_t)ss->first_id);
		sqlite3_bind_int64(s, 3, (int64_t)ss->last_id);
		sqlite3_bind_int64(s, 4, ss->events);
		sqlite3_bind_int64(s, 5, (int64_t)ss->max_ts);
		r = step_done(st, s);
	}
	return r;
}

static void span_clean(struct span *sp)
{
	sp->dirty = false;
	for (unsigned int i = 0; i < sp->nsessions; i++)
		sp->sessions[i].dirty = false;
}

static struct span_session *span_session_find(struct span *sp, uint64_t session)
{
	for (unsigned int i = 0; i < sp->nsessions; i++)
		if (sp->sessions[i].session == session)
			return &sp->sessions[i];
	return NULL;
}

/* Puts the stored event ev into the open span, closing it first when full. 0 or -errno. */
static int span_add(struct store *st, const struct event *ev, const char *type)
{
	struct span *sp = &st->span;
	struct span_session *ss = NULL;
	bool full = sp->events >= SPAN_EVENTS;
	int r;

	if (sp->events && ev->session && !(ss = span_session_find(sp, ev->session)) &&
	    sp->nsessions == SPAN_SESSIONS)
		full = true; /* no room for the session */
	if (full) {
		r = span_write(st);
		if (r < 0)
			return r;
		sp->events = 0;
	}
	if (!sp->events) {
		memset(sp, 0, sizeof(*sp));
		sp->first_id = ev->id;
		sp->min_ts = ev->ts;
		ss = NULL;
	}
	sp->last_id = ev->id;
	sp->events++;
	sp->dirty = true;
	if (ev->ts < sp->min_ts)
		sp->min_ts = ev->ts;
	if (ev->ts > sp->max_ts)
		sp->max_ts = ev->ts;
	sp->types |= store_type_bit(type);
	bloom_add(sp->pids, ev->pid);
	if (!ev->session)
		return 0;
	if (!ss) {
		ss = &sp->sessions[sp->nsessions++];
		*ss = (struct span_session){ .session = ev->session, .first_id = ev->id };
	}
	ss->last_id = ev->id;
	ss->events++;
	if (ev->ts > ss->max_ts)
		ss->max_ts = ev->ts;
	ss->dirty = true;
	return 0;
}

/* Binds event row e, whose line is json, as the statement's row'th of EVENTS_COLS columns. */
static void bind_event_row(sqlite3_stmt *s, int row, const struct batch_event *e, const char *json)
{
	int c = row * EVENTS_COLS;

	sqlite3_bind_int64(s, c + 1, (int64_t)e->id);
	sqlite3_bind_int64(s, c + 2, (int64_t)e->prev_id);
	sqlite3_bind_int64(s, c + 3, (int64_t)e->ts);
	sqlite3_bind_text(s, c + 4, e->type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, c + 5, e->pid);
	sqlite3_bind_int64(s, c + 6, (int64_t)e->session);
	sqlite3_bind_int64(s, c + 7, (int64_t)e->cause);
	sqlite3_bind_text(s, c + 8, json, (int)e->json_len, SQLITE_STATIC);
	sqlite3_bind_blob(s, c + 9, e->hash, STORE_HASH_LEN, SQLITE_STATIC);
}

static void bind_proc_row(struct store *st, sqlite3_stmt *s, int row, const struct batch_proc *p)
{
	const char *text = st->batch.proc_text;
	int c = row * PROCESS_COLS;

	sqlite3_bind_int64(s, c + 1, p->pid);
	sqlite3_bind_int64(s, c + 2, (int64_t)p->start_ns);
	sqlite3_bind_int64(s, c + 3, p->ppid);
	if (p->has_exe)
		sqlite3_bind_text(s, c + 4, text + p->exe_off, (int)p->exe_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, c + 4);
	/* NULL without an exec in the batch: the upsert keys on it (PROCESS_UPSERT). */
	if (p->has_exec)
		sqlite3_bind_text(s, c + 5, text + p->argv_off, (int)p->argv_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, c + 5);
	sqlite3_bind_int64(s, c + 6, (int64_t)p->session);
	sqlite3_bind_int64(s, c + 7, (int64_t)p->first_seen);
	sqlite3_bind_int64(s, c + 8, (int64_t)p->last_seen);
	if (p->has_exit)
		sqlite3_bind_int64(s, c + 9, p->exit_code);
	else
		sqlite3_bind_null(s, c + 9);
}

/* Writes the batch's event rows in the open transaction. 0 or -errno. */
static int batch_flush_events(struct store *st)
{
	const struct batch_event *e = st->batch.events;
	unsigned int n = st->batch.nevents, i = 0;
	int r = 0;

	for (; !r && n - i >= BATCH_ROWS; i += BATCH_ROWS) {
		for (int row = 0; row < BATCH_ROWS; row++)
			bind_event_row(st->stmt[S_EVENTS_N], row, &e[i + (unsigned int)row],
				       st->batch.event_text + e[i + (unsigned int)row].json_off);
		r = step_done(st, st->stmt[S_EVENTS_N]);
	}
	for (; !r && i < n; i++) {
		bind_event_row(st->stmt[S_INSERT], 0, &e[i], st->batch.event_text + e[i].json_off);
		r = step_done(st, st->stmt[S_INSERT]);
	}
	batch_clear_events(&st->batch);
	return r;
}

/* Writes the batch's process rows (BATCH_ROWS a statement, the rest alone). 0 or -errno. */
static int batch_flush_procs(struct store *st)
{
	const struct batch_proc *chunk[BATCH_ROWS];
	int r = 0, k = 0;

	for (unsigned int i = 0; !r && i < st->batch.nprocs; i++) {
		chunk[k++] = &st->batch.procs[st->batch.used[i]];
		if (k == BATCH_ROWS) {
			for (int row = 0; row < k; row++)
				bind_proc_row(st, st->stmt[S_PROCESS_N], row, chunk[row]);
			r = step_done(st, st->stmt[S_PROCESS_N]);
			k = 0;
		}
	}
	for (int row = 0; !r && row < k; row++) {
		bind_proc_row(st, st->stmt[S_PROCESS], 0, chunk[row]);
		r = step_done(st, st->stmt[S_PROCESS]);
	}
	batch_clear_procs(&st->batch);
	return r;
}

int store_begin(struct store *st)
{
	int r;

	if (st->rdonly)
		return -EROFS;
	if (st->in_tx)
		return 0;
	r = exec_sql(st, "BEGIN IMMEDIATE");
	if (!r)
		st->in_tx = true;
	return r;
}

/* The batch is gone: every event in it counts as lost; the chain resumes after the last commit. */
static int fail_batch(struct store *st, int r, unsigned int lost)
{
	if (st->in_tx)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->in_tx = false;
	st->stats.errors += st->pending + lost;
	st->stats.last_err = r;
	st->pending = 0;
	st->pending_bytes = 0;
	st->head = st->committed;
	st->span = st->span_committed;
	batch_clear_events(&st->batch);
	batch_clear_procs(&st->batch);
	return r;
}

int store_commit(struct store *st)
{
	int r;

	if (st->rdonly)
		return -EROFS;
	if (!st->in_tx)
		return 0;
	r = batch_flush_events(st);
	if (!r)
		r = batch_flush_procs(st);
	if (!r)
		r = span_write(st);
	if (!r)
		r = meta_set(st, "head_id", (int64_t)st->head.id, NULL, 0);
	if (!r)
		r = meta_set(st, "head_hash", 0, st->head.hash, STORE_HASH_LEN);
	if (!r)
		r = exec_sql(st, "COMMIT");
	if (r < 0)
		return fail_batch(st, r, 0);
	st->in_tx = false;
	st->stats.events += st->pending;
	st->pending = 0;
	st->pending_bytes = 0;
	st->committed = st->head;
	span_clean(&st->span);
	st->span_committed = st->span;
	return 0;
}

/* Merges a process.* event into its process's row in the batch. 0 or -errno. */
static int proc_add(struct store *st, const struct event *ev)
{
	int r;

	if (!batch_proc_fits(&st->batch, ev)) {
		r = batch_flush_procs(st);
		if (r < 0)
			return r;
	}
	batch_merge_proc(&st->batch, ev);
	return 0;
}

/* process.* events keep the processes table (at commit), session.* the sessions table. */
static int add_side_rows(struct store *st, const struct event *ev)
{
	sqlite3_stmt *s;

	switch (ev->type) {
	case EVENT_PROCESS_FORK:
	case EVENT_PROCESS_EXEC:
	case EVENT_PROCESS_EXIT:
		return proc_add(st, ev);
	case EVENT_SESSION_START:
		s = st->stmt[S_SESSION_START];
		sqlite3_bind_int64(s, 1, (int64_t)ev->id);
		sqlite3_bind_int64(s, 2, ev->pid);
		bind_text_or_null(s, 3, ev->exe);
		sqlite3_bind_text(s, 4, ev->comm, (int)strnlen(ev->comm, sizeof(ev->comm)),
				  SQLITE_STATIC);
		bind_text_or_null(s, 5, ev->sess.agent);
		bind_text_or_null(s, 6, ev->sess.container_id);
		bind_text_or_null(s, 7, ev->sess.pod_uid);
		sqlite3_bind_int64(s, 8, (int64_t)ev->ts);
		return step_done(st, s);
	case EVENT_SESSION_END:
		s = st->stmt[S_SESSION_END];
		sqlite3_bind_int64(s, 1, (int64_t)ev->session);
		sqlite3_bind_int64(s, 2, (int64_t)ev->ts);
		sqlite3_bind_int64(s, 3, (int64_t)ev->sess.processes);
		sqlite3_bind_int64(s, 4, (int64_t)ev->sess.events);
		return step_done(st, s);
	default:
		return 0;
	}
}

/* The event's JSON line, without its newline, in st->json. */
static int format_json(struct store *st, const struct event *ev, size_t *len)
{
	int r;

	/* One huge event should not pin its buffer for the daemon's life. */
	event_json_trim(&st->json);
	st->json_id = 0;
	r = event_format_json(ev, &st->json);
	if (r < 0)
		return r;
	*len = st->json.len;
	if (*len && st->json.buf[*len - 1] == '\n')
		(*len)--;
	st->json_id = ev->id;
	st->json_line_len = *len;
	return 0;
}

const char *store_event_json(const struct store *st, uint64_t id, size_t *len)
{
	if (!st || !id || st->json_id != id)
		return NULL;
	*len = st->json_line_len;
	return st->json.buf;
}

int store_add(struct store *st, const struct event *ev)
{
	sqlite3_stmt *s = st->stmt[S_INSERT];
	uint8_t json_sha[STORE_HASH_LEN];
	struct chain_pos next;
	const char *type;
	size_t len = 0;
	int r;

	if (st->rdonly)
		return -EROFS;
	if (ev->id <= st->head.id) {
		/* The chain needs increasing ids; the caller numbers them. */
		st->stats.errors++;
		st->stats.last_err = -EINVAL;
		return -EINVAL;
	}
	r = format_json(st, ev, &len);
	if (r < 0) {
		st->stats.errors++;
		st->stats.last_err = r;
		return r;
	}
	r = store_begin(st);
	if (r < 0)
		return fail_batch(st, r, 1);
	type = event_type_name(ev->type);
	sha256(st->json.buf, len, json_sha);
	next.id = ev->id;
	row_hash(st->head.hash, st->head.id, ev->id, ev->ts, ev->pid, ev->session, ev->cause, type,
		 json_sha, next.hash);
	{
		struct batch_event row = { .id = ev->id,
					   .prev_id = st->head.id,
					   .ts = ev->ts,
					   .session = ev->session,
					   .cause = ev->cause,
					   .pid = ev->pid,
					   .type = type,
					   .json_len = (uint32_t)len };

		memcpy(row.hash, next.hash, STORE_HASH_LEN);
		if (!batch_event_fits(&st->batch, len))
			r = batch_flush_events(st);
		if (!r && batch_event_fits(&st->batch, len)) {
			batch_add_event(&st->batch, &row, st->json.buf, len);
		} else if (!r) {
			/* Larger than the batch's text: alone, now (the batch before it went first). */
			bind_event_row(s, 0, &row, st->json.buf);
			r = step_done(st, s);
		}
	}
	if (!r)
		r = add_side_rows(st, ev);
	if (!r)
		r = span_add(st, ev, type);
	if (r < 0)
		return fail_batch(st, r, 1);
	st->head = next;
	st->pending_bytes += len;
	if (++st->pending >= STORE_BATCH_MAX || st->pending_bytes >= STORE_TXN_BYTES)
		return store_commit(st);
	return 0;
}

/* Runs sql, which takes one integer parameter (an id, a time), to its end. */
static int exec_sql_u64(struct store *st, const char *sql, uint64_t v)
{
	sqlite3_stmt *s;
	int r = errno_of(st->db, sqlite3_prepare_v2(st->db, sql, -1, &s, NULL));

	if (r < 0)
		return r;
	sqlite3_bind_int64(s, 1, (int64_t)v);
	r = step_done(st, s);
	sqlite3_finalize(s);
	return r;
}

static int pragma_int(struct store *st, const char *sql, int64_t *v)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);

	if (rc != SQLITE_OK)
		return errno_of(st->db, rc);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : errno_of(st->db, rc);
}

/* Bytes the database holds in use (free pages are reused, then vacuumed away). */
static int used_bytes(struct store *st, uint64_t *out)
{
	int64_t pages, free_pages, page_size;
	int r = pragma_int(st, "PRAGMA page_count", &pages);

	if (!r)
		r = pragma_int(st, "PRAGMA freelist_count", &free_pages);
	if (!r)
		r = pragma_int(st, "PRAGMA page_size", &page_size);
	if (!r)
		*out = (uint64_t)(pages - free_pages) * (uint64_t)page_size;
	return r;
}

/* Finds the id prefix to delete: rows older than cutoff, then as many as excess bytes need. */
static int retain_cut(struct store *st, uint64_t cutoff, uint64_t excess, uint64_t row_bytes,
		      unsigned int max_rows, struct chain_pos *cut, uint64_t *cut_ts, uint64_t *n)
{
	sqlite3_stmt *s;
	uint64_t freed = 0;
	int rc;

	rc = sqlite3_prepare_v2(st->db, "SELECT id, ts, hash FROM events ORDER BY id LIMIT ?", -1,
				&s, NULL);
	if (rc != SQLITE_OK)
		return errno_of(st->db, rc);
	sqlite3_bind_int(s, 1, (int)max_rows);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		uint64_t ts = (uint64_t)sqlite3_column_int64(s, 1);

		if (ts >= cutoff && freed >= excess)
			break;
		if (sqlite3_column_bytes(s, 2) != STORE_HASH_LEN) {
			rc = SQLITE_CORRUPT;
			break;
		}
		cut->id = (uint64_t)sqlite3_column_int64(s, 0);
		memcpy(cut->hash, sqlite3_column_blob(s, 2), STORE_HASH_LEN);
		if (ts > *cut_ts)
			*cut_ts = ts;
		freed += row_bytes;
		(*n)++;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : errno_of(st->db, rc);
}

int store_retain(struct store *st, uint64_t now_ns, uint64_t max_age_ns, uint64_t max_bytes,
		 unsigned int max_rows, uint64_t *deleted)
{
	uint64_t cutoff = 0, used = 0, excess = 0, cut_ts = 0, n = 0, row_bytes = 0;
	struct chain_pos cut = {};
	int r;

	if (deleted)
		*deleted = 0;
	if (st->rdonly)
		return -EROFS;
	r = store_commit(st);
	if (r < 0)
		return r;
	if (max_age_ns && now_ns > max_age_ns)
		cutoff = now_ns - max_age_ns;
	r = used_bytes(st, &used);
	if (r < 0)
		return r;
	if (max_bytes && used > max_bytes)
		excess = used - max_bytes;
	if (!cutoff && !excess)
		return 0;
	r = exec_sql(st, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	if (excess) {
		/* What a row costs with its index entries: the database's own average. */
		int64_t rows = 0;

		r = pragma_int(st, "SELECT coalesce(sum(events), 0) FROM spans", &rows);
		row_bytes = rows > 0 ? used / (uint64_t)rows : used;
	}
	if (!r)
		r = retain_cut(st, cutoff, excess, row_bytes ? row_bytes : 1, max_rows, &cut,
			       &cut_ts, &n);
	if (r < 0 || !n)
		goto out;
	r = exec_sql_u64(st, "DELETE FROM events WHERE id <= ?1", cut.id);
	/* The spans before the cut go; the one across it starts after it. */
	if (!r)
		r = exec_sql_u64(st, "DELETE FROM spans WHERE first_id <= ?1 AND last_id <= ?1",
				 cut.id);
	if (!r)
		r = exec_sql_u64(
			st,
			"UPDATE spans SET first_id = ?1 + 1, events = (SELECT count(*) FROM"
			" events WHERE id BETWEEN ?1 + 1 AND spans.last_id) WHERE first_id <= ?1",
			cut.id);
	if (!r)
		r = exec_sql_u64(st,
				 "DELETE FROM session_spans WHERE first_id <= ?1 AND last_id <= ?1",
				 cut.id);
	if (!r)
		r = exec_sql_u64(
			st,
			"UPDATE session_spans SET first_id = ?1 + 1, events = (SELECT count(*)"
			" FROM events e WHERE e.id BETWEEN ?1 + 1 AND session_spans.last_id"
			" AND e.session = session_spans.session) WHERE first_id <= ?1",
			cut.id);
	if (!r)
		r = meta_set(st, "anchor_id", (int64_t)cut.id, NULL, 0);
	if (!r)
		r = meta_set(st, "anchor_hash", 0, cut.hash, STORE_HASH_LEN);
	/* Processes and ended sessions last seen before the kept events go with them. */
	if (!r)
		r = exec_sql_u64(st, "DELETE FROM processes WHERE last_seen <= ?1", cut_ts);
	if (!r)
		r = exec_sql_u64(st, "DELETE FROM sessions WHERE end_ts <= ?1", cut_ts);
out:
	if (r < 0) {
		exec_sql(st, "ROLLBACK");
		return r;
	}
	r = exec_sql(st, "COMMIT");
	if (r < 0) {
		exec_sql(st, "ROLLBACK");
		return r;
	}
	if (st->span.events && st->span.first_id <= cut.id) {
		/* The open span was cut: the next event opens another. */
		st->span.events = 0;
		st->span_committed.events = 0;
	}
	if (n) {
		/* Give the freed pages back to the file system (auto_vacuum = INCREMENTAL). */
		exec_sql(st, "PRAGMA incremental_vacuum");
		st->stats.retained += n;
	}
	if (deleted)
		*deleted = n;
	return 0;
}

int store_redact(struct store *st, uint64_t id, const char *json, size_t len)
{
	uint8_t sha[STORE_HASH_LEN];
	sqlite3_stmt *s = NULL;
	int rc, r;

	if (st->rdonly)
		return -EROFS;
	r = store_commit(st);
	if (!r)
		r = exec_sql(st, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	rc = sqlite3_prepare_v2(st->db, "SELECT json, json_sha FROM events WHERE id = ?", -1, &s,
				NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, (int64_t)id);
		rc = sqlite3_step(s);
	}
	if (rc == SQLITE_ROW) {
		/* Redacting twice keeps the first original's digest. */
		if (sqlite3_column_bytes(s, 1) == STORE_HASH_LEN) {
			memcpy(sha, sqlite3_column_blob(s, 1), STORE_HASH_LEN);
		} else {
			sha256(sqlite3_column_text(s, 0), (size_t)sqlite3_column_bytes(s, 0), sha);
		}
	}
	r = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : errno_of(st->db, rc);
	sqlite3_finalize(s);
	s = NULL;
	if (!r)
		r = errno_of(st->db, sqlite3_prepare_v2(st->db,
							"UPDATE events SET json = ?, redacted = 1,"
							" json_sha = ? WHERE id = ?",
							-1, &s, NULL));
	if (!r) {
		sqlite3_bind_text(s, 1, json, (int)len, SQLITE_STATIC);
		sqlite3_bind_blob(s, 2, sha, STORE_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, (int64_t)id);
		r = step_done(st, s);
	}
	sqlite3_finalize(s);
	if (!r)
		r = exec_sql(st, "COMMIT");
	if (r < 0)
		exec_sql(st, "ROLLBACK");
	return r;
}

struct vrow {
	uint64_t id, prev_id;
	uint8_t hash[STORE_HASH_LEN]; /* stored */
	uint8_t computed[STORE_HASH_LEN]; /* from the row and the chain so far */
	bool redacted;
};

/* Reads the current row of s; prev_hash is the chain's hash before it. */
static void vrow_read(sqlite3_stmt *s, const uint8_t *prev_hash, struct vrow *v)
{
	uint8_t json_sha[STORE_HASH_LEN];
	const char *type = (const char *)sqlite3_column_text(s, 3);

	v->id = (uint64_t)sqlite3_column_int64(s, 0);
	v->prev_id = (uint64_t)sqlite3_column_int64(s, 1);
	v->redacted = sqlite3_column_int(s, 9) != 0;
	if (v->redacted && sqlite3_column_bytes(s, 10) == STORE_HASH_LEN)
		memcpy(json_sha, sqlite3_column_blob(s, 10), STORE_HASH_LEN);
	else
		sha256(sqlite3_column_text(s, 7), (size_t)sqlite3_column_bytes(s, 7), json_sha);
	row_hash(prev_hash, v->prev_id, v->id, (uint64_t)sqlite3_column_int64(s, 2),
		 (uint64_t)sqlite3_column_int64(s, 4), (uint64_t)sqlite3_column_int64(s, 5),
		 (uint64_t)sqlite3_column_int64(s, 6), type ? type : "", json_sha, v->computed);
	memset(v->hash, 0, sizeof(v->hash));
	if (sqlite3_column_bytes(s, 8) == STORE_HASH_LEN)
		memcpy(v->hash, sqlite3_column_blob(s, 8), STORE_HASH_LEN);
}

static int verify_walk(struct store *st, sqlite3_stmt *s, const struct chain_pos *head,
		       struct store_verify_result *res)
{
	struct chain_pos pos;
	struct vrow v;
	int rc;

	if (get_pos(st, "anchor_id", "anchor_hash", &pos) < 0)
		return -EBADMSG;
	res->anchor_id = pos.id;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		vrow_read(s, pos.hash, &v);
		if (v.id > head->id) {
			res->verdict = STORE_VERIFY_INSERTED; /* beyond the last commit */
			res->bad_id = v.id;
			return 0;
		}
		if (v.prev_id > pos.id) {
			res->verdict =
				STORE_VERIFY_DELETED; /* it names a predecessor that is gone */
			res->bad_id = v.prev_id;
			return 0;
		}
		if (v.prev_id < pos.id) {
			/* The row before it was never in the chain (or this row is not). */
			res->verdict = STORE_VERIFY_INSERTED;
			res->bad_id = pos.id > res->anchor_id ? pos.id : v.id;
			return 0;
		}
		if (memcmp(v.computed, v.hash, STORE_HASH_LEN)) {
			struct vrow next;

			/* A row the next one skips over was slipped in, not altered. */
			res->verdict = STORE_VERIFY_ALTERED;
			res->bad_id = v.id;
			if (sqlite3_step(s) == SQLITE_ROW) {
				vrow_read(s, pos.hash, &next);
				if (next.prev_id == v.prev_id)
					res->verdict = STORE_VERIFY_INSERTED;
			}
			return 0;
		}
		pos.id = v.id;
		memcpy(pos.hash, v.hash, STORE_HASH_LEN);
		res->events++;
		res->redacted += v.redacted;
	}
	if (rc != SQLITE_DONE)
		return errno_of(st->db, rc);
	if (pos.id != head->id) {
		res->verdict = STORE_VERIFY_DELETED; /* the tail */
		res->bad_id = head->id;
	} else if (memcmp(pos.hash, head->hash, STORE_HASH_LEN)) {
		res->verdict = STORE_VERIFY_ALTERED;
		res->bad_id = head->id;
	}
	return 0;
}

int store_verify(struct store *st, struct store_verify_result *res)
{
	struct chain_pos head;
	sqlite3_stmt *s = NULL;
	int r;

	*res = (struct store_verify_result){ .verdict = STORE_VERIFY_OK };
	if (st->in_tx) {
		r = store_commit(st);
		if (r < 0)
			return r;
	}
	/* One snapshot: the rows and the head that names them. */
	r = exec_sql(st, "BEGIN");
	if (r < 0)
		return r;
	r = get_pos(st, "head_id", "head_hash", &head);
	if (!r)
		r = errno_of(st->db,
			     sqlite3_prepare_v2(st->db,
						"SELECT id, prev_id, ts, type, pid, session,"
						" cause, json, hash, redacted, json_sha"
						" FROM events ORDER BY id",
						-1, &s, NULL));
	if (!r)
		r = verify_walk(st, s, &head, res);
	sqlite3_finalize(s);
	exec_sql(st, "COMMIT");
	return r;
}

int store_get_owner(struct store *st, int64_t *pid, uint64_t *since_ns)
{
	int64_t since = 0;
	int r = meta_get(st, "owner_pid", pid, NULL, 0);

	if (r == -ENOENT) {
		*pid = 0;
		r = 0;
	}
	if (!r && meta_get(st, "owner_since", &since, NULL, 0) == 0)
		*since_ns = (uint64_t)since;
	return r;
}

int store_checkpoint(struct store *st)
{
	int r = store_commit(st);

	if (r < 0)
		return r;
	return errno_of(st->db, ckpt_full(st->ckpt));
}

void store_get_stats(const struct store *st, struct store_stats *out)
{
	struct ckpt_stats cs;

	*out = st->stats;
	if (!st->ckpt)
		return;
	ckpt_get_stats(st->ckpt, &cs);
	out->checkpoints = cs.background;
	out->checkpoints_writer = cs.writer;
	out->checkpoint_errors = cs.errors;
	out->checkpoint_last_err = cs.last_err;
	out->checkpoint_cpu_ns = cs.thread_cpu_ns;
}

const char *store_errmsg(const struct store *st)
{
	return sqlite3_errmsg(st->db);
}

struct sqlite3 *store_db(struct store *st)
{
	return st->db;
}

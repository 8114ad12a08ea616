// SPDX-License-Identifier: Apache-2.0
/*
 * The pipeline rows' baseline: what SQLite alone does on this machine and
 * disk with the same events. It inserts the JSON lines of a file (replay's
 * output of the same capture) as rows of the store's events table, with the
 * store's pragmas (16 KiB pages, WAL, synchronous=NORMAL), its transaction
 * size and its statements (64 rows to a multi-row INSERT OR FAIL), checkpoints
 * on the same thread as SQLite does by default; no chain hashing, no other
 * table, no decoding.
 * Timed from the first insert to the database closed (the last checkpoint
 * done), as the stored replay is. Prints one JSON line.
 *
 *   sqlite_floor DB EVENTS.jsonl
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ROWS_PER_TXN 4096 /* STORE_BATCH_MAX */
#define ROWS_PER_STMT 64 /* store.c's BATCH_ROWS */
#define COLS 7

struct row {
	const char *json, *type;
	int json_len, type_len;
};

static const char schema[] =
	"PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
	"CREATE TABLE events (id INTEGER PRIMARY KEY, prev_id INTEGER NOT NULL,"
	" ts INTEGER NOT NULL, type TEXT NOT NULL, pid INTEGER NOT NULL,"
	" session INTEGER NOT NULL, cause INTEGER NOT NULL, json TEXT NOT NULL,"
	" hash BLOB NOT NULL, redacted INTEGER NOT NULL DEFAULT 0, json_sha BLOB);";

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The "type" member's value of a JSON line (replay writes it third, unescaped). */
static const char *line_type(const char *line, size_t len, size_t *tlen)
{
	const char *p = memmem(line, len, "\"type\":\"", 8), *e;

	if (!p)
		return NULL;
	p += 8;
	e = memchr(p, '"', len - (size_t)(p - line));
	if (!e)
		return NULL;
	*tlen = (size_t)(e - p);
	return p;
}

/* "INSERT ... VALUES (...), ..." for n rows; NULL when out of memory. */
static char *insert_sql(int n)
{
	static const char head[] = "INSERT OR FAIL INTO events (id, prev_id, ts, type, pid,"
				   " session, cause, json, hash) VALUES ";
	static const char one[] = "(?, ?, ?, ?, ?, 0, 0, ?, ?)";
	char *sql = malloc(sizeof(head) + (size_t)n * sizeof(one));
	char *p = sql;

	if (!sql)
		return NULL;
	p = stpcpy(p, head);
	for (int i = 0; i < n; i++)
		p = stpcpy(stpcpy(p, i ? "," : ""), one);
	return sql;
}

static int prepare_or_say(sqlite3 *db, int n, sqlite3_stmt **out)
{
	char *sql = insert_sql(n);
	int rc;

	if (!sql) {
		fprintf(stderr, "sqlite_floor: %s\n", strerror(ENOMEM));
		return -1;
	}
	rc = sqlite3_prepare_v2(db, sql, -1, out, NULL);
	free(sql);
	if (rc == SQLITE_OK)
		return 0;
	fprintf(stderr, "sqlite_floor: prepare: %s\n", sqlite3_errmsg(db));
	return -1;
}

/* Binds rows[0..n) as the n rows of s, numbered from first, and runs it. */
static int insert_rows(sqlite3 *db, sqlite3_stmt *s, const struct row *rows, int n, uint64_t first)
{
	static const uint8_t hash[32];

	for (int i = 0; i < n; i++) {
		sqlite3_int64 id = (sqlite3_int64)(first + (uint64_t)i);
		int c = i * COLS;

		sqlite3_bind_int64(s, c + 1, id);
		sqlite3_bind_int64(s, c + 2, id - 1);
		sqlite3_bind_int64(s, c + 3, id);
		sqlite3_bind_text(s, c + 4, rows[i].type, rows[i].type_len, SQLITE_STATIC);
		sqlite3_bind_int64(s, c + 5, id % 4096);
		sqlite3_bind_text(s, c + 6, rows[i].json, rows[i].json_len, SQLITE_STATIC);
		sqlite3_bind_blob(s, c + 7, hash, sizeof(hash), SQLITE_STATIC);
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		fprintf(stderr, "sqlite_floor: insert: %s\n", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

static int exec_or_say(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK)
		return 0;
	fprintf(stderr, "sqlite_floor: %s: %s\n", sql, err ? err : "?");
	sqlite3_free(err);
	return -1;
}

int main(int argc, char **argv)
{
	sqlite3_stmt *many = NULL, *one = NULL;
	struct row pend[ROWS_PER_STMT];
	sqlite3 *db = NULL;
	char *map = MAP_FAILED;
	size_t size = 0, off = 0;
	uint64_t rows = 0;
	struct stat sb;
	double t0, t1;
	int fd = -1, rc = 1, npend = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: sqlite_floor DB EVENTS.jsonl\n");
		return 2;
	}
	fd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		fprintf(stderr, "sqlite_floor: %s: %s\n", argv[2], strerror(errno));
		goto cleanup;
	}
	size = (size_t)sb.st_size;
	if (size) {
		map = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
		if (map == MAP_FAILED) {
			fprintf(stderr, "sqlite_floor: mmap %s: %s\n", argv[2], strerror(errno));
			goto cleanup;
		}
	}
	if (sqlite3_open(argv[1], &db) != SQLITE_OK) {
		fprintf(stderr, "sqlite_floor: %s: %s\n", argv[1], sqlite3_errmsg(db));
		goto cleanup;
	}
	if (exec_or_say(db, schema) < 0 || prepare_or_say(db, ROWS_PER_STMT, &many) < 0 ||
	    prepare_or_say(db, 1, &one) < 0)
		goto cleanup;
	t0 = now_s();
	if (exec_or_say(db, "BEGIN") < 0)
		goto cleanup;
	while (off < size) {
		const char *line = map + off, *nl = memchr(line, '\n', size - off), *type;
		size_t len = nl ? (size_t)(nl - line) : size - off, tlen = 0;

		off += len + 1;
		type = line_type(line, len, &tlen);
		if (!type)
			continue; /* not an event line */
		pend[npend++] = (struct row){ line, type, (int)len, (int)tlen };
		rows++;
		if (npend == ROWS_PER_STMT) {
			if (insert_rows(db, many, pend, npend, rows - (uint64_t)npend + 1) < 0)
				goto cleanup;
			npend = 0;
		}
		/* A transaction ends on a statement's last row (4096 is 64 x 64). */
		if (rows % ROWS_PER_TXN == 0 &&
		    (exec_or_say(db, "COMMIT") < 0 || exec_or_say(db, "BEGIN") < 0))
			goto cleanup;
	}
	for (int i = 0; i < npend; i++)
		if (insert_rows(db, one, &pend[i], 1, rows - (uint64_t)(npend - i) + 1) < 0)
			goto cleanup;
	if (exec_or_say(db, "COMMIT") < 0)
		goto cleanup;
	sqlite3_finalize(many);
	sqlite3_finalize(one);
	many = one = NULL;
	/* Closing the last connection checkpoints the WAL into the database file. */
	if (sqlite3_close(db) != SQLITE_OK) {
		fprintf(stderr, "sqlite_floor: close: %s\n", sqlite3_errmsg(db));
		goto cleanup;
	}
	db = NULL;
	t1 = now_s();
	if (!rows) {
		fprintf(stderr, "sqlite_floor: %s holds no event lines\n", argv[2]);
		goto cleanup;
	}
	printf("{\"rows\":%llu,\"seconds\":%.6f,\"rows_per_s\":%.0f}\n", (unsigned long long)rows,
	       t1 - t0, (double)rows / (t1 - t0));
	rc = 0;
cleanup:
	sqlite3_finalize(many);
	sqlite3_finalize(one);
	sqlite3_close(db);
	if (map != MAP_FAILED)
		munmap(map, size);
	if (fd >= 0)
		close(fd);
	return rc;
}

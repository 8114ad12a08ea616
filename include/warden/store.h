/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store: every event wardend writes, in SQLite (WAL), as its JSON line,
 * with the columns the CLI looks things up by (type, pid, session, cause),
 * the sessions and processes those events describe, and a hash chain over
 * the events that makes altered, inserted and deleted rows evident.
 *
 * Writers (wardend) open it read-write and batch: store_add() joins the open
 * transaction (opening one if needed) and store_commit() ends it, so a poll
 * batch costs one WAL append, not one fsync per event. Readers (the warden
 * CLI) open it STORE_RDONLY and see committed batches while wardend writes.
 *
 * The chain. Each event row holds prev_id, the id of the stored event before
 * it (0 for the first one ever), and
 *
 *   hash = SHA-256(prev_hash[32] || be64(prev_id) || be64(id) || be64(ts) ||
 *                  be64(pid) || be64(session) || be64(cause) ||
 *                  type || 0x00 || SHA-256(json)[32])
 *
 * where prev_hash is the previous row's hash (32 zero bytes before the first
 * one), type is the event type name and json is the stored line (without
 * its newline). Event ids need not be contiguous (wardend numbers events it
 * does not store, such as raw TLS chunks without --raw-tls): prev_id records
 * each gap explicitly, so a deleted row shows as a row whose prev_id names an
 * id that is not there. The meta table holds the anchor (id and hash of the
 * last row retention deleted; verification starts from it) and the head (id
 * and hash of the last row committed; verification ends at it).
 *
 * Redaction replaces a row's json and keeps SHA-256 of the original in the
 * row (json_sha): verify uses that digest for redacted rows, so the chain
 * still verifies and the redacted rows are counted, but their new text is
 * not (and cannot be) checked against the original.
 *
 * The chain is keyless: it shows edits made with sqlite3 and the like, not
 * an attacker who recomputes every later hash and the meta rows.
 */
#ifndef WARDEN_STORE_H
#define WARDEN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event;
struct sqlite3;

#define STORE_DEFAULT_PATH "/var/lib/warden/warden.db"
#define STORE_SCHEMA_VERSION 2
/* store_add() commits itself at this many events or this much JSON, whichever comes first. */
#define STORE_BATCH_MAX 4096
/*
 * Then a transaction's new pages stay in SQLite's page cache (2 MiB by
 * default) until the commit writes them once; past it, pages spill to the
 * WAL mid-transaction and are written again. With 4 KiB prompts 256 KiB
 * measured fastest (1 MiB: 15% slower, 64 KiB: 40%).
 */
#define STORE_TXN_BYTES (256u << 10)
#define STORE_HASH_LEN 32

enum store_flags {
	STORE_RDONLY = 1 << 0, /* the CLI: never writes, never creates */
	/* WAL checkpoints inside the commits, as SQLite's own (the fallback without a thread). */
	STORE_CKPT_INLINE = 1 << 1,
};

struct store;

struct store_stats {
	uint64_t events; /* stored (committed) by this handle */
	uint64_t errors; /* events lost to failed writes */
	uint64_t retained; /* rows deleted by retention */
	int last_err; /* -errno of the last failure, 0 none */
	/* WAL checkpoints (src/store/checkpoint.h): by the thread, by the writer, failed. */
	uint64_t checkpoints, checkpoints_writer, checkpoint_errors;
	int checkpoint_last_err;
	uint64_t checkpoint_cpu_ns; /* the checkpoint thread's CPU time */
};

/*
 * Opens the store at path; read-write creates the file (not the directory)
 * and migrates the schema. 0, or -errno: -ENOENT (no such file), -EACCES,
 * -EPROTO (a schema newer than this build), -EPROTONOSUPPORT (STORE_RDONLY:
 * an older schema, which only a writer migrates), -EBADMSG (not a Warden
 * database), -EIO (other SQLite failures); *errmsg (may be NULL) then gets
 * SQLite's static text for it.
 */
int store_open(const char *path, unsigned int flags, struct store **out, const char **errmsg);
/* Commits what is pending. Accepts NULL. */
void store_close(struct store *st);

/* The largest stored event id (0: none): wardend numbers from the one after it. */
uint64_t store_last_id(const struct store *st);

/*
 * Commits, then copies the whole WAL into the database file, waiting for the
 * checkpoint thread's pass if one runs: everything stored is in the file.
 * For a benchmark's end; wardend's stop does the same in store_close().
 * 0 or -errno (-EBUSY: a reader held the WAL).
 */
int store_checkpoint(struct store *st);

/* Joins events into one transaction until store_commit(); 0 or -errno. */
int store_begin(struct store *st);
/*
 * Ends the batch. On failure the batch is rolled back, its events counted
 * in errors, and the chain continues from the last committed row (the lost
 * ids are then a gap like any other). 0 or -errno.
 */
int store_commit(struct store *st);
/* Stores one event (numbered already): row, chain, sessions, processes. 0 or -errno. */
int store_add(struct store *st, const struct event *ev);
/*
 * The JSON line (no newline) store_add() just formatted for event id, so a
 * caller that also prints the event need not format it again; NULL when the
 * last event formatted was another (or none). Valid until the next store_add().
 */
const char *store_event_json(const struct store *st, uint64_t id, size_t *len);

/*
 * Retention: deletes the oldest events (in id order) older than max_age_ns
 * before now_ns or beyond max_bytes of database, at most max_rows per call,
 * in its own transaction, moving the chain anchor past them. 0 or -errno;
 * *deleted (may be NULL) gets the number of rows removed.
 */
int store_retain(struct store *st, uint64_t now_ns, uint64_t max_age_ns, uint64_t max_bytes,
		 unsigned int max_rows, uint64_t *deleted);

/* Replaces event id's json with a redacted copy, keeping the chain verifiable. 0, -ENOENT. */
int store_redact(struct store *st, uint64_t id, const char *json, size_t len);

enum store_verdict {
	STORE_VERIFY_OK,
	STORE_VERIFY_ALTERED, /* bad_id's row does not hash to its stored hash */
	STORE_VERIFY_DELETED, /* bad_id was in the chain and is gone */
	STORE_VERIFY_INSERTED, /* bad_id's row was never in the chain */
};

struct store_verify_result {
	enum store_verdict verdict;
	uint64_t bad_id;
	uint64_t events; /* rows verified */
	uint64_t redacted; /* of which redacted */
	uint64_t anchor_id; /* where verification started */
};

/* Walks the chain in one read transaction. 0 (see res->verdict) or -errno. */
int store_verify(struct store *st, struct store_verify_result *res);

/* Daemon liveness for 'warden status': wardend records its pid on open. */
int store_get_owner(struct store *st, int64_t *pid, uint64_t *since_ns);

/*
 * Lookups. Events have no per-row indexes besides their id: readers find
 * them through spans (runs of consecutive events with their id and time
 * ranges, a mask of their types and a Bloom filter of their pids) and
 * session_spans (each session's id range in each span), then read the rows
 * by id. The SQL functions warden_pid_maybe(spans.pids, pid) and
 * warden_type_bit(type) are registered on every handle's connection;
 * store_type_bit() is the same bit for binding.
 */
uint64_t store_type_bit(const char *type);

void store_get_stats(const struct store *st, struct store_stats *out);
/* SQLite's text for the last failure on st. */
const char *store_errmsg(const struct store *st);
/* The connection, for the CLI's read-only queries. */
struct sqlite3 *store_db(struct store *st);

#endif

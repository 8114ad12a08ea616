/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A store transaction's rows, held in memory and written in bulk (store.c:
 * multi-row INSERT statements), instead of one bind/step/reset per row:
 * per row, SQLite's statement work cost as much as the insert itself. A
 * process's fork, exec and exit events of one transaction merge into one
 * row.
 *
 * Internal to src/store/: store.c owns a batch and flushes it inside its
 * transaction.
 */
#ifndef WARDEN_STORE_BATCH_H
#define WARDEN_STORE_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden/store.h"

struct event;

#define BATCH_EVENTS 512 /* event rows held before they are written */
#define BATCH_EVENT_TEXT (4 << 20) /* their JSON bytes; a larger line is written alone */
#define BATCH_PROC_SLOTS 8192 /* a power of two, twice STORE_BATCH_MAX; at most 65536 */
#define BATCH_PROC_TEXT (1 << 20) /* exe and argv bytes */
#define BATCH_ARGV_MAX 4096 /* argv bytes kept for a process row */

struct batch_event {
	uint64_t id, prev_id, ts, session, cause;
	int64_t pid;
	const char *type; /* static: event_type_name() */
	size_t json_off;
	uint32_t json_len;
	uint8_t hash[STORE_HASH_LEN];
};

/* A process's fork, exec and exit events of one transaction, merged into one row. */
struct batch_proc {
	int64_t pid; /* 0: a free slot */
	uint64_t start_ns, first_seen, last_seen, session;
	int64_t ppid, exit_code;
	uint32_t exe_off, exe_len, argv_off, argv_len; /* in proc_text */
	bool has_exec, has_exe, has_exit;
};

struct store_batch {
	struct batch_event *events;
	unsigned int nevents;
	char *event_text;
	size_t event_text_len;
	struct batch_proc *procs; /* BATCH_PROC_SLOTS, open addressing by (pid, start) */
	uint16_t *used; /* the slots in use, in the order they were taken */
	unsigned int nprocs;
	char *proc_text;
	size_t proc_text_len;
};

/* Allocates b's buffers (once, for the store's life); 0 or -ENOMEM. */
int batch_init(struct store_batch *b);
/* Frees them. Accepts NULL. */
void batch_free(struct store_batch *b);

/* Can an event row with len JSON bytes join? (If not, write the batch's first.) */
bool batch_event_fits(const struct store_batch *b, size_t len);
/* Adds it (the caller checked it fits); row->json_off is set here. */
void batch_add_event(struct store_batch *b, const struct batch_event *row, const char *json,
		     size_t len);
void batch_clear_events(struct store_batch *b);

/* Can the process.* event ev be merged in? (If not, write the process rows first.) */
bool batch_proc_fits(const struct store_batch *b, const struct event *ev);
/* Merges ev (a process.* event that fits) into its process's row. */
void batch_merge_proc(struct store_batch *b, const struct event *ev);
void batch_clear_procs(struct store_batch *b);

#endif

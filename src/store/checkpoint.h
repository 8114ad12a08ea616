/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store's WAL checkpoints, on a thread of their own. A checkpoint
 * copies the WAL's pages into the database file and syncs both: with
 * SQLite's automatic checkpoints that ran inside the commit that crossed
 * 1,000 pages, so the writer (wardend's event loop) stopped for the copy
 * and two fdatasync() calls, however slow the disk: a quarter of its time
 * at full rate, and a stall of the ring buffer's reader whenever the disk
 * is busy.
 *
 * Here a thread with its own connection runs PASSIVE checkpoints (they
 * never block the writer) once the WAL passes CKPT_FRAMES, and again each
 * time it has grown by CKPT_STEP_FRAMES: not after every commit, as each
 * pass syncs both files (a million stored events: 444 passes and 546
 * fdatasync() calls that way, 70 to 84 and 123 this way, and half the
 * thread's CPU). Within CKPT_STEP_FRAMES of CKPT_WAL_MAX_FRAMES it passes
 * after every commit again, so the writer's copy there finds little left.
 *
 * A passive checkpoint cannot end the WAL while the writer keeps
 * appending, and SQLite only rewinds a WAL that is wholly copied when a
 * write transaction begins: so once the WAL passes CKPT_WAL_MAX_FRAMES,
 * the writer copies what is left itself, right after its commit, and the
 * next transaction starts the WAL again. If the thread's pass makes that
 * copy busy, the next commit tries again; at CKPT_WAL_HARD_FRAMES the
 * writer waits for the pass: a disk that cannot keep up slows the writer
 * down rather than let the WAL grow without bound.
 *
 * Internal to src/store/: store.c starts it for a read-write store.
 */
#ifndef WARDEN_STORE_CHECKPOINT_H
#define WARDEN_STORE_CHECKPOINT_H

#include <stdbool.h>
#include <stdint.h>

struct sqlite3;

#define CKPT_PAGE_SIZE 16384 /* store.c's page size */
#define CKPT_FRAMES 1000 /* SQLite's own threshold: 16 MiB of 16 KiB pages */
#define CKPT_STEP_FRAMES 256 /* 4 MiB more WAL between the thread's passes */
#define CKPT_WAL_MAX_FRAMES 4096 /* 64 MiB: the writer copies the rest and the WAL restarts */
#define CKPT_WAL_HARD_FRAMES 8192 /* 128 MiB: the writer waits out the thread's pass first */

struct ckpt;

struct ckpt_stats {
	uint64_t background; /* checkpoints the thread ran */
	uint64_t writer; /* the writer's, at CKPT_WAL_MAX_FRAMES (or all, without a thread) */
	uint64_t busy; /* passes that found another checkpoint running */
	uint64_t errors; /* checkpoints that failed (I/O); the WAL keeps the data */
	uint64_t thread_cpu_ns; /* the thread's CPU time */
	int last_err; /* -errno of the last failure, 0 none */
};

/*
 * Starts checkpointing the database at path, whose writer connection is db
 * (in WAL mode), by installing db's WAL hook. Without threaded, or when no
 * thread can be had (SQLite built without threads, no memory), the writer
 * checkpoints inline at CKPT_FRAMES as SQLite would: *out is still set.
 * 0 or -errno.
 */
int ckpt_start(struct sqlite3 *db, const char *path, bool threaded, struct ckpt **out);
/* Unhooks the writer, stops and joins the thread: before the writer's connection closes. Accepts NULL. */
void ckpt_stop(struct ckpt *c);
/*
 * Copies the whole WAL on the writer's connection (SQLITE_CHECKPOINT_FULL:
 * waits for readers up to its busy timeout), after the thread's pass, if
 * one runs. An SQLite result code.
 */
int ckpt_full(struct ckpt *c);
void ckpt_get_stats(struct ckpt *c, struct ckpt_stats *out);
/*
 * Is the thread's pass due, now that a commit left the WAL frames long and
 * the writer last asked for one at *asked_frames? From CKPT_FRAMES on, each
 * CKPT_STEP_FRAMES, and after every commit within CKPT_STEP_FRAMES of
 * CKPT_WAL_MAX_FRAMES. A WAL shorter than *asked_frames restarted: the
 * count starts over (*asked_frames = 0). Called after every commit.
 */
bool ckpt_pass_due(int *asked_frames, int frames);

#endif

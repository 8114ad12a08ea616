// SPDX-License-Identifier: Apache-2.0
/*
 * WAL checkpoints off the writer's thread: see checkpoint.h. The writer's
 * side is the WAL hook, which SQLite calls after each commit with the WAL's
 * length in pages; the thread's side waits for it on a condition variable.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "checkpoint.h"

struct ckpt {
	sqlite3 *db; /* the thread's own connection */
	sqlite3 *writer; /* the connection whose WAL hook this is */
	pthread_t thread;
	bool running; /* the thread exists: else the writer checkpoints at CKPT_FRAMES */
	int asked_frames; /* the WAL's length when the writer last asked for a pass; the writer's */
	pthread_mutex_t lock; /* guards everything below */
	pthread_cond_t wake; /* the thread's: a request, or stop */
	pthread_cond_t idle; /* the writer's: a pass ended */
	bool requested, stopping, in_pass;
	struct ckpt_stats stats;
};

/* Counts one checkpoint's result, under c->lock, in *done when it ran. */
static void count_result(struct ckpt *c, int rc, uint64_t *done)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
		(*done)++;
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		c->stats.busy++; /* the other side's checkpoint is running: it does the work */
		break;
	default:
		c->stats.errors++;
		c->stats.last_err = (rc & 0xff) == SQLITE_FULL ? -ENOSPC : -EIO;
	}
}

static void *ckpt_main(void *arg)
{
	struct ckpt *c = arg;
	struct timespec cpu;
	int rc;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->requested && !c->stopping)
			pthread_cond_wait(&c->wake, &c->lock);
		if (c->stopping)
			break;
		c->requested = false;
		c->in_pass = true;
		pthread_mutex_unlock(&c->lock);
		rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
		pthread_mutex_lock(&c->lock);
		count_result(c, rc, &c->stats.background);
		c->stats.thread_cpu_ns = (uint64_t)cpu.tv_sec * 1000000000u + (uint64_t)cpu.tv_nsec;
		c->in_pass = false;
		pthread_cond_broadcast(&c->idle);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

bool ckpt_pass_due(int *asked_frames, int frames)
{
	if (frames < *asked_frames)
		*asked_frames = 0; /* the WAL restarted */
	if (frames < CKPT_FRAMES)
		return false;
	/* Near the writer's copy, after every commit: the thread leaves it little to do. */
	return frames >= *asked_frames + CKPT_STEP_FRAMES ||
	       frames >= CKPT_WAL_MAX_FRAMES - CKPT_STEP_FRAMES;
}

/* After every commit of the writer's connection, on its thread. */
static int ckpt_wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct ckpt *c = arg;
	/* On every commit, however short the WAL: a restart is seen at its first. */
	bool due = ckpt_pass_due(&c->asked_frames, frames);
	int rc;

	if (frames < CKPT_FRAMES)
		return SQLITE_OK;
	pthread_mutex_lock(&c->lock);
	if (!c->running || frames >= CKPT_WAL_MAX_FRAMES) {
		/*
		 * Under the lock, the thread starts no pass. One under way makes
		 * this one busy, and the next commit tries again; unless the WAL
		 * reached the hard limit, where the writer waits for the disk.
		 */
		while (frames >= CKPT_WAL_HARD_FRAMES && c->in_pass)
			pthread_cond_wait(&c->idle, &c->lock);
		rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		count_result(c, rc, &c->stats.writer);
	} else if (!c->requested && due) {
		c->requested = true;
		c->asked_frames = frames;
		pthread_cond_signal(&c->wake);
	}
	pthread_mutex_unlock(&c->lock);
	return SQLITE_OK; /* the commit stands whatever the checkpoint did */
}

/* The thread and its connection; on failure the caller checkpoints inline. */
static int start_thread(struct ckpt *c, const char *path)
{
	sigset_t all, old;
	int r;

	if (!sqlite3_threadsafe())
		return -ENOTSUP;
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		return -EIO;
	sqlite3_busy_timeout(c->db, 5000);
	/* Reads the header: the connection knows the WAL before its first checkpoint. */
	if (sqlite3_exec(c->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK)
		return -EIO;
	/* Signals stay with wardend's signalfd: the thread takes none. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = -pthread_create(&c->thread, NULL, ckpt_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0)
		return r;
	pthread_setname_np(c->thread, "warden-ckpt");
	c->running = true;
	return 0;
}

int ckpt_start(sqlite3 *db, const char *path, bool threaded, struct ckpt **out)
{
	struct ckpt *c = calloc(1, sizeof(*c));
	char sql[64];

	*out = NULL;
	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	pthread_cond_init(&c->idle, NULL);
	c->writer = db;
	/* A WAL a lagging disk let grow to CKPT_WAL_HARD_FRAMES shrinks back when it restarts. */
	snprintf(sql, sizeof(sql), "PRAGMA journal_size_limit = %llu",
		 (unsigned long long)CKPT_WAL_MAX_FRAMES * CKPT_PAGE_SIZE);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		ckpt_stop(c);
		return -EIO;
	}
	if (threaded && start_thread(c, path) < 0) {
		sqlite3_close(c->db); /* accepts NULL */
		c->db = NULL;
	}
	/* Replaces SQLite's automatic checkpoint, which is this same hook. */
	sqlite3_wal_hook(db, ckpt_wal_hook, c);
	*out = c;
	return 0;
}

void ckpt_stop(struct ckpt *c)
{
	if (!c)
		return;
	sqlite3_wal_hook(c->writer, NULL, NULL);
	if (c->running) {
		pthread_mutex_lock(&c->lock);
		c->stopping = true;
		pthread_cond_signal(&c->wake);
		pthread_mutex_unlock(&c->lock);
		pthread_join(c->thread, NULL);
	}
	sqlite3_close(c->db);
	pthread_cond_destroy(&c->wake);
	pthread_cond_destroy(&c->idle);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int ckpt_full(struct ckpt *c)
{
	int rc;

	/*
	 * A second checkpoint is refused (SQLITE_BUSY) rather than queued:
	 * wait out the thread's pass, and hold the lock so it starts no other.
	 */
	pthread_mutex_lock(&c->lock);
	while (c->in_pass)
		pthread_cond_wait(&c->idle, &c->lock);
	rc = sqlite3_wal_checkpoint_v2(c->writer, NULL, SQLITE_CHECKPOINT_FULL, NULL, NULL);
	count_result(c, rc, &c->stats.writer);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void ckpt_get_stats(struct ckpt *c, struct ckpt_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	pthread_mutex_unlock(&c->lock);
}

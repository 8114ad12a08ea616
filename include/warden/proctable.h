/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The process table: what Warden knows of every live process (parent, exe,
 * argv), filled from /proc at start-up and kept current by fork/exec/exit
 * events. A process is (pid, start time): an entry whose start time differs
 * from the event's belongs to a dead process whose pid was reused.
 * Fixed capacity, preallocated: a fork storm cannot make us allocate.
 */
#ifndef WARDEN_PROCTABLE_H
#define WARDEN_PROCTABLE_H

#include <stddef.h>
#include <stdint.h>

struct event;

#define PROC_CMDLINE_MAX 4096
#define PROC_EXE_MAX 4096

struct proc_entry {
	uint32_t pid;
	uint32_t ppid;
	uint64_t start_ticks; /* clock ticks since boot, as /proc/PID/stat field 22 */
	char comm[17];
	char *exe; /* NULL when unknown */
	char *cmdline; /* NUL-separated argv */
	uint32_t cmdline_len;
	int32_t next; /* hash chain / free list */
};

struct proctable;

struct proctable_stats {
	uint64_t live;
	uint64_t full; /* processes not tracked because the table was full */
	uint64_t stale; /* entries replaced because their pid was reused */
	uint64_t proc_lookups; /* processes read from /proc on a miss */
};

int proctable_new(unsigned int capacity, const char *proc_root, struct proctable **out);
void proctable_free(struct proctable *pt);

/* The entry for pid if its start time matches (start_ticks 0: any). */
struct proc_entry *proctable_find(struct proctable *pt, uint32_t pid, uint64_t start_ticks);
/* The entry for (pid, start), created or reset; NULL when the table is full. */
struct proc_entry *proctable_upsert(struct proctable *pt, uint32_t pid, uint64_t start_ticks);
void proctable_remove(struct proctable *pt, uint32_t pid);
int proctable_set_exe(struct proc_entry *e, const char *exe);
int proctable_set_cmdline(struct proc_entry *e, const char *args, size_t len);

/* Kernel start_boottime ns -> ticks, as /proc reports them. */
uint64_t proctable_ns_to_ticks(const struct proctable *pt, uint64_t ns);

/* Read every process under proc_root; returns how many were added, or -errno. */
int proctable_scan(struct proctable *pt);
/* Call fn for every process in the table, in no order; stops at fn's non-zero return. */
int proctable_foreach(struct proctable *pt, int (*fn)(struct proc_entry *e, void *arg), void *arg);
/* Read one process from proc_root into the table; 0 or -errno. */
int proctable_load_pid(struct proctable *pt, uint32_t pid, struct proc_entry **out);

/*
 * Bring the table up to date with ev and fill ev->exe. Call before the event
 * is handed on; call proctable_event_done() after it was.
 */
void proctable_apply(struct proctable *pt, struct event *ev);
void proctable_event_done(struct proctable *pt, const struct event *ev);

void proctable_get_stats(const struct proctable *pt, struct proctable_stats *out);

/* /proc parsing, exposed for tests. */
struct procfs_stat {
	uint32_t pid;
	uint32_t ppid;
	char comm[17];
	char state;
	uint64_t start_ticks;
};
int procfs_parse_stat(const char *buf, size_t len, struct procfs_stat *out);

#endif

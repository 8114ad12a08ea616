// SPDX-License-Identifier: Apache-2.0
/* The process table and /proc parsing. See proctable.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "warden/event.h"
#include "warden/parse.h"
#include "warden/proctable.h"

struct proctable {
	struct proc_entry *pool;
	int32_t *buckets;
	uint32_t nbuckets; /* power of two */
	uint32_t capacity;
	int32_t free_head; /* entries removed, for reuse; -1: none */
	/*
	 * Entries handed out at least once: [0, used). The rest of the pool is
	 * calloc's untouched zero pages until the load needs them.
	 */
	uint32_t used;
	uint64_t ns_per_tick;
	char proc_root[256];
	struct proctable_stats stats;
};

static uint32_t bucket_of(const struct proctable *pt, uint32_t pid)
{
	return (pid * 2654435761u) & (pt->nbuckets - 1);
}

int proctable_new(unsigned int capacity, const char *proc_root, struct proctable **out)
{
	struct proctable *pt = NULL;
	long hz = sysconf(_SC_CLK_TCK);
	int r = -ENOMEM;

	*out = NULL;
	if (!capacity || capacity > (1u << 24) || strlen(proc_root) >= sizeof(pt->proc_root))
		return -EINVAL;
	pt = calloc(1, sizeof(*pt));
	if (!pt)
		goto cleanup;
	pt->capacity = capacity;
	for (pt->nbuckets = 1; pt->nbuckets < capacity * 2; pt->nbuckets <<= 1)
		;
	pt->pool = calloc(capacity, sizeof(*pt->pool));
	pt->buckets = malloc(pt->nbuckets * sizeof(*pt->buckets));
	if (!pt->pool || !pt->buckets)
		goto cleanup;
	for (uint32_t i = 0; i < pt->nbuckets; i++)
		pt->buckets[i] = -1;
	pt->free_head = -1;
	pt->ns_per_tick = 1000000000ull / (uint64_t)(hz > 0 ? hz : 100);
	strcpy(pt->proc_root, proc_root);
	*out = pt;
	pt = NULL;
	r = 0;
cleanup:
	proctable_free(pt);
	return r;
}

void proctable_free(struct proctable *pt)
{
	if (!pt)
		return;
	if (pt->pool) {
		for (uint32_t i = 0; i < pt->used; i++) {
			free(pt->pool[i].exe);
			free(pt->pool[i].cmdline);
		}
	}
	free(pt->pool);
	free(pt->buckets);
	free(pt);
}

uint64_t proctable_ns_to_ticks(const struct proctable *pt, uint64_t ns)
{
	return ns / pt->ns_per_tick;
}

static int32_t *chain_slot(struct proctable *pt, uint32_t pid)
{
	int32_t *slot = &pt->buckets[bucket_of(pt, pid)];

	while (*slot >= 0 && pt->pool[*slot].pid != pid)
		slot = &pt->pool[*slot].next;
	return slot;
}

struct proc_entry *proctable_find(struct proctable *pt, uint32_t pid, uint64_t start_ticks)
{
	int32_t i = *chain_slot(pt, pid);

	if (i < 0)
		return NULL;
	if (start_ticks && pt->pool[i].start_ticks != start_ticks)
		return NULL;
	return &pt->pool[i];
}

static void entry_clear(struct proc_entry *e)
{
	free(e->exe);
	free(e->cmdline);
	e->exe = NULL;
	e->cmdline = NULL;
	e->cmdline_len = 0;
	e->comm[0] = 0;
	e->ppid = 0;
}

struct proc_entry *proctable_upsert(struct proctable *pt, uint32_t pid, uint64_t start_ticks)
{
	int32_t *slot = chain_slot(pt, pid);
	struct proc_entry *e;
	int32_t i;

	if (*slot >= 0) {
		e = &pt->pool[*slot];
		if (e->start_ticks != start_ticks) {
			entry_clear(e);
			e->start_ticks = start_ticks;
			pt->stats.stale++;
		}
		return e;
	}
	if (pt->free_head >= 0) {
		i = pt->free_head;
		pt->free_head = pt->pool[i].next;
	} else if (pt->used < pt->capacity) {
		i = pt->used++;
	} else {
		pt->stats.full++;
		return NULL;
	}
	e = &pt->pool[i];
	e->pid = pid;
	e->start_ticks = start_ticks;
	e->next = -1;
	*slot = i;
	pt->stats.live++;
	return e;
}

void proctable_remove(struct proctable *pt, uint32_t pid)
{
	int32_t *slot = chain_slot(pt, pid);
	int32_t i = *slot;

	if (i < 0)
		return;
	*slot = pt->pool[i].next;
	entry_clear(&pt->pool[i]);
	pt->pool[i].pid = 0;
	pt->pool[i].next = pt->free_head;
	pt->free_head = i;
	pt->stats.live--;
}

int proctable_set_exe(struct proc_entry *e, const char *exe)
{
	char *dup = strndup(exe, PROC_EXE_MAX);

	if (!dup)
		return -ENOMEM;
	free(e->exe);
	e->exe = dup;
	return 0;
}

int proctable_set_cmdline(struct proc_entry *e, const char *args, size_t len)
{
	char *dup;

	if (len > PROC_CMDLINE_MAX)
		len = PROC_CMDLINE_MAX;
	dup = malloc(len + 1);
	if (!dup)
		return -ENOMEM;
	memcpy(dup, args, len);
	dup[len] = 0;
	free(e->cmdline);
	e->cmdline = dup;
	e->cmdline_len = len;
	return 0;
}

/*
 * "pid (comm) state ppid ... starttime ...". comm may hold spaces and ')',
 * so the fields after it are found from the last ')'. buf need not be
 * NUL-terminated: nothing past buf + len is read.
 */
int procfs_parse_stat(const char *buf, size_t len, struct procfs_stat *out)
{
	const char *open, *close = NULL, *p, *end = buf + len;
	uint64_t v;
	int field;

	memset(out, 0, sizeof(*out));
	open = memchr(buf, '(', len);
	for (p = buf; p < end; p++)
		if (*p == ')')
			close = p;
	if (!open || !close || close < open || close + 2 >= end)
		return -EINVAL;
	if (!parse_u64_span(buf, open, &v) || v == 0 || v > UINT32_MAX)
		return -EINVAL;
	out->pid = v;
	len = close - open - 1;
	if (len > sizeof(out->comm) - 1)
		len = sizeof(out->comm) - 1;
	memcpy(out->comm, open + 1, len);
	out->comm[len] = 0;
	p = close + 2; /* field 3: state */
	out->state = *p;
	for (field = 3; field < 22; field++) {
		p = memchr(p, ' ', end - p);
		if (!p || ++p >= end)
			return -EINVAL;
		if (field + 1 == 4 || field + 1 == 22) {
			/* ppid and starttime are never negative. */
			if (!parse_u64_span(p, end, &v))
				return -EINVAL;
			if (field + 1 == 4) {
				if (v > UINT32_MAX)
					return -EINVAL;
				out->ppid = v;
			} else {
				out->start_ticks = v;
			}
		}
	}
	return 0;
}

static ssize_t read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, total = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)total < size) {
		n = read(fd, buf + total, size - total);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			total = -errno;
			break;
		}
		if (n == 0)
			break;
		total += n;
	}
	close(fd);
	return total;
}

int proctable_load_pid(struct proctable *pt, uint32_t pid, struct proc_entry **out)
{
	char path[320], buf[PROC_CMDLINE_MAX];
	struct procfs_stat st;
	struct proc_entry *e;
	ssize_t n;
	int r;

	if (out)
		*out = NULL;
	snprintf(path, sizeof(path), "%s/%u/stat", pt->proc_root, pid);
	n = read_file(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return n;
	r = procfs_parse_stat(buf, n, &st);
	if (r < 0)
		return r;
	pt->stats.proc_lookups++;
	e = proctable_upsert(pt, pid, st.start_ticks);
	if (!e)
		return -ENOSPC;
	e->ppid = st.ppid;
	memcpy(e->comm, st.comm, sizeof(e->comm));

	snprintf(path, sizeof(path), "%s/%u/exe", pt->proc_root, pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = 0;
		r = proctable_set_exe(e, buf);
		if (r < 0)
			return r;
	}
	snprintf(path, sizeof(path), "%s/%u/cmdline", pt->proc_root, pid);
	n = read_file(path, buf, sizeof(buf));
	if (n > 0) {
		r = proctable_set_cmdline(e, buf, n);
		if (r < 0)
			return r;
	}
	if (out)
		*out = e;
	return 0;
}

int proctable_scan(struct proctable *pt)
{
	DIR *d = opendir(pt->proc_root);
	struct dirent *de;
	int added = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);

		if (*end || !pid || pid > UINT32_MAX)
			continue;
		/* A process may be gone by now, or the table full: keep going. */
		if (proctable_load_pid(pt, pid, NULL) == 0)
			added++;
	}
	closedir(d);
	return added;
}

int proctable_foreach(struct proctable *pt, int (*fn)(struct proc_entry *e, void *arg), void *arg)
{
	for (uint32_t b = 0; b < pt->nbuckets; b++)
		for (int32_t i = pt->buckets[b]; i >= 0; i = pt->pool[i].next) {
			int r = fn(&pt->pool[i], arg);

			if (r)
				return r;
		}
	return 0;
}

/*
 * The entry an event belongs to; looked up in /proc once on a miss. Where
 * /proc has another process under the pid, the event's has ended (an
 * event that came after its exit, such as a connect's late outcome): it
 * gets none, and the live process's entry, just loaded, stays whole. Where
 * /proc has none, an entry without exe stands for the process, so that its
 * next events do not each ask /proc again.
 */
static struct proc_entry *entry_for(struct proctable *pt, const struct event *ev)
{
	uint64_t start = proctable_ns_to_ticks(pt, ev->pid_start_ns);
	struct proc_entry *e = proctable_find(pt, ev->pid, start);

	if (e)
		return e;
	if (proctable_load_pid(pt, ev->pid, &e) == 0)
		return e->start_ticks == start ? e : NULL;
	return proctable_upsert(pt, ev->pid, start);
}

static void apply_fork(struct proctable *pt, struct event *ev)
{
	uint64_t pstart = proctable_ns_to_ticks(pt, ev->fork.parent_start_ns);
	struct proc_entry *parent = proctable_find(pt, ev->ppid, pstart);
	struct proc_entry *e = proctable_upsert(pt, ev->pid, proctable_ns_to_ticks(pt, ev->pid_start_ns));

	if (!e)
		return;
	e->ppid = ev->ppid;
	memcpy(e->comm, ev->comm, sizeof(e->comm));
	/* A child runs its parent's image until it execs. */
	if (parent && parent != e) {
		if (parent->exe)
			proctable_set_exe(e, parent->exe);
		if (parent->cmdline)
			proctable_set_cmdline(e, parent->cmdline, parent->cmdline_len);
	}
	ev->exe = e->exe;
}

static void apply_exec(struct proctable *pt, struct event *ev)
{
	struct proc_entry *e = proctable_upsert(pt, ev->pid, proctable_ns_to_ticks(pt, ev->pid_start_ns));
	char path[320], buf[PROC_EXE_MAX];
	ssize_t n;

	if (!e)
		return;
	e->ppid = ev->ppid;
	memcpy(e->comm, ev->comm, sizeof(e->comm));
	if (ev->exec.filename[0] == '/') {
		proctable_set_exe(e, ev->exec.filename);
	} else {
		/* A relative path says little: ask the kernel while the process lives. */
		snprintf(path, sizeof(path), "%s/%u/exe", pt->proc_root, ev->pid);
		n = readlink(path, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = 0;
			proctable_set_exe(e, buf);
		} else {
			proctable_set_exe(e, ev->exec.filename);
		}
	}
	proctable_set_cmdline(e, ev->exec.args, ev->exec.args_len);
	ev->exe = e->exe;
}

void proctable_apply(struct proctable *pt, struct event *ev)
{
	struct proc_entry *e;

	switch (ev->type) {
	case EVENT_AGENT_STATS:
		return;
	case EVENT_PROCESS_FORK:
		apply_fork(pt, ev);
		return;
	case EVENT_PROCESS_EXEC:
		apply_exec(pt, ev);
		return;
	default:
		e = entry_for(pt, ev);
		if (!e)
			return;
		e->ppid = ev->ppid;
		ev->exe = e->exe;
	}
}

void proctable_event_done(struct proctable *pt, const struct event *ev)
{
	if (ev->type == EVENT_PROCESS_EXIT)
		proctable_remove(pt, ev->pid);
}

void proctable_get_stats(const struct proctable *pt, struct proctable_stats *out)
{
	*out = pt->stats;
}

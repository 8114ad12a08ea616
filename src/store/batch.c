// SPDX-License-Identifier: Apache-2.0
/* A store transaction's rows, held in memory until store.c writes them in bulk. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "warden/event.h"
#include "batch.h"

_Static_assert(BATCH_PROC_SLOTS <= 65536, "slot indexes are 16-bit");

int batch_init(struct store_batch *b)
{
	memset(b, 0, sizeof(*b));
	b->events = calloc(BATCH_EVENTS, sizeof(*b->events));
	b->event_text = malloc(BATCH_EVENT_TEXT);
	b->procs = calloc(BATCH_PROC_SLOTS, sizeof(*b->procs));
	b->used = calloc(BATCH_PROC_SLOTS / 2, sizeof(*b->used));
	b->proc_text = malloc(BATCH_PROC_TEXT);
	if (!b->events || !b->event_text || !b->procs || !b->used || !b->proc_text) {
		batch_free(b);
		return -ENOMEM;
	}
	return 0;
}

void batch_free(struct store_batch *b)
{
	if (!b)
		return;
	free(b->events);
	free(b->event_text);
	free(b->procs);
	free(b->used);
	free(b->proc_text);
	memset(b, 0, sizeof(*b));
}

bool batch_event_fits(const struct store_batch *b, size_t len)
{
	return b->nevents < BATCH_EVENTS && b->event_text_len + len <= BATCH_EVENT_TEXT;
}

void batch_add_event(struct store_batch *b, const struct batch_event *row, const char *json,
		     size_t len)
{
	struct batch_event *e = &b->events[b->nevents++];

	*e = *row;
	e->json_off = b->event_text_len;
	e->json_len = (uint32_t)len;
	memcpy(b->event_text + b->event_text_len, json, len);
	b->event_text_len += len;
}

void batch_clear_events(struct store_batch *b)
{
	b->nevents = 0;
	b->event_text_len = 0;
}

static const char *proc_exe(const struct event *ev)
{
	return ev->exe ? ev->exe : ev->exec.filename;
}

static void proc_text_sizes(const struct event *ev, size_t *exe_len, size_t *argv_len)
{
	const char *exe = proc_exe(ev);

	*exe_len = *argv_len = 0;
	if (ev->type != EVENT_PROCESS_EXEC)
		return;
	*exe_len = exe ? strnlen(exe, BATCH_ARGV_MAX) : 0;
	if (ev->exec.args)
		*argv_len = ev->exec.args_len < BATCH_ARGV_MAX ? ev->exec.args_len :
								 BATCH_ARGV_MAX - 1;
}

bool batch_proc_fits(const struct store_batch *b, const struct event *ev)
{
	size_t exe_len, argv_len;

	proc_text_sizes(ev, &exe_len, &argv_len);
	/* Half the slots at most: probes stay short. */
	return b->nprocs < BATCH_PROC_SLOTS / 2 &&
	       b->proc_text_len + exe_len + argv_len <= BATCH_PROC_TEXT;
}

static struct batch_proc *proc_slot(struct store_batch *b, int64_t pid, uint64_t start_ns)
{
	uint64_t h = ((uint64_t)pid * 0x9e3779b97f4a7c15ull) ^ (start_ns * 0xc2b2ae3d27d4eb4full);
	unsigned int i = (unsigned int)(h >> 40) & (BATCH_PROC_SLOTS - 1);

	for (;; i = (i + 1) & (BATCH_PROC_SLOTS - 1)) {
		struct batch_proc *p = &b->procs[i];

		if (!p->pid || (p->pid == pid && p->start_ns == start_ns))
			return p;
	}
}

static uint32_t proc_text_add(struct store_batch *b, const char *p, size_t n)
{
	uint32_t off = (uint32_t)b->proc_text_len;

	memcpy(b->proc_text + off, p, n);
	b->proc_text_len += n;
	return off;
}

void batch_merge_proc(struct store_batch *b, const struct event *ev)
{
	const char *exe = proc_exe(ev);
	size_t exe_len, argv_len;
	struct batch_proc *p;
	char *a;

	proc_text_sizes(ev, &exe_len, &argv_len);
	p = proc_slot(b, ev->pid, ev->pid_start_ns);
	if (!p->pid) {
		*p = (struct batch_proc){ .pid = ev->pid,
					  .start_ns = ev->pid_start_ns,
					  .ppid = ev->ppid,
					  .session = ev->session,
					  .first_seen = ev->ts };
		b->used[b->nprocs++] = (uint16_t)(p - b->procs);
	}
	if (ev->ts < p->first_seen)
		p->first_seen = ev->ts;
	if (ev->ts > p->last_seen)
		p->last_seen = ev->ts;
	if (ev->type == EVENT_PROCESS_EXIT) {
		p->has_exit = true;
		p->exit_code = ev->exit.status;
		return;
	}
	if (ev->type != EVENT_PROCESS_EXEC)
		return;
	/* The last exec counts: its session, exe and argv. */
	p->has_exec = true;
	p->session = ev->session;
	p->has_exe = exe != NULL;
	p->exe_len = (uint32_t)exe_len;
	p->exe_off = exe ? proc_text_add(b, exe, exe_len) : 0;
	/* argv as one line: NULs between arguments become spaces, trailing ones go. */
	p->argv_off = proc_text_add(b, ev->exec.args ? ev->exec.args : "", argv_len);
	a = b->proc_text + p->argv_off;
	while (argv_len && !a[argv_len - 1])
		argv_len--;
	for (size_t i = 0; i < argv_len; i++)
		if (!a[i])
			a[i] = ' ';
	p->argv_len = (uint32_t)argv_len;
}

void batch_clear_procs(struct store_batch *b)
{
	/* The used slots only: a transaction of a few hundred events touches few. */
	for (unsigned int i = 0; i < b->nprocs; i++)
		b->procs[b->used[i]].pid = 0;
	b->nprocs = 0;
	b->proc_text_len = 0;
}

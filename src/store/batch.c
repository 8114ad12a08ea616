// SPDX-License-Identifier: Apache-2.0
/* A store transaction's rows in memory, and the virtual tables that write them in bulk. */
#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "warden/event.h"
#include "batch.h"

int batch_init(struct store_batch *b)
{
	memset(b, 0, sizeof(*b));
	b->events = calloc(BATCH_EVENTS, sizeof(*b->events));
	b->event_text = malloc(BATCH_EVENT_TEXT);
	b->procs = calloc(BATCH_PROC_SLOTS, sizeof(*b->procs));
	b->proc_text = malloc(BATCH_PROC_TEXT);
	if (!b->events || !b->event_text || !b->procs || !b->proc_text) {
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
		b->nprocs++;
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
	if (b->nprocs)
		memset(b->procs, 0, sizeof(*b->procs) * BATCH_PROC_SLOTS);
	b->nprocs = 0;
	b->proc_text_len = 0;
}

/*
 * The virtual tables: eponymous-only (no CREATE VIRTUAL TABLE, nothing in
 * the schema), read-only, one full scan each. A cursor's position is an
 * index into the events array or the process slots.
 */
struct batch_vtab {
	sqlite3_vtab base;
	struct store_batch *b;
};

struct batch_cursor {
	sqlite3_vtab_cursor base;
	unsigned int i;
};

static int vt_connect(sqlite3 *db, void *aux, sqlite3_vtab **out, const char *schema)
{
	struct batch_vtab *vt;
	int rc = sqlite3_declare_vtab(db, schema);

	if (rc != SQLITE_OK)
		return rc;
	vt = sqlite3_malloc(sizeof(*vt));
	if (!vt)
		return SQLITE_NOMEM;
	memset(vt, 0, sizeof(*vt));
	vt->b = aux;
	*out = &vt->base;
	return SQLITE_OK;
}

static int events_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
			  sqlite3_vtab **out, char **err)
{
	(void)argc;
	(void)argv;
	(void)err;
	return vt_connect(db, aux, out,
			  "CREATE TABLE x(id, prev_id, ts, type, pid, session, cause, json, hash)");
}

static int procs_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
			 sqlite3_vtab **out, char **err)
{
	(void)argc;
	(void)argv;
	(void)err;
	return vt_connect(db, aux, out,
			  "CREATE TABLE x(pid, start_ns, ppid, exe, argv, session, first_seen,"
			  " last_seen, exit_code)");
}

static int vt_disconnect(sqlite3_vtab *vt)
{
	sqlite3_free(vt);
	return SQLITE_OK;
}

static int vt_best_index(sqlite3_vtab *vt, sqlite3_index_info *info)
{
	(void)vt;
	info->estimatedCost = BATCH_EVENTS;
	return SQLITE_OK;
}

static int vt_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
	struct batch_cursor *c = sqlite3_malloc(sizeof(*c));

	(void)vt;
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof(*c));
	*out = &c->base;
	return SQLITE_OK;
}

static int vt_close(sqlite3_vtab_cursor *c)
{
	sqlite3_free(c);
	return SQLITE_OK;
}

static struct store_batch *cur_batch(sqlite3_vtab_cursor *c)
{
	return ((struct batch_vtab *)c->pVtab)->b;
}

static int vt_rowid(sqlite3_vtab_cursor *c, sqlite3_int64 *rowid)
{
	*rowid = ((struct batch_cursor *)c)->i;
	return SQLITE_OK;
}

static int events_filter(sqlite3_vtab_cursor *c, int idx, const char *idxs, int argc,
			 sqlite3_value **argv)
{
	(void)idx;
	(void)idxs;
	(void)argc;
	(void)argv;
	((struct batch_cursor *)c)->i = 0;
	return SQLITE_OK;
}

static int events_next(sqlite3_vtab_cursor *c)
{
	((struct batch_cursor *)c)->i++;
	return SQLITE_OK;
}

static int events_eof(sqlite3_vtab_cursor *c)
{
	return ((struct batch_cursor *)c)->i >= cur_batch(c)->nevents;
}

static int events_column(sqlite3_vtab_cursor *c, sqlite3_context *ctx, int col)
{
	struct store_batch *b = cur_batch(c);
	const struct batch_event *e = &b->events[((struct batch_cursor *)c)->i];

	switch (col) {
	case 0:
		sqlite3_result_int64(ctx, (int64_t)e->id);
		break;
	case 1:
		sqlite3_result_int64(ctx, (int64_t)e->prev_id);
		break;
	case 2:
		sqlite3_result_int64(ctx, (int64_t)e->ts);
		break;
	case 3:
		sqlite3_result_text(ctx, e->type, -1, SQLITE_STATIC);
		break;
	case 4:
		sqlite3_result_int64(ctx, e->pid);
		break;
	case 5:
		sqlite3_result_int64(ctx, (int64_t)e->session);
		break;
	case 6:
		sqlite3_result_int64(ctx, (int64_t)e->cause);
		break;
	case 7:
		sqlite3_result_text(ctx, b->event_text + e->json_off, (int)e->json_len,
				    SQLITE_STATIC);
		break;
	default:
		sqlite3_result_blob(ctx, e->hash, STORE_HASH_LEN, SQLITE_STATIC);
		break;
	}
	return SQLITE_OK;
}

/* Process slots: the cursor stops only at used ones. */
static void procs_skip(sqlite3_vtab_cursor *c)
{
	struct store_batch *b = cur_batch(c);
	struct batch_cursor *bc = (struct batch_cursor *)c;

	while (bc->i < BATCH_PROC_SLOTS && !b->procs[bc->i].pid)
		bc->i++;
}

static int procs_filter(sqlite3_vtab_cursor *c, int idx, const char *idxs, int argc,
			sqlite3_value **argv)
{
	(void)idx;
	(void)idxs;
	(void)argc;
	(void)argv;
	((struct batch_cursor *)c)->i = 0;
	procs_skip(c);
	return SQLITE_OK;
}

static int procs_next(sqlite3_vtab_cursor *c)
{
	((struct batch_cursor *)c)->i++;
	procs_skip(c);
	return SQLITE_OK;
}

static int procs_eof(sqlite3_vtab_cursor *c)
{
	return ((struct batch_cursor *)c)->i >= BATCH_PROC_SLOTS || !cur_batch(c)->nprocs;
}

static void result_text_or_null(sqlite3_context *ctx, bool has, const char *p, uint32_t n)
{
	if (has)
		sqlite3_result_text(ctx, p, (int)n, SQLITE_STATIC);
	else
		sqlite3_result_null(ctx);
}

static int procs_column(sqlite3_vtab_cursor *c, sqlite3_context *ctx, int col)
{
	struct store_batch *b = cur_batch(c);
	const struct batch_proc *p = &b->procs[((struct batch_cursor *)c)->i];

	switch (col) {
	case 0:
		sqlite3_result_int64(ctx, p->pid);
		break;
	case 1:
		sqlite3_result_int64(ctx, (int64_t)p->start_ns);
		break;
	case 2:
		sqlite3_result_int64(ctx, p->ppid);
		break;
	case 3:
		result_text_or_null(ctx, p->has_exe, b->proc_text + p->exe_off, p->exe_len);
		break;
	/* argv is NULL unless the batch saw an exec: the upsert keys on that. */
	case 4:
		result_text_or_null(ctx, p->has_exec, b->proc_text + p->argv_off, p->argv_len);
		break;
	case 5:
		sqlite3_result_int64(ctx, (int64_t)p->session);
		break;
	case 6:
		sqlite3_result_int64(ctx, (int64_t)p->first_seen);
		break;
	case 7:
		sqlite3_result_int64(ctx, (int64_t)p->last_seen);
		break;
	default:
		if (p->has_exit)
			sqlite3_result_int64(ctx, p->exit_code);
		else
			sqlite3_result_null(ctx);
	}
	return SQLITE_OK;
}

static const sqlite3_module events_module = {
	.xConnect = events_connect,
	.xBestIndex = vt_best_index,
	.xDisconnect = vt_disconnect,
	.xOpen = vt_open,
	.xClose = vt_close,
	.xFilter = events_filter,
	.xNext = events_next,
	.xEof = events_eof,
	.xColumn = events_column,
	.xRowid = vt_rowid,
};

static const sqlite3_module procs_module = {
	.xConnect = procs_connect,
	.xBestIndex = vt_best_index,
	.xDisconnect = vt_disconnect,
	.xOpen = vt_open,
	.xClose = vt_close,
	.xFilter = procs_filter,
	.xNext = procs_next,
	.xEof = procs_eof,
	.xColumn = procs_column,
	.xRowid = vt_rowid,
};

int batch_register(sqlite3 *db, struct store_batch *b)
{
	int rc = sqlite3_create_module(db, "warden_batch_events", &events_module, b);

	if (rc == SQLITE_OK)
		rc = sqlite3_create_module(db, "warden_batch_procs", &procs_module, b);
	return rc == SQLITE_OK ? 0 : -EIO;
}

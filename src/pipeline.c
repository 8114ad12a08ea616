// SPDX-License-Identifier: Apache-2.0
/* The stages after the sensor. See pipeline.h. */
#include <errno.h>
#include <linux/types.h>
#include <stdlib.h>
#include <string.h>

#include "warden/blind.h"
#include "warden/decode/dns.h"
#include "warden/decode/flow.h"

#include "warden/event.h"
#include "warden/events.h"
#include "warden/hostcache.h"
#include "warden/pipeline.h"
#include "warden/proctable.h"
#include "warden/session.h"
#include "warden/store.h"

#define HOSTCACHE_CAPACITY 8192
#define HOSTCACHE_MIN_TTL_S 300 /* CDNs answer with TTLs of seconds; the connect comes later */
#define HOST_HEADER_TTL_S 600
#define BLIND_MAX_WATCHES 1024
#define SESSIONS_MAX 4096 /* live agent sessions */
#define SESSION_MEMBERS_MAX 65536 /* live processes in them */

struct pipeline {
	struct pipeline_config cfg;
	struct proctable *procs;
	struct flow_table *flow;
	struct hostcache *hosts;
	struct blind *blind;
	struct session_table *sess;
	struct store *store;
	uint64_t next_id;
	struct pipeline_stats stats;
};

static void write_event(struct pipeline *p, struct event *ev)
{
	const char *json = NULL;
	size_t len = 0;
	int r;

	if (!ev->id) /* the session stage reserves session.start's id: it is the session's */
		ev->id = ++p->next_id;
	/* Errors are counted inside the store and reported in agent.stats. */
	if (p->store) {
		store_add(p->store, ev);
		json = store_event_json(p->store, ev->id, &len);
	}
	if (!p->cfg.out)
		return;
	/* One encoding for both: the stored line is the printed line. */
	if (!json)
		r = event_write_json(ev, p->cfg.out);
	else if (fwrite(json, 1, len, p->cfg.out) != len || putc('\n', p->cfg.out) == EOF)
		r = -EIO;
	else
		r = 0;
	if (r < 0)
		p->stats.output_errors++;
	else
		p->stats.events_out++;
}

/*
 * The events the kernel side reports for session members only. It traces
 * candidates too (see WARDEN_SESSION_CANDIDATE): those of a process that
 * turned out not to be an agent are dropped here.
 */
static bool member_only(enum event_type type)
{
	return type == EVENT_FILE_OPEN || type == EVENT_IO_URING || type == EVENT_NET_ACCEPT ||
	       event_is_file_change(type);
}

/* A Host header names the address for later connects, as a DNS answer would. */
static void learn_host_header(struct pipeline *p, const struct event *ev)
{
	const struct event_flow *f = NULL;
	const char *colon;
	char name[256];
	size_t n;

	if (ev->type == EVENT_HTTP_REQUEST)
		f = &ev->http.flow;
	else if (ev->type == EVENT_LLM_REQUEST || ev->type == EVENT_MCP_CALL)
		f = &ev->llm.flow;
	if (!f || !f->host.len || f->host.len >= sizeof(name) || f->host.ptr[0] == '[' ||
	    !f->remote.family)
		return;
	colon = memchr(f->host.ptr, ':', f->host.len);
	n = colon ? (size_t)(colon - f->host.ptr) : f->host.len; /* without ":port" */
	memcpy(name, f->host.ptr, n);
	name[n] = 0;
	hostcache_learn(p->hosts, &f->remote, name, HOST_HEADER_TTL_S, ev->ts);
}

/* Events the decoders and detectors make: exe from the process table, then out. */
static void emit_derived(struct event *ev, void *arg)
{
	struct pipeline *p = arg;

	if (!ev->exe) {
		struct proc_entry *e = proctable_find(
			p->procs, ev->pid, proctable_ns_to_ticks(p->procs, ev->pid_start_ns));

		if (e)
			ev->exe = e->exe;
	}
	learn_host_header(p, ev);
	session_before(p->sess, ev);
	write_event(p, ev);
	session_after(p->sess, ev);
	/*
	 * A request that is not an LLM call from a process outside any
	 * session: the kernel marked it a candidate when it sent the POST;
	 * decided now, so its opens and children are no longer traced.
	 */
	if (ev->type == EVENT_HTTP_REQUEST && !ev->session && p->cfg.session_member_fn)
		p->cfg.session_member_fn(ev->pid, ev->pid_start_ns, WARDEN_SESSION_NONE, true,
					 p->cfg.session_member_arg);
}

/* session.start / session.end: written as they are. */
static void emit_session(struct event *ev, void *arg)
{
	write_event(arg, ev);
}

static uint64_t reserve_id(void *arg)
{
	return pipeline_next_id(arg);
}

static void learn_dns(struct pipeline *p, struct event *ev, struct dns_message *msg)
{
	if (dns_parse(ev->dns.data, ev->dns.len, msg) < 0 || !msg->is_response)
		return;
	ev->dns.msg = msg;
	for (unsigned int i = 0; i < msg->n_addrs; i++) {
		struct event_addr a = { .family = msg->addrs[i].family };

		memcpy(a.addr, msg->addrs[i].addr, sizeof(a.addr));
		hostcache_learn(p->hosts, &a, msg->qname, msg->addrs[i].ttl, ev->ts);
	}
}

int pipeline_event(struct event *ev, void *arg)
{
	struct pipeline *p = arg;
	struct dns_message msg;
	bool print = true;

	p->stats.events_in++;
	proctable_apply(p->procs, ev);
	switch (ev->type) {
	case EVENT_DNS_ANSWER:
		learn_dns(p, ev, &msg);
		break;
	case EVENT_NET_CONNECT:
	case EVENT_NET_CONNECT_RESULT:
		ev->connect.host = hostcache_lookup(p->hosts, &ev->connect.remote, ev->ts);
		break;
	case EVENT_IO_URING:
		if (ev->io_uring.remote.family)
			ev->io_uring.host =
				hostcache_lookup(p->hosts, &ev->io_uring.remote, ev->ts);
		break;
	case EVENT_TLS_WRITE:
	case EVENT_TLS_READ:
		print = p->cfg.raw_tls;
		break;
	default:
		break;
	}
	if (print) {
		session_before(p->sess, ev);
		if (member_only(ev->type) && !ev->session) {
			ev->id = ++p->next_id;
			if (ev->type == EVENT_FILE_OPEN)
				p->stats.file_opens_dropped++;
			else if (ev->type == EVENT_IO_URING)
				p->stats.io_uring_dropped++;
			else if (ev->type == EVENT_NET_ACCEPT)
				p->stats.accepts_dropped++;
			else
				p->stats.file_changes_dropped++;
		} else {
			write_event(p, ev);
			session_after(p->sess, ev);
		}
	} else {
		ev->id = ++p->next_id;
	}

	switch (ev->type) {
	case EVENT_NET_CONNECT:
		blind_on_connect(p->blind, ev, emit_derived, p);
		break;
	case EVENT_NET_CONNECT_RESULT:
		blind_on_connect_result(p->blind, ev);
		break;
	case EVENT_TLS_WRITE:
	case EVENT_TLS_READ:
		blind_on_tls(p->blind, ev);
		if (p->flow)
			flow_feed_tls(p->flow, ev);
		break;
	case EVENT_PROCESS_EXIT:
		if (p->flow)
			flow_process_exit(p->flow, ev->pid, ev->pid_start_ns);
		/* After what the decoder flushed for it, which still belongs to the session. */
		session_process_exit(p->sess, ev);
		break;
	default:
		break;
	}
	proctable_event_done(p->procs, ev);
	return 0;
}

void pipeline_tick(struct pipeline *p, uint64_t now_ns)
{
	if (p->flow)
		flow_expire(p->flow, now_ns);
	blind_check(p->blind, now_ns, emit_derived, p);
}

void pipeline_finish(struct pipeline *p, uint64_t now_ns)
{
	blind_check(p->blind, now_ns, emit_derived, p);
	if (p->flow)
		flow_end_all(p->flow, now_ns);
}

int pipeline_new(const struct pipeline_config *cfg, struct pipeline **out, const char **what)
{
	struct pipeline *p;
	int r;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p) {
		*what = "pipeline";
		return -ENOMEM;
	}
	p->cfg = *cfg;
	*what = "process table";
	r = proctable_new(cfg->proc_capacity, cfg->proc_root, &p->procs);
	if (!r) {
		*what = "DNS name cache";
		r = hostcache_new(HOSTCACHE_CAPACITY, HOSTCACHE_MIN_TTL_S, &p->hosts);
	}
	if (!r) {
		*what = "blind-spot detector";
		r = blind_new(cfg->blind_window_ns, BLIND_MAX_WATCHES, &p->blind);
	}
	if (!r) {
		struct session_config sc = { .max_sessions = SESSIONS_MAX,
					     .max_members = SESSION_MEMBERS_MAX,
					     .agents = cfg->agents,
					     .n_agents = cfg->n_agents,
					     .proc_root = cfg->proc_root,
					     .member_fn = cfg->session_member_fn,
					     .member_arg = cfg->session_member_arg,
					     .emit = emit_session,
					     .next_id = reserve_id,
					     .emit_arg = p };

		*what = "session table";
		r = session_new(&sc, &p->sess);
	}
	if (!r && cfg->decode) {
		*what = "connection decoder";
		r = flow_table_new(NULL, emit_derived, p, &p->flow);
	}
	for (size_t i = 0; !r && i < cfg->n_llm_hosts; i++) {
		*what = cfg->llm_hosts[i];
		r = blind_add_host(p->blind, cfg->llm_hosts[i]);
	}
	if (r) {
		pipeline_free(p);
		return r;
	}
	*out = p;
	return 0;
}

void pipeline_free(struct pipeline *p)
{
	if (!p)
		return;
	flow_table_free(p->flow);
	session_free(p->sess);
	blind_free(p->blind);
	hostcache_free(p->hosts);
	proctable_free(p->procs);
	free(p);
}

uint64_t pipeline_next_id(struct pipeline *p)
{
	return ++p->next_id;
}

void pipeline_set_store(struct pipeline *p, struct store *st)
{
	p->store = st;
}

void pipeline_set_last_id(struct pipeline *p, uint64_t last_id)
{
	p->next_id = last_id;
}

void pipeline_write(struct pipeline *p, struct event *ev)
{
	write_event(p, ev);
}

struct proctable *pipeline_procs(struct pipeline *p)
{
	return p->procs;
}

struct proc_list {
	struct proc_entry **v;
	size_t n, cap;
};

static int proc_list_add(struct proc_entry *e, void *arg)
{
	struct proc_list *l = arg;

	if (l->n < l->cap)
		l->v[l->n++] = e;
	return 0;
}

static int by_start(const void *a, const void *b)
{
	const struct proc_entry *x = *(struct proc_entry *const *)a;
	const struct proc_entry *y = *(struct proc_entry *const *)b;

	if (x->start_ticks != y->start_ticks)
		return x->start_ticks < y->start_ticks ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/*
 * Replays each running process to the session stage as the events that
 * made it: a fork (a child of a member joins its session) and, for a
 * process that is in none, an exec of what it runs now (an --agent program
 * starts one). Oldest first, so parents come before their children. /proc
 * knows start times only in clock ticks: the members are added with start
 * 0, which the first event of each (and the kernel, at its first sight)
 * turns into the exact one.
 */
int pipeline_adopt_running(struct pipeline *p, uint64_t now_ns)
{
	struct proctable_stats pts;
	struct session_stats before, after;
	struct proc_list l = { 0 };

	if (!p->cfg.n_agents)
		return 0;
	proctable_get_stats(p->procs, &pts);
	l.cap = pts.live;
	l.v = calloc(l.cap ? l.cap : 1, sizeof(*l.v));
	if (!l.v)
		return -ENOMEM;
	proctable_foreach(p->procs, proc_list_add, &l);
	qsort(l.v, l.n, sizeof(*l.v), by_start);
	session_get_stats(p->sess, &before);
	for (size_t i = 0; i < l.n; i++) {
		const struct proc_entry *e = l.v[i];
		struct event ev;

		memset(&ev, 0, sizeof(ev));
		ev.type = EVENT_PROCESS_FORK;
		ev.pid = ev.tid = e->pid;
		ev.ppid = e->ppid;
		ev.ts = now_ns;
		memcpy(ev.comm, e->comm, sizeof(ev.comm));
		ev.exe = e->exe;
		session_before(p->sess, &ev);
		if (ev.session || !e->cmdline_len) /* joined its parent's; or a kernel thread */
			continue;
		ev.type = EVENT_PROCESS_EXEC;
		ev.exec.filename = e->exe ? e->exe : e->cmdline;
		ev.exec.args = e->cmdline;
		ev.exec.args_len = e->cmdline_len;
		session_before(p->sess, &ev);
	}
	session_get_stats(p->sess, &after);
	free(l.v);
	return (int)(after.started - before.started);
}

void pipeline_get_stats(const struct pipeline *p, struct pipeline_stats *out)
{
	*out = p->stats;
}

void pipeline_add_counters(const struct pipeline *p, struct event_stats_tables *t)
{
	struct proctable_stats ps;
	struct hostcache_stats hs;
	struct blind_stats bs;
	struct session_stats ss;

	proctable_get_stats(p->procs, &ps);
	event_stats_add(t, false, "output_errors", p->stats.output_errors);
	event_stats_add(t, false, "file_opens_not_in_session", p->stats.file_opens_dropped);
	event_stats_add(t, false, "io_uring_not_in_session", p->stats.io_uring_dropped);
	event_stats_add(t, false, "file_changes_not_in_session", p->stats.file_changes_dropped);
	event_stats_add(t, false, "accepts_not_in_session", p->stats.accepts_dropped);
	event_stats_add(t, false, "proc_table_live", ps.live);
	event_stats_add(t, false, "proc_table_full", ps.full);
	event_stats_add(t, false, "proc_table_pid_reused", ps.stale);
	if (p->flow) {
		struct flow_stats fs;

		flow_get_stats(p->flow, &fs);
		event_stats_add(t, false, "tls_conns", fs.conns);
		event_stats_add(t, false, "http1_conns", fs.conns_http1);
		event_stats_add(t, false, "http2_conns", fs.conns_http2);
		event_stats_add(t, false, "server_side_conns", fs.conns_server);
		event_stats_add(t, false, "other_conns", fs.conns_other);
		event_stats_add(t, false, "conns_evicted", fs.conns_evicted);
		event_stats_add(t, false, "stream_gaps", fs.gaps);
		event_stats_add(t, false, "stream_gap_bytes", fs.gap_bytes);
		event_stats_add(t, false, "http_requests", fs.requests);
		event_stats_add(t, false, "http_responses", fs.responses);
		event_stats_add(t, false, "llm_requests", fs.llm_requests);
		event_stats_add(t, false, "llm_responses", fs.llm_responses);
		event_stats_add(t, false, "llm_parse_errors", fs.llm_parse_errors);
		event_stats_add(t, false, "decode_errors", fs.errors);
		event_stats_add(t, false, "decode_errors_suppressed", fs.errors_suppressed);
		event_stats_add(t, false, "decode_alloc_failures", fs.alloc_failures);
	}
	hostcache_get_stats(p->hosts, &hs);
	blind_get_stats(p->blind, &bs);
	if (p->store) {
		struct store_stats ss;

		store_get_stats(p->store, &ss);
		event_stats_add(t, false, "store_events", ss.events);
		event_stats_add(t, false, "store_errors", ss.errors);
		event_stats_add(t, false, "store_retained", ss.retained);
		event_stats_add(t, false, "store_checkpoints",
				ss.checkpoints + ss.checkpoints_writer);
		event_stats_add(t, false, "store_checkpoint_errors", ss.checkpoint_errors);
	}
	event_stats_add(t, false, "dns_names", hs.entries);
	event_stats_add(t, false, "dns_names_evicted", hs.evicted);
	event_stats_add(t, false, "blind_watches", bs.watches);
	event_stats_add(t, false, "capture_blind", bs.reported);
	session_get_stats(p->sess, &ss);
	event_stats_add(t, false, "sessions_live", ss.live);
	event_stats_add(t, false, "sessions_started", ss.started);
	event_stats_add(t, false, "sessions_ended", ss.ended);
	event_stats_add(t, false, "sessions_full", ss.full);
	event_stats_add(t, false, "session_members", ss.members);
	event_stats_add(t, false, "session_members_full", ss.members_full);
	event_stats_add(t, false, "session_members_stale", ss.members_stale);
	event_stats_add(t, false, "session_nested_agents", ss.nested);
	event_stats_add(t, false, "session_tool_calls", ss.calls);
	event_stats_add(t, false, "session_tool_calls_evicted", ss.calls_evicted);
	event_stats_add(t, false, "session_tool_args_truncated", ss.args_truncated);
	event_stats_add(t, false, "session_caused", ss.caused);
}

// SPDX-License-Identifier: Apache-2.0
/* Agent sessions and causal links. See session.h. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "warden/decode/llm.h"
#include "warden/event.h"
#include "warden/events.h"
#include "warden/session.h"

#define CALL_ID_MAX 64
#define CALL_NAME_MAX 64
#define CMDLINE_MAX 4096 /* argv joined with spaces, for matching */
#define EXE_COPY_MAX 512

struct tool_call {
	uint64_t seq; /* 0: empty slot; else order within the session, from 1 */
	uint64_t resp_id; /* the llm.response event that asked for it */
	uint64_t exec_id; /* the first exec it caused directly; 0 none yet */
	uint64_t ts;
	char id[CALL_ID_MAX];
	char name[CALL_NAME_MAX];
	char *text; /* argument strings, unescaped, '\n'-joined; NUL-terminated */
};

struct session {
	uint64_t id; /* 0: free slot */
	uint64_t start_ts;
	uint64_t root_start_ns;
	uint64_t processes; /* members ever */
	uint64_t events;
	uint32_t live; /* members alive */
	uint32_t root_pid, root_ppid, root_uid;
	char root_comm[17];
	char *root_exe;
	const char *agent;
	uint64_t ncalls; /* tool calls ever: the next one's seq - 1 */
	struct tool_call calls[SESSION_CALLS_MAX];
	char cid[SESSION_CID_MAX];
	char pod[SESSION_POD_MAX];
};

struct member {
	uint32_t pid;
	int32_t sess; /* index into sessions; -1: removed (a never used entry is all 0) */
	int32_t next; /* hash chain / free list */
	uint64_t start_ns;
	uint64_t cause_exec; /* the last exec with a cause in this process's lineage */
	uint64_t cause_call; /* seq of the tool call behind cause_exec */
	uint64_t pending_call; /* set by session_before() for session_after() */
	bool pending_direct;
	bool agent; /* it sent LLM requests itself, or is a named agent */
	bool nested;
	bool in_kernel; /* added to session_members by us (roots): removed by us too */
};

struct session_table {
	struct session_config cfg;
	struct session *sessions;
	int32_t *free_sessions; /* stack of free indices */
	unsigned int nfree_sessions;
	struct member *members;
	int32_t *buckets;
	uint32_t nbuckets; /* power of two */
	int32_t free_members; /* members removed, for reuse; -1: none */
	/*
	 * Entries handed out at least once: [0, used). The rest of each array
	 * is calloc's untouched zero pages until the load needs them, so an
	 * idle daemon does not pay resident memory for its limits.
	 */
	uint32_t members_used, sessions_used;
	struct session_stats stats;
};

static uint32_t pid_hash(const struct session_table *st, uint32_t pid)
{
	return (pid * 2654435761u) & (st->nbuckets - 1);
}

int session_new(const struct session_config *cfg, struct session_table **out)
{
	struct session_table *st;
	int r = -ENOMEM;

	*out = NULL;
	if (!cfg->max_sessions || !cfg->max_members || !cfg->emit || !cfg->next_id ||
	    cfg->n_agents > SESSION_AGENTS_MAX)
		return -EINVAL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->cfg = *cfg;
	st->nbuckets = 1;
	while (st->nbuckets < cfg->max_members)
		st->nbuckets <<= 1;
	st->sessions = calloc(cfg->max_sessions, sizeof(*st->sessions));
	st->free_sessions = calloc(cfg->max_sessions, sizeof(*st->free_sessions));
	st->members = calloc(cfg->max_members, sizeof(*st->members));
	st->buckets = malloc(st->nbuckets * sizeof(*st->buckets));
	if (!st->sessions || !st->free_sessions || !st->members || !st->buckets)
		goto fail;
	for (unsigned int i = 0; i < cfg->max_sessions; i++)
		st->free_sessions[st->nfree_sessions++] = cfg->max_sessions - 1 - i;
	for (uint32_t i = 0; i < st->nbuckets; i++)
		st->buckets[i] = -1;
	st->free_members = -1;
	*out = st;
	return 0;
fail:
	session_free(st);
	return r;
}

static void calls_clear(struct session *s)
{
	for (unsigned int i = 0; i < SESSION_CALLS_MAX; i++) {
		free(s->calls[i].text);
		s->calls[i].text = NULL;
		s->calls[i].seq = 0;
	}
}

void session_free(struct session_table *st)
{
	if (!st)
		return;
	for (unsigned int i = 0; st->sessions && i < st->sessions_used; i++) {
		calls_clear(&st->sessions[i]);
		free(st->sessions[i].root_exe);
	}
	free(st->sessions);
	free(st->free_sessions);
	free(st->members);
	free(st->buckets);
	free(st);
}

/* ---- members ---- */

/* An entry for a new member: a removed one, or one never used; -1 when all are live. */
static int32_t member_take(struct session_table *st)
{
	int32_t idx = st->free_members;

	if (idx >= 0) {
		st->free_members = st->members[idx].next;
		return idx;
	}
	if (st->members_used < st->cfg.max_members)
		return st->members_used++;
	return -1;
}

static bool members_full(const struct session_table *st)
{
	return st->free_members < 0 && st->members_used == st->cfg.max_members;
}

static struct member *member_lookup(struct session_table *st, uint32_t pid)
{
	for (int32_t i = st->buckets[pid_hash(st, pid)]; i >= 0; i = st->members[i].next)
		if (st->members[i].pid == pid)
			return &st->members[i];
	return NULL;
}

static void session_end(struct session_table *st, struct session *s, uint64_t ts);

/* Unlink m; its session ends when it was the last one alive. */
static void member_remove(struct session_table *st, struct member *m, uint64_t ts)
{
	int32_t idx = m - st->members, *pp = &st->buckets[pid_hash(st, m->pid)];
	struct session *s = &st->sessions[m->sess];

	while (*pp >= 0 && *pp != idx)
		pp = &st->members[*pp].next;
	if (*pp == idx)
		*pp = m->next;
	if (m->in_kernel && st->cfg.member_fn)
		st->cfg.member_fn(m->pid, m->start_ns, s->id, false, st->cfg.member_arg);
	memset(m, 0, sizeof(*m));
	m->sess = -1;
	m->next = st->free_members; /* after the hash chain: next now links the free list */
	st->free_members = idx;
	st->stats.members--;
	if (--s->live == 0)
		session_end(st, s, ts);
}

/*
 * The member (pid, start_ns); start_ns 0 matches any. An entry of the same
 * pid with another start time belongs to a process whose exit was missed.
 */
static struct member *member_find(struct session_table *st, uint32_t pid, uint64_t start_ns,
				  uint64_t ts)
{
	struct member *m = member_lookup(st, pid);

	if (m && !m->start_ns) /* adopted from /proc (ticks only): learn the exact start */
		m->start_ns = start_ns;
	if (!m || !start_ns || !m->start_ns || m->start_ns == start_ns)
		return m;
	st->stats.members_stale++;
	member_remove(st, m, ts);
	return NULL;
}

static struct member *member_add(struct session_table *st, int32_t sess, uint32_t pid,
				 uint64_t start_ns)
{
	struct member *m;
	int32_t idx = member_take(st);
	uint32_t b;

	if (idx < 0) {
		st->stats.members_full++;
		return NULL;
	}
	m = &st->members[idx];
	memset(m, 0, sizeof(*m));
	m->pid = pid;
	m->start_ns = start_ns;
	m->sess = sess;
	b = pid_hash(st, pid);
	m->next = st->buckets[b];
	st->buckets[b] = m - st->members;
	st->sessions[sess].live++;
	st->sessions[sess].processes++;
	st->stats.members++;
	return m;
}

/* ---- session start and end ---- */

static const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* One path component: a container id in any of the runtimes' spellings. */
static bool component_cid(const char *c, size_t n, char cid[SESSION_CID_MAX])
{
	static const char *const prefixes[] = { "docker-", "cri-containerd-", "crio-", "libpod-",
						"containerd-" };

	if (n > 6 && !memcmp(c + n - 6, ".scope", 6))
		n -= 6;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t pl = strlen(prefixes[i]);

		if (n > pl && !memcmp(c, prefixes[i], pl)) {
			c += pl;
			n -= pl;
			break;
		}
	}
	if (n != 64 || !is_hex(c, n))
		return false;
	memcpy(cid, c, 64);
	cid[64] = 0;
	return true;
}

/* "...pod<uid>..." with the uid's dashes spelt '-' (cgroupfs) or '_' (systemd). */
static bool component_pod(const char *c, size_t n, char pod[SESSION_POD_MAX])
{
	for (size_t i = 0; i + 3 + 36 <= n; i++) {
		const char *u = c + i + 3;
		bool ok = true;

		if (memcmp(c + i, "pod", 3) || (i && c[i - 1] != '-' && c[i - 1] != '/'))
			continue;
		for (size_t k = 0; k < 36 && ok; k++) {
			if (k == 8 || k == 13 || k == 18 || k == 23)
				ok = u[k] == '-' || u[k] == '_';
			else
				ok = isxdigit((unsigned char)u[k]);
		}
		if (!ok || (i + 3 + 36 < n && isxdigit((unsigned char)u[36])))
			continue;
		for (size_t k = 0; k < 36; k++)
			pod[k] = u[k] == '_' ? '-' : u[k];
		pod[36] = 0;
		return true;
	}
	return false;
}

int session_parse_cgroup(const char *text, size_t len, char cid[SESSION_CID_MAX],
			 char pod[SESSION_POD_MAX])
{
	const char *end = text + len, *line = text;

	cid[0] = pod[0] = 0;
	while (line < end) {
		const char *eol = memchr(line, '\n', end - line), *p;
		int colons = 0;

		if (!eol)
			eol = end;
		/* hierarchy-ID:controllers:path */
		for (p = line; p < eol && colons < 2; p++)
			colons += *p == ':';
		while (colons == 2 && p < eol) {
			const char *c = p, *slash = memchr(p, '/', eol - p);
			size_t n = (slash ? slash : eol) - c;

			if (n) {
				component_cid(c, n, cid);
				if (!pod[0])
					component_pod(c, n, pod);
			}
			p = slash ? slash + 1 : eol;
		}
		line = eol + 1;
	}
	return cid[0] || pod[0];
}

static void read_cgroup(const struct session_table *st, uint32_t pid, struct session *s)
{
	char path[64], buf[4096];
	ssize_t n;
	int fd;

	s->cid[0] = s->pod[0] = 0;
	if (!st->cfg.proc_root)
		return;
	snprintf(path, sizeof(path), "%s/%u/cgroup", st->cfg.proc_root, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return; /* gone already, or a replay: no container known */
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n > 0)
		session_parse_cgroup(buf, n, s->cid, s->pod);
}

static struct member *session_start(struct session_table *st, const struct event *ev,
				    const char *agent)
{
	struct event start;
	struct session *s;
	struct member *m;
	int32_t idx;

	if (!st->nfree_sessions) {
		st->stats.full++;
		return NULL;
	}
	if (members_full(st)) {
		st->stats.members_full++;
		return NULL;
	}
	idx = st->free_sessions[--st->nfree_sessions];
	if ((uint32_t)idx >= st->sessions_used)
		st->sessions_used = idx + 1;
	s = &st->sessions[idx];
	memset(s, 0, sizeof(*s));
	s->id = st->cfg.next_id(st->cfg.emit_arg);
	s->start_ts = ev->ts;
	s->root_pid = ev->pid;
	s->root_ppid = ev->ppid;
	s->root_uid = ev->uid;
	s->root_start_ns = ev->pid_start_ns;
	memcpy(s->root_comm, ev->comm, sizeof(s->root_comm));
	s->root_exe = ev->exe ? strndup(ev->exe, EXE_COPY_MAX) : NULL;
	s->agent = agent;
	read_cgroup(st, ev->pid, s);
	m = member_add(st, idx, ev->pid, ev->pid_start_ns);
	m->agent = true;
	st->stats.live++;
	st->stats.started++;

	memset(&start, 0, sizeof(start));
	start.type = EVENT_SESSION_START;
	start.id = s->id;
	start.ts = ev->ts;
	start.pid = ev->pid;
	start.tid = ev->tid;
	start.ppid = ev->ppid;
	start.uid = ev->uid;
	start.pid_start_ns = ev->pid_start_ns;
	start.cgroup_id = ev->cgroup_id;
	memcpy(start.comm, ev->comm, sizeof(start.comm));
	start.exe = ev->exe;
	start.session = s->id;
	start.session_root = ev->pid;
	start.sess.agent = agent;
	start.sess.container_id = s->cid[0] ? s->cid : NULL;
	start.sess.pod_uid = s->pod[0] ? s->pod : NULL;
	st->cfg.emit(&start, st->cfg.emit_arg);

	/* Its forks from now on join in the kernel. */
	if (st->cfg.member_fn) {
		st->cfg.member_fn(ev->pid, ev->pid_start_ns, s->id, true, st->cfg.member_arg);
		m->in_kernel = true;
	}
	return m;
}

static void session_end(struct session_table *st, struct session *s, uint64_t ts)
{
	struct event end;

	memset(&end, 0, sizeof(end));
	end.type = EVENT_SESSION_END;
	end.ts = ts;
	end.pid = s->root_pid;
	end.tid = s->root_pid;
	end.ppid = s->root_ppid;
	end.uid = s->root_uid;
	end.pid_start_ns = s->root_start_ns;
	memcpy(end.comm, s->root_comm, sizeof(end.comm));
	end.exe = s->root_exe;
	end.session = s->id;
	end.session_root = s->root_pid;
	end.sess.agent = s->agent;
	end.sess.container_id = s->cid[0] ? s->cid : NULL;
	end.sess.pod_uid = s->pod[0] ? s->pod : NULL;
	end.sess.processes = s->processes;
	end.sess.events = s->events;
	end.sess.duration_ns = ts > s->start_ts ? ts - s->start_ts : 0;
	st->cfg.emit(&end, st->cfg.emit_arg);

	calls_clear(s);
	free(s->root_exe);
	s->root_exe = NULL;
	s->id = 0;
	st->free_sessions[st->nfree_sessions++] = s - st->sessions;
	st->stats.live--;
	st->stats.ended++;
}

/* ---- matching ---- */

static bool word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

/* needle in text with no word character glued to either end. */
static bool contains_word(const char *text, const char *needle, size_t n)
{
	const char *p = text;

	if (!n)
		return false;
	while ((p = memmem(p, strlen(p), needle, n))) {
		if ((p == text || !word_char(p[-1])) && !word_char(p[n]))
			return true;
		p++;
	}
	return false;
}

int session_exec_score(const char *text, const char *args, size_t args_len)
{
	const char *argv[64], *p = args, *end = args + args_len, *prog;
	char line[CMDLINE_MAX];
	size_t argc = 0, len = 0;

	if (!text || !text[0])
		return 0;
	while (p < end && argc < sizeof(argv) / sizeof(argv[0])) {
		size_t n = strnlen(p, end - p);

		if (n == (size_t)(end - p))
			break; /* cut mid-argument: not NUL-terminated */
		argv[argc++] = p;
		p += n + 1;
	}
	if (!argc || !argv[0][0])
		return 0;
	prog = basename_of(argv[0]);
	/*
	 * A shell's script: `sh -c 'a; b'` runs what the model wrote, quotes and
	 * all. The script is the first operand after -c (bash -c -l 'x'); a
	 * short one must stand as a word, or "ls" would match "tools".
	 */
	if (argc >= 3 && argv[1][0] == '-' && argv[1][1] != '-' && strchr(argv[1], 'c')) {
		size_t i = 2;

		while (i < argc && argv[i][0] == '-')
			i++;
		if (i < argc && argv[i][0]) {
			size_t n = strlen(argv[i]);

			if (n >= 8 ? strstr(text, argv[i]) != NULL : contains_word(text, argv[i], n))
				return 3;
		}
	}
	/* The command line as the model would write it: program by name, then the arguments. */
	len = snprintf(line, sizeof(line), "%s", prog);
	for (size_t i = 1; i < argc && len < sizeof(line); i++)
		len += snprintf(line + len, sizeof(line) - len, " %s", argv[i]);
	if (len < sizeof(line) && argc > 1 && contains_word(text, line, len))
		return 3;
	if (!contains_word(text, prog, strlen(prog)))
		return 0;
	for (size_t i = 1; i < argc; i++)
		if (strlen(argv[i]) >= 2 && strstr(text, argv[i]))
			return 2;
	return argc == 1 ? 1 : 0;
}

/* The tool call of s before ts that best explains the exec; NULL. */
static struct tool_call *best_exec_call(struct session *s, const struct event *ev)
{
	struct tool_call *best = NULL;
	int best_score = 0;

	for (unsigned int i = 0; i < SESSION_CALLS_MAX; i++) {
		struct tool_call *c = &s->calls[i];
		int score;

		if (!c->seq || c->ts > ev->ts)
			continue;
		score = session_exec_score(c->text, ev->exec.args, ev->exec.args_len);
		if (score > best_score || (score && score == best_score && c->seq > best->seq)) {
			best = c;
			best_score = score;
		}
	}
	return best;
}

/* The newest call before ts whose text names one of the needles (host, IP, URL). */
static struct tool_call *best_net_call(struct session *s, uint64_t ts, const char *const *needles,
				       const size_t *lens, size_t n)
{
	struct tool_call *best = NULL;

	for (unsigned int i = 0; i < SESSION_CALLS_MAX; i++) {
		struct tool_call *c = &s->calls[i];

		if (!c->seq || c->ts > ts || !c->text || (best && c->seq < best->seq))
			continue;
		for (size_t k = 0; k < n; k++)
			if (lens[k] && contains_word(c->text, needles[k], lens[k])) {
				best = c;
				break;
			}
	}
	return best;
}

static struct tool_call *call_by_seq(struct session *s, uint64_t seq)
{
	struct tool_call *c = seq ? &s->calls[(seq - 1) % SESSION_CALLS_MAX] : NULL;

	return c && c->seq == seq ? c : NULL;
}

static uint64_t exec_cause(struct session *s, struct member *m, const struct event *ev)
{
	struct tool_call *c = best_exec_call(s, ev);

	m->pending_call = 0;
	m->pending_direct = false;
	if (c) {
		m->pending_call = c->seq;
		m->pending_direct = true;
		/* The same call already caused the exec we run under: hang below it. */
		if (m->cause_exec && m->cause_call == c->seq)
			return m->cause_exec;
		return c->resp_id;
	}
	m->pending_call = m->cause_call;
	return m->cause_exec;
}

static uint64_t net_cause(struct session *s, struct member *m, const struct event *ev)
{
	char ip[64], host[256];
	const char *needles[2];
	size_t lens[2], n = 0;
	struct tool_call *c;

	if (m->cause_exec)
		return m->cause_exec;
	if (m->agent)
		return 0; /* an agent's own traffic is its own doing */
	if (ev->type == EVENT_NET_CONNECT) {
		event_addr_str(&ev->connect.remote, ip, sizeof(ip));
		needles[n] = ip;
		lens[n++] = strlen(ip);
		if (ev->connect.host) {
			needles[n] = ev->connect.host;
			lens[n++] = strlen(ev->connect.host);
		}
	} else if (ev->type == EVENT_HTTP_REQUEST && ev->http.flow.host.len) {
		const char *h = ev->http.flow.host.ptr, *colon;
		size_t hl = ev->http.flow.host.len;

		colon = memchr(h, ':', hl);
		if (colon && h[0] != '[')
			hl = colon - h;
		if (hl < sizeof(host)) {
			memcpy(host, h, hl);
			host[hl] = 0;
			needles[n] = host;
			lens[n++] = hl;
		}
	}
	c = n ? best_net_call(s, ev->ts, needles, lens, n) : NULL;
	return c ? c->resp_id : 0;
}

static uint64_t results_cause(struct session *s, const struct llm_request *req)
{
	for (size_t i = 0; req && i < req->n_tool_results; i++) {
		const struct llm_tool_result *tr = &req->tool_results[i];
		bool by_id = tr->tool_call_id && tr->tool_call_id[0];
		struct tool_call *best = NULL;

		for (unsigned int k = 0; k < SESSION_CALLS_MAX; k++) {
			struct tool_call *c = &s->calls[k];

			if (!c->seq || (best && c->seq < best->seq))
				continue;
			if (by_id ? !strcmp(c->id, tr->tool_call_id) :
				    (tr->name && tr->name[0] && !strcmp(c->name, tr->name)))
				best = c;
		}
		if (best)
			return best->exec_id ? best->exec_id : best->resp_id;
	}
	return 0;
}

/* ---- the stage ---- */

static bool session_worthy(const struct event *ev)
{
	switch (ev->type) {
	case EVENT_AGENT_STATS:
	case EVENT_LIB_MAP:
	case EVENT_SESSION_START:
	case EVENT_SESSION_END:
		return false;
	default:
		return ev->pid != 0;
	}
}

void session_before(struct session_table *st, struct event *ev)
{
	struct member *m, *pm;
	struct session *s;
	const char *agent;

	if (!session_worthy(ev))
		return;
	m = member_find(st, ev->pid, ev->pid_start_ns, ev->ts);
	switch (ev->type) {
	case EVENT_PROCESS_FORK:
		if (m)
			break;
		pm = member_find(st, ev->ppid, ev->fork.parent_start_ns, ev->ts);
		if (!pm)
			break;
		m = member_add(st, pm->sess, ev->pid, ev->pid_start_ns);
		if (!m)
			break;
		/* The child runs under whatever its parent was running. */
		m->cause_exec = pm->cause_exec;
		m->cause_call = pm->cause_call;
		m->nested = pm->nested;
		/*
		 * The kernel inherited it already, unless it was forked before
		 * the session reached the kernel: from now on its opens are seen.
		 */
		if (st->cfg.member_fn) {
			st->cfg.member_fn(ev->pid, ev->pid_start_ns, st->sessions[m->sess].id, true,
					  st->cfg.member_arg);
			m->in_kernel = true;
		}
		break;
	case EVENT_PROCESS_EXEC:
		agent = st->cfg.n_agents ? session_agent_match(st->cfg.agents, st->cfg.n_agents,
							       ev->exec.filename, ev->exec.args,
							       ev->exec.args_len) :
					   NULL;
		if (!agent) {
			/* Only its first 15 bytes matched: not an agent after all. */
			if (ev->exec.agent_name && !m && st->cfg.member_fn)
				st->cfg.member_fn(ev->pid, ev->pid_start_ns, WARDEN_SESSION_NONE,
						  true, st->cfg.member_arg);
			break;
		}
		if (!m) {
			m = session_start(st, ev, agent);
		} else if (!m->agent) {
			m->agent = m->nested = true;
			st->stats.nested++;
		}
		break;
	case EVENT_LLM_REQUEST:
		if (!m) {
			m = session_start(st, ev, "llm-client");
		} else if (!m->agent) {
			/* An agent started by an agent: one session, marked. */
			m->agent = m->nested = true;
			st->stats.nested++;
		}
		break;
	default:
		break;
	}
	if (!m)
		return;
	s = &st->sessions[m->sess];
	ev->session = s->id;
	ev->session_root = s->root_pid;
	ev->session_nested = m->nested;
	s->events++;

	switch (ev->type) {
	case EVENT_PROCESS_EXEC:
		ev->cause = exec_cause(s, m, ev);
		break;
	case EVENT_NET_CONNECT:
	case EVENT_HTTP_REQUEST:
		ev->cause = net_cause(s, m, ev);
		break;
	case EVENT_FILE_OPEN:
	case EVENT_IO_URING:
	case EVENT_NET_LISTEN:
	case EVENT_NET_ACCEPT:
	case EVENT_NET_CONNECT_RESULT:
	case EVENT_PROCESS_FORK:
	case EVENT_PROCESS_EXIT:
		/* Under the exec the process runs (a fork: its parent's, inherited). */
		ev->cause = m->cause_exec;
		break;
	case EVENT_HTTP_RESPONSE:
		ev->cause = ev->http.request_id;
		break;
	case EVENT_LLM_REQUEST:
		ev->cause = results_cause(s, ev->llm.req);
		if (!ev->cause)
			ev->cause = m->cause_exec;
		break;
	default:
		if (event_is_file_change(ev->type))
			ev->cause = m->cause_exec; /* as a file.open's */
		break;
	}
	if (ev->cause)
		st->stats.caused++;
}

static char *args_text(struct session_table *st, const struct llm_tool_call *tc)
{
	char *buf = malloc(SESSION_ARGS_MAX);
	size_t len = 0;
	int r = -EINVAL;

	if (!buf)
		return NULL;
	/* Argument text for matching: every JSON string value, unescaped, one per line. */
	if (tc->args_json && tc->args.ptr)
		r = llm_json_strings(tc->args.ptr, tc->args.len, buf, SESSION_ARGS_MAX, &len);
	if (r < 0 && tc->args.ptr) {
		len = tc->args.len < SESSION_ARGS_MAX - 1 ? tc->args.len : SESSION_ARGS_MAX - 1;
		memcpy(buf, tc->args.ptr, len);
	}
	if (len + 1 >= SESSION_ARGS_MAX || tc->args.truncated)
		st->stats.args_truncated++;
	buf[len] = 0;
	return buf;
}

static void remember_calls(struct session_table *st, struct session *s, const struct event *ev)
{
	const struct llm_response *r = ev->llm.resp;

	for (size_t i = 0; r && i < r->n_tool_calls; i++) {
		const struct llm_tool_call *tc = &r->tool_calls[i];
		struct tool_call *c = &s->calls[s->ncalls % SESSION_CALLS_MAX];

		if (c->seq)
			st->stats.calls_evicted++;
		free(c->text);
		memset(c, 0, sizeof(*c));
		c->seq = ++s->ncalls;
		c->resp_id = ev->id;
		c->ts = ev->ts;
		snprintf(c->id, sizeof(c->id), "%s", tc->id ? tc->id : "");
		snprintf(c->name, sizeof(c->name), "%s", tc->name ? tc->name : "");
		c->text = args_text(st, tc);
		st->stats.calls++;
	}
}

void session_after(struct session_table *st, const struct event *ev)
{
	struct session *s;
	struct member *m;

	if (!ev->session || !session_worthy(ev))
		return;
	m = member_lookup(st, ev->pid);
	if (!m || st->sessions[m->sess].id != ev->session)
		return;
	s = &st->sessions[m->sess];
	if (ev->type == EVENT_LLM_RESPONSE) {
		remember_calls(st, s, ev);
	} else if (ev->type == EVENT_PROCESS_EXEC && ev->cause) {
		struct tool_call *c = call_by_seq(s, m->pending_call);

		m->cause_exec = ev->id;
		m->cause_call = m->pending_call;
		if (c && m->pending_direct && !c->exec_id)
			c->exec_id = ev->id;
	}
}

void session_process_exit(struct session_table *st, const struct event *ev)
{
	struct member *m = member_lookup(st, ev->pid);

	if (m && (!ev->pid_start_ns || !m->start_ns || m->start_ns == ev->pid_start_ns))
		member_remove(st, m, ev->ts);
}

void session_get_stats(const struct session_table *st, struct session_stats *out)
{
	*out = st->stats;
}

/* ---- named agents ---- */

static bool is_interpreter(const char *base)
{
	static const char *const names[] = { "node",  "nodejs", "bun",	"deno", "python*",
					     "ruby",  "perl",	"bash", "sh",	"dash" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!fnmatch(names[i], base, 0))
			return true;
	return false;
}

const char *session_agent_match(const char *const *patterns, size_t n, const char *filename,
				const char *args, size_t args_len)
{
	const char *base = basename_of(filename), *p = args, *end = args + args_len;
	const char *script = NULL;

	for (size_t i = 0; i < n; i++)
		if (!fnmatch(patterns[i], filename, 0) || !fnmatch(patterns[i], base, 0))
			return patterns[i];
	if (!is_interpreter(base) || !args_len)
		return NULL;
	/* The script: the first argument after argv[0] that is no option. */
	p += strnlen(p, end - p) + 1;
	while (p < end) {
		size_t len = strnlen(p, end - p);

		if (len == (size_t)(end - p))
			break;
		if (p[0] != '-') {
			script = p;
			break;
		}
		p += len + 1;
	}
	if (!script)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!fnmatch(patterns[i], script, 0) ||
		    !fnmatch(patterns[i], basename_of(script), 0))
			return patterns[i];
	return NULL;
}

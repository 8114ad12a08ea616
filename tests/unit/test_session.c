// SPDX-License-Identifier: Apache-2.0
/* Unit tests for src/session/session.c: membership, session ends, named agents, cgroups, causes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "warden/decode/llm.h"
#include "warden/event.h"
#include <linux/types.h>
#include "warden/events.h"
#include "warden/session.h"

#define MS 1000000ull
#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct world {
	struct session_table *st;
	uint64_t next_id, ts;
	struct event emitted[32];
	int nemitted;
	int adds, removes;
	uint32_t last_add_pid;
	uint64_t last_add_session;
};

static void w_emit(struct event *ev, void *arg)
{
	struct world *w = arg;

	if (!ev->id)
		ev->id = ++w->next_id;
	if (w->nemitted < 32)
		w->emitted[w->nemitted++] = *ev;
}

static uint64_t w_next(void *arg)
{
	return ++((struct world *)arg)->next_id;
}

static void w_member(uint32_t pid, uint64_t start_ns, uint64_t session, bool add, void *arg)
{
	struct world *w = arg;

	(void)start_ns;
	if (add) {
		w->adds++;
		w->last_add_pid = pid;
		w->last_add_session = session;
	} else {
		w->removes++;
	}
}

static struct world *world_new(const char *const *agents, size_t n_agents)
{
	static struct world w;
	struct session_config cfg = { .max_sessions = 4,
				      .max_members = 16,
				      .agents = agents,
				      .n_agents = n_agents,
				      .proc_root = "/nonexistent",
				      .member_fn = w_member,
				      .member_arg = &w,
				      .emit = w_emit,
				      .next_id = w_next,
				      .emit_arg = &w };

	memset(&w, 0, sizeof(w));
	w.ts = 1000 * MS;
	assert_int_equal(session_new(&cfg, &w.st), 0);
	return &w;
}

static void world_free(struct world *w)
{
	session_free(w->st);
}

static uint64_t start_of(uint32_t pid)
{
	return pid * 1000ull;
}

static struct event base(struct world *w, enum event_type type, uint32_t pid)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.pid = ev.tid = pid;
	ev.pid_start_ns = start_of(pid);
	ev.ts = (w->ts += MS);
	strcpy(ev.comm, "test");
	return ev;
}

/* What the pipeline does with every event: before, write (the id), after. */
static uint64_t feed(struct world *w, struct event *ev)
{
	session_before(w->st, ev);
	ev->id = ++w->next_id;
	session_after(w->st, ev);
	if (ev->type == EVENT_PROCESS_EXIT)
		session_process_exit(w->st, ev);
	return ev->id;
}

static struct event fork_ev(struct world *w, uint32_t child, uint32_t parent)
{
	struct event ev = base(w, EVENT_PROCESS_FORK, child);

	ev.ppid = parent;
	ev.fork.parent_start_ns = start_of(parent);
	feed(w, &ev);
	return ev;
}

/* argv as one string with '|' between arguments. */
static struct event exec_ev(struct world *w, uint32_t pid, const char *argv)
{
	static char args[8][512];
	static int slot;
	char *a = args[slot++ % 8];
	struct event ev = base(w, EVENT_PROCESS_EXEC, pid);
	size_t n = strlen(argv);

	memcpy(a, argv, n + 1);
	for (size_t i = 0; i < n; i++)
		if (a[i] == '|')
			a[i] = 0;
	ev.exec.filename = a; /* argv[0] */
	ev.exec.args = a;
	ev.exec.args_len = n + 1;
	feed(w, &ev);
	return ev;
}

static struct event exit_ev(struct world *w, uint32_t pid)
{
	struct event ev = base(w, EVENT_PROCESS_EXIT, pid);

	feed(w, &ev);
	return ev;
}

static struct event request_ev(struct world *w, uint32_t pid, const struct llm_request *req)
{
	struct event ev = base(w, EVENT_LLM_REQUEST, pid);

	ev.llm.req = req;
	feed(w, &ev);
	return ev;
}

static struct event response_ev(struct world *w, uint32_t pid, const char *call_id,
				const char *args_json)
{
	static struct llm_tool_call tc[4];
	static struct llm_response r[4];
	static int slot;
	int i = slot++ % 4;
	struct event ev = base(w, EVENT_LLM_RESPONSE, pid);

	memset(&tc[i], 0, sizeof(tc[i]));
	memset(&r[i], 0, sizeof(r[i]));
	tc[i].id = call_id;
	tc[i].name = "run_shell";
	tc[i].args.ptr = args_json;
	tc[i].args.len = tc[i].args.total = strlen(args_json);
	tc[i].args_json = true;
	r[i].tool_calls = &tc[i];
	r[i].n_tool_calls = r[i].tool_calls_total = 1;
	ev.llm.resp = &r[i];
	feed(w, &ev);
	return ev;
}

static struct event connect_ev(struct world *w, uint32_t pid, const char *ip)
{
	struct event ev = base(w, EVENT_NET_CONNECT, pid);

	ev.connect.remote.family = AF_INET;
	ev.connect.remote.port = 443;
	inet_pton(AF_INET, ip, ev.connect.remote.addr);
	feed(w, &ev);
	return ev;
}

static struct event open_ev(struct world *w, uint32_t pid, const char *path)
{
	struct event ev = base(w, EVENT_FILE_OPEN, pid);

	ev.file.path = path;
	ev.file.path_len = strlen(path);
	feed(w, &ev);
	return ev;
}

static void tree_inheritance(void **state)
{
	struct world *w = world_new(NULL, 0);
	struct event early, req, f1, f2, other, later;

	(void)state;
	early = fork_ev(w, 99, 100); /* forked before 100 became an agent */
	assert_int_equal(early.session, 0);
	req = request_ev(w, 100, NULL);
	assert_int_equal(w->nemitted, 1);
	assert_int_equal(w->emitted[0].type, EVENT_SESSION_START);
	assert_int_equal(w->emitted[0].session, w->emitted[0].id);
	assert_string_equal(w->emitted[0].sess.agent, "llm-client");
	assert_null(w->emitted[0].sess.container_id);
	assert_int_equal(req.session, w->emitted[0].id);
	assert_int_equal(req.session_root, 100);
	assert_false(req.session_nested);
	assert_int_equal(w->adds, 1);
	assert_int_equal(w->last_add_pid, 100);
	assert_int_equal(w->last_add_session, req.session);
	f1 = fork_ev(w, 101, 100);
	f2 = fork_ev(w, 102, 101);
	assert_int_equal(f1.session, req.session);
	assert_int_equal(f2.session, req.session);
	assert_int_equal(f2.session_root, 100);
	other = fork_ev(w, 200, 50);
	assert_int_equal(other.session, 0);
	later = exec_ev(w, 99, "/bin/true");
	assert_int_equal(later.session, 0); /* the child from before stays out */
	/* Forks are inherited in the kernel; re-added for those forked before it knew. */
	assert_int_equal(w->adds, 3);
	assert_int_equal(w->last_add_pid, 102);
	world_free(w);
}

static void session_ends_with_last_member(void **state)
{
	struct world *w = world_new(NULL, 0);
	struct event req;
	struct session_stats ss;

	(void)state;
	req = request_ev(w, 100, NULL);
	fork_ev(w, 101, 100);
	exit_ev(w, 100);
	assert_int_equal(w->nemitted, 1); /* 101 lives on */
	exit_ev(w, 101);
	assert_int_equal(w->nemitted, 2);
	assert_int_equal(w->emitted[1].type, EVENT_SESSION_END);
	assert_int_equal(w->emitted[1].session, req.session);
	assert_int_equal(w->emitted[1].pid, 100);
	assert_int_equal(w->emitted[1].sess.processes, 2);
	assert_int_equal(w->emitted[1].sess.events, 4); /* request, fork, two exits */
	assert_true(w->emitted[1].sess.duration_ns >= 3 * MS);
	assert_int_equal(w->removes, 2); /* the processes we added */
	session_get_stats(w->st, &ss);
	assert_int_equal(ss.live, 0);
	assert_int_equal(ss.started, 1);
	assert_int_equal(ss.ended, 1);
	assert_int_equal(ss.members, 0);
	/* Sessions are reusable: a new agent gets a new id. */
	req = request_ev(w, 300, NULL);
	assert_int_equal(w->nemitted, 3);
	assert_true(req.session > w->emitted[1].session);
	world_free(w);
}

static void nested_agent(void **state)
{
	struct world *w = world_new(NULL, 0);
	struct event req, inner, f, root_again;
	struct session_stats ss;

	(void)state;
	req = request_ev(w, 100, NULL);
	fork_ev(w, 101, 100);
	exec_ev(w, 101, "/usr/bin/claude|-p|hello");
	inner = request_ev(w, 101, NULL);
	assert_int_equal(w->nemitted, 1); /* no second session */
	assert_int_equal(inner.session, req.session);
	assert_true(inner.session_nested);
	f = fork_ev(w, 102, 101);
	assert_true(f.session_nested);
	root_again = request_ev(w, 100, NULL);
	assert_false(root_again.session_nested);
	session_get_stats(w->st, &ss);
	assert_int_equal(ss.nested, 1);
	world_free(w);
}

static void two_agents_two_sessions(void **state)
{
	struct world *w = world_new(NULL, 0);
	struct event a, b, fa, fb;

	(void)state;
	a = request_ev(w, 100, NULL);
	b = request_ev(w, 200, NULL);
	assert_int_equal(w->nemitted, 2);
	assert_int_not_equal(a.session, b.session);
	fa = fork_ev(w, 101, 100);
	fb = fork_ev(w, 201, 200);
	assert_int_equal(fa.session, a.session);
	assert_int_equal(fb.session, b.session);
	assert_int_equal(fb.session_root, 200);
	exit_ev(w, 100);
	exit_ev(w, 101);
	assert_int_equal(w->nemitted, 3);
	assert_int_equal(w->emitted[2].session, a.session);
	world_free(w);
}

static void pid_reuse_by_start_time(void **state)
{
	struct world *w = world_new(NULL, 0);
	struct event req, reused;
	struct session_stats ss;

	(void)state;
	req = request_ev(w, 100, NULL);
	/* 100's exit was lost; a new process gets pid 100. */
	reused = base(w, EVENT_PROCESS_EXEC, 100);
	reused.pid_start_ns = start_of(100) + 5;
	reused.exec.filename = "/bin/true";
	reused.exec.args = "/bin/true";
	reused.exec.args_len = 10;
	feed(w, &reused);
	assert_int_equal(reused.session, 0);
	session_get_stats(w->st, &ss);
	assert_int_equal(ss.members_stale, 1);
	assert_int_equal(w->nemitted, 2);
	assert_int_equal(w->emitted[1].type, EVENT_SESSION_END);
	assert_int_equal(w->emitted[1].session, req.session);
	world_free(w);
}

static void named_agents(void **state)
{
	static const char *const pats[] = { "agent.js", "claude", "/opt/bin/aider", "bot*.py" };
	struct world *w;
	struct event ex, f;

	(void)state;
#define M(file, args) session_agent_match(pats, 4, file, args, sizeof(args))
	assert_string_equal(M("/usr/bin/node", "node\0/srv/x/agent.js\0--fast"), "agent.js");
	assert_string_equal(M("/usr/bin/node", "node\0--inspect\0agent.js"), "agent.js");
	assert_string_equal(M("/usr/local/bin/claude", "claude\0-p\0hi"), "claude");
	assert_string_equal(M("/opt/bin/aider", "aider"), "/opt/bin/aider");
	assert_string_equal(M("/usr/bin/python3.11", "python3\0-u\0/home/a/bot2.py"), "bot*.py");
	assert_null(M("/usr/bin/cat", "cat\0agent.js"));
	assert_null(M("/usr/bin/node", "node\0other.js"));
	assert_null(M("/usr/bin/node", "node"));
#undef M
	w = world_new(pats, 4);
	ex = exec_ev(w, 100, "/usr/bin/node|/srv/agent.js");
	assert_int_equal(w->nemitted, 1);
	assert_string_equal(w->emitted[0].sess.agent, "agent.js");
	assert_int_equal(ex.session, w->emitted[0].id);
	f = fork_ev(w, 101, 100);
	assert_int_equal(f.session, ex.session);
	/* A named agent run by a member: nested in that session. */
	ex = exec_ev(w, 101, "/usr/local/bin/claude");
	assert_int_equal(w->nemitted, 1);
	assert_true(ex.session_nested);
	world_free(w);
}

/*
 * The kernel makes an exec of an --agent name a candidate by its first 15
 * bytes (comm); the whole pattern decides: the session, or NONE at once.
 */
static void named_agent_kernel_candidates(void **state)
{
	static const char *const pats[] = { "agent-0123456789-named.sh" };
	struct world *w;
	struct event ev;

	(void)state;
	w = world_new(pats, 1);
	ev = base(w, EVENT_PROCESS_EXEC, 200);
	ev.exec.filename = "/tmp/agent-0123456789-twin.sh";
	ev.exec.args = "/tmp/agent-0123456789-twin.sh";
	ev.exec.args_len = strlen(ev.exec.args) + 1;
	ev.exec.agent_name = true;
	feed(w, &ev);
	assert_int_equal(w->nemitted, 0);
	assert_int_equal(ev.session, 0);
	assert_int_equal(w->adds, 1);
	assert_int_equal(w->last_add_pid, 200);
	assert_true(w->last_add_session == WARDEN_SESSION_NONE);

	/* Not flagged by the kernel: nothing to take back. */
	ev = base(w, EVENT_PROCESS_EXEC, 201);
	ev.exec.filename = ev.exec.args = "/usr/bin/true";
	ev.exec.args_len = strlen(ev.exec.args) + 1;
	feed(w, &ev);
	assert_int_equal(w->adds, 1);

	/* The real one: a session, which replaces the candidate in the kernel. */
	ev = base(w, EVENT_PROCESS_EXEC, 202);
	ev.exec.filename = ev.exec.args = "/tmp/agent-0123456789-named.sh";
	ev.exec.args_len = strlen(ev.exec.args) + 1;
	ev.exec.agent_name = true;
	feed(w, &ev);
	assert_int_equal(w->nemitted, 1);
	assert_int_equal(ev.session, w->emitted[0].id);
	assert_int_equal(w->last_add_pid, 202);
	assert_true(w->last_add_session == ev.session);
	world_free(w);
}

/*
 * Processes adopted from /proc at start-up have no exact start time (0):
 * the first event of each fills it in, and a later process with its pid but
 * another start is not taken for it.
 */
static void adopted_members_learn_start(void **state)
{
	static const char *const pats[] = { "claude" };
	struct world *w;
	struct event ev;
	uint64_t sid;

	(void)state;
	w = world_new(pats, 1);
	ev = base(w, EVENT_PROCESS_EXEC, 300);
	ev.pid_start_ns = 0;
	ev.exec.filename = ev.exec.args = "/usr/local/bin/claude";
	ev.exec.args_len = strlen(ev.exec.args) + 1;
	feed(w, &ev);
	sid = ev.session;
	assert_true(sid != 0);
	/* Its child, running already: joins by a fork with no start times. */
	ev = base(w, EVENT_PROCESS_FORK, 301);
	ev.pid_start_ns = 0;
	ev.ppid = 300;
	ev.fork.parent_start_ns = 0;
	feed(w, &ev);
	assert_int_equal(ev.session, sid);
	/* Their first real events carry exact start times: same processes. */
	ev = open_ev(w, 301, "/etc/hosts");
	assert_int_equal(ev.session, sid);
	ev = open_ev(w, 300, "/etc/hosts");
	assert_int_equal(ev.session, sid);
	/* A new process with pid 301 (another start) is not the member. */
	ev = base(w, EVENT_FILE_OPEN, 301);
	ev.pid_start_ns = start_of(301) + 1;
	ev.file.path = "/etc/passwd";
	ev.file.path_len = strlen(ev.file.path);
	feed(w, &ev);
	assert_int_equal(ev.session, 0);
	world_free(w);
}

static void cgroup_paths(void **state)
{
	char cid[SESSION_CID_MAX], pod[SESSION_POD_MAX];
	const char *t;

	(void)state;
	t = "0::/system.slice/docker-" HEX64 ".scope\n";
	assert_int_equal(session_parse_cgroup(t, strlen(t), cid, pod), 1);
	assert_string_equal(cid, HEX64);
	assert_string_equal(pod, "");
	t = "12:memory:/docker/" HEX64 "\n11:cpu:/docker/" HEX64 "\n";
	assert_int_equal(session_parse_cgroup(t, strlen(t), cid, pod), 1);
	assert_string_equal(cid, HEX64);
	t = "0::/kubepods.slice/kubepods-burstable.slice/"
	    "kubepods-burstable-pod1234abcd_5678_90ab_cdef_1234567890ab.slice/"
	    "cri-containerd-" HEX64 ".scope\n";
	assert_int_equal(session_parse_cgroup(t, strlen(t), cid, pod), 1);
	assert_string_equal(cid, HEX64);
	assert_string_equal(pod, "1234abcd-5678-90ab-cdef-1234567890ab");
	t = "11:cpu,cpuacct:/kubepods/besteffort/pod12345678-1234-1234-1234-123456789abc/" HEX64
	    "\n";
	assert_int_equal(session_parse_cgroup(t, strlen(t), cid, pod), 1);
	assert_string_equal(cid, HEX64);
	assert_string_equal(pod, "12345678-1234-1234-1234-123456789abc");
	t = "0::/kubepods.slice/kubepods-pod1234abcd_5678_90ab_cdef_1234567890ab.slice/"
	    "crio-" HEX64 ".scope";
	assert_int_equal(session_parse_cgroup(t, strlen(t), cid, pod), 1);
	assert_string_equal(pod, "1234abcd-5678-90ab-cdef-1234567890ab");
	t = "0::/user.slice/user-0.slice/session-3.scope\n";
	assert_int_equal(session_parse_cgroup(t, strlen(t), cid, pod), 0);
	assert_string_equal(cid, "");
	assert_string_equal(pod, "");
	t = "0::/docker/0123\n"; /* too short to be an id */
	assert_int_equal(session_parse_cgroup(t, strlen(t), cid, pod), 0);
	assert_int_equal(session_parse_cgroup("", 0, cid, pod), 0);
}

/* args with its final NUL, as the kernel copies argv. */
#define SC(text, args) session_exec_score(text, args, sizeof(args))

static void exec_scores(void **state)
{
	(void)state;
	assert_int_equal(SC("echo hi\n", "echo\0hi"), 3);
	assert_int_equal(SC("curl -sk https://x/y\n", "/usr/bin/curl\0-sk\0https://x/y"), 3);
	assert_int_equal(SC("sh -c 'a; b'\n", "/bin/sh\0-c\0a; b"), 3);
	assert_int_equal(SC("x\nbash -lc 'make -j4 all'", "bash\0-c\0-l\0make -j4 all"), 3);
	/* Options after -c are no script; a short script stands as a word. */
	assert_int_equal(SC("use -l here", "bash\0-c\0-l\0snapshot && run"), 0);
	assert_int_equal(SC("see the tools", "sh\0-c\0ls"), 0);
	assert_int_equal(SC("run ls", "sh\0-c\0ls"), 3);
	/* Program and one argument, in another order or with other flags. */
	assert_int_equal(SC("please curl https://x/y quietly", "curl\0-s\0https://x/y"), 2);
	assert_int_equal(SC("scatter /tmp/f", "cat\0/tmp/f"), 0);
	assert_int_equal(SC("ls -la", "cat\0/etc/passwd"), 0);
	assert_int_equal(SC("run date now", "date"), 1);
	assert_int_equal(SC(NULL, "date"), 0);
	assert_int_equal(SC("", "date"), 0);
}
#undef SC

#define CMD "sh -c 'curl -sk https://10.0.0.5/x; cat /tmp/f'"

static void causes_shell_wrapper(void **state)
{
	struct world *w = world_new(NULL, 0);
	struct event req, resp, sh, curl, conn, cat, op, ls, git, lsconn, before;
	struct llm_tool_result tr = { .tool_call_id = "call_1", .name = "run_shell" };
	struct llm_request followup = { .tool_results = &tr, .n_tool_results = 1 };

	(void)state;
	req = request_ev(w, 100, NULL);
	fork_ev(w, 110, 100);
	before = exec_ev(w, 110, "curl|-sk|https://10.0.0.5/x"); /* before the call: no cause */
	assert_int_equal(before.cause, 0);
	resp = response_ev(w, 100, "call_1", "{\"command\":\"" "sh -c 'curl -sk https://10.0.0.5/x; cat /tmp/f'" "\"}");
	assert_int_equal(resp.session, req.session);
	fork_ev(w, 101, 100);
	sh = exec_ev(w, 101, "/bin/sh|-c|" CMD);
	assert_int_equal(sh.cause, resp.id);
	fork_ev(w, 102, 101);
	curl = exec_ev(w, 102, "curl|-sk|https://10.0.0.5/x");
	assert_int_equal(curl.cause, sh.id); /* same call: below the sh that runs it */
	conn = connect_ev(w, 102, "10.0.0.5");
	assert_int_equal(conn.cause, curl.id);
	fork_ev(w, 103, 101);
	cat = exec_ev(w, 103, "cat|/tmp/f");
	assert_int_equal(cat.cause, sh.id);
	op = open_ev(w, 103, "/tmp/f");
	assert_int_equal(op.cause, cat.id);
	/* No match of its own: the parent's exec. */
	fork_ev(w, 104, 101);
	ls = exec_ev(w, 104, "/usr/bin/ls|/etc");
	assert_int_equal(ls.cause, sh.id);
	lsconn = connect_ev(w, 104, "192.0.2.1");
	assert_int_equal(lsconn.cause, ls.id);
	/* The agent's own doings are not the tool's. */
	fork_ev(w, 105, 100);
	git = exec_ev(w, 105, "git|status");
	assert_int_equal(git.cause, 0);
	conn = connect_ev(w, 100, "10.0.0.5");
	assert_int_equal(conn.cause, 0);
	/* The tool result goes back: caused by the exec the call caused. */
	req = request_ev(w, 100, &followup);
	assert_int_equal(req.cause, sh.id);
	world_free(w);
}

static void causes_tool_results_and_hosts(void **state)
{
	struct world *w = world_new(NULL, 0);
	struct event resp, resp2, req, conn;
	struct llm_tool_result tr = { .tool_call_id = "call_9", .name = "" };
	struct llm_tool_result by_name = { .tool_call_id = "", .name = "run_shell" };
	struct llm_request followup = { .tool_results = &tr, .n_tool_results = 1 };
	struct llm_request gemini = { .tool_results = &by_name, .n_tool_results = 1 };

	(void)state;
	request_ev(w, 100, NULL);
	resp = response_ev(w, 100, "call_9", "{\"url\":\"https://api.example.com/data\"}");
	/* No exec known for the call: the response itself. */
	req = request_ev(w, 100, &followup);
	assert_int_equal(req.cause, resp.id);
	resp2 = response_ev(w, 100, "", "{\"command\":\"echo x\"}");
	req = request_ev(w, 100, &gemini); /* no ids: by name, the newest */
	assert_int_equal(req.cause, resp2.id);
	/* A member with no caused exec that connects where a call said. */
	fork_ev(w, 101, 100);
	conn = base(w, EVENT_NET_CONNECT, 101);
	conn.connect.remote.family = AF_INET;
	inet_pton(AF_INET, "192.0.2.7", conn.connect.remote.addr);
	conn.connect.host = "api.example.com";
	feed(w, &conn);
	assert_int_equal(conn.cause, resp.id);
	world_free(w);
}

static void bounded_tables(void **state)
{
	struct world *w = world_new(NULL, 0);
	struct session_stats ss;
	char args[64];

	(void)state;
	for (uint32_t i = 0; i < 6; i++)
		request_ev(w, 1000 + i, NULL);
	session_get_stats(w->st, &ss);
	assert_int_equal(ss.live, 4);
	assert_int_equal(ss.full, 2);
	for (uint32_t i = 0; i < 20; i++)
		fork_ev(w, 2000 + i, 1000);
	session_get_stats(w->st, &ss);
	assert_int_equal(ss.members, 16);
	assert_int_equal(ss.members_full, 8);
	/* An exit frees its entry for exactly one later fork; whole sessions likewise. */
	exit_ev(w, 2000);
	fork_ev(w, 3000, 1000);
	fork_ev(w, 3001, 1000);
	session_get_stats(w->st, &ss);
	assert_int_equal(ss.members, 16);
	assert_int_equal(ss.members_full, 9);
	exit_ev(w, 1001);
	request_ev(w, 1006, NULL);
	request_ev(w, 1007, NULL);
	session_get_stats(w->st, &ss);
	assert_int_equal(ss.live, 4);
	assert_int_equal(ss.full, 3);
	for (int i = 0; i < SESSION_CALLS_MAX + 3; i++) {
		snprintf(args, sizeof(args), "{\"command\":\"echo %d\"}", i);
		response_ev(w, 1000, "c", args);
	}
	session_get_stats(w->st, &ss);
	assert_int_equal(ss.calls, SESSION_CALLS_MAX + 3);
	assert_int_equal(ss.calls_evicted, 3);
	world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tree_inheritance),
		cmocka_unit_test(session_ends_with_last_member),
		cmocka_unit_test(nested_agent),
		cmocka_unit_test(two_agents_two_sessions),
		cmocka_unit_test(pid_reuse_by_start_time),
		cmocka_unit_test(named_agents),
		cmocka_unit_test(named_agent_kernel_candidates),
		cmocka_unit_test(adopted_members_learn_start),
		cmocka_unit_test(cgroup_paths),
		cmocka_unit_test(exec_scores),
		cmocka_unit_test(causes_shell_wrapper),
		cmocka_unit_test(causes_tool_results_and_hosts),
		cmocka_unit_test(bounded_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

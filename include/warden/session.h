/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Agent sessions: a pipeline stage that groups what an AI agent and the
 * processes it starts do, and links each action to the model's tool call
 * that most plausibly caused it.
 *
 * A session starts when a process that is in none sends an LLM API request
 * (llm.request; mcp.call does not count), or execs a binary named with
 * --agent. It covers that process and every process it forks from then on
 * (children that already ran are not adopted) for as long as one of them
 * lives. A member that talks to an LLM API itself is a nested agent: it
 * stays in its parent's session, its events (and its descendants') are
 * marked session_nested. session.start is an event of its own and its id
 * is the session's id; session.end follows the exit of the last member.
 *
 * Causes (event.cause) within a session, from the tool calls of its
 * llm.response events (the last SESSION_CALLS_MAX, arguments cut to
 * SESSION_ARGS_MAX):
 *   process.exec   the tool call whose argument text contains the command
 *                  line (or its `sh -c` script, or the exec'd program's
 *                  name and one more argument); when that call already
 *                  caused the exec this process descends from, that exec
 *                  (tool call -> sh -> curl). No match: the exec of its
 *                  parent (or its own earlier image) that had a cause.
 *   net.connect, file.open, http.request
 *                  the caused exec the process runs under; else (not for
 *                  agents' own traffic) a tool call naming the host, IP or
 *                  URL.
 *   llm.request    with tool results: the exec caused by the tool call
 *                  with that tool_call_id, else that call's llm.response.
 * Only tool calls seen before the event count.
 *
 * Processes are (pid, start time). Everything is bounded: sessions,
 * members and calls are fixed-size tables with counters when full.
 */
#ifndef WARDEN_SESSION_H
#define WARDEN_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event;
struct session_table;

#define SESSION_AGENTS_MAX 64 /* --agent patterns */
#define SESSION_CALLS_MAX 16 /* tool calls remembered per session */
#define SESSION_ARGS_MAX 2048 /* bytes of a tool call's argument text kept */
#define SESSION_CID_MAX 65 /* container id, NUL included */
#define SESSION_POD_MAX 37 /* pod UID, NUL included */

/*
 * The kernel's membership (session_members): add a session's first process,
 * remove a process that left. The pipeline has no sensor: wardend wires it.
 */
typedef void (*session_member_fn)(uint32_t pid, uint64_t start_ns, uint64_t session, bool add,
				  void *arg);
/* Write an event the stage makes (session.start/end). Assigns ev->id when it is 0. */
typedef void (*session_emit_fn)(struct event *ev, void *arg);
/* The next event id, reserved. */
typedef uint64_t (*session_next_id_fn)(void *arg);

struct session_config {
	unsigned int max_sessions; /* live at once */
	unsigned int max_members; /* live member processes, all sessions */
	const char *const *agents; /* --agent patterns (fnmatch(3)); borrowed */
	size_t n_agents;
	const char *proc_root; /* "/proc": container ids from PID/cgroup */
	session_member_fn member_fn; /* NULL: no kernel side (replays, tests) */
	void *member_arg;
	session_emit_fn emit;
	session_next_id_fn next_id;
	void *emit_arg;
};

struct session_stats {
	uint64_t live; /* sessions */
	uint64_t started;
	uint64_t ended;
	uint64_t full; /* sessions not started: the table was full */
	uint64_t members; /* live member processes */
	uint64_t members_full; /* processes not adopted: the member table was full */
	uint64_t members_stale; /* members dropped because their pid was reused */
	uint64_t nested; /* nested agents seen */
	uint64_t calls; /* tool calls remembered */
	uint64_t calls_evicted; /* tool calls forgotten for newer ones */
	uint64_t args_truncated; /* tool call arguments cut to SESSION_ARGS_MAX */
	uint64_t caused; /* events given a cause */
};

int session_new(const struct session_config *cfg, struct session_table **out);
void session_free(struct session_table *st);

/*
 * Before ev is written: starts sessions, adopts forked children, sets
 * session, session_root, session_nested and cause. May emit session.start.
 */
void session_before(struct session_table *st, struct event *ev);
/* After ev was written (ev->id is set): remembers exec ids and tool calls. */
void session_after(struct session_table *st, const struct event *ev);
/*
 * A process exited (its exit event and whatever the decoders flushed for it
 * were written): it leaves its session, which may end (session.end).
 */
void session_process_exit(struct session_table *st, const struct event *exit_ev);

void session_get_stats(const struct session_table *st, struct session_stats *out);

/* Exposed for tests. */

/*
 * Does an exec match an --agent pattern? pattern is matched (fnmatch) against
 * the filename, its basename, and for interpreters (node, python*, ...) the
 * script: argv[1] and its basename. Returns the pattern that matched or NULL.
 */
const char *session_agent_match(const char *const *patterns, size_t n, const char *filename,
				const char *args, size_t args_len);

/*
 * Container id and Kubernetes pod UID from /proc/PID/cgroup text (v1 or
 * v2): docker-<64hex>.scope, /docker/<64hex>, cri-containerd-<id>.scope,
 * crio-<id>.scope, kubepods...pod<uid> (uid with '-' or '_'). Empty strings
 * when absent. Returns 1 when anything was found, else 0.
 */
int session_parse_cgroup(const char *text, size_t len, char cid[SESSION_CID_MAX],
			 char pod[SESSION_POD_MAX]);

/*
 * How well an exec's argv matches a tool call's argument text: 3 the
 * command line (or sh -c script) appears whole, 2 the program's name and
 * another argument appear, 0 no match.
 */
int session_exec_score(const char *text, const char *args, size_t args_len);

#endif

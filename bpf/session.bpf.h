/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent-session membership map, shared by session.bpf.c (forks, exits,
 * file opens) and tls.bpf.c (which marks candidates): __weak so that the
 * linked object has one.
 */
#ifndef WARDEN_SESSION_BPF_H
#define WARDEN_SESSION_BPF_H

#include "common.bpf.h"

/*
 * The session of a process, in its group leader's task storage. A process
 * in none (nearly every one on a host) has no storage: asking costs a
 * pointer load in its task_struct, where a hash keyed by tgid missed in a
 * cold bucket (about 0.3 us) on every openat(), fork and exit of the host.
 * The entry lives and dies with the process, so a reused pid never finds
 * an old one. Userspace adds roots and sets candidates' sessions by pidfd.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct warden_session_member);
} session_members SEC(".maps") __weak;

/* Leader's entry (created, zeroed, with BPF_LOCAL_STORAGE_GET_F_CREATE); NULL when none. */
static __always_inline struct warden_session_member *member_get(struct task_struct *leader,
								__u64 flags)
{
	return task_storage(&session_members, leader, flags);
}

/* The entry of the current process: its threads share their leader's. */
static __always_inline struct warden_session_member *member_of_current(void)
{
	return member_get(bpf_get_current_task_btf()->group_leader, 0);
}

/* The session of the current process, 0 when it is in none (or a candidate's unset). */
static __always_inline __u64 current_session(void)
{
	struct warden_session_member *m = member_of_current();

	if (!m || m->session == WARDEN_SESSION_NONE)
		return 0;
	return m->session; /* 0 too for an entry made and left unset */
}

/*
 * A member whose exec ran on a thread other than its leader: the kernel
 * frees the old leader, storage and all, and the exec'ing thread takes its
 * place. The old leader leaves its entry here as it exits (its group still
 * lives); the exec program takes it over. Keyed by tgid, checked against
 * the start time, which the new leader inherits.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct warden_session_member);
} session_handover SEC(".maps") __weak;

/*
 * Program names given with --agent (literal basenames, as comm holds them):
 * a process that execs one becomes a CANDIDATE at the exec itself, so the
 * agent's first file opens and forks are traced before userspace reads the
 * exec. Filled by userspace before the programs are attached.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WARDEN_AGENT_NAMES_MAX);
	__type(key, struct warden_comm_key);
	__type(value, __u8);
} agent_names SEC(".maps") __weak;

#endif

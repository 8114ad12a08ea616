/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent-session membership map, shared by session.bpf.c (forks, exits,
 * file opens) and tls.bpf.c (which marks candidates): __weak so that the
 * linked object has one.
 */
#ifndef WARDEN_SESSION_BPF_H
#define WARDEN_SESSION_BPF_H

#include "common.bpf.h"

/* tgid -> its session. Userspace adds roots; forks and exits are handled in BPF. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WARDEN_SESSION_MEMBERS_MAX);
	__type(key, __u32);
	__type(value, struct warden_session_member);
} session_members SEC(".maps") __weak;

/*
 * Whether entry m (of key tgid) is the process that started at start_time.
 * A start time of 0 comes from userspace adopting a process that ran before
 * wardend (/proc has it only in clock ticks): the first sight of that pid
 * fills it in. An entry left by a process that died unseen is deleted, so a
 * new process with its pid starts clean.
 */
static __always_inline bool member_is(struct warden_session_member *m, __u32 tgid, __u64 start_time)
{
	if (m->start_time == start_time)
		return true;
	if (!m->start_time) {
		m->start_time = start_time;
		return true;
	}
	bpf_map_delete_elem(&session_members, &tgid);
	stat_inc(WARDEN_STAT_SESSION_STALE);
	return false;
}

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

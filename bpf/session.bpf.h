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

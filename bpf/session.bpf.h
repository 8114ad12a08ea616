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

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Resolver sockets (see dns.bpf.c): marked and unmarked at connect() by
 * net.bpf.c's connect entry, which has read the address already (one read
 * and one program a call instead of two), and at sendto() by dns.bpf.c.
 * The map is __weak so that the linked object has one.
 */
#ifndef WARDEN_DNS_BPF_H
#define WARDEN_DNS_BPF_H

#include "common.bpf.h"
#include "fd.bpf.h"

#define DNS_PORT 53
#define SOCK_DGRAM_ 2

struct dns_sock_key {
	__u32 tgid;
	__s32 fd;
};

struct dns_sock {
	struct warden_sockaddr server;
	__u64 file; /* the struct file * the fd had when marked */
};

/* LRU: sockets are closed without Warden seeing it; old marks age out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct dns_sock_key);
	__type(value, struct dns_sock);
} dns_socks SEC(".maps") __weak;

union dns_sa {
	__u16 family;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* The AF_INET/AF_INET6 address in sa, len bytes of it: 0, or -1 when it is no IP address. */
static __always_inline int dns_sa_parse(const union dns_sa *sa, __u64 len,
					struct warden_sockaddr *out)
{
	__builtin_memset(out, 0, sizeof(*out));
	if (sa->family == AF_INET && len >= sizeof(sa->in)) {
		out->family = AF_INET;
		out->port = bpf_ntohs(sa->in.sin_port);
		__builtin_memcpy(out->addr, &sa->in.sin_addr, 4);
		return 0;
	}
	if (sa->family == AF_INET6 && len >= sizeof(sa->in6)) {
		out->family = AF_INET6;
		out->port = bpf_ntohs(sa->in6.sin6_port);
		__builtin_memcpy(out->addr, &sa->in6.sin6_addr, 16);
		return 0;
	}
	return -1;
}

/*
 * The processes that have marked a resolver socket, in their leader's task
 * storage. Every other process's recv*() and connect() skip dns_socks: a
 * NULL pointer in its task_struct instead of a missed LRU lookup in a cold
 * bucket (recvmsg() is among the hottest syscalls of a server).
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u8);
} dns_procs SEC(".maps") __weak;

/* The current process's flag (created with BPF_LOCAL_STORAGE_GET_F_CREATE); NULL when none. */
static __always_inline __u8 *dns_proc_flag(__u64 flags)
{
	return task_storage(&dns_procs, bpf_get_current_task_btf()->group_leader, flags);
}

static __always_inline bool dns_proc_has_marks(void)
{
	return dns_proc_flag(0);
}

/* Mark (tgid, fd) as a resolver socket talking to server, if it is a UDP socket. */
static __always_inline void dns_mark(__s32 fd, const struct warden_sockaddr *server)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct dns_sock_key k = { .tgid = t->tgid, .fd = fd };
	struct dns_sock v = {};
	struct socket *sock;
	struct file *f = fd_file(t, fd);
	__u8 *has;

	if (!f)
		return;
	/* Sockets' private_data is their struct socket. */
	sock = BPF_CORE_READ(f, private_data);
	if (!sock || BPF_CORE_READ(sock, type) != SOCK_DGRAM_)
		return;
	/* First the process's flag: a mark its recv*() would skip is no mark. */
	has = dns_proc_flag(BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!has) {
		stat_inc(WARDEN_STAT_DNS_MARK_FAIL);
		return;
	}
	*has = 1;
	v.server = *server;
	v.file = (__u64)f;
	if (bpf_map_update_elem(&dns_socks, &k, &v, BPF_ANY))
		stat_inc(WARDEN_STAT_DNS_MARK_FAIL);
}

/*
 * 1: replies are seen at the recvfrom/recvmsg syscalls, which need the fd
 * marks; 0: at the sock tracepoints, which tell a resolver socket by the
 * socket itself (dns.bpf.c). Set by wardend.
 */
const volatile __u8 warden_dns_fd_marks __weak = 1;

/* connect(fd, sa, len), sa as read from the caller: mark, or unmark a socket connected elsewhere. */
static __always_inline void dns_on_connect(__s32 fd, const union dns_sa *sa, __u64 len)
{
	struct warden_sockaddr srv;
	struct dns_sock_key k;

	if (!warden_dns_fd_marks)
		return;

	if (!dns_sa_parse(sa, len, &srv) && srv.port == DNS_PORT) {
		dns_mark(fd, &srv);
		return;
	}
	/*
	 * Connected elsewhere (or AF_UNSPEC): not, or no longer, a resolver
	 * socket. Looked up first: a lookup that misses takes no bucket lock.
	 */
	if (!dns_proc_has_marks())
		return; /* nearly every process: no resolver socket marked, none to unmark */
	k.tgid = bpf_get_current_pid_tgid() >> 32;
	k.fd = fd;
	if (bpf_map_lookup_elem(&dns_socks, &k))
		bpf_map_delete_elem(&dns_socks, &k);
}

#endif

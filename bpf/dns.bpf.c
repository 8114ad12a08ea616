// SPDX-License-Identifier: GPL-2.0
/*
 * DNS replies as processes receive them, so userspace can map the addresses
 * a process connects to back to the names it resolved.
 *
 * read() is far too hot to watch, so a resolver socket is recognised where
 * it is cheap: a UDP socket connect()ed to port 53 (glibc, c-ares, musl), or
 * one that sendto()s port 53 without connecting. Such a (tgid, fd) is marked
 * in dns_socks (dns.bpf.h: at connect() by net.bpf.c's entry program, which
 * reads the address anyway), with the struct file behind it so that a reused
 * fd number is not mistaken for it. recvfrom() and recvmsg() on a marked fd
 * stash the user buffer per thread at entry; the exit copies the bytes the
 * kernel wrote. A process that never marked one costs a look at its task
 * storage per recv*() call.
 *
 * Not covered: read()/recvmmsg() on a resolver socket (Go's pure resolver
 * reads with read()), DNS over TCP, sendmsg() to port 53 without connect().
 */
#include "dns.bpf.h"

#define MSG_PEEK_ 2

struct dns_recv {
	__u64 buf; /* user buffer the datagram lands in */
	__u64 addr; /* user sockaddr the kernel fills in (recvfrom/msg_name); 0 */
	__u64 cap; /* bytes of buf */
	__s32 fd;
	__u8 active; /* inside recv*() on a resolver socket now */
	__u8 _pad0[3];
};

/*
 * The recv*() a thread is inside, in the thread's own storage (as connect()'s
 * and openat()'s): every recv*() exit on the host asks, and a thread that
 * never read a DNS reply has none. Freed with the thread.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct dns_recv);
} dns_recv_inflight SEC(".maps");

/* The record is larger than the BPF stack: built here, sent at its real length. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct warden_rec_dns);
} dns_scratch SEC(".maps");

/*
 * The AF_INET/AF_INET6 address of len bytes at user pointer uptr. 0, -1 when
 * it is no IP address, -2 when it could not be read.
 */
static __always_inline int sa_read(__u64 uptr, __u64 len, struct warden_sockaddr *out)
{
	union dns_sa sa = {};

	if (!uptr || len < sizeof(__u16))
		return -1;
	if (len > sizeof(sa))
		len = sizeof(sa);
	barrier_var(len);
	if (len > sizeof(sa))
		return -1;
	if (bpf_probe_read_user(&sa, len, (void *)uptr))
		return -2;
	return dns_sa_parse(&sa, len, out);
}

SEC("tp/syscalls/sys_enter_sendto")
int warden_dns_sendto(struct trace_event_raw_sys_enter *ctx)
{
	struct warden_sockaddr sa;
	int r;

	if (!ctx->args[4] || is_self())
		return 0; /* connected send: marked at connect() if at all */
	r = sa_read(ctx->args[4], (__u32)ctx->args[5], &sa);
	if (r == -2)
		stat_inc(WARDEN_STAT_READ_FAULT);
	else if (r == 0 && sa.port == DNS_PORT)
		dns_mark(ctx->args[0], &sa);
	return 0;
}

static __always_inline int recv_enter(__s32 fd, __u64 buf, __u64 cap, __u64 addr, __u64 flags)
{
	struct dns_sock_key k = { .tgid = bpf_get_current_pid_tgid() >> 32, .fd = fd };
	struct dns_recv *a;
	struct dns_sock *s;

	s = bpf_map_lookup_elem(&dns_socks, &k);
	if (!s || (flags & MSG_PEEK_) || !buf || !cap)
		return 0;
	if (s->file != (__u64)fd_file(fd)) {
		/* Closed and the number reused: the mark is stale. */
		bpf_map_delete_elem(&dns_socks, &k);
		return 0;
	}
	a = bpf_task_storage_get(&dns_recv_inflight, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!a) {
		stat_inc(WARDEN_STAT_DNS_STASH_FAIL);
		return 0;
	}
	a->buf = buf;
	a->cap = cap;
	a->addr = addr;
	a->fd = fd;
	a->active = 1;
	return 0;
}

SEC("tp/syscalls/sys_enter_recvfrom")
int warden_dns_recvfrom_enter(struct trace_event_raw_sys_enter *ctx)
{
	/* recvfrom(fd, ubuf, size, flags, addr, addr_len) */
	if (!dns_proc_has_marks())
		return 0; /* the common case: the process has no resolver socket */
	return recv_enter(ctx->args[0], ctx->args[1], ctx->args[2], ctx->args[4], ctx->args[3]);
}

SEC("tp/syscalls/sys_enter_recvmsg")
int warden_dns_recvmsg_enter(struct trace_event_raw_sys_enter *ctx)
{
	/* recvmsg(fd, msg, flags): the reply lands in the first iovec. */
	struct dns_sock_key k = { .tgid = bpf_get_current_pid_tgid() >> 32, .fd = ctx->args[0] };
	struct user_msghdr m;
	struct iovec iov;

	if (!dns_proc_has_marks() || !bpf_map_lookup_elem(&dns_socks, &k))
		return 0; /* the common case: not a resolver socket */
	if (bpf_probe_read_user(&m, sizeof(m), (void *)ctx->args[1])) {
		stat_inc(WARDEN_STAT_READ_FAULT);
		return 0;
	}
	if (!m.msg_iov || !m.msg_iovlen)
		return 0;
	if (bpf_probe_read_user(&iov, sizeof(iov), m.msg_iov)) {
		stat_inc(WARDEN_STAT_READ_FAULT);
		return 0;
	}
	return recv_enter(ctx->args[0], (__u64)iov.iov_base, iov.iov_len,
			  m.msg_namelen > 0 ? (__u64)m.msg_name : 0, ctx->args[2]);
}

static __always_inline int recv_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct dns_sock_key k = { .tgid = bpf_get_current_pid_tgid() >> 32 };
	struct warden_sockaddr from;
	struct warden_rec_dns *r;
	struct dns_recv *a;
	struct dns_sock *s;
	long ret = ctx->ret;
	__u32 zero = 0;
	__u64 n;

	a = task_storage_peek(&dns_recv_inflight, bpf_get_current_task_btf());
	if (!a || !a->active)
		return 0;
	if (ret <= 0)
		goto out;
	r = bpf_map_lookup_elem(&dns_scratch, &zero);
	if (!r)
		goto out;
	hdr_init(&r->hdr, WARDEN_REC_DNS, 0);
	r->fd = a->fd;
	r->total_len = ret;
	r->_pad0 = 0;
	__builtin_memset(&r->server, 0, sizeof(r->server));
	k.fd = a->fd;
	s = bpf_map_lookup_elem(&dns_socks, &k);
	if (s)
		r->server = s->server;
	/* The sender, when the caller asked: an unconnected socket hears from anyone. */
	if (a->addr && sa_read(a->addr, sizeof(union dns_sa), &from) == 0) {
		if (from.port != DNS_PORT)
			goto out;
		r->server = from;
	}
	n = ret;
	if (n > a->cap) /* MSG_TRUNC: ret is the datagram's length, not what was copied */
		n = a->cap;
	if (n > WARDEN_DNS_MAX)
		n = WARDEN_DNS_MAX;
	if (n < (__u64)ret) {
		r->hdr.flags |= WARDEN_F_TRUNCATED;
		stat_inc(WARDEN_STAT_DNS_TRUNCATED);
	}
	barrier_var(n);
	if (n > WARDEN_DNS_MAX)
		goto out;
	if (bpf_probe_read_user(r->data, n, (void *)a->buf)) {
		stat_inc(WARDEN_STAT_READ_FAULT);
		goto out;
	}
	r->len = n;
	r->hdr.size = offsetof(struct warden_rec_dns, data) + n;
	__builtin_memset(&r->task, 0, sizeof(r->task));
	task_fill_current(&r->task);
	rb_output(r, offsetof(struct warden_rec_dns, data) + n, WARDEN_REC_DNS);
out:
	a->active = 0; /* kept for the thread's next reply: no free and allocation per call */
	return 0;
}

SEC("tp/syscalls/sys_exit_recvfrom")
int warden_dns_recvfrom_exit(struct trace_event_raw_sys_exit *ctx)
{
	return recv_exit(ctx);
}

SEC("tp/syscalls/sys_exit_recvmsg")
int warden_dns_recvmsg_exit(struct trace_event_raw_sys_exit *ctx)
{
	return recv_exit(ctx);
}

char LICENSE[] SEC("license") = "GPL";

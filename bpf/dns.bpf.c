// SPDX-License-Identifier: GPL-2.0
/*
 * DNS replies as processes receive them, so userspace can map the addresses
 * a process connects to back to the names it resolved.
 *
 * A resolver socket is a UDP socket connect()ed to port 53 (glibc, c-ares,
 * musl, Go), or one that sends to port 53 without connecting. Two ways to
 * see its replies; userspace picks one with the TLS hooks (sensor.c):
 *
 * The sock tracepoints (sock_send_length, sock_recv_length; Linux 6.5 on):
 * they run on socket I/O only, and hand over the socket. A connected
 * resolver socket is told by its peer's port; an unconnected one by where
 * its first sendto() went (port 53), kept in its own storage (dns_sent),
 * which goes with it. The reply is read from the buffer the
 * syscall's arguments name, the kernel having just written it: read()
 * (Go's resolver), recvfrom() and recvmsg() are covered. The server of an
 * unconnected socket's reply is the one its query went to.
 *
 * Without them, the recvfrom/recvmsg/sendto syscall tracepoints, which
 * every such call on the host pays for: a resolver (tgid, fd) is marked in
 * dns_socks (dns.bpf.h: at connect() by net.bpf.c's exit program, which
 * reads the address anyway, and at sendto()), with the struct file behind
 * it so that a reused fd number is not mistaken for it. recvfrom() and
 * recvmsg() on a marked fd stash the user buffer per thread at entry; the
 * exit copies the bytes the kernel wrote. read() is far too hot to watch
 * this way: not covered.
 *
 * Neither covers recvmmsg(), readv(), DNS over TCP, or sendmsg() to port
 * 53 without connect(): reading every unconnected sendmsg()'s address
 * would cost UDP servers (QUIC) more than that rare resolver is worth.
 */
#include "dns.bpf.h"

#define MSG_PEEK_ 2
#define SOCK_BINDPORT_LOCK_ 8 /* sk_userlocks: bind() gave the port by number */

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

/* The syscall numbers whose arguments the sock hooks read, set by wardend. */
const volatile __u32 warden_nr_read = 0;
const volatile __u32 warden_nr_recvfrom = 0;
const volatile __u32 warden_nr_recvmsg = 0;
const volatile __u32 warden_nr_sendto = 0;

/*
 * An unconnected UDP socket's role, decided at its first sendto(): the
 * server when that went to port 53, else family 0 (no resolver's).
 */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct warden_sockaddr);
} dns_sent SEC(".maps");

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
	struct task_struct *t = bpf_get_current_task_btf();
	struct dns_sock_key k = { .tgid = t->tgid, .fd = fd };
	struct dns_recv *a;
	struct dns_sock *s;

	s = bpf_map_lookup_elem(&dns_socks, &k);
	if (!s || (flags & MSG_PEEK_) || !buf || !cap)
		return 0;
	if (s->file != (__u64)fd_file(t, fd)) {
		/* Closed and the number reused: the mark is stale. */
		bpf_map_delete_elem(&dns_socks, &k);
		return 0;
	}
	a = task_storage(&dns_recv_inflight, t, BPF_LOCAL_STORAGE_GET_F_CREATE);
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

/* The record of a reply of ret bytes (ret > 0) the kernel wrote at buf (cap bytes). */
static __always_inline void dns_emit(struct task_struct *t, __s32 fd, __u64 buf, __u64 cap,
				     long ret, const struct warden_sockaddr *server)
{
	struct warden_rec_dns *r;
	__u32 zero = 0;
	__u64 n;

	r = bpf_map_lookup_elem(&dns_scratch, &zero);
	if (!r)
		return;
	hdr_init(&r->hdr, WARDEN_REC_DNS, 0);
	r->fd = fd;
	r->total_len = ret;
	r->_pad0 = 0;
	r->server = *server;
	n = ret;
	if (n > cap) /* MSG_TRUNC: ret is the datagram's length, not what was copied */
		n = cap;
	if (n > WARDEN_DNS_MAX)
		n = WARDEN_DNS_MAX;
	if (n < (__u64)ret) {
		r->hdr.flags |= WARDEN_F_TRUNCATED;
		stat_inc(WARDEN_STAT_DNS_TRUNCATED);
	}
	barrier_var(n);
	if (n > WARDEN_DNS_MAX)
		return;
	if (bpf_probe_read_user(r->data, n, (void *)buf)) {
		stat_inc(WARDEN_STAT_READ_FAULT);
		return;
	}
	r->len = n;
	r->hdr.size = offsetof(struct warden_rec_dns, data) + n;
	__builtin_memset(&r->task, 0, sizeof(r->task));
	task_fill(&r->task, t);
	rb_output(r, offsetof(struct warden_rec_dns, data) + n, WARDEN_REC_DNS);
}

static __always_inline int recv_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct dns_sock_key k = { .tgid = t->tgid };
	struct warden_sockaddr server = {}, from;
	struct dns_recv *a;
	struct dns_sock *s;
	long ret = ctx->ret;

	a = task_storage(&dns_recv_inflight, t, 0);
	if (!a || !a->active)
		return 0;
	if (ret <= 0)
		goto out;
	k.fd = a->fd;
	s = bpf_map_lookup_elem(&dns_socks, &k);
	if (s)
		server = s->server;
	/* The sender, when the caller asked: an unconnected socket hears from anyone. */
	if (a->addr && sa_read(a->addr, sizeof(union dns_sa), &from) == 0) {
		if (from.port != DNS_PORT)
			goto out;
		server = from;
	}
	dns_emit(t, a->fd, a->buf, a->cap, ret, &server);
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

/* A UDP socket of an IP family: what a resolver uses. BTF loads, inlined. */
static __always_inline bool sk_udp_inet(const struct sock *sk)
{
	__u16 family = sk->__sk_common.skc_family;

	return sk->sk_type == SOCK_DGRAM_ && (family == AF_INET || family == AF_INET6);
}

/* The first buffer of the user msghdr at umsg; 0 or -1. */
static __always_inline int msghdr_first_buf(__u64 umsg, __u64 *buf, __u64 *cap)
{
	struct user_msghdr m;
	struct iovec iov = {};

	if (bpf_probe_read_user(&m, sizeof(m), (void *)umsg) ||
	    (m.msg_iov && m.msg_iovlen && bpf_probe_read_user(&iov, sizeof(iov), m.msg_iov))) {
		stat_inc(WARDEN_STAT_READ_FAULT);
		return -1;
	}
	*buf = (__u64)iov.iov_base;
	*cap = iov.iov_len;
	return 0;
}

/*
 * A sendto() on an unconnected UDP socket: the first one decides whether
 * it is a resolver's (to port 53). Every socket send on the host comes
 * here; anything but unconnected UDP leaves after a few loads, anything
 * but sendto() after a few more, and a socket decided already after one
 * lookup: reading where a datagram goes costs more (about 115 ns here),
 * and a resolver's socket asks port 53 from its first datagram.
 */
SEC("tp_btf/sock_send_length")
int BPF_PROG(warden_dns_sock_send, struct sock *sk, int ret, int flags)
{
	struct warden_sockaddr sa, *m;
	struct task_struct *t;
	struct pt_regs *regs;
	int r;

	if (ret < 0 || !sk_udp_inet(sk) || sk->__sk_common.skc_dport)
		return 0; /* a connected one is told at receive by its peer's port */
	/*
	 * Bound to a port by number: a server's, replying to its clients, and
	 * reading each reply's address would cost it more than anything else
	 * here. A resolver lets the kernel pick its port.
	 */
	if (sk->sk_userlocks & SOCK_BINDPORT_LOCK_)
		return 0;
	if (sk->sk_bpf_storage && bpf_sk_storage_get(&dns_sent, sk, 0, 0))
		return 0; /* decided at its first sendto() */
	t = bpf_get_current_task_btf();
	if (task_is_self(t))
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	if (SYSCALL_NR(regs) != warden_nr_sendto)
		return 0;
	r = sa_read(PT_REGS_PARM5_SYSCALL(regs), (__u32)SYSCALL_PARM6(regs), &sa);
	if (r == -2) {
		stat_inc(WARDEN_STAT_READ_FAULT);
		return 0; /* undecided: the next sendto() tries again */
	}
	if (r || sa.port != DNS_PORT)
		__builtin_memset(&sa, 0, sizeof(sa)); /* no resolver's */
	m = bpf_sk_storage_get(&dns_sent, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!m) {
		stat_inc(WARDEN_STAT_DNS_MARK_FAIL);
		return 0;
	}
	*m = sa;
	return 0;
}

/*
 * A datagram a resolver socket received, as the kernel hands it over.
 * Every socket receive on the host comes here; anything but UDP leaves
 * after a few loads, and UDP that is no resolver's after a few more.
 */
SEC("tp_btf/sock_recv_length")
int BPF_PROG(warden_dns_sock_recv, struct sock *sk, int ret, int flags)
{
	struct warden_sockaddr server = {}, *m;
	__u64 nr, buf, cap;
	struct task_struct *t;
	struct pt_regs *regs;
	__u16 dport;
	__s32 fd;

	if (ret <= 0 || (flags & MSG_PEEK_) || !sk_udp_inet(sk))
		return 0;
	dport = bpf_ntohs(sk->__sk_common.skc_dport);
	if (dport == DNS_PORT) {
		sk_peer(sk, &server);
	} else if (!dport && sk->sk_bpf_storage && (m = bpf_sk_storage_get(&dns_sent, sk, 0, 0)) &&
		   m->family) {
		server = *m;
	} else {
		return 0;
	}
	t = bpf_get_current_task_btf();
	if (task_is_self(t))
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	nr = SYSCALL_NR(regs);
	fd = PT_REGS_PARM1_SYSCALL(regs);
	if (nr == warden_nr_read || nr == warden_nr_recvfrom) {
		buf = PT_REGS_PARM2_SYSCALL(regs);
		cap = PT_REGS_PARM3_SYSCALL(regs);
	} else if (nr != warden_nr_recvmsg ||
		   msghdr_first_buf(PT_REGS_PARM2_SYSCALL(regs), &buf, &cap)) {
		return 0; /* readv, recvmmsg, io_uring: no one buffer to read it from */
	}
	if (!buf || !cap)
		return 0;
	/* The syscall's first argument, checked: it is the fd of this socket. */
	if (fd_sock(t, fd) != sk)
		fd = -1;
	dns_emit(t, fd, buf, cap, ret, &server);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

/* SPDX-License-Identifier: GPL-2.0 */
/* A task's file descriptors, and the sockets behind them. */
#ifndef WARDEN_FD_BPF_H
#define WARDEN_FD_BPF_H

#include "common.bpf.h"

/*
 * The struct file * of fd in t (the current task, which the caller has
 * fetched already); NULL when there is none. BTF-typed down to the fd
 * array: plain loads the JIT inlines (a NULL reads as 0), where
 * BPF_CORE_READ costs a helper call each. The slot itself, at a variable
 * index, takes one.
 */
static __always_inline struct file *fd_file(struct task_struct *t, __s32 fd)
{
	struct fdtable *fdt = t->files->fdt;
	struct file **fds, *f = NULL;

	if (fd < 0 || (unsigned int)fd >= fdt->max_fds)
		return NULL;
	fds = fdt->fd;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]))
		return NULL;
	return f;
}

/* The struct sock behind t's socket fd; NULL when fd is not a socket. */
static __always_inline struct sock *fd_sock(struct task_struct *t, __s32 fd)
{
	struct file *f = fd_file(t, fd);
	struct socket *so;

	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT_) != S_IFSOCK_)
		return NULL;
	/* A socket file's private_data is its struct socket. */
	so = BPF_CORE_READ(f, private_data);
	return BPF_CORE_READ(so, sk);
}

/*
 * sk's peer: family, port and, for AF_INET/AF_INET6, address. Read through
 * CO-RE, so sk may come from anywhere (a BTF argument or a pointer kept).
 */
static __always_inline void sk_peer(struct sock *sk, struct warden_sockaddr *out)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	__builtin_memset(out, 0, sizeof(*out));
	out->family = family;
	out->port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	/* Explicit sizes: BPF_CORE_READ_INTO on an array reads one element. */
	if (family == AF_INET)
		bpf_core_read(out->addr, 4, &sk->__sk_common.skc_daddr);
	else if (family == AF_INET6)
		bpf_core_read(out->addr, 16, &sk->__sk_common.skc_v6_daddr);
}

/*
 * sk's own address into out, whose family (AF_INET or AF_INET6) the caller
 * has set: port (host order) and address, read through CO-RE as sk_peer().
 */
static __always_inline void sk_local_inet(struct sock *sk, struct warden_sockaddr *out)
{
	out->port = BPF_CORE_READ(sk, __sk_common.skc_num); /* host order already */
	if (out->family == AF_INET)
		bpf_core_read(out->addr, 4, &sk->__sk_common.skc_rcv_saddr);
	else
		bpf_core_read(out->addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
}

/*
 * The record of a connection t's process took in (accept(), or io_uring's
 * accept at its completion): listen_fd as the call named it, conn_fd the
 * connection's, its two ends read from conn_fd's socket.
 */
static __always_inline void accept_emit(struct task_struct *t, __u64 session, __s32 listen_fd,
					__s32 conn_fd, __u16 flags)
{
	struct warden_rec_accept *r = rb_reserve(sizeof(*r), WARDEN_REC_ACCEPT);
	struct sock *sk;

	if (!r)
		return;
	hdr_init(&r->hdr, WARDEN_REC_ACCEPT, sizeof(*r));
	r->hdr.flags = flags;
	task_fill(&r->task, t);
	r->session = session;
	r->fd = listen_fd;
	r->ret = conn_fd;
	__builtin_memset(&r->local, 0, sizeof(r->local));
	sk = fd_sock(t, conn_fd);
	if (!sk) {
		__builtin_memset(&r->remote, 0, sizeof(r->remote));
		goto out; /* closed by another thread meanwhile */
	}
	sk_peer(sk, &r->remote);
	r->local.family = r->remote.family;
	if (r->local.family == AF_INET || r->local.family == AF_INET6)
		sk_local_inet(sk, &r->local);
	else
		r->remote.port = 0; /* AF_UNIX and others: the family alone */
out:
	rb_submit(r);
}

#endif

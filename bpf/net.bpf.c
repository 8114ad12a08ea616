// SPDX-License-Identifier: GPL-2.0
/*
 * connect(): the address is copied at syscall entry (the user buffer may be
 * gone by exit) and reported at exit with the result, so refused and
 * non-blocking connects are visible too. A non-blocking TCP connect says
 * EINPROGRESS; its outcome comes later, from the socket's state change
 * (sock:inet_sock_set_state leaving SYN_SENT), reported as a second record
 * flagged WARDEN_F_ASYNC with the connecting task's identity. The socket
 * is learnt from its own CLOSE -> SYN_SENT change, which TCP makes inside
 * connect() on the connecting thread: no walk of the fd table at entry.
 * Later, a cgroup sock_addr program will deny connects; these only observe.
 */
#include "common.bpf.h"
#include "dns.bpf.h"

#define EINPROGRESS_ 115
#define ECONNREFUSED_ 111
#define EALREADY_ 114
#define EINTR_ 4
#define ERESTARTSYS_ 512 /* what the exit tracepoint sees of a blocking connect a signal cut */
#define TCP_ESTABLISHED_ 1
#define TCP_SYN_SENT_ 2
#define TCP_CLOSE_ 7
#define O_NONBLOCK_ 04000

struct connect_args {
	__u64 sk; /* struct sock * of a TCP socket this connect() sent a SYN for; else 0 */
	__s32 fd;
	__u32 addrlen;
	__s32 outcome; /* the handshake's, when it ended inside the call (known) */
	__u8 active; /* inside connect() now */
	__u8 known;
	/* struct sockaddr_un is the largest we keep; aligned, as dns_on_connect reads it as one. */
	__u8 sa[2 + WARDEN_UNIX_PATH_MAX] __attribute__((aligned(8)));
};

/*
 * The connect() a thread is inside, in the thread's own storage: a pointer
 * away from its task_struct, no hash or LRU list to update twice a call,
 * and freed with the thread (one killed inside connect() leaves nothing).
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct connect_args);
} connect_inflight SEC(".maps");

static __always_inline struct connect_args *inflight_get(__u64 flags)
{
	return bpf_task_storage_get(&connect_inflight, bpf_get_current_task_btf(), 0, flags);
}

/*
 * TCP connects still under way when their syscall returns (non-blocking,
 * or cut short by a signal), by struct sock *: the outcome comes later,
 * in softirq, on any CPU. A non-blocking socket's entry is made at its
 * SYN, since the handshake may end before the syscall's exit; a blocking
 * one's only at an interrupted exit. A handshake that ends inside connect()
 * on the connecting thread (loopback) is kept in connect_args instead.
 */
struct pending_connect {
	struct warden_rec_connect rec; /* the connect record, once its syscall returned */
	__s32 outcome; /* 0 or -errno, when known */
	__u8 returned; /* the syscall returned EINPROGRESS: rec is set */
	__u8 known; /* outcome is set */
	__u8 _pad0[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct pending_connect);
} connect_pending SEC(".maps");

static const struct pending_connect fresh_pending = {};

/* The outcome record: a copy of the connect record, flagged and completed. */
static __always_inline void emit_outcome(const struct warden_rec_connect *rec, __s32 outcome)
{
	struct warden_rec_connect *r = rb_reserve(sizeof(*r), WARDEN_REC_CONNECT);

	if (!r)
		return;
	__builtin_memcpy(r, rec, sizeof(*r));
	hdr_init(&r->hdr, WARDEN_REC_CONNECT, sizeof(*r));
	r->hdr.flags = WARDEN_F_ASYNC;
	r->ret = outcome;
	rb_submit(r);
}

SEC("tp/syscalls/sys_enter_connect")
int warden_connect_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 len = (__u32)ctx->args[2];
	struct connect_args *a;
	__u16 family;

	if (is_self() || len < sizeof(family))
		return 0; /* too short for any address: the kernel fails it too */
	a = inflight_get(BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!a) {
		stat_inc(WARDEN_STAT_CONNECT_STASH_FAIL);
		return 0;
	}
	a->active = 0;
	a->sk = 0;
	a->known = 0;
	a->fd = ctx->args[0];
	a->addrlen = len;
	if (len > sizeof(a->sa))
		len = sizeof(a->sa);
	barrier_var(len);
	if (len > sizeof(a->sa))
		return 0;
	/* One read, the family with the rest (a fault: the kernel fails it with EFAULT too). */
	if (bpf_probe_read_user(a->sa, len, (void *)ctx->args[1])) {
		stat_inc(WARDEN_STAT_READ_FAULT);
		return 0;
	}
	family = *(__u16 *)a->sa;
	/* A resolver socket's mark follows its connects (dns.bpf.h): the same read serves. */
	dns_on_connect(a->fd, (const union dns_sa *)a->sa, len);
	a->active = family == AF_INET || family == AF_INET6 || family == AF_UNIX;
	return 0;
}

SEC("tp/syscalls/sys_exit_connect")
int warden_connect_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct warden_rec_connect *r;
	struct connect_args *a;
	__u16 family;
	__u64 n;

	a = inflight_get(0);
	if (!a || !a->active)
		return 0;
	r = rb_reserve(sizeof(*r), WARDEN_REC_CONNECT);
	if (!r)
		goto out;
	__builtin_memset(r, 0, sizeof(*r));
	hdr_init(&r->hdr, WARDEN_REC_CONNECT, sizeof(*r));
	task_fill_current(&r->task);
	r->fd = a->fd;
	r->ret = ctx->ret;
	family = *(__u16 *)a->sa;
	r->remote.family = family;
	if (family == AF_INET) {
		struct sockaddr_in *in = (void *)a->sa;

		r->remote.port = bpf_ntohs(in->sin_port);
		__builtin_memcpy(r->remote.addr, &in->sin_addr, 4);
	} else if (family == AF_INET6) {
		struct sockaddr_in6 *in6 = (void *)a->sa;

		r->remote.port = bpf_ntohs(in6->sin6_port);
		__builtin_memcpy(r->remote.addr, &in6->sin6_addr, 16);
	} else {
		n = a->addrlen > 2 ? a->addrlen - 2 : 0;
		if (n > WARDEN_UNIX_PATH_MAX)
			n = WARDEN_UNIX_PATH_MAX;
		__builtin_memcpy(r->unix_path, a->sa + 2, WARDEN_UNIX_PATH_MAX);
		r->unix_path_len = n;
	}
	if (a->sk) {
		__u64 sk = a->sk;
		struct pending_connect *p = bpf_map_lookup_elem(&connect_pending, &sk);
		/*
		 * Still under way after the syscall: non-blocking (EINPROGRESS),
		 * or a blocking one cut short by a signal, which TCP carries on.
		 */
		bool later = ctx->ret == -EINPROGRESS_ || ctx->ret == -EINTR_ ||
			     ctx->ret == -ERESTARTSYS_ || ctx->ret == -EALREADY_;

		if (later && a->known) {
			emit_outcome(r, a->outcome);
			if (p)
				bpf_map_delete_elem(&connect_pending, &sk);
		} else if (later && p && p->known) {
			emit_outcome(r, p->outcome);
			bpf_map_delete_elem(&connect_pending, &sk);
		} else if (later && p) {
			__builtin_memcpy(&p->rec, r, sizeof(*r));
			p->returned = 1;
		} else if (later) {
			/* A blocking connect a signal cut short: its outcome comes later. */
			struct pending_connect *np;

			if (bpf_map_update_elem(&connect_pending, &sk, &fresh_pending, BPF_ANY) ||
			    !(np = bpf_map_lookup_elem(&connect_pending, &sk))) {
				stat_inc(WARDEN_STAT_CONNECT_STASH_FAIL);
			} else {
				__builtin_memcpy(&np->rec, r, sizeof(*r));
				np->returned = 1;
			}
		} else if (p) {
			bpf_map_delete_elem(&connect_pending, &sk); /* the result is final */
		}
	}
	rb_submit(r);
out:
	a->active = 0;
	return 0;
}

/*
 * Every TCP state change on the host comes here (twice a connect, more for
 * a server's sockets), so tp_btf: the kernel passes the arguments straight
 * to the program, where the classic tracepoint first copies its fields into
 * a record, and the socket is a BTF pointer read with plain loads the JIT
 * inlines, not a helper call a field.
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(warden_sock_state, struct sock *skp, int oldstate, int newstate)
{
	__u64 sk = (__u64)skp;
	struct pending_connect *p;
	struct connect_args *a;
	__s32 outcome;
	int err;

	if (oldstate == TCP_CLOSE_ && newstate == TCP_SYN_SENT_) {
		/* Inside connect(), on its thread: this connect's socket. */
		a = inflight_get(0);
		if (!a || !a->active || a->sk)
			return 0;
		a->sk = sk;
		/* BTF loads through a NULL pointer read 0: no socket or file is blocking. */
		if (!(skp->sk_socket->file->f_flags & O_NONBLOCK_))
			return 0;
		if (bpf_map_update_elem(&connect_pending, &sk, &fresh_pending, BPF_ANY))
			stat_inc(WARDEN_STAT_CONNECT_STASH_FAIL);
		return 0;
	}
	if (oldstate != TCP_SYN_SENT_)
		return 0;
	if (newstate == TCP_ESTABLISHED_) {
		outcome = 0;
	} else {
		/* tcp_reset() and timeouts set sk_err before the socket closes. */
		err = skp->sk_err;
		outcome = -(err > 0 ? err : ECONNREFUSED_);
	}
	/* Ended inside connect(), on its thread (softirq of loopback): its exit reports it. */
	a = inflight_get(0);
	if (a && a->active && a->sk == sk) {
		a->outcome = outcome;
		a->known = 1;
		return 0;
	}
	p = bpf_map_lookup_elem(&connect_pending, &sk);
	if (!p)
		return 0;
	if (!p->returned) { /* still inside connect(): its exit reports it */
		p->outcome = outcome;
		p->known = 1;
		return 0;
	}
	emit_outcome(&p->rec, outcome);
	bpf_map_delete_elem(&connect_pending, &sk);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/*
 * connect(), reported at syscall exit with its result, so refused and
 * non-blocking connects are visible too. One syscall hook, at exit: the
 * arguments are still in the caller's registers there (the task's user
 * pt_regs), so no entry program runs and stashes them. A TCP connect's
 * peer is taken from the socket itself at its CLOSE -> SYN_SENT change,
 * which TCP makes inside connect() on the connecting thread: the address
 * the kernel sent the SYN to (after any cgroup connect program rewrote it),
 * which no other thread of the caller can rewrite meanwhile, and no read of
 * user memory, the largest cost a connect had (bpf_probe_read_user costs
 * several times what plain BTF loads do). Every other connect (UDP, UNIX, a
 * TCP one that fails before its SYN) reads the caller's buffer at exit,
 * where the caller is still inside the syscall: a buffer gone meanwhile
 * faults, counted. A non-blocking TCP connect says EINPROGRESS; its outcome
 * comes later, from the socket's state change (sock:inet_sock_set_state
 * leaving SYN_SENT), reported as a second record flagged WARDEN_F_ASYNC
 * with the connecting task's identity. Later, a cgroup sock_addr program
 * will deny connects; these only observe.
 */
#include "common.bpf.h"
#include "dns.bpf.h"
#include "fd.bpf.h"
#include "session.bpf.h"

#define EINPROGRESS_ 115
#define ECONNREFUSED_ 111
#define EALREADY_ 114
#define EINTR_ 4
#define ERESTARTSYS_ 512 /* what the exit tracepoint sees of a blocking connect a signal cut */
#define TCP_ESTABLISHED_ 1
#define TCP_SYN_SENT_ 2
#define TCP_CLOSE_ 7
#define O_NONBLOCK_ 04000

/* connect()'s number on this architecture, set by wardend (SYS_connect). */
const volatile __u32 warden_nr_connect = 0;

/* The bytes of an address that a connect record carries: struct sockaddr_un's. */
#define CONNECT_SA_MAX (2 + WARDEN_UNIX_PATH_MAX)

/*
 * The TCP connect a thread is inside, from its SYN to its syscall's exit,
 * in the thread's own storage: a pointer away from its task_struct, no
 * hash or LRU list to update, and freed with the thread (one killed inside
 * connect() leaves nothing).
 */
struct connect_args {
	__u64 sk; /* struct sock * this connect() sent a SYN for; 0 once its exit ran */
	__s32 outcome; /* the handshake's, when it ended inside the call (known) */
	/*
	 * connect()'s fd, read at the SYN from the registers that program
	 * fetches anyway: its exit then needs no bpf_task_pt_regs() call.
	 */
	__s32 fd;
	__u8 known;
	__u8 pending; /* the SYN made sk's connect_pending entry (non-blocking) */
	__u8 _pad0[6];
	struct warden_sockaddr peer; /* sk's at its SYN */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct connect_args);
} connect_inflight SEC(".maps");

static __always_inline struct connect_args *inflight_get(struct task_struct *t, __u64 flags)
{
	return task_storage(&connect_inflight, t, flags);
}

#define PENDING_RETURNED 1 /* the syscall returned: rec is set */
#define PENDING_KNOWN 2 /* the handshake ended: outcome is set */

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
	__s32 outcome; /* 0 or -errno, once PENDING_KNOWN */
	/*
	 * PENDING_* bits, each set by an atomic fetch-or (a full barrier) by
	 * the side that finished its part, the syscall's exit or the
	 * handshake's end in softirq on any CPU: the one that finds the
	 * other's bit already set emits the outcome, so exactly one does,
	 * whichever order they run in. Plain flags let both read the other's
	 * as unset in the same instant, and the outcome was lost.
	 */
	__u32 state;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct pending_connect);
} connect_pending SEC(".maps");

static const struct pending_connect fresh_pending = {};

/*
 * The outcome record: a copy of the connect record, flagged and completed.
 * Only TCP has one, so it ends where the path would start.
 */
static __always_inline void emit_outcome(const struct warden_rec_connect *rec, __s32 outcome)
{
	struct warden_rec_connect *r = rb_reserve(WARDEN_CONNECT_INET_SIZE, WARDEN_REC_CONNECT);

	if (!r)
		return;
	__builtin_memcpy(r, rec, WARDEN_CONNECT_INET_SIZE);
	hdr_init(&r->hdr, WARDEN_REC_CONNECT, WARDEN_CONNECT_INET_SIZE);
	r->hdr.flags = WARDEN_F_ASYNC;
	r->ret = outcome;
	r->unix_path_len = 0;
	rb_submit(r);
}

/* A connect record's common part, in a ring slot of size bytes; t: the current task. */
static __always_inline void connect_rec_start(struct warden_rec_connect *r, __u32 size,
					      struct task_struct *t, __s32 fd, __s64 ret)
{
	__builtin_memset(r, 0, WARDEN_CONNECT_INET_SIZE);
	hdr_init(&r->hdr, WARDEN_REC_CONNECT, size);
	task_fill(&r->task, t);
	r->fd = fd;
	r->ret = ret;
}

/*
 * A connect that sent no SYN: its address from the caller's buffer, read
 * while the caller is still inside the syscall.
 */
static __always_inline void caller_connect_emit(struct task_struct *t, __s32 fd, __u64 uaddr,
						__u64 addrlen, __s64 ret)
{
	/* Aligned: dns_on_connect reads it as a struct sockaddr_in/in6. */
	__u8 sa[CONNECT_SA_MAX] __attribute__((aligned(8)));
	struct warden_rec_connect *r;
	__u64 len = addrlen, n;
	__u16 family;

	if (len < sizeof(__u16))
		return; /* too short for any address: the kernel fails it too */
	if (len > sizeof(sa))
		len = sizeof(sa);
	barrier_var(len);
	if (len > sizeof(sa))
		return;
	/* An address shorter than its family's must not show another's bytes. */
	__builtin_memset(sa, 0, sizeof(sa));
	/* One read, the family with the rest (a fault: the kernel fails it with EFAULT too). */
	if (bpf_probe_read_user(sa, len, (void *)uaddr)) {
		stat_inc(WARDEN_STAT_READ_FAULT);
		return;
	}
	/* A resolver socket's mark follows its connects (dns.bpf.h): the same read serves. */
	dns_on_connect(fd, (const union dns_sa *)sa, len);
	family = *(__u16 *)sa;
	if (family == AF_UNIX) {
		r = rb_reserve(sizeof(*r), WARDEN_REC_CONNECT);
		if (!r)
			return;
		connect_rec_start(r, sizeof(*r), t, fd, ret);
		n = len - 2;
		if (n > WARDEN_UNIX_PATH_MAX)
			n = WARDEN_UNIX_PATH_MAX;
		r->remote.family = AF_UNIX;
		__builtin_memcpy(r->unix_path, sa + 2, WARDEN_UNIX_PATH_MAX);
		__builtin_memset(r->_pad1, 0, sizeof(r->_pad1));
		r->unix_path_len = n;
		rb_submit(r);
		return;
	}
	if (family != AF_INET && family != AF_INET6)
		return;
	r = rb_reserve(WARDEN_CONNECT_INET_SIZE, WARDEN_REC_CONNECT);
	if (!r)
		return;
	connect_rec_start(r, WARDEN_CONNECT_INET_SIZE, t, fd, ret);
	r->remote.family = family;
	if (family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		r->remote.port = bpf_ntohs(in->sin_port);
		__builtin_memcpy(r->remote.addr, &in->sin_addr, 4);
	} else {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		r->remote.port = bpf_ntohs(in6->sin6_port);
		__builtin_memcpy(r->remote.addr, &in6->sin6_addr, 16);
	}
	rb_submit(r);
}

/*
 * A TCP connect's record: its peer from the socket, and its outcome, now
 * or, while the handshake goes on after the syscall, from connect_pending.
 * 1 when the handshake already ended: its outcome record (*outcome) must
 * follow the connect record, which the caller has not yet submitted.
 */
static __always_inline int tcp_connect_settle(struct warden_rec_connect *r,
					      const struct connect_args *a, __s64 ret,
					      __s32 *outcome)
{
	__u64 sk = a->sk;
	/* Only a non-blocking socket's SYN makes an entry: a blocking one has none. */
	struct pending_connect *p = a->pending ? bpf_map_lookup_elem(&connect_pending, &sk) : NULL;
	/*
	 * Still under way after the syscall: non-blocking (EINPROGRESS),
	 * or a blocking one cut short by a signal, which TCP carries on.
	 */
	bool later = ret == -EINPROGRESS_ || ret == -EINTR_ || ret == -ERESTARTSYS_ ||
		     ret == -EALREADY_;

	r->remote = a->peer; /* before any copy of r below */
	if (later && a->known) {
		*outcome = a->outcome;
		if (p)
			bpf_map_delete_elem(&connect_pending, &sk);
		return 1;
	} else if (!later) {
		if (p)
			bpf_map_delete_elem(&connect_pending, &sk); /* the result is final */
		return 0;
	}
	if (!p) {
		/* A blocking connect a signal cut short: its outcome comes later. */
		if (bpf_map_update_elem(&connect_pending, &sk, &fresh_pending, BPF_ANY) ||
		    !(p = bpf_map_lookup_elem(&connect_pending, &sk))) {
			stat_inc(WARDEN_STAT_CONNECT_STASH_FAIL);
			return 0;
		}
	}
	__builtin_memcpy(&p->rec, r, WARDEN_CONNECT_INET_SIZE);
	if (!(__sync_fetch_and_or(&p->state, PENDING_RETURNED) & PENDING_KNOWN))
		return 0; /* the handshake's end reports it */
	*outcome = p->outcome; /* it ended meanwhile */
	bpf_map_delete_elem(&connect_pending, &sk);
	return 1;
}

SEC("tp/syscalls/sys_exit_connect")
int warden_connect_exit(struct trace_event_raw_sys_exit *ctx)
{
	/* Read once: else the compiler may keep a moved ctx pointer, which the verifier refuses. */
	__s64 ret = ctx->ret;
	struct task_struct *t = bpf_get_current_task_btf();
	struct warden_rec_connect *r;
	struct connect_args *a;
	struct pt_regs *regs;
	__s32 fd, outcome = 0;

	if (task_is_self(t))
		return 0;
	a = inflight_get(t, 0);
	if (!a || !a->sk) {
		/* The caller's registers as it entered: its arguments are still there. */
		regs = (struct pt_regs *)bpf_task_pt_regs(t);
		caller_connect_emit(t, PT_REGS_PARM1_SYSCALL(regs), PT_REGS_PARM2_SYSCALL(regs),
				    (__u32)PT_REGS_PARM3_SYSCALL(regs), ret);
		return 0;
	}
	fd = a->fd;
	r = rb_reserve(WARDEN_CONNECT_INET_SIZE, WARDEN_REC_CONNECT);
	if (!r) {
		a->sk = 0;
		return 0;
	}
	connect_rec_start(r, WARDEN_CONNECT_INET_SIZE, t, fd, ret);
	/*
	 * A handshake that ended before the syscall returned: its outcome
	 * record follows, reserved after r and so after it in the ring.
	 */
	if (tcp_connect_settle(r, a, ret, &outcome))
		emit_outcome(r, outcome);
	a->sk = 0; /* this connect is over: no later exit may take its socket */
	rb_submit(r);
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
	struct task_struct *t;
	struct connect_args *a;
	__s32 outcome;
	int err;

	if (oldstate == TCP_CLOSE_ && newstate == TCP_SYN_SENT_) {
		/*
		 * On the connecting thread. Only connect() itself: a SYN that
		 * sendmsg(MSG_FASTOPEN) or a kernel socket sends has no exit of
		 * ours to take it, and would be left for the next connect().
		 */
		struct pt_regs *regs;

		t = bpf_get_current_task_btf();
		regs = (struct pt_regs *)bpf_task_pt_regs(t);
		if (SYSCALL_NR(regs) != warden_nr_connect || task_is_self(t))
			return 0;
		a = inflight_get(t, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!a) {
			stat_inc(WARDEN_STAT_CONNECT_STASH_FAIL);
			return 0;
		}
		a->sk = sk;
		a->fd = PT_REGS_PARM1_SYSCALL(regs);
		a->known = 0;
		a->pending = 0;
		/* The peer the SYN goes to: set before the state change, by tcp_v{4,6}_connect. */
		__builtin_memset(&a->peer, 0, sizeof(a->peer));
		a->peer.family = skp->__sk_common.skc_family;
		a->peer.port = bpf_ntohs(skp->__sk_common.skc_dport);
		if (a->peer.family == AF_INET6)
			__builtin_memcpy(a->peer.addr, &skp->__sk_common.skc_v6_daddr, 16);
		else
			__builtin_memcpy(a->peer.addr, &skp->__sk_common.skc_daddr, 4);
		/* BTF loads through a NULL pointer read 0: no socket or file is blocking. */
		if (!(skp->sk_socket->file->f_flags & O_NONBLOCK_))
			return 0;
		if (bpf_map_update_elem(&connect_pending, &sk, &fresh_pending, BPF_ANY))
			stat_inc(WARDEN_STAT_CONNECT_STASH_FAIL);
		else
			a->pending = 1;
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
	t = bpf_get_current_task_btf();
	a = inflight_get(t, 0);
	if (a && a->sk == sk) {
		a->outcome = outcome;
		a->known = 1;
		return 0;
	}
	p = bpf_map_lookup_elem(&connect_pending, &sk);
	if (!p)
		return 0;
	p->outcome = outcome;
	if (!(__sync_fetch_and_or(&p->state, PENDING_KNOWN) & PENDING_RETURNED))
		return 0; /* still inside connect(): its exit reports it */
	emit_outcome(&p->rec, outcome);
	bpf_map_delete_elem(&connect_pending, &sk);
	return 0;
}

/*
 * listen(), host-wide as connect(): a port an agent's tool opens to the
 * network (a bind shell) is the inverse of a connect out. At the exit, so
 * with the result, and with the address the socket has then: listen() on
 * a socket never bound binds it to a port of the kernel's choosing, after
 * the TCP state change to LISTEN. One syscall tracepoint that only listen()
 * calls pay; listens through io_uring are io_uring.submit's.
 */
SEC("tp/syscalls/sys_exit_listen")
int warden_listen_exit(struct trace_event_raw_sys_exit *ctx)
{
	__s64 ret = ctx->ret;
	struct task_struct *t = bpf_get_current_task_btf();
	struct warden_rec_listen *r;
	struct unix_address *ua;
	struct pt_regs *regs;
	struct sock *sk;
	__u64 n;

	if (task_is_self(t))
		return 0;
	r = rb_reserve(sizeof(*r), WARDEN_REC_LISTEN);
	if (!r)
		return 0;
	hdr_init(&r->hdr, WARDEN_REC_LISTEN, sizeof(*r));
	task_fill(&r->task, t);
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	r->fd = PT_REGS_PARM1_SYSCALL(regs);
	r->backlog = PT_REGS_PARM2_SYSCALL(regs);
	r->ret = ret;
	r->unix_path_len = 0;
	r->_pad0[0] = r->_pad0[1] = 0;
	__builtin_memset(&r->local, 0, sizeof(r->local));
	__builtin_memset(r->_pad1, 0, sizeof(r->_pad1));
	/* Sent whole: no byte of an earlier record left in it (listens are rare). */
	__builtin_memset(r->unix_path, 0, sizeof(r->unix_path));
	sk = fd_sock(t, r->fd);
	if (!sk)
		goto out; /* not a socket (ENOTSOCK), or closed meanwhile */
	r->local.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (r->local.family == AF_INET || r->local.family == AF_INET6) {
		sk_local_inet(sk, &r->local);
	} else if (r->local.family == AF_UNIX && bpf_core_type_exists(struct unix_sock)) {
		/* Its bound name: sun_path, len bytes of a struct sockaddr_un with its family. */
		ua = BPF_CORE_READ((struct unix_sock *)sk, addr);
		n = ua ? (__u32)BPF_CORE_READ(ua, len) : 0;
		if (n <= sizeof(__u16))
			goto out; /* unbound: listen() fails with EINVAL */
		n -= sizeof(__u16);
		if (n > WARDEN_UNIX_PATH_MAX)
			n = WARDEN_UNIX_PATH_MAX;
		barrier_var(n);
		if (n > WARDEN_UNIX_PATH_MAX)
			goto out;
		if (bpf_probe_read_kernel(r->unix_path, n, &ua->name[0].sun_path)) {
			stat_inc(WARDEN_STAT_READ_FAULT);
			r->hdr.flags |= WARDEN_F_READ_FAULT;
			goto out;
		}
		r->unix_path_len = n;
	}
out:
	rb_submit(r);
	return 0;
}

/*
 * A connection a session member took in, at accept()'s or accept4()'s exit:
 * who reached the port a tool listens on (a bind shell's caller). Members
 * only, unlike listen(): a server takes in far more than it listens, and
 * everyone else leaves after a look at its leader's task storage. A failed
 * accept leaves first: a non-blocking server's idle polls are EAGAINs.
 * (Accepts through io_uring: session.bpf.c, at their completion.)
 */
static __always_inline int accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	__s64 ret = ctx->ret;
	struct task_struct *t;
	struct pt_regs *regs;
	__u64 session;

	if (ret < 0)
		return 0;
	session = current_session();
	if (!session)
		return 0;
	t = bpf_get_current_task_btf();
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	accept_emit(t, session, PT_REGS_PARM1_SYSCALL(regs), ret, 0);
	return 0;
}

SEC("tp/syscalls/sys_exit_accept4")
int warden_accept4_exit(struct trace_event_raw_sys_exit *ctx)
{
	return accept_exit(ctx);
}

SEC("tp/syscalls/sys_exit_accept")
int warden_accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	return accept_exit(ctx);
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/*
 * TLS plaintext from OpenSSL's SSL_write/SSL_read and their _ex variants,
 * attached by userspace once per library or executable (pid -1).
 *
 * Entry stashes the arguments per thread; return reads the bytes the call
 * really moved. The socket is learnt from the first socket I/O the thread
 * does while inside SSL_* (no OpenSSL struct offsets), and remembered per
 * (tgid, SSL *) for calls served from OpenSSL's buffer. Where the kernel
 * has the sock_send_length/sock_recv_length tracepoints (6.5 on), they
 * tell: they fire only on socket I/O and hand over the socket. Elsewhere
 * the read/write/sendto/recvfrom syscall tracepoints do, at a cost to
 * every read() and write() on the host (userspace picks: sensor.c).
 * SSL_write entry is where in-kernel kill of an outgoing secret will sit:
 * before the bytes reach the socket.
 */
#include "common.bpf.h"
#include "fd.bpf.h"
#include "session.bpf.h"

#define PROT_EXEC_ 0x4

/* Bytes captured per SSL_* call; the rest is counted, flagged, not sent. */
const volatile __u64 warden_tls_capture_max = WARDEN_TLS_CAPTURE_DEFAULT;

__u64 warden_conn_seq = 0; /* connection ids: never reused while loaded */
__u64 warden_call_seq = 0;

struct tls_call {
	__u64 ssl;
	__u64 buf;
	__u64 out_len; /* size_t * of the _ex variants, else 0 */
	__u64 sp; /* stack pointer at entry: tells nesting from a stale entry */
	__u64 sk; /* struct sock * of the first socket I/O inside (sock hooks), else 0 */
	__s32 fd; /* the fd that I/O was on: a guess with the sock hooks, -1 until then */
	__u32 depth; /* 1 + the same call re-entered (SSL_write through SSL_write_ex) */
	__u8 func;
	__u8 _pad0[7];
};

/*
 * The SSL_* calls a thread is inside, innermost last. Calls do nest for
 * real: Node.js writes its queued request from a callback that runs inside
 * SSL_read when the handshake completes, so one slot per thread would lose
 * that write.
 */
#define TLS_STACK 4
struct tls_stack {
	struct tls_call f[TLS_STACK];
	__u32 n;
	__u32 overflow; /* calls entered beyond TLS_STACK, skipped at their return */
};

/*
 * In the thread's own storage: every socket I/O on the host (or, without
 * the sock hooks, every read() and write()) asks whether its thread is
 * inside SSL_* (note_sock, note_fd), and a thread that never
 * called SSL_* has no storage at all, a NULL pointer in its task_struct,
 * where a hash lookup would miss at the cost of a hash. A thread that
 * dies inside SSL_* takes its entry with it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tls_stack);
} tls_active SEC(".maps");

static __always_inline struct tls_stack *tls_stack_get(__u64 flags)
{
	return task_storage(&tls_active, bpf_get_current_task_btf(), flags);
}

static __always_inline bool is_read(__u8 func)
{
	return func == WARDEN_TLS_SSL_READ || func == WARDEN_TLS_SSL_READ_EX;
}

/* The innermost call, or NULL. */
static __always_inline struct tls_call *stack_top(struct tls_stack *st)
{
	__u32 n = st->n;

	if (n == 0 || n > TLS_STACK)
		return NULL;
	n = (n - 1) & (TLS_STACK - 1);
	barrier_var(n);
	return &st->f[n & (TLS_STACK - 1)];
}

struct conn_key {
	__u32 tgid;
	__u32 _pad0;
	__u64 ssl;
};

struct conn_info {
	__u64 conn_id;
	__u64 sk; /* struct sock *: a new one under the same SSL * is a new connection */
	__s32 fd;
	__u32 _pad0;
	/* Bytes moved so far, [0] written and [1] read: lets userspace see lost calls. */
	__u64 stream_off[2];
	struct warden_sockaddr local;
	struct warden_sockaddr remote;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct conn_key);
	__type(value, struct conn_info);
} tls_conns SEC(".maps");

static __always_inline int tls_enter(struct pt_regs *ctx, __u8 func, __u64 out_len)
{
	__u64 sp = PT_REGS_SP(ctx), ssl = PT_REGS_PARM1(ctx), buf = PT_REGS_PARM2(ctx);
	struct tls_stack *st;
	struct tls_call *top;
	__u32 n;

	if (is_self())
		return 0;
	st = tls_stack_get(BPF_LOCAL_STORAGE_GET_F_CREATE); /* created zeroed: empty */
	if (!st) {
		stat_inc(WARDEN_STAT_TLS_STASH_FAIL);
		return 0;
	}
	/*
	 * Calls at or above the innermost one's stack pointer never returned
	 * through us (the thread longjmp'd, or we attached mid-call): drop them.
	 */
	for (int i = 0; i < TLS_STACK; i++) {
		top = stack_top(st);
		if (!top || sp < top->sp)
			break;
		st->n--;
		st->overflow = 0;
	}
	top = stack_top(st);
	/* The same call re-entered: SSL_write implemented through SSL_write_ex. */
	if (top && top->ssl == ssl && top->buf == buf && is_read(top->func) == is_read(func)) {
		top->depth++;
		stat_inc(WARDEN_STAT_TLS_NESTED);
		return 0;
	}
	n = st->n;
	if (n >= TLS_STACK) {
		st->overflow++;
		stat_inc(WARDEN_STAT_TLS_STASH_FAIL);
		return 0;
	}
	n &= TLS_STACK - 1;
	barrier_var(n); /* keep the mask: the verifier needs the bound */
	top = &st->f[n & (TLS_STACK - 1)];
	top->ssl = ssl;
	top->buf = buf;
	top->out_len = out_len;
	top->sp = sp;
	top->sk = 0;
	top->fd = -1;
	top->depth = 1;
	top->func = func;
	st->n = n + 1;
	return 0;
}

static __always_inline void sock_addrs(struct sock *sk, struct conn_info *ci)
{
	sk_peer(sk, &ci->remote);
	ci->local.family = ci->remote.family;
	ci->local.port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (ci->local.family == AF_INET)
		bpf_core_read(ci->local.addr, 4, &sk->__sk_common.skc_rcv_saddr);
	else if (ci->local.family == AF_INET6)
		bpf_core_read(ci->local.addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
}

/*
 * The fd of the call's socket sk. The sock hooks guess it from the syscall
 * they ran in (its first argument): right for read, write, send* and
 * recv*, and checked here, once per connection, so io_uring or any other
 * path gives -1 rather than a wrong fd. The syscall hooks took sk from the
 * fd itself.
 */
static __always_inline __s32 conn_fd(const struct tls_call *call, struct sock *sk)
{
	if (!call->sk)
		return call->fd;
	return call->fd >= 0 && fd_sock(bpf_get_current_task_btf(), call->fd) == sk ? call->fd : -1;
}

/* The connection this call belongs to, created or refreshed as needed. */
static __always_inline struct conn_info *conn_resolve(__u32 tgid, struct tls_call *call)
{
	struct conn_key k = { .tgid = tgid, .ssl = call->ssl };
	struct conn_info *ci = bpf_map_lookup_elem(&tls_conns, &k);
	struct conn_info n = {};
	struct sock *sk = NULL;

	if (call->sk)
		sk = (struct sock *)call->sk;
	else if (call->fd >= 0)
		sk = fd_sock(bpf_get_current_task_btf(), call->fd);
	if (ci) {
		if (!sk || (__u64)sk == ci->sk)
			return ci;
		if (!ci->sk) { /* first socket I/O seen on a known stream: same connection */
			ci->sk = (__u64)sk;
			ci->fd = conn_fd(call, sk);
			sock_addrs(sk, ci);
			return ci;
		}
		/* a new socket under a recycled SSL *: a new connection */
	}
	n.conn_id = __sync_fetch_and_add(&warden_conn_seq, 1) + 1;
	n.fd = sk ? conn_fd(call, sk) : -1;
	n.sk = (__u64)sk;
	if (sk)
		sock_addrs(sk, &n);
	if (bpf_map_update_elem(&tls_conns, &k, &n, BPF_ANY)) {
		stat_inc(WARDEN_STAT_CONN_UPDATE_FAIL);
		return NULL;
	}
	return bpf_map_lookup_elem(&tls_conns, &k);
}

struct chunk_ctx {
	__u64 buf;
	__u64 cap;
	__u16 flags;
};

/*
 * A process that starts an HTTP/1 POST or an HTTP/2 connection may be an
 * agent calling an LLM API: make it a candidate member now, in the kernel,
 * so that the tools the reply makes it run are traced (file opens, forks)
 * before userspace has decoded the request. Userspace decides later. Known
 * processes (members, candidates, or decided NONE) are left as they are.
 */
static __always_inline void mark_candidate(const struct warden_rec_tls *r, __u64 len)
{
	struct task_struct *leader;
	struct warden_session_member *m;

	if (len < 5 || !((r->data[0] == 'P' && r->data[1] == 'O' && r->data[2] == 'S' &&
			  r->data[3] == 'T' && r->data[4] == ' ') ||
			 (r->data[0] == 'P' && r->data[1] == 'R' && r->data[2] == 'I' &&
			  r->data[3] == ' ' && r->data[4] == '*')))
		return;
	leader = bpf_get_current_task_btf()->group_leader;
	m = member_get(leader, BPF_LOCAL_STORAGE_GET_F_CREATE); /* a new entry is zeroed */
	if (m && !m->session) {
		m->session = WARDEN_SESSION_CANDIDATE;
		m->start_time = r->task.start_time;
	}
}

/*
 * One chunk of a call's bytes per iteration. Run by bpf_loop() so the
 * verifier checks the body once whatever the cap (up to 4 MiB = 256 chunks),
 * instead of walking every iteration of an open-coded loop.
 */
static long emit_chunk(__u32 i, void *arg)
{
	struct chunk_ctx *cc = arg;
	struct warden_rec_tls *r = scratch_get();
	__u64 off = (__u64)i * WARDEN_TLS_CHUNK, len;

	if (!r || off >= cc->cap)
		return 1;
	len = cc->cap - off;
	if (len > WARDEN_TLS_CHUNK)
		len = WARDEN_TLS_CHUNK;
	barrier_var(len);
	if (len > WARDEN_TLS_CHUNK)
		return 1;
	hdr_init(&r->hdr, WARDEN_REC_TLS_DATA, 0);
	r->hdr.flags = cc->flags;
	if (off + len >= cc->cap)
		r->hdr.flags |= WARDEN_F_LAST;
	r->offset = off;
	if (bpf_probe_read_user(r->data, len, (void *)(cc->buf + off))) {
		stat_inc(WARDEN_STAT_READ_FAULT);
		r->hdr.flags |= WARDEN_F_READ_FAULT;
		len = 0;
	}
	r->len = len;
	r->hdr.size = __builtin_offsetof(struct warden_rec_tls, data) + len;
	if (i == 0 && !is_read(r->func))
		mark_candidate(r, len);
	rb_output(r, __builtin_offsetof(struct warden_rec_tls, data) + len, WARDEN_REC_TLS_DATA);
	return 0;
}

static __always_inline int tls_exit(struct pt_regs *ctx)
{
	__u64 key = bpf_get_current_pid_tgid();
	struct warden_rec_tls *r;
	struct conn_info *ci;
	struct tls_call call, *c;
	struct tls_stack *st;
	__u64 total = 0, cap;
	/* SSL_* return int: the upper half of rax is not part of the value. */
	int ret = (int)PT_REGS_RC(ctx);
	__u16 flags = 0;

	st = tls_stack_get(0);
	c = st ? stack_top(st) : NULL;
	if (!c) {
		if (!is_self())
			stat_inc(WARDEN_STAT_TLS_ORPHAN_RET);
		return 0;
	}
	if (st->overflow) {
		st->overflow--;
		return 0;
	}
	if (c->depth > 1) {
		c->depth--;
		return 0;
	}
	call = *c;
	st->n--;

	if (call.out_len) { /* _ex: 1 on success, the count through a pointer */
		if (ret == 1 && bpf_probe_read_user(&total, sizeof(total), (void *)call.out_len))
			stat_inc(WARDEN_STAT_READ_FAULT);
	} else if (ret > 0) {
		total = ret;
	}
	if (!total)
		return 0;

	r = scratch_get();
	if (!r)
		return 0;
	ci = conn_resolve(key >> 32, &call);
	task_fill(&r->task, bpf_get_current_task_btf());
	r->conn_id = ci ? ci->conn_id : 0;
	r->fd = ci ? ci->fd : -1;
	if (ci) {
		r->local = ci->local;
		r->remote = ci->remote;
	} else {
		__builtin_memset(&r->local, 0, sizeof(r->local));
		__builtin_memset(&r->remote, 0, sizeof(r->remote));
	}
	r->ssl = call.ssl;
	r->func = call.func;
	r->call_id = __sync_fetch_and_add(&warden_call_seq, 1) + 1;
	r->total_len = total;
	__builtin_memset(r->_pad0, 0, sizeof(r->_pad0));
	if (ci) {
		int dir = is_read(call.func);

		r->stream_offset = __sync_fetch_and_add(&ci->stream_off[dir & 1], total);
	} else {
		r->stream_offset = WARDEN_TLS_NO_OFFSET;
	}

	cap = total;
	if (cap > warden_tls_capture_max) {
		cap = warden_tls_capture_max;
		flags |= WARDEN_F_TRUNCATED;
		stat_inc(WARDEN_STAT_TLS_TRUNCATED);
	}
	struct chunk_ctx cc = { .buf = call.buf, .cap = cap, .flags = flags };

	bpf_loop(WARDEN_TLS_CHUNKS_MAX, emit_chunk, &cc, 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(warden_ssl_write, void *ssl, const void *buf, int num)
{
	return tls_enter(ctx, WARDEN_TLS_SSL_WRITE, 0);
}

SEC("uprobe")
int BPF_KPROBE(warden_ssl_write_ex, void *ssl, const void *buf, __u64 num, __u64 *written)
{
	return tls_enter(ctx, WARDEN_TLS_SSL_WRITE_EX, (__u64)written);
}

SEC("uprobe")
int BPF_KPROBE(warden_ssl_read, void *ssl, void *buf, int num)
{
	return tls_enter(ctx, WARDEN_TLS_SSL_READ, 0);
}

SEC("uprobe")
int BPF_KPROBE(warden_ssl_read_ex, void *ssl, void *buf, __u64 num, __u64 *readbytes)
{
	return tls_enter(ctx, WARDEN_TLS_SSL_READ_EX, (__u64)readbytes);
}

SEC("uretprobe")
int BPF_KRETPROBE(warden_ssl_ret)
{
	return tls_exit(ctx);
}

/*
 * The socket an SSL_* call really uses: the first socket I/O inside it.
 * tp_btf: the kernel hands the socket straight over, and a thread outside
 * SSL_* (nearly all socket I/O on the host) costs one task-storage load.
 */
static __always_inline int note_sock(struct sock *sk)
{
	struct tls_stack *st = tls_stack_get(0);
	struct tls_call *c = st ? stack_top(st) : NULL;
	struct pt_regs *regs;

	if (!c || c->sk || c->fd >= 0)
		return 0;
	c->sk = (__u64)sk;
	/* The syscall's first argument: the fd for read, write, send* and recv*. */
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	c->fd = PT_REGS_PARM1_SYSCALL(regs);
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(warden_tls_sock_send, struct sock *sk, int ret, int flags)
{
	return note_sock(sk);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(warden_tls_sock_recv, struct sock *sk, int ret, int flags)
{
	return note_sock(sk);
}

/* Without the sock hooks: the first I/O syscall inside the call. */
static __always_inline int note_fd(__s32 fd)
{
	struct tls_stack *st = tls_stack_get(0);
	struct tls_call *c = st ? stack_top(st) : NULL;

	if (c && c->fd < 0)
		c->fd = fd;
	return 0;
}

SEC("tp/syscalls/sys_enter_write")
int warden_sys_write(struct trace_event_raw_sys_enter *ctx)
{
	return note_fd(ctx->args[0]);
}

SEC("tp/syscalls/sys_enter_read")
int warden_sys_read(struct trace_event_raw_sys_enter *ctx)
{
	return note_fd(ctx->args[0]);
}

SEC("tp/syscalls/sys_enter_sendto")
int warden_sys_sendto(struct trace_event_raw_sys_enter *ctx)
{
	return note_fd(ctx->args[0]);
}

SEC("tp/syscalls/sys_enter_recvfrom")
int warden_sys_recvfrom(struct trace_event_raw_sys_enter *ctx)
{
	return note_fd(ctx->args[0]);
}

/*
 * dlopen() and the dynamic linker map code with mmap(PROT_EXEC, fd). Report
 * each file once, so userspace can look for SSL_* in libraries loaded after
 * start-up (Python loads libssl lazily). Userspace drops the key again if
 * it could not inspect the file, so the next mapping retries.
 */
SEC("tp/syscalls/sys_enter_mmap")
int warden_sys_mmap(struct trace_event_raw_sys_enter *ctx)
{
	struct warden_file_key k = {};
	struct warden_rec_lib_map *r;
	struct task_struct *t;
	struct inode *inode;
	int fd = ctx->args[4];
	struct file *f;
	__u8 one = 1;

	if (!(ctx->args[2] & PROT_EXEC_) || fd < 0)
		return 0;
	t = bpf_get_current_task_btf();
	if (task_is_self(t))
		return 0;
	f = fd_file(t, fd);
	if (!f)
		return 0;
	/* The file's fields, which the verifier cannot type from f, take a helper call each. */
	inode = BPF_CORE_READ(f, f_inode);
	k.ino = BPF_CORE_READ(inode, i_ino);
	k.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	/* Nearly always known: a lookup takes no bucket lock, an update would. */
	if (bpf_map_lookup_elem(&checked_files, &k) ||
	    bpf_map_update_elem(&checked_files, &k, &one, BPF_NOEXIST))
		return 0; /* known already (or the map refused: then we retry next time) */
	r = rb_reserve(sizeof(*r), WARDEN_REC_LIB_MAP);
	if (!r) {
		bpf_map_delete_elem(&checked_files, &k);
		return 0;
	}
	hdr_init(&r->hdr, WARDEN_REC_LIB_MAP, sizeof(*r));
	task_fill(&r->task, t);
	r->dev = k.dev;
	r->ino = k.ino;
	/*
	 * Once per file on the host, and the race is tight: Python's first
	 * SSL_write follows the mapping of libssl by a few milliseconds. Do not
	 * let it wait for the batched wakeup.
	 */
	rb_submit_now(r);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/*
 * Agent sessions in the kernel: which processes belong to one, and the
 * files they open.
 *
 * Userspace decides when a session starts (a process talks to an LLM API,
 * or execs a binary named with --agent) and puts that process in
 * session_members. From then on membership is kept here, where it cannot
 * race: a fork by a member makes the child a member before the child runs
 * its first instruction, and the entry, in the process's own task storage,
 * goes with it. So the openat() of a `cat` that lives a millisecond is
 * still seen.
 *
 * File opens are reported for members only: openat() and openat2() stash
 * their arguments per thread at entry (the path is read there, while the
 * pointer is the caller's), the exit sends one record with the result.
 * A path (or openat2's open_how) whose page is not mapped yet cannot be read
 * at entry (a tracepoint may not fault); the kernel maps it while it copies
 * the argument in, so the exit reads it then, flagged WARDEN_F_LATE_READ.
 * Without that, a path put in a page never touched before (a fresh file
 * mapping) opened unseen.
 * The exit also gives the file opened, by its path from the process's root
 * (path.bpf.h): the path passed may be relative, or go through symlinks.
 * A non-member costs a look at its leader's local storage at entry and at
 * its thread's at exit, which it has none of.
 *
 * io_uring requests that reach out (opens, connects, sockets, links,
 * renames) are reported as they are submitted, with the path or address
 * their preparation took in, where the kernel has the io_uring_submit_req
 * tracepoint (6.0 on): the openat and connect hooks never see them. An
 * accept's connection exists only at its completion: reported then, as
 * net.accept (io_uring_complete).
 * Not covered: open() and creat() (glibc and musl call openat()),
 * name_to_handle/open_by_handle_at.
 */
#include "common.bpf.h"
#include "dns.bpf.h"
#include "fd.bpf.h"
#include "path.bpf.h"
#include "session.bpf.h"

struct open_stash {
	__u64 session;
	__u64 upath; /* the caller's pointer, for a path not paged in at entry */
	__u64 uhow; /* openat2's open_how, when it was not paged in at entry; else 0 */
	__s32 dirfd;
	__s32 flags;
	__u32 mode;
	__u16 path_len;
	__u8 openat2;
	__u8 rec_flags; /* WARDEN_F_TRUNCATED, WARDEN_F_READ_FAULT */
	__u8 active; /* inside openat() now */
	__u8 _pad0[7];
	char path[WARDEN_OPEN_PATH_MAX];
};

/*
 * The open() a thread is inside, in the thread's own storage (as connect()'s):
 * a thread that never opened as a member has none, so its exit finds a
 * NULL pointer in its task_struct instead of missing in a hash; and the
 * entry goes with the thread, even one killed inside openat().
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct open_stash);
} open_inflight SEC(".maps");

struct open_how_ {
	__u64 flags;
	__u64 mode;
	__u64 resolve;
};

/*
 * Inherit at fork: threads share their leader's entry and are skipped.
 * tp_btf: the tasks are BTF pointers the storage helper takes.
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(warden_session_fork, struct task_struct *parent, struct task_struct *child)
{
	struct warden_session_member *m, *c;

	if (!parent || !child || child->pid != child->tgid)
		return 0;
	m = member_get(parent->group_leader, 0);
	if (!m || !m->session || m->session == WARDEN_SESSION_NONE)
		return 0; /* in none, or decided: not an agent */
	c = member_get(child, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!c) {
		stat_inc(WARDEN_STAT_SESSION_INHERIT_FAIL);
		return 0;
	}
	c->session = m->session;
	c->start_time = child->start_boottime; /* child is its group's leader */
	return 0;
}

/*
 * A process's entry goes with it. Only a leader that exits before the rest
 * of its group (the exec of another thread frees it) hands its entry over.
 */
SEC("tp/sched/sched_process_exit")
int warden_session_exit(struct trace_event_raw_sched_process_exit *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct warden_session_member *m;
	__u32 tgid;

	if (t->pid != t->tgid || exit_group_dead(ctx, t))
		return 0;
	m = member_get(t, 0);
	if (!m)
		return 0;
	tgid = t->tgid;
	if (bpf_map_update_elem(&session_handover, &tgid, m, BPF_ANY))
		stat_inc(WARDEN_STAT_SESSION_INHERIT_FAIL);
	return 0;
}

static __always_inline int open_enter(__s32 dirfd, __u64 upath, __s32 flags, __u32 mode,
				      __u8 is_openat2, __u64 uhow)
{
	__u64 session = current_session();
	struct open_stash *s;
	long n;

	if (!session)
		return 0;
	s = task_storage(&open_inflight, bpf_get_current_task_btf(),
			 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		stat_inc(WARDEN_STAT_FILE_STASH_FAIL);
		return 0;
	}
	s->session = session;
	s->dirfd = dirfd;
	s->flags = flags;
	s->mode = mode;
	s->openat2 = is_openat2;
	s->rec_flags = 0;
	s->upath = upath;
	s->uhow = uhow;
	n = bpf_probe_read_user_str(s->path, sizeof(s->path), (void *)upath);
	if (n <= 0) {
		/* Not paged in yet, or a bad pointer: the exit tries again (counted there). */
		s->rec_flags |= WARDEN_F_READ_FAULT;
		s->path[0] = 0;
		n = 1;
	} else if (n == sizeof(s->path)) {
		/* Filled to the last byte: the path may go on. */
		s->rec_flags |= WARDEN_F_TRUNCATED;
		stat_inc(WARDEN_STAT_FILE_PATH_TRUNCATED);
	}
	s->path_len = n - 1;
	s->active = 1;
	return 0;
}

SEC("tp/syscalls/sys_enter_openat")
int warden_openat_enter(struct trace_event_raw_sys_enter *ctx)
{
	/* openat(dfd, filename, flags, mode) */
	return open_enter(ctx->args[0], ctx->args[1], ctx->args[2], ctx->args[3], 0, 0);
}

SEC("tp/syscalls/sys_enter_openat2")
int warden_openat2_enter(struct trace_event_raw_sys_enter *ctx)
{
	/* openat2(dfd, filename, how, usize) */
	struct open_how_ how = {};
	__u64 late = 0;

	if (!current_session())
		return 0; /* the common case, before reading anything */
	if (ctx->args[3] < sizeof(__u64) * 2)
		stat_inc(WARDEN_STAT_READ_FAULT); /* reported with flags 0; the kernel fails it too */
	else if (bpf_probe_read_user(&how, sizeof(__u64) * 2, (void *)ctx->args[2]))
		late = ctx->args[2]; /* not paged in, or bad: the exit tries again */
	return open_enter(ctx->args[0], ctx->args[1], how.flags, how.mode, 1, late);
}

/*
 * The path entry could not read, read again at exit: the kernel's copy of it
 * (getname) has mapped its page by now, unless the pointer is bad, when the
 * open failed with EFAULT. What the caller's memory holds at exit: another
 * thread could have rewritten it since, as it could between the kernel's
 * copy and a read at entry; the flag says which read it was. So for
 * open_how (open_how_late).
 */
static __always_inline void open_path_late(struct warden_rec_file_open *r, __u64 upath)
{
	long n = bpf_probe_read_user_str(r->path, sizeof(r->path), (void *)upath);

	if (n <= 0) {
		stat_inc(WARDEN_STAT_READ_FAULT);
		r->path[0] = 0;
		return;
	}
	r->hdr.flags &= ~WARDEN_F_READ_FAULT;
	r->hdr.flags |= WARDEN_F_LATE_READ;
	stat_inc(WARDEN_STAT_FILE_LATE_READ);
	if (n == sizeof(r->path)) {
		r->hdr.flags |= WARDEN_F_TRUNCATED;
		stat_inc(WARDEN_STAT_FILE_PATH_TRUNCATED);
	}
	r->path_len = n - 1;
}

static __always_inline void open_how_late(struct warden_rec_file_open *r, __u64 uhow)
{
	struct open_how_ how;

	if (bpf_probe_read_user(&how, sizeof(__u64) * 2, (void *)uhow)) {
		stat_inc(WARDEN_STAT_READ_FAULT); /* flags 0: the open failed with EFAULT */
		return;
	}
	r->flags = how.flags;
	r->mode = how.mode;
	r->hdr.flags |= WARDEN_F_LATE_READ;
	stat_inc(WARDEN_STAT_FILE_LATE_READ);
}

static __always_inline int open_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct warden_rec_file_open *r;
	struct open_stash *s;

	s = task_storage(&open_inflight, t, 0);
	if (!s || !s->active)
		return 0;
	r = rb_reserve(sizeof(*r), WARDEN_REC_FILE_OPEN);
	if (!r)
		goto out;
	hdr_init(&r->hdr, WARDEN_REC_FILE_OPEN, sizeof(*r));
	r->hdr.flags |= s->rec_flags;
	task_fill(&r->task, t);
	r->dirfd = s->dirfd;
	r->flags = s->flags;
	r->mode = s->mode;
	r->ret = ctx->ret;
	r->session = s->session;
	r->path_len = s->path_len;
	r->openat2 = s->openat2;
	if (s->uhow)
		open_how_late(r, s->uhow);
	if (s->rec_flags & WARDEN_F_READ_FAULT)
		open_path_late(r, s->upath);
	else if (bpf_probe_read_kernel(r->path, sizeof(r->path), s->path))
		r->path[0] = 0;
	r->path[sizeof(r->path) - 1] = 0;
	if (ctx->ret >= 0)
		r->resolved = file_path_resolve(t, fd_file(t, ctx->ret), r->resolved_path,
						&r->resolved_len);
	else /* no file: where a relative path pointed (a failed probe for a secret counts) */
		r->resolved =
			relative_path_dir(t, r->dirfd, r->path, r->resolved_path, &r->resolved_len);
	r->_pad0[0] = r->_pad0[1] = 0;
	rb_submit(r);
out:
	s->active = 0; /* kept for the thread's next open: no free and allocation per call */
	return 0;
}

SEC("tp/syscalls/sys_exit_openat")
int warden_openat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx);
}

SEC("tp/syscalls/sys_exit_openat2")
int warden_openat2_exit(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx);
}

/* The requests reported (IORING_OP_*: uapi numbers, from vmlinux.h's enum). */
#define IOU_REPORTED                                                                           \
	(1ull << IORING_OP_ACCEPT | 1ull << IORING_OP_CONNECT | 1ull << IORING_OP_OPENAT |     \
	 1ull << IORING_OP_OPENAT2 | 1ull << IORING_OP_RENAMEAT | 1ull << IORING_OP_UNLINKAT | \
	 1ull << IORING_OP_MKDIRAT | 1ull << IORING_OP_SYMLINKAT | 1ull << IORING_OP_LINKAT |  \
	 1ull << IORING_OP_SOCKET | 1ull << IORING_OP_BIND | 1ull << IORING_OP_LISTEN)

/* The command data of a request: the first member of struct io_kiocb. */
#define IOU_CMD(req, type) \
	((struct type *)((void *)(req) + bpf_core_field_offset(struct io_kiocb, cmd)))

/* The name a struct filename holds: what getname() copied in. */
static __always_inline const char *filename_name(const struct filename *f)
{
	return BPF_CORE_READ(f, name);
}

/* A path the request's preparation copied in (getname): f is its struct filename *. */
#define IOU_PATH(r, f)                                                                   \
	path_str_read(&(r)->hdr, (r)->path, filename_name(f), false, WARDEN_F_TRUNCATED, \
		      WARDEN_F_READ_FAULT)
#define IOU_PATH2(r, f)                                                                    \
	path_str_read(&(r)->hdr, (r)->path2, filename_name(f), false, WARDEN_F_TRUNCATED2, \
		      WARDEN_F_READ_FAULT2)

/*
 * The paths of a request that names files, with their directories and
 * flags. Each kind's command struct is looked for in the kernel's BTF: one
 * that lays it out otherwise, or lacks it, gives the opcode alone.
 */
static __always_inline void io_uring_paths(struct warden_rec_io_uring *r, void *req, __u8 op)
{
	if (op == IORING_OP_OPENAT || op == IORING_OP_OPENAT2) {
		struct io_open *o = IOU_CMD(req, io_open);

		if (!bpf_core_type_exists(struct io_open))
			return;
		r->dfd = BPF_CORE_READ(o, dfd);
		r->flags = BPF_CORE_READ(o, how.flags);
		r->path_len = IOU_PATH(r, BPF_CORE_READ(o, filename));
	} else if (op == IORING_OP_UNLINKAT) {
		struct io_unlink *u = IOU_CMD(req, io_unlink);

		if (!bpf_core_type_exists(struct io_unlink))
			return;
		r->dfd = BPF_CORE_READ(u, dfd);
		r->flags = BPF_CORE_READ(u, flags);
		r->path_len = IOU_PATH(r, BPF_CORE_READ(u, filename));
	} else if (op == IORING_OP_MKDIRAT) {
		struct io_mkdir *m = IOU_CMD(req, io_mkdir);

		if (!bpf_core_type_exists(struct io_mkdir))
			return;
		r->dfd = BPF_CORE_READ(m, dfd);
		r->flags = BPF_CORE_READ(m, mode);
		r->path_len = IOU_PATH(r, BPF_CORE_READ(m, filename));
	} else if (op == IORING_OP_RENAMEAT) {
		struct io_rename *n = IOU_CMD(req, io_rename);

		if (!bpf_core_type_exists(struct io_rename))
			return;
		r->dfd = BPF_CORE_READ(n, old_dfd);
		r->dfd2 = BPF_CORE_READ(n, new_dfd);
		r->flags = BPF_CORE_READ(n, flags);
		r->path_len = IOU_PATH(r, BPF_CORE_READ(n, oldpath));
		r->path2_len = IOU_PATH2(r, BPF_CORE_READ(n, newpath));
	} else if (op == IORING_OP_LINKAT || op == IORING_OP_SYMLINKAT) {
		/* Both take struct io_link; a symlink's old path is its target, a string only. */
		struct io_link *l = IOU_CMD(req, io_link);

		if (!bpf_core_type_exists(struct io_link))
			return;
		if (op == IORING_OP_LINKAT) {
			r->dfd = BPF_CORE_READ(l, old_dfd);
			r->dfd2 = BPF_CORE_READ(l, new_dfd);
			r->flags = BPF_CORE_READ(l, flags);
			r->path_len = IOU_PATH(r, BPF_CORE_READ(l, oldpath));
			r->path2_len = IOU_PATH2(r, BPF_CORE_READ(l, newpath));
		} else {
			r->dfd = BPF_CORE_READ(l, new_dfd);
			r->path_len = IOU_PATH(r, BPF_CORE_READ(l, newpath));
			r->path2_len = IOU_PATH2(r, BPF_CORE_READ(l, oldpath));
		}
	}
}

/*
 * A connect request: its address, from the caller's buffer (which its
 * preparation read); an AF_UNIX one's path into r->path.
 */
static __always_inline void io_uring_connect(struct warden_rec_io_uring *r, void *req)
{
	struct io_connect *c = IOU_CMD(req, io_connect);
	union dns_sa sa = {};
	void *uaddr;
	__u64 len, n;

	if (!bpf_core_type_exists(struct io_connect))
		return;
	uaddr = BPF_CORE_READ(c, addr);
	len = (__u32)BPF_CORE_READ(c, addr_len);
	n = len;
	if (n > sizeof(sa))
		n = sizeof(sa);
	barrier_var(n);
	if (n < sizeof(__u16) || n > sizeof(sa))
		return;
	if (bpf_probe_read_user(&sa, n, uaddr)) {
		stat_inc(WARDEN_STAT_READ_FAULT);
		r->hdr.flags |= WARDEN_F_READ_FAULT;
		return;
	}
	if (!dns_sa_parse(&sa, n, &r->remote))
		return;
	r->remote.family = sa.family; /* no IP address: the family alone */
	if (sa.family != AF_UNIX)
		return;
	/* sun_path: not NUL-terminated when it fills the address, NULs inside when abstract. */
	n = len - sizeof(__u16);
	if (n > WARDEN_UNIX_PATH_MAX)
		n = WARDEN_UNIX_PATH_MAX;
	barrier_var(n);
	if (n > WARDEN_UNIX_PATH_MAX)
		return;
	if (bpf_probe_read_user(r->path, n, uaddr + sizeof(__u16))) {
		stat_inc(WARDEN_STAT_READ_FAULT);
		r->hdr.flags |= WARDEN_F_READ_FAULT;
		return;
	}
	r->path[n] = 0;
	r->path_len = n;
}

/*
 * The io_uring accepts a member submitted, until their last completion:
 * the connection, and so its peer, exists only then. A completion names
 * its ring and user_data; a multishot accept's name no request (io_uring
 * posts them apart from it), so the request is known by those two. LRU:
 * a ring torn down with accepts pending leaves entries no completion
 * deletes.
 */
struct iou_accept_key {
	__u64 ring; /* struct io_ring_ctx * */
	__u64 user_data;
};

struct iou_accept {
	__s32 fd; /* the listening socket as the request named it; -1: a registered file */
	__u8 direct; /* the connection goes into the ring's file table, no fd */
	__u8 multishot; /* its completions but the last name no request */
	__u8 _pad[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct iou_accept_key);
	__type(value, struct iou_accept);
} iou_accepts SEC(".maps");

#define IORING_CQE_F_MORE_ (1u << 1) /* uapi: more completions of this request follow */
#define IORING_ACCEPT_MULTISHOT_ (1u << 0) /* uapi: an accept's ioprio flag */

/* An accept a member submitted: kept for its completions (iou_accepts). */
static __always_inline void io_uring_accept_stash(struct trace_event_raw_io_uring_submit_req *ctx)
{
	struct iou_accept_key k = { .ring = (__u64)ctx->ctx, .user_data = ctx->user_data };
	struct iou_accept v = {};
	struct io_kiocb *req = ctx->req;

	/* REQ_F_FIXED_FILE is IOSQE_FIXED_FILE's bit: fd is an index into the ring's files. */
	v.fd = ctx->flags & (1ull << IOSQE_FIXED_FILE_BIT) ? -1 : BPF_CORE_READ(req, cqe.fd);
	if (bpf_core_type_exists(struct io_accept))
		v.direct = BPF_CORE_READ(IOU_CMD(req, io_accept), file_slot) != 0;
	/* Where the kernel keeps no such flag, a multishot accept gives its last completion only. */
	if (bpf_core_field_exists(struct io_accept, iou_flags))
		v.multishot = !!(BPF_CORE_READ(IOU_CMD(req, io_accept), iou_flags) &
				 IORING_ACCEPT_MULTISHOT_);
	if (bpf_map_update_elem(&iou_accepts, &k, &v, BPF_ANY))
		stat_inc(WARDEN_STAT_IOU_ACCEPT_FAIL);
}

/*
 * Attached where the kernel has the tracepoint (kfeature.h); it runs in
 * the submitting thread, or the ring's SQPOLL thread, which is a thread of
 * the ring's process. A process in no session leaves after a look at the
 * opcode and at its leader's task storage.
 */
SEC("tp/io_uring/io_uring_submit_req")
int warden_io_uring_submit(struct trace_event_raw_io_uring_submit_req *ctx)
{
	struct warden_rec_io_uring *r;
	__u8 op = ctx->opcode;
	struct task_struct *t;
	__u64 session;

	if (op >= 64 || !((IOU_REPORTED >> op) & 1))
		return 0;
	session = current_session();
	if (!session)
		return 0;
	r = rb_reserve(sizeof(*r), WARDEN_REC_IO_URING);
	if (!r)
		return 0;
	hdr_init(&r->hdr, WARDEN_REC_IO_URING, sizeof(*r));
	t = bpf_get_current_task_btf();
	task_fill(&r->task, t);
	r->session = session;
	r->user_data = ctx->user_data;
	r->opcode = op;
	r->sq_thread = ctx->sq_thread;
	r->path_len = 0;
	r->path2_len = 0;
	r->dfd = 0;
	r->dfd2 = 0;
	r->flags = 0;
	r->resolved_of_path2 = 0;
	r->_pad1 = 0;
	__builtin_memset(&r->remote, 0, sizeof(r->remote));
	r->path[0] = 0;
	r->path2[0] = 0;
	r->resolved = WARDEN_RESOLVED_NONE;
	r->resolved_len = 0;
	r->resolved_path[0] = 0;
	if (op == IORING_OP_CONNECT) {
		io_uring_connect(r, ctx->req);
	} else if (op == IORING_OP_ACCEPT) {
		io_uring_accept_stash(ctx);
	} else {
		io_uring_paths(r, ctx->req, op);
		/*
		 * Where a relative path points, as file.* events give it: a
		 * path rule must not miss a file reached through io_uring. The
		 * SQPOLL thread shares its process's working directory and fds.
		 */
		if (r->path[0] == '/' && r->path2_len && op != IORING_OP_SYMLINKAT) {
			r->resolved = relative_path_dir(t, r->dfd2, r->path2, r->resolved_path,
							&r->resolved_len);
			r->resolved_of_path2 = 1;
		} else {
			r->resolved = relative_path_dir(t, r->dfd, r->path, r->resolved_path,
							&r->resolved_len);
		}
	}
	rb_submit(r);
	return 0;
}

/*
 * A completion of an accept a member submitted (iou_accepts): a connection
 * taken in is reported as accept() reports it, flagged WARDEN_F_IO_URING.
 * It runs where io_uring completes the request: the submitting thread, an
 * io-wq worker or the SQPOLL thread, all threads of the ring's process,
 * whose fd table holds the new socket. Every other completion leaves after
 * the look at its leader's task storage that current_session() is, or a
 * missed lookup for a member's other requests. A connection put in the
 * ring's file table (a direct descriptor) has no fd to read it by: it is
 * left at io_uring.submit's opcode, as are failed accepts.
 */
SEC("tp/io_uring/io_uring_complete")
int warden_io_uring_complete(struct trace_event_raw_io_uring_complete *ctx)
{
	struct iou_accept_key k;
	struct io_kiocb *req;
	struct iou_accept *a;
	__s32 res, fd;
	__u8 direct;
	__u64 session;

	session = current_session();
	if (!session)
		return 0;
	k.ring = (__u64)ctx->ctx;
	k.user_data = ctx->user_data;
	a = bpf_map_lookup_elem(&iou_accepts, &k);
	if (!a)
		return 0;
	/*
	 * user_data is the program's to choose, and need not be unique: a
	 * completion is the accept's only if its request is an accept, or if
	 * it names none and the accept is multishot.
	 */
	req = ctx->req;
	if (req ? BPF_CORE_READ(req, opcode) != IORING_OP_ACCEPT : !a->multishot)
		return 0;
	res = ctx->res;
	fd = a->fd;
	direct = a->direct;
	if (!(ctx->cflags & IORING_CQE_F_MORE_))
		bpf_map_delete_elem(&iou_accepts, &k); /* its last completion */
	if (res < 0 || direct)
		return 0;
	accept_emit(bpf_get_current_task_btf(), session, fd, res, WARDEN_F_IO_URING);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

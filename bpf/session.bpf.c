// SPDX-License-Identifier: GPL-2.0
/*
 * Agent sessions in the kernel: which processes belong to one, and the
 * files they open.
 *
 * Userspace decides when a session starts (a process talks to an LLM API,
 * or execs a binary named with --agent) and puts that process in
 * session_members. From then on membership is kept here, where it cannot
 * race: a fork by a member makes the child a member before the child runs
 * its first instruction, and the last thread of a member removes it. So the
 * openat() of a `cat` that lives a millisecond is still seen.
 *
 * File opens are reported for members only: openat() and openat2() stash
 * their arguments per thread at entry (the path is read there, while the
 * pointer is the caller's), the exit sends one record with the result.
 * A non-member costs one hash lookup at entry and, at exit, a look at its
 * thread's local storage, which it has none of.
 *
 * Not covered: open() and creat() (glibc and musl call openat()), io_uring
 * opens, name_to_handle/open_by_handle_at.
 */
#include "common.bpf.h"
#include "session.bpf.h"

struct open_stash {
	__u64 session;
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

/* Inherit at fork: threads share their process's entry and are skipped. */
SEC("raw_tp/sched_process_fork")
int BPF_PROG(warden_session_fork, struct task_struct *parent, struct task_struct *child)
{
	struct warden_session_member *m, v;
	__u32 ptgid, ctgid;

	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0;
	ptgid = BPF_CORE_READ(parent, tgid);
	m = bpf_map_lookup_elem(&session_members, &ptgid);
	if (!m || !member_is(m, ptgid, BPF_CORE_READ(parent, group_leader, start_boottime)))
		return 0;
	if (m->session == WARDEN_SESSION_NONE)
		return 0; /* decided: not an agent */
	v.session = m->session;
	v.start_time = BPF_CORE_READ(child, start_boottime); /* child is its group's leader */
	ctgid = BPF_CORE_READ(child, tgid);
	if (bpf_map_update_elem(&session_members, &ctgid, &v, BPF_ANY))
		stat_inc(WARDEN_STAT_SESSION_INHERIT_FAIL);
	return 0;
}

/* The group is gone when its last thread exits. */
SEC("tp/sched/sched_process_exit")
int warden_session_exit(void *ctx)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (BPF_CORE_READ(t, signal, live.counter) != 0)
		return 0;
	/* Most processes are in no session: a lookup that misses takes no bucket lock. */
	if (bpf_map_lookup_elem(&session_members, &tgid))
		bpf_map_delete_elem(&session_members, &tgid);
	return 0;
}

/* The session of the current process, 0 when it is in none. */
static __always_inline __u64 current_session(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct warden_session_member *m;

	m = bpf_map_lookup_elem(&session_members, &tgid);
	if (!m || !member_is(m, tgid, BPF_CORE_READ(t, group_leader, start_boottime)))
		return 0;
	return m->session == WARDEN_SESSION_NONE ? 0 : m->session;
}

static __always_inline int open_enter(__s32 dirfd, __u64 upath, __s32 flags, __u32 mode,
				      __u8 is_openat2)
{
	__u64 session = current_session();
	struct open_stash *s;
	long n;

	if (!session)
		return 0;
	s = bpf_task_storage_get(&open_inflight, bpf_get_current_task_btf(), 0,
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
	n = bpf_probe_read_user_str(s->path, sizeof(s->path), (void *)upath);
	if (n <= 0) {
		/* Not paged in yet (or a bad pointer: the open fails too). */
		stat_inc(WARDEN_STAT_READ_FAULT);
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
	return open_enter(ctx->args[0], ctx->args[1], ctx->args[2], ctx->args[3], 0);
}

SEC("tp/syscalls/sys_enter_openat2")
int warden_openat2_enter(struct trace_event_raw_sys_enter *ctx)
{
	/* openat2(dfd, filename, how, usize) */
	struct open_how_ how = {};

	if (!current_session())
		return 0; /* the common case, before reading anything */
	if (ctx->args[3] < sizeof(__u64) * 2 ||
	    bpf_probe_read_user(&how, sizeof(__u64) * 2, (void *)ctx->args[2]))
		stat_inc(WARDEN_STAT_READ_FAULT); /* reported with flags 0; the kernel fails it too */
	return open_enter(ctx->args[0], ctx->args[1], how.flags, how.mode, 1);
}

static __always_inline int open_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct warden_rec_file_open *r;
	struct open_stash *s;

	s = bpf_task_storage_get(&open_inflight, bpf_get_current_task_btf(), 0, 0);
	if (!s || !s->active)
		return 0;
	r = rb_reserve(sizeof(*r), WARDEN_REC_FILE_OPEN);
	if (!r)
		goto out;
	hdr_init(&r->hdr, WARDEN_REC_FILE_OPEN, sizeof(*r));
	r->hdr.flags |= s->rec_flags;
	task_fill_current(&r->task);
	r->dirfd = s->dirfd;
	r->flags = s->flags;
	r->mode = s->mode;
	r->ret = ctx->ret;
	r->session = s->session;
	r->path_len = s->path_len;
	r->openat2 = s->openat2;
	__builtin_memset(r->_pad0, 0, sizeof(r->_pad0));
	if (bpf_probe_read_kernel(r->path, sizeof(r->path), s->path))
		r->path[0] = 0;
	r->path[sizeof(r->path) - 1] = 0;
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

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/*
 * Process lifecycle: fork, exec and exit from the sched tracepoints.
 * sched_process_exec is where in-kernel kill of a forbidden exec will sit:
 * it runs in the new image before its first user instruction.
 */
#include "common.bpf.h"
#include "path.bpf.h"
#include "session.bpf.h"

/*
 * Threads are not processes: only report forks that create a thread group.
 * tp_btf: the tasks are BTF pointers, read with plain loads the JIT
 * inlines (as task_fill() does), not a helper call a field. The child's
 * own credentials and cgroup: a clone3(CLONE_INTO_CGROUP) child starts in
 * another cgroup than its parent's.
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(warden_fork, struct task_struct *parent, struct task_struct *child)
{
	struct warden_rec_fork *r;

	/* parent is the current task: forks wardend makes are not reported */
	if (!parent || !child || task_is_self(parent) || child->pid != child->tgid)
		return 0;
	r = rb_reserve(sizeof(*r), WARDEN_REC_FORK);
	if (!r)
		return 0;
	hdr_init(&r->hdr, WARDEN_REC_FORK, sizeof(*r));
	task_fill(&r->task, child); /* child leads its new group */
	r->parent_start_time = parent->group_leader->start_boottime;
	rb_submit(r);
	return 0;
}

/*
 * How many names agent_names holds, written by userspace as it fills the map
 * (sensor_set_agent_names): without --agent names an exec looks nothing up.
 */
__u32 warden_agent_names_held = 0;

/*
 * A program named with --agent: make the process a CANDIDATE now, unless it
 * is in a session already (an agent started by an agent: userspace marks it
 * nested). Userspace checks the whole pattern when it reads the exec, and
 * sets the session, or NONE for a name that only shared the first 15 bytes.
 */
static __always_inline bool mark_named_agent(struct task_struct *t)
{
	struct warden_session_member *m;
	struct warden_comm_key k;

	if (!warden_agent_names_held)
		return false;
	/* The new program's comm, NUL-padded by the kernel as userspace pads the keys. */
	__builtin_memcpy(k.comm, t->comm, sizeof(k.comm));
	if (!bpf_map_lookup_elem(&agent_names, &k))
		return false;
	m = member_get(t, BPF_LOCAL_STORAGE_GET_F_CREATE); /* a new entry is zeroed: in none */
	if (!m) {
		stat_inc(WARDEN_STAT_SESSION_INHERIT_FAIL);
		return false;
	}
	if (m->session && m->session != WARDEN_SESSION_NONE)
		return false;
	m->session = WARDEN_SESSION_CANDIDATE;
	m->start_time = t->start_boottime;
	return true;
}

/*
 * The exec ran on a thread other than the leader, which the kernel freed
 * with its entry: take over the entry it handed over as it exited.
 */
static __always_inline void member_take_over(struct task_struct *t)
{
	struct warden_session_member *h, *m;
	__u32 tgid = t->tgid;

	h = bpf_map_lookup_elem(&session_handover, &tgid);
	if (!h)
		return;
	if (h->start_time == t->start_boottime &&
	    (m = member_get(t, BPF_LOCAL_STORAGE_GET_F_CREATE)))
		*m = *h;
	else if (h->start_time == t->start_boottime)
		stat_inc(WARDEN_STAT_SESSION_INHERIT_FAIL);
	bpf_map_delete_elem(&session_handover, &tgid);
}

SEC("tp/sched/sched_process_exec")
int warden_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	/* BTF-typed: its fields are plain loads the JIT inlines, not a helper call each. */
	struct task_struct *t = bpf_get_current_task_btf();
	struct mm_struct *mm = t->mm;
	struct warden_rec_exec *r = scratch_get();
	struct warden_session_member *m;
	unsigned long arg_start, arg_end;
	__u32 fname_off;
	__u64 n;
	struct warden_file_key fk;
	struct file *exe;
	__u32 size;
	long len;

	if (!r || task_is_self(t))
		return 0;
	hdr_init(&r->hdr, WARDEN_REC_EXEC, 0);
	task_fill(&r->task, t);
	r->old_pid = ctx->old_pid;
	if ((__u32)ctx->old_pid != r->task.pid)
		member_take_over(t);
	if (mark_named_agent(t))
		r->hdr.flags |= WARDEN_F_AGENT_NAME;
	/*
	 * Where a session's tool runs (the directory an `rm -rf .` empties):
	 * for members only, so every other exec on the host pays one load.
	 */
	m = member_get(t, 0);
	if (m && m->session && m->session != WARDEN_SESSION_NONE) {
		r->cwd_resolved =
			path_resolve(t, t->fs->pwd.dentry, t->fs->pwd.mnt, r->cwd, &r->cwd_len);
	} else {
		r->cwd_resolved = WARDEN_RESOLVED_NONE;
		r->cwd_len = 0;
		r->cwd[0] = 0;
	}
	r->_pad0 = 0;

	fname_off = ctx->__data_loc_filename & 0xffff;
	len = bpf_probe_read_kernel_str(r->filename, sizeof(r->filename), (void *)ctx + fname_off);
	if (len < 0) {
		stat_inc(WARDEN_STAT_READ_FAULT);
		r->hdr.flags |= WARDEN_F_READ_FAULT;
		len = 1;
		r->filename[0] = 0;
	}
	r->filename_len = len - 1;

	exe = mm->exe_file;
	r->exe_ino = exe->f_inode->i_ino;
	r->exe_dev = exe->f_inode->i_sb->s_dev;

	/* argv as the kernel copied it onto the new stack: NUL-separated. */
	arg_start = mm->arg_start;
	arg_end = mm->arg_end;
	n = arg_end > arg_start ? arg_end - arg_start : 0;
	r->args_total = n;
	if (n > WARDEN_ARGS_MAX) {
		n = WARDEN_ARGS_MAX;
		r->hdr.flags |= WARDEN_F_TRUNCATED;
	}
	barrier_var(n);
	if (n > WARDEN_ARGS_MAX)
		return 0;
	if (n && bpf_probe_read_user(r->args, n, (void *)arg_start)) {
		stat_inc(WARDEN_STAT_READ_FAULT);
		r->hdr.flags |= WARDEN_F_READ_FAULT;
		n = 0;
	}
	r->args_len = n;
	size = __builtin_offsetof(struct warden_rec_exec, args) + n;
	r->hdr.size = size;
	fk.dev = r->exe_dev;
	fk.ino = r->exe_ino;
	/*
	 * A program never inspected may export SSL_* (Node.js): wake userspace
	 * now so its probes are in place before its first TLS write. Known
	 * programs (every later exec of them) keep the batched wakeup.
	 */
	if (!warden_probe_files || bpf_map_lookup_elem(&checked_files, &fk))
		rb_output(r, size, WARDEN_REC_EXEC);
	else
		rb_output_now(r, size, WARDEN_REC_EXEC);
	return 0;
}

/* Report a process once, when its last thread exits. */
SEC("tp/sched/sched_process_exit")
int warden_exit(struct trace_event_raw_sched_process_exit *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct warden_rec_exit *r;
	int code;

	if (task_is_self(t) || !exit_group_dead(ctx, t))
		return 0;
	r = rb_reserve(sizeof(*r), WARDEN_REC_EXIT);
	if (!r)
		return 0;
	hdr_init(&r->hdr, WARDEN_REC_EXIT, sizeof(*r));
	task_fill(&r->task, t);
	code = t->exit_code;
	if (t->signal->flags & 0x00000004 /* SIGNAL_GROUP_EXIT */)
		code = t->signal->group_exit_code;
	r->exit_code = code;
	r->_pad0 = 0;
	rb_submit(r);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

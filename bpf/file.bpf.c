// SPDX-License-Identifier: GPL-2.0
/*
 * Changes a session member makes to the file tree: unlink, rmdir, rename,
 * mkdir, link, symlink, chmod. What an agent's tool destroys or plants
 * (an rm -rf of a project, a dropped ~/.ssh/authorized_keys, a script made
 * executable) is as much its doing as what it opens, and a tool that does
 * it through its own syscalls, not by running rm or mv, shows no exec.
 *
 * One program at each syscall's exit, with its result: the arguments are
 * still in the caller's registers there (as connect()'s are), and the paths
 * in its memory, which the kernel read at entry, so paged in. A process in
 * no session leaves after a look at its leader's task storage. Where the
 * architecture has the old syscalls (x86-64's unlink, rename, mkdir...,
 * which glibc's unlink(), rename() and mkdir() still call there), they are
 * hooked too.
 */
#include "common.bpf.h"
#include "path.bpf.h"
#include "session.bpf.h"

#define AT_REMOVEDIR_ 0x200

/*
 * A path from the caller's memory into dst (a path array of r); its length.
 * trunc, fault: r's flags for that path.
 */
static __always_inline __u16 change_path(struct warden_rec_file_change *r, char *dst, __u64 upath,
					 __u16 trunc, __u16 fault)
{
	long n = bpf_probe_read_user_str(dst, WARDEN_OPEN_PATH_MAX, (void *)upath);

	if (n <= 0) {
		stat_inc(WARDEN_STAT_READ_FAULT);
		r->hdr.flags |= fault;
		dst[0] = 0;
		return 0;
	}
	if (n == WARDEN_OPEN_PATH_MAX)
		r->hdr.flags |= trunc;
	return n - 1;
}

/*
 * The record of a change by a member of session, its syscall's return in
 * ctx. upath2 0: the change names one path. A relative path also gives the
 * directory it is relative to (the file may be gone, or never have been).
 */
static __always_inline int change_emit(struct trace_event_raw_sys_exit *ctx, __u64 session, __u8 op,
				       __s32 dfd, __u64 upath, __s32 dfd2, __u64 upath2,
				       __u32 flags, __u32 mode)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct warden_rec_file_change *r;

	r = rb_reserve(sizeof(*r), WARDEN_REC_FILE_CHANGE);
	if (!r)
		return 0;
	hdr_init(&r->hdr, WARDEN_REC_FILE_CHANGE, sizeof(*r));
	task_fill(&r->task, t);
	r->session = session;
	r->op = op;
	r->dfd = dfd;
	r->dfd2 = dfd2;
	r->flags = flags;
	r->mode = mode;
	r->ret = ctx->ret;
	r->_pad0 = 0;
	r->path_len = change_path(r, r->path, upath, WARDEN_F_TRUNCATED, WARDEN_F_READ_FAULT);
	if (upath2) {
		r->path2_len =
			change_path(r, r->path2, upath2, WARDEN_F_TRUNCATED2, WARDEN_F_READ_FAULT2);
	} else {
		r->path2_len = 0;
		r->path2[0] = 0;
	}
	r->resolved = relative_path_dir(t, dfd, r->path, r->resolved_path, &r->resolved_len);
	rb_submit(r);
	return 0;
}

/* The syscall's arguments, for a member only: everyone else has left before. */
static __always_inline struct pt_regs *caller_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

#define ARG(regs, n) PT_REGS_PARM##n##_SYSCALL(regs)

SEC("tp/syscalls/sys_exit_unlinkat")
int warden_unlinkat_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 session = current_session();
	struct pt_regs *regs;
	__u32 flags;

	if (!session)
		return 0;
	regs = caller_regs();
	flags = ARG(regs, 3);
	return change_emit(ctx, session,
			   flags & AT_REMOVEDIR_ ? WARDEN_FCHANGE_RMDIR : WARDEN_FCHANGE_UNLINK,
			   ARG(regs, 1), ARG(regs, 2), 0, 0, flags, 0);
}

SEC("tp/syscalls/sys_exit_renameat2")
int warden_renameat2_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 session = current_session();
	struct pt_regs *regs;

	if (!session)
		return 0;
	regs = caller_regs();
	return change_emit(ctx, session, WARDEN_FCHANGE_RENAME, ARG(regs, 1), ARG(regs, 2),
			   ARG(regs, 3), ARG(regs, 4), ARG(regs, 5), 0);
}

SEC("tp/syscalls/sys_exit_renameat")
int warden_renameat_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 session = current_session();
	struct pt_regs *regs;

	if (!session)
		return 0;
	regs = caller_regs();
	return change_emit(ctx, session, WARDEN_FCHANGE_RENAME, ARG(regs, 1), ARG(regs, 2),
			   ARG(regs, 3), ARG(regs, 4), 0, 0);
}

SEC("tp/syscalls/sys_exit_mkdirat")
int warden_mkdirat_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 session = current_session();
	struct pt_regs *regs;

	if (!session)
		return 0;
	regs = caller_regs();
	return change_emit(ctx, session, WARDEN_FCHANGE_MKDIR, ARG(regs, 1), ARG(regs, 2), 0, 0, 0,
			   ARG(regs, 3));
}

SEC("tp/syscalls/sys_exit_linkat")
int warden_linkat_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 session = current_session();
	struct pt_regs *regs;

	if (!session)
		return 0;
	regs = caller_regs();
	return change_emit(ctx, session, WARDEN_FCHANGE_LINK, ARG(regs, 1), ARG(regs, 2),
			   ARG(regs, 3), ARG(regs, 4), ARG(regs, 5), 0);
}

/* symlinkat(target, newdfd, linkpath): the link made is the path; its target, path2. */
SEC("tp/syscalls/sys_exit_symlinkat")
int warden_symlinkat_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 session = current_session();
	struct pt_regs *regs;

	if (!session)
		return 0;
	regs = caller_regs();
	return change_emit(ctx, session, WARDEN_FCHANGE_SYMLINK, ARG(regs, 2), ARG(regs, 3), 0,
			   ARG(regs, 1), 0, 0);
}

SEC("tp/syscalls/sys_exit_fchmodat")
int warden_fchmodat_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 session = current_session();
	struct pt_regs *regs;

	if (!session)
		return 0;
	regs = caller_regs();
	return change_emit(ctx, session, WARDEN_FCHANGE_CHMOD, ARG(regs, 1), ARG(regs, 2), 0, 0, 0,
			   ARG(regs, 3));
}

#if defined(__TARGET_ARCH_x86)
/* The old syscalls: relative to the working directory. */

SEC("tp/syscalls/sys_exit_unlink")
int warden_unlink_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 session = current_session();

	if (!session)
		return 0;
	return change_emit(ctx, session, WARDEN_FCHANGE_UNLINK, AT_FDCWD_, ARG(caller_regs(), 1), 0,
			   0, 0, 0);
}

SEC("tp/syscalls/sys_exit_rmdir")
int warden_rmdir_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 session = current_session();

	if (!session)
		return 0;
	return change_emit(ctx, session, WARDEN_FCHANGE_RMDIR, AT_FDCWD_, ARG(caller_regs(), 1), 0,
			   0, AT_REMOVEDIR_, 0);
}

SEC("tp/syscalls/sys_exit_rename")
int warden_rename_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 session = current_session();
	struct pt_regs *regs;

	if (!session)
		return 0;
	regs = caller_regs();
	return change_emit(ctx, session, WARDEN_FCHANGE_RENAME, AT_FDCWD_, ARG(regs, 1), AT_FDCWD_,
			   ARG(regs, 2), 0, 0);
}

SEC("tp/syscalls/sys_exit_mkdir")
int warden_mkdir_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 session = current_session();
	struct pt_regs *regs;

	if (!session)
		return 0;
	regs = caller_regs();
	return change_emit(ctx, session, WARDEN_FCHANGE_MKDIR, AT_FDCWD_, ARG(regs, 1), 0, 0, 0,
			   ARG(regs, 2));
}

SEC("tp/syscalls/sys_exit_link")
int warden_link_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 session = current_session();
	struct pt_regs *regs;

	if (!session)
		return 0;
	regs = caller_regs();
	return change_emit(ctx, session, WARDEN_FCHANGE_LINK, AT_FDCWD_, ARG(regs, 1), AT_FDCWD_,
			   ARG(regs, 2), 0, 0);
}

SEC("tp/syscalls/sys_exit_symlink")
int warden_symlink_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 session = current_session();
	struct pt_regs *regs;

	if (!session)
		return 0;
	regs = caller_regs();
	return change_emit(ctx, session, WARDEN_FCHANGE_SYMLINK, AT_FDCWD_, ARG(regs, 2), 0,
			   ARG(regs, 1), 0, 0);
}

SEC("tp/syscalls/sys_exit_chmod")
int warden_chmod_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 session = current_session();
	struct pt_regs *regs;

	if (!session)
		return 0;
	regs = caller_regs();
	return change_emit(ctx, session, WARDEN_FCHANGE_CHMOD, AT_FDCWD_, ARG(regs, 1), 0, 0, 0,
			   ARG(regs, 2));
}
#endif

char LICENSE[] SEC("license") = "GPL";

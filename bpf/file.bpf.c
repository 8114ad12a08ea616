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
 * The record of a change by t, a member of session, its syscall's return
 * in ctx. upath2 0: the change names one path. A relative path also gives the
 * directory it is relative to (the file may be gone, or never have been).
 */
static __always_inline int change_emit(struct trace_event_raw_sys_exit *ctx, struct task_struct *t,
				       __u64 session, __u8 op, __s32 dfd, __u64 upath, __s32 dfd2,
				       __u64 upath2, __u32 flags, __u32 mode)
{
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
	r->path_len = path_str_read(&r->hdr, r->path, (void *)upath, true, WARDEN_F_TRUNCATED,
				    WARDEN_F_READ_FAULT);
	if (upath2) {
		r->path2_len = path_str_read(&r->hdr, r->path2, (void *)upath2, true,
					     WARDEN_F_TRUNCATED2, WARDEN_F_READ_FAULT2);
	} else {
		r->path2_len = 0;
		r->path2[0] = 0;
	}
	r->resolved = relative_path_dir(t, dfd, r->path, r->resolved_path, &r->resolved_len);
	rb_submit(r);
	return 0;
}

/*
 * The program at sys_exit_<sys>: for a member, the record of op with the
 * arguments given as expressions of regs, the caller's registers (fetched
 * once the caller is known to be one: everyone else has left before).
 */
#define FILE_CHANGE_PROG(sys, op, dfd, upath, dfd2, upath2, flags, mode)                        \
	SEC("tp/syscalls/sys_exit_" #sys)                                                       \
	int warden_##sys##_exit(struct trace_event_raw_sys_exit *ctx)                           \
	{                                                                                       \
		__u64 session = current_session();                                              \
		struct task_struct *t;                                                          \
		struct pt_regs *regs;                                                           \
                                                                                                \
		if (!session)                                                                   \
			return 0;                                                               \
		t = bpf_get_current_task_btf();                                                 \
		regs = (struct pt_regs *)bpf_task_pt_regs(t);                                   \
		return change_emit(ctx, t, session, op, dfd, upath, dfd2, upath2, flags, mode); \
	}

#define ARG(n) PT_REGS_PARM##n##_SYSCALL(regs)

/* unlinkat(dfd, path, flags): AT_REMOVEDIR makes it an rmdir. */
FILE_CHANGE_PROG(unlinkat, ARG(3) & AT_REMOVEDIR_ ? WARDEN_FCHANGE_RMDIR : WARDEN_FCHANGE_UNLINK,
		 ARG(1), ARG(2), 0, 0, ARG(3), 0)
/* renameat2(olddfd, old, newdfd, new, flags), renameat() without flags */
FILE_CHANGE_PROG(renameat2, WARDEN_FCHANGE_RENAME, ARG(1), ARG(2), ARG(3), ARG(4), ARG(5), 0)
FILE_CHANGE_PROG(renameat, WARDEN_FCHANGE_RENAME, ARG(1), ARG(2), ARG(3), ARG(4), 0, 0)
/* mkdirat(dfd, path, mode) */
FILE_CHANGE_PROG(mkdirat, WARDEN_FCHANGE_MKDIR, ARG(1), ARG(2), 0, 0, 0, ARG(3))
/* linkat(olddfd, old, newdfd, new, flags) */
FILE_CHANGE_PROG(linkat, WARDEN_FCHANGE_LINK, ARG(1), ARG(2), ARG(3), ARG(4), ARG(5), 0)
/* symlinkat(target, newdfd, linkpath): the link made is the path; its target, path2. */
FILE_CHANGE_PROG(symlinkat, WARDEN_FCHANGE_SYMLINK, ARG(2), ARG(3), 0, ARG(1), 0, 0)
/* fchmodat(dfd, path, mode) */
FILE_CHANGE_PROG(fchmodat, WARDEN_FCHANGE_CHMOD, ARG(1), ARG(2), 0, 0, 0, ARG(3))

#if defined(__TARGET_ARCH_x86)
/* The old syscalls, relative to the working directory. */
FILE_CHANGE_PROG(unlink, WARDEN_FCHANGE_UNLINK, AT_FDCWD_, ARG(1), 0, 0, 0, 0)
FILE_CHANGE_PROG(rmdir, WARDEN_FCHANGE_RMDIR, AT_FDCWD_, ARG(1), 0, 0, AT_REMOVEDIR_, 0)
FILE_CHANGE_PROG(rename, WARDEN_FCHANGE_RENAME, AT_FDCWD_, ARG(1), AT_FDCWD_, ARG(2), 0, 0)
FILE_CHANGE_PROG(mkdir, WARDEN_FCHANGE_MKDIR, AT_FDCWD_, ARG(1), 0, 0, 0, ARG(2))
FILE_CHANGE_PROG(link, WARDEN_FCHANGE_LINK, AT_FDCWD_, ARG(1), AT_FDCWD_, ARG(2), 0, 0)
FILE_CHANGE_PROG(symlink, WARDEN_FCHANGE_SYMLINK, AT_FDCWD_, ARG(2), 0, ARG(1), 0, 0)
FILE_CHANGE_PROG(chmod, WARDEN_FCHANGE_CHMOD, AT_FDCWD_, ARG(1), 0, 0, 0, ARG(2))
#endif

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/*
 * Changes a session member makes to the file tree: unlink, rmdir, rename,
 * mkdir, link, symlink, chmod, chown, truncate. What an agent's tool
 * destroys or plants (an rm -rf of a project, a dropped
 * ~/.ssh/authorized_keys, a script made executable, a binary given to root
 * and made setuid, a log cut to nothing by truncate -s 0) is as much its
 * doing as what it opens, and a tool that does it through its own
 * syscalls, not by running rm or mv, shows no exec.
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
#define AT_SYMLINK_NOFOLLOW_ 0x100
#define AT_EMPTY_PATH_ 0x1000
#define NO_ID 0xffffffffu /* chown's "unchanged", and every other op's uid and gid */

/*
 * The record of a change by t, a member of session, its syscall's return
 * in ctx. upath2 0: the change names one path; upath 0: none (fchmod,
 * fchown). A relative path also gives the directory it is relative to (the
 * file may be gone, or never have been); AT_EMPTY_PATH with no path, the
 * path of dfd's own file, which is there: the change was made to it.
 */
static __always_inline int change_emit(struct trace_event_raw_sys_exit *ctx, struct task_struct *t,
				       __u64 session, __u8 op, __s32 dfd, __u64 upath, __s32 dfd2,
				       __u64 upath2, __u32 flags, __u32 mode, __u32 uid, __u32 gid,
				       __u64 length)
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
	r->uid = uid;
	r->gid = gid;
	r->_pad0 = 0;
	r->resolved2 = WARDEN_RESOLVED_NONE;
	r->resolved2_len = 0;
	r->resolved_path2[0] = 0;
	r->length = length;
	if (upath) {
		r->path_len = path_str_read(&r->hdr, r->path, (void *)upath, true,
					    WARDEN_F_TRUNCATED, WARDEN_F_READ_FAULT);
	} else {
		r->path_len = 0;
		r->path[0] = 0;
	}
	if (upath2) {
		r->path2_len = path_str_read(&r->hdr, r->path2, (void *)upath2, true,
					     WARDEN_F_TRUNCATED2, WARDEN_F_READ_FAULT2);
	} else {
		r->path2_len = 0;
		r->path2[0] = 0;
	}
	if ((flags & AT_EMPTY_PATH_) && !r->path[0] && !(r->hdr.flags & WARDEN_F_READ_FAULT))
		r->resolved = dirfd_path_resolve(t, dfd, r->resolved_path, &r->resolved_len);
	else
		r->resolved =
			relative_path_dir(t, dfd, r->path, r->resolved_path, &r->resolved_len);
	/* A new path relative to a directory the first walk is not of (mv a dir/). */
	if ((op == WARDEN_FCHANGE_RENAME || op == WARDEN_FCHANGE_LINK) && upath2 &&
	    (dfd2 != dfd || r->resolved == WARDEN_RESOLVED_NONE))
		r->resolved2 =
			relative_path_dir(t, dfd2, r->path2, r->resolved_path2, &r->resolved2_len);
	rb_submit(r);
	return 0;
}

/*
 * The program at sys_exit_<sys>: for a member, the record of op with
 * change_emit()'s arguments from op on given as expressions of regs, the
 * caller's registers (fetched once the caller is known to be one: everyone
 * else has left before).
 */
#define FILE_CHANGE_PROG(sys, ...)                                    \
	SEC("tp/syscalls/sys_exit_" #sys)                             \
	int warden_##sys##_exit(struct trace_event_raw_sys_exit *ctx) \
	{                                                             \
		__u64 session = current_session();                    \
		struct task_struct *t;                                \
		struct pt_regs *regs;                                 \
                                                                      \
		if (!session)                                         \
			return 0;                                     \
		t = bpf_get_current_task_btf();                       \
		regs = (struct pt_regs *)bpf_task_pt_regs(t);         \
		return change_emit(ctx, t, session, __VA_ARGS__);     \
	}

#define ARG(n) PT_REGS_PARM##n##_SYSCALL(regs)
/* The ops that set no owner and no length. */
#define FILE_CHANGE(sys, op, dfd, upath, dfd2, upath2, flags, mode) \
	FILE_CHANGE_PROG(sys, op, dfd, upath, dfd2, upath2, flags, mode, NO_ID, NO_ID, 0)
/* chown's: one path, an owner and a group. */
#define FILE_CHOWN(sys, dfd, upath, flags, uid, gid) \
	FILE_CHANGE_PROG(sys, WARDEN_FCHANGE_CHOWN, dfd, upath, 0, 0, flags, 0, uid, gid, 0)

/* unlinkat(dfd, path, flags): AT_REMOVEDIR makes it an rmdir. */
FILE_CHANGE(unlinkat, ARG(3) & AT_REMOVEDIR_ ? WARDEN_FCHANGE_RMDIR : WARDEN_FCHANGE_UNLINK, ARG(1),
	    ARG(2), 0, 0, ARG(3), 0)
/* renameat2(olddfd, old, newdfd, new, flags), renameat() without flags */
FILE_CHANGE(renameat2, WARDEN_FCHANGE_RENAME, ARG(1), ARG(2), ARG(3), ARG(4), ARG(5), 0)
FILE_CHANGE(renameat, WARDEN_FCHANGE_RENAME, ARG(1), ARG(2), ARG(3), ARG(4), 0, 0)
/* mkdirat(dfd, path, mode) */
FILE_CHANGE(mkdirat, WARDEN_FCHANGE_MKDIR, ARG(1), ARG(2), 0, 0, 0, ARG(3))
/* linkat(olddfd, old, newdfd, new, flags) */
FILE_CHANGE(linkat, WARDEN_FCHANGE_LINK, ARG(1), ARG(2), ARG(3), ARG(4), ARG(5), 0)
/* symlinkat(target, newdfd, linkpath): the link made is the path; its target, path2. */
FILE_CHANGE(symlinkat, WARDEN_FCHANGE_SYMLINK, ARG(2), ARG(3), 0, ARG(1), 0, 0)
/* fchmodat(dfd, path, mode); fchmodat2(dfd, path, mode, flags), where the kernel has it */
FILE_CHANGE(fchmodat, WARDEN_FCHANGE_CHMOD, ARG(1), ARG(2), 0, 0, 0, ARG(3))
FILE_CHANGE(fchmodat2, WARDEN_FCHANGE_CHMOD, ARG(1), ARG(2), 0, 0, ARG(4), ARG(3))
/* fchmod(fd, mode): fchmodat2(fd, "", mode, AT_EMPTY_PATH) */
FILE_CHANGE(fchmod, WARDEN_FCHANGE_CHMOD, ARG(1), 0, 0, 0, AT_EMPTY_PATH_, ARG(2))
/* fchownat(dfd, path, uid, gid, flags); fchown(fd, uid, gid), as fchmod */
FILE_CHOWN(fchownat, ARG(1), ARG(2), ARG(5), ARG(3), ARG(4))
FILE_CHOWN(fchown, ARG(1), 0, AT_EMPTY_PATH_, ARG(2), ARG(3))
/* truncate(path, length); ftruncate(fd, length), as fchmod (what truncate(1) calls) */
FILE_CHANGE_PROG(truncate, WARDEN_FCHANGE_TRUNCATE, AT_FDCWD_, ARG(1), 0, 0, 0, 0, NO_ID, NO_ID,
		 ARG(2))
FILE_CHANGE_PROG(ftruncate, WARDEN_FCHANGE_TRUNCATE, ARG(1), 0, 0, 0, AT_EMPTY_PATH_, 0, NO_ID,
		 NO_ID, ARG(2))

#if defined(__TARGET_ARCH_x86)
/* The old syscalls, relative to the working directory. */
FILE_CHANGE(unlink, WARDEN_FCHANGE_UNLINK, AT_FDCWD_, ARG(1), 0, 0, 0, 0)
FILE_CHANGE(rmdir, WARDEN_FCHANGE_RMDIR, AT_FDCWD_, ARG(1), 0, 0, AT_REMOVEDIR_, 0)
FILE_CHANGE(rename, WARDEN_FCHANGE_RENAME, AT_FDCWD_, ARG(1), AT_FDCWD_, ARG(2), 0, 0)
FILE_CHANGE(mkdir, WARDEN_FCHANGE_MKDIR, AT_FDCWD_, ARG(1), 0, 0, 0, ARG(2))
FILE_CHANGE(link, WARDEN_FCHANGE_LINK, AT_FDCWD_, ARG(1), AT_FDCWD_, ARG(2), 0, 0)
FILE_CHANGE(symlink, WARDEN_FCHANGE_SYMLINK, AT_FDCWD_, ARG(2), 0, ARG(1), 0, 0)
FILE_CHANGE(chmod, WARDEN_FCHANGE_CHMOD, AT_FDCWD_, ARG(1), 0, 0, 0, ARG(2))
/* chown(path, uid, gid); lchown() does not follow a last symlink */
FILE_CHOWN(chown, AT_FDCWD_, ARG(1), 0, ARG(2), ARG(3))
FILE_CHOWN(lchown, AT_FDCWD_, ARG(1), AT_SYMLINK_NOFOLLOW_, ARG(2), ARG(3))
#endif

char LICENSE[] SEC("license") = "GPL";

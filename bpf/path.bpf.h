/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The path of an open file (or a working directory) as its process sees
 * it, from its dentries: what d_path() gives, which BPF programs outside
 * LSM and fentry hooks may not call. Rules about files need it: the path
 * an open passed can be relative (to the working directory or a dirfd),
 * go through symlinks and "..", none of which says which file was opened.
 */
#ifndef WARDEN_PATH_BPF_H
#define WARDEN_PATH_BPF_H

#include "common.bpf.h"
#include "fd.bpf.h"

#define AT_FDCWD_ (-100)

/* Directories and mount points walked at most: deeper paths keep their tail. */
#define PATH_DEPTH_MAX 32
/* Where the NUL ends a path being built from its end towards its start. */
#define PATH_END (WARDEN_OPEN_PATH_MAX - 1)

/*
 * The walk's state, between bpf_loop() steps. In a map value, not on the
 * stack: the verifier tracks a stack's scalars exactly, so each value of
 * pos would be a new state of the callback, which it then walks again and
 * again (past its limit), where a map value's load is any number, once.
 */
struct path_walk {
	struct dentry *d; /* the next component */
	struct vfsmount *mnt; /* and the mount it is in */
	struct dentry *mnt_root; /* mnt's root dentry */
	struct dentry *root_d; /* the process's root */
	struct vfsmount *root_mnt;
	__u64 mnt_off; /* offsetof(struct mount, mnt) */
	__u64 pos; /* where the path built so far starts in path_buf */
	__u8 state; /* enum warden_resolved */
};

/*
 * b is twice the path's size, so that a component of any length written
 * below PATH_END stays inside it for the verifier without a proof of its
 * sum. Per CPU, as the other scratch: a program preempted mid-walk by
 * another open's exit on its CPU could see its path garbled, not overrun.
 */
struct path_buf {
	struct path_walk w;
	char b[2 * WARDEN_OPEN_PATH_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_buf);
} path_scratch SEC(".maps") __weak;

/*
 * One step up: a component's name put before the path built so far, or a
 * crossing from a mount's root to where it is mounted. 1 ends the walk.
 * Run by bpf_loop(), so the verifier checks the body as such, where an
 * open-coded loop had it walk every path through every iteration (past its
 * limit).
 */
static long path_step(__u32 i, void *arg)
{
	struct dentry *d, *parent;
	struct path_walk *w;
	struct vfsmount *mnt;
	struct mount *m, *mp;
	struct path_buf *pb;
	__u32 zero = 0;
	__u64 len, off;
	struct qstr q;

	pb = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!pb)
		return 1;
	w = &pb->w;
	d = w->d; /* copied out: inside BPF_CORE_READ, w-> would be relocated too */
	if (d == w->root_d && w->mnt == w->root_mnt) {
		w->state = WARDEN_RESOLVED_FULL;
		return 1;
	}
	if (d == w->mnt_root) {
		/* The top of a mount: on to where it is mounted, in its parent. */
		m = (void *)w->mnt - w->mnt_off;
		mp = BPF_CORE_READ(m, mnt_parent);
		if (!mp || mp == m) {
			w->state = WARDEN_RESOLVED_FULL; /* the namespace's root */
			return 1;
		}
		w->d = BPF_CORE_READ(m, mnt_mountpoint);
		mnt = (void *)mp + w->mnt_off;
		w->mnt = mnt;
		w->mnt_root = BPF_CORE_READ(mnt, mnt_root);
		return 0;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (!parent || parent == d) {
		w->state = WARDEN_RESOLVED_FULL; /* a filesystem's own root, not mounted */
		return 1;
	}
	if (bpf_core_read(&q, sizeof(q), &d->d_name))
		return 1;
	len = q.len;
	if (len + 1 > w->pos)
		return 1; /* no room: the tail is kept */
	/* The masks are no-ops (pos < PATH_END, len < PATH_END) the verifier needs. */
	off = (w->pos - len) & (WARDEN_OPEN_PATH_MAX - 1);
	len &= WARDEN_OPEN_PATH_MAX - 1;
	if (bpf_probe_read_kernel(&pb->b[off], len, q.name))
		return 1;
	w->pos -= len + 1;
	pb->b[w->pos & (WARDEN_OPEN_PATH_MAX - 1)] = '/';
	w->d = parent;
	return 0;
}

/*
 * The path of (d, mnt) from t's root, NUL-terminated, into out
 * (WARDEN_OPEN_PATH_MAX bytes); its length in *out_len. Returns enum
 * warden_resolved. Walks up d_parent to t's root, crossing from a mount's
 * root to where it is mounted; a path outside t's root (a file passed in
 * from another mount namespace) is given from its namespace's root, as
 * d_path() does. Reads through CO-RE: d and mnt need not be BTF pointers.
 */
static __always_inline __u8 path_resolve(struct task_struct *t, struct dentry *d,
					 struct vfsmount *mnt, char out[WARDEN_OPEN_PATH_MAX],
					 __u16 *out_len)
{
	struct path_buf *pb;
	struct path_walk *w;
	__u32 zero = 0;
	__u64 pos, len;

	*out_len = 0;
	out[0] = 0;
	pb = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!pb || !d || !mnt)
		return WARDEN_RESOLVED_NONE;
	w = &pb->w;
	w->d = d;
	w->mnt = mnt;
	w->mnt_root = BPF_CORE_READ(mnt, mnt_root);
	w->root_d = t->fs->root.dentry; /* t is a BTF pointer: plain loads */
	w->root_mnt = t->fs->root.mnt;
	w->mnt_off = bpf_core_field_offset(struct mount, mnt);
	w->pos = PATH_END;
	/* Until the walk ends at a root, the path is a tail (WARDEN_RESOLVED_CUT). */
	w->state = WARDEN_RESOLVED_CUT;
	pb->b[PATH_END] = 0;
	bpf_loop(PATH_DEPTH_MAX, path_step, NULL, 0);
	pos = w->pos;
	if (pos == PATH_END) {
		if (w->state != WARDEN_RESOLVED_FULL)
			return WARDEN_RESOLVED_NONE; /* not even a name read */
		pos--; /* the root itself */
		pb->b[pos] = '/';
	}
	pos &= WARDEN_OPEN_PATH_MAX - 1; /* < PATH_END here: for the verifier */
	len = PATH_END - pos;
	if (len >= WARDEN_OPEN_PATH_MAX)
		return WARDEN_RESOLVED_NONE;
	if (bpf_probe_read_kernel(out, len + 1, &pb->b[pos]))
		return WARDEN_RESOLVED_NONE;
	*out_len = len;
	return w->state;
}

/* The path of an open file f (from the fd table: read through CO-RE), as path_resolve(). */
static __always_inline __u8 file_path_resolve(struct task_struct *t, struct file *f,
					      char out[WARDEN_OPEN_PATH_MAX], __u16 *out_len)
{
	if (!f) {
		*out_len = 0;
		out[0] = 0;
		return WARDEN_RESOLVED_NONE;
	}
	return path_resolve(t, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt), out,
			    out_len);
}

/*
 * A path string a syscall or request names, into dst (WARDEN_OPEN_PATH_MAX
 * bytes of the record whose header is h), from the caller's memory (user)
 * or the kernel's copy; its length. trunc, fault: h's flags that say the
 * path was cut or could not be read (a record with two paths has two of
 * each), the latter counted too.
 */
static __always_inline __u16 path_str_read(struct warden_rec_hdr *h, char *dst, const void *src,
					   bool user, __u16 trunc, __u16 fault)
{
	long n = user ? bpf_probe_read_user_str(dst, WARDEN_OPEN_PATH_MAX, src) :
			bpf_probe_read_kernel_str(dst, WARDEN_OPEN_PATH_MAX, src);

	if (n <= 0) {
		stat_inc(WARDEN_STAT_READ_FAULT);
		h->flags |= fault;
		dst[0] = 0;
		return 0;
	}
	if (n == WARDEN_OPEN_PATH_MAX)
		h->flags |= trunc;
	return n - 1;
}

/*
 * The path of what dfd names in t, as path_resolve(): t's working directory
 * for AT_FDCWD, else the file open on dfd (a directory, or with
 * AT_EMPTY_PATH the very file a call changes).
 */
static __always_inline __u8 dirfd_path_resolve(struct task_struct *t, __s32 dfd,
					       char out[WARDEN_OPEN_PATH_MAX], __u16 *out_len)
{
	if (dfd == AT_FDCWD_)
		return path_resolve(t, t->fs->pwd.dentry, t->fs->pwd.mnt, out, out_len);
	return file_path_resolve(t, fd_file(t, dfd), out, out_len);
}

/*
 * Where a relative path points when there is no file to walk (an open that
 * failed, a file just removed): the path of the directory it is relative
 * to, dfd's or t's working directory, into out for userspace to join path
 * to. WARDEN_RESOLVED_DIR_FULL or _DIR_CUT; NONE for an absolute path (it
 * says so itself) or an unreadable one (path[0] 0).
 */
static __always_inline __u8 relative_path_dir(struct task_struct *t, __s32 dfd, const char *path,
					      char out[WARDEN_OPEN_PATH_MAX], __u16 *out_len)
{
	__u8 state;

	*out_len = 0;
	out[0] = 0;
	if (path[0] == '/' || path[0] == 0)
		return WARDEN_RESOLVED_NONE;
	state = dirfd_path_resolve(t, dfd, out, out_len);
	if (state == WARDEN_RESOLVED_FULL)
		return WARDEN_RESOLVED_DIR_FULL;
	if (state == WARDEN_RESOLVED_CUT)
		return WARDEN_RESOLVED_DIR_CUT;
	return WARDEN_RESOLVED_NONE;
}

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* The current task's file descriptors. */
#ifndef WARDEN_FD_BPF_H
#define WARDEN_FD_BPF_H

#include "common.bpf.h"

/*
 * The struct file * of the current task's fd; NULL when there is none.
 * BTF-typed down to the fd array: plain loads the JIT inlines (a NULL
 * reads as 0), where BPF_CORE_READ costs a helper call each. The slot
 * itself, at a variable index, takes one.
 */
static __always_inline struct file *fd_file(__s32 fd)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct fdtable *fdt = t->files->fdt;
	struct file **fds, *f = NULL;

	if (fd < 0 || (unsigned int)fd >= fdt->max_fds)
		return NULL;
	fds = fdt->fd;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]))
		return NULL;
	return f;
}

/* The struct sock behind a socket fd; NULL when fd is not a socket. */
static __always_inline struct sock *fd_sock(__s32 fd)
{
	struct file *f = fd_file(fd);
	struct socket *so;

	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT_) != S_IFSOCK_)
		return NULL;
	/* A socket file's private_data is its struct socket. */
	so = BPF_CORE_READ(f, private_data);
	return BPF_CORE_READ(so, sk);
}

#endif

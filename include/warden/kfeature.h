/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the running kernel offers, found by probing its BTF or tracefs,
 * never by its version. Shared by the sensor and the bench's empty-program
 * floor, so both attach to the same hooks.
 */
#ifndef WARDEN_KFEATURE_H
#define WARDEN_KFEATURE_H

/*
 * 1 when the kernel has the sock_send_length and sock_recv_length
 * tracepoints as BTF-typed ones (tp_btf), 0 when not, -errno when its BTF
 * cannot be read.
 */
int kfeature_sock_length_tracepoints(void);

/*
 * Warden's programs on those tracepoints, and the syscall-tracepoint ones
 * they stand in for where the kernel lacks them (NULL-ended names). One
 * set is loaded, never both: the sensor picks, and the bench's floor
 * follows the same lists.
 */
extern const char *const kfeature_sock_io_progs[];
extern const char *const kfeature_syscall_io_progs[];

/*
 * 1 when the kernel has the io_uring_submit_req tracepoint, 0 when not (an
 * io_uring kernel before 6.0 names it otherwise, with other fields), -errno
 * when its BTF cannot be read. kfeature_io_uring_progs: the programs on it.
 */
int kfeature_io_uring_tracepoint(void);
extern const char *const kfeature_io_uring_progs[];

/*
 * 1 when tracefs has the syscall tracepoint name (sys_exit_fchmodat2, from
 * Linux 6.6), else 0: a syscall younger than the kernel has none, and BTF
 * names syscalls by architecture. kfeature_fchmodat2_progs: the programs
 * on the one Warden hooks that may be missing.
 */
int kfeature_syscall_tracepoint(const char *name);
extern const char *const kfeature_fchmodat2_progs[];

#endif

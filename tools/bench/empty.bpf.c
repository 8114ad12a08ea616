// SPDX-License-Identifier: GPL-2.0
/*
 * The floor: empty programs on exactly the hooks Warden uses. What any tool
 * on these hooks pays; `make bench` compares Warden's added cost to it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("raw_tp/sched_process_fork") int empty_fork(void *ctx) { return 0; }
SEC("tp/sched/sched_process_exec") int empty_exec(void *ctx) { return 0; }
SEC("tp/sched/sched_process_exit") int empty_exit(void *ctx) { return 0; }
SEC("tp/syscalls/sys_enter_connect") int empty_connect_enter(void *ctx) { return 0; }
SEC("tp/syscalls/sys_exit_connect") int empty_connect_exit(void *ctx) { return 0; }
SEC("tp/syscalls/sys_enter_write") int empty_sys_write(void *ctx) { return 0; }
SEC("tp/syscalls/sys_enter_read") int empty_sys_read(void *ctx) { return 0; }
SEC("tp/syscalls/sys_enter_sendto") int empty_sys_sendto(void *ctx) { return 0; }
SEC("tp/syscalls/sys_enter_recvfrom") int empty_sys_recvfrom(void *ctx) { return 0; }
SEC("tp/syscalls/sys_enter_mmap") int empty_sys_mmap(void *ctx) { return 0; }
SEC("uprobe") int empty_ssl_entry(void *ctx) { return 0; }
SEC("uretprobe") int empty_ssl_ret(void *ctx) { return 0; }

char LICENSE[] SEC("license") = "GPL";

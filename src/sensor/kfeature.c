// SPDX-License-Identifier: Apache-2.0
/* Kernel feature probes. See kfeature.h. */
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <linux/btf.h>
#include <stdio.h>
#include <unistd.h>

#include "warden/kfeature.h"

const char *const kfeature_sock_io_progs[] = {
	"warden_tls_sock_send",
	"warden_tls_sock_recv",
	"warden_dns_sock_send",
	"warden_dns_sock_recv",
	NULL,
};

const char *const kfeature_syscall_io_progs[] = {
	"warden_sys_write",	    "warden_sys_read",
	"warden_sys_sendto",	    "warden_sys_recvfrom",
	"warden_dns_sendto",	    "warden_dns_recvfrom_enter",
	"warden_dns_recvfrom_exit", "warden_dns_recvmsg_enter",
	"warden_dns_recvmsg_exit",  NULL,
};

const char *const kfeature_io_uring_progs[] = {
	"warden_io_uring_submit",
	"warden_io_uring_complete", /* its accepts come from the submit program */
	NULL,
};

const char *const kfeature_fchmodat2_progs[] = {
	"warden_fchmodat2_exit",
	NULL,
};

/* 1 when the kernel's BTF has every one of names (NULL-ended) as a type of kind, else 0; -errno. */
static int vmlinux_has_types(const char *const *names, int kind)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int r = 1;

	if (!btf)
		return errno ? -errno : -ENOENT;
	for (unsigned int i = 0; names[i]; i++) {
		if (btf__find_by_name_kind(btf, names[i], kind) < 0) {
			r = 0;
			break;
		}
	}
	btf__free(btf);
	return r;
}

int kfeature_io_uring_tracepoint(void)
{
	/* The tracepoint's record type: there while the tracepoint is (6.0 on). */
	static const char *const names[] = { "trace_event_raw_io_uring_submit_req", NULL };

	return vmlinux_has_types(names, BTF_KIND_STRUCT);
}

int kfeature_sock_length_tracepoints(void)
{
	/* A tp_btf program attaches to the typedef the kernel makes for each tracepoint. */
	static const char *const names[] = { "btf_trace_sock_send_length",
					     "btf_trace_sock_recv_length", NULL };

	return vmlinux_has_types(names, BTF_KIND_TYPEDEF);
}

int kfeature_syscall_tracepoint(const char *name)
{
	/* Where libbpf looks for a tracepoint's id when it attaches, in its order. */
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[PATH_MAX];

	for (unsigned int i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/syscalls/%s", roots[i], name);
		if (access(path, F_OK) == 0)
			return 1;
	}
	return 0;
}

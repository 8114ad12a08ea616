// SPDX-License-Identifier: Apache-2.0
/* Kernel feature probes. See kfeature.h. */
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/btf.h>

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
	NULL,
};

int kfeature_io_uring_tracepoint(void)
{
	/* The tracepoint's record type: there while the tracepoint is (6.0 on). */
	struct btf *btf = btf__load_vmlinux_btf();
	int r;

	if (!btf)
		return errno ? -errno : -ENOENT;
	r = btf__find_by_name_kind(btf, "trace_event_raw_io_uring_submit_req", BTF_KIND_STRUCT) >=
	    0;
	btf__free(btf);
	return r;
}

int kfeature_sock_length_tracepoints(void)
{
	/* A tp_btf program attaches to the typedef the kernel makes for each tracepoint. */
	static const char *const names[] = { "btf_trace_sock_send_length",
					     "btf_trace_sock_recv_length" };
	struct btf *btf = btf__load_vmlinux_btf();
	int r = 1;

	if (!btf)
		return errno ? -errno : -ENOENT;
	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (btf__find_by_name_kind(btf, names[i], BTF_KIND_TYPEDEF) < 0) {
			r = 0;
			break;
		}
	}
	btf__free(btf);
	return r;
}

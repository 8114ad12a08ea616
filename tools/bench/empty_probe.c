// SPDX-License-Identifier: Apache-2.0
/*
 * Attach the empty programs (build/bench/empty.bpf.c, generated from
 * Warden's object by gen_empty.py: one for each of Warden's programs) to
 * Warden's hooks: every tracepoint, and SSL_{write,read}{,_ex} entry and
 * return in each library given on the command line, as wardend attaches
 * them. Of the two sets of socket I/O hooks (TLS and DNS) it attaches the
 * one wardend's --io-hooks auto picks on this kernel. Prints "ready" and waits for
 * SIGINT/SIGTERM.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "empty.skel.h"
#include "warden/kfeature.h"

static int quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l, (void)f, (void)ap;
	return 0;
}

/* The empty programs of a NULL-ended list of Warden's names, not loaded (as wardend leaves them out). */
static void leave_out(struct bpf_object *obj, const char *const *names)
{
	char name[64];

	for (unsigned int i = 0; names[i]; i++) {
		struct bpf_program *p;

		snprintf(name, sizeof(name), "empty_%s", names[i]);
		p = bpf_object__find_program_by_name(obj, name);
		if (p)
			bpf_program__set_autoload(p, false);
	}
}

int main(int argc, char **argv)
{
	static const char *const funcs[] = { "SSL_write", "SSL_write_ex", "SSL_read", "SSL_read_ex" };
	struct empty_bpf *skel;
	struct bpf_program *entry[4];
	sigset_t set;
	int sig, n = 0, sock_io, io_uring;

	libbpf_set_print(quiet);
	sock_io = kfeature_sock_length_tracepoints();
	io_uring = kfeature_io_uring_tracepoint();
	if (sock_io < 0 || io_uring < 0) {
		fprintf(stderr, "empty_probe: reading the kernel's BTF failed: %s\n",
			strerror(sock_io < 0 ? -sock_io : -io_uring));
		return 1;
	}
	skel = empty_bpf__open();
	if (skel) {
		/* The set wardend leaves out, each program named empty_<its name>. */
		leave_out(skel->obj, sock_io ? kfeature_syscall_io_progs : kfeature_sock_io_progs);
		if (!io_uring)
			leave_out(skel->obj, kfeature_io_uring_progs);
		if (!kfeature_syscall_tracepoint("sys_exit_fchmodat2"))
			leave_out(skel->obj, kfeature_fchmodat2_progs);
		if (empty_bpf__load(skel)) {
			empty_bpf__destroy(skel);
			skel = NULL;
		}
	}
	if (!skel) {
		fprintf(stderr, "empty_probe: load failed: %s\n", strerror(errno));
		return 1;
	}
	entry[0] = skel->progs.empty_warden_ssl_write;
	entry[1] = skel->progs.empty_warden_ssl_write_ex;
	entry[2] = skel->progs.empty_warden_ssl_read;
	entry[3] = skel->progs.empty_warden_ssl_read_ex;
	for (unsigned int f = 0; f < 4; f++)
		bpf_program__set_autoattach(entry[f], false);
	bpf_program__set_autoattach(skel->progs.empty_warden_ssl_ret, false);
	if (empty_bpf__attach(skel)) {
		fprintf(stderr, "empty_probe: attach failed: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		for (unsigned int f = 0; f < 4; f++) {
			LIBBPF_OPTS(bpf_uprobe_opts, o, .func_name = funcs[f]);
			LIBBPF_OPTS(bpf_uprobe_opts, r, .func_name = funcs[f], .retprobe = true);

			if (bpf_program__attach_uprobe_opts(entry[f], -1, argv[i], 0, &o))
				n++;
			if (bpf_program__attach_uprobe_opts(skel->progs.empty_warden_ssl_ret, -1,
							    argv[i], 0, &r))
				n++;
		}
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fprintf(stderr, "empty_probe: ready (%d uprobes)\n", n);
	sigwait(&set, &sig);
	empty_bpf__destroy(skel); /* links are freed with the process */
	return 0;
}

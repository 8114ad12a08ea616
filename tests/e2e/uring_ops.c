// SPDX-License-Identifier: Apache-2.0
/*
 * uring_ops PATH PORT DIR UNIX: what an agent's tool could do to stay out of
 * the openat() and connect() hooks. Through one io_uring (raw syscalls: no
 * liburing), one request at a time, each tagged with its own user_data:
 *   openat PATH; connect a TCP socket to 127.0.0.1:PORT;
 *   mkdirat DIR/d; renameat DIR/d to DIR/e; symlinkat DIR/link -> PATH;
 *   linkat PATH to DIR/hard; unlinkat DIR/link; unlinkat DIR/e (a directory);
 *   connect an AF_UNIX socket to UNIX.
 * Then takes in TCP connections it makes to itself on 127.0.0.1, each
 * through an io_uring accept completed another way: one already waiting
 * (completed at submission), one that arrives after (completed by the
 * poll's task work; a NOP with the same user_data completes meanwhile),
 * one forced to an io-wq worker (IOSQE_ASYNC), and two through one
 * multishot accept; one whose listener is a file registered
 * with the ring (IOSQE_FIXED_FILE), and one whose connection goes into the
 * ring's file table (a direct descriptor: its result is a slot, no fd).
 * Last, one through plain syscalls (net.accept's hooks, not io_uring's):
 * accept4(2).
 * Prints "NAME RES" pairs on one line (the completions' results, the
 * listener's port as "lport", then accept4's) and exits 0 when every
 * request completed, whatever its result.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../tools/uring_ring.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1 /* <linux/fs.h>; glibc has it under _GNU_SOURCE */
#endif

/* What the test looks for in the events: each request's user_data. */
#define USER_DATA_OPEN 0x6f70656eu
#define USER_DATA_CONNECT 0x636f6e6eu
#define USER_DATA_MKDIR 0x6d6b6469u
#define USER_DATA_RENAME 0x72656e61u
#define USER_DATA_SYMLINK 0x73796d6cu
#define USER_DATA_LINK 0x6c696e6bu
#define USER_DATA_UNLINK 0x756e6c6eu
#define USER_DATA_RMDIR 0x726d6469u
#define USER_DATA_UNIX 0x756e6978u
#define USER_DATA_ACCEPT 0x61636370u /* "accp": completed at submission */
#define USER_DATA_ACCEPT_POLL 0x61637074u /* "acpt": its connection came later */
#define USER_DATA_ACCEPT_WQ 0x61637771u /* "acwq": on an io-wq worker */
#define USER_DATA_ACCEPT_MULTI 0x61636d73u /* "acms": multishot */
#define USER_DATA_ACCEPT_FIXED 0x61636678u /* "acfx": the listener a registered file */
#define USER_DATA_ACCEPT_DIRECT 0x61636469u /* "acdi": into the ring's file table */
#ifndef IORING_ACCEPT_MULTISHOT
#define IORING_ACCEPT_MULTISHOT (1U << 0) /* <linux/io_uring.h> of 5.19 on */
#endif

static struct io_uring_sqe path_sqe(__u8 op, const char *path, __u64 user_data)
{
	struct io_uring_sqe sqe;

	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = op;
	sqe.fd = AT_FDCWD;
	sqe.addr = (unsigned long)path;
	sqe.user_data = user_data;
	return sqe;
}

/* A listening socket on 127.0.0.1, its address in *sin; exits on failure. */
static int listener(struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)sin, sizeof(*sin)) < 0 || listen(l, 8) < 0 ||
	    getsockname(l, (struct sockaddr *)sin, &len) < 0) {
		perror("listener");
		exit(1);
	}
	return l;
}

/* A connection to sin, left open (the listener's backlog holds it); exits on failure. */
static void dial(const struct sockaddr_in *sin)
{
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (c < 0 || connect(c, (const struct sockaddr *)sin, sizeof(*sin)) < 0) {
		perror("dial");
		exit(1);
	}
}

static struct io_uring_sqe accept_sqe(int l, __u64 user_data)
{
	struct io_uring_sqe sqe;

	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_ACCEPT;
	sqe.fd = l;
	sqe.accept_flags = SOCK_CLOEXEC;
	sqe.user_data = user_data;
	return sqe;
}

/* The io_uring accepts of the comment at the top, then accept4: prints their results. */
static void accepts(struct ring *r)
{
	struct sockaddr_in sin;
	struct io_uring_sqe sqe;
	int l = listener(&sin), files[2] = { -1, -1 };

	printf(" lport %d", ntohs(sin.sin_port));
	dial(&sin);
	sqe = accept_sqe(l, USER_DATA_ACCEPT);
	printf(" accept %d", ring_run(r, &sqe));
	sqe = accept_sqe(l, USER_DATA_ACCEPT_POLL);
	ring_submit(r, &sqe);
	/* user_data need not be unique: a NOP's completion under the waiting accept's. */
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_NOP;
	sqe.user_data = USER_DATA_ACCEPT_POLL;
	printf(" nop_same_user_data %d", ring_run(r, &sqe));
	dial(&sin);
	printf(" accept_poll %d", ring_wait(r));
	sqe = accept_sqe(l, USER_DATA_ACCEPT_WQ);
	sqe.flags = IOSQE_ASYNC;
	ring_submit(r, &sqe);
	dial(&sin);
	printf(" accept_wq %d", ring_wait(r));
	sqe = accept_sqe(l, USER_DATA_ACCEPT_MULTI);
	sqe.ioprio = IORING_ACCEPT_MULTISHOT;
	ring_submit(r, &sqe);
	dial(&sin);
	printf(" accept_multi %d", ring_wait(r));
	dial(&sin);
	printf(" accept_multi2 %d", ring_wait(r));
	/*
	 * Listeners of their own from here: the multishot accept, still armed,
	 * would take their connections. The ring's file table: slot 0 the
	 * listener, slot 1 free for the direct descriptor.
	 */
	l = listener(&sin);
	files[0] = l;
	if (syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_FILES, files, 2) < 0) {
		perror("io_uring_register");
		exit(1);
	}
	dial(&sin);
	sqe = accept_sqe(0, USER_DATA_ACCEPT_FIXED);
	sqe.flags = IOSQE_FIXED_FILE;
	printf(" accept_fixed %d", ring_run(r, &sqe));
	dial(&sin);
	sqe = accept_sqe(0, USER_DATA_ACCEPT_DIRECT);
	sqe.flags = IOSQE_FIXED_FILE;
	sqe.file_index = 2; /* slot 1, plus one: the result is 0, no fd */
	sqe.accept_flags = 0; /* a slot has no close-on-exec */
	printf(" direct_slot %d", ring_run(r, &sqe));
	l = listener(&sin);
	dial(&sin);
	printf(" accept4 %d\n", accept4(l, NULL, NULL, SOCK_CLOEXEC));
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char d[512], e[512], link[512], hard[512];
	struct io_uring_sqe sqe;
	struct ring r;
	int sock, usock;

	if (argc != 5) {
		fprintf(stderr, "usage: uring_ops PATH PORT DIR UNIX\n");
		return 2;
	}
	snprintf(d, sizeof(d), "%s/d", argv[3]);
	snprintf(e, sizeof(e), "%s/e", argv[3]);
	snprintf(link, sizeof(link), "%s/link", argv[3]);
	snprintf(hard, sizeof(hard), "%s/hard", argv[3]);
	sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	usock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ring_setup(&r) < 0 || sock < 0 || usock < 0) {
		perror("io_uring_setup/socket");
		return 1;
	}

	sqe = path_sqe(IORING_OP_OPENAT, argv[1], USER_DATA_OPEN);
	sqe.open_flags = O_RDONLY | O_CLOEXEC;
	printf("openat %d", ring_run(&r, &sqe));

	sin.sin_port = htons(atoi(argv[2]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_CONNECT;
	sqe.fd = sock;
	sqe.addr = (unsigned long)&sin;
	sqe.off = sizeof(sin); /* addr2: the address's length */
	sqe.user_data = USER_DATA_CONNECT;
	printf(" connect %d", ring_run(&r, &sqe));

	sqe = path_sqe(IORING_OP_MKDIRAT, d, USER_DATA_MKDIR);
	sqe.len = 0750; /* the mode */
	printf(" mkdirat %d", ring_run(&r, &sqe));

	sqe = path_sqe(IORING_OP_RENAMEAT, d, USER_DATA_RENAME);
	sqe.len = AT_FDCWD; /* the new path's directory */
	sqe.addr2 = (unsigned long)e;
	sqe.rename_flags = RENAME_NOREPLACE;
	printf(" renameat %d", ring_run(&r, &sqe));

	/* symlinkat(target, newdirfd, linkpath): addr the target, addr2 the link. */
	sqe = path_sqe(IORING_OP_SYMLINKAT, argv[1], USER_DATA_SYMLINK);
	sqe.addr2 = (unsigned long)link;
	printf(" symlinkat %d", ring_run(&r, &sqe));

	sqe = path_sqe(IORING_OP_LINKAT, argv[1], USER_DATA_LINK);
	sqe.len = AT_FDCWD;
	sqe.addr2 = (unsigned long)hard;
	printf(" linkat %d", ring_run(&r, &sqe));

	sqe = path_sqe(IORING_OP_UNLINKAT, link, USER_DATA_UNLINK);
	printf(" unlinkat %d", ring_run(&r, &sqe));

	sqe = path_sqe(IORING_OP_UNLINKAT, e, USER_DATA_RMDIR);
	sqe.unlink_flags = AT_REMOVEDIR;
	printf(" rmdir %d", ring_run(&r, &sqe));

	strncpy(sun.sun_path, argv[4], sizeof(sun.sun_path) - 1);
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_CONNECT;
	sqe.fd = usock;
	sqe.addr = (unsigned long)&sun;
	sqe.off = sizeof(sun.sun_family) + strlen(sun.sun_path);
	sqe.user_data = USER_DATA_UNIX;
	printf(" unix %d", ring_run(&r, &sqe));
	accepts(&r);
	return 0;
}

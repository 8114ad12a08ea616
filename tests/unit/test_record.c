// SPDX-License-Identifier: Apache-2.0
/* Unit tests for src/sensor/record.c: ring-buffer record -> struct event. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/types.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>

#include "warden/event.h"
#include "warden/events.h"
#include "warden/record.h"

#define MONO_TO_UNIX 1700000000000000000ll
#define KTIME 123456789ull

static void fill_task(struct warden_task *t)
{
	t->pid = 4242;
	t->tid = 4243;
	t->ppid = 1;
	t->uid = 1000;
	t->start_time = 987654321000ull;
	t->cgroup_id = 0x1122334455667788ull;
	/* A full 16-byte comm with no NUL: the event must terminate it. */
	memcpy(t->comm, "0123456789abcdef", WARDEN_COMM_LEN);
}

static void fill_hdr(struct warden_rec_hdr *h, unsigned int type, unsigned int flags, size_t size)
{
	h->type = type;
	h->flags = flags;
	h->size = size;
	h->ktime = KTIME;
}

static void check_task(const struct event *ev)
{
	assert_int_equal(ev->ts, KTIME + MONO_TO_UNIX);
	assert_int_equal(ev->pid, 4242);
	assert_int_equal(ev->tid, 4243);
	assert_int_equal(ev->ppid, 1);
	assert_int_equal(ev->uid, 1000);
	assert_int_equal(ev->pid_start_ns, 987654321000ull);
	assert_int_equal(ev->cgroup_id, 0x1122334455667788ull);
	assert_string_equal(ev->comm, "0123456789abcdef");
	assert_int_equal(ev->comm[16], 0);
	assert_null(ev->exe);
	assert_int_equal(ev->id, 0);
}

/* Decode a copy of rec of exactly size bytes (so an over-read leaves the allocation). */
static int decode_copy(const void *rec, size_t size, struct event *ev, void **copy)
{
	void *p = malloc(size ? size : 1);

	assert_non_null(p);
	memcpy(p, rec, size);
	*copy = p;
	return record_decode(p, size, MONO_TO_UNIX, ev);
}

/* Same, discarding the copy: for error cases. */
static int decode_err(const void *rec, size_t size)
{
	struct event ev;
	void *copy;
	int r;

	memset(&ev, 0xa5, sizeof(ev));
	r = decode_copy(rec, size, &ev, &copy);
	free(copy);
	return r;
}

/* ---- file open ------------------------------------------------------------- */

static void io_uring_record(void **state)
{
	struct warden_rec_io_uring r;
	struct event ev;
	void *copy;

	(void)state;
	assert_int_equal(sizeof(r), 896);
	memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, WARDEN_REC_IO_URING, 0, sizeof(r));
	fill_task(&r.task);
	r.session = 7;
	r.user_data = 0x6f70656e;
	r.opcode = 18; /* IORING_OP_OPENAT */
	r.dfd = -100;
	r.flags = 02000000; /* O_CLOEXEC */
	strcpy(r.path, "/root/.ssh/id_rsa");
	r.path_len = 17;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_int_equal(ev.type, EVENT_IO_URING);
	check_task(&ev);
	assert_int_equal(ev.io_uring.opcode, 18);
	assert_int_equal(ev.io_uring.user_data, 0x6f70656e);
	assert_false(ev.io_uring.sq_thread);
	assert_string_equal(ev.io_uring.path, "/root/.ssh/id_rsa");
	assert_ptr_equal(ev.io_uring.path, (const char *)copy + 128);
	assert_null(ev.io_uring.path2);
	assert_int_equal(ev.io_uring.path_len, 17);
	assert_int_equal(ev.io_uring.dfd, -100);
	assert_int_equal(ev.io_uring.flags, 02000000);
	assert_int_equal(ev.io_uring.remote.family, 0);
	assert_null(ev.io_uring.dir);
	free(copy);

	/* A relative path: its directory, walked; a file's walk is never one here. */
	r.resolved = WARDEN_RESOLVED_DIR_FULL;
	strcpy(r.resolved_path, "/w");
	r.resolved_len = 2;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_string_equal(ev.io_uring.dir, "/w");
	assert_int_equal(ev.io_uring.dir_len, 2);
	assert_false(ev.io_uring.dir_cut || ev.io_uring.dir_of_path2);
	free(copy);
	r.resolved = WARDEN_RESOLVED_FULL;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.resolved = WARDEN_RESOLVED_DIR_CUT;
	r.resolved_len = 1; /* not at its NUL */
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.resolved_len = 2;
	r.resolved_of_path2 = 1; /* an open has no path2 */
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.resolved_of_path2 = 0;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_true(ev.io_uring.dir_cut);
	free(copy);
	r.resolved = WARDEN_RESOLVED_NONE;
	r.resolved_len = 0;
	r.resolved_path[0] = 0;

	/* A connect: the address, and no path whatever the array holds (nor a walk). */
	r.opcode = 16;
	r.remote.family = AF_INET;
	r.resolved = WARDEN_RESOLVED_DIR_FULL;
	r.resolved_len = 2;
	strcpy(r.resolved_path, "/w");
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.resolved = WARDEN_RESOLVED_NONE;
	r.sq_thread = 1;
	r.remote.family = AF_INET;
	r.remote.port = 443;
	memcpy(r.remote.addr, "\x7f\0\0\x01", 4);
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_null(ev.io_uring.path);
	assert_int_equal(ev.io_uring.path_len, 0);
	assert_true(ev.io_uring.sq_thread);
	assert_int_equal(ev.io_uring.remote.family, AF_INET);
	assert_int_equal(ev.io_uring.remote.port, 443);
	free(copy);

	/* A connect to an AF_UNIX socket: its path. */
	memset(&r.remote, 0, sizeof(r.remote));
	r.remote.family = AF_UNIX;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_string_equal(ev.io_uring.path, "/root/.ssh/id_rsa");
	assert_int_equal(ev.io_uring.path_len, 17);
	assert_null(ev.io_uring.path2);
	free(copy);

	/* A rename: both paths, each with its own flags for a cut or a fault. */
	r.opcode = 35; /* IORING_OP_RENAMEAT */
	r.hdr.flags = WARDEN_F_TRUNCATED2 | WARDEN_F_READ_FAULT;
	r.dfd2 = 3;
	strcpy(r.path2, "/tmp/x");
	r.path2_len = 6;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_string_equal(ev.io_uring.path, "/root/.ssh/id_rsa");
	assert_string_equal(ev.io_uring.path2, "/tmp/x");
	assert_ptr_equal(ev.io_uring.path2, (const char *)copy + 128 + WARDEN_OPEN_PATH_MAX);
	assert_int_equal(ev.io_uring.path2_len, 6);
	assert_int_equal(ev.io_uring.dfd2, 3);
	assert_true(ev.io_uring.path_fault && ev.io_uring.path2_truncated);
	assert_false(ev.io_uring.path_truncated || ev.io_uring.path2_fault);
	free(copy);
	/* From an absolute path: the walk is the new path's directory, and says so. */
	r.resolved = WARDEN_RESOLVED_DIR_FULL;
	r.resolved_of_path2 = 1;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_true(ev.io_uring.dir_of_path2);
	assert_string_equal(ev.io_uring.dir, "/w");
	free(copy);
	r.resolved_of_path2 = 2;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.resolved_of_path2 = 0;

	/* Lies: another size, a length past either array or its NUL. */
	assert_int_equal(decode_err(&r, sizeof(r) - 8), -EBADMSG);
	r.path2_len = WARDEN_OPEN_PATH_MAX;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.path2_len = 2;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.path2_len = 6;
	r.path_len = WARDEN_OPEN_PATH_MAX;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.path_len = 3;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
}

static void accept_record(void **state)
{
	struct warden_rec_accept r;
	struct event ev;
	void *copy;

	(void)state;
	assert_int_equal(sizeof(r), 128);
	memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, WARDEN_REC_ACCEPT, 0, sizeof(r));
	fill_task(&r.task);
	r.session = 9;
	r.fd = 3;
	r.ret = 4;
	r.local.family = r.remote.family = AF_INET6;
	r.local.port = 8080;
	r.remote.port = 40000;
	r.remote.addr[15] = 1;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_int_equal(ev.type, EVENT_NET_ACCEPT);
	check_task(&ev);
	assert_int_equal(ev.accept.fd, 3);
	assert_int_equal(ev.accept.conn_fd, 4);
	assert_int_equal(ev.accept.local.family, AF_INET6);
	assert_int_equal(ev.accept.local.port, 8080);
	assert_int_equal(ev.accept.remote.port, 40000);
	assert_int_equal(ev.accept.remote.addr[15], 1);
	assert_false(ev.accept.io_uring);
	free(copy);
	/* An io_uring accept's completion: flagged, else the same. */
	r.hdr.flags = WARDEN_F_IO_URING;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_true(ev.accept.io_uring);
	assert_int_equal(ev.accept.conn_fd, 4);
	free(copy);
	r.hdr.flags = 0;

	/* Lies: a failed accept (never reported), two families, another size. */
	r.ret = -11;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.ret = 4;
	r.remote.family = AF_INET;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.remote.family = AF_INET6;
	assert_int_equal(decode_err(&r, sizeof(r) - 8), -EBADMSG);
}

static void listen_record(void **state)
{
	struct warden_rec_listen r;
	struct event ev;
	void *copy;

	(void)state;
	assert_int_equal(sizeof(r), 216);
	memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, WARDEN_REC_LISTEN, 0, sizeof(r));
	fill_task(&r.task);
	r.fd = 5;
	r.backlog = 128;
	r.local.family = AF_INET;
	r.local.port = 4444;
	memcpy(r.local.addr, "\0\0\0\0", 4);
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_int_equal(ev.type, EVENT_NET_LISTEN);
	check_task(&ev);
	assert_int_equal(ev.listen.fd, 5);
	assert_int_equal(ev.listen.backlog, 128);
	assert_int_equal(ev.listen.result, 0);
	assert_int_equal(ev.listen.local.family, AF_INET);
	assert_int_equal(ev.listen.local.port, 4444);
	assert_int_equal(ev.listen.unix_path_len, 0);
	free(copy);

	/* A UNIX socket's path ends at its NUL; an abstract one keeps its leading NUL. */
	memset(&r.local, 0, sizeof(r.local));
	r.local.family = AF_UNIX;
	memcpy(r.unix_path, "/run/x.sock\0junk", 16);
	r.unix_path_len = 16;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_int_equal(ev.listen.unix_path_len, 11);
	assert_memory_equal(ev.listen.unix_path, "/run/x.sock", 11);
	free(copy);
	r.unix_path[0] = 0;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_int_equal(ev.listen.unix_path_len, 16);
	free(copy);

	/* Lies: another size, a path longer than its array. */
	assert_int_equal(decode_err(&r, sizeof(r) - 8), -EBADMSG);
	r.unix_path_len = WARDEN_UNIX_PATH_MAX + 1;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
}

static void file_change_record(void **state)
{
	struct warden_rec_file_change r;
	struct event ev;
	void *copy;

	(void)state;
	assert_int_equal(sizeof(r), 1144);
	memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, WARDEN_REC_FILE_CHANGE, WARDEN_F_TRUNCATED2, sizeof(r));
	fill_task(&r.task);
	r.session = 9;
	r.op = WARDEN_FCHANGE_RENAME;
	r.dfd = r.dfd2 = -100;
	r.flags = 1;
	r.ret = -18;
	strcpy(r.path, "a/b");
	r.path_len = 3;
	strcpy(r.path2, "c");
	r.path2_len = 1;
	r.resolved = WARDEN_RESOLVED_DIR_FULL;
	strcpy(r.resolved_path, "/w");
	r.resolved_len = 2;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_int_equal(ev.type, EVENT_FILE_RENAME);
	check_task(&ev);
	assert_string_equal(ev.fchange.path, "a/b");
	assert_ptr_equal(ev.fchange.path, (const char *)copy + 120);
	assert_string_equal(ev.fchange.path2, "c");
	assert_true(ev.fchange.path2_truncated);
	assert_false(ev.fchange.path_truncated || ev.fchange.path_fault);
	assert_int_equal(ev.fchange.flags, 1);
	assert_int_equal(ev.fchange.result, -18);
	assert_string_equal(ev.fchange.dir, "/w");
	assert_int_equal(ev.fchange.dir_len, 2);
	assert_false(ev.fchange.dir_cut);
	assert_null(ev.fchange.dir2);
	free(copy);

	/* mv a dir/: the new path relative to another directory, walked too. */
	r.dfd2 = 3;
	r.resolved2 = WARDEN_RESOLVED_DIR_CUT;
	strcpy(r.resolved_path2, "x/dir");
	r.resolved2_len = 5;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_string_equal(ev.fchange.dir2, "x/dir");
	assert_int_equal(ev.fchange.dir2_len, 5);
	assert_true(ev.fchange.dir2_cut);
	free(copy);
	/* Lies: a length off its NUL, a file's walk (only directories here), an op with no path2. */
	r.resolved2_len = 4;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.resolved2_len = 5;
	r.resolved2 = WARDEN_RESOLVED_FULL;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.resolved2 = WARDEN_RESOLVED_DIR_FULL;
	r.op = WARDEN_FCHANGE_CHMOD;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.op = WARDEN_FCHANGE_LINK;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_false(ev.fchange.dir2_cut);
	free(copy);
	r.op = WARDEN_FCHANGE_RENAME;
	r.resolved2 = WARDEN_RESOLVED_NONE;
	r.dfd2 = -100;

	/* Each op its own event type; one path only where the op names one. */
	r.op = WARDEN_FCHANGE_UNLINK;
	r.resolved = WARDEN_RESOLVED_DIR_CUT;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_int_equal(ev.type, EVENT_FILE_UNLINK);
	assert_null(ev.fchange.path2);
	assert_true(ev.fchange.dir_cut);
	free(copy);
	r.op = WARDEN_FCHANGE_CHMOD;
	r.resolved = WARDEN_RESOLVED_NONE;
	r.mode = 0755;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_int_equal(ev.type, EVENT_FILE_CHMOD);
	assert_int_equal(ev.fchange.mode, 0755);
	assert_null(ev.fchange.dir);
	free(copy);
	r.op = WARDEN_FCHANGE_SYMLINK;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_int_equal(ev.type, EVENT_FILE_SYMLINK);
	assert_string_equal(ev.fchange.path2, "c");
	free(copy);

	/* fchown(fd): no path, the fd's own file walked, the group left as it was. */
	r.op = WARDEN_FCHANGE_CHOWN;
	r.dfd = 7;
	r.flags = AT_EMPTY_PATH;
	r.uid = 0;
	r.gid = UINT32_MAX;
	r.path[0] = 0;
	r.path_len = 0;
	r.resolved = WARDEN_RESOLVED_FULL;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_int_equal(ev.type, EVENT_FILE_CHOWN);
	assert_int_equal(ev.fchange.dfd, 7);
	assert_int_equal(ev.fchange.uid, 0);
	assert_int_equal(ev.fchange.gid, UINT32_MAX);
	assert_string_equal(ev.fchange.file, "/w");
	assert_int_equal(ev.fchange.file_len, 2);
	assert_false(ev.fchange.file_cut);
	assert_null(ev.fchange.dir);
	assert_null(ev.fchange.path2);
	free(copy);
	r.resolved = WARDEN_RESOLVED_CUT;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_true(ev.fchange.file_cut);
	free(copy);
	/* ftruncate(fd, 0), as fchown: the length as passed. */
	r.op = WARDEN_FCHANGE_TRUNCATE;
	r.length = -1;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_int_equal(ev.type, EVENT_FILE_TRUNCATE);
	assert_int_equal(ev.fchange.length, -1);
	assert_string_equal(ev.fchange.file, "/w");
	free(copy);
	r.op = WARDEN_FCHANGE_CHOWN;
	r.length = 0;
	/* A file's walk with a path, or without AT_EMPTY_PATH, is one the kernel never makes. */
	r.flags = 0;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.flags = AT_EMPTY_PATH;
	strcpy(r.path, "a/b");
	r.path_len = 3;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.dfd = -100;
	r.flags = 1;

	/* Lies: an op past the enum, a file's walk (no file here), lengths past arrays or NULs. */
	r.op = 0;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.op = WARDEN_FCHANGE_TRUNCATE + 1;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.op = WARDEN_FCHANGE_MKDIR;
	r.resolved = WARDEN_RESOLVED_FULL;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.resolved = WARDEN_RESOLVED_DIR_FULL;
	r.resolved_len = 1; /* not at its NUL */
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.resolved_len = 2;
	r.path2_len = 0; /* not at its NUL */
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.path2_len = 1;
	r.path_len = WARDEN_OPEN_PATH_MAX;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.path_len = 3;
	assert_int_equal(decode_err(&r, sizeof(r) - 8), -EBADMSG);
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_int_equal(ev.type, EVENT_FILE_MKDIR);
	free(copy);
}

static void file_open_record(void **state)
{
	struct warden_rec_file_open r;
	struct event ev;
	void *copy;

	(void)state;
	assert_int_equal(sizeof(r), 608);
	memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, WARDEN_REC_FILE_OPEN, WARDEN_F_TRUNCATED, sizeof(r));
	fill_task(&r.task);
	r.dirfd = -100;
	r.flags = 01102; /* O_RDWR | O_CREAT | O_TRUNC */
	r.mode = 0644;
	r.ret = -13;
	r.session = 7;
	r.openat2 = 1;
	strcpy(r.path, "/tmp/x");
	r.path_len = 6;
	memset(&ev, 0xa5, sizeof(ev));
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_int_equal(ev.type, EVENT_FILE_OPEN);
	check_task(&ev);
	assert_string_equal(ev.file.path, "/tmp/x");
	assert_ptr_equal(ev.file.path, (const char *)copy + 96);
	assert_null(ev.file.resolved); /* the open failed: nothing resolved */
	assert_int_equal(ev.file.resolved_len, 0);
	assert_int_equal(ev.file.path_len, 6);
	assert_true(ev.file.path_truncated);
	assert_false(ev.file.path_fault);
	assert_int_equal(ev.file.dirfd, -100);
	assert_int_equal(ev.file.flags, 01102);
	assert_int_equal(ev.file.mode, 0644);
	assert_int_equal(ev.file.result, -13);
	assert_true(ev.file.openat2);
	free(copy);

	/* Lies: a size that is not the record's, a length past the array, no NUL at the end. */
	assert_int_equal(decode_err(&r, sizeof(r) - 1), -EBADMSG);
	r.path_len = WARDEN_OPEN_PATH_MAX;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.path_len = 3;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.path_len = 0;
	r.path[0] = 0;
	r.hdr.flags = WARDEN_F_READ_FAULT;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_true(ev.file.path_fault);
	assert_false(ev.file.late_read);
	assert_int_equal(ev.file.path_len, 0);
	free(copy);
	strcpy(r.path, "/tmp/x");
	r.path_len = 6;
	r.hdr.flags = WARDEN_F_LATE_READ;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_true(ev.file.late_read);
	assert_false(ev.file.path_fault);
	assert_string_equal(ev.file.path, "/tmp/x");
	free(copy);

	/* The file opened, resolved; then cut to its tail. */
	r.hdr.flags = 0;
	r.ret = 3;
	r.resolved = WARDEN_RESOLVED_FULL;
	strcpy(r.resolved_path, "/home/a/x");
	r.resolved_len = 9;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_string_equal(ev.file.resolved, "/home/a/x");
	assert_ptr_equal(ev.file.resolved, (const char *)copy + 96 + WARDEN_OPEN_PATH_MAX);
	assert_int_equal(ev.file.resolved_len, 9);
	assert_false(ev.file.resolved_cut);
	free(copy);
	r.resolved = WARDEN_RESOLVED_CUT;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_true(ev.file.resolved_cut);
	assert_false(ev.file.resolved_dir);
	free(copy);
	/* A failed relative open: the directory it was relative to, whole or its tail. */
	r.resolved = WARDEN_RESOLVED_DIR_FULL;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_string_equal(ev.file.resolved, "/home/a/x");
	assert_true(ev.file.resolved_dir);
	assert_false(ev.file.resolved_cut);
	free(copy);
	r.resolved = WARDEN_RESOLVED_DIR_CUT;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_true(ev.file.resolved_dir && ev.file.resolved_cut);
	free(copy);

	/* Lies in the resolved part: a state past the enum, a length past the array or its NUL. */
	r.resolved = WARDEN_RESOLVED_DIR_CUT + 1;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.resolved = WARDEN_RESOLVED_FULL;
	r.resolved_len = WARDEN_OPEN_PATH_MAX;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.resolved_len = 4;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	/* None: whatever the array holds is not looked at. */
	r.resolved = WARDEN_RESOLVED_NONE;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_null(ev.file.resolved);
	free(copy);
}

/* ---- fork ----------------------------------------------------------------- */

static void fork_record(void **state)
{
	struct warden_rec_fork r;
	struct event ev;
	void *copy;

	(void)state;
	memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, WARDEN_REC_FORK, 0, sizeof(r));
	fill_task(&r.task);
	r.parent_start_time = 555000000ull;
	memset(&ev, 0xa5, sizeof(ev));
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_int_equal(ev.type, EVENT_PROCESS_FORK);
	check_task(&ev);
	assert_int_equal(ev.fork.parent_start_ns, 555000000ull);
	free(copy);

	/* Any other size is malformed. */
	r.hdr.size = sizeof(r) - 1;
	assert_int_equal(decode_err(&r, sizeof(r) - 1), -EBADMSG);
}

/* ---- exec ----------------------------------------------------------------- */

static const char exec_args[] = "/bin/echo\0a\0b\0c"; /* 16 bytes with the final NUL */

static struct warden_rec_exec *make_exec(size_t *size)
{
	struct warden_rec_exec *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	fill_task(&r->task);
	r->exe_dev = 259ull << 20 | 3;
	r->exe_ino = 131077;
	r->old_pid = 4250;
	r->args_total = 9000;
	strcpy(r->filename, "/bin/echo");
	r->filename_len = strlen("/bin/echo");
	memcpy(r->args, exec_args, sizeof(exec_args));
	r->args_len = sizeof(exec_args);
	*size = offsetof(struct warden_rec_exec, args) + r->args_len;
	fill_hdr(&r->hdr, WARDEN_REC_EXEC, WARDEN_F_TRUNCATED, *size);
	return r;
}

static void exec_record(void **state)
{
	struct warden_rec_exec *r;
	struct event ev;
	size_t size;
	void *copy;

	(void)state;
	r = make_exec(&size);
	assert_int_equal(size, 4960 - 4096 + 16);
	memset(&ev, 0xa5, sizeof(ev));
	assert_int_equal(decode_copy(r, size, &ev, &copy), 0);
	assert_int_equal(ev.type, EVENT_PROCESS_EXEC);
	check_task(&ev);
	assert_string_equal(ev.exec.filename, "/bin/echo");
	assert_int_equal(ev.exec.args_len, 16);
	assert_memory_equal(ev.exec.args, "/bin/echo\0a\0b\0c\0", 16);
	assert_int_equal(ev.exec.args_total, 9000);
	assert_true(ev.exec.args_truncated);
	assert_int_equal(ev.exec.exe_dev, 259ull << 20 | 3);
	assert_int_equal(ev.exec.exe_ino, 131077);
	assert_int_equal(ev.exec.old_pid, 4250);
	/* Pointers borrow from the record, not from a private copy. */
	assert_ptr_equal(ev.exec.filename, (char *)copy + offsetof(struct warden_rec_exec, filename));
	assert_ptr_equal(ev.exec.args, (char *)copy + offsetof(struct warden_rec_exec, args));
	assert_null(ev.exec.cwd); /* in no session: none */
	assert_int_equal(ev.exec.cwd_len, 0);
	free(copy);

	/* A member's working directory, whole and cut; lies about it. */
	strcpy(r->cwd, "/home/dev/repo");
	r->cwd_len = 14;
	r->cwd_resolved = WARDEN_RESOLVED_FULL;
	assert_int_equal(decode_copy(r, size, &ev, &copy), 0);
	assert_string_equal(ev.exec.cwd, "/home/dev/repo");
	assert_ptr_equal(ev.exec.cwd, (char *)copy + offsetof(struct warden_rec_exec, cwd));
	assert_int_equal(ev.exec.cwd_len, 14);
	assert_false(ev.exec.cwd_cut);
	free(copy);
	r->cwd_resolved = WARDEN_RESOLVED_CUT;
	assert_int_equal(decode_copy(r, size, &ev, &copy), 0);
	assert_true(ev.exec.cwd_cut);
	free(copy);
	r->cwd_len = 13; /* no NUL there */
	assert_int_equal(decode_err(r, size), -EBADMSG);
	r->cwd_len = WARDEN_OPEN_PATH_MAX;
	assert_int_equal(decode_err(r, size), -EBADMSG);
	r->cwd_len = 14;
	r->cwd_resolved =
		WARDEN_RESOLVED_DIR_FULL; /* a failed open's state: no working directory's */
	assert_int_equal(decode_err(r, size), -EBADMSG);
	r->cwd_resolved = WARDEN_RESOLVED_NONE;

	/* Without WARDEN_F_TRUNCATED. */
	r->hdr.flags = 0;
	assert_int_equal(decode_copy(r, size, &ev, &copy), 0);
	assert_false(ev.exec.args_truncated);
	assert_false(ev.exec.agent_name);
	free(copy);

	/* Made a session candidate by the kernel (an --agent name). */
	r->hdr.flags = WARDEN_F_AGENT_NAME;
	assert_int_equal(decode_copy(r, size, &ev, &copy), 0);
	assert_true(ev.exec.agent_name);
	assert_false(ev.exec.args_truncated);
	free(copy);
	free(r);
}

static void exec_record_limits(void **state)
{
	struct warden_rec_exec *r;
	struct event ev;
	size_t size;
	void *copy;

	(void)state;
	r = make_exec(&size);
	/* No argv at all. */
	r->args_len = 0;
	size = offsetof(struct warden_rec_exec, args);
	r->hdr.size = size;
	assert_int_equal(decode_copy(r, size, &ev, &copy), 0);
	assert_int_equal(ev.exec.args_len, 0);
	free(copy);

	/* Full argv area, full filename (511 bytes + NUL). */
	memset(r->args, 'x', WARDEN_ARGS_MAX);
	r->args_len = WARDEN_ARGS_MAX;
	memset(r->filename, 'f', WARDEN_FILENAME_MAX - 1);
	r->filename[WARDEN_FILENAME_MAX - 1] = 0;
	r->filename_len = WARDEN_FILENAME_MAX - 1;
	size = sizeof(*r);
	r->hdr.size = size;
	assert_int_equal(decode_copy(r, size, &ev, &copy), 0);
	assert_int_equal(ev.exec.args_len, WARDEN_ARGS_MAX);
	assert_int_equal(strlen(ev.exec.filename), WARDEN_FILENAME_MAX - 1);
	free(copy);

	/* Empty filename. */
	r->filename[0] = 0;
	r->filename_len = 0;
	assert_int_equal(decode_copy(r, size, &ev, &copy), 0);
	assert_string_equal(ev.exec.filename, "");
	free(copy);
	free(r);
}

static void exec_malformed(void **state)
{
	struct warden_rec_exec *r;
	size_t size;

	(void)state;
	/* args_len > WARDEN_ARGS_MAX, with a size that matches it. */
	r = realloc(make_exec(&size), sizeof(*r) + 16);
	assert_non_null(r);
	r->args_len = WARDEN_ARGS_MAX + 1;
	size = offsetof(struct warden_rec_exec, args) + r->args_len;
	r->hdr.size = size;
	assert_int_equal(decode_err(r, size), -EBADMSG);
	free(r);

	/* size does not match args_len: one byte more, one byte less. */
	r = make_exec(&size);
	r->hdr.size = size + 1;
	assert_int_equal(decode_err(r, size + 1), -EBADMSG);
	r->hdr.size = size - 1;
	assert_int_equal(decode_err(r, size - 1), -EBADMSG);
	/* The whole struct although args_len is 16. */
	r->hdr.size = sizeof(*r);
	assert_int_equal(decode_err(r, sizeof(*r)), -EBADMSG);
	/* Shorter than the fixed part. */
	r->args_len = 0;
	r->hdr.size = offsetof(struct warden_rec_exec, args) - 1;
	assert_int_equal(decode_err(r, offsetof(struct warden_rec_exec, args) - 1), -EBADMSG);
	free(r);

	/* filename not NUL-terminated at filename_len. */
	r = make_exec(&size);
	r->filename_len = 4; /* "/bin" but filename[4] is '/' */
	assert_int_equal(decode_err(r, size), -EBADMSG);
	r->filename_len = 8; /* "/bin/ech": filename[8] is 'o' */
	assert_int_equal(decode_err(r, size), -EBADMSG);
	r->filename_len = 9;
	assert_int_equal(decode_err(r, size), 0);
	memset(r->filename, 'f', WARDEN_FILENAME_MAX);
	r->filename_len = WARDEN_FILENAME_MAX - 1;
	assert_int_equal(decode_err(r, size), -EBADMSG);
	/* filename_len outside the array. */
	r->filename_len = WARDEN_FILENAME_MAX;
	assert_int_equal(decode_err(r, size), -EBADMSG);
	r->filename_len = 0xffff;
	assert_int_equal(decode_err(r, size), -EBADMSG);
	free(r);
}

/* ---- exit ----------------------------------------------------------------- */

static int decode_exit(uint32_t code, struct event *ev)
{
	struct warden_rec_exit r;
	void *copy;
	int ret;

	memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, WARDEN_REC_EXIT, 0, sizeof(r));
	fill_task(&r.task);
	r.exit_code = code;
	memset(ev, 0xa5, sizeof(*ev));
	ret = decode_copy(&r, sizeof(r), ev, &copy);
	free(copy);
	return ret;
}

static void exit_record(void **state)
{
	struct event ev;

	(void)state;
	assert_int_equal(decode_exit(0, &ev), 0);
	assert_int_equal(ev.type, EVENT_PROCESS_EXIT);
	check_task(&ev);
	assert_int_equal(ev.exit.status, 0);
	assert_int_equal(ev.exit.signal, 0);
	assert_false(ev.exit.core_dumped);

	/* exit(3) */
	assert_int_equal(decode_exit(3 << 8, &ev), 0);
	assert_int_equal(ev.exit.status, 3);
	assert_int_equal(ev.exit.signal, 0);
	assert_false(ev.exit.core_dumped);

	/* exit(255) */
	assert_int_equal(decode_exit(255 << 8, &ev), 0);
	assert_int_equal(ev.exit.status, 255);
	assert_int_equal(ev.exit.signal, 0);

	/* killed by SIGKILL */
	assert_int_equal(decode_exit(9, &ev), 0);
	assert_int_equal(ev.exit.status, 0);
	assert_int_equal(ev.exit.signal, 9);
	assert_false(ev.exit.core_dumped);

	/* SIGSEGV with a core dump */
	assert_int_equal(decode_exit(0x80 | 11, &ev), 0);
	assert_int_equal(ev.exit.status, 0);
	assert_int_equal(ev.exit.signal, 11);
	assert_true(ev.exit.core_dumped);
}

static void exit_malformed(void **state)
{
	struct {
		struct warden_rec_exit r;
		char extra[8];
	} big;

	(void)state;
	memset(&big, 0, sizeof(big));
	fill_hdr(&big.r.hdr, WARDEN_REC_EXIT, 0, sizeof(big.r) + 8);
	fill_task(&big.r.task);
	assert_int_equal(decode_err(&big, sizeof(big.r) + 8), -EBADMSG);
	big.r.hdr.size = sizeof(big.r) - 8;
	assert_int_equal(decode_err(&big, sizeof(big.r) - 8), -EBADMSG);
}

/* ---- connect -------------------------------------------------------------- */

static void make_connect(struct warden_rec_connect *r)
{
	memset(r, 0, sizeof(*r));
	fill_hdr(&r->hdr, WARDEN_REC_CONNECT, 0, sizeof(*r));
	fill_task(&r->task);
	r->fd = 7;
}

static void connect_inet(void **state)
{
	struct warden_rec_connect r;
	struct event ev;
	void *copy;

	(void)state;
	make_connect(&r);
	r.ret = -111;
	r.remote.family = AF_INET;
	r.remote.port = 8443;
	memcpy(r.remote.addr, "\x7f\x00\x00\x01", 4);
	memset(&ev, 0xa5, sizeof(ev));
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_int_equal(ev.type, EVENT_NET_CONNECT);
	check_task(&ev);
	assert_int_equal(ev.connect.fd, 7);
	assert_int_equal(ev.connect.result, -111);
	assert_int_equal(ev.connect.remote.family, AF_INET);
	assert_int_equal(ev.connect.remote.port, 8443);
	assert_memory_equal(ev.connect.remote.addr, "\x7f\x00\x00\x01\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	assert_int_equal(ev.connect.unix_path_len, 0);
	free(copy);
}

static void connect_inet6(void **state)
{
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					0,    0,    0,	  0,	0, 0, 0, 0x42 };
	struct warden_rec_connect r;
	struct event ev;
	void *copy;

	(void)state;
	make_connect(&r);
	r.fd = 12;
	r.ret = -115; /* EINPROGRESS */
	r.remote.family = AF_INET6;
	r.remote.port = 443;
	memcpy(r.remote.addr, v6, 16);
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_int_equal(ev.type, EVENT_NET_CONNECT);
	assert_int_equal(ev.connect.fd, 12);
	assert_int_equal(ev.connect.result, -115);
	assert_int_equal(ev.connect.remote.family, AF_INET6);
	assert_int_equal(ev.connect.remote.port, 443);
	assert_memory_equal(ev.connect.remote.addr, v6, 16);
	free(copy);
}

static void connect_unix_pathname(void **state)
{
	struct warden_rec_connect r;
	struct event ev;
	void *copy;

	(void)state;
	make_connect(&r);
	r.remote.family = AF_UNIX;
	strcpy(r.unix_path, "/run/dbus/system_bus_socket");
	/* The kernel reports the addrlen-derived length, NUL included. */
	r.unix_path_len = strlen("/run/dbus/system_bus_socket") + 1;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_int_equal(ev.connect.remote.family, AF_UNIX);
	assert_int_equal(ev.connect.result, 0);
	assert_int_equal(ev.connect.unix_path_len, strlen("/run/dbus/system_bus_socket"));
	assert_memory_equal(ev.connect.unix_path, "/run/dbus/system_bus_socket",
			    ev.connect.unix_path_len);
	free(copy);

	/* A path filling sun_path with no NUL at all. */
	memset(r.unix_path, 'p', WARDEN_UNIX_PATH_MAX);
	r.unix_path_len = WARDEN_UNIX_PATH_MAX;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_int_equal(ev.connect.unix_path_len, WARDEN_UNIX_PATH_MAX);
	free(copy);

	/* unix_path_len beyond sun_path. */
	r.unix_path_len = WARDEN_UNIX_PATH_MAX + 1;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
}

static void connect_unix_abstract(void **state)
{
	struct warden_rec_connect r;
	struct event ev;
	void *copy;

	(void)state;
	make_connect(&r);
	r.remote.family = AF_UNIX;
	/* "\0warden\0x": abstract names may hold NULs; all bytes count. */
	memcpy(r.unix_path, "\0warden\0x", 9);
	r.unix_path_len = 9;
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_int_equal(ev.connect.remote.family, AF_UNIX);
	assert_int_equal(ev.connect.unix_path_len, 9);
	assert_memory_equal(ev.connect.unix_path, "\0warden\0x", 9);
	free(copy);
}

/* As the kernel sends an inet connect: without the path, 104 bytes of 216. */
static void connect_sized(void **state)
{
	const size_t fixed = offsetof(struct warden_rec_connect, unix_path);
	struct warden_rec_connect r;
	struct event ev;
	void *copy;

	(void)state;
	make_connect(&r);
	r.remote.family = AF_INET;
	r.remote.port = 443;
	r.hdr.size = fixed;
	assert_int_equal(decode_copy(&r, fixed, &ev, &copy), 0);
	assert_int_equal(ev.connect.remote.port, 443);
	assert_int_equal(ev.connect.unix_path_len, 0);
	free(copy);

	r.remote.family = AF_UNIX;
	memcpy(r.unix_path, "\0warden\0x", 9);
	r.unix_path_len = 9;
	r.hdr.size = fixed + 9;
	assert_int_equal(decode_copy(&r, fixed + 9, &ev, &copy), 0);
	assert_int_equal(ev.connect.unix_path_len, 9);
	assert_memory_equal(ev.connect.unix_path, "\0warden\0x", 9);
	free(copy);
}

static void connect_malformed(void **state)
{
	const size_t fixed = offsetof(struct warden_rec_connect, unix_path);
	struct {
		struct warden_rec_connect r;
		uint8_t more[8];
	} big;
	struct warden_rec_connect r;

	(void)state;
	make_connect(&r);
	/* Shorter than its fixed part. */
	r.hdr.size = fixed - 4;
	assert_int_equal(decode_err(&r, fixed - 4), -EBADMSG);
	/* A path longer than the bytes sent. */
	r.remote.family = AF_UNIX;
	r.unix_path_len = 10;
	r.hdr.size = fixed + 9;
	assert_int_equal(decode_err(&r, fixed + 9), -EBADMSG);
	/* Longer than the struct. */
	memset(&big, 0, sizeof(big));
	make_connect(&big.r);
	big.r.hdr.size = sizeof(big);
	assert_int_equal(decode_err(&big, sizeof(big)), -EBADMSG);
}

/* ---- tls ------------------------------------------------------------------ */

static struct warden_rec_tls *make_tls(unsigned int func, const void *data, uint32_t len,
				       size_t *size)
{
	struct warden_rec_tls *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	fill_task(&r->task);
	r->conn_id = 77;
	r->ssl = 0x55550000aaaaull;
	r->call_id = 9001;
	r->total_len = 100000;
	r->offset = 16384;
	r->fd = 5;
	r->len = len;
	r->func = func;
	r->local.family = AF_INET;
	r->local.port = 51000;
	memcpy(r->local.addr, "\x0a\x00\x00\x02", 4);
	r->remote.family = AF_INET;
	r->remote.port = 443;
	memcpy(r->remote.addr, "\x5d\xb8\xd8\x22", 4);
	memcpy(r->data, data, len);
	*size = offsetof(struct warden_rec_tls, data) + len;
	fill_hdr(&r->hdr, WARDEN_REC_TLS_DATA, 0, *size);
	return r;
}

static void tls_record_fields(void **state)
{
	struct warden_rec_tls *r;
	struct event ev;
	size_t size;
	void *copy;

	(void)state;
	r = make_tls(WARDEN_TLS_SSL_WRITE, "GET / HTTP/1.1\r\n", 16, &size);
	assert_int_equal(size, 176 + 16);
	memset(&ev, 0xa5, sizeof(ev));
	assert_int_equal(decode_copy(r, size, &ev, &copy), 0);
	assert_int_equal(ev.type, EVENT_TLS_WRITE);
	check_task(&ev);
	assert_int_equal(ev.tls.conn, 77);
	assert_int_equal(ev.tls.ssl, 0x55550000aaaaull);
	assert_int_equal(ev.tls.call, 9001);
	assert_int_equal(ev.tls.total_len, 100000);
	assert_int_equal(ev.tls.offset, 16384);
	assert_int_equal(ev.tls.fd, 5);
	assert_int_equal(ev.tls.len, 16);
	assert_memory_equal(ev.tls.data, "GET / HTTP/1.1\r\n", 16);
	assert_ptr_equal(ev.tls.data, (char *)copy + offsetof(struct warden_rec_tls, data));
	assert_string_equal(ev.tls.func, "SSL_write");
	assert_int_equal(ev.tls.local.family, AF_INET);
	assert_int_equal(ev.tls.local.port, 51000);
	assert_memory_equal(ev.tls.local.addr, "\x0a\x00\x00\x02", 4);
	assert_int_equal(ev.tls.remote.family, AF_INET);
	assert_int_equal(ev.tls.remote.port, 443);
	assert_memory_equal(ev.tls.remote.addr, "\x5d\xb8\xd8\x22", 4);
	assert_false(ev.tls.truncated);
	assert_false(ev.tls.fault);
	assert_false(ev.tls.last);
	free(copy);
	free(r);
}

static void tls_record_func_and_flags(void **state)
{
	static const struct {
		unsigned int func;
		enum event_type type;
		const char *name;
	} funcs[] = {
		{ WARDEN_TLS_SSL_WRITE, EVENT_TLS_WRITE, "SSL_write" },
		{ WARDEN_TLS_SSL_WRITE_EX, EVENT_TLS_WRITE, "SSL_write_ex" },
		{ WARDEN_TLS_SSL_READ, EVENT_TLS_READ, "SSL_read" },
		{ WARDEN_TLS_SSL_READ_EX, EVENT_TLS_READ, "SSL_read_ex" },
	};
	static const struct {
		unsigned int flags;
		bool truncated, fault, last;
	} flags[] = {
		{ 0, false, false, false },
		{ WARDEN_F_TRUNCATED, true, false, false },
		{ WARDEN_F_READ_FAULT, false, true, false },
		{ WARDEN_F_LAST, false, false, true },
		{ WARDEN_F_TRUNCATED | WARDEN_F_READ_FAULT | WARDEN_F_LAST, true, true, true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
		for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
			struct warden_rec_tls *r;
			struct event ev;
			size_t size;
			void *copy;

			r = make_tls(funcs[i].func, "HTTP/1.1 200 OK\r\n", 17, &size);
			r->hdr.flags = flags[k].flags;
			assert_int_equal(decode_copy(r, size, &ev, &copy), 0);
			assert_int_equal(ev.type, funcs[i].type);
			assert_string_equal(ev.tls.func, funcs[i].name);
			assert_int_equal(ev.tls.truncated, flags[k].truncated);
			assert_int_equal(ev.tls.fault, flags[k].fault);
			assert_int_equal(ev.tls.last, flags[k].last);
			free(copy);
			free(r);
		}
	}
}

static void tls_record_limits(void **state)
{
	static uint8_t big[WARDEN_TLS_CHUNK];
	struct warden_rec_tls *r;
	struct event ev;
	size_t size;
	void *copy;

	(void)state;
	/* A full chunk ending exactly at total_len. */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = i * 7;
	r = make_tls(WARDEN_TLS_SSL_READ_EX, big, WARDEN_TLS_CHUNK, &size);
	r->offset = 3 * WARDEN_TLS_CHUNK;
	r->total_len = 4 * WARDEN_TLS_CHUNK;
	r->fd = -1;
	r->local.family = 0;
	r->remote.family = 0;
	assert_int_equal(size, sizeof(*r));
	assert_int_equal(decode_copy(r, size, &ev, &copy), 0);
	assert_int_equal(ev.type, EVENT_TLS_READ);
	assert_int_equal(ev.tls.len, WARDEN_TLS_CHUNK);
	assert_memory_equal(ev.tls.data, big, WARDEN_TLS_CHUNK);
	assert_int_equal(ev.tls.fd, -1);
	assert_int_equal(ev.tls.local.family, 0);
	assert_int_equal(ev.tls.remote.family, 0);
	free(copy);
	free(r);

	/* An empty chunk of an empty call. */
	r = make_tls(WARDEN_TLS_SSL_WRITE, "", 0, &size);
	r->offset = 0;
	r->total_len = 0;
	assert_int_equal(decode_copy(r, size, &ev, &copy), 0);
	assert_int_equal(ev.tls.len, 0);
	free(copy);
	free(r);
}

static void tls_malformed(void **state)
{
	struct warden_rec_tls *r;
	size_t size;

	(void)state;
	/* len > chunk, with a size to match. */
	r = realloc(make_tls(WARDEN_TLS_SSL_WRITE, "x", 1, &size), sizeof(*r) + 16);
	assert_non_null(r);
	r->len = WARDEN_TLS_CHUNK + 1;
	r->total_len = 1 << 20;
	r->offset = 0;
	size = offsetof(struct warden_rec_tls, data) + r->len;
	r->hdr.size = size;
	assert_int_equal(decode_err(r, size), -EBADMSG);
	free(r);

	/* size does not match len. */
	r = make_tls(WARDEN_TLS_SSL_WRITE, "hello", 5, &size);
	r->hdr.size = size + 1;
	assert_int_equal(decode_err(r, size + 1), -EBADMSG);
	r->hdr.size = size - 1;
	assert_int_equal(decode_err(r, size - 1), -EBADMSG);
	r->hdr.size = size;

	/* offset + len > total_len */
	r->offset = 0;
	r->total_len = 4;
	assert_int_equal(decode_err(r, size), -EBADMSG);
	r->offset = 96;
	r->total_len = 100;
	assert_int_equal(decode_err(r, size), -EBADMSG);
	r->offset = 95;
	assert_int_equal(decode_err(r, size), 0);
	r->offset = 100;
	assert_int_equal(decode_err(r, size), -EBADMSG);

	/* Unknown func. */
	r->offset = 0;
	r->func = 0;
	assert_int_equal(decode_err(r, size), -EBADMSG);
	r->func = 5;
	assert_int_equal(decode_err(r, size), -EBADMSG);
	r->func = 0xff;
	assert_int_equal(decode_err(r, size), -EBADMSG);
	free(r);
}

/*
 * REGRESSION for a real bug found in decode_tls at HEAD a4396b1: the check
 * `r->offset + r->len > r->total_len` wrapped in 64 bits, so a record with
 * offset = 2^64 - 5, len = 10, total_len = 100 passed (offset + len == 5) and
 * was decoded as a valid event instead of -EBADMSG. Fixed in the working tree
 * (offset > total_len || len > total_len - offset) while these tests were
 * written.
 */
static void tls_offset_overflow(void **state)
{
	struct warden_rec_tls *r;
	size_t size;

	(void)state;
	r = make_tls(WARDEN_TLS_SSL_WRITE, "0123456789", 10, &size);
	r->total_len = 100;
	r->offset = UINT64_MAX - 4;
	assert_int_equal(decode_err(r, size), -EBADMSG);
	free(r);
}

/*
 * Decode n bytes of rec placed so that they end exactly at a PROT_NONE page:
 * any read past the record's end is a SIGSEGV (cmocka reports it as a
 * failure) instead of going unnoticed.
 */
static int decode_guarded(const void *rec, size_t n)
{
	long page = sysconf(_SC_PAGESIZE);
	struct event ev;
	char *map;
	int r;

	assert_true(n <= (size_t)page);
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + page, page, PROT_NONE), 0);
	memcpy(map + page - n, rec, n);
	r = record_decode(map + page - n, n, MONO_TO_UNIX, &ev);
	munmap(map, 2 * page);
	return r;
}

/*
 * Every truncation of a valid tls record is an error, never a crash, never a
 * read past the end. (At HEAD a4396b1 decode_tls read r->func before checking
 * size, so records of 64..112 bytes read past their end: caught here.)
 */
static void tls_every_truncation(void **state)
{
	struct warden_rec_tls *r;
	size_t size;

	(void)state;
	r = make_tls(WARDEN_TLS_SSL_READ, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 38, &size);
	assert_int_equal(decode_err(r, size), 0);
	assert_int_equal(decode_guarded(r, size), 0);
	for (size_t n = 0; n < size; n++) {
		/* Header still claiming the full size... */
		int ret = decode_guarded(r, n);

		if (ret != -EBADMSG)
			fail_msg("truncated to %zu of %zu bytes (hdr.size %zu): %d", n, size, size,
				 ret);
		/* ...and a header that agrees with the truncated size. */
		if (n >= sizeof(struct warden_rec_hdr)) {
			r->hdr.size = n;
			ret = decode_guarded(r, n);
			r->hdr.size = size;
			if (ret != -EBADMSG)
				fail_msg("truncated to %zu bytes (hdr.size %zu): %d", n, n, ret);
		}
	}
	free(r);
}

/* The same for exec and connect records, every length below their minimum. */
static void every_truncation_other_types(void **state)
{
	struct warden_rec_connect c;
	struct warden_rec_exec *x;
	size_t size;

	(void)state;
	/* A connect is sent up to its path's end: shorter fails, that much or more decodes. */
	make_connect(&c);
	c.remote.family = AF_UNIX;
	memcpy(c.unix_path, "/run/x.sock", 11);
	c.unix_path_len = 11;
	for (size_t n = sizeof(struct warden_rec_hdr); n <= sizeof(c); n++) {
		c.hdr.size = n;
		assert_int_equal(
			decode_guarded(&c, n),
			n < offsetof(struct warden_rec_connect, unix_path) + 11 ? -EBADMSG : 0);
	}
	x = make_exec(&size);
	for (size_t n = sizeof(struct warden_rec_hdr); n < size; n++) {
		x->hdr.size = n;
		assert_int_equal(decode_guarded(x, n), -EBADMSG);
	}
	x->hdr.size = size;
	assert_int_equal(decode_guarded(x, size), 0);
	free(x);
}

/* ---- lib_map -------------------------------------------------------------- */

static void lib_map_record(void **state)
{
	struct warden_rec_lib_map r;
	struct event ev;
	void *copy;

	(void)state;
	memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, WARDEN_REC_LIB_MAP, 0, sizeof(r));
	fill_task(&r.task);
	r.dev = 8ull << 20 | 1;
	r.ino = 0x123456789ull;
	memset(&ev, 0xa5, sizeof(ev));
	assert_int_equal(decode_copy(&r, sizeof(r), &ev, &copy), 0);
	assert_int_equal(ev.type, EVENT_LIB_MAP);
	check_task(&ev);
	assert_int_equal(ev.lib_map.dev, 8ull << 20 | 1);
	assert_int_equal(ev.lib_map.ino, 0x123456789ull);
	free(copy);

	r.hdr.size = sizeof(r) - 8;
	assert_int_equal(decode_err(&r, sizeof(r) - 8), -EBADMSG);
}

/* ---- dns ------------------------------------------------------------------ */

/* A reply for example.com A 93.184.215.14, as a resolver reads it. */
static const uint8_t dns_reply[] = {
	0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, /* header */
	0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x03, 'c', 'o', 'm', 0x00, 0x00, 0x01, 0x00, 0x01,
	0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x04, 93, 184, 215, 14,
};

static struct warden_rec_dns *make_dns(const void *data, uint32_t len, uint32_t total_len,
				       unsigned int flags, size_t *size)
{
	struct warden_rec_dns *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	*size = offsetof(struct warden_rec_dns, data) + len;
	fill_hdr(&r->hdr, WARDEN_REC_DNS, flags, *size);
	fill_task(&r->task);
	r->fd = 3;
	r->len = len;
	r->total_len = total_len;
	r->server.family = AF_INET;
	r->server.port = 53;
	memcpy(r->server.addr, "\x0a\xff\xff\x35", 4);
	memcpy(r->data, data, len);
	return r;
}

static void dns_record(void **state)
{
	struct warden_rec_dns *r;
	struct event ev;
	size_t size;
	void *copy;

	(void)state;
	r = make_dns(dns_reply, sizeof(dns_reply), sizeof(dns_reply), 0, &size);
	assert_int_equal(size, 104 + sizeof(dns_reply));
	memset(&ev, 0xa5, sizeof(ev));
	assert_int_equal(decode_copy(r, size, &ev, &copy), 0);
	assert_int_equal(ev.type, EVENT_DNS_ANSWER);
	check_task(&ev);
	assert_int_equal(ev.dns.fd, 3);
	assert_int_equal(ev.dns.server.family, AF_INET);
	assert_int_equal(ev.dns.server.port, 53);
	assert_memory_equal(ev.dns.server.addr, "\x0a\xff\xff\x35", 4);
	assert_int_equal(ev.dns.len, sizeof(dns_reply));
	assert_int_equal(ev.dns.total_len, sizeof(dns_reply));
	/* Borrowed from the record, not copied. */
	assert_ptr_equal(ev.dns.data, (const uint8_t *)copy + 104);
	assert_memory_equal(ev.dns.data, dns_reply, sizeof(dns_reply));
	assert_null(ev.dns.msg);
	free(copy);
	assert_int_equal(decode_guarded(r, size), 0);
	free(r);

	/* Cut by the capture: total_len larger, with the flag. */
	r = make_dns(dns_reply, 20, 1500, WARDEN_F_TRUNCATED, &size);
	assert_int_equal(decode_copy(r, size, &ev, &copy), 0);
	assert_int_equal(ev.dns.len, 20);
	assert_int_equal(ev.dns.total_len, 1500);
	free(copy);
	free(r);

	/* An empty datagram and one of exactly WARDEN_DNS_MAX bytes. */
	r = make_dns(dns_reply, 0, 0, 0, &size);
	assert_int_equal(decode_err(r, size), 0);
	free(r);
	{
		static uint8_t big[WARDEN_DNS_MAX];

		r = make_dns(big, WARDEN_DNS_MAX, WARDEN_DNS_MAX, 0, &size);
		assert_int_equal(size, sizeof(struct warden_rec_dns));
		assert_int_equal(decode_err(r, size), 0);
		free(r);
	}
}

/* Sizes that lie: len against the record's size, the maximum, total_len. */
static void dns_malformed(void **state)
{
	struct warden_rec_dns *r;
	size_t size;

	(void)state;
	r = make_dns(dns_reply, sizeof(dns_reply), sizeof(dns_reply), 0, &size);
	/* len larger / smaller than the bytes delivered */
	r->len = sizeof(dns_reply) + 1;
	assert_int_equal(decode_err(r, size), -EBADMSG);
	r->len = sizeof(dns_reply) - 1;
	assert_int_equal(decode_err(r, size), -EBADMSG);
	/* len beyond WARDEN_DNS_MAX, with a size that agrees (never from the kernel) */
	r->len = WARDEN_DNS_MAX + 1;
	r->total_len = WARDEN_DNS_MAX + 1;
	r->hdr.size = 104 + WARDEN_DNS_MAX + 1;
	{
		uint8_t *big = calloc(1, 104 + WARDEN_DNS_MAX + 1);

		assert_non_null(big);
		memcpy(big, r, 104);
		assert_int_equal(decode_err(big, 104 + WARDEN_DNS_MAX + 1), -EBADMSG);
		free(big);
	}
	r->hdr.size = size;
	/* total_len smaller than len */
	r->len = sizeof(dns_reply);
	r->total_len = sizeof(dns_reply) - 1;
	assert_int_equal(decode_err(r, size), -EBADMSG);
	/* total_len larger without the truncation flag */
	r->total_len = sizeof(dns_reply) + 1;
	assert_int_equal(decode_err(r, size), -EBADMSG);
	r->hdr.flags = WARDEN_F_TRUNCATED;
	assert_int_equal(decode_err(r, size), 0);
	free(r);
}

/* Every truncation of a valid dns record is an error, never a read past the end. */
static void dns_every_truncation(void **state)
{
	struct warden_rec_dns *r;
	size_t size;

	(void)state;
	r = make_dns(dns_reply, sizeof(dns_reply), sizeof(dns_reply), 0, &size);
	for (size_t n = 0; n < size; n++) {
		assert_int_equal(decode_guarded(r, n), -EBADMSG);
		if (n >= sizeof(struct warden_rec_hdr)) {
			r->hdr.size = n;
			assert_int_equal(decode_guarded(r, n), -EBADMSG);
			r->hdr.size = size;
		}
	}
	assert_int_equal(decode_guarded(r, size), 0);
	free(r);
}

/* ---- header --------------------------------------------------------------- */

static void header_malformed(void **state)
{
	struct warden_rec_fork r;

	(void)state;
	memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, WARDEN_REC_FORK, 0, sizeof(r));
	fill_task(&r.task);
	assert_int_equal(decode_err(&r, sizeof(r)), 0);
	/* Smaller than header + task. */
	for (size_t n = 0; n < sizeof(struct warden_rec_hdr) + sizeof(struct warden_task); n++) {
		r.hdr.size = n;
		assert_int_equal(decode_err(&r, n), -EBADMSG);
	}
	/* hdr.size disagrees with the delivered size. */
	r.hdr.size = sizeof(r) + 8;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.hdr.size = sizeof(r) - 8;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
	r.hdr.size = 0;
	assert_int_equal(decode_err(&r, sizeof(r)), -EBADMSG);
}

static void header_unknown_type(void **state)
{
	struct warden_rec_fork r;
	struct event ev;

	(void)state;
	memset(&r, 0, sizeof(r));
	fill_task(&r.task);
	fill_hdr(&r.hdr, 0, 0, sizeof(r));
	assert_int_equal(decode_err(&r, sizeof(r)), -EPROTONOSUPPORT);
	/* The last number below the counters' range: never assigned before the end. */
	fill_hdr(&r.hdr, WARDEN_REC_TYPE_MAX - 1, 0, sizeof(r));
	assert_int_equal(decode_err(&r, sizeof(r)), -EPROTONOSUPPORT);
	fill_hdr(&r.hdr, WARDEN_REC_TYPE_MAX, 0, sizeof(r));
	assert_int_equal(decode_err(&r, sizeof(r)), -EPROTONOSUPPORT);
	fill_hdr(&r.hdr, 0xffff, 0, sizeof(r));
	assert_int_equal(record_decode(&r, sizeof(r), 0, &ev), -EPROTONOSUPPORT);
	/* A malformed size wins over an unknown type. */
	fill_hdr(&r.hdr, WARDEN_REC_TYPE_MAX - 1, 0, 8);
	assert_int_equal(decode_err(&r, 8), -EBADMSG);
}

static void mono_offset_applied(void **state)
{
	struct warden_rec_fork r;
	struct event ev;

	(void)state;
	memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, WARDEN_REC_FORK, 0, sizeof(r));
	fill_task(&r.task);
	r.hdr.ktime = 5000000000ull;
	assert_int_equal(record_decode(&r, sizeof(r), 0, &ev), 0);
	assert_int_equal(ev.ts, 5000000000ull);
	assert_int_equal(record_decode(&r, sizeof(r), 1000, &ev), 0);
	assert_int_equal(ev.ts, 5000001000ull);
	assert_int_equal(record_decode(&r, sizeof(r), -1000000000ll, &ev), 0);
	assert_int_equal(ev.ts, 4000000000ull);
}

/* ---- dev_t ---------------------------------------------------------------- */

static void kdev_roundtrip(void **state)
{
	uint64_t kdev = 259ull << 20 | 3;
	uint64_t dev;

	(void)state;
	dev = record_kdev_to_dev(kdev);
	assert_int_equal(major(dev), 259);
	assert_int_equal(minor(dev), 3);
	assert_int_equal(dev, makedev(259, 3));
	assert_int_equal(record_dev_to_kdev(dev), kdev);
	assert_int_equal(record_dev_to_kdev(makedev(259, 3)), kdev);

	/* sda1 and a minor using all 20 bits. */
	assert_int_equal(record_kdev_to_dev(8ull << 20 | 1), makedev(8, 1));
	dev = record_kdev_to_dev(0xfffull << 20 | 0xfffff);
	assert_int_equal(major(dev), 0xfff);
	assert_int_equal(minor(dev), 0xfffff);
	assert_int_equal(record_dev_to_kdev(dev), 0xfffull << 20 | 0xfffff);
	assert_int_equal(record_kdev_to_dev(0), 0);
	assert_int_equal(record_dev_to_kdev(0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(file_open_record),
		cmocka_unit_test(io_uring_record),
		cmocka_unit_test(listen_record),
		cmocka_unit_test(accept_record),
		cmocka_unit_test(file_change_record),
		cmocka_unit_test(fork_record),
		cmocka_unit_test(exec_record),
		cmocka_unit_test(exec_record_limits),
		cmocka_unit_test(exec_malformed),
		cmocka_unit_test(exit_record),
		cmocka_unit_test(exit_malformed),
		cmocka_unit_test(connect_inet),
		cmocka_unit_test(connect_inet6),
		cmocka_unit_test(connect_unix_pathname),
		cmocka_unit_test(connect_unix_abstract),
		cmocka_unit_test(connect_sized),
		cmocka_unit_test(connect_malformed),
		cmocka_unit_test(tls_record_fields),
		cmocka_unit_test(tls_record_func_and_flags),
		cmocka_unit_test(tls_record_limits),
		cmocka_unit_test(tls_malformed),
		cmocka_unit_test(tls_offset_overflow),
		cmocka_unit_test(tls_every_truncation),
		cmocka_unit_test(every_truncation_other_types),
		cmocka_unit_test(lib_map_record),
		cmocka_unit_test(dns_record),
		cmocka_unit_test(dns_malformed),
		cmocka_unit_test(dns_every_truncation),
		cmocka_unit_test(header_malformed),
		cmocka_unit_test(header_unknown_type),
		cmocka_unit_test(mono_offset_applied),
		cmocka_unit_test(kdev_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

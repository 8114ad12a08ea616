// SPDX-License-Identifier: Apache-2.0
/* Raw BPF records -> events. See record.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/types.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>

#include "warden/event.h"
#include "warden/events.h"
#include "warden/record.h"

uint64_t record_kdev_to_dev(uint64_t kdev)
{
	return makedev(kdev >> 20, kdev & 0xfffff);
}

uint64_t record_dev_to_kdev(uint64_t dev)
{
	return (uint64_t)major(dev) << 20 | minor(dev);
}

static void task_copy(struct event *ev, const struct warden_rec_hdr *h, const struct warden_task *t,
		      int64_t mono_to_unix_ns)
{
	ev->ts = h->ktime + mono_to_unix_ns;
	ev->pid = t->pid;
	ev->tid = t->tid;
	ev->ppid = t->ppid;
	ev->uid = t->uid;
	ev->pid_start_ns = t->start_time;
	ev->cgroup_id = t->cgroup_id;
	memcpy(ev->comm, t->comm, WARDEN_COMM_LEN);
	ev->comm[WARDEN_COMM_LEN] = 0;
}

static void addr_copy(struct event_addr *dst, const struct warden_sockaddr *src)
{
	dst->family = src->family;
	dst->port = src->port;
	memcpy(dst->addr, src->addr, sizeof(dst->addr));
}

static const char *tls_func_name(unsigned int f)
{
	switch (f) {
	case WARDEN_TLS_SSL_WRITE:
		return "SSL_write";
	case WARDEN_TLS_SSL_WRITE_EX:
		return "SSL_write_ex";
	case WARDEN_TLS_SSL_READ:
		return "SSL_read";
	case WARDEN_TLS_SSL_READ_EX:
		return "SSL_read_ex";
	default:
		return NULL;
	}
}

/*
 * A path a dentry walk gave (path.bpf.h): its state one of those up to max,
 * and NUL-terminated when there is one.
 */
static bool resolved_valid(__u8 state, __u8 max, __u16 len, const char *path)
{
	if (state > max)
		return false;
	return state == WARDEN_RESOLVED_NONE || (len < WARDEN_OPEN_PATH_MAX && path[len] == 0);
}

static int decode_exec(const struct warden_rec_exec *r, size_t size, struct event *ev)
{
	size_t fixed = offsetof(struct warden_rec_exec, args);

	if (size < fixed || r->args_len > WARDEN_ARGS_MAX || size != fixed + r->args_len ||
	    r->filename_len >= WARDEN_FILENAME_MAX || r->filename[r->filename_len] != 0)
		return -EBADMSG;
	if (!resolved_valid(r->cwd_resolved, WARDEN_RESOLVED_CUT, r->cwd_len, r->cwd))
		return -EBADMSG;
	ev->type = EVENT_PROCESS_EXEC;
	ev->exec.cwd = r->cwd_resolved != WARDEN_RESOLVED_NONE ? r->cwd : NULL;
	ev->exec.cwd_len = ev->exec.cwd ? r->cwd_len : 0;
	ev->exec.cwd_cut = r->cwd_resolved == WARDEN_RESOLVED_CUT;
	ev->exec.filename = r->filename;
	ev->exec.args = r->args;
	ev->exec.args_len = r->args_len;
	ev->exec.args_total = r->args_total;
	ev->exec.args_truncated = r->hdr.flags & WARDEN_F_TRUNCATED;
	ev->exec.agent_name = r->hdr.flags & WARDEN_F_AGENT_NAME;
	ev->exec.exe_dev = r->exe_dev;
	ev->exec.exe_ino = r->exe_ino;
	ev->exec.old_pid = r->old_pid;
	return 0;
}

/* The bytes of a UNIX socket's name: a pathname one ends at its NUL, an abstract one starts with NUL. */
static uint16_t unix_path_len(const char *path, uint16_t len)
{
	return len && path[0] ? strnlen(path, len) : len;
}

static int decode_connect(const struct warden_rec_connect *r, size_t size, struct event *ev)
{
	const size_t fixed = WARDEN_CONNECT_INET_SIZE;

	/* An inet connect ends where the path would start; the path's bytes must all be there. */
	if (size < fixed || size > sizeof(*r) || r->unix_path_len > WARDEN_UNIX_PATH_MAX ||
	    r->unix_path_len > size - fixed)
		return -EBADMSG;
	ev->type = r->hdr.flags & WARDEN_F_ASYNC ? EVENT_NET_CONNECT_RESULT : EVENT_NET_CONNECT;
	ev->connect.fd = r->fd;
	ev->connect.result = r->ret;
	addr_copy(&ev->connect.remote, &r->remote);
	ev->connect.unix_path = r->unix_path;
	ev->connect.unix_path_len = unix_path_len(r->unix_path, r->unix_path_len);
	return 0;
}

static int decode_listen(const struct warden_rec_listen *r, size_t size, struct event *ev)
{
	if (size != sizeof(*r) || r->unix_path_len > WARDEN_UNIX_PATH_MAX)
		return -EBADMSG;
	ev->type = EVENT_NET_LISTEN;
	ev->listen.fd = r->fd;
	ev->listen.result = r->ret;
	ev->listen.backlog = r->backlog;
	addr_copy(&ev->listen.local, &r->local);
	ev->listen.unix_path = r->unix_path;
	ev->listen.unix_path_len = unix_path_len(r->unix_path, r->unix_path_len);
	return 0;
}

static int decode_accept(const struct warden_rec_accept *r, size_t size, struct event *ev)
{
	/* A connection's fd: never negative (failures are not reported). */
	if (size != sizeof(*r) || r->ret < 0 || r->local.family != r->remote.family)
		return -EBADMSG;
	ev->type = EVENT_NET_ACCEPT;
	ev->accept.fd = r->fd;
	ev->accept.conn_fd = r->ret;
	ev->accept.io_uring = r->hdr.flags & WARDEN_F_IO_URING;
	addr_copy(&ev->accept.local, &r->local);
	addr_copy(&ev->accept.remote, &r->remote);
	return 0;
}

static int decode_file_change(const struct warden_rec_file_change *r, size_t size, struct event *ev)
{
	bool own_file;

	if (size != sizeof(*r) || r->op < WARDEN_FCHANGE_UNLINK ||
	    r->op > WARDEN_FCHANGE_TRUNCATE || r->path_len >= WARDEN_OPEN_PATH_MAX ||
	    r->path[r->path_len] != 0 || r->path2_len >= WARDEN_OPEN_PATH_MAX ||
	    r->path2[r->path2_len] != 0)
		return -EBADMSG;
	/*
	 * A directory is walked, for a path to join (no file is left, or made
	 * yet, to walk); the file itself only when an fd names it, no path.
	 */
	own_file = r->resolved == WARDEN_RESOLVED_FULL || r->resolved == WARDEN_RESOLVED_CUT;
	if ((own_file && (r->path_len || !(r->flags & AT_EMPTY_PATH))) ||
	    !resolved_valid(r->resolved, WARDEN_RESOLVED_DIR_CUT, r->resolved_len,
			    r->resolved_path))
		return -EBADMSG;
	/* path2's directory: walked only for a rename's or link's new path. */
	if ((r->resolved2 != WARDEN_RESOLVED_NONE &&
	     (r->resolved2 < WARDEN_RESOLVED_DIR_FULL ||
	      (r->op != WARDEN_FCHANGE_RENAME && r->op != WARDEN_FCHANGE_LINK))) ||
	    !resolved_valid(r->resolved2, WARDEN_RESOLVED_DIR_CUT, r->resolved2_len,
			    r->resolved_path2))
		return -EBADMSG;
	ev->type = EVENT_FILE_UNLINK + (r->op - WARDEN_FCHANGE_UNLINK);
	ev->fchange.path = r->path;
	ev->fchange.path_len = r->path_len;
	ev->fchange.path_truncated = r->hdr.flags & WARDEN_F_TRUNCATED;
	ev->fchange.path_fault = r->hdr.flags & WARDEN_F_READ_FAULT;
	if (r->op == WARDEN_FCHANGE_RENAME || r->op == WARDEN_FCHANGE_LINK ||
	    r->op == WARDEN_FCHANGE_SYMLINK) {
		ev->fchange.path2 = r->path2;
		ev->fchange.path2_len = r->path2_len;
		ev->fchange.path2_truncated = r->hdr.flags & WARDEN_F_TRUNCATED2;
		ev->fchange.path2_fault = r->hdr.flags & WARDEN_F_READ_FAULT2;
	}
	if (r->resolved2 != WARDEN_RESOLVED_NONE) {
		ev->fchange.dir2 = r->resolved_path2;
		ev->fchange.dir2_len = r->resolved2_len;
		ev->fchange.dir2_cut = r->resolved2 == WARDEN_RESOLVED_DIR_CUT;
	}
	ev->fchange.dfd = r->dfd;
	ev->fchange.dfd2 = r->dfd2;
	ev->fchange.flags = r->flags;
	ev->fchange.mode = r->mode;
	ev->fchange.uid = r->uid;
	ev->fchange.gid = r->gid;
	ev->fchange.length = r->length;
	ev->fchange.result = r->ret;
	if (own_file) {
		ev->fchange.file = r->resolved_path;
		ev->fchange.file_len = r->resolved_len;
		ev->fchange.file_cut = r->resolved == WARDEN_RESOLVED_CUT;
	} else if (r->resolved != WARDEN_RESOLVED_NONE) {
		ev->fchange.dir = r->resolved_path;
		ev->fchange.dir_len = r->resolved_len;
		ev->fchange.dir_cut = r->resolved == WARDEN_RESOLVED_DIR_CUT;
	}
	return 0;
}

static int decode_tls(const struct warden_rec_tls *r, size_t size, struct event *ev)
{
	size_t fixed = offsetof(struct warden_rec_tls, data);
	const char *func;

	if (size < fixed)
		return -EBADMSG;
	func = tls_func_name(r->func);
	if (r->len > WARDEN_TLS_CHUNK || size != fixed + r->len || !func ||
	    r->offset > r->total_len || r->len > r->total_len - r->offset)
		return -EBADMSG;
	ev->type = r->func <= WARDEN_TLS_SSL_WRITE_EX ? EVENT_TLS_WRITE : EVENT_TLS_READ;
	ev->tls.conn = r->conn_id;
	ev->tls.call = r->call_id;
	ev->tls.offset = r->offset;
	ev->tls.stream_offset = r->stream_offset;
	ev->tls.total_len = r->total_len;
	ev->tls.ssl = r->ssl;
	ev->tls.data = r->data;
	ev->tls.len = r->len;
	ev->tls.fd = r->fd;
	ev->tls.func = func;
	addr_copy(&ev->tls.local, &r->local);
	addr_copy(&ev->tls.remote, &r->remote);
	ev->tls.truncated = r->hdr.flags & WARDEN_F_TRUNCATED;
	ev->tls.fault = r->hdr.flags & WARDEN_F_READ_FAULT;
	ev->tls.last = r->hdr.flags & WARDEN_F_LAST;
	return 0;
}

static int decode_dns(const struct warden_rec_dns *r, size_t size, struct event *ev)
{
	size_t fixed = offsetof(struct warden_rec_dns, data);

	if (size < fixed)
		return -EBADMSG;
	/* len says what follows; total_len can only be larger when the copy was cut. */
	if (r->len > WARDEN_DNS_MAX || size != fixed + r->len || r->len > r->total_len ||
	    (r->len < r->total_len && !(r->hdr.flags & WARDEN_F_TRUNCATED)))
		return -EBADMSG;
	ev->type = EVENT_DNS_ANSWER;
	ev->dns.fd = r->fd;
	addr_copy(&ev->dns.server, &r->server);
	ev->dns.data = r->data;
	ev->dns.len = r->len;
	ev->dns.total_len = r->total_len;
	ev->dns.msg = NULL;
	return 0;
}

static int decode_file_open(const struct warden_rec_file_open *r, size_t size, struct event *ev)
{
	if (size != sizeof(*r) || r->path_len >= WARDEN_OPEN_PATH_MAX || r->path[r->path_len] != 0)
		return -EBADMSG;
	if (!resolved_valid(r->resolved, WARDEN_RESOLVED_DIR_CUT, r->resolved_len,
			    r->resolved_path))
		return -EBADMSG;
	ev->type = EVENT_FILE_OPEN;
	ev->file.path = r->path;
	ev->file.path_len = r->path_len;
	ev->file.path_truncated = r->hdr.flags & WARDEN_F_TRUNCATED;
	ev->file.path_fault = r->hdr.flags & WARDEN_F_READ_FAULT;
	ev->file.late_read = r->hdr.flags & WARDEN_F_LATE_READ;
	ev->file.resolved = r->resolved != WARDEN_RESOLVED_NONE ? r->resolved_path : NULL;
	ev->file.resolved_len = ev->file.resolved ? r->resolved_len : 0;
	ev->file.resolved_cut = r->resolved == WARDEN_RESOLVED_CUT ||
				r->resolved == WARDEN_RESOLVED_DIR_CUT;
	ev->file.resolved_dir = r->resolved == WARDEN_RESOLVED_DIR_FULL ||
				r->resolved == WARDEN_RESOLVED_DIR_CUT;
	ev->file.dirfd = r->dirfd;
	ev->file.flags = r->flags;
	ev->file.mode = r->mode;
	ev->file.result = r->ret;
	ev->file.openat2 = r->openat2;
	return 0;
}

/* Which of an io_uring record's paths its request has (the kernel side fills only those). */
static void io_uring_paths_of(uint8_t op, uint16_t family, bool *path, bool *path2)
{
	switch (op) {
	case IORING_OP_OPENAT:
	case IORING_OP_OPENAT2:
	case IORING_OP_UNLINKAT:
	case IORING_OP_MKDIRAT:
		*path = true;
		break;
	case IORING_OP_RENAMEAT:
	case IORING_OP_LINKAT:
	case IORING_OP_SYMLINKAT:
		*path = *path2 = true;
		break;
	case IORING_OP_CONNECT:
		*path = family == AF_UNIX;
		break;
	default:
		break;
	}
}

static int decode_io_uring(const struct warden_rec_io_uring *r, size_t size, struct event *ev)
{
	bool path = false, path2 = false;

	if (size != sizeof(*r) || r->path_len >= WARDEN_OPEN_PATH_MAX ||
	    r->path[r->path_len] != 0 || r->path2_len >= WARDEN_OPEN_PATH_MAX ||
	    r->path2[r->path2_len] != 0)
		return -EBADMSG;
	io_uring_paths_of(r->opcode, r->remote.family, &path, &path2);
	/* Only a directory is walked, and only for a path of the request's. */
	if (r->resolved == WARDEN_RESOLVED_FULL || r->resolved == WARDEN_RESOLVED_CUT ||
	    (r->resolved != WARDEN_RESOLVED_NONE && (!path || r->opcode == IORING_OP_CONNECT)) ||
	    r->resolved_of_path2 > 1 ||
	    (r->resolved_of_path2 && r->opcode != IORING_OP_RENAMEAT &&
	     r->opcode != IORING_OP_LINKAT) ||
	    !resolved_valid(r->resolved, WARDEN_RESOLVED_DIR_CUT, r->resolved_len,
			    r->resolved_path))
		return -EBADMSG;
	if (r->resolved != WARDEN_RESOLVED_NONE) {
		ev->io_uring.dir = r->resolved_path;
		ev->io_uring.dir_len = r->resolved_len;
		ev->io_uring.dir_cut = r->resolved == WARDEN_RESOLVED_DIR_CUT;
		ev->io_uring.dir_of_path2 = r->resolved_of_path2;
	}
	ev->type = EVENT_IO_URING;
	ev->io_uring.opcode = r->opcode;
	ev->io_uring.sq_thread = r->sq_thread;
	ev->io_uring.user_data = r->user_data;
	if (path) {
		ev->io_uring.path = r->path;
		ev->io_uring.path_len = r->path_len;
		ev->io_uring.path_truncated = r->hdr.flags & WARDEN_F_TRUNCATED;
		ev->io_uring.path_fault = r->hdr.flags & WARDEN_F_READ_FAULT;
	}
	if (path2) {
		ev->io_uring.path2 = r->path2;
		ev->io_uring.path2_len = r->path2_len;
		ev->io_uring.path2_truncated = r->hdr.flags & WARDEN_F_TRUNCATED2;
		ev->io_uring.path2_fault = r->hdr.flags & WARDEN_F_READ_FAULT2;
	}
	ev->io_uring.dfd = r->dfd;
	ev->io_uring.dfd2 = r->dfd2;
	ev->io_uring.flags = r->flags;
	addr_copy(&ev->io_uring.remote, &r->remote);
	return 0;
}

int record_decode(const void *data, size_t size, int64_t mono_to_unix_ns, struct event *ev)
{
	const struct warden_rec_hdr *h = data;
	/* Every record starts with {hdr, task}: check that much once. */
	const struct warden_task *t = (const void *)(h + 1);

	memset(ev, 0, sizeof(*ev));
	if (size < sizeof(*h) + sizeof(*t) || h->size != size)
		return -EBADMSG;
	task_copy(ev, h, t, mono_to_unix_ns);

	switch (h->type) {
	case WARDEN_REC_FORK: {
		const struct warden_rec_fork *r = data;

		if (size != sizeof(*r))
			return -EBADMSG;
		ev->type = EVENT_PROCESS_FORK;
		ev->fork.parent_start_ns = r->parent_start_time;
		return 0;
	}
	case WARDEN_REC_EXEC:
		return decode_exec(data, size, ev);
	case WARDEN_REC_EXIT: {
		const struct warden_rec_exit *r = data;

		if (size != sizeof(*r))
			return -EBADMSG;
		ev->type = EVENT_PROCESS_EXIT;
		ev->exit.status = (r->exit_code >> 8) & 0xff;
		ev->exit.signal = r->exit_code & 0x7f;
		ev->exit.core_dumped = r->exit_code & 0x80;
		return 0;
	}
	case WARDEN_REC_CONNECT:
		return decode_connect(data, size, ev);
	case WARDEN_REC_TLS_DATA:
		return decode_tls(data, size, ev);
	case WARDEN_REC_LIB_MAP: {
		const struct warden_rec_lib_map *r = data;

		if (size != sizeof(*r))
			return -EBADMSG;
		ev->type = EVENT_LIB_MAP;
		ev->lib_map.dev = r->dev;
		ev->lib_map.ino = r->ino;
		return 0;
	}
	case WARDEN_REC_DNS:
		return decode_dns(data, size, ev);
	case WARDEN_REC_FILE_OPEN:
		return decode_file_open(data, size, ev);
	case WARDEN_REC_IO_URING:
		return decode_io_uring(data, size, ev);
	case WARDEN_REC_LISTEN:
		return decode_listen(data, size, ev);
	case WARDEN_REC_FILE_CHANGE:
		return decode_file_change(data, size, ev);
	case WARDEN_REC_ACCEPT:
		return decode_accept(data, size, ev);
	default:
		return -EPROTONOSUPPORT;
	}
}

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel <-> userspace ABI of Warden: every record the BPF programs put
 * in the ring buffer, the per-CPU statistics slots, and the limits both sides
 * agree on. Included by the bpf/ programs (after vmlinux.h) and by userspace (after
 * <linux/types.h>). Fixed-width types only, explicit padding, and a
 * _Static_assert on every size so that a change on one side cannot silently
 * shift the other. Record type numbers are never reused.
 */
#ifndef WARDEN_EVENTS_H
#define WARDEN_EVENTS_H

#define WARDEN_COMM_LEN 16
#define WARDEN_FILENAME_MAX 512 /* exec filename bytes kept */
#define WARDEN_ARGS_MAX 4096 /* exec argv bytes kept (NUL-separated) */
#define WARDEN_UNIX_PATH_MAX 108 /* sizeof(sockaddr_un.sun_path) */
#define WARDEN_TLS_CHUNK 16384 /* bytes of plaintext per record */
#define WARDEN_TLS_CHUNKS_MAX 256 /* chunks per SSL call: 4 MiB hard cap */
#define WARDEN_TLS_CAPTURE_DEFAULT (256 * 1024)
#define WARDEN_TLS_NO_OFFSET (~0ULL) /* warden_rec_tls.stream_offset unknown */
#define WARDEN_DNS_MAX 1232 /* bytes of a DNS reply kept: the EDNS default UDP size */
#define WARDEN_OPEN_PATH_MAX 256 /* bytes of an openat() path kept, NUL included */
#define WARDEN_AGENT_NAMES_MAX 64 /* entries of the agent_names map (--agent names) */

/* Record types. Append only; never renumber or reuse a retired number. */
enum warden_rec_type {
	WARDEN_REC_FORK = 1,
	WARDEN_REC_EXEC = 2,
	WARDEN_REC_EXIT = 3,
	WARDEN_REC_CONNECT = 4,
	WARDEN_REC_TLS_DATA = 5,
	WARDEN_REC_LIB_MAP = 6,
	WARDEN_REC_DNS = 7,
	WARDEN_REC_FILE_OPEN = 8,
	WARDEN_REC_IO_URING = 9,
	WARDEN_REC_LISTEN = 10,
	WARDEN_REC_FILE_CHANGE = 11,
	WARDEN_REC_ACCEPT = 12,
	WARDEN_REC_TYPE_MAX = 16, /* size of the per-type drop counters */
};

/* Record header flags (warden_rec_hdr.flags). */
enum warden_rec_flags {
	WARDEN_F_TRUNCATED = 1 << 0, /* payload shorter than the original */
	WARDEN_F_READ_FAULT = 1 << 1, /* a user/kernel read failed: bytes missing */
	WARDEN_F_LAST = 1 << 2, /* last chunk of a TLS call */
	WARDEN_F_ASYNC = 1 << 3, /* connect: the outcome of an earlier non-blocking connect */
	WARDEN_F_AGENT_NAME = 1 << 4, /* exec: the new comm is in agent_names: made a CANDIDATE */
	WARDEN_F_LATE_READ = 1 << 5, /* file open: path or open_how read at the syscall's exit */
	WARDEN_F_TRUNCATED2 =
		1 << 6, /* io_uring, file change: path2 cut (path's: WARDEN_F_TRUNCATED) */
	WARDEN_F_READ_FAULT2 = 1 << 7, /* io_uring, file change: path2 unreadable */
	WARDEN_F_IO_URING = 1 << 8, /* accept: taken in by an io_uring request, at its completion */
};

/* Per-CPU statistics slots (map "stats"). Append only. */
enum warden_stat {
	/* [0, WARDEN_REC_TYPE_MAX): ring-buffer reservations lost, by record type */
	WARDEN_STAT_RB_DROP = 0,
	WARDEN_STAT_READ_FAULT = WARDEN_REC_TYPE_MAX, /* bpf_probe_read_* failed */
	WARDEN_STAT_TLS_STASH_FAIL, /* could not record an SSL_* entry */
	WARDEN_STAT_TLS_NESTED, /* nested SSL_* call folded into its outer call */
	WARDEN_STAT_TLS_TRUNCATED, /* SSL_* calls larger than the capture cap */
	WARDEN_STAT_TLS_ORPHAN_RET, /* SSL_* return without a recorded entry */
	WARDEN_STAT_CONN_UPDATE_FAIL, /* conn table full or update failed */
	WARDEN_STAT_CONNECT_STASH_FAIL, /* connect() entry not recorded */
	WARDEN_STAT_LIBMAP_UPDATE_FAIL,
	WARDEN_STAT_DNS_MARK_FAIL, /* dns_socks full or update failed: a resolver socket missed */
	WARDEN_STAT_DNS_STASH_FAIL, /* recvfrom/recvmsg entry on a DNS socket not recorded */
	WARDEN_STAT_DNS_TRUNCATED, /* DNS replies longer than WARDEN_DNS_MAX (or the buffer) */
	WARDEN_STAT_SESSION_INHERIT_FAIL, /* a member's entry not made (fork, named exec, handover) */
	WARDEN_STAT_SESSION_STALE, /* retired: entries are task storage now, never stale */
	WARDEN_STAT_FILE_STASH_FAIL, /* openat*() entry of a member not recorded */
	WARDEN_STAT_FILE_PATH_TRUNCATED, /* paths longer than WARDEN_OPEN_PATH_MAX - 1 */
	WARDEN_STAT_RB_WAKEUP, /* records that woke wardend at once (an interrupt each) */
	WARDEN_STAT_FILE_LATE_READ, /* open paths or open_hows not paged in at entry, read at exit */
	WARDEN_STAT_IOU_ACCEPT_FAIL, /* an io_uring accept of a member not kept: its peer missed */
	WARDEN_STAT_MAX = 48,
};

struct warden_rec_hdr {
	__u16 type; /* enum warden_rec_type */
	__u16 flags; /* enum warden_rec_flags */
	__u32 size; /* bytes of the whole record, header included */
	__u64 ktime; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
};

/*
 * Who did it. A process is identified by (pid, start_time): pids are reused.
 * start_time is the thread-group leader's start_boottime in ns, which is what
 * /proc/PID/stat field 22 reports in clock ticks.
 */
struct warden_task {
	__u32 pid; /* tgid */
	__u32 tid;
	__u32 ppid; /* real_parent's tgid */
	__u32 uid;
	__u64 start_time;
	__u64 cgroup_id; /* cgroup v2 id of the task */
	char comm[WARDEN_COMM_LEN];
};

struct warden_rec_fork {
	struct warden_rec_hdr hdr;
	struct warden_task task; /* the child */
	__u64 parent_start_time;
};

/* How much of a path a walk of its dentries gave (file opens, working directories). */
enum warden_resolved {
	WARDEN_RESOLVED_NONE =
		0, /* none: an absolute or unreadable path, a process in no session */
	WARDEN_RESOLVED_FULL = 1, /* the whole path */
	WARDEN_RESOLVED_CUT = 2, /* the path's tail: too long or too deep */
	/*
	 * A relative path with no file to walk from (a failed open, a file
	 * change): the path of the directory it was relative to (the working
	 * directory or dirfd's), whole or its tail, for userspace to join the
	 * path to.
	 */
	WARDEN_RESOLVED_DIR_FULL = 3,
	WARDEN_RESOLVED_DIR_CUT = 4,
};

struct warden_rec_exec {
	struct warden_rec_hdr hdr;
	struct warden_task task; /* after exec: comm is the new one */
	__u64 exe_dev; /* kernel s_dev encoding: major << 20 | minor */
	__u64 exe_ino;
	__u32 old_pid; /* thread that called execve */
	__u32 args_total; /* true length of the argv area */
	__u16 filename_len; /* bytes in filename[], NUL excluded */
	__u16 args_len; /* bytes in args[] */
	__u16 cwd_len; /* bytes in cwd[], NUL excluded */
	__u8 cwd_resolved; /* enum warden_resolved: NONE outside sessions */
	__u8 _pad0;
	char filename[WARDEN_FILENAME_MAX];
	/* The working directory of a session member, from its root (path.bpf.h). */
	char cwd[WARDEN_OPEN_PATH_MAX];
	char args[WARDEN_ARGS_MAX]; /* NUL-separated; only args_len bytes sent */
};

struct warden_rec_exit {
	struct warden_rec_hdr hdr;
	struct warden_task task;
	__u32 exit_code; /* kernel encoding: status << 8 | signal */
	__u32 _pad0;
};

struct warden_sockaddr {
	__u16 family; /* AF_INET, AF_INET6, AF_UNIX; 0 = unknown */
	__u16 port; /* host byte order */
	__u32 _pad0;
	__u8 addr[16]; /* IPv4 in the first 4 bytes, network order */
};

/*
 * An inet connect is sent without its path: hdr.size is 104
 * (offsetof(unix_path)), not 216, the cost of a ring record growing with
 * its cache lines. A UNIX one is sent whole.
 */
struct warden_rec_connect {
	struct warden_rec_hdr hdr;
	struct warden_task task;
	__s32 fd;
	__s32 ret; /* 0 or -errno; -EINPROGRESS for non-blocking */
	struct warden_sockaddr remote;
	__u16 unix_path_len;
	__u8 _pad0[6];
	char unix_path[WARDEN_UNIX_PATH_MAX]; /* AF_UNIX only; abstract: leading NUL */
	__u8 _pad1[4];
};
/* The bytes an inet connect record is sent in (hdr.size): up to its path. */
#define WARDEN_CONNECT_INET_SIZE __builtin_offsetof(struct warden_rec_connect, unix_path)

/*
 * A listen(), host-wide as connect() is, at its exit: the socket's own
 * address then, which for a socket never bound is the port the kernel has
 * just chosen for it. Sent whole: listens are rare.
 */
struct warden_rec_listen {
	struct warden_rec_hdr hdr;
	struct warden_task task;
	__s32 fd;
	__s32 ret; /* 0 or -errno */
	__s32 backlog; /* as passed */
	__u16 unix_path_len;
	__u8 _pad0[2];
	struct warden_sockaddr local; /* family 0: fd is no socket */
	char unix_path[WARDEN_UNIX_PATH_MAX]; /* AF_UNIX only; abstract: leading NUL */
	__u8 _pad1[4];
};

/*
 * A connection a session member took in: accept() or accept4() that
 * returned one (failures are mostly EAGAIN, a non-blocking server's idle
 * poll: not reported). At the exit, the two ends from the new socket; a
 * bind shell's caller is its remote.
 */
struct warden_rec_accept {
	struct warden_rec_hdr hdr;
	struct warden_task task;
	__u64 session; /* the session id the kernel has for the process */
	__s32 fd; /* the listening socket, as passed */
	__s32 ret; /* the connection's fd */
	struct warden_sockaddr local; /* family 0: the new fd was closed meanwhile */
	struct warden_sockaddr remote; /* AF_UNIX: the family alone */
};

enum warden_tls_func {
	WARDEN_TLS_SSL_WRITE = 1,
	WARDEN_TLS_SSL_WRITE_EX = 2,
	WARDEN_TLS_SSL_READ = 3,
	WARDEN_TLS_SSL_READ_EX = 4,
};

struct warden_rec_tls {
	struct warden_rec_hdr hdr;
	struct warden_task task;
	__u64 conn_id; /* unique per connection, never reused while running */
	__u64 ssl; /* the SSL * (stream key when there is no fd) */
	__u64 call_id; /* same for all chunks of one SSL_* call */
	__u64 total_len; /* bytes the call really moved */
	__u64 offset; /* offset of data[] within the call's bytes */
	/*
	 * Offset of the call's first byte in its direction of the connection
	 * (bytes written, or read, before it): a jump says calls were lost.
	 * WARDEN_TLS_NO_OFFSET when the connection could not be tracked.
	 */
	__u64 stream_offset;
	__s32 fd; /* -1: no syscall seen inside SSL_* (memory BIO) */
	__u32 len; /* bytes in data[] */
	__u8 func; /* enum warden_tls_func */
	__u8 _pad0[7];
	struct warden_sockaddr local;
	struct warden_sockaddr remote;
	__u8 data[WARDEN_TLS_CHUNK]; /* only len bytes sent */
};

/* An executable mapping of a file Warden has not inspected yet. */
struct warden_rec_lib_map {
	struct warden_rec_hdr hdr;
	struct warden_task task;
	__u64 dev; /* kernel s_dev encoding */
	__u64 ino;
};

/*
 * A datagram a process received on a socket it sent DNS queries to (a UDP
 * socket connected to port 53, or one it sent to port 53): the reply as
 * the process read it, cut to WARDEN_DNS_MAX (then WARDEN_F_TRUNCATED).
 */
struct warden_rec_dns {
	struct warden_rec_hdr hdr;
	struct warden_task task;
	__s32 fd;
	__u32 len; /* bytes in data[] */
	__u32 total_len; /* bytes the syscall returned */
	__u32 _pad0;
	struct warden_sockaddr server; /* the peer the reply came from; family 0 = unknown */
	__u8 data[WARDEN_DNS_MAX]; /* only len bytes sent */
};

/*
 * An openat()/openat2() by a member of an agent session (see bpf/session.bpf.c):
 * the arguments as read at entry, the result at exit. Only members are
 * reported; everyone else costs one hash lookup per call.
 */
struct warden_rec_file_open {
	struct warden_rec_hdr hdr;
	struct warden_task task;
	__s32 dirfd; /* AT_FDCWD (-100) or a directory fd */
	__s32 flags; /* O_* (openat2: how.flags, cut to 32 bits: no O_* is above) */
	__u32 mode;
	__s32 ret; /* the new fd, or -errno */
	__u64 session; /* the session id the kernel has for the process */
	__u16 path_len; /* bytes in path[], NUL excluded */
	__u8 openat2; /* 1: openat2(), else openat() */
	__u8 resolved; /* enum warden_resolved */
	__u16 resolved_len; /* bytes in resolved[], NUL excluded */
	__u8 _pad0[2];
	char path[WARDEN_OPEN_PATH_MAX]; /* as passed; NUL-terminated; WARDEN_F_TRUNCATED when cut */
	/*
	 * The file opened, from the process's root (a container's own): the
	 * new fd's dentries, so with symlinks, "..", dirfd and the working
	 * directory resolved. NUL-terminated.
	 */
	char resolved_path[WARDEN_OPEN_PATH_MAX];
};

/* What a file change did (warden_rec_file_change.op). Append only. */
enum warden_file_change_op {
	WARDEN_FCHANGE_UNLINK = 1, /* unlink, unlinkat */
	WARDEN_FCHANGE_RMDIR = 2, /* rmdir, unlinkat(AT_REMOVEDIR) */
	WARDEN_FCHANGE_RENAME = 3, /* rename, renameat, renameat2 */
	WARDEN_FCHANGE_MKDIR = 4, /* mkdir, mkdirat */
	WARDEN_FCHANGE_LINK = 5, /* link, linkat */
	WARDEN_FCHANGE_SYMLINK = 6, /* symlink, symlinkat */
	WARDEN_FCHANGE_CHMOD = 7, /* chmod, fchmodat, fchmodat2, fchmod */
	WARDEN_FCHANGE_CHOWN = 8, /* chown, lchown, fchownat, fchown */
	WARDEN_FCHANGE_TRUNCATE = 9, /* truncate, ftruncate */
};

/*
 * A session member's change to the file tree (see bpf/file.bpf.c), at the
 * syscall's exit with its result; the arguments from the caller's
 * registers and memory then, as connect()'s. Only members are reported.
 */
struct warden_rec_file_change {
	struct warden_rec_hdr hdr;
	struct warden_task task;
	__u64 session; /* the session id the kernel has for the process */
	__u8 op; /* enum warden_file_change_op */
	__u8 resolved; /* enum warden_resolved: see resolved_path */
	__u16 path_len; /* bytes in path[], NUL excluded */
	__u16 path2_len; /* bytes in path2[], NUL excluded */
	__u16 resolved_len; /* bytes in resolved_path[], NUL excluded */
	__s32 dfd; /* the directory path is relative to (AT_FDCWD: the working directory) */
	__s32 dfd2; /* rename, link: the directory path2 is relative to */
	/*
	 * unlinkat: AT_REMOVEDIR; renameat2: RENAME_*; linkat, fchmodat2,
	 * fchownat: AT_*. fchmod, fchown and ftruncate set AT_EMPTY_PATH, as
	 * the kernel reads them: the file is dfd's own, and path is empty.
	 */
	__u32 flags;
	__u32 mode; /* mkdir, chmod */
	__s32 ret; /* 0 or -errno */
	__u32 uid; /* chown: the new owner; (__u32)-1: unchanged, as for any other op */
	__u32 gid; /* chown: the new group; (__u32)-1: unchanged */
	__u8 resolved2; /* enum warden_resolved: see resolved_path2 */
	__u8 _pad0;
	__u16 resolved2_len; /* bytes in resolved_path2[], NUL excluded */
	__s64 length; /* truncate: the size the file is cut (or grown) to, as passed */
	/*
	 * unlink, rmdir, mkdir, chmod, chown, truncate: the path; rename,
	 * link: the old path; symlink: the link
	 */
	char path[WARDEN_OPEN_PATH_MAX];
	/* rename, link: the new path; symlink: what the link points to */
	char path2[WARDEN_OPEN_PATH_MAX];
	/*
	 * A relative path's directory, walked from its dentries (the file may
	 * be gone, or never have been), for userspace to join path, and a
	 * rename's or link's path2 when dfd2 is dfd, to (WARDEN_RESOLVED_DIR_*).
	 * With AT_EMPTY_PATH and no path, the file's own path, walked from
	 * dfd's file (WARDEN_RESOLVED_FULL or _CUT).
	 */
	char resolved_path[WARDEN_OPEN_PATH_MAX];
	/*
	 * rename, link: a relative path2's directory where resolved_path's
	 * does not serve it (dfd2 is another directory, as in mv(1)'s
	 * renameat2(AT_FDCWD, "a", dirfd, "a") into a directory, or path is
	 * absolute): WARDEN_RESOLVED_DIR_* or NONE.
	 */
	char resolved_path2[WARDEN_OPEN_PATH_MAX];
};

/*
 * An io_uring request a session member submitted, of the kinds that reach
 * out (opens, connects, sockets, renames, links, unlinks: see session.bpf.c),
 * seen as the kernel takes it in; the file and connect hooks see none of
 * them. Reads and writes are not reported: they move bytes on files and
 * sockets opened before. The paths are the kernel's copies (taken in by the
 * request's preparation), so a later change of the caller's buffer does not
 * change what is reported.
 */
struct warden_rec_io_uring {
	struct warden_rec_hdr hdr;
	struct warden_task task; /* the submitter (or its ring's SQPOLL thread) */
	__u64 session;
	__u64 user_data; /* the request's tag, as its submitter set it */
	__u8 opcode; /* IORING_OP_* */
	__u8 sq_thread; /* 1: submitted by the ring's SQPOLL kernel thread */
	__u16 path_len; /* bytes in path[], NUL excluded */
	__s32 dfd; /* the directory path is relative to */
	/*
	 * openat/openat2: O_*; unlinkat: AT_REMOVEDIR; renameat: RENAME_*;
	 * linkat: AT_SYMLINK_FOLLOW, AT_EMPTY_PATH; mkdirat: the mode
	 */
	__u32 flags;
	__u16 path2_len; /* bytes in path2[], NUL excluded */
	__u8 resolved; /* enum warden_resolved: WARDEN_RESOLVED_DIR_* or NONE */
	__u8 resolved_of_path2; /* 1: resolved_path is path2's directory (see there) */
	__s32 dfd2; /* renameat, linkat: the directory path2 is relative to */
	__u16 resolved_len; /* bytes in resolved_path[], NUL excluded */
	__u16 _pad1;
	struct warden_sockaddr remote; /* connect: the address; family 0 otherwise */
	/*
	 * openat, openat2, unlinkat, mkdirat: the path; renameat, linkat: the
	 * old path; symlinkat: the link made; connect to AF_UNIX: the socket's
	 * path (abstract: a leading NUL). NUL-terminated.
	 */
	char path[WARDEN_OPEN_PATH_MAX];
	/* renameat, linkat: the new path; symlinkat: what the link points to */
	char path2[WARDEN_OPEN_PATH_MAX];
	/*
	 * A relative path's directory, dfd's or the working directory, walked
	 * as the request is submitted (the file may not be there yet), for
	 * userspace to join path, and path2 when dfd2 is dfd, to. A rename or
	 * link from an absolute path has its relative path2's (dfd2's)
	 * directory here instead, flagged resolved_of_path2.
	 */
	char resolved_path[WARDEN_OPEN_PATH_MAX];
};

/*
 * Value of the "session_members" map: task storage of a process's group
 * leader (userspace's key: a pidfd). The entry goes with the process, so
 * it needs no identity check; start_time says which process it was made
 * for, and matches the leader's on the exec handover (session.bpf.h).
 */
/*
 * Special values of warden_session_member.session. A process that writes
 * what may start an LLM request (an HTTP/1 POST, an HTTP/2 preface) is made
 * a CANDIDATE by the TLS program itself, so that the tools the reply makes
 * it run are traced from their first instruction, before userspace has
 * decoded the request; userspace then sets the session, or NONE (decided:
 * not an agent; not inherited, not traced, not marked again). A process that
 * execs a program whose name is in agent_names (--agent) is made a CANDIDATE
 * by the exec program, and its exec record flagged WARDEN_F_AGENT_NAME.
 */
#define WARDEN_SESSION_CANDIDATE (~0ULL)
#define WARDEN_SESSION_NONE (~0ULL - 1)

struct warden_session_member {
	__u64 session; /* the session.start event id, or one of the values above */
	__u64 start_time; /* the group leader's start_boottime, ns */
};

/*
 * Key of the "agent_names" map: a program name as the kernel keeps it in
 * comm (the basename of what was exec'd, cut to 15 bytes), NUL-padded.
 */
struct warden_comm_key {
	char comm[WARDEN_COMM_LEN];
};

/* Key of the "checked_files" map: files already inspected by userspace. */
struct warden_file_key {
	__u64 dev; /* kernel s_dev encoding */
	__u64 ino;
};

#define WARDEN_ASSERT_SIZE(t, n) _Static_assert(sizeof(t) == (n), #t " ABI size changed")
WARDEN_ASSERT_SIZE(struct warden_rec_hdr, 16);
WARDEN_ASSERT_SIZE(struct warden_task, 48);
WARDEN_ASSERT_SIZE(struct warden_rec_fork, 72);
WARDEN_ASSERT_SIZE(struct warden_rec_exec, 4960);
WARDEN_ASSERT_SIZE(struct warden_rec_exit, 72);
WARDEN_ASSERT_SIZE(struct warden_sockaddr, 24);
WARDEN_ASSERT_SIZE(struct warden_rec_connect, 216);
WARDEN_ASSERT_SIZE(struct warden_rec_tls, 176 + WARDEN_TLS_CHUNK);
WARDEN_ASSERT_SIZE(struct warden_rec_lib_map, 80);
WARDEN_ASSERT_SIZE(struct warden_file_key, 16);
WARDEN_ASSERT_SIZE(struct warden_comm_key, 16);
WARDEN_ASSERT_SIZE(struct warden_rec_dns, 104 + WARDEN_DNS_MAX);
WARDEN_ASSERT_SIZE(struct warden_rec_file_open, 96 + 2 * WARDEN_OPEN_PATH_MAX);
WARDEN_ASSERT_SIZE(struct warden_rec_io_uring, 128 + 3 * WARDEN_OPEN_PATH_MAX);
WARDEN_ASSERT_SIZE(struct warden_rec_listen, 216);
WARDEN_ASSERT_SIZE(struct warden_rec_accept, 128);
WARDEN_ASSERT_SIZE(struct warden_rec_file_change, 120 + 4 * WARDEN_OPEN_PATH_MAX);
WARDEN_ASSERT_SIZE(struct warden_session_member, 16);
_Static_assert(__builtin_offsetof(struct warden_rec_file_open, path) == 96, "file path offset");
_Static_assert(__builtin_offsetof(struct warden_rec_file_open, resolved_path) ==
		       96 + WARDEN_OPEN_PATH_MAX,
	       "resolved path must be last");
_Static_assert(__builtin_offsetof(struct warden_rec_exec, args) == 4960 - WARDEN_ARGS_MAX,
	       "exec args must be last");
_Static_assert(__builtin_offsetof(struct warden_rec_tls, data) == 176, "tls data must be last");
_Static_assert(__builtin_offsetof(struct warden_rec_dns, data) == 104, "dns data must be last");
_Static_assert(__builtin_offsetof(struct warden_rec_dns, server) == 80, "dns server offset");
_Static_assert(WARDEN_CONNECT_INET_SIZE == 104, "connect unix_path offset");
_Static_assert(WARDEN_STAT_IOU_ACCEPT_FAIL < WARDEN_STAT_MAX, "stats slots exhausted");
_Static_assert(__builtin_offsetof(struct warden_rec_io_uring, remote) == 104, "io_uring remote");
_Static_assert(__builtin_offsetof(struct warden_rec_io_uring, path2) == 128 + WARDEN_OPEN_PATH_MAX,
	       "io_uring path2 offset");
_Static_assert(__builtin_offsetof(struct warden_rec_io_uring, resolved_path) ==
		       128 + 2 * WARDEN_OPEN_PATH_MAX,
	       "io_uring resolved_path last");
_Static_assert(__builtin_offsetof(struct warden_rec_listen, local) == 80, "listen local offset");
_Static_assert(__builtin_offsetof(struct warden_rec_accept, local) == 80, "accept local offset");
_Static_assert(__builtin_offsetof(struct warden_rec_file_change, path) == 120, "file change path");
_Static_assert(WARDEN_REC_ACCEPT < WARDEN_REC_TYPE_MAX, "record types exhausted");
_Static_assert((WARDEN_TLS_CHUNK & (WARDEN_TLS_CHUNK - 1)) == 0, "chunk size must be a power of 2");
_Static_assert((WARDEN_ARGS_MAX & (WARDEN_ARGS_MAX - 1)) == 0, "args size must be a power of 2");

#endif /* WARDEN_EVENTS_H */

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one in-memory event type every stage passes on, and its JSON form.
 * An event borrows its strings and bytes (from the ring-buffer record or the
 * process table) for the time it is being handled: building one allocates
 * nothing.
 */
#ifndef WARDEN_EVENT_H
#define WARDEN_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum event_type {
	EVENT_PROCESS_FORK,
	EVENT_PROCESS_EXEC,
	EVENT_PROCESS_EXIT,
	EVENT_NET_CONNECT,
	EVENT_TLS_WRITE,
	EVENT_TLS_READ,
	EVENT_AGENT_STATS,
	EVENT_LIB_MAP, /* internal: a new executable mapping to inspect, never printed */
	EVENT_DNS_ANSWER,
	EVENT_HTTP_REQUEST,
	EVENT_HTTP_RESPONSE,
	EVENT_LLM_REQUEST,
	EVENT_LLM_RESPONSE,
	EVENT_MCP_CALL,
	EVENT_MCP_RESULT,
	EVENT_CAPTURE_BLIND,
	EVENT_DECODE_ERROR,
	EVENT_SESSION_START,
	EVENT_SESSION_END,
	EVENT_FILE_OPEN,
	EVENT_NET_CONNECT_RESULT, /* the outcome of a non-blocking connect (connect member) */
	EVENT_IO_URING, /* an io_uring request a member submitted (io_uring member) */
	EVENT_NET_LISTEN, /* listen() (listen member) */
	/* A member's changes to the file tree (fchange member), in enum warden_file_change_op order. */
	EVENT_FILE_UNLINK,
	EVENT_FILE_RMDIR,
	EVENT_FILE_RENAME,
	EVENT_FILE_MKDIR,
	EVENT_FILE_LINK,
	EVENT_FILE_SYMLINK,
	EVENT_FILE_CHMOD,
	EVENT_FILE_CHOWN,
	EVENT_FILE_TRUNCATE,
	EVENT_NET_ACCEPT, /* a connection a member took in (accept member) */
	EVENT_TYPE_MAX,
};

/* The file.* changes: contiguous in the enum, in enum warden_file_change_op order. */
static inline bool event_is_file_change(enum event_type t)
{
	return t >= EVENT_FILE_UNLINK && t <= EVENT_FILE_TRUNCATE;
}

struct event_addr {
	uint16_t family; /* AF_INET, AF_INET6, AF_UNIX, 0 = unknown */
	uint16_t port;
	uint8_t addr[16];
};

/* Borrowed bytes, not NUL-terminated; ptr NULL when absent. */
struct event_str {
	const char *ptr;
	size_t len;
};

struct dns_message;
struct llm_request;
struct llm_response;

/* Where an application-layer event came from: a TLS connection, one HTTP/2 stream of it. */
struct event_flow {
	uint64_t conn; /* the tls.* events' conn */
	uint32_t stream; /* HTTP/2 stream id; 0 for HTTP/1 */
	uint8_t http_version; /* 11 or 20 */
	struct event_addr remote; /* family 0 when unknown (memory BIOs) */
	struct event_str host; /* Host / :authority, else the DNS name of remote */
};

struct event_stat {
	const char *name;
	uint64_t value;
};

#define EVENT_STATS_MAX 96

/*
 * agent.stats: the daemon's drop and counter tables, kept by whoever makes
 * the event. 3 KiB: inside struct event, every event zeroed or copied on
 * the way (several per TLS record) paid for them.
 */
struct event_stats_tables {
	struct event_stat drops[EVENT_STATS_MAX];
	unsigned int ndrops;
	struct event_stat counters[EVENT_STATS_MAX];
	unsigned int ncounters;
};

/* Add name = v to t's drops (drop) or counters; past EVENT_STATS_MAX, not kept. */
void event_stats_add(struct event_stats_tables *t, bool drop, const char *name, uint64_t v);

struct event {
	uint64_t id; /* monotonic, assigned when the event is emitted */
	uint64_t ts; /* unix ns */
	enum event_type type;
	uint32_t pid, tid, ppid, uid;
	uint64_t pid_start_ns; /* process identity is (pid, pid_start_ns) */
	uint64_t cgroup_id;
	char comm[17];
	const char *exe; /* NULL when unknown */
	/* Set by the session stage. */
	uint64_t session; /* the agent session: the id of its session.start event; 0 none */
	uint32_t session_root; /* the session's root pid */
	bool session_nested; /* this process is itself an agent inside another's session */
	uint64_t cause; /* id of the event that most plausibly caused this one; 0 none */
	union {
		struct {
			uint64_t parent_start_ns;
		} fork;
		struct {
			const char *filename;
			const char *args; /* NUL-separated argv */
			uint32_t args_len;
			uint32_t args_total;
			uint64_t exe_dev, exe_ino; /* kernel dev encoding */
			uint32_t old_pid;
			bool args_truncated;
			bool agent_name; /* the kernel made it a candidate: its name is an --agent's */
			const char *cwd; /* a session member's working directory; else NULL */
			uint32_t cwd_len;
			bool cwd_cut; /* only its tail: too long or too deep */
		} exec;
		struct {
			int status;
			int signal;
			bool core_dumped;
		} exit;
		struct {
			int fd;
			int result;
			struct event_addr remote;
			const char *unix_path;
			uint16_t unix_path_len;
			const char *host; /* the DNS name the process resolved remote from; NULL */
		} connect;
		struct {
			int fd;
			int result;
			int backlog;
			struct event_addr local; /* family 0: fd was no socket */
			const char *unix_path; /* AF_UNIX: its bound name; abstract: leading NUL */
			uint16_t unix_path_len;
		} listen;
		struct {
			int fd; /* the listening socket; -1: an io_uring registered file */
			int conn_fd; /* the connection's */
			struct event_addr local, remote; /* family 0: the fd was gone */
			bool io_uring; /* an io_uring request's, at its completion */
		} accept;
		struct {
			/*
			 * path: what unlink, rmdir, mkdir, chmod, chown and truncate
			 * name, a rename's or link's old path, the link a symlink
			 * makes; path2: a rename's or link's new path, a symlink's
			 * target; NULL when none.
			 */
			const char *path, *path2;
			uint32_t path_len, path2_len;
			bool path_truncated, path_fault, path2_truncated, path2_fault;
			int dfd, dfd2; /* the directories path and path2 are relative to */
			uint32_t flags; /* AT_REMOVEDIR, RENAME_*, AT_* as passed */
			uint32_t mode; /* mkdir, chmod */
			/* chown: the new owner and group; (uint32_t)-1: left as it was */
			uint32_t uid, gid;
			int64_t length; /* truncate: as passed (negative: EINVAL) */
			int result; /* 0 or -errno */
			/* A relative path's directory (the kernel's walk); NULL when none. */
			const char *dir;
			uint32_t dir_len;
			bool dir_cut; /* only the directory's tail: too long or too deep */
			/*
			 * A relative path2's directory where dir is not it (dfd2 is
			 * another directory, or path is absolute); NULL when none.
			 */
			const char *dir2;
			uint32_t dir2_len;
			bool dir2_cut;
			/*
			 * The file an fd names with AT_EMPTY_PATH and no path (fchmod,
			 * fchown, ftruncate): its own path, walked; NULL when none.
			 */
			const char *file;
			uint32_t file_len;
			bool file_cut;
		} fchange;
		struct {
			uint8_t opcode; /* IORING_OP_* */
			bool sq_thread; /* submitted by the ring's SQPOLL thread */
			uint64_t user_data;
			/*
			 * path: what an open, unlink or mkdir names, a rename's or
			 * link's old path, the link a symlink makes, an AF_UNIX
			 * connect's socket; path2: a rename's or link's new path, a
			 * symlink's target. NULL when the request has none.
			 */
			const char *path, *path2;
			uint32_t path_len, path2_len;
			bool path_truncated, path_fault, path2_truncated, path2_fault;
			int dfd, dfd2; /* the directories path and path2 are relative to */
			uint32_t flags; /* the request's own: O_*, AT_*, RENAME_*, or mkdirat's mode */
			/*
			 * A relative path's directory (the kernel's walk), or path2's
			 * when dir_of_path2; NULL when none.
			 */
			const char *dir;
			uint32_t dir_len;
			bool dir_cut, dir_of_path2;
			struct event_addr remote; /* connect; family 0 otherwise */
			const char *host; /* the DNS name the process resolved remote from; NULL */
		} io_uring;
		struct {
			uint64_t conn, call, offset, total_len, ssl;
			uint64_t stream_offset; /* of the call in its direction; UINT64_MAX unknown */
			const uint8_t *data;
			uint32_t len;
			int fd;
			const char *func;
			struct event_addr local, remote;
			bool truncated, fault, last;
		} tls;
		struct {
			struct event_stats_tables *tables; /* NULL: none to report */
			uint64_t events;
			uint64_t uptime_ns;
		} stats;
		struct {
			uint64_t dev, ino; /* kernel dev encoding */
		} lib_map;
		struct {
			int fd;
			struct event_addr server; /* family 0 when unknown */
			const uint8_t *data; /* the reply as received (DNS wire format) */
			uint32_t len;
			uint32_t total_len; /* bytes the syscall returned */
			const struct dns_message *msg; /* parsed by the decoder; NULL before */
		} dns;
		struct {
			struct event_flow flow;
			struct event_str method, target, content_type, content_encoding;
			int status; /* responses */
			uint64_t body_len; /* decoded body bytes */
			uint64_t wire_len; /* body bytes on the wire (after de-chunking) */
			bool complete;
			bool body_undecoded; /* a content coding Warden does not decode (br, zstd) */
			uint64_t request_id; /* responses: the http.request event's id; 0 */
			uint64_t latency_ns; /* responses: since the request's head */
		} http;
		struct {
			struct event_flow flow;
			struct event_str path;
			const struct llm_request *req; /* llm.request, mcp.call */
			const struct llm_response *resp; /* llm.response, mcp.result */
			uint64_t request_id; /* responses: the request event's id; 0 */
			uint64_t latency_ns; /* responses: request head to response end */
		} llm;
		struct {
			struct event_flow flow;
			const char *reason; /* static text */
			uint64_t connect_id; /* the net.connect event */
		} blind;
		struct {
			const char *agent; /* why: "llm-client" or the --agent pattern that matched */
			const char *container_id; /* from the cgroup path; NULL */
			const char *pod_uid; /* Kubernetes pod UID from the cgroup path; NULL */
			uint64_t processes; /* session.end: processes it had */
			uint64_t events; /* session.end: events attributed to it */
			uint64_t duration_ns; /* session.end */
		} sess;
		struct {
			const char *path; /* as the process passed it (relative to cwd/dirfd) */
			uint32_t path_len;
			bool path_truncated;
			bool path_fault; /* the path could not be read: path is "" */
			bool late_read; /* path or flags read at the syscall's exit (not paged in at entry) */
			/*
			 * The file opened, from the process's root; for a failed open
			 * of a relative path, the directory it was relative to
			 * (resolved_dir); else NULL.
			 */
			const char *resolved;
			uint32_t resolved_len;
			bool resolved_cut; /* only the path's tail: too long or too deep */
			bool resolved_dir;
			int dirfd; /* AT_FDCWD (-100) or a directory fd */
			int flags; /* O_* */
			uint32_t mode;
			int result; /* the fd, or -errno */
			bool openat2;
		} file;
		struct {
			struct event_flow flow;
			const char *proto; /* "http1", "http2", "sse", "llm" */
			const char *what; /* static text */
			int err; /* negative errno: -EBADMSG, -EMSGSIZE, ... */
			uint64_t offset; /* in the direction's byte stream */
			bool from_server; /* the direction: response bytes */
		} decode_error;
	};
};

const char *event_type_name(enum event_type t);

/* Dotted-quad / RFC 5952 text of a, into buf (INET6_ADDRSTRLEN); "" when unknown. */
const char *event_addr_str(const struct event_addr *a, char *buf, size_t size);

/* The event as a JSON object; 0 or -ENOMEM. Caller json_decref()s *out. */
struct json_t;
int event_to_json(const struct event *ev, struct json_t **out);

/* A formatted JSON line: buf[0..len) ends with '\n'; not NUL-terminated. */
struct event_json {
	char *buf;
	size_t len, cap;
	bool failed; /* a growth failed: the line is cut short */
};

#define EVENT_JSON_KEEP (1 << 20) /* event_json_trim() frees a buffer grown past this */

/* The event's JSON line into out (replacing what it held); 0 or -ENOMEM. */
int event_format_json(const struct event *ev, struct event_json *out);
/* Frees a buffer that one huge event grew, so it does not stay for the daemon's life. */
void event_json_trim(struct event_json *j);
/* Frees j's buffer and empties it. Accepts NULL. */
void event_json_release(struct event_json *j);

/* One JSON line on f; 0 or -errno (-EIO when the stream failed). */
int event_write_json(const struct event *ev, FILE *f);

#endif

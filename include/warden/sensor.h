/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sensor: loads and attaches the BPF programs, finds TLS libraries, and
 * turns ring-buffer records into events for the next stage. It never parses
 * what the traffic says.
 */
#ifndef WARDEN_SENSOR_H
#define WARDEN_SENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden/events.h"

struct event;
struct sensor;

/* Every record as the ring buffer delivered it, before decoding (for capture files). */
typedef void (*sensor_raw_fn)(const void *rec, size_t size, void *arg);

/*
 * How the TLS and DNS programs see socket I/O (which socket an SSL_* call
 * uses; the replies resolver sockets receive): the sock_send_length and
 * sock_recv_length tracepoints (socket I/O only), or the read, write,
 * sendto, recvfrom and recvmsg syscall tracepoints (every such call on the
 * host, a pipe's or a file's too). AUTO: the first where the kernel has them.
 */
enum sensor_io_hooks {
	SENSOR_IO_HOOKS_AUTO = 0,
	SENSOR_IO_HOOKS_SOCKET,
	SENSOR_IO_HOOKS_SYSCALL,
};

struct sensor_config {
	uint64_t tls_capture_max; /* bytes per SSL_* call, <= WARDEN_TLS_CHUNKS_MAX chunks */
	uint32_t ringbuf_size; /* bytes, power of two */
	uint64_t wakeup_bytes; /* wake the reader at each multiple of this fill (a power of two); 0: every record */
	bool tls; /* attach the SSL_* uprobes */
	enum sensor_io_hooks io_hooks;
	const char *proc_root; /* "/proc" */
	const char *ldcache; /* "/etc/ld.so.cache" */
	sensor_raw_fn raw_fn; /* NULL: none */
	void *raw_arg;
};

/* Called for every event, in ring-buffer order. Non-zero stops the current poll. */
typedef int (*sensor_event_fn)(struct event *ev, void *arg);

struct sensor_stats {
	uint64_t bpf[WARDEN_STAT_MAX]; /* summed over CPUs */
	uint64_t records;
	uint64_t records_malformed;
	uint64_t records_unknown;
	uint64_t tls_targets, tls_links, tls_attach_errors, tls_targets_full, tls_lib_map_missed;
	uint64_t files_checked;
	uint64_t session_map_errors; /* sensor_session_add/remove failures */
};

/*
 * Load and attach everything. On failure returns -errno and points *stage
 * at a short name of the step that failed (for the caller's message).
 */
int sensor_open(const struct sensor_config *cfg, sensor_event_fn fn, void *arg,
		struct sensor **out, const char **stage);
void sensor_free(struct sensor *s);

/*
 * Probe one file (an agent binary that links OpenSSL statically) now; 1
 * probed, 0 nothing to probe (no SSL_* exported, already probed, TLS off), -errno.
 */
int sensor_probe_path(struct sensor *s, const char *path);
/* Find TLS libraries already on the host; returns files probed or -errno. */
int sensor_discover_tls(struct sensor *s);
/* The hooks sensor_open chose for sensor_config.io_hooks (never AUTO). */
enum sensor_io_hooks sensor_io_hooks(const struct sensor *s);
/* CLOCK_MONOTONIC -> unix ns offset the sensor stamps events with. */
int64_t sensor_clock_offset(const struct sensor *s);
/* The fd to wait on for records. */
int sensor_fd(const struct sensor *s);
/* Handle every record available now; returns records handled or -errno. */
int sensor_poll(struct sensor *s);
/* Periodic housekeeping (deferred library checks). */
void sensor_tick(struct sensor *s);
int sensor_get_stats(const struct sensor *s, struct sensor_stats *out);
/*
 * Put process (tgid, start_ns) in session (session_members): its forks from
 * now on inherit it in the kernel and its file opens are reported. 0 or -errno.
 */
int sensor_session_add(struct sensor *s, uint32_t tgid, uint64_t start_ns, uint64_t session);
/*
 * Tell the kernel the program names among patterns (--agent): those whose
 * basename is literal (no glob characters), cut to comm's 15 bytes. A
 * process that execs one is a session candidate from the exec on. Returns
 * how many names the kernel holds, or -errno.
 */
int sensor_set_agent_names(struct sensor *s, const char *const *patterns, size_t n);
/* Take it out again, if the entry is still that process's. 0 or -errno. */
int sensor_session_remove(struct sensor *s, uint32_t tgid, uint64_t start_ns);
/* Name of BPF statistics slot i, or NULL for an unused slot. */
const char *sensor_stat_name(unsigned int i);

#endif

// SPDX-License-Identifier: Apache-2.0
/* BPF load/attach and the ring-buffer poll. See sensor.h. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "warden.skel.h"
#include "warden/event.h"
#include "warden/kfeature.h"
#include "warden/proctable.h"
#include "warden/record.h"
#include "warden/sensor.h"
#include "warden/tls_attach.h"

struct sensor {
	struct warden_bpf *skel;
	struct ring_buffer *rb;
	struct tls_attach *tls;
	enum sensor_io_hooks io_hooks;
	struct bpf_link **links; /* one per program attached here, as many as the object has */
	unsigned int nlinks;
	int64_t mono_to_unix_ns;
	sensor_raw_fn raw_fn;
	void *raw_arg;
	sensor_event_fn fn;
	void *arg;
	int ncpus;
	uint64_t *percpu; /* scratch for one stats slot over all CPUs */
	uint64_t records, malformed, unknown;
	uint64_t session_errors; /* session_members updates that failed */
	uint64_t ns_per_tick; /* /proc's clock ticks */
};

static const char *const stat_names[WARDEN_STAT_MAX] = {
	[WARDEN_STAT_RB_DROP + WARDEN_REC_FORK] = "fork",
	[WARDEN_STAT_RB_DROP + WARDEN_REC_EXEC] = "exec",
	[WARDEN_STAT_RB_DROP + WARDEN_REC_EXIT] = "exit",
	[WARDEN_STAT_RB_DROP + WARDEN_REC_CONNECT] = "connect",
	[WARDEN_STAT_RB_DROP + WARDEN_REC_TLS_DATA] = "tls",
	[WARDEN_STAT_RB_DROP + WARDEN_REC_LIB_MAP] = "lib_map",
	[WARDEN_STAT_RB_DROP + WARDEN_REC_DNS] = "dns",
	[WARDEN_STAT_RB_DROP + WARDEN_REC_FILE_OPEN] = "file_open",
	[WARDEN_STAT_RB_DROP + WARDEN_REC_IO_URING] = "io_uring",
	[WARDEN_STAT_RB_DROP + WARDEN_REC_LISTEN] = "listen",
	[WARDEN_STAT_RB_DROP + WARDEN_REC_FILE_CHANGE] = "file_change",
	[WARDEN_STAT_RB_DROP + WARDEN_REC_ACCEPT] = "accept",
	[WARDEN_STAT_READ_FAULT] = "read_fault",
	[WARDEN_STAT_TLS_STASH_FAIL] = "tls_stash_fail",
	[WARDEN_STAT_TLS_NESTED] = "tls_nested",
	[WARDEN_STAT_TLS_TRUNCATED] = "tls_truncated_calls",
	[WARDEN_STAT_TLS_ORPHAN_RET] = "tls_orphan_return",
	[WARDEN_STAT_CONN_UPDATE_FAIL] = "tls_conn_update_fail",
	[WARDEN_STAT_CONNECT_STASH_FAIL] = "connect_stash_fail",
	[WARDEN_STAT_LIBMAP_UPDATE_FAIL] = "lib_map_update_fail",
	[WARDEN_STAT_DNS_MARK_FAIL] = "dns_mark_fail",
	[WARDEN_STAT_DNS_STASH_FAIL] = "dns_stash_fail",
	[WARDEN_STAT_DNS_TRUNCATED] = "dns_truncated",
	[WARDEN_STAT_SESSION_INHERIT_FAIL] = "session_inherit_fail",
	[WARDEN_STAT_FILE_STASH_FAIL] = "file_open_stash_fail",
	[WARDEN_STAT_FILE_PATH_TRUNCATED] = "file_open_path_truncated",
	[WARDEN_STAT_RB_WAKEUP] = "ring_wakeups",
	[WARDEN_STAT_FILE_LATE_READ] = "file_open_late_reads",
	[WARDEN_STAT_IOU_ACCEPT_FAIL] = "io_uring_accept_stash_fail",
};

const char *sensor_stat_name(unsigned int i)
{
	return i < WARDEN_STAT_MAX ? stat_names[i] : NULL;
}

static int64_t mono_to_unix_offset(void)
{
	struct timespec mono, real;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	return (real.tv_sec - mono.tv_sec) * 1000000000ll + (real.tv_nsec - mono.tv_nsec);
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct sensor *s = ctx;
	struct event ev;
	int r;

	s->records++;
	if (s->raw_fn)
		s->raw_fn(data, size, s->raw_arg);
	r = record_decode(data, size, s->mono_to_unix_ns, &ev);
	if (r == -EPROTONOSUPPORT) {
		s->unknown++;
		return 0;
	}
	if (r < 0) {
		s->malformed++;
		return 0;
	}
	if (ev.type == EVENT_LIB_MAP) {
		if (s->tls)
			tls_attach_on_lib_map(s->tls, ev.pid, ev.lib_map.dev, ev.lib_map.ino);
		return 0;
	}
	if (ev.type == EVENT_PROCESS_EXEC && s->tls)
		tls_attach_on_exec(s->tls, ev.pid, ev.exec.exe_dev, ev.exec.exe_ino);
	return s->fn(&ev, s->arg) ? -ECANCELED : 0;
}

int64_t sensor_clock_offset(const struct sensor *s)
{
	return s->mono_to_unix_ns;
}

/* The socket I/O hooks (TLS's and DNS's) cfg asks for, where this kernel has them. */
static int io_hooks_choose(enum sensor_io_hooks want, enum sensor_io_hooks *out)
{
	int have;

	if (want == SENSOR_IO_HOOKS_SYSCALL) {
		*out = want;
		return 0;
	}
	have = kfeature_sock_length_tracepoints();
	if (have < 0)
		return have;
	if (!have && want == SENSOR_IO_HOOKS_SOCKET)
		return -EOPNOTSUPP;
	*out = have ? SENSOR_IO_HOOKS_SOCKET : SENSOR_IO_HOOKS_SYSCALL;
	return 0;
}

enum sensor_io_hooks sensor_io_hooks(const struct sensor *s)
{
	return s->io_hooks;
}

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void autoload_off(struct bpf_program *const *progs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bpf_program__set_autoload(progs[i], false);
}

/* The programs of a NULL-ended list of names are not loaded; -ENOENT for a name not in obj. */
static int autoload_off_named(struct bpf_object *obj, const char *const *names)
{
	for (size_t i = 0; names[i]; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(obj, names[i]);

		if (!p)
			return -ENOENT;
		bpf_program__set_autoload(p, false);
	}
	return 0;
}

static int attach_prog(struct sensor *s, struct bpf_program *p)
{
	struct bpf_link *l;

	l = bpf_program__attach(p);
	if (!l)
		return -errno;
	s->links[s->nlinks++] = l;
	return 0;
}

/*
 * Every program loaded but the SSL_* uprobes, which tls_attach.c attaches
 * per file: what is not wanted was not loaded (autoload), so that choice
 * is made once.
 */
static int attach_loaded(struct sensor *s, const char **stage)
{
	static char what[96]; /* *stage outlives s: sensor_open runs once */
	struct bpf_program *p;
	unsigned int n = 0;
	int r;

	/* Room for every program: a fixed array ran out as hooks were added. */
	bpf_object__for_each_program(p, s->skel->obj)
	{
		n++;
	}
	s->links = calloc(n, sizeof(*s->links));
	if (!s->links) {
		*stage = "allocating the program links";
		return -ENOMEM;
	}
	bpf_object__for_each_program(p, s->skel->obj)
	{
		if (!bpf_program__autoload(p) || bpf_program__type(p) == BPF_PROG_TYPE_KPROBE)
			continue;
		r = attach_prog(s, p);
		if (r) {
			snprintf(what, sizeof(what), "attaching %s", bpf_program__name(p));
			*stage = what;
			return r;
		}
	}
	return 0;
}

int sensor_open(const struct sensor_config *cfg, sensor_event_fn fn, void *arg,
		struct sensor **out, const char **stage)
{
	struct sensor *s;
	struct warden_bpf *skel;
	int r;

	*out = NULL;
	*stage = "allocating";
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fn = fn;
	s->arg = arg;
	s->ns_per_tick = sysconf(_SC_CLK_TCK) > 0 ? 1000000000ull / sysconf(_SC_CLK_TCK) : 10000000;
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0) {
		r = s->ncpus ? s->ncpus : -EINVAL;
		*stage = "counting CPUs";
		goto cleanup;
	}
	s->percpu = calloc(s->ncpus, sizeof(uint64_t));
	if (!s->percpu) {
		r = -ENOMEM;
		goto cleanup;
	}

	*stage = "finding the kernel's sock_send_length/sock_recv_length tracepoints";
	r = io_hooks_choose(cfg->io_hooks, &s->io_hooks);
	if (r)
		goto cleanup;

	*stage = "opening BPF object";
	s->skel = skel = warden_bpf__open();
	if (!skel) {
		r = -errno;
		goto cleanup;
	}
	skel->rodata->warden_self_tgid = getpid();
	skel->rodata->warden_tls_capture_max = cfg->tls_capture_max;
	skel->rodata->warden_wakeup_bytes = cfg->wakeup_bytes;
	skel->rodata->warden_probe_files = cfg->tls;
	skel->rodata->warden_nr_connect = SYS_connect;
	skel->rodata->warden_nr_read = SYS_read;
	skel->rodata->warden_nr_recvfrom = SYS_recvfrom;
	skel->rodata->warden_nr_recvmsg = SYS_recvmsg;
	skel->rodata->warden_nr_sendto = SYS_sendto;
	skel->rodata->warden_dns_fd_marks = s->io_hooks == SENSOR_IO_HOOKS_SYSCALL;
	*stage = "sizing the ring buffer";
	/* The programs wake the reader at each multiple of it: a power of two, for a mask. */
	if (cfg->wakeup_bytes & (cfg->wakeup_bytes - 1)) {
		r = -EINVAL;
		goto cleanup;
	}
	r = bpf_map__set_max_entries(skel->maps.events, cfg->ringbuf_size);
	if (r)
		goto cleanup;
	/* One set of socket I/O hooks, never both: each would cost the host for nothing. */
	*stage = "choosing the socket I/O programs";
	r = autoload_off_named(skel->obj, s->io_hooks == SENSOR_IO_HOOKS_SOCKET ?
						  kfeature_syscall_io_progs :
						  kfeature_sock_io_progs);
	if (r)
		goto cleanup;
	*stage = "finding the kernel's io_uring_submit_req tracepoint";
	r = kfeature_io_uring_tracepoint();
	if (r < 0)
		goto cleanup;
	r = r ? 0 : autoload_off_named(skel->obj, kfeature_io_uring_progs);
	if (r)
		goto cleanup;
	*stage = "leaving out fchmodat2 (not in this kernel)";
	if (!kfeature_syscall_tracepoint("sys_exit_fchmodat2"))
		r = autoload_off_named(skel->obj, kfeature_fchmodat2_progs);
	if (r)
		goto cleanup;
	if (!cfg->tls) {
		/* Without TLS capture its helpers would watch for nothing. */
		struct bpf_program *const tls[] = {
			skel->progs.warden_ssl_write,	  skel->progs.warden_ssl_write_ex,
			skel->progs.warden_ssl_read,	  skel->progs.warden_ssl_read_ex,
			skel->progs.warden_ssl_ret,	  skel->progs.warden_sys_mmap,
			skel->progs.warden_tls_sock_send, skel->progs.warden_tls_sock_recv,
			skel->progs.warden_sys_write,	  skel->progs.warden_sys_read,
			skel->progs.warden_sys_sendto,	  skel->progs.warden_sys_recvfrom,
		};

		autoload_off(tls, ARRAY_LEN(tls));
	}

	*stage = "loading BPF programs";
	r = warden_bpf__load(skel);
	if (r)
		goto cleanup;

	r = attach_loaded(s, stage);
	if (r)
		goto cleanup;
	if (cfg->tls) {
		*stage = "allocating TLS attach table";
		r = tls_attach_new(skel, cfg->proc_root, &s->tls);
		if (r)
			goto cleanup;
	}

	*stage = "opening the ring buffer";
	s->mono_to_unix_ns = mono_to_unix_offset();
	s->raw_fn = cfg->raw_fn;
	s->raw_arg = cfg->raw_arg;
	s->rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, s, NULL);
	if (!s->rb) {
		r = -errno;
		goto cleanup;
	}
	*stage = NULL;
	*out = s;
	s = NULL;
	r = 0;
cleanup:
	sensor_free(s);
	return r;
}

void sensor_free(struct sensor *s)
{
	if (!s)
		return;
	ring_buffer__free(s->rb);
	tls_attach_free(s->tls);
	for (unsigned int i = 0; i < s->nlinks; i++)
		bpf_link__destroy(s->links[i]);
	free(s->links);
	warden_bpf__destroy(s->skel);
	free(s->percpu);
	free(s);
}

/*
 * Runtimes that link OpenSSL statically (Node.js) are probed when they
 * exec, which races with their first request: an agent that starts and
 * sends its prompt at once would have it missed. The usual places are
 * probed up front instead.
 */
static int scan_runtimes(struct sensor *s)
{
	static const char *const dirs[] = { "/usr/local/bin", "/usr/bin", "/bin", "/opt/node/bin" };
	static const char *const names[] = { "node", "nodejs" };
	const char *path = getenv("PATH");
	char buf[PATH_MAX];
	int n = 0;

	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++)
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			snprintf(buf, sizeof(buf), "%s/%s", dirs[d], names[i]);
			n += tls_attach_path(s->tls, buf) > 0;
		}
	while (path && *path) {
		const char *end = strchrnul(path, ':');

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (end - path <= 0 || (size_t)(end - path) >= sizeof(buf) - 16)
				break;
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)(end - path), path, names[i]);
			n += tls_attach_path(s->tls, buf) > 0;
		}
		path = *end ? end + 1 : end;
	}
	return n;
}

int sensor_probe_path(struct sensor *s, const char *path)
{
	return s->tls ? tls_attach_path(s->tls, path) : 0;
}

int sensor_discover_tls(struct sensor *s)
{
	int from_cache, from_procs;

	if (!s->tls)
		return 0;
	/* What the linker would load, so the first curl after start-up is seen. */
	from_cache = tls_attach_scan_ldcache(s->tls, "/etc/ld.so.cache");
	from_cache += scan_runtimes(s);
	from_procs = tls_attach_scan_all(s->tls);
	if (from_procs < 0)
		return from_procs;
	return (from_cache > 0 ? from_cache : 0) + from_procs;
}

int sensor_fd(const struct sensor *s)
{
	return ring_buffer__epoll_fd(s->rb);
}

int sensor_poll(struct sensor *s)
{
	int r = ring_buffer__consume(s->rb);

	return r == -ECANCELED ? 0 : r;
}

void sensor_tick(struct sensor *s)
{
	if (s->tls)
		tls_attach_tick(s->tls);
}

/*
 * A pidfd for process (tgid, start_ns), the key the kernel's membership map
 * takes. The pidfd holds the pid, so the /proc read after it is of the
 * same process: a start time that differs means the pid was reused.
 * -ESRCH when the process is gone (start_ns 0: any process with that pid).
 */
static int pidfd_of(const struct sensor *s, uint32_t tgid, uint64_t start_ns)
{
	char path[32], buf[512];
	struct procfs_stat st;
	ssize_t n;
	int pidfd, fd, r;

	pidfd = syscall(SYS_pidfd_open, (pid_t)tgid, 0); /* always close-on-exec */
	if (pidfd < 0)
		return -errno;
	if (!start_ns)
		return pidfd;
	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/stat", tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = errno == ENOENT ? -ESRCH : -errno;
		goto fail;
	}
	n = read(fd, buf, sizeof(buf));
	r = n < 0 ? -errno : 0;
	close(fd);
	if (!r)
		r = procfs_parse_stat(buf, n, &st) ? -ESRCH : 0; /* a reaped process reads empty */
	if (!r && st.start_ticks != start_ns / s->ns_per_tick)
		r = -ESRCH;
	if (!r)
		return pidfd;
fail:
	close(pidfd);
	return r;
}

int sensor_session_add(struct sensor *s, uint32_t tgid, uint64_t start_ns, uint64_t session)
{
	struct warden_session_member v = { .session = session, .start_time = start_ns };
	int pidfd = pidfd_of(s, tgid, start_ns), r = 0;

	if (pidfd < 0) {
		if (pidfd != -ESRCH) /* gone: nothing left to trace */
			s->session_errors++;
		return pidfd;
	}
	if (bpf_map_update_elem(bpf_map__fd(s->skel->maps.session_members), &pidfd, &v, BPF_ANY)) {
		r = -errno;
		if (r != -ENOENT) /* exited meanwhile */
			s->session_errors++;
	}
	close(pidfd);
	return r;
}

int sensor_set_agent_names(struct sensor *s, const char *const *patterns, size_t n)
{
	int fd = bpf_map__fd(s->skel->maps.agent_names), held = 0;
	uint8_t one = 1;

	for (size_t i = 0; i < n; i++) {
		const char *base = strrchr(patterns[i], '/');
		struct warden_comm_key k = {};

		base = base ? base + 1 : patterns[i];
		/* A glob has no one name; an interpreter's script is not its comm. */
		if (!*base || strpbrk(base, "*?[\\"))
			continue;
		strncpy(k.comm, base, sizeof(k.comm) - 1);
		if (bpf_map_update_elem(fd, &k, &one, BPF_ANY))
			return -errno;
		held++;
	}
	/* Only now: an exec that sees it set finds the names in the map. */
	s->skel->bss->warden_agent_names_held = held;
	return held;
}

int sensor_session_remove(struct sensor *s, uint32_t tgid, uint64_t start_ns)
{
	int pidfd = pidfd_of(s, tgid, start_ns), r = 0;

	/* Gone, or a new process with its pid (which may be a member of its own): nothing to do. */
	if (pidfd == -ESRCH)
		return 0;
	if (pidfd < 0) {
		s->session_errors++;
		return pidfd;
	}
	if (bpf_map_delete_elem(bpf_map__fd(s->skel->maps.session_members), &pidfd) &&
	    errno != ENOENT) {
		r = -errno;
		s->session_errors++;
	}
	close(pidfd);
	return r;
}

int sensor_get_stats(const struct sensor *s, struct sensor_stats *out)
{
	int fd = bpf_map__fd(s->skel->maps.stats);
	struct tls_attach_stats ts = {};

	memset(out, 0, sizeof(*out));
	for (uint32_t i = 0; i < WARDEN_STAT_MAX; i++) {
		if (bpf_map_lookup_elem(fd, &i, s->percpu))
			return -errno;
		for (int c = 0; c < s->ncpus; c++)
			out->bpf[i] += s->percpu[c];
	}
	out->records = s->records;
	out->records_malformed = s->malformed;
	out->records_unknown = s->unknown;
	if (s->tls)
		tls_attach_get_stats(s->tls, &ts);
	out->tls_targets = ts.targets;
	out->tls_links = ts.links;
	out->tls_attach_errors = ts.attach_errors;
	out->tls_targets_full = ts.targets_full;
	out->tls_lib_map_missed = ts.lib_map_missed;
	out->files_checked = ts.checked;
	out->session_map_errors = s->session_errors;
	return 0;
}

// SPDX-License-Identifier: Apache-2.0
/*
 * wardend: the Warden daemon. Flags, checks, and the one epoll loop over the
 * ring buffer, signals and a housekeeping timer. The stages live elsewhere;
 * this file wires them and is the only place (with warden.c) that logs.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "warden/capture.h"
#include "warden/event.h"
#include "warden/parse.h"
#include "warden/pipeline.h"
#include "warden/proctable.h"
#include "warden/sensor.h"
#include "warden/session.h"
#include "warden/store.h"
#include "warden/version.h"

#define TICK_NS (200 * 1000000ull) /* housekeeping: deferred library checks */
#define PROC_TABLE_CAPACITY 65536
#define RETAIN_EVERY_NS (60 * 1000000000ull)
#define RETAIN_MAX_ROWS 50000 /* per run: a minute's work at most, the rest next minute */
#define DAY_NS (86400 * 1000000000ull)

enum { EXIT_USAGE = 2 };

struct options {
	const char *output;
	const char *capture;
	const char *db; /* NULL: --no-db */
	uint64_t retention_days;
	uint64_t db_max_size;
	uint64_t tls_capture_max;
	uint64_t ringbuf_size;
	uint64_t stats_interval_s;
	uint64_t max_latency_ms;
	uint64_t db_commit_ms;
	uint64_t blind_after_s;
	const char *llm_hosts[PIPELINE_LLM_HOSTS_MAX];
	const char *tls_binaries[PIPELINE_LLM_HOSTS_MAX];
	size_t n_tls_binaries;
	size_t n_llm_hosts;
	const char *agents[SESSION_AGENTS_MAX];
	size_t n_agents;
	enum sensor_io_hooks io_hooks;
	bool tls;
	bool raw_tls;
	bool decode;
	bool verbose;
};

struct daemon {
	struct options opt;
	FILE *out;
	struct sensor *sensor;
	struct pipeline *pipe;
	struct capture_writer *capture;
	struct store *store;
	bool store_warned;
	bool ckpt_warned;
	uint64_t stats_errors;
	uint64_t started_ns;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: wardend [OPTIONS]\n"
		"\n"
		"Warden's daemon: watches AI agents on this host with eBPF and prints what\n"
		"they do as JSON lines: processes (fork, exec, exit), connect() and listen()\n"
		"calls, DNS answers, and the plaintext of their TLS traffic read from OpenSSL\n"
		"(libssl and binaries such as Node.js that link it statically), decoded into\n"
		"HTTP and LLM requests and responses; for agent sessions, also their file opens,\n"
		"their changes to the file tree (unlink, rename, mkdir, link, chmod, chown,\n"
		"truncate) and their io_uring requests. Runs as root; stops cleanly on SIGINT\n"
		"or SIGTERM, printing a final agent.stats event.\n"
		"\n"
		"Options:\n"
		"  -o, --output FILE         write events to FILE (appended) instead of stdout\n"
		"      --capture FILE        also write every kernel record, undecoded, to FILE\n"
		"                            (truncated), for tools/replay and bug reports\n"
		"      --tls-capture-max N   bytes of plaintext kept per SSL_read/SSL_write call\n"
		"                            (default 256K, at most 4M; K/M suffixes). Larger\n"
		"                            calls are reported with their true total_len and\n"
		"                            truncated: true\n"
		"      --no-tls              do not capture TLS plaintext\n"
		"      --io-hooks MODE       how TLS and DNS capture see socket I/O (the socket\n"
		"                            an SSL call uses, resolvers' replies): 'socket'\n"
		"                            (the sock_send_length and sock_recv_length\n"
		"                            tracepoints: socket I/O only), 'syscall' (the\n"
		"                            read, write, sendto, recvfrom and recvmsg syscall\n"
		"                            tracepoints: every such call on the host, a\n"
		"                            pipe's or a file's too, pays for them) or 'auto'\n"
		"                            (default: socket where the kernel has it, Linux\n"
		"                            6.5 and on)\n"
		"      --tls-binary PATH     probe PATH at start-up: an agent binary that links\n"
		"                            OpenSSL statically and is not on PATH (node on\n"
		"                            PATH is probed already); repeatable\n"
		"      --raw-tls             also print every captured chunk as tls.write /\n"
		"                            tls.read events (plaintext; large)\n"
		"      --no-decode           do not decode HTTP and LLM traffic (implies\n"
		"                            --raw-tls)\n"
		"      --llm-host NAME       treat NAME (or *.SUFFIX) as an LLM API host, in\n"
		"                            addition to the built-in list (api.openai.com,\n"
		"                            api.anthropic.com, ...); repeatable. A process that\n"
		"                            talks TLS to one without plaintext captured gets a\n"
		"                            capture.blind event\n"
		"      --blind-after SEC     how long a connection to an LLM API host may go\n"
		"                            without captured plaintext before capture.blind\n"
		"                            (default 5)\n"
		"      --agent PATTERN       start an agent session when a process execs a\n"
		"                            program matching PATTERN (fnmatch(3) glob) by its\n"
		"                            full path or basename, or, for interpreters (node,\n"
		"                            python*, bun, deno, ruby, perl, sh, bash), by its\n"
		"                            script: the first non-option argument, full or\n"
		"                            basename ('agent.js' matches node /opt/agent.js).\n"
		"                            A plain name or path (no glob) is matched in the\n"
		"                            kernel at the exec itself, so even the agent's\n"
		"                            first file opens are seen. Without it a session\n"
		"                            starts at a process's first LLM API request;\n"
		"                            repeatable\n"
		"      --ringbuf-size N      kernel ring buffer size (default 16M; a power of\n"
		"                            two, at least 64K). Raise it if agent.stats shows\n"
		"                            drops\n"
		"      --stats-interval SEC  emit an agent.stats event every SEC seconds\n"
		"                            (default 10; 0: only at exit)\n"
		"      --max-latency-ms MS   longest an event waits in the kernel before\n"
		"                            wardend reads it (default 50; 0: wake up for\n"
		"                            every event, which costs a context switch each)\n"
		"      --db PATH             store events in the SQLite database PATH (default\n"
		"                            " STORE_DEFAULT_PATH "; its directory is created\n"
		"                            mode 0700), read by the 'warden' CLI. Event ids\n"
		"                            continue after the largest one stored\n"
		"      --no-db               do not store events\n"
		"      --retention-days N    delete stored events older than N days (default 30;\n"
		"                            0: keep them)\n"
		"      --db-max-size N       delete the oldest stored events while the database\n"
		"                            holds more than N bytes (default 1G; K/M/G\n"
		"                            suffixes; 0: no limit). Retention runs once a\n"
		"                            minute, at most 50000 events at a time, and keeps\n"
		"                            the hash chain verifiable ('warden verify'). The\n"
		"                            WAL beside it (PATH-wal) holds up to 64 MiB more,\n"
		"                            128 MiB while the disk lags behind\n"
		"      --db-commit-ms MS     commit the stored events every MS ms (default 1000;\n"
		"                            0: at every read of the ring buffer), at each\n"
		"                            agent.stats and at exit. The CLI sees events up to\n"
		"                            MS ms late; a crash of wardend loses at most the\n"
		"                            last MS ms from the store (not from -o)\n"
		"  -v, --verbose             show libbpf's own log (verifier output on errors)\n"
		"  -h, --help                show this help and exit\n"
		"  -V, --version             show the version and exit\n"
		"\n"
		"Event types: process.fork, process.exec, process.exit, net.connect (with\n"
		"host: the DNS name the process resolved), net.connect.result, net.listen,\n"
		"dns.answer, http.request, http.response, llm.request, llm.response,\n"
		"mcp.call, mcp.result, capture.blind, decode.error, session.start,\n"
		"session.end, agent.stats; for session members only, net.accept, file.open,\n"
		"file.unlink, file.rmdir, file.rename, file.mkdir, file.link, file.symlink,\n"
		"file.chmod, file.chown, file.truncate and io_uring.submit; tls.write and\n"
		"tls.read with --raw-tls. Every event has id, ts (unix ns), type, pid, tid,\n"
		"ppid, uid, comm and exe. llm.* events are decoded from HTTP/1.1 and HTTP/2\n"
		"(gzip, chunked, SSE) for the OpenAI, Anthropic, Gemini, Ollama and MCP APIs;\n"
		"llm.response carries request_id, the id of its llm.request. Events of an\n"
		"agent session's processes carry session (the session.start event's id),\n"
		"session_root (its first pid), session_nested (a nested agent) and cause (the\n"
		"id of the tool call's llm.response, or the process.exec, that most plausibly\n"
		"caused them).\n"
		"\n"
		"Exit status: 0 after a clean stop, 1 on a runtime error, 2 on a usage error.\n");
}

static int log_error(const char *fmt, ...)
{
	va_list ap;

	fputs("wardend: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	enum {
		OPT_TLS_MAX = 256,
		OPT_NO_TLS,
		OPT_RINGBUF,
		OPT_STATS,
		OPT_LATENCY,
		OPT_RAW_TLS,
		OPT_NO_DECODE,
		OPT_LLM_HOST,
		OPT_BLIND_AFTER,
		OPT_CAPTURE,
		OPT_TLS_BINARY,
		OPT_AGENT,
		OPT_DB,
		OPT_NO_DB,
		OPT_RETENTION_DAYS,
		OPT_DB_MAX_SIZE,
		OPT_DB_COMMIT,
		OPT_IO_HOOKS,
	};
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "tls-capture-max", required_argument, NULL, OPT_TLS_MAX },
		{ "no-tls", no_argument, NULL, OPT_NO_TLS },
		{ "io-hooks", required_argument, NULL, OPT_IO_HOOKS },
		{ "raw-tls", no_argument, NULL, OPT_RAW_TLS },
		{ "capture", required_argument, NULL, OPT_CAPTURE },
		{ "tls-binary", required_argument, NULL, OPT_TLS_BINARY },
		{ "agent", required_argument, NULL, OPT_AGENT },
		{ "no-decode", no_argument, NULL, OPT_NO_DECODE },
		{ "llm-host", required_argument, NULL, OPT_LLM_HOST },
		{ "blind-after", required_argument, NULL, OPT_BLIND_AFTER },
		{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF },
		{ "stats-interval", required_argument, NULL, OPT_STATS },
		{ "max-latency-ms", required_argument, NULL, OPT_LATENCY },
		{ "db", required_argument, NULL, OPT_DB },
		{ "no-db", no_argument, NULL, OPT_NO_DB },
		{ "retention-days", required_argument, NULL, OPT_RETENTION_DAYS },
		{ "db-max-size", required_argument, NULL, OPT_DB_MAX_SIZE },
		{ "db-commit-ms", required_argument, NULL, OPT_DB_COMMIT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	int c;

	*o = (struct options){
		.tls_capture_max = WARDEN_TLS_CAPTURE_DEFAULT,
		.ringbuf_size = 16 << 20,
		.stats_interval_s = 10,
		.max_latency_ms = 50,
		.blind_after_s = 5,
		.db = STORE_DEFAULT_PATH,
		.retention_days = 30,
		.db_max_size = 1ull << 30,
		.db_commit_ms = 1000,
		.tls = true,
		.decode = true,
	};
	while ((c = getopt_long(argc, argv, "o:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->output = optarg;
			break;
		case OPT_TLS_MAX:
			if (parse_size(optarg, &o->tls_capture_max) < 0 || !o->tls_capture_max ||
			    o->tls_capture_max > (uint64_t)WARDEN_TLS_CHUNK * WARDEN_TLS_CHUNKS_MAX) {
				log_error("--tls-capture-max: '%s' is not a size from 1 to 4M", optarg);
				return -EINVAL;
			}
			break;
		case OPT_NO_TLS:
			o->tls = false;
			break;
		case OPT_IO_HOOKS:
			if (!strcmp(optarg, "auto")) {
				o->io_hooks = SENSOR_IO_HOOKS_AUTO;
			} else if (!strcmp(optarg, "socket")) {
				o->io_hooks = SENSOR_IO_HOOKS_SOCKET;
			} else if (!strcmp(optarg, "syscall")) {
				o->io_hooks = SENSOR_IO_HOOKS_SYSCALL;
			} else {
				log_error("--io-hooks: '%s' is not auto, socket or syscall",
					  optarg);
				return -EINVAL;
			}
			break;
		case OPT_TLS_BINARY:
			if (o->n_tls_binaries >= PIPELINE_LLM_HOSTS_MAX) {
				log_error("--tls-binary: at most %d files", PIPELINE_LLM_HOSTS_MAX);
				return -EINVAL;
			}
			o->tls_binaries[o->n_tls_binaries++] = optarg;
			break;
		case OPT_AGENT:
			if (o->n_agents >= SESSION_AGENTS_MAX || !optarg[0]) {
				log_error("--agent: at most %d non-empty patterns", SESSION_AGENTS_MAX);
				return -EINVAL;
			}
			o->agents[o->n_agents++] = optarg;
			break;
		case OPT_CAPTURE:
			o->capture = optarg;
			break;
		case OPT_RAW_TLS:
			o->raw_tls = true;
			break;
		case OPT_NO_DECODE:
			o->decode = false;
			o->raw_tls = true;
			break;
		case OPT_LLM_HOST:
			if (o->n_llm_hosts >= PIPELINE_LLM_HOSTS_MAX) {
				log_error("--llm-host: at most %d hosts", PIPELINE_LLM_HOSTS_MAX);
				return -EINVAL;
			}
			o->llm_hosts[o->n_llm_hosts++] = optarg;
			break;
		case OPT_BLIND_AFTER:
			if (parse_uint(optarg, 1, 3600, &o->blind_after_s) < 0) {
				log_error("--blind-after: '%s' is not a number of seconds (1-3600)",
					  optarg);
				return -EINVAL;
			}
			break;
		case OPT_RINGBUF:
			if (parse_size(optarg, &o->ringbuf_size) < 0 || o->ringbuf_size < 65536 ||
			    o->ringbuf_size > (1ull << 30) ||
			    (o->ringbuf_size & (o->ringbuf_size - 1))) {
				log_error("--ringbuf-size: '%s' is not a power of two from 64K to 1G",
					  optarg);
				return -EINVAL;
			}
			break;
		case OPT_STATS:
			if (parse_uint(optarg, 0, 86400, &o->stats_interval_s) < 0) {
				log_error("--stats-interval: '%s' is not a number of seconds (0-86400)",
					  optarg);
				return -EINVAL;
			}
			break;
		case OPT_LATENCY:
			if (parse_uint(optarg, 0, 10000, &o->max_latency_ms) < 0) {
				log_error("--max-latency-ms: '%s' is not a number of ms (0-10000)",
					  optarg);
				return -EINVAL;
			}
			break;
		case OPT_DB:
			if (!optarg[0]) {
				log_error("--db: empty path");
				return -EINVAL;
			}
			o->db = optarg;
			break;
		case OPT_NO_DB:
			o->db = NULL;
			break;
		case OPT_RETENTION_DAYS:
			if (parse_uint(optarg, 0, 36500, &o->retention_days) < 0) {
				log_error("--retention-days: '%s' is not a number of days (0-36500)",
					  optarg);
				return -EINVAL;
			}
			break;
		case OPT_DB_MAX_SIZE:
			if (parse_size(optarg, &o->db_max_size) < 0) {
				log_error("--db-max-size: '%s' is not a size (e.g. 500M, 2G)", optarg);
				return -EINVAL;
			}
			break;
		case OPT_DB_COMMIT:
			if (parse_uint(optarg, 0, 60000, &o->db_commit_ms) < 0) {
				log_error("--db-commit-ms: '%s' is not a number of ms (0-60000)",
					  optarg);
				return -EINVAL;
			}
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("wardend %s\n", WARDEN_VERSION);
			exit(0);
		default:
			fprintf(stderr, "Try 'wardend --help' for more information.\n");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument '%s'", argv[optind]);
		fprintf(stderr, "Try 'wardend --help' for more information.\n");
		return -EINVAL;
	}
	return 0;
}

static bool libbpf_verbose;

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's own lines are for debugging; we report failures ourselves. */
	if (!libbpf_verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void on_raw_record(const void *rec, size_t size, void *arg)
{
	struct daemon *d = arg;

	if (d->capture)
		capture_write(d->capture, rec, size);
}

/* The pipeline's session stage keeps the kernel's membership map through this. */
static void on_session_member(uint32_t pid, uint64_t start_ns, uint64_t session, bool add,
			      void *arg)
{
	struct daemon *d = arg;

	if (!d->sensor)
		return;
	if (add)
		sensor_session_add(d->sensor, pid, start_ns, session);
	else
		sensor_session_remove(d->sensor, pid, start_ns);
}

static void emit_stats(struct daemon *d)
{
	struct sensor_stats ss;
	struct pipeline_stats pst;
	struct event_stats_tables t = { 0 };
	struct event ev = { .type = EVENT_AGENT_STATS, .stats.tables = &t };

	if (sensor_get_stats(d->sensor, &ss) < 0)
		d->stats_errors++;
	ev.ts = now_ns(CLOCK_REALTIME);
	for (unsigned int i = 0; i < WARDEN_REC_TYPE_MAX; i++)
		if (sensor_stat_name(WARDEN_STAT_RB_DROP + i))
			event_stats_add(&t, true, sensor_stat_name(WARDEN_STAT_RB_DROP + i),
					ss.bpf[WARDEN_STAT_RB_DROP + i]);
	for (unsigned int i = WARDEN_REC_TYPE_MAX; i < WARDEN_STAT_MAX; i++)
		if (sensor_stat_name(i))
			event_stats_add(&t, false, sensor_stat_name(i), ss.bpf[i]);
	event_stats_add(&t, false, "records", ss.records);
	event_stats_add(&t, false, "records_malformed", ss.records_malformed);
	event_stats_add(&t, false, "records_unknown", ss.records_unknown);
	event_stats_add(&t, false, "tls_targets", ss.tls_targets);
	event_stats_add(&t, false, "tls_uprobes", ss.tls_links);
	event_stats_add(&t, false, "tls_attach_errors", ss.tls_attach_errors);
	event_stats_add(&t, false, "tls_targets_full", ss.tls_targets_full);
	event_stats_add(&t, false, "tls_lib_map_missed", ss.tls_lib_map_missed);
	event_stats_add(&t, false, "files_checked", ss.files_checked);
	event_stats_add(&t, false, "session_map_errors", ss.session_map_errors);
	pipeline_add_counters(d->pipe, &t);
	pipeline_get_stats(d->pipe, &pst);
	ev.stats.events = pst.events_out;
	ev.stats.uptime_ns = now_ns(CLOCK_MONOTONIC) - d->started_ns;
	pipeline_write(d->pipe, &ev); /* numbered, written and stored like the rest */
}

/* The end of a batch: one transaction for everything the loop turn produced. */
static void store_batch_done(struct daemon *d)
{
	struct store_stats ss;

	if (!d->store)
		return;
	store_commit(d->store);
	store_get_stats(d->store, &ss);
	if (ss.errors && !d->store_warned) {
		/* Once: the count goes on in agent.stats (store_errors). */
		log_error("warning: storing events in %s failed: %s (%s); counted in agent.stats "
			  "store_errors",
			  d->opt.db, strerror(-ss.last_err), store_errmsg(d->store));
		d->store_warned = true;
	}
	if (ss.checkpoint_errors && !d->ckpt_warned) {
		/* The events are committed in the WAL; it grows until a checkpoint succeeds. */
		log_error("warning: copying %s-wal into %s failed: %s; the WAL keeps the events "
			  "(is the disk full?); counted in agent.stats store_checkpoint_errors",
			  d->opt.db, d->opt.db, strerror(-ss.checkpoint_last_err));
		d->ckpt_warned = true;
	}
}

static void retain(struct daemon *d)
{
	int r;

	if (!d->store || (!d->opt.retention_days && !d->opt.db_max_size))
		return;
	r = store_retain(d->store, now_ns(CLOCK_REALTIME), d->opt.retention_days * DAY_NS,
			 d->opt.db_max_size, RETAIN_MAX_ROWS, NULL);
	if (r < 0 && !d->store_warned) {
		log_error("warning: retention in %s failed: %s", d->opt.db, strerror(-r));
		d->store_warned = true;
	}
}

/* The database's directory, private to root: it holds every prompt and reply. */
static int open_store(struct daemon *d)
{
	char dir[4096];
	const char *errmsg = NULL, *slash = strrchr(d->opt.db, '/');
	mode_t old_mask;
	int r;

	if (slash && slash != d->opt.db) {
		if ((size_t)(slash - d->opt.db) >= sizeof(dir))
			return log_error("--db %s: path too long", d->opt.db);
		memcpy(dir, d->opt.db, (size_t)(slash - d->opt.db));
		dir[slash - d->opt.db] = 0;
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return log_error("cannot create %s: %s", dir, strerror(errno));
	}
	old_mask = umask(077); /* the file and its -wal/-shm: prompts and replies */
	r = store_open(d->opt.db, 0, &d->store, &errmsg);
	umask(old_mask);
	if (r == -EBUSY)
		return log_error("cannot open %s: another wardend writes to it (use --db PATH for "
				 "another database, or --no-db)",
				 d->opt.db);
	if (r == -EPROTO)
		return log_error("cannot open %s: written by a newer Warden (schema above %d)",
				 d->opt.db, STORE_SCHEMA_VERSION);
	if (r == -EBADMSG)
		return log_error("cannot open %s: not a Warden database", d->opt.db);
	if (r < 0)
		return log_error("cannot open %s: %s%s%s (or run with --no-db)", d->opt.db,
				 strerror(-r), errmsg ? ": " : "", errmsg ? errmsg : "");
	pipeline_set_store(d->pipe, d->store);
	pipeline_set_last_id(d->pipe, store_last_id(d->store));
	return 0;
}

/* libbpf resolves tracepoint ids through tracefs, which may not be mounted. */
static void ensure_tracefs(void)
{
	if (access("/sys/kernel/tracing/events", F_OK) == 0 ||
	    access("/sys/kernel/debug/tracing/events", F_OK) == 0)
		return;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) < 0)
		log_error("warning: cannot mount tracefs at /sys/kernel/tracing: %s; attaching "
			  "tracepoints may fail",
			  strerror(errno));
}

static int setup_signals(int *sfd)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	*sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	return *sfd < 0 ? -errno : 0;
}

/*
 * One loop: signals wake it at once; records wake it when the kernel says
 * enough are waiting, and the timeout drains the rest within max_latency_ms.
 */
static int run_loop(struct daemon *d, int sfd)
{
	struct epoll_event evs[2], e = { .events = EPOLLIN };
	uint64_t now, last_tick, last_stats, last_retain, last_commit = 0;
	int timeout = d->opt.max_latency_ms ? (int)d->opt.max_latency_ms : 200;
	int ep, r = 0;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return -errno;
	e.data.fd = sensor_fd(d->sensor);
	if (epoll_ctl(ep, EPOLL_CTL_ADD, e.data.fd, &e) < 0)
		goto fail;
	e.data.fd = sfd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &e) < 0)
		goto fail;
	last_tick = last_stats = now_ns(CLOCK_MONOTONIC);
	last_retain = last_tick - RETAIN_EVERY_NS; /* at the first tick, then once a minute */

	for (;;) {
		int n = epoll_wait(ep, evs, 2, timeout);
		bool commit;

		if (n < 0 && errno != EINTR)
			goto fail;
		for (int i = 0; i < n; i++) {
			struct signalfd_siginfo si;

			if (evs[i].data.fd == sfd && read(sfd, &si, sizeof(si)) == sizeof(si)) {
				close(ep);
				return 0;
			}
		}
		r = sensor_poll(d->sensor);
		if (r < 0) {
			errno = -r;
			goto fail;
		}
		now = now_ns(CLOCK_MONOTONIC);
		if (now - last_tick >= TICK_NS) {
			uint64_t wall = now_ns(CLOCK_REALTIME);

			sensor_tick(d->sensor);
			if (d->capture)
				capture_writer_flush(d->capture);
			pipeline_tick(d->pipe, wall);
			last_tick = now;
			if (now - last_retain >= RETAIN_EVERY_NS) {
				store_batch_done(d);
				retain(d);
				last_retain = now;
			}
		}
		/*
		 * A commit writes its transaction's last, partly filled pages and
		 * the tables' root pages again, whatever its size: committing at
		 * every turn (20 a second) cost an exec storm 36% more daemon CPU.
		 */
		commit = now - last_commit >= d->opt.db_commit_ms * 1000000ull;
		if (d->opt.stats_interval_s &&
		    now - last_stats >= d->opt.stats_interval_s * 1000000000ull) {
			emit_stats(d);
			last_stats = now;
			commit =
				true; /* 'warden status' reads agent.stats from the store: fresh ones */
		}
		if (commit) {
			store_batch_done(d);
			last_commit = now;
		}
		fflush(d->out);
	}
fail:
	r = -errno;
	close(ep);
	return r;
}

int main(int argc, char **argv)
{
	struct daemon d = {};
	struct sensor_config cfg = {};
	struct pipeline_config pcfg;
	const char *stage = NULL, *io_note;
	int r, probed, sfd = -1, ret = 1;

	if (parse_options(argc, argv, &d.opt) < 0)
		return EXIT_USAGE;
	if (geteuid() != 0)
		return log_error("must run as root: loading eBPF programs needs CAP_BPF, "
				 "CAP_PERFMON and CAP_SYS_ADMIN (try: sudo wardend)");
	if (access("/sys/kernel/btf/vmlinux", R_OK) < 0)
		return log_error("this kernel has no BTF (/sys/kernel/btf/vmlinux: %s); Warden "
				 "needs a kernel built with CONFIG_DEBUG_INFO_BTF=y",
				 strerror(errno));
	libbpf_verbose = d.opt.verbose;
	libbpf_set_print(libbpf_log);
	signal(SIGPIPE, SIG_IGN);

	d.out = stdout;
	if (d.opt.output) {
		d.out = fopen(d.opt.output, "ae");
		if (!d.out) {
			log_error("cannot open output file %s: %s", d.opt.output, strerror(errno));
			goto cleanup;
		}
	}
	setvbuf(d.out, NULL, _IOFBF, 1 << 20);
	d.started_ns = now_ns(CLOCK_MONOTONIC);

	pcfg = (struct pipeline_config){ .out = d.out,
					 .raw_tls = d.opt.raw_tls,
					 .decode = d.opt.decode,
					 .blind_window_ns = d.opt.blind_after_s * 1000000000ull,
					 .n_llm_hosts = d.opt.n_llm_hosts,
					 .proc_root = "/proc",
					 .proc_capacity = PROC_TABLE_CAPACITY,
					 .agents = d.opt.agents,
					 .n_agents = d.opt.n_agents,
					 .session_member_fn = on_session_member,
					 .session_member_arg = &d };
	memcpy(pcfg.llm_hosts, d.opt.llm_hosts, sizeof(pcfg.llm_hosts));
	r = pipeline_new(&pcfg, &d.pipe, &stage);
	if (r == -EINVAL) {
		log_error("--llm-host '%s': not a host name or *.suffix pattern", stage);
		ret = EXIT_USAGE;
		goto cleanup;
	} else if (r < 0) {
		log_error("cannot set up the %s: %s", stage, strerror(-r));
		goto cleanup;
	}
	if (d.opt.db && open_store(&d))
		goto cleanup;
	ensure_tracefs();
	cfg = (struct sensor_config){ .tls_capture_max = d.opt.tls_capture_max,
				      .ringbuf_size = d.opt.ringbuf_size,
				      .tls = d.opt.tls,
				      .io_hooks = d.opt.io_hooks,
				      /* 0 latency: every record wakes us; else batch by fill. */
				      .wakeup_bytes =
					      d.opt.max_latency_ms ? d.opt.ringbuf_size / 8 : 0,
				      .proc_root = "/proc",
				      .ldcache = "/etc/ld.so.cache",
				      .raw_fn = d.opt.capture ? on_raw_record : NULL,
				      .raw_arg = &d };
	r = sensor_open(&cfg, pipeline_event, d.pipe, &d.sensor, &stage);
	if (r == -EOPNOTSUPP && d.opt.io_hooks == SENSOR_IO_HOOKS_SOCKET) {
		log_error(
			"--io-hooks socket: this kernel has no sock_send_length and "
			"sock_recv_length tracepoints (Linux 6.5 and on); use 'auto' or 'syscall'");
		goto cleanup;
	} else if (r < 0) {
		log_error("%s failed: %s%s", stage, strerror(-r),
			  d.opt.verbose ? "" : " (run with --verbose for libbpf's log)");
		goto cleanup;
	}
	r = sensor_set_agent_names(d.sensor, d.opt.agents, d.opt.n_agents);
	if (r < 0) {
		log_error("cannot give the kernel the --agent names: %s", strerror(-r));
		goto cleanup;
	}
	if (d.opt.capture) {
		r = capture_writer_open(d.opt.capture, sensor_clock_offset(d.sensor), &d.capture);
		if (r < 0) {
			log_error("cannot create capture file %s: %s", d.opt.capture, strerror(-r));
			goto cleanup;
		}
	}
	/* Processes that already run: their next event gets parent and exe. */
	r = proctable_scan(pipeline_procs(d.pipe));
	if (r < 0)
		log_error("warning: cannot read /proc: %s; running processes will lack exe",
			  strerror(-r));
	/* Agents named with --agent that run already: their sessions start now. */
	r = pipeline_adopt_running(d.pipe, now_ns(CLOCK_REALTIME));
	if (r < 0)
		log_error("warning: cannot adopt running agents: %s", strerror(-r));
	probed = sensor_discover_tls(d.sensor);
	for (size_t i = 0; i < d.opt.n_tls_binaries; i++) {
		r = sensor_probe_path(d.sensor, d.opt.tls_binaries[i]);
		if (r < 0)
			log_error("warning: --tls-binary %s: %s", d.opt.tls_binaries[i], strerror(-r));
		else if (r == 0 && d.opt.tls)
			log_error("warning: --tls-binary %s: exports no SSL_read/SSL_write (or is "
				  "probed already)",
				  d.opt.tls_binaries[i]);
		else if (probed >= 0)
			probed += r;
	}
	if (probed < 0)
		log_error("warning: TLS library discovery failed: %s", strerror(-probed));
	r = setup_signals(&sfd);
	if (r < 0) {
		log_error("cannot set up signal handling: %s", strerror(-r));
		goto cleanup;
	}
	/* Which socket I/O hooks run: the syscall ones cost every read and write on the host. */
	io_note = sensor_io_hooks(d.sensor) == SENSOR_IO_HOOKS_SOCKET ?
			  "sock tracepoints" :
			  "read/write syscall tracepoints";
	fprintf(stderr,
		"wardend: ready (%d TLS libraries/binaries probed%s, socket I/O seen by the %s%s%s)\n",
		probed < 0 ? 0 : probed, d.opt.tls ? "" : ", TLS capture off", io_note,
		d.store ? ", storing in " : "", d.store ? d.opt.db : "");

	r = run_loop(&d, sfd);
	if (r < 0) {
		log_error("event loop failed: %s", strerror(-r));
		goto cleanup;
	}
	/* Drain what the kernel still holds, end what is in flight, then say what was lost. */
	sensor_poll(d.sensor);
	pipeline_finish(d.pipe, now_ns(CLOCK_REALTIME));
	emit_stats(&d);
	store_batch_done(&d);
	if (fflush(d.out) == EOF) {
		log_error("writing events failed: %s", strerror(errno));
		goto cleanup;
	}
	r = capture_writer_close(d.capture);
	d.capture = NULL;
	if (r < 0) {
		log_error("writing capture file %s failed: %s", d.opt.capture, strerror(-r));
		goto cleanup;
	}
	ret = 0;
cleanup:
	if (sfd >= 0)
		close(sfd);
	sensor_free(d.sensor);
	capture_writer_close(d.capture);
	pipeline_free(d.pipe);
	store_close(d.store);
	if (d.out && d.out != stdout)
		fclose(d.out);
	return ret;
}

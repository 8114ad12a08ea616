// SPDX-License-Identifier: Apache-2.0
/*
 * replay: runs a capture file (wardend --capture) through the same stages
 * as the daemon -- record decoding, process table, DNS names, connection
 * decoding, LLM extraction, blind-spot detection, JSON output -- with no
 * kernel involved. For bug reports (a capture reproduces a decoding problem
 * byte for byte) and for the pipeline benchmark (make bench, row 3).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "warden/capture.h"
#include "warden/event.h"
#include "warden/pipeline.h"
#include "warden/record.h"
#include "warden/store.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: replay [OPTIONS] CAPTURE\n"
		"\n"
		"Decodes a wardend capture file (wardend --capture FILE) exactly as the daemon\n"
		"would and prints its events as JSON lines.\n"
		"\n"
		"Options:\n"
		"  -o, --output FILE   write events to FILE instead of stdout\n"
		"  -n, --null          format events to /dev/null (measure the pipeline)\n"
		"      --db PATH       also store the events in the SQLite store PATH, as\n"
		"                      wardend does (created if missing)\n"
		"      --repeat N      run the capture N times through one pipeline (default 1)\n"
		"      --raw-tls       print tls.write / tls.read chunks too\n"
		"      --llm-host NAME an extra LLM API host (as wardend)\n"
		"      --stats         print a JSON summary line on stderr: records, events,\n"
		"                      seconds (to the last checkpoint: all in the database\n"
		"                      file), records/s, MB/s, LLM requests and responses,\n"
		"                      CPU seconds of all threads and of the checkpoint one,\n"
		"                      checkpoints by that thread and by the writer\n"
		"  -h, --help          show this help\n"
		"\n"
		"Exit status: 0 on success, 1 when the capture cannot be read, 2 on usage errors.\n");
}

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "null", no_argument, NULL, 'n' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "raw-tls", no_argument, NULL, 'R' },
		{ "llm-host", required_argument, NULL, 'L' },
		{ "stats", no_argument, NULL, 's' },
		{ "db", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct pipeline_config cfg = { .decode = true,
				       .blind_window_ns = 5000000000ull,
				       .proc_root = "/nonexistent-replay-proc",
				       .proc_capacity = 65536 };
	struct capture_reader *cap = NULL;
	struct pipeline *pipe = NULL;
	struct store *store = NULL;
	const char *db = NULL, *errmsg = NULL;
	struct pipeline_stats ps;
	const char *output = NULL, *what;
	unsigned long repeat = 1;
	uint64_t records = 0, bytes = 0, bad = 0, t0, t1, cpu0, cpu1, last_ts = 0;
	bool to_null = false, stats = false;
	FILE *out = stdout;
	int c, r, ret = 1;

	while ((c = getopt_long(argc, argv, "o:nh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'n':
			to_null = true;
			break;
		case 'r':
			repeat = strtoul(optarg, NULL, 10);
			if (!repeat || repeat > 1000000) {
				fprintf(stderr, "replay: --repeat: '%s' is not 1-1000000\n", optarg);
				return 2;
			}
			break;
		case 'R':
			cfg.raw_tls = true;
			break;
		case 'L':
			if (cfg.n_llm_hosts < PIPELINE_LLM_HOSTS_MAX)
				cfg.llm_hosts[cfg.n_llm_hosts++] = optarg;
			break;
		case 's':
			stats = true;
			break;
		case 'D':
			db = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Try 'replay --help' for more information.\n");
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "replay: one capture file expected\nTry 'replay --help'.\n");
		return 2;
	}
	r = capture_reader_open(argv[optind], &cap);
	if (r < 0) {
		fprintf(stderr, "replay: %s: %s\n", argv[optind],
			r == -EPROTO ? "not a capture file of this Warden build" : strerror(-r));
		return 1;
	}
	if (to_null)
		output = "/dev/null";
	if (output) {
		out = fopen(output, "we");
		if (!out) {
			fprintf(stderr, "replay: cannot open %s: %s\n", output, strerror(errno));
			goto cleanup;
		}
	}
	setvbuf(out, NULL, _IOFBF, 1 << 20);
	cfg.out = out;
	r = pipeline_new(&cfg, &pipe, &what);
	if (r < 0) {
		fprintf(stderr, "replay: cannot set up the %s: %s\n", what, strerror(-r));
		goto cleanup;
	}
	if (db) {
		r = store_open(db, 0, &store, &errmsg);
		if (r < 0) {
			fprintf(stderr, "replay: cannot open the store %s: %s%s%s\n", db,
				strerror(-r), errmsg ? ": " : "", errmsg ? errmsg : "");
			goto cleanup;
		}
		pipeline_set_store(pipe, store);
		pipeline_set_last_id(pipe, store_last_id(store));
	}
	t0 = clock_ns(CLOCK_MONOTONIC);
	cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	for (unsigned long i = 0; i < repeat; i++) {
		const void *rec;
		size_t size;

		capture_rewind(cap);
		while ((r = capture_next(cap, &rec, &size)) == 1) {
			struct event ev;

			records++;
			bytes += size;
			if (record_decode(rec, size, capture_reader_clock(cap), &ev) < 0) {
				bad++;
				continue;
			}
			if (ev.type == EVENT_LIB_MAP)
				continue;
			last_ts = ev.ts;
			pipeline_event(&ev, pipe);
		}
		if (r < 0) {
			fprintf(stderr, "replay: %s: cut or corrupt after %" PRIu64 " records\n",
				argv[optind], records);
			goto cleanup;
		}
	}
	pipeline_finish(pipe, last_ts);
	/* Timed to the end of the last checkpoint: every event in the database file. */
	if (store && (r = store_checkpoint(store)) < 0) {
		fprintf(stderr, "replay: storing events failed: %s\n", strerror(-r));
		goto cleanup;
	}
	t1 = clock_ns(CLOCK_MONOTONIC);
	cpu1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	if (fflush(out) == EOF) {
		fprintf(stderr, "replay: writing events failed: %s\n", strerror(errno));
		goto cleanup;
	}
	if (stats) {
		struct event_stats_tables t = { 0 };
		uint64_t llm_req = 0, llm_resp = 0;
		double secs = (t1 - t0) / 1e9;
		struct store_stats ss = { 0 };

		if (store)
			store_get_stats(store, &ss);
		pipeline_get_stats(pipe, &ps);
		pipeline_add_counters(pipe, &t);
		for (unsigned int i = 0; i < t.ncounters; i++) {
			if (!strcmp(t.counters[i].name, "llm_requests"))
				llm_req = t.counters[i].value;
			if (!strcmp(t.counters[i].name, "llm_responses"))
				llm_resp = t.counters[i].value;
		}
		fprintf(stderr,
			"{\"records\":%" PRIu64 ",\"malformed\":%" PRIu64 ",\"events_out\":%" PRIu64
			",\"seconds\":%.6f,\"records_per_s\":%.0f,\"mb_per_s\":%.1f"
			",\"llm_requests\":%" PRIu64 ",\"llm_responses\":%" PRIu64
			",\"cpu_s\":%.6f,\"checkpoint_cpu_s\":%.6f,\"checkpoints\":%" PRIu64
			",\"checkpoints_writer\":%" PRIu64 "}\n",
			records, bad, ps.events_out, secs, records / secs, bytes / secs / 1e6,
			llm_req, llm_resp, (cpu1 - cpu0) / 1e9, ss.checkpoint_cpu_ns / 1e9,
			ss.checkpoints, ss.checkpoints_writer);
	}
	ret = 0;
cleanup:
	pipeline_free(pipe);
	store_close(store);
	capture_reader_close(cap);
	if (out && out != stdout)
		fclose(out);
	return ret;
}

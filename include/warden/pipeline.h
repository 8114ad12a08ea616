/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The stages after the sensor, in one place so that the daemon and the
 * replay tool run exactly the same code: process table, DNS names, the
 * connection decoder (HTTP, LLM APIs), the blind-spot detector, and the
 * JSON output. Events in (from the sensor or a capture file), events out.
 */
#ifndef WARDEN_PIPELINE_H
#define WARDEN_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct event;
struct proctable;
struct store;

#define PIPELINE_LLM_HOSTS_MAX 64

struct pipeline_config {
	FILE *out; /* JSON lines; NULL: formatted nowhere (benchmarks) */
	bool raw_tls; /* print tls.write / tls.read chunks too */
	bool decode; /* run the connection decoder */
	uint64_t blind_window_ns;
	const char *llm_hosts[PIPELINE_LLM_HOSTS_MAX]; /* in addition to the built-in ones */
	size_t n_llm_hosts;
	const char *proc_root; /* "/proc"; a missing directory for replays */
	unsigned int proc_capacity;
	/* Agent sessions (session.h): --agent patterns, and the kernel's membership map. */
	const char *const *agents;
	size_t n_agents;
	void (*session_member_fn)(uint32_t pid, uint64_t start_ns, uint64_t session, bool add,
				  void *arg); /* NULL: none (replays) */
	void *session_member_arg;
};

struct pipeline_stats {
	uint64_t events_in; /* from the sensor */
	uint64_t events_out; /* written */
	uint64_t output_errors;
	/* Traced for a candidate that turned out to be no agent (WARDEN_SESSION_CANDIDATE). */
	uint64_t file_opens_dropped;
	uint64_t io_uring_dropped;
	uint64_t file_changes_dropped;
	uint64_t accepts_dropped;
};

struct pipeline;

/*
 * 0, or -errno with *what naming the part that failed; -EINVAL with *what
 * set to the offending --llm-host value.
 */
int pipeline_new(const struct pipeline_config *cfg, struct pipeline **out, const char **what);
void pipeline_free(struct pipeline *p);

/* One event from the sensor (a sensor_event_fn). Always 0. */
int pipeline_event(struct event *ev, void *arg);
/* Housekeeping: idle connections, overdue blind-spot reports. now: unix ns. */
void pipeline_tick(struct pipeline *p, uint64_t now_ns);
/* The end: reports and ends what is in flight. */
void pipeline_finish(struct pipeline *p, uint64_t now_ns);

/* The next event id (agent.stats events are numbered with the rest). */
uint64_t pipeline_next_id(struct pipeline *p);
struct proctable *pipeline_procs(struct pipeline *p);
/*
 * After the process table is filled from /proc: start the sessions of the
 * processes already running a program named with --agent, with their
 * running descendants as members (in the kernel too), as if wardend had
 * seen them start. Returns the sessions started, or -errno.
 */
int pipeline_adopt_running(struct pipeline *p, uint64_t now_ns);
void pipeline_get_stats(const struct pipeline *p, struct pipeline_stats *out);
/* Adds the stages' counters to an agent.stats event's tables. */
void pipeline_add_counters(const struct pipeline *p, struct event_stats_tables *t);

/* Also store every event written (NULL: none); the store outlives the pipeline. */
void pipeline_set_store(struct pipeline *p, struct store *st);
/* Number on from last_id + 1: ids stay unique across restarts on one store. */
void pipeline_set_last_id(struct pipeline *p, uint64_t last_id);
/* Numbers, writes and stores an event made outside the stages (agent.stats). */
void pipeline_write(struct pipeline *p, struct event *ev);

#endif

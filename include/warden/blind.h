/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Blind-spot detector. A process that opens a connection to a known LLM API
 * host and then shows Warden no plaintext for it uses a TLS stack Warden
 * cannot read yet (rustls, Go's crypto/tls, a stripped BoringSSL): say so
 * with capture.blind rather than record nothing.
 *
 * A connect to a listed host starts a watch; any captured plaintext from
 * that process to that address (or with no address: memory-BIO stacks such
 * as Node's say nothing of the socket) ends it; a watch older than the
 * window is reported once. Bounded: at most max_watches, the oldest
 * reported early when full.
 */
#ifndef WARDEN_BLIND_H
#define WARDEN_BLIND_H

#include <stdbool.h>
#include <stdint.h>

#include "warden/event.h"

#define BLIND_MAX_HOSTS 256

struct blind_stats {
	uint64_t watches; /* connects to LLM hosts */
	uint64_t seen; /* ended by captured plaintext */
	uint64_t reported; /* capture.blind emitted */
	uint64_t full; /* reported early: max_watches */
};

struct blind;

/* With the built-in list of LLM API hosts. 0, -EINVAL or -ENOMEM. */
int blind_new(uint64_t window_ns, size_t max_watches, struct blind **out);
void blind_free(struct blind *b);

/*
 * Adds a host: an exact name ("api.example.com") or a suffix pattern
 * ("*.openai.azure.com"), case-insensitive. 0, -EINVAL (empty, too long,
 * bad pattern) or -ENOSPC (BLIND_MAX_HOSTS).
 */
int blind_add_host(struct blind *b, const char *pattern);
bool blind_is_llm_host(const struct blind *b, const char *host);

/* A net.connect event with its id and host set. */
void blind_on_connect(struct blind *b, const struct event *connect, void (*emit)(struct event *, void *),
		      void *arg);
/* A net.connect.result event: a non-blocking connect that failed was never blind. */
void blind_on_connect_result(struct blind *b, const struct event *result);
/* A tls.write or tls.read event. */
void blind_on_tls(struct blind *b, const struct event *tls);
/* Reports the watches older than the window (now_ns: the events' clock). */
void blind_check(struct blind *b, uint64_t now_ns, void (*emit)(struct event *, void *), void *arg);

void blind_get_stats(const struct blind *b, struct blind_stats *out);

#endif

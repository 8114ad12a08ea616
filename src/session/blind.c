// SPDX-License-Identifier: Apache-2.0
/* Blind-spot detector. See blind.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "warden/blind.h"

#define HOST_LEN 256

/* Hosts of the LLM APIs agents call most; --llm-host adds more. */
static const char *const builtin_hosts[] = {
	"api.openai.com",
	"*.openai.azure.com",
	"api.anthropic.com",
	"generativelanguage.googleapis.com",
	"*-aiplatform.googleapis.com",
	"api.mistral.ai",
	"api.groq.com",
	"api.deepseek.com",
	"api.x.ai",
	"api.cohere.com",
	"api.cohere.ai",
	"api.together.xyz",
	"api.fireworks.ai",
	"openrouter.ai",
	"api.perplexity.ai",
};

struct watch {
	bool used;
	uint64_t ts; /* of the connect */
	uint64_t connect_id;
	uint32_t pid, tid, ppid, uid;
	uint64_t pid_start_ns, cgroup_id;
	char comm[17];
	struct event_addr remote;
	char host[HOST_LEN];
	char exe[HOST_LEN]; /* the process may be gone when the report is due */
};

struct blind {
	uint64_t window_ns;
	struct watch *watches;
	size_t max_watches, n;
	char *hosts[BLIND_MAX_HOSTS];
	size_t n_hosts;
	struct blind_stats stats;
};

int blind_new(uint64_t window_ns, size_t max_watches, struct blind **out)
{
	struct blind *b;
	int r = 0;

	*out = NULL;
	if (!max_watches)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->window_ns = window_ns;
	b->max_watches = max_watches;
	b->watches = calloc(max_watches, sizeof(*b->watches));
	if (!b->watches)
		r = -ENOMEM;
	for (size_t i = 0; !r && i < sizeof(builtin_hosts) / sizeof(builtin_hosts[0]); i++)
		r = blind_add_host(b, builtin_hosts[i]);
	if (r) {
		blind_free(b);
		return r;
	}
	*out = b;
	return 0;
}

void blind_free(struct blind *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n_hosts; i++)
		free(b->hosts[i]);
	free(b->watches);
	free(b);
}

int blind_add_host(struct blind *b, const char *pattern)
{
	size_t n = strlen(pattern);

	if (!n || n >= HOST_LEN || strchr(pattern + 1, '*') ||
	    (pattern[0] == '*' && n < 3))
		return -EINVAL;
	if (b->n_hosts >= BLIND_MAX_HOSTS)
		return -ENOSPC;
	b->hosts[b->n_hosts] = strdup(pattern);
	if (!b->hosts[b->n_hosts])
		return -ENOMEM;
	b->n_hosts++;
	return 0;
}

bool blind_is_llm_host(const struct blind *b, const char *host)
{
	size_t hn;

	if (!host || !host[0])
		return false;
	hn = strlen(host);
	if (host[hn - 1] == '.')
		hn--; /* an absolute name */
	for (size_t i = 0; i < b->n_hosts; i++) {
		const char *p = b->hosts[i];
		size_t pn = strlen(p);

		if (p[0] == '*') {
			/* "*.x.com" and "*-x.com": any non-empty label part before the rest */
			if (hn > pn - 1 && !strncasecmp(host + hn - (pn - 1), p + 1, pn - 1))
				return true;
		} else if (hn == pn && !strncasecmp(host, p, pn)) {
			return true;
		}
	}
	return false;
}

static void report(struct blind *b, struct watch *w, uint64_t now,
		   void (*emit)(struct event *, void *), void *arg)
{
	struct event ev;

	memset(&ev, 0, offsetof(struct event, stats));
	memset(&ev.blind, 0, sizeof(ev.blind));
	ev.type = EVENT_CAPTURE_BLIND;
	ev.ts = now;
	ev.pid = w->pid;
	ev.tid = w->tid;
	ev.ppid = w->ppid;
	ev.uid = w->uid;
	ev.pid_start_ns = w->pid_start_ns;
	ev.cgroup_id = w->cgroup_id;
	memcpy(ev.comm, w->comm, sizeof(ev.comm));
	ev.exe = w->exe[0] ? w->exe : NULL;
	ev.blind.flow.remote = w->remote;
	ev.blind.flow.host.ptr = w->host;
	ev.blind.flow.host.len = strlen(w->host);
	ev.blind.reason = "TLS to an LLM API host, but no plaintext captured: its TLS library "
			  "is not one Warden reads";
	ev.blind.connect_id = w->connect_id;
	b->stats.reported++;
	w->used = false;
	b->n--;
	emit(&ev, arg);
}

void blind_on_connect(struct blind *b, const struct event *ev,
		      void (*emit)(struct event *, void *), void *arg)
{
	struct watch *w = NULL, *oldest = NULL;
	size_t n;

	if (ev->type != EVENT_NET_CONNECT || !ev->connect.host ||
	    (ev->connect.result != 0 && ev->connect.result != -EINPROGRESS) ||
	    !blind_is_llm_host(b, ev->connect.host))
		return;
	b->stats.watches++;
	for (size_t i = 0; i < b->max_watches; i++) {
		struct watch *c = &b->watches[i];

		if (!c->used) {
			w = c;
			break;
		}
		if (!oldest || c->ts < oldest->ts)
			oldest = c;
	}
	if (!w) {
		b->stats.full++;
		report(b, oldest, ev->ts, emit, arg);
		w = oldest;
	}
	memset(w, 0, sizeof(*w));
	w->used = true;
	w->ts = ev->ts;
	w->connect_id = ev->id;
	w->pid = ev->pid;
	w->tid = ev->tid;
	w->ppid = ev->ppid;
	w->uid = ev->uid;
	w->pid_start_ns = ev->pid_start_ns;
	w->cgroup_id = ev->cgroup_id;
	memcpy(w->comm, ev->comm, sizeof(w->comm));
	w->remote = ev->connect.remote;
	n = strnlen(ev->connect.host, HOST_LEN - 1);
	memcpy(w->host, ev->connect.host, n);
	w->host[n] = 0;
	if (ev->exe) {
		n = strnlen(ev->exe, HOST_LEN - 1);
		memcpy(w->exe, ev->exe, n);
		w->exe[n] = 0;
	}
	b->n++;
}

static bool same_peer(const struct event_addr *a, const struct event_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16);
}

void blind_on_tls(struct blind *b, const struct event *ev)
{
	if (!b->n)
		return;
	for (size_t i = 0; i < b->max_watches; i++) {
		struct watch *w = &b->watches[i];

		if (!w->used || w->pid != ev->pid || w->pid_start_ns != ev->pid_start_ns)
			continue;
		if (ev->tls.remote.family && !same_peer(&w->remote, &ev->tls.remote))
			continue;
		w->used = false;
		b->n--;
		b->stats.seen++;
	}
}

void blind_on_connect_result(struct blind *b, const struct event *ev)
{
	if (!b->n || ev->connect.result == 0)
		return;
	for (size_t i = 0; i < b->max_watches; i++) {
		struct watch *w = &b->watches[i];

		if (w->used && w->pid == ev->pid && w->pid_start_ns == ev->pid_start_ns &&
		    same_peer(&w->remote, &ev->connect.remote)) {
			w->used = false;
			b->n--;
		}
	}
}

void blind_check(struct blind *b, uint64_t now_ns, void (*emit)(struct event *, void *), void *arg)
{
	if (!b->n)
		return;
	for (size_t i = 0; i < b->max_watches; i++) {
		struct watch *w = &b->watches[i];

		if (w->used && w->ts + b->window_ns <= now_ns)
			report(b, w, now_ns, emit, arg);
	}
}

void blind_get_stats(const struct blind *b, struct blind_stats *out)
{
	*out = b->stats;
}
